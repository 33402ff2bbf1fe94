//! Validation time per resource: a typical Patient (written here), a generated-style
//! carebundle Encounter, and every official Patient/Encounter/Condition example in
//! `../shared/fhir-r4/examples` when that folder exists (skipped with a message otherwise).
//! Targets: < 20 µs for a typical Patient, < 1 ms for the largest example, on one core.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use custodian_validation::{ValidateOptions, Validator};
use serde_json::{json, Value};

fn typical_patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "example",
        "meta": {"versionId": "1", "lastUpdated": "2024-01-01T00:00:00Z"},
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Peter James <b>Chalmers</b> (\"Jim\")</p><p>male, born 1974-12-25</p></div>"},
        "identifier": [{"use": "usual", "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345", "period": {"start": "2001-05-06"}}],
        "active": true,
        "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]}, {"use": "usual", "given": ["Jim"]}],
        "telecom": [{"system": "phone", "value": "(03) 5555 6473", "use": "work", "rank": 1}, {"system": "email", "value": "jim@example.org", "use": "home"}],
        "gender": "male",
        "birthDate": "1974-12-25",
        "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1974-12-25T14:35:45-05:00"}]},
        "deceasedBoolean": false,
        "address": [{"use": "home", "type": "both", "line": ["534 Erewhon St"], "city": "PleasantVille", "state": "Vic", "postalCode": "3999", "period": {"start": "1974-12-25"}}],
        "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]},
        "contact": [{"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}]}], "name": {"family": "du Marché", "given": ["Bénédicte"]}, "telecom": [{"system": "phone", "value": "+33 (237) 998327"}], "gender": "female"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}, "preferred": true}],
        "managingOrganization": {"reference": "Organization/1"}
    })
}

fn shared_examples() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fhir-r4/examples");
    let Ok(read) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED official example benches: {} is absent",
            dir.display()
        );
        return Vec::new();
    };
    let mut files: Vec<_> = read.flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let value: Value = serde_json::from_str(&text).ok()?;
            let name = p.file_stem()?.to_string_lossy().into_owned();
            Some((name, value))
        })
        .collect()
}

/// The first Patient, Encounter and Condition of the first carebundle Bundle (generated data).
fn carebundle_resources() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fhir-r4/bundles/carebundle-100/mixed-42-0000.json");
    let Some(bundle) = std::fs::read_to_string(&dir)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    else {
        eprintln!("SKIPPED carebundle benches: {} is absent", dir.display());
        return Vec::new();
    };
    let mut out = Vec::new();
    for ty in ["Patient", "Encounter", "Condition"] {
        let found = bundle["entry"].as_array().and_then(|entries| {
            entries
                .iter()
                .find(|e| e["resource"]["resourceType"] == ty)
                .map(|e| e["resource"].clone())
        });
        if let Some(resource) = found {
            out.push((ty.to_lowercase(), resource));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let Ok(validator) = Validator::new() else {
        eprintln!("definitions did not load");
        return;
    };
    let opts = ValidateOptions::default();
    let patient = typical_patient();
    c.bench_function("validate/typical-patient", |b| {
        b.iter(|| validator.validate(black_box(&patient), &opts))
    });
    let entry_opts = ValidateOptions::default().in_bundle(true);
    for (name, value) in carebundle_resources() {
        c.bench_function(&format!("validate/carebundle-{name}"), |b| {
            b.iter(|| validator.validate(black_box(&value), &entry_opts))
        });
    }
    let mut group = c.benchmark_group("validate/examples");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for (name, value) in shared_examples() {
        group.bench_function(&name, |b| {
            b.iter(|| validator.validate(black_box(&value), &opts))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
