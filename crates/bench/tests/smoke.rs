//! The harness without load: the generator is deterministic and its resources are valid R4.

use custodian_bench::generate::{self, patient_record, transaction_bundle, DEFAULT_SEED};
use custodian_validation::{Severity, ValidateOptions, Validator};

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile_dir("a");
    let b = tempfile_dir("b");
    let c = tempfile_dir("c");
    generate::write_data_set(&a, DEFAULT_SEED, 40, true).unwrap();
    generate::write_data_set(&b, DEFAULT_SEED, 40, true).unwrap();
    generate::write_data_set(&c, DEFAULT_SEED + 1, 40, true).unwrap();
    for name in [
        "Patient.ndjson",
        "Encounter.ndjson",
        "Condition.ndjson",
        "ids.txt",
        "bundles/000001.json",
    ] {
        let x = std::fs::read(a.join(name)).unwrap();
        let y = std::fs::read(b.join(name)).unwrap();
        let z = std::fs::read(c.join(name)).unwrap();
        assert!(!x.is_empty(), "{name} is empty");
        assert_eq!(x, y, "{name} differs between two runs with the same seed");
        assert_ne!(x, z, "{name} is the same for another seed");
    }
    let m = generate::existing_data_set(&a, DEFAULT_SEED, 40).unwrap();
    assert_eq!(m.patients, 40);
    assert!(m.encounters >= 80 && m.encounters <= 400);
    assert!(m.conditions >= 40 && m.conditions <= 200);
    for dir in [a, b, c] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("custodian-bench-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn generated_resources_parse_and_validate() {
    let validator = Validator::new().unwrap();
    let mut checked = 0;
    let mut accents = false;
    let mut apostrophes = false;
    let mut deceased = false;
    let mut abated = false;
    let mut entered_in_error = false;
    for n in 0..150 {
        let record = patient_record(DEFAULT_SEED, n);
        assert!((2..=10).contains(&record.encounters.len()));
        for resource in record.resources() {
            let bytes = serde_json::to_vec(resource).unwrap();
            custodian_model::json::from_slice::<custodian_model::Resource>(&bytes)
                .unwrap_or_else(|e| panic!("does not parse: {e}\n{resource:#}"));
            let report = validator.validate(resource, &ValidateOptions::default());
            let errors: Vec<_> = report
                .issues
                .iter()
                .filter(|i| matches!(i.severity, Severity::Error | Severity::Fatal))
                .collect();
            assert!(errors.is_empty(), "invalid: {errors:#?}\n{resource:#}");
            let text = resource.to_string();
            accents |= text.contains('ü') || text.contains('é');
            apostrophes |= text.contains("O'");
            deceased |= resource.get("deceasedDateTime").is_some();
            abated |= resource.get("abatementDateTime").is_some();
            entered_in_error |= text.contains("entered-in-error");
            checked += 1;
        }
    }
    assert!(checked > 500);
    // The validator does check what the generator takes care of (con-4, con-5).
    let mut broken = patient_record(DEFAULT_SEED, 0).conditions[0].clone();
    broken["clinicalStatus"] = serde_json::json!({"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]});
    broken["abatementDateTime"] = serde_json::json!("2020-01-01");
    broken["verificationStatus"] = serde_json::json!({"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]});
    let report = validator.validate(&broken, &ValidateOptions::default());
    assert!(report.has_errors(), "con-4/con-5 not enforced: {report:#?}");
    assert!(accents && apostrophes && deceased && abated && entered_in_error);
}

#[test]
fn transaction_bundles_reference_inside_themselves() {
    let records: Vec<_> = (0..30).map(|n| patient_record(7, n)).collect();
    let groups = generate::bundle_groups(records);
    assert!(groups.len() > 1);
    for group in &groups {
        let bundle = transaction_bundle(7, group);
        let entries = bundle["entry"].as_array().unwrap();
        assert!(entries.len() <= generate::BUNDLE_ENTRIES);
        let full_urls: std::collections::HashSet<_> = entries
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(full_urls.len(), entries.len());
        let text = bundle.to_string();
        for piece in text.split("\"reference\":\"").skip(1) {
            let target = &piece[..piece.find('"').unwrap()];
            assert!(full_urls.contains(target), "{target} is not in the bundle");
        }
        let bytes = serde_json::to_vec(&bundle).unwrap();
        custodian_model::json::from_slice::<custodian_model::Resource>(&bytes).unwrap();
    }
}
