//! Every official R4 example of Patient, Encounter and Condition in
//! `../shared/fhir-r4/examples` validates without errors (warnings are allowed), except the
//! examples that themselves break a rule, listed in [`EXPECTED_FAILURES`] with the reason.
//! The two Bundles of Patients are validated whole and entry by entry.

mod common;

use custodian_validation::{ValidateOptions, ValidationError, Validator};

/// (file, FHIRPath of the expected error, reason).
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[];

#[test]
fn official_examples_validate_without_errors() -> Result<(), ValidationError> {
    let Some(shared) = common::shared_dir("official example validation") else {
        return Ok(());
    };
    let validator = Validator::new()?;
    let files = common::json_files(&shared.join("fhir-r4/examples"));
    assert!(
        files.len() >= 40,
        "expected the 46 official examples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let resource = common::read_json(file);
        let report = validator.validate(&resource, &ValidateOptions::default());
        checked += 1;
        // The Bundles of Patients: each entry must also pass on its own.
        let entries = resource.get("entry").and_then(serde_json::Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            if let Some(inner) = entry.get("resource") {
                let entry_report =
                    validator.validate(inner, &ValidateOptions::default().in_bundle(true));
                if entry_report.has_errors() {
                    failures.push(format!(
                        "{name} entry {i}:\n{}",
                        common::describe(&entry_report)
                    ));
                }
                checked += 1;
            }
        }
        let expected: Vec<&str> = EXPECTED_FAILURES
            .iter()
            .filter(|(f, _, _)| *f == name)
            .map(|(_, expr, _)| *expr)
            .collect();
        let unexpected: Vec<String> = report
            .errors()
            .filter(|i| !expected.contains(&i.expression.as_str()))
            .map(|i| format!("  {} @ {}: {}", i.code.code(), i.expression, i.diagnostics))
            .collect();
        if !unexpected.is_empty() {
            failures.push(format!("{name}:\n{}", unexpected.join("\n")));
        }
        for expr in expected {
            if !report.errors().any(|i| i.expression == expr) {
                failures.push(format!("{name}: expected an error at {expr}, found none"));
            }
        }
    }
    eprintln!("validated {checked} official example resources");
    assert!(
        failures.is_empty(),
        "{} of {checked} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
