//! `$validate` on the type and on an instance, with a resource or a Parameters body, on
//! SQLite and PostgreSQL: 200 with an OperationOutcome listing everything found, nothing
//! stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod helpers;

use common::{condition, encounter, patient, Server};
use helpers::count;
use serde_json::{json, Value};

backends!(
    clean_resources_answer_no_issues,
    errors_are_all_listed_with_code_and_expression,
    parameters_form_with_modes,
    update_mode_checks_the_id,
    type_mismatch_and_bad_requests,
    validate_stores_nothing,
    references_are_checked,
    bad_codes_and_invariants_are_reported_together,
);

fn validate(s: &Server, path: &str, body: &Value) -> Value {
    let r = s.post(path, body);
    r.assert_status(200).assert_fhir_json();
    let oo = r.json();
    assert_eq!(oo["resourceType"], "OperationOutcome", "{path}: {oo}");
    assert!(!oo["issue"].as_array().unwrap().is_empty(), "{oo}");
    oo
}

fn issues(oo: &Value) -> Vec<Value> {
    oo["issue"].as_array().cloned().unwrap_or_default()
}

fn errors(oo: &Value) -> Vec<Value> {
    issues(oo)
        .into_iter()
        .filter(|i| matches!(i["severity"].as_str(), Some("error" | "fatal")))
        .collect()
}

/// The error issue with `code` at `expression`.
fn error_at(oo: &Value, code: &str, expression: &str) -> Value {
    errors(oo)
        .into_iter()
        .find(|i| {
            i["code"] == code
                && i["expression"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|x| x == expression))
        })
        .unwrap_or_else(|| panic!("no {code} error at {expression} in {oo}"))
}

fn assert_clean(oo: &Value) {
    assert!(errors(oo).is_empty(), "{oo}");
}

fn assert_no_issues(oo: &Value) {
    let all = issues(oo);
    assert_eq!(all.len(), 1, "{oo}");
    assert_eq!(
        all[0]["severity"], "information",
        "a clean outcome says so: {oo}"
    );
}

