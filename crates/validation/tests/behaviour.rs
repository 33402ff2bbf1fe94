//! Behaviour beyond single issues: referential integrity and its switch, resolver failures,
//! `_name` siblings satisfying cardinality, all issues reported at once, OperationOutcome and
//! HTTP status mapping.

use std::collections::HashSet;
use std::sync::Mutex;

use custodian_validation::{
    IssueType, ReferenceResolver, ResolveError, Severity, ValidateOptions, ValidationError,
    Validator,
};
use serde_json::json;

const DIV: &str = "<div xmlns=\"http://www.w3.org/1999/xhtml\">text</div>";

/// Knows a fixed set of `Type/id`s and records what it was asked.
struct Store {
    known: HashSet<(String, String)>,
    asked: Mutex<Vec<String>>,
}

impl Store {
    fn with(known: &[(&str, &str)]) -> Self {
        Store {
            known: known
                .iter()
                .map(|(t, i)| (t.to_string(), i.to_string()))
                .collect(),
            asked: Mutex::new(Vec::new()),
        }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl ReferenceResolver for Store {
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(format!("{resource_type}/{id}"));
        }
        Ok(self
            .known
            .contains(&(resource_type.to_owned(), id.to_owned())))
    }
}

struct Broken;

impl ReferenceResolver for Broken {
    fn exists(&self, _: &str, _: &str) -> Result<bool, ResolveError> {
        Err(ResolveError("database unavailable".into()))
    }
}

fn condition(subject: &str) -> serde_json::Value {
    json!({"resourceType": "Condition", "id": "c1", "text": {"status": "generated", "div": DIV},
        "subject": {"reference": subject}})
}

#[test]
fn referential_integrity_uses_the_resolver_and_can_be_switched_off() -> Result<(), ValidationError>
{
    let v = Validator::new()?;
    let store = Store::with(&[("Patient", "p1")]);
    let on = ValidateOptions::default().with_resolver(&store);
    assert!(!v.validate(&condition("Patient/p1"), &on).has_errors());
    let missing = v.validate(&condition("Patient/p2"), &on);
    assert!(missing
        .errors()
        .any(|i| i.code == IssueType::NotFound && i.expression == "Condition.subject.reference"));
    assert_eq!(missing.http_status(), 422);
    let off = on.check_references_exist(false);
    assert!(!v.validate(&condition("Patient/p2"), &off).has_errors());
    // Absolute URLs point elsewhere: they are not looked up.
    assert!(!v
        .validate(&condition("http://other.org/fhir/Patient/9"), &on)
        .has_errors());
    assert_eq!(store.asked(), vec!["Patient/p1", "Patient/p2"]);
    Ok(())
}

#[test]
fn a_resolver_failure_is_an_exception_not_a_client_error() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let broken = Broken;
    let opts = ValidateOptions::default().with_resolver(&broken);
    let report = v.validate(&condition("Patient/p1"), &opts);
    assert!(report
        .issues
        .iter()
        .any(|i| i.severity == Severity::Fatal && i.code == IssueType::Exception));
    assert_eq!(report.http_status(), 500);
    assert!(matches!(
        v.try_validate(&condition("Patient/p1"), &opts),
        Err(ValidationError::Resolver { .. })
    ));
    Ok(())
}

#[test]
fn references_between_entries_of_a_bundle_resolve_inside_it() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let store = Store::with(&[]);
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
         "resource": {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}},
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "http://example.org/fhir/Patient/p9",
         "resource": {"resourceType": "Patient", "id": "p9", "text": {"status": "generated", "div": DIV}},
         "request": {"method": "PUT", "url": "Patient/p9"}},
        {"fullUrl": "urn:uuid:1c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
         "resource": {"resourceType": "Condition", "text": {"status": "generated", "div": DIV},
            "subject": {"reference": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
            "asserter": {"reference": "Patient/p9"}},
         "request": {"method": "POST", "url": "Condition"}}
    ]});
    let report = v.validate(&bundle, &ValidateOptions::default().with_resolver(&store));
    assert!(!report.has_errors(), "{:?}", report.issues);
    assert!(store.asked().is_empty());
    // The same Condition alone, as an entry the server validates: urn:uuid is allowed.
    let entry = &bundle["entry"][2]["resource"];
    assert!(!v
        .validate(entry, &ValidateOptions::default().in_bundle(true))
        .has_errors());
    assert!(v.validate(entry, &ValidateOptions::default()).has_errors());
    Ok(())
}

/// With `entry_resources(false)` a Bundle is judged by its own rules only: an invalid entry
/// resource is not reported, while the Bundle's invariants still see that the entry has one.
#[test]
fn a_bundle_can_be_validated_without_its_entries_resources() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
         "resource": {"resourceType": "Patient", "gender": "sometimes",
                      "text": {"status": "generated", "div": DIV}},
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:1c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
         "resource": {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}}}
    ]});
    let whole = v.validate(&bundle, &ValidateOptions::default());
    let expressions = |r: &custodian_validation::ValidationReport| -> Vec<String> {
        r.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.expression.clone())
            .collect()
    };
    assert!(
        expressions(&whole).contains(&"Bundle.entry[0].resource.gender".to_owned()),
        "{:?}",
        whole.issues
    );
    let own = v.validate(&bundle, &ValidateOptions::default().entry_resources(false));
    let own_errors = expressions(&own);
    assert!(
        !own_errors.iter().any(|e| e.contains(".resource")),
        "{:?}",
        own.issues
    );
    // bdl-3 (the second entry has no request) still holds, bdl-5 (an entry needs a resource
    // or a request) is still satisfied by the resources it did not validate.
    let keys: Vec<&str> = own
        .issues
        .iter()
        .filter_map(|i| i.diagnostics.split(':').next())
        .collect();
    assert!(keys.contains(&"bdl-3"), "{:?}", own.issues);
    assert!(!keys.contains(&"bdl-5"), "{:?}", own.issues);
    Ok(())
}

