//! Conditional create (`If-None-Exist`), update (`PUT Type?criteria`) and delete
//! (`DELETE Type?criteria`) at 0, 1 and 2 matches, and concurrent conditional creates, on
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod helpers;

use common::{patient, Server};
use helpers::{count, enc, search_ids};
use serde_json::{json, Value};

backends!(
    conditional_create_zero_one_two_matches,
    conditional_create_criteria_errors,
    conditional_update_zero_one_two_matches,
    conditional_update_with_body_id,
    conditional_delete_zero_one_two_matches,
    concurrent_conditional_creates_make_one_resource,
    concurrent_conditional_updates_make_one_resource,
    deleted_resources_do_not_match_criteria,
    criteria_with_chains_and_has,
    racing_creates_with_reordered_criteria_make_one_resource,
    nul_bytes_in_content_and_criteria_are_client_errors,
    result_parameters_alone_select_nothing,
    preconditions_of_conditional_writes,
);

const SYS: &str = "http://example.org/mrn";

fn with_mrn(family: &str, mrn: &str) -> Value {
    let mut p = patient(family);
    p["identifier"] = json!([{"system": SYS, "value": mrn}]);
    p
}

/// A delete answers 200 (with an OperationOutcome) or 204.
fn assert_deleted(r: &common::Resp) {
    assert!(
        r.status == 200 || r.status == 204,
        "{}: {}",
        r.status,
        r.body
    );
}

fn criteria(mrn: &str) -> String {
    format!("identifier={}", enc(&format!("{SYS}|{mrn}")))
}

fn conditional_create_zero_one_two_matches(s: &Server) {
    // 0 matches: created.
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("C-1"))
        .json(&with_mrn("Once", "C-1"))
        .send();
    r.assert_status(201);
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(r
        .h("location")
        .contains(&format!("Patient/{id}/_history/1")));
    // 1 match: 200 with the existing resource, nothing written.
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("C-1"))
        .json(&with_mrn("Twice", "C-1"))
        .send();
    r.assert_status(200);
    let existing = r.json();
    assert_eq!(existing["id"], id.as_str());
    // Asked for an outcome, it says that nothing was written.
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("C-1"))
        .header("Prefer", "return=OperationOutcome")
        .json(&with_mrn("Twice", "C-1"))
        .send();
    r.assert_status(200);
    let text = r.json()["issue"][0]["diagnostics"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("nothing was written"), "{text}");
    assert_eq!(existing["name"][0]["family"], "Once");
    assert_eq!(r.etag_version(), 1);
    assert_eq!(count(s, &format!("Patient?{}", criteria("C-1"))), 1);
    assert_eq!(s.history_all(&format!("Patient/{id}/_history")).len(), 1);
    // The full URL form of the criteria works too.
    let r = s
        .req("POST", "Patient")
        .header(
            "If-None-Exist",
            &format!("{}/Patient?{}", s.base, criteria("C-1")),
        )
        .json(&with_mrn("Thrice", "C-1"))
        .send();
    assert!(
        r.status == 200 || r.status == 400,
        "{}: {}",
        r.status,
        r.body
    );
    // 2 matches: 412, nothing written.
    s.create(&with_mrn("DupA", "C-2"));
    s.create(&with_mrn("DupB", "C-2"));
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("C-2"))
        .json(&with_mrn("DupC", "C-2"))
        .send();
    r.assert_outcome(412, "multiple-matches");
    assert_eq!(count(s, &format!("Patient?{}", criteria("C-2"))), 2);
    // Criteria with several parameters (AND).
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &format!("{}&family=Once", criteria("C-1")))
        .json(&with_mrn("Other", "C-1"))
        .send();
    r.assert_status(200);
    let r = s
        .req("POST", "Patient")
        .header(
            "If-None-Exist",
            &format!("{}&family=Different", criteria("C-1")),
        )
        .json(&with_mrn("Different", "C-1"))
        .send();
    r.assert_status(201);
}

fn conditional_create_criteria_errors(s: &Server) {
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", "nonsense=1")
        .json(&patient("Bad"))
        .send();
    let issue = r.assert_outcome(400, "invalid");
    assert!(issue["diagnostics"].as_str().unwrap().contains("nonsense"));
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", "")
        .json(&patient("Bad"))
        .send();
    r.assert_status(400);
    // An invalid resource is refused even when the criteria match nothing.
    let mut bad = with_mrn("Bad", "C-9");
    bad["gender"] = json!("x");
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("C-9"))
        .json(&bad)
        .send();
    r.assert_status(400);
    assert_eq!(count(s, "Patient"), 0);
}

