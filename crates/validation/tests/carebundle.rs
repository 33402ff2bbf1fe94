//! The 100 synthetic US Core transaction Bundles in `../shared/fhir-r4/bundles/carebundle-100`
//! validate without errors as whole Bundles (urn:uuid references resolve to entries), and each
//! of their Patients, Encounters and Conditions validates on its own as a bundle entry
//! (`in_bundle`), as the server validates transaction entries.

mod common;

use std::collections::BTreeMap;

use custodian_validation::{ValidateOptions, ValidationError, Validator};
use serde_json::Value;

#[test]
fn carebundle_patients_encounters_and_conditions_validate() -> Result<(), ValidationError> {
    let Some(shared) = common::shared_dir("carebundle validation") else {
        return Ok(());
    };
    let validator = Validator::new()?;
    let files = common::json_files(&shared.join("fhir-r4/bundles/carebundle-100"));
    assert_eq!(files.len(), 100, "expected 100 carebundle Bundles");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let entry_opts = ValidateOptions::default().in_bundle(true);
    for file in &files {
        let bundle = common::read_json(file);
        let name = file.display().to_string();
        let report = validator.validate(&bundle, &ValidateOptions::default());
        if report.has_errors() {
            failures.push(format!(
                "{name} (whole Bundle):\n{}",
                common::describe(&report)
            ));
        }
        let entries = bundle.get("entry").and_then(Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            let Some(resource) = entry.get("resource") else {
                continue;
            };
            let ty = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !matches!(ty, "Patient" | "Encounter" | "Condition") {
                continue;
            }
            *counts.entry(ty.to_owned()).or_default() += 1;
            let report = validator.validate(resource, &entry_opts);
            if report.has_errors() {
                failures.push(format!(
                    "{name} entry {i} ({ty}):\n{}",
                    common::describe(&report)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for ty in ["Patient", "Encounter", "Condition"] {
        assert!(
            counts.get(ty).is_some_and(|n| *n > 0),
            "no {ty} found: {counts:?}"
        );
    }
    eprintln!("validated carebundle resources: {counts:?}");
    Ok(())
}
