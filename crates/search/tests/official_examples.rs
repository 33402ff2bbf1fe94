//! Every search expression of every resource type evaluates on every official R4 example
//! (../shared/fhir-r4/examples-r4-all.tar.gz), and extraction turns what it finds into
//! entries. Skips with a message when ../shared is absent; under CI=true that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Read;

use custodian_search::extract::extract_param;
use custodian_search::fhirpath::{evaluate, Item};
use custodian_search::registry::{registry, SearchParamType};
use serde_json::Value;

fn shared(path: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing under CI",
        p.display()
    );
    eprintln!("skipping: {} not found", p.display());
    None
}

fn resources_of(json: Value, out: &mut Vec<Value>) {
    if json["resourceType"] == "Bundle" {
        for e in json["entry"].as_array().into_iter().flatten() {
            if e["resource"].is_object() {
                resources_of(e["resource"].clone(), out);
            }
        }
    }
    out.push(json);
}

#[test]
fn every_expression_evaluates_on_every_official_example() {
    let Some(path) = shared("fhir-r4/examples-r4-all.tar.gz") else {
        return;
    };
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut resources = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.path().unwrap().to_string_lossy().ends_with(".json") {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        if let Ok(json) = serde_json::from_str::<Value>(&text) {
            resources_of(json, &mut resources);
        }
    }
    let reg = registry().unwrap();
    let (mut evaluated, mut entries) = (0usize, 0usize);
    // (type.code) -> resources where the expression found items but extraction made nothing.
    let mut gaps: BTreeMap<String, usize> = BTreeMap::new();
    for r in &resources {
        let Some(t) = r["resourceType"].as_str() else {
            continue;
        };
        for def in reg.params(t) {
            let Some(expr) = &def.compiled else { continue };
            let items = evaluate(expr, r)
                .unwrap_or_else(|e| panic!("{t}.{} on {}: {e}", def.code, r["id"]));
            evaluated += 1;
            let mut out = Vec::new();
            extract_param(def, r, &mut out);
            entries += out.len();
            // Display-only references are not indexed, nor `#id` references when the example
            // has no contained resource of that id.
            let unindexable = |i: &Item<'_>| match i {
                Item::Node { value, .. } => {
                    def.param_type == SearchParamType::Reference
                        && value.get("identifier").is_none()
                        && value
                            .get("reference")
                            .and_then(Value::as_str)
                            .is_none_or(|r| r.starts_with('#'))
                }
                _ => false,
            };
            // A HumanName or Address whose every part is another parameter's row (a name
            // with only family and given: `SearchParamDef::parts`) has no rows of its own.
            let skipped = matches!(
                def.param_type,
                SearchParamType::Composite | SearchParamType::Special
            ) || !def.parts.is_empty();
            if out.is_empty() && !skipped && items.iter().any(|i| !unindexable(i)) {
                *gaps.entry(format!("{t}.{}", def.code)).or_default() += 1;
            }
        }
    }
    eprintln!("{} resources, {evaluated} evaluations, {entries} entries; items without entries: {gaps:#?}", resources.len());
    assert!(resources.len() > 2900);
    for t in ["Patient.", "Encounter.", "Condition."] {
        let own: Vec<_> = gaps.keys().filter(|k| k.starts_with(t)).collect();
        assert!(own.is_empty(), "{own:?}");
    }
}

#[test]
fn carebundle_resources_extract() {
    let Some(dir) = shared("fhir-r4/bundles/carebundle-100") else {
        return;
    };
    let mut count = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let mut resources = Vec::new();
        resources_of(
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
            &mut resources,
        );
        for r in resources {
            let t = r["resourceType"].as_str().unwrap().to_owned();
            if t == "Bundle" {
                continue;
            }
            let index = custodian_search::extract::extract(&t, &r).unwrap();
            if t == "Patient" {
                assert!(
                    index.entries.iter().any(|e| e.param == "family"),
                    "{}",
                    path.display()
                );
                assert!(
                    index.entries.iter().any(|e| e.param == "birthdate"),
                    "{}",
                    path.display()
                );
            }
            if t == "Encounter" || t == "Condition" {
                // carebundle references are urn:uuid inside transaction bundles.
                assert!(
                    index.entries.iter().any(|e| e.param == "subject"),
                    "{}",
                    path.display()
                );
            }
            count += 1;
        }
    }
    assert!(count > 100, "{count}");
}