fn conditional_update_zero_one_two_matches(s: &Server) {
    // 0 matches, no id in the body: created with a server id.
    let path = format!("Patient?{}", criteria("U-1"));
    let r = s.put(&path, &with_mrn("First", "U-1"));
    r.assert_status(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.etag_version(), 1);
    // 1 match: updated (version 2), same id.
    let r = s.put(&path, &with_mrn("Second", "U-1"));
    r.assert_status(200);
    assert_eq!(r.json()["id"], id.as_str());
    assert_eq!(r.etag_version(), 2);
    let read = s.get(&format!("Patient/{id}")).json();
    assert_eq!(read["name"][0]["family"], "Second");
    assert_eq!(search_ids(s, &path), vec![id.clone()]);
    // 2 matches: 412, nothing changes.
    s.create(&with_mrn("DupA", "U-2"));
    s.create(&with_mrn("DupB", "U-2"));
    let dup = format!("Patient?{}", criteria("U-2"));
    s.put(&dup, &with_mrn("DupC", "U-2"))
        .assert_outcome(412, "multiple-matches");
    assert_eq!(count(s, &dup), 2);
    assert_eq!(count(s, "Patient?family=dupc"), 0);
    // If-Match applies to the matched resource.
    let r = s
        .req("PUT", &path)
        .header("If-Match", "W/\"1\"")
        .json(&with_mrn("Stale", "U-1"))
        .send();
    r.assert_status(412);
    let r = s
        .req("PUT", &path)
        .header("If-Match", "W/\"2\"")
        .json(&with_mrn("Third", "U-1"))
        .send();
    r.assert_status(200);
    assert_eq!(r.etag_version(), 3);
    // Unknown criteria parameters are refused.
    s.put("Patient?nonsense=1", &patient("X"))
        .assert_outcome(400, "invalid");
}

fn conditional_update_with_body_id(s: &Server) {
    let path = format!("Patient?{}", criteria("B-1"));
    // 0 matches and an id in the body: created with that id.
    let mut p = with_mrn("Chosen", "B-1");
    p["id"] = json!("chosen-id-1");
    let r = s.put(&path, &p);
    r.assert_status(201);
    assert_eq!(r.json()["id"], "chosen-id-1");
    // 1 match with the same id: updated.
    p["active"] = json!(false);
    s.put(&path, &p).assert_status(200);
    // 1 match with a different id: refused, nothing written.
    let mut other = with_mrn("Other", "B-1");
    other["id"] = json!("another-id");
    let r = s.put(&path, &other);
    assert!(
        r.status == 400 || r.status == 409,
        "{}: {}",
        r.status,
        r.body
    );
    s.get("Patient/another-id").assert_status(404);
    assert_eq!(s.get("Patient/chosen-id-1").etag_version(), 2);
}

fn conditional_delete_zero_one_two_matches(s: &Server) {
    let one = s.create(&with_mrn("Gone", "D-1"));
    let id = one["id"].as_str().unwrap();
    // 1 match: deleted.
    let r = s.delete(&format!("Patient?{}", criteria("D-1")));
    assert_deleted(&r);
    s.get(&format!("Patient/{id}")).assert_status(410);
    // 0 matches (it is deleted now): 404.
    s.delete(&format!("Patient?{}", criteria("D-1")))
        .assert_outcome(404, "not-found");
    s.delete(&format!("Patient?{}", criteria("never")))
        .assert_outcome(404, "not-found");
    // 2 matches: 412, both stay.
    let a = s.create(&with_mrn("A", "D-2"));
    let b = s.create(&with_mrn("B", "D-2"));
    s.delete(&format!("Patient?{}", criteria("D-2")))
        .assert_outcome(412, "multiple-matches");
    for p in [a, b] {
        s.get(&format!("Patient/{}", p["id"].as_str().unwrap()))
            .assert_status(200);
    }
    // Criteria are required and strict.
    s.delete("Patient?nonsense=1")
        .assert_outcome(400, "invalid");
}