/// A Patient with a narrative, so not even the dom-6 warning applies.
fn narrated(family: &str) -> Value {
    let mut p = patient(family);
    p["text"] = json!({"status": "generated",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{family}</div>")});
    p
}

fn clean_resources_answer_no_issues(s: &Server) {
    let p = s.create(&patient("Valid"));
    let pid = p["id"].as_str().unwrap();
    let oo = validate(s, "Patient/$validate", &narrated("Clean"));
    assert_clean(&oo);
    assert_eq!(issues(&oo).len(), 1, "{oo}");
    assert_eq!(issues(&oo)[0]["code"], "informational", "{oo}");
    // Warnings do not make it unclean, and are listed.
    let oo = validate(s, "Patient/$validate", &patient("NoNarrative"));
    assert!(errors(&oo).is_empty(), "{oo}");
    assert!(
        issues(&oo)
            .iter()
            .any(|i| i["severity"] == "warning" && i.to_string().contains("dom-6")),
        "{oo}"
    );
    assert_clean(&validate(s, "Encounter/$validate", &encounter(pid)));
    assert_clean(&validate(s, "Condition/$validate", &condition(pid)));
    // On an instance, with the matching id.
    let mut with_id = patient("Clean");
    with_id["id"] = json!(pid);
    assert_clean(&validate(s, &format!("Patient/{pid}/$validate"), &with_id));
    // application/json bodies are accepted too.
    let r = s
        .req("POST", "Patient/$validate")
        .body("application/json", &patient("Json").to_string())
        .send();
    r.assert_status(200);
}

/// Several problems in one resource, each found by validation proper, all reported.
fn errors_are_all_listed_with_code_and_expression(s: &Server) {
    let mut p = patient("Broken");
    p["contact"] = json!([{"gender": "female"}, {"gender": "male"}]);
    p["text"] = json!({"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>"});
    let oo = validate(s, "Patient/$validate", &p);
    for at in ["Patient.contact[0]", "Patient.contact[1]"] {
        let issue = error_at(&oo, "invariant", at);
        assert!(issue.to_string().contains("pat-1"), "{issue}");
    }
    assert!(
        errors(&oo)
            .iter()
            .any(|i| i["expression"].to_string().contains("Patient.text.div")),
        "{oo}"
    );
    assert!(errors(&oo).len() >= 3, "{oo}");
    // Every issue has severity, code and diagnostics.
    for i in issues(&oo) {
        assert!(i["severity"].is_string() && i["code"].is_string(), "{i}");
        assert!(i["diagnostics"].is_string(), "{i}");
    }
    // Missing required elements of an Encounter.
    let oo = validate(
        s,
        "Encounter/$validate",
        &json!({"resourceType": "Encounter"}),
    );
    error_at(&oo, "required", "Encounter.status");
    error_at(&oo, "required", "Encounter.class");
    // Structure errors (unknown element) come back as issues, still 200.
    let oo = validate(
        s,
        "Patient/$validate",
        &json!({"resourceType": "Patient", "colour": "blue"}),
    );
    let e = errors(&oo);
    assert!(e.iter().any(|i| i["code"] == "structure"), "{oo}");
    // A bad code alone.
    let mut p = patient("BadGender");
    p["gender"] = json!("x");
    let oo = validate(s, "Patient/$validate", &p);
    error_at(&oo, "code-invalid", "Patient.gender");
}

/// issue 6: "All issues of a resource are reported at once, not only the first."
fn bad_codes_and_invariants_are_reported_together(s: &Server) {
    let mut p = patient("Broken");
    p["gender"] = json!("x");
    p["name"][0]["use"] = json!("nickname-ish");
    p["contact"] = json!([{"gender": "female"}]);
    let oo = validate(s, "Patient/$validate", &p);
    error_at(&oo, "code-invalid", "Patient.gender");
    error_at(&oo, "code-invalid", "Patient.name[0].use");
    error_at(&oo, "invariant", "Patient.contact[0]");
}

fn parameters(resource: Option<Value>, mode: Option<&str>) -> Value {
    let mut params = Vec::new();
    if let Some(r) = resource {
        params.push(json!({"name": "resource", "resource": r}));
    }
    if let Some(m) = mode {
        params.push(json!({"name": "mode", "valueCode": m}));
    }
    json!({"resourceType": "Parameters", "parameter": params})
}

fn parameters_form_with_modes(s: &Server) {
    let oo = validate(
        s,
        "Patient/$validate",
        &parameters(Some(narrated("ParamClean")), None),
    );
    assert_no_issues(&oo);
    let oo = validate(
        s,
        "Patient/$validate",
        &parameters(Some(patient("ParamCreate")), Some("create")),
    );
    assert_clean(&oo);
    let mut bad = patient("ParamBad");
    bad["gender"] = json!("x");
    let oo = validate(
        s,
        "Patient/$validate",
        &parameters(Some(bad), Some("create")),
    );
    error_at(&oo, "code-invalid", "Patient.gender");
    // mode=delete on an instance needs no resource.
    let p = s.create(&patient("ToDelete"));
    let oo = validate(
        s,
        &format!("Patient/{}/$validate", p["id"].as_str().unwrap()),
        &parameters(None, Some("delete")),
    );
    assert!(errors(&oo).is_empty(), "{oo}");
    // An unknown mode and a missing resource are bad requests.
    s.post(
        "Patient/$validate",
        &parameters(Some(patient("X")), Some("sideways")),
    )
    .assert_outcome(400, "invalid");
    s.post("Patient/$validate", &parameters(None, Some("create")))
        .assert_outcome(400, "invalid");
}

fn update_mode_checks_the_id(s: &Server) {
    let p = s.create(&patient("Updatable"));
    let id = p["id"].as_str().unwrap().to_owned();
    let mut same = p.clone();
    same["active"] = json!(false);
    let oo = validate(
        s,
        &format!("Patient/{id}/$validate"),
        &parameters(Some(same.clone()), Some("update")),
    );
    assert!(errors(&oo).is_empty(), "{oo}");
    // The body's id differs from the URL's.
    let mut other = same.clone();
    other["id"] = json!("someone-else");
    let oo = validate(
        s,
        &format!("Patient/{id}/$validate"),
        &parameters(Some(other), Some("update")),
    );
    error_at(&oo, "invalid", "Patient.id");
    // No id at all.
    let mut none = same.clone();
    none.as_object_mut().unwrap().remove("id");
    let oo = validate(
        s,
        &format!("Patient/{id}/$validate"),
        &parameters(Some(none), Some("update")),
    );
    error_at(&oo, "required", "Patient.id");
    // Plain resource body on an instance with a different id.
    let oo = validate(s, &format!("Patient/{id}/$validate"), &{
        let mut x = same;
        x["id"] = json!("mismatch");
        x
    });
    error_at(&oo, "invalid", "Patient.id");
}

fn type_mismatch_and_bad_requests(s: &Server) {
    let oo = validate(s, "Encounter/$validate", &patient("WrongType"));
    let e = errors(&oo);
    assert!(e.iter().any(|i| i["code"] == "invalid"), "{oo}");
    s.post(
        "Observation/$validate",
        &json!({"resourceType": "Observation"}),
    )
    .assert_status(404);
    s.req("POST", "Patient/$validate")
        .body("application/fhir+json", "{not json")
        .send()
        .assert_outcome(400, "invalid");
    s.req("POST", "Patient/$validate")
        .body("application/fhir+xml", "<Patient/>")
        .send()
        .assert_status(415);
    s.get("Patient/$validate").assert_status(405);
    // Validation against a named profile is not supported yet: said so.
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": patient("Profiled")},
        {"name": "profile", "valueUri": "http://example.org/StructureDefinition/x"}
    ]});
    s.post("Patient/$validate", &body)
        .assert_outcome(400, "not-supported");
}

fn validate_stores_nothing(s: &Server) {
    for i in 0..3 {
        validate(s, "Patient/$validate", &patient(&format!("Ghost{i}")));
    }
    let mut p = patient("GhostId");
    p["id"] = json!("ghost-id");
    validate(s, "Patient/ghost-id/$validate", &p);
    assert_eq!(count(s, "Patient"), 0);
    s.get("Patient/ghost-id").assert_status(404);
    assert!(s.history_all("_history").is_empty());
}

fn references_are_checked(s: &Server) {
    // A local reference to no stored Patient is reported (referential integrity).
    let oo = validate(s, "Encounter/$validate", &encounter("nobody-here"));
    let e = errors(&oo);
    assert!(
        e.iter()
            .any(|i| i["expression"].to_string().contains("Encounter.subject")),
        "{oo}"
    );
    // A subject of a type the element does not allow.
    let mut c = condition("x");
    c["subject"] = json!({"reference": "Encounter/abc"});
    let oo = validate(s, "Condition/$validate", &c);
    assert!(
        errors(&oo)
            .iter()
            .any(|i| i["expression"].to_string().contains("Condition.subject")),
        "{oo}"
    );
}
