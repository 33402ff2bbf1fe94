//! The HTTP-free core, driven directly: what it answers is valid FHIR by the project's own
//! strict model and validator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodian_model::{json, Bundle, CapabilityStatement};
use custodian_server::core::bundles::EntryReturn;
use custodian_server::core::{CoreConfig, Fhir, RequestContext};
use custodian_store::{Store, StoreOptions};
use custodian_validation::{ValidateOptions, Validator};

fn core() -> (tempfile::TempDir, Fhir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = Store::open(&url, StoreOptions::default()).unwrap();
    (dir, Fhir::new(store, CoreConfig::default()).unwrap())
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "test".into(),
        client: None,
        base_url: "http://example.org/fhir".into(),
    }
}

#[test]
fn capability_statement_is_valid_fhir() {
    let (_dir, fhir) = core();
    let statement = fhir.capability_statement("http://example.org/fhir");
    let parsed: CapabilityStatement = json::from_value(statement.clone()).expect("parses");
    assert_eq!(parsed.rest.len(), 1);
    let report = Validator::new()
        .unwrap()
        .validate(&statement, &ValidateOptions::default());
    assert!(!report.has_errors(), "{:?}", report.issues);
    let patient = statement["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "Patient")
        .unwrap();
    let params: Vec<&str> = patient["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in ["family", "birthdate", "identifier", "_id", "_lastUpdated"] {
        assert!(params.contains(&p), "{p} missing");
    }
}

#[test]
fn transaction_responses_and_searchsets_are_valid_bundles() {
    let (_dir, fhir) = core();
    let tx = serde_json::json!({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:6e1e0f2a-4a54-4c7b-9f1e-0c6a3e2b9d01",
             "resource": {"resourceType": "Patient", "name": [{"family": "Ortiz"}]},
             "request": {"method": "POST", "url": "Patient"}},
            {"resource": {"resourceType": "Condition",
                          "subject": {"reference": "urn:uuid:6e1e0f2a-4a54-4c7b-9f1e-0c6a3e2b9d01"},
                          "code": {"text": "asthma"}},
             "request": {"method": "POST", "url": "Condition"}}
        ]
    });
    let response = fhir
        .process_bundle(
            &ctx(),
            tx.to_string().as_bytes(),
            EntryReturn::Representation,
        )
        .expect("transaction succeeds");
    let bundle: Bundle = json::from_str(&response).expect("a valid Bundle");
    assert_eq!(bundle.entry.len(), 2);
    let searchset = fhir
        .search(
            &ctx(),
            "Condition",
            &[("_include".into(), "Condition:subject".into())],
            custodian_search::query::Handling::Strict,
        )
        .expect("search succeeds");
    let bundle: Bundle = json::from_str(&searchset).expect("a valid Bundle");
    assert_eq!(bundle.entry.len(), 2, "the match and its included patient");
    let value: serde_json::Value = serde_json::from_str(&searchset).unwrap();
    let report = Validator::new().unwrap().validate(
        &value,
        &ValidateOptions::default().check_references_exist(false),
    );
    assert!(!report.has_errors(), "{:?}", report.issues);
}