fn concurrent_conditional_creates_make_one_resource(s: &Server) {
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                scope.spawn(move || {
                    let r = s
                        .req("POST", "Patient")
                        .header("If-None-Exist", &criteria("RACE-1"))
                        .json(&with_mrn(&format!("Racer{i}"), "RACE-1"))
                        .send();
                    let id = if r.status == 200 || r.status == 201 {
                        r.json()["id"].as_str().unwrap().to_owned()
                    } else {
                        String::new()
                    };
                    (r.status, id)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = statuses.iter().filter(|(st, _)| *st == 201).count();
    assert_eq!(created, 1, "{statuses:?}");
    for (status, _) in &statuses {
        // A loser sees the winner (200) or, at worst, a retryable conflict.
        assert!(matches!(status, 200 | 201 | 409), "{statuses:?}");
    }
    let ids: std::collections::HashSet<&String> = statuses
        .iter()
        .filter(|(_, id)| !id.is_empty())
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids.len(), 1, "{statuses:?}");
    assert_eq!(count(s, &format!("Patient?{}", criteria("RACE-1"))), 1);
    assert_eq!(count(s, "Patient"), 1);
}

fn concurrent_conditional_updates_make_one_resource(s: &Server) {
    race_conditional_updates(s, "RACE-2", false, &[200, 201, 409]);
    // The bodies carry their own, different ids (two systems syncing one patient): still one
    // resource; the others are told the criteria match a resource with another id.
    race_conditional_updates(s, "RACE-3", true, &[201, 400, 409]);
}

/// 8 concurrent `PUT Patient?identifier=<mrn>` (bodies with ids of their own when `with_ids`):
/// exactly one creates, every status is one of `allowed`, one resource matches.
fn race_conditional_updates(s: &Server, mrn: &str, with_ids: bool, allowed: &[u16]) {
    let path = format!("Patient?{}", criteria(mrn));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                let mut body = with_mrn(&format!("Upd{i}"), mrn);
                if with_ids {
                    body["id"] = json!(format!("{}-{i}", mrn.to_lowercase()));
                }
                scope.spawn(move || s.put(&path, &body).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|st| **st == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|st| allowed.contains(st)),
        "{statuses:?}"
    );
    assert_eq!(count(s, &path), 1, "{statuses:?}");
}

fn deleted_resources_do_not_match_criteria(s: &Server) {
    let old = s.create(&with_mrn("Old", "DEL-1"));
    s.delete(&format!("Patient/{}", old["id"].as_str().unwrap()))
        .assert_status(200);
    // Conditional create: the deleted one does not count; a new one is created.
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", &criteria("DEL-1"))
        .json(&with_mrn("New", "DEL-1"))
        .send();
    r.assert_status(201);
    let new_id = r.json()["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old["id"].as_str().unwrap());
    // Conditional update: updates the live one only.
    let r = s.put(
        &format!("Patient?{}", criteria("DEL-1")),
        &with_mrn("Newer", "DEL-1"),
    );
    r.assert_status(200);
    assert_eq!(r.json()["id"], new_id.as_str());
    s.get(&format!("Patient/{}", old["id"].as_str().unwrap()))
        .assert_status(410);
}

/// NUL bytes in a resource and in conditional criteria: refused or handled, never a 500.
fn nul_bytes_in_content_and_criteria_are_client_errors(s: &Server) {
    let mut p = patient("Nul");
    p["name"][0]["family"] = json!("a\u{0}b");
    let r = s.post("Patient", &p);
    assert!(
        r.status == 201 || r.status == 400,
        "create: {} {}",
        r.status,
        r.body
    );
    let r = s
        .req("POST", "Patient")
        .header("If-None-Exist", "identifier=x%00")
        .json(&patient("NulCriteria"))
        .send();
    assert!(
        matches!(r.status, 200 | 201 | 400),
        "If-None-Exist: {} {}",
        r.status,
        r.body
    );
    let r = s.put("Patient?identifier=x%00", &patient("NulUpdate"));
    assert!(
        matches!(r.status, 200 | 201 | 400),
        "PUT: {} {}",
        r.status,
        r.body
    );
    let r = s.delete("Patient?identifier=x%00");
    assert!(
        matches!(r.status, 404 | 400),
        "DELETE: {} {}",
        r.status,
        r.body
    );
}

fn criteria_with_chains_and_has(s: &Server) {
    let p = s.create(&with_mrn("Chained", "CH-1"));
    let pid = p["id"].as_str().unwrap().to_owned();
    let crit = format!(
        "subject:Patient.identifier={}&class=AMB",
        enc(&format!("{SYS}|CH-1"))
    );
    let r = s
        .req("POST", "Encounter")
        .header("If-None-Exist", &crit)
        .json(&common::encounter(&pid))
        .send();
    r.assert_status(201);
    let r = s
        .req("POST", "Encounter")
        .header("If-None-Exist", &crit)
        .json(&common::encounter(&pid))
        .send();
    r.assert_status(200);
    assert_eq!(count(s, "Encounter"), 1);
    // _has in an update's criteria: the Patient that has that Encounter.
    let mut changed = with_mrn("ChainedUpdated", "CH-1");
    changed["active"] = json!(false);
    let r = s.put("Patient?_has:Encounter:subject:class=AMB", &changed);
    r.assert_status(200);
    assert_eq!(r.json()["id"], pid.as_str());
}

/// The same criteria written in different orders (and encodings) are the same condition:
/// racing creates still make one resource.
fn racing_creates_with_reordered_criteria_make_one_resource(s: &Server) {
    let forms = [
        format!("{}&family=Reorder", criteria("RO-1")),
        format!("family=Reorder&{}", criteria("RO-1")),
        format!("family=reorder&identifier={SYS}|RO-1"),
        format!("identifier={SYS}%7CRO-1&family=REORDER"),
    ];
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let crit = forms[i % forms.len()].clone();
                scope.spawn(move || {
                    s.req("POST", "Patient")
                        .header("If-None-Exist", &crit)
                        .json(&with_mrn("Reorder", "RO-1"))
                        .send()
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses
            .iter()
            .all(|st| matches!(st, 200 | 201 | 409 | 412)),
        "{statuses:?}"
    );
    assert_eq!(count(s, "Patient?identifier=RO-1"), 1, "{statuses:?}");
}

/// Criteria made only of result parameters (`_count`, `_format`, ...) select no resource: with
/// one Patient stored they used to delete, overwrite or return it.
fn result_parameters_alone_select_nothing(s: &Server) {
    let only = s.create(&with_mrn("Only", "R-1"));
    let id = only["id"].as_str().unwrap();
    for criteria in [
        "_format=json",
        "_count=10",
        "_sort=family",
        "_elements=name",
    ] {
        s.delete(&format!("Patient?{criteria}"))
            .assert_outcome(400, "invalid");
        s.put(&format!("Patient?{criteria}"), &patient("Overwritten"))
            .assert_outcome(400, "invalid");
        s.req("POST", "Patient")
            .header("If-None-Exist", criteria)
            .json(&patient("New"))
            .send()
            .assert_outcome(400, "invalid");
    }
    let r = s.post(
        "",
        &json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "DELETE", "url": "Patient?_count=1"}}
        ]}),
    );
    r.assert_status(200);
    assert!(
        r.json()["entry"][0]["response"]["status"]
            .as_str()
            .unwrap()
            .starts_with("400"),
        "{}",
        r.body
    );
    let read = s.get(&format!("Patient/{id}"));
    read.assert_status(200);
    assert_eq!(read.etag_version(), 1);
    assert_eq!(count(s, "Patient"), 1);
}