#[test]
fn a_primitive_with_only_an_extension_satisfies_min_cardinality() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let encounter = json!({"resourceType": "Encounter", "text": {"status": "generated", "div": DIV},
        "_status": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]},
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}});
    let report = v.validate(&encounter, &ValidateOptions::default());
    assert!(!report.has_errors(), "{:?}", report.issues);
    let patient = json!({"resourceType": "Patient", "text": {"status": "generated", "div": DIV},
        "name": [{"given": ["A", null], "_given": [null, {"extension": [{"url": "http://x", "valueString": "B"}]}]}]});
    assert!(!v
        .validate(&patient, &ValidateOptions::default())
        .has_errors());
    Ok(())
}

#[test]
fn every_issue_is_reported_at_once_and_becomes_an_operation_outcome() -> Result<(), ValidationError>
{
    let v = Validator::new()?;
    let bad = json!({"resourceType": "Patient", "gender": "x", "foo": 1,
        "contact": [{"gender": "male"}], "telecom": [{"value": "1"}]});
    let report = v.validate(&bad, &ValidateOptions::default());
    let expressions: Vec<&str> = report
        .issues
        .iter()
        .map(|i| i.expression.as_str())
        .collect();
    for expected in [
        "Patient.gender",
        "Patient.foo",
        "Patient.contact[0]",
        "Patient.telecom[0]",
        "Patient",
    ] {
        assert!(
            expressions.contains(&expected),
            "{expected} missing from {expressions:?}"
        );
    }
    assert_eq!(report.http_status(), 400);
    let oo = report.to_operation_outcome_json();
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(
        oo["issue"].as_array().map(Vec::len),
        Some(report.issues.len())
    );
    let pat1 = report.issues.iter().find(|i| i.invariant == Some("pat-1"));
    assert!(pat1.is_some_and(|i| i.diagnostics.starts_with("pat-1: SHALL at least contain")));
    Ok(())
}

#[test]
fn unsupported_and_unknown_resource_types() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let obs = v.validate(
        &json!({"resourceType": "Observation"}),
        &ValidateOptions::default(),
    );
    assert!(obs.errors().any(|i| i.code == IssueType::NotSupported));
    let foo = v.validate(&json!({"resourceType": "Foo"}), &ValidateOptions::default());
    assert!(foo.errors().any(|i| i.code == IssueType::Structure));
    let none = v.validate(&json!({"id": "x"}), &ValidateOptions::default());
    assert!(none.has_errors());
    assert!(v.supports_resource_type("Patient") && !v.supports_resource_type("Observation"));
    assert!(v.knows_profile("http://hl7.org/fhir/StructureDefinition/Patient|4.0.1"));
    Ok(())
}

#[test]
fn the_operation_outcome_is_itself_a_valid_resource() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    let bad = json!({"resourceType": "Patient", "gender": "x", "contact": [{"gender": "male"}]});
    let report = v.validate(&bad, &ValidateOptions::default());
    let mut oo = report.to_operation_outcome_json();
    oo["text"] = json!({"status": "generated", "div": DIV});
    let check = v.validate(&oo, &ValidateOptions::default());
    assert!(check.issues.is_empty(), "{:?}", check.issues);
    let mut clean = custodian_validation::ValidationReport::default().to_operation_outcome_json();
    clean["text"] = json!({"status": "generated", "div": DIV});
    assert!(v
        .validate(&clean, &ValidateOptions::default())
        .issues
        .is_empty());
    Ok(())
}

#[test]
fn deeply_nested_json_is_refused_not_a_crash() -> Result<(), ValidationError> {
    let v = Validator::new()?;
    // Built by moving values (json! would deep-copy, recursively, at every level).
    let mut ext = json!({"url": "http://x", "valueString": "leaf"});
    for _ in 0..2000 {
        let mut outer = serde_json::Map::new();
        outer.insert("url".into(), json!("http://x"));
        outer.insert("extension".into(), serde_json::Value::Array(vec![ext]));
        ext = serde_json::Value::Object(outer);
    }
    let mut patient =
        json!({"resourceType": "Patient", "text": {"status": "generated", "div": DIV}});
    patient["extension"] = serde_json::Value::Array(vec![ext]);
    let report = v.validate(&patient, &ValidateOptions::default());
    assert!(report
        .errors()
        .any(|i| i.diagnostics.contains("nested more than")));
    // Dropping such a Value recurses too; leak it to keep the test about validation.
    std::mem::forget(patient);
    Ok(())
}

#[test]
fn the_validator_can_be_shared_between_worker_threads() {
    fn shared<T: Send + Sync + Copy + 'static>() {}
    shared::<Validator>();
}
