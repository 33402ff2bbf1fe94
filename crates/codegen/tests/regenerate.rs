//! The checked-in model is exactly what the generator writes from fhir-schemas/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

fn read_rs_files(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .expect("read generated dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("read file"))
        })
        .collect()
}

#[test]
fn regenerating_the_model_gives_no_diff() {
    let tmp = tempfile::tempdir().expect("tempdir");
    custodian_codegen::generate(&custodian_codegen::default_schemas_dir(), tmp.path())
        .expect("generation succeeds");
    let fresh = read_rs_files(tmp.path());
    let checked_in = read_rs_files(&custodian_codegen::default_out_dir());
    let fresh_names: Vec<_> = fresh.keys().collect();
    let checked_names: Vec<_> = checked_in.keys().collect();
    assert_eq!(
        fresh_names, checked_names,
        "generated file set differs: run `cargo run -p custodian-codegen`"
    );
    for (name, text) in &fresh {
        assert!(
            checked_in.get(name) == Some(text),
            "{name} differs from the generator's output: run `cargo run -p custodian-codegen`"
        );
    }
}