/// `If-Match` holds for conditional deletes and for conditional updates that create; a
/// conditional update that matched nothing does not overwrite an unmatched resource of the
/// body's id.
fn preconditions_of_conditional_writes(s: &Server) {
    let one = s.create(&with_mrn("Kept", "P-1"));
    let id = one["id"].as_str().unwrap().to_owned();
    let path = format!("Patient?{}", criteria("P-1"));
    s.req("DELETE", &path)
        .header("If-Match", "W/\"5\"")
        .send()
        .assert_status(412);
    s.req("DELETE", &path)
        .header("If-Match", "garbage")
        .send()
        .assert_status(400);
    s.get(&format!("Patient/{id}")).assert_status(200);
    let r = s.req("DELETE", &path).header("If-Match", "W/\"1\"").send();
    assert_deleted(&r);
    s.get(&format!("Patient/{id}")).assert_status(410);
    // No match: nothing can be the expected version.
    let new = format!("Patient?{}", criteria("P-2"));
    s.req("PUT", &new)
        .header("If-Match", "W/\"1\"")
        .json(&with_mrn("New", "P-2"))
        .send()
        .assert_status(412);
    assert_eq!(count(s, &new), 0);
    // No match and the body names an existing resource the criteria do not match: 409.
    let mut other = with_mrn("Other", "P-3");
    other["id"] = json!("p-three");
    s.put("Patient/p-three", &other).assert_status(201);
    let mut takeover = with_mrn("Takeover", "P-4");
    takeover["id"] = json!("p-three");
    s.put(&format!("Patient?{}", criteria("P-4")), &takeover)
        .assert_outcome(409, "conflict");
    let kept = s.get("Patient/p-three");
    assert_eq!(kept.etag_version(), 1);
    assert_eq!(kept.json()["name"][0]["family"], "Other");
    assert_eq!(count(s, &format!("Patient?{}", criteria("P-4"))), 0);
    // A deleted id is free again: update-as-create.
    s.delete("Patient/p-three");
    s.put(&format!("Patient?{}", criteria("P-4")), &takeover)
        .assert_status(201);
}
