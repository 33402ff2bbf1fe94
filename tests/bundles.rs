//! Batch and transaction Bundles posted to the base, on SQLite and PostgreSQL: atomicity,
//! processing order, `urn:uuid` rewriting, conditional references, `ifNoneExist` replays,
//! big transactions, batches mixing success and failure, and the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod helpers;

use common::{condition, encounter, patient, Server};
use helpers::{
    bundle, count, diagnostics, enc, location_ref, post_entry, put_entry, request_entry,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Instant;

backends!(
    transaction_creates_and_answers_in_request_order,
    transaction_with_a_failing_last_entry_leaves_nothing,
    transaction_failures_roll_back_every_kind_of_entry,
    transaction_processes_deletes_before_creates_whatever_the_order,
    urn_uuid_references_are_rewritten_nested_and_in_arrays,
    unknown_urn_uuid_reference_fails_the_transaction,
    conditional_references_zero_one_two_matches,
    if_none_exist_replay_creates_once,
    conditional_update_and_delete_entries,
    if_match_and_if_none_match_on_entries,
    thousand_entry_transaction,
    batch_mixes_success_and_failure,
    batch_entries_may_not_reference_each_other_by_urn,
    bundle_types_other_than_batch_and_transaction_are_refused,
    duplicate_full_urls_and_same_resource_twice_are_refused,
    unsupported_resource_types_fail_naming_type_and_entry,
    prefer_return_shapes_response_entries,
    trailing_slash_and_non_bundle_bodies,
    transaction_read_and_search_entries_see_the_writes,
    patch_entries_apply_a_json_patch,
    patch_entries_take_a_fhirpath_patch,
    oid_and_absolute_full_urls_are_rewritten,
    entries_may_reference_resources_put_in_the_same_transaction,
    absolute_request_urls_nested_conditional_references_and_batch_replays,
    racing_transactions_with_the_same_if_match_one_wins,
    delete_then_create_with_if_none_exist_replaces,
    concurrent_transactions_with_the_same_if_none_exist_create_once,
    invalid_entry_outcome_names_index_and_full_url,
    transaction_cannot_delete_what_another_entry_references,
    transaction_search_entry_failures_leave_nothing,
    concurrent_conditional_update_entries_create_once,
    if_modified_since_on_read_entries,
    conditional_entries_are_judged_before_the_bundles_own_writes,
    two_entries_creating_under_one_criteria_are_refused,
    last_updated_search_entry_in_a_transaction,
    entry_headers_and_ids_cannot_redirect_a_write,
    head_entries_answer_without_the_resource,
);

const SYS: &str = "http://example.org/mrn";

fn with_mrn(family: &str, mrn: &str) -> Value {
    let mut p = patient(family);
    p["identifier"] = json!([{"system": SYS, "value": mrn}]);
    p
}

fn uuid(n: u32) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-{n:012}")
}

fn encounter_of(subject_ref: &str) -> Value {
    let mut e = encounter("x");
    e["subject"] = json!({"reference": subject_ref});
    e
}

fn condition_of(subject_ref: &str) -> Value {
    let mut c = condition("x");
    c["subject"] = json!({"reference": subject_ref});
    c
}

/// Posts `b` to the base and returns the response.
fn post_bundle(s: &Server, b: &Value) -> common::Resp {
    s.post("", b)
}

/// Posts a transaction expecting 200 and a transaction-response of `n` entries.
fn transact(s: &Server, entries: Vec<Value>) -> Value {
    let n = entries.len();
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_status(200).assert_fhir_json();
    let b = r.json();
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "transaction-response", "{b}");
    assert_eq!(b["entry"].as_array().map(Vec::len), Some(n), "{b}");
    b
}

/// Posts the Bundles at once, one thread each: (HTTP status, first entry's status or "").
fn post_concurrently(s: &Server, bundles: Vec<Value>) -> Vec<(u16, String)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = bundles
            .into_iter()
            .map(|b| {
                scope.spawn(move || {
                    let r = post_bundle(s, &b);
                    let status = if r.status == 200 {
                        status_of(&r.json()["entry"][0])
                    } else {
                        String::new()
                    };
                    (r.status, status)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn status_of(entry: &Value) -> String {
    entry["response"]["status"]
        .as_str()
        .unwrap_or_else(|| panic!("no response.status in {entry}"))
        .to_owned()
}

fn transaction_creates_and_answers_in_request_order(s: &Server) {
    let existing = s.create(&patient("Existing"));
    let existing_id = existing["id"].as_str().unwrap();
    let entries = vec![
        request_entry("GET", &format!("Patient/{existing_id}")),
        post_entry(&uuid(1), patient("TxOne")),
        put_entry(
            "Patient/tx-client-id",
            json!({"resourceType": "Patient", "id": "tx-client-id", "gender": "female"}),
        ),
        post_entry(&uuid(2), encounter_of(&uuid(1))),
    ];
    let b = transact(s, entries);
    let e = b["entry"].as_array().unwrap();
    assert!(status_of(&e[0]).starts_with("200"), "{b}");
    assert_eq!(e[0]["resource"]["id"], existing_id);
    assert!(status_of(&e[1]).starts_with("201"), "{b}");
    assert!(status_of(&e[2]).starts_with("201"), "{b}");
    assert!(status_of(&e[3]).starts_with("201"), "{b}");
    for created in &e[1..] {
        assert_eq!(created["response"]["etag"], "W/\"1\"", "{created}");
        assert!(created["response"]["lastModified"].is_string(), "{created}");
        assert!(created["response"]["location"]
            .as_str()
            .unwrap()
            .contains("/_history/1"));
    }
    assert_eq!(location_ref(&e[2]), "Patient/tx-client-id");
    let patient_ref = location_ref(&e[1]);
    assert!(patient_ref.starts_with("Patient/"));
    let enc_ref = location_ref(&e[3]);
    let stored = s.get(&enc_ref).json();
    assert_eq!(stored["subject"]["reference"], patient_ref.as_str());
    s.get(&patient_ref).assert_status(200);
    s.get("Patient/tx-client-id").assert_status(200);
}

/// Creates that must not be there, checked by search and by history.
fn assert_nothing_named(s: &Server, family: &str) {
    assert_eq!(count(s, &format!("Patient?family={family}")), 0, "{family}");
    let history = s.history_all("Patient/_history");
    for e in &history {
        let name = e["resource"]["name"][0]["family"]
            .as_str()
            .unwrap_or_default();
        assert!(
            !name.eq_ignore_ascii_case(family),
            "{family} in history: {e}"
        );
    }
}

fn transaction_with_a_failing_last_entry_leaves_nothing(s: &Server) {
    let before = s.history_all("_history").len();
    let mut bad = patient("AtomBad");
    bad["gender"] = json!("not-a-gender");
    let entries = vec![
        post_entry(&uuid(1), patient("Atom")),
        post_entry(&uuid(2), encounter_of(&uuid(1))),
        post_entry(&uuid(3), condition_of(&uuid(1))),
        post_entry(&uuid(4), bad),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_status(400);
    let oo = r.json();
    assert_eq!(oo["resourceType"], "OperationOutcome", "{oo}");
    let expressions: Vec<String> = oo["issue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["expression"].as_array().cloned().unwrap_or_default())
        .map(|x| x.as_str().unwrap().to_owned())
        .collect();
    assert!(
        expressions
            .iter()
            .any(|x| x == "Bundle.entry[3].resource.gender"),
        "{expressions:?}"
    );
    assert_nothing_named(s, "Atom");
    assert_eq!(count(s, "Encounter"), 0);
    assert_eq!(count(s, "Condition"), 0);
    assert_eq!(s.history_all("_history").len(), before);
}

/// A resource that fails validation inside a transaction: the outcome names the entry by
/// index and fullUrl (issue 7), not only by the expression.
fn invalid_entry_outcome_names_index_and_full_url(s: &Server) {
    let mut bad = patient("NamedBad");
    bad["gender"] = json!("not-a-gender");
    let entries = vec![
        post_entry(&uuid(1), patient("NamedGood")),
        post_entry(&uuid(2), bad),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_status(400);
    let text = diagnostics(&r.json());
    assert!(text.contains("entry 1"), "{text}");
    assert!(text.contains(&uuid(2)), "{text}");
}

/// Deletes run first; a create in the same transaction that refers to the deleted resource
/// must then fail referential integrity like a plain create would (422).
fn transaction_cannot_delete_what_another_entry_references(s: &Server) {
    let p = s.create(&patient("Doomed"));
    let p_ref = format!("Patient/{}", p["id"].as_str().unwrap());
    let entries = vec![
        post_entry(&uuid(20), encounter_of(&p_ref)),
        request_entry("DELETE", &p_ref),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    assert!(r.status >= 400, "{}: {}", r.status, r.body);
    s.get(&p_ref).assert_status(200);
    assert_eq!(count(s, "Encounter"), 0);
}

fn transaction_failures_roll_back_every_kind_of_entry(s: &Server) {
    let keep = s.create(&patient("Keep"));
    let keep_id = keep["id"].as_str().unwrap().to_owned();
    let mut changed = keep.clone();
    changed["active"] = json!(false);
    // A failure at execution time (a read of a missing resource) after a delete, an update
    // and creates: all undone.
    let entries = vec![
        request_entry("DELETE", &format!("Patient/{keep_id}")),
        post_entry(&uuid(1), patient("Rollback")),
        put_entry("Patient/rollback-client", {
            let mut p = patient("RollbackPut");
            p["id"] = json!("rollback-client");
            p
        }),
        request_entry("GET", "Patient/does-not-exist"),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    let oo = r.json();
    assert!(
        r.status == 404 || r.status == 400,
        "{}: {}",
        r.status,
        r.body
    );
    assert!(diagnostics(&oo).contains("entry 3"), "{oo}");
    let again = s.get(&format!("Patient/{keep_id}"));
    again.assert_status(200);
    assert_eq!(again.etag_version(), 1);
    s.get("Patient/rollback-client").assert_status(404);
    assert_nothing_named(s, "Rollback");
    // An update whose If-Match fails after a create: the create is undone.
    let entries = vec![
        post_entry(&uuid(2), patient("Rollback")),
        json!({"resource": changed, "request": {"method": "PUT", "url": format!("Patient/{keep_id}"), "ifMatch": "W/\"7\""}}),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(diagnostics(&r.json()).contains("entry 1"), "{}", r.body);
    assert_nothing_named(s, "Rollback");
    assert_eq!(s.get(&format!("Patient/{keep_id}")).etag_version(), 1);
    // A reference to a missing resource (referential integrity) fails the whole bundle.
    let entries = vec![
        post_entry(&uuid(3), patient("Rollback")),
        post_entry(&uuid(4), encounter_of("Patient/missing-patient")),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(diagnostics(&r.json()).contains("entry 1"), "{}", r.body);
    assert_nothing_named(s, "Rollback");
}

fn transaction_processes_deletes_before_creates_whatever_the_order(s: &Server) {
    for (round, delete_first) in [(0, true), (1, false)] {
        let victim = s.create(&patient(&format!("Victim{round}")));
        let victim_ref = format!("Patient/{}", victim["id"].as_str().unwrap());
        let delete = request_entry("DELETE", &victim_ref);
        let create = post_entry(&uuid(10 + round), patient(&format!("Newcomer{round}")));
        let entries = if delete_first {
            vec![delete, create]
        } else {
            vec![create, delete]
        };
        let b = transact(s, entries);
        let e = b["entry"].as_array().unwrap();
        // Response entries follow the request order, whatever the processing order.
        let (del, new) = if delete_first {
            (&e[0], &e[1])
        } else {
            (&e[1], &e[0])
        };
        let del_status = status_of(del);
        assert!(
            del_status.starts_with("200") || del_status.starts_with("204"),
            "{b}"
        );
        assert!(status_of(new).starts_with("201"), "{b}");
        s.get(&victim_ref).assert_status(410);
        s.get(&location_ref(new)).assert_status(200);
    }
}

fn urn_uuid_references_are_rewritten_nested_and_in_arrays(s: &Server) {
    let p1 = uuid(1);
    let p2 = uuid(2);
    let c1 = uuid(3);
    let mut enc = encounter_of(&p1);
    enc["text"] = json!({
        "status": "generated",
        "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">Seen: <a href=\"{p1}\">patient</a></div>")
    });
    enc["extension"] = json!([{
        "url": "http://example.org/fhir/StructureDefinition/companion",
        "valueReference": {"reference": p2}
    }, {
        "url": "http://example.org/fhir/StructureDefinition/nested",
        "extension": [{"url": "inner", "valueReference": {"reference": p1}}]
    }]);
    enc["diagnosis"] = json!([
        {"condition": {"reference": c1}},
        {"condition": {"reference": c1}, "rank": 2}
    ]);
    let mut cond = condition_of(&p1);
    cond["evidence"] = json!([{"detail": [{"reference": p2}, {"reference": p1}]}]);
    cond["contained"] = json!([{
        "resourceType": "Patient",
        "id": "relative",
        "link": [{"other": {"reference": p2}, "type": "seealso"}]
    }]);
    cond["asserter"] = json!({"reference": "#relative"});
    let entries = vec![
        post_entry(&uuid(4), enc),
        post_entry(&c1, cond),
        post_entry(&p1, patient("UrnOne")),
        post_entry(&p2, patient("UrnTwo")),
    ];
    let b = transact(s, entries);
    let e = b["entry"].as_array().unwrap();
    let enc_ref = location_ref(&e[0]);
    let cond_ref = location_ref(&e[1]);
    let p1_ref = location_ref(&e[2]);
    let p2_ref = location_ref(&e[3]);
    let stored = s.get(&enc_ref).json();
    assert_eq!(stored["subject"]["reference"], p1_ref.as_str());
    assert_eq!(
        stored["extension"][0]["valueReference"]["reference"],
        p2_ref.as_str()
    );
    assert_eq!(
        stored["extension"][1]["extension"][0]["valueReference"]["reference"],
        p1_ref.as_str()
    );
    assert_eq!(
        stored["diagnosis"][0]["condition"]["reference"],
        cond_ref.as_str()
    );
    assert_eq!(
        stored["diagnosis"][1]["condition"]["reference"],
        cond_ref.as_str()
    );
    let div = stored["text"]["div"].as_str().unwrap();
    assert!(div.contains(&format!("href=\"{p1_ref}\"")), "{div}");
    assert!(!div.contains("urn:uuid"), "{div}");
    let stored = s.get(&cond_ref).json();
    assert_eq!(stored["subject"]["reference"], p1_ref.as_str());
    assert_eq!(
        stored["evidence"][0]["detail"][0]["reference"],
        p2_ref.as_str()
    );
    assert_eq!(
        stored["evidence"][0]["detail"][1]["reference"],
        p1_ref.as_str()
    );
    assert_eq!(
        stored["contained"][0]["link"][0]["other"]["reference"],
        p2_ref.as_str()
    );
    assert_eq!(stored["asserter"]["reference"], "#relative");
    assert!(!s.get(&cond_ref).body.contains("urn:uuid"));
    // The references are searchable as the rewritten ones.
    assert_eq!(count(s, &format!("Encounter?subject={p1_ref}")), 1);
    assert_eq!(count(s, &format!("Condition?subject={p1_ref}")), 1);
}

fn unknown_urn_uuid_reference_fails_the_transaction(s: &Server) {
    let entries = vec![
        post_entry(&uuid(1), patient("Orphaned")),
        post_entry(&uuid(2), encounter_of(&uuid(99))),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_status(400);
    let text = diagnostics(&r.json());
    assert!(
        text.contains(&uuid(99)) && text.contains("entry 1"),
        "{text}"
    );
    assert_nothing_named(s, "Orphaned");
}

fn conditional_references_zero_one_two_matches(s: &Server) {
    let one = s.create(&with_mrn("Single", "CR-1"));
    s.create(&with_mrn("DupA", "CR-2"));
    s.create(&with_mrn("DupB", "CR-2"));
    let cond_ref = |mrn: &str| format!("Patient?identifier={}", enc(&format!("{SYS}|{mrn}")));
    // One match: resolved.
    let b = transact(
        s,
        vec![post_entry(&uuid(1), encounter_of(&cond_ref("CR-1")))],
    );
    let stored = s.get(&location_ref(&b["entry"][0])).json();
    assert_eq!(
        stored["subject"]["reference"],
        format!("Patient/{}", one["id"].as_str().unwrap())
    );
    // Unencoded `|` in the reference works the same.
    transact(
        s,
        vec![post_entry(
            &uuid(2),
            encounter_of(&format!("Patient?identifier={SYS}|CR-1")),
        )],
    );
    // No match and several matches: the transaction fails naming the entry.
    for (mrn, why) in [("CR-0", "matches no"), ("CR-2", "several")] {
        let entries = vec![
            post_entry(&uuid(3), patient("CondRefSibling")),
            post_entry(&uuid(4), condition_of(&cond_ref(mrn))),
        ];
        let r = post_bundle(s, &bundle("transaction", entries));
        let oo = r.assert_outcome(412, "multiple-matches");
        let text = oo["diagnostics"].as_str().unwrap();
        assert!(
            text.contains("entry 1") && text.contains(&uuid(4)),
            "{text}"
        );
        assert!(text.contains(why), "{text}");
        assert_nothing_named(s, "CondRefSibling");
    }
    assert_eq!(count(s, "Condition"), 0);
    assert_eq!(count(s, "Encounter"), 2);
}

fn if_none_exist_replay_creates_once(s: &Server) {
    let make = || {
        let mut enc = encounter_of(&uuid(1));
        enc["identifier"] = json!([{"system": SYS, "value": "ENC-REPLAY"}]);
        bundle(
            "transaction",
            vec![
                json!({
                    "fullUrl": uuid(1),
                    "resource": with_mrn("Replay", "REPLAY-1"),
                    "request": {"method": "POST", "url": "Patient",
                                "ifNoneExist": format!("identifier={SYS}|REPLAY-1")}
                }),
                json!({
                    "fullUrl": uuid(2),
                    "resource": enc,
                    "request": {"method": "POST", "url": "Encounter",
                                "ifNoneExist": format!("identifier={}", enc_value("ENC-REPLAY"))}
                }),
            ],
        )
    };
    let first = post_bundle(s, &make());
    first.assert_status(200);
    let first = first.json();
    assert!(status_of(&first["entry"][0]).starts_with("201"), "{first}");
    assert!(status_of(&first["entry"][1]).starts_with("201"), "{first}");
    let second = post_bundle(s, &make());
    second.assert_status(200);
    let second = second.json();
    assert!(
        status_of(&second["entry"][0]).starts_with("200"),
        "{second}"
    );
    assert!(
        status_of(&second["entry"][1]).starts_with("200"),
        "{second}"
    );
    assert_eq!(
        location_ref(&first["entry"][0]),
        location_ref(&second["entry"][0])
    );
    assert_eq!(count(s, "Patient?identifier=REPLAY-1"), 1);
    assert_eq!(count(s, "Encounter"), 1);
    // The Encounter of the first post points at the one Patient.
    let stored = s.get(&location_ref(&first["entry"][1])).json();
    assert_eq!(
        stored["subject"]["reference"],
        location_ref(&first["entry"][0]).as_str()
    );
    // A third post with a second matching Patient present: several matches fail it.
    s.create(&with_mrn("ReplayDup", "REPLAY-1"));
    let r = post_bundle(s, &make());
    r.assert_outcome(412, "multiple-matches");
}

fn enc_value(v: &str) -> String {
    enc(&format!("{SYS}|{v}"))
}

fn conditional_update_and_delete_entries(s: &Server) {
    let updated = s.create(&with_mrn("CondUpd", "CU-1"));
    let deleted = s.create(&with_mrn("CondDel", "CD-1"));
    s.create(&with_mrn("DupA", "CU-2"));
    s.create(&with_mrn("DupB", "CU-2"));
    let entries = vec![
        put_entry(&format!("Patient?identifier={}", enc_value("CU-1")), {
            let mut p = with_mrn("CondUpdated", "CU-1");
            p["active"] = json!(false);
            p
        }),
        put_entry(
            &format!("Patient?identifier={}", enc_value("CU-NEW")),
            with_mrn("CondCreated", "CU-NEW"),
        ),
        request_entry(
            "DELETE",
            &format!("Patient?identifier={}", enc_value("CD-1")),
        ),
        request_entry(
            "DELETE",
            &format!("Patient?identifier={}", enc_value("CD-NONE")),
        ),
    ];
    let b = transact(s, entries);
    let e = b["entry"].as_array().unwrap();
    assert!(status_of(&e[0]).starts_with("200"), "{b}");
    assert_eq!(
        location_ref(&e[0]),
        format!("Patient/{}", updated["id"].as_str().unwrap())
    );
    assert!(status_of(&e[1]).starts_with("201"), "{b}");
    let u = s.get(&format!("Patient/{}", updated["id"].as_str().unwrap()));
    assert_eq!(u.etag_version(), 2);
    assert_eq!(u.json()["name"][0]["family"], "CondUpdated");
    s.get(&format!("Patient/{}", deleted["id"].as_str().unwrap()))
        .assert_status(410);
    assert_eq!(count(s, "Patient?identifier=CU-NEW"), 1);
    // Several matches fail the transaction.
    let entries = vec![
        post_entry(&uuid(1), patient("CondSibling")),
        put_entry(
            &format!("Patient?identifier={}", enc_value("CU-2")),
            with_mrn("DupC", "CU-2"),
        ),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_outcome(412, "multiple-matches");
    assert_nothing_named(s, "CondSibling");
    let entries = vec![request_entry(
        "DELETE",
        &format!("Patient?identifier={}", enc_value("CU-2")),
    )];
    post_bundle(s, &bundle("transaction", entries)).assert_outcome(412, "multiple-matches");
    assert_eq!(count(s, "Patient?identifier=CU-2"), 2);
}

fn if_match_and_if_none_match_on_entries(s: &Server) {
    let p = s.create(&patient("Versioned"));
    let id = p["id"].as_str().unwrap().to_owned();
    let mut v2 = p.clone();
    v2["active"] = json!(false);
    let entries = vec![json!({
        "resource": v2,
        "request": {"method": "PUT", "url": format!("Patient/{id}"), "ifMatch": "W/\"1\""}
    })];
    let b = transact(s, entries);
    assert_eq!(b["entry"][0]["response"]["etag"], "W/\"2\"");
    let entries = vec![json!({
        "resource": v2,
        "request": {"method": "PUT", "url": format!("Patient/{id}"), "ifMatch": "W/\"1\""}
    })];
    post_bundle(s, &bundle("transaction", entries)).assert_status(412);
    let entries = vec![json!({
        "resource": v2,
        "request": {"method": "PUT", "url": format!("Patient/{id}"), "ifMatch": "garbage"}
    })];
    post_bundle(s, &bundle("transaction", entries)).assert_outcome(400, "invalid");
    // ifNoneMatch on a read: 304 when current.
    let entries = vec![
        json!({"request": {"method": "GET", "url": format!("Patient/{id}"), "ifNoneMatch": "W/\"2\""}}),
        json!({"request": {"method": "GET", "url": format!("Patient/{id}"), "ifNoneMatch": "W/\"1\""}}),
        json!({"request": {"method": "GET", "url": format!("Patient/{id}/_history/1")}}),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][0]).starts_with("304"), "{b}");
    assert!(b["entry"][0].get("resource").is_none(), "{b}");
    assert!(status_of(&b["entry"][1]).starts_with("200"), "{b}");
    assert_eq!(b["entry"][2]["resource"]["meta"]["versionId"], "1");
}

fn thousand_entry_transaction(s: &Server) {
    let mut entries = Vec::with_capacity(1000);
    for i in 0..500u32 {
        entries.push(post_entry(&uuid(i), patient(&format!("Bulk{i}"))));
        entries.push(post_entry(&uuid(10_000 + i), encounter_of(&uuid(i))));
    }
    let started = Instant::now();
    let b = transact(s, entries);
    let elapsed = started.elapsed();
    println!(
        "{:?}: 1,000-entry transaction (500 Patients, 500 Encounters) in {elapsed:?}",
        s.backend
    );
    assert!(b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| status_of(e).starts_with("201")));
    assert_eq!(count(s, "Patient"), 500);
    assert_eq!(count(s, "Encounter"), 500);
    assert_eq!(count(s, "Encounter?subject:Patient.family=Bulk499"), 1);
    // 1,000 Patients only.
    let entries: Vec<Value> = (0..1000u32)
        .map(|i| post_entry(&uuid(20_000 + i), patient(&format!("Flat{i}"))))
        .collect();
    let started = Instant::now();
    transact(s, entries);
    println!(
        "{:?}: 1,000-entry transaction of Patients in {:?}",
        s.backend,
        started.elapsed()
    );
    assert_eq!(count(s, "Patient"), 1500);
}

fn batch_mixes_success_and_failure(s: &Server) {
    let existing = s.create(&patient("BatchExisting"));
    let existing_ref = format!("Patient/{}", existing["id"].as_str().unwrap());
    let mut bad = patient("BatchBad");
    bad["gender"] = json!("x");
    let entries = vec![
        post_entry(&uuid(1), patient("BatchGood")),
        post_entry(&uuid(2), bad),
        request_entry("GET", "Patient/no-such-id"),
        request_entry("GET", &existing_ref),
        put_entry(
            "Patient/batch-client",
            json!({"resourceType": "Patient", "id": "batch-client", "gender": "male"}),
        ),
        post_entry(&uuid(3), encounter_of("Patient/missing")),
        request_entry("GET", "Patient?family=batchexisting"),
        request_entry("DELETE", &existing_ref),
        json!({"resource": {"resourceType": "Observation", "status": "final",
               "code": {"text": "x"}}, "request": {"method": "POST", "url": "Observation"}}),
    ];
    let r = post_bundle(s, &bundle("batch", entries));
    r.assert_status(200);
    let b = r.json();
    assert_eq!(b["type"], "batch-response");
    let e = b["entry"].as_array().unwrap();
    assert_eq!(e.len(), 9, "{b}");
    let statuses: Vec<String> = e.iter().map(status_of).collect();
    assert!(statuses[0].starts_with("201"), "{statuses:?}");
    assert!(statuses[1].starts_with("400"), "{statuses:?}");
    assert!(statuses[2].starts_with("404"), "{statuses:?}");
    assert!(statuses[3].starts_with("200"), "{statuses:?}");
    assert!(statuses[4].starts_with("201"), "{statuses:?}");
    assert!(statuses[5].starts_with("422"), "{statuses:?}");
    assert!(statuses[6].starts_with("200"), "{statuses:?}");
    assert!(
        statuses[7].starts_with("200") || statuses[7].starts_with("204"),
        "{statuses:?}"
    );
    assert!(statuses[8].starts_with("4"), "{statuses:?}");
    // Failures carry an OperationOutcome naming what went wrong.
    let oo = &e[1]["response"]["outcome"];
    assert_eq!(oo["resourceType"], "OperationOutcome", "{b}");
    assert!(
        oo["issue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "code-invalid" && i["expression"].to_string().contains("gender")),
        "{oo}"
    );
    assert_eq!(e[2]["response"]["outcome"]["issue"][0]["code"], "not-found");
    assert!(
        diagnostics(&e[8]["response"]["outcome"]).contains("Observation"),
        "{b}"
    );
    // The search entry answered with a searchset.
    assert_eq!(e[6]["resource"]["type"], "searchset", "{b}");
    // What succeeded stays; what failed left nothing.
    assert_eq!(count(s, "Patient?family=BatchGood"), 1);
    assert_eq!(count(s, "Patient?family=BatchBad"), 0);
    s.get("Patient/batch-client").assert_status(200);
    s.get(&existing_ref).assert_status(410);
    assert_eq!(count(s, "Encounter"), 0);
}

fn batch_entries_may_not_reference_each_other_by_urn(s: &Server) {
    let entries = vec![
        post_entry(&uuid(1), patient("BatchTarget")),
        post_entry(&uuid(2), encounter_of(&uuid(1))),
    ];
    let r = post_bundle(s, &bundle("batch", entries));
    r.assert_status(200);
    let b = r.json();
    assert!(status_of(&b["entry"][0]).starts_with("201"), "{b}");
    assert!(status_of(&b["entry"][1]).starts_with("4"), "{b}");
    assert_eq!(count(s, "Encounter"), 0);
}

fn bundle_types_other_than_batch_and_transaction_are_refused(s: &Server) {
    for kind in [
        "document",
        "collection",
        "searchset",
        "history",
        "message",
        "transaction-response",
    ] {
        let b = json!({"resourceType": "Bundle", "type": kind,
                       "entry": [{"fullUrl": uuid(1), "resource": patient("Typed")}]});
        let r = post_bundle(s, &b);
        assert_eq!(r.status, 400, "{kind}: {}", r.body);
        let oo = r.json();
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert!(
            diagnostics(&oo).contains(kind) || oo.to_string().contains("Bundle.type"),
            "{kind}: {oo}"
        );
    }
    let r = post_bundle(s, &json!({"resourceType": "Bundle", "type": "nonsense"}));
    r.assert_status(400);
    let r = post_bundle(s, &json!({"resourceType": "Bundle"}));
    r.assert_status(400);
    assert_eq!(count(s, "Patient"), 0);
}

fn duplicate_full_urls_and_same_resource_twice_are_refused(s: &Server) {
    let entries = vec![
        post_entry(&uuid(1), patient("DupUrlA")),
        post_entry(&uuid(1), patient("DupUrlB")),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    let issue = r.assert_outcome_at(422, "invariant", "Bundle.entry[1]");
    assert!(
        issue["diagnostics"].as_str().unwrap().contains("bdl-7"),
        "{}",
        r.body
    );
    let same = |id: &str| json!({"resourceType": "Patient", "id": id, "gender": "male"});
    let entries = vec![
        put_entry("Patient/twice", same("twice")),
        put_entry("Patient/twice", same("twice")),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    let oo = r.assert_outcome(400, "invalid");
    assert!(
        oo["diagnostics"]
            .as_str()
            .unwrap()
            .contains("Patient/twice"),
        "{}",
        r.body
    );
    let entries = vec![
        put_entry("Patient/twice", same("twice")),
        request_entry("DELETE", "Patient/twice"),
    ];
    post_bundle(s, &bundle("transaction", entries)).assert_status(400);
    s.get("Patient/twice").assert_status(404);
    assert_eq!(count(s, "Patient"), 0);
}

fn unsupported_resource_types_fail_naming_type_and_entry(s: &Server) {
    let entries = vec![
        post_entry(&uuid(1), patient("WithObservation")),
        json!({
            "fullUrl": uuid(2),
            "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "BP"},
                         "subject": {"reference": uuid(1)}},
            "request": {"method": "POST", "url": "Observation"}
        }),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    assert!(
        r.status == 400 || r.status == 404 || r.status == 422,
        "{}: {}",
        r.status,
        r.body
    );
    let text = diagnostics(&r.json());
    assert!(text.contains("Observation"), "{text}");
    assert!(text.contains("entry 1"), "{text}");
    assert_nothing_named(s, "WithObservation");
    // Also as a PUT, a DELETE and a GET.
    for entry in [
        put_entry(
            "Practitioner/p1",
            json!({"resourceType": "Practitioner", "id": "p1"}),
        ),
        request_entry("DELETE", "Organization/o1"),
        request_entry("GET", "MedicationRequest/m1"),
    ] {
        let r = post_bundle(s, &bundle("transaction", vec![entry.clone()]));
        assert!(r.status >= 400 && r.status < 500, "{entry}: {}", r.status);
        let t = entry["request"]["url"]
            .as_str()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        assert!(r.body.contains(&t), "{entry}: {}", r.body);
    }
}

fn prefer_return_shapes_response_entries(s: &Server) {
    let entries = || vec![post_entry(&uuid(1), patient("Prefer"))];
    let r = s
        .req("POST", "")
        .header("Prefer", "return=minimal")
        .json(&bundle("transaction", entries()))
        .send();
    r.assert_status(200);
    let b = r.json();
    assert!(b["entry"][0].get("resource").is_none(), "{b}");
    assert!(b["entry"][0]["response"]["location"].is_string(), "{b}");
    let r = s
        .req("POST", "")
        .header("Prefer", "return=representation")
        .json(&bundle("transaction", entries()))
        .send();
    let b = r.json();
    assert_eq!(
        b["entry"][0]["resource"]["name"][0]["family"], "Prefer",
        "{b}"
    );
    assert_eq!(b["entry"][0]["resource"]["meta"]["versionId"], "1", "{b}");
    let r = s
        .req("POST", "")
        .header("Prefer", "return=OperationOutcome")
        .json(&bundle("transaction", entries()))
        .send();
    let b = r.json();
    assert_eq!(
        b["entry"][0]["response"]["outcome"]["resourceType"], "OperationOutcome",
        "{b}"
    );
    // fullUrl of a response entry is the absolute URL of the resource.
    let full = b["entry"][0]["fullUrl"].as_str().unwrap();
    assert_eq!(full, format!("{}/{}", s.base, location_ref(&b["entry"][0])));
}

fn trailing_slash_and_non_bundle_bodies(s: &Server) {
    let r = s.post(
        "/fhir/",
        &bundle("batch", vec![post_entry(&uuid(1), patient("Slash"))]),
    );
    r.assert_status(200);
    assert_eq!(r.json()["type"], "batch-response");
    s.post("", &patient("NotABundle")).assert_status(400);
    s.req("POST", "")
        .body("application/fhir+json", "{not json")
        .send()
        .assert_status(400);
    s.req("POST", "")
        .body("application/fhir+xml", "<Bundle/>")
        .send()
        .assert_status(415);
    // An entry without a request, and one whose type differs from its url.
    let r = post_bundle(
        s,
        &bundle(
            "transaction",
            vec![json!({"fullUrl": uuid(2), "resource": patient("NoRequest")})],
        ),
    );
    let issue = r.assert_outcome_at(422, "invariant", "Bundle.entry[0]");
    assert!(
        issue["diagnostics"].as_str().unwrap().contains("bdl-3"),
        "{}",
        r.body
    );
    let r = post_bundle(
        s,
        &bundle(
            "transaction",
            vec![
                json!({"resource": patient("Mismatch"), "request": {"method": "POST", "url": "Encounter"}}),
            ],
        ),
    );
    r.assert_status(400);
    // A transaction without entries is fine; an empty entry array is not JSON FHIR.
    let r = post_bundle(s, &json!({"resourceType": "Bundle", "type": "transaction"}));
    r.assert_status(200);
    assert_eq!(r.json()["type"], "transaction-response");
    post_bundle(s, &bundle("transaction", vec![])).assert_outcome_at(
        400,
        "structure",
        "Bundle.entry",
    );
    assert_eq!(count(s, "Patient"), 1);
}

fn transaction_read_and_search_entries_see_the_writes(s: &Server) {
    let entries = vec![
        request_entry("GET", "Patient?family=SeenInTx"),
        post_entry(&uuid(1), patient("SeenInTx")),
    ];
    let b = transact(s, entries);
    let found = &b["entry"][0]["resource"];
    assert_eq!(found["type"], "searchset", "{b}");
    assert_eq!(found["entry"].as_array().map(Vec::len), Some(1), "{b}");
    // A read of a resource the same transaction PUTs sees the new version.
    let p = s.create(&patient("ReadAfterPut"));
    let id = p["id"].as_str().unwrap().to_owned();
    let mut v2 = p.clone();
    v2["active"] = json!(false);
    let entries = vec![
        request_entry("GET", &format!("Patient/{id}")),
        put_entry(&format!("Patient/{id}"), v2),
    ];
    let b = transact(s, entries);
    assert_eq!(b["entry"][0]["resource"]["meta"]["versionId"], "2", "{b}");
    assert_eq!(b["entry"][0]["resource"]["active"], false, "{b}");
    // A system search entry (`GET ?_type=...`) sees the transaction's writes of each type.
    let tag = |mut r: Value| {
        r["meta"] = json!({"tag": [{"system": "urn:example:tests", "code": "tx-system"}]});
        r
    };
    let entries = vec![
        request_entry(
            "GET",
            "?_type=Patient,Encounter&_tag=urn:example:tests|tx-system",
        ),
        post_entry(&uuid(1), tag(patient("SystemInTx"))),
        post_entry(&uuid(2), tag(encounter_of(&uuid(1)))),
    ];
    let b = transact(s, entries);
    let found = &b["entry"][0]["resource"];
    let types: BTreeSet<&str> = found["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Encounter", "Patient"].into(), "{b}");
    // In a batch too; one that is not common to the types fails alone, naming it.
    let entries = vec![
        request_entry("GET", "?_type=Encounter&_tag=urn:example:tests|tx-system"),
        request_entry("GET", "?_type=Patient,Encounter&family=SystemInTx"),
    ];
    let b = post_bundle(s, &bundle("batch", entries)).json();
    assert_eq!(status_of(&b["entry"][0]), "200 OK", "{b}");
    assert_eq!(
        b["entry"][0]["resource"]["entry"].as_array().map(Vec::len),
        Some(1),
        "{b}"
    );
    assert!(status_of(&b["entry"][1]).starts_with("400"), "{b}");
    assert!(
        diagnostics(&b["entry"][1]["response"]["outcome"]).contains("family"),
        "{b}"
    );
}

fn concurrent_transactions_with_the_same_if_none_exist_create_once(s: &Server) {
    let make = |i: usize| {
        bundle(
            "transaction",
            vec![json!({
                "fullUrl": uuid(1),
                "resource": with_mrn(&format!("Racer{i}"), "TX-RACE"),
                "request": {"method": "POST", "url": "Patient",
                            "ifNoneExist": format!("identifier={}", enc_value("TX-RACE"))}
            })],
        )
    };
    let statuses = post_concurrently(s, (0..8).map(make).collect());
    let created = statuses
        .iter()
        .filter(|(_, st)| st.starts_with("201"))
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|(h, _)| matches!(h, 200 | 409 | 412)),
        "{statuses:?}"
    );
    assert_eq!(count(s, "Patient?identifier=TX-RACE"), 1, "{statuses:?}");
}

/// A PATCH entry: a JSON Patch in a Binary, applied to the current version with the PUTs;
/// it may take a reference to an entry of the same transaction. What cannot be applied fails
/// the transaction naming the entry, with nothing stored.
fn patch_entries_apply_a_json_patch(s: &Server) {
    use base64::Engine;
    let b64 = |patch: Value| base64::engine::general_purpose::STANDARD.encode(patch.to_string());
    let patch_entry = |id: &str, patch: Value, extra: Value| {
        let mut request = json!({"method": "PATCH", "url": format!("Patient/{id}")});
        if let (Some(r), Some(e)) = (request.as_object_mut(), extra.as_object()) {
            r.extend(e.clone());
        }
        json!({
            "resource": {"resourceType": "Binary", "contentType": "application/json-patch+json",
                         "data": b64(patch)},
            "request": request
        })
    };
    let p = s.create(&patient("Patchy"));
    let id = p["id"].as_str().unwrap().to_owned();
    let entries = vec![
        post_entry(&uuid(1), patient("PatchSibling")),
        patch_entry(
            &id,
            json!([
                {"op": "replace", "path": "/active", "value": false},
                {"op": "add", "path": "/link", "value": [{"other": {"reference": uuid(1)}, "type": "seealso"}]}
            ]),
            json!({"ifMatch": "W/\"1\""}),
        ),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][1]).starts_with("200"), "{b}");
    assert_eq!(b["entry"][1]["response"]["etag"], "W/\"2\"", "{b}");
    let stored = s.get(&format!("Patient/{id}")).json();
    assert_eq!(stored["active"], false, "{stored}");
    assert_eq!(
        stored["link"][0]["other"]["reference"],
        location_ref(&b["entry"][0]),
        "{stored}"
    );
    // Line-wrapped base64 and a media type in capitals are a JSON Patch all the same.
    let mut wrapped = patch_entry(
        &id,
        json!([{"op": "replace", "path": "/active", "value": false}]),
        json!({}),
    );
    let data = wrapped["resource"]["data"].as_str().unwrap().to_owned();
    let (head, tail) = data.split_at(data.len() / 2);
    wrapped["resource"]["data"] = json!(format!("{head}\n  {tail}"));
    wrapped["resource"]["contentType"] = json!("Application/JSON-Patch+JSON");
    let b = transact(s, vec![wrapped]);
    assert!(status_of(&b["entry"][0]).starts_with("200"), "{b}");
    // In a batch too.
    let r = post_bundle(
        s,
        &bundle(
            "batch",
            vec![patch_entry(
                &id,
                json!([{"op": "replace", "path": "/gender", "value": "other"}]),
                json!({}),
            )],
        ),
    );
    r.assert_status(200);
    assert!(
        status_of(&r.json()["entry"][0]).starts_with("200"),
        "{}",
        r.body
    );
    assert_eq!(s.get(&format!("Patient/{id}")).json()["gender"], "other");
    // Failures roll the whole transaction back and name the entry.
    for (patch, extra, status) in [
        (
            json!([{"op": "replace", "path": "/nothing/here", "value": 1}]),
            json!({}),
            422,
        ),
        (
            json!([{"op": "replace", "path": "/gender", "value": "not-a-gender"}]),
            json!({}),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/id", "value": "other-id"}]),
            json!({}),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/active", "value": true}]),
            json!({"ifMatch": "W/\"1\""}),
            412,
        ),
    ] {
        let entries = vec![
            post_entry(&uuid(1), patient("PatchFailSibling")),
            patch_entry(&id, patch.clone(), extra),
        ];
        let r = post_bundle(s, &bundle("transaction", entries));
        assert_eq!(r.status, status, "{patch}: {}", r.body);
        assert!(
            diagnostics(&r.json()).contains("entry 1"),
            "{patch}: {}",
            r.body
        );
        assert_nothing_named(s, "PatchFailSibling");
    }
    // Not a JSON Patch in a Binary: refused where it is wrong.
    let mut not_base64 = patch_entry(&id, json!([]), json!({}));
    not_base64["resource"]["data"] = json!("%%%");
    let mut parameters = patch_entry(&id, json!([]), json!({}));
    parameters["resource"] =
        json!({"resourceType": "Parameters", "parameter": [{"name": "operation"}]});
    let mut wrong_type = patch_entry(&id, json!([]), json!({}));
    wrong_type["resource"]["contentType"] = json!("application/json");
    for (entry, expected) in [
        (not_base64, "data"),
        (wrong_type, "contentType"),
        (parameters, "Bundle.entry[0].resource.parameter[0]"),
    ] {
        let r = post_bundle(s, &bundle("transaction", vec![entry]));
        assert!(r.status == 400 || r.status == 422, "{expected}: {}", r.body);
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
    }
    assert_eq!(
        s.get(&format!("Patient/{id}")).json()["meta"]["versionId"],
        "4"
    );
}

/// A PATCH entry whose resource is a Parameters resource: a FHIRPath Patch, in a transaction
/// (with the other entries, all or nothing) and in a batch (failing alone).
fn patch_entries_take_a_fhirpath_patch(s: &Server) {
    let p = s.create(&patient("FhirpathEntry"));
    let id = p["id"].as_str().unwrap().to_owned();
    let entry = |operation: Value| {
        json!({
            "resource": {"resourceType": "Parameters", "parameter": [
                {"name": "operation", "part": operation}
            ]},
            "request": {"method": "PATCH", "url": format!("Patient/{id}")}
        })
    };
    let add_deceased = entry(json!([
        {"name": "type", "valueCode": "add"},
        {"name": "path", "valueString": "Patient"},
        {"name": "name", "valueString": "deceased"},
        {"name": "value", "valueBoolean": false}
    ]));
    let b = transact(
        s,
        vec![
            add_deceased,
            post_entry(&uuid(1), patient("FhirpathSibling")),
        ],
    );
    assert!(status_of(&b["entry"][0]).starts_with("200"), "{b}");
    let now = s.get(&format!("Patient/{id}")).json();
    assert_eq!(now["deceasedBoolean"], false);
    assert_eq!(now["meta"]["versionId"], "2");
    // In a batch an operation that cannot apply fails its entry alone, with a 422.
    let replace_missing = entry(json!([
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Patient.birthDate.where(false)"},
        {"name": "value", "valueDate": "2001-01-01"}
    ]));
    let r = post_bundle(
        s,
        &bundle(
            "batch",
            vec![
                replace_missing,
                post_entry(&uuid(2), patient("FhirpathBatchSibling")),
            ],
        ),
    );
    let b = r.json();
    assert!(status_of(&b["entry"][0]).starts_with("422"), "{b}");
    assert!(status_of(&b["entry"][1]).starts_with("201"), "{b}");
    assert_eq!(
        s.get(&format!("Patient/{id}")).json()["meta"]["versionId"],
        "2"
    );
}

fn oid_and_absolute_full_urls_are_rewritten(s: &Server) {
    let oid = "urn:oid:1.2.3.4.5";
    let absolute = "http://other.example.org/fhir/Patient/remote-7";
    let entries = vec![
        post_entry(oid, patient("OidPatient")),
        post_entry(absolute, patient("AbsolutePatient")),
        post_entry(&uuid(1), encounter_of(oid)),
        post_entry(&uuid(2), condition_of(absolute)),
    ];
    let b = transact(s, entries);
    let e = b["entry"].as_array().unwrap();
    let enc = s.get(&location_ref(&e[2])).json();
    assert_eq!(
        enc["subject"]["reference"],
        location_ref(&e[0]).as_str(),
        "{enc}"
    );
    let cond = s.get(&location_ref(&e[3])).json();
    assert_eq!(
        cond["subject"]["reference"],
        location_ref(&e[1]).as_str(),
        "{cond}"
    );
    // Entries with RESTful fullUrls: a relative reference resolves against the entry's own
    // base, a version-specific one keeps its version, and uri values and narrative links
    // that name an entry are replaced too (http.html#trules).
    let base = "http://example.org/fhir";
    let mut condition = condition_of("Patient/tmp1");
    condition["asserter"] = json!({"reference": format!("{base}/Patient/tmp1/_history/1")});
    condition["extension"] = json!([{"url": "http://example.org/ext",
        "valueUri": format!("{base}/Patient/tmp1")}]);
    condition["text"] = json!({"status": "generated", "div": format!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"{base}/Patient/tmp1\">patient</a></div>")});
    let entries = vec![
        post_entry(&format!("{base}/Patient/tmp1"), patient("RestfulPatient")),
        post_entry(&format!("{base}/Condition/c1"), condition),
    ];
    let b = transact(s, entries);
    let e = b["entry"].as_array().unwrap();
    let patient_ref = location_ref(&e[0]);
    let cond = s.get(&location_ref(&e[1])).json();
    assert_eq!(cond["subject"]["reference"], patient_ref.as_str(), "{cond}");
    assert_eq!(
        cond["asserter"]["reference"],
        format!("{patient_ref}/_history/1"),
        "{cond}"
    );
    assert_eq!(
        cond["extension"][0]["valueUri"],
        patient_ref.as_str(),
        "{cond}"
    );
    let div = cond["text"]["div"].as_str().unwrap();
    assert!(div.contains(&format!("href=\"{patient_ref}\"")), "{div}");
}

fn entries_may_reference_resources_put_in_the_same_transaction(s: &Server) {
    // The Encounter is processed (POST) before the Patient (PUT) it refers to.
    let entries = vec![
        post_entry(&uuid(1), encounter_of("Patient/put-in-tx")),
        put_entry(
            "Patient/put-in-tx",
            json!({"resourceType": "Patient", "id": "put-in-tx", "gender": "female"}),
        ),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][0]).starts_with("201"), "{b}");
    assert!(status_of(&b["entry"][1]).starts_with("201"), "{b}");
    assert_eq!(count(s, "Encounter?subject=Patient/put-in-tx"), 1);
}

fn absolute_request_urls_nested_conditional_references_and_batch_replays(s: &Server) {
    let target = s.create(&with_mrn("NestedTarget", "NEST-1"));
    let target_ref = format!("Patient/{}", target["id"].as_str().unwrap());
    // request.url absolute on this server's base.
    let mut enc = encounter_of(&format!("Patient?identifier={}", enc_value("NEST-1")));
    enc["extension"] = json!([{
        "url": "http://example.org/fhir/StructureDefinition/companion",
        "valueReference": {"reference": format!("Patient?identifier={}", enc_value("NEST-1"))}
    }]);
    let entries = vec![
        json!({"resource": {"resourceType": "Patient", "id": "abs-url", "gender": "other"},
               "request": {"method": "PUT", "url": format!("{}/Patient/abs-url", s.base)}}),
        post_entry(&uuid(1), enc),
    ];
    let b = transact(s, entries);
    assert_eq!(location_ref(&b["entry"][0]), "Patient/abs-url");
    let stored = s.get(&location_ref(&b["entry"][1])).json();
    assert_eq!(stored["subject"]["reference"], target_ref.as_str());
    assert_eq!(
        stored["extension"][0]["valueReference"]["reference"],
        target_ref.as_str()
    );
    // request.url on another server is refused.
    let entries = vec![json!({"resource": patient("Elsewhere"),
        "request": {"method": "POST", "url": "http://elsewhere.example.org/fhir/Patient"}})];
    post_bundle(s, &bundle("transaction", entries)).assert_status(400);
    // A DELETE of something that never existed is not an error.
    let b = transact(s, vec![request_entry("DELETE", "Patient/never-existed")]);
    let st = status_of(&b["entry"][0]);
    assert!(
        st.starts_with("200") || st.starts_with("204") || st.starts_with("404"),
        "{b}"
    );
    // ifNoneExist in a batch: the second post finds the first.
    let make = || {
        bundle(
            "batch",
            vec![json!({
                "resource": with_mrn("BatchReplay", "BR-1"),
                "request": {"method": "POST", "url": "Patient",
                            "ifNoneExist": format!("identifier={}", enc_value("BR-1"))}
            })],
        )
    };
    let first = post_bundle(s, &make()).json();
    assert!(status_of(&first["entry"][0]).starts_with("201"), "{first}");
    let second = post_bundle(s, &make()).json();
    assert!(
        status_of(&second["entry"][0]).starts_with("200"),
        "{second}"
    );
    assert_eq!(count(s, "Patient?identifier=BR-1"), 1);
}

fn racing_transactions_with_the_same_if_match_one_wins(s: &Server) {
    let p = s.create(&patient("Contended"));
    let id = p["id"].as_str().unwrap().to_owned();
    let results: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let mut v = p.clone();
                v["name"][0]["given"] = json!([format!("Writer{i}")]);
                let b = bundle(
                    "transaction",
                    vec![
                        post_entry(&uuid(1), patient(&format!("SideEffect{i}"))),
                        json!({"resource": v, "request": {"method": "PUT",
                               "url": format!("Patient/{id}"), "ifMatch": "W/\"1\""}}),
                    ],
                );
                scope.spawn(move || {
                    let r = post_bundle(s, &b);
                    (r.status, r.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = results.iter().map(|(st, _)| *st).collect();
    assert_eq!(
        statuses.iter().filter(|st| **st == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|st| matches!(st, 200 | 409 | 412)),
        "{results:?}"
    );
    let r = s.get(&format!("Patient/{id}"));
    assert_eq!(r.etag_version(), 2);
    // Only the winner's side effect exists.
    assert_eq!(count(s, "Patient?family=SideEffect"), 1);
}

/// http.html#transaction: DELETEs are processed before POSTs, so an `ifNoneExist` that only
/// the deleted resource matched finds nothing and the POST creates the replacement.
fn delete_then_create_with_if_none_exist_replaces(s: &Server) {
    let old = s.create(&with_mrn("Replaced", "REPL-1"));
    let old_ref = format!("Patient/{}", old["id"].as_str().unwrap());
    let entries = vec![
        request_entry("DELETE", &old_ref),
        json!({
            "fullUrl": uuid(1),
            "resource": with_mrn("Replacement", "REPL-1"),
            "request": {"method": "POST", "url": "Patient",
                        "ifNoneExist": format!("identifier={}", enc_value("REPL-1"))}
        }),
    ];
    let r = post_bundle(s, &bundle("transaction", entries));
    r.assert_status(200);
    let b = r.json();
    assert!(status_of(&b["entry"][1]).starts_with("201"), "{b}");
    s.get(&old_ref).assert_status(410);
    assert_eq!(count(s, "Patient?identifier=REPL-1"), 1);
    assert_eq!(count(s, "Patient?family=Replacement"), 1);
}

/// A search entry runs inside the transaction: a bad one, found when the Bundle is planned
/// or only when it runs (a forged paging cursor), fails the Bundle with nothing stored.
fn transaction_search_entry_failures_leave_nothing(s: &Server) {
    for (family, search) in [
        ("SearchBadParam", "Patient?no-such-parameter=1"),
        ("SearchBadCursor", "Patient?_count=1&_cursor=AAAA"),
    ] {
        let entries = vec![
            post_entry(&uuid(1), patient(family)),
            request_entry("GET", search),
        ];
        let r = post_bundle(s, &bundle("transaction", entries));
        r.assert_status(400);
        let text = diagnostics(&r.json());
        assert!(text.contains("entry 1"), "{search}: {text}");
        assert_nothing_named(s, family);
    }
}

/// Conditional updates that create: of concurrent transactions with the same criteria and
/// no match, one creates and the others update it or are told to retry, never a second
/// resource.
fn concurrent_conditional_update_entries_create_once(s: &Server) {
    race_conditional_update_entries(s, "PUT-RACE", false, &[200, 409]);
    // Each resource with its own, different id: still one resource.
    race_conditional_update_entries(s, "PUT-RACE-ID", true, &[200, 400, 409]);
}

/// 12 concurrent transactions of one `PUT Patient?identifier=<mrn>` (resources with ids of
/// their own when `with_ids`): exactly one creates, every HTTP status is one of `allowed`,
/// one resource matches.
fn race_conditional_update_entries(s: &Server, mrn: &str, with_ids: bool, allowed: &[u16]) {
    let url = format!("Patient?identifier={}", enc_value(mrn));
    let bundles = (0..12)
        .map(|i| {
            let mut body = with_mrn(&format!("PutRacer{i}"), mrn);
            if with_ids {
                body["id"] = json!(format!("{}-{i}", mrn.to_lowercase()));
            }
            bundle(
                "transaction",
                vec![json!({"fullUrl": uuid(1), "resource": body,
                            "request": {"method": "PUT", "url": url}})],
            )
        })
        .collect();
    let statuses = post_concurrently(s, bundles);
    assert!(
        statuses.iter().all(|(h, _)| allowed.contains(h)),
        "{statuses:?}"
    );
    let created = statuses
        .iter()
        .filter(|(_, st)| st.starts_with("201"))
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert_eq!(
        count(s, &format!("Patient?identifier={mrn}")),
        1,
        "{statuses:?}"
    );
}

/// `ifModifiedSince` on a read entry: 304 when the resource has not changed since, the
/// resource otherwise; `ifNoneMatch` decides when both are given; refused where it means
/// nothing and when it is not an instant.
fn if_modified_since_on_read_entries(s: &Server) {
    let p = s.create(&patient("ModifiedSince"));
    let id = p["id"].as_str().unwrap().to_owned();
    let last_updated = p["meta"]["lastUpdated"].as_str().unwrap().to_owned();
    let read = |since: &str| json!({"request": {"method": "GET", "url": format!("Patient/{id}"), "ifModifiedSince": since}});
    for kind in ["transaction", "batch"] {
        let entries = vec![
            read(&last_updated),
            read("2000-01-01T00:00:00Z"),
            json!({"request": {"method": "GET", "url": format!("Patient/{id}"),
                   "ifModifiedSince": last_updated, "ifNoneMatch": "W/\"0\""}}),
        ];
        let r = post_bundle(s, &bundle(kind, entries));
        r.assert_status(200);
        let b = r.json();
        assert!(status_of(&b["entry"][0]).starts_with("304"), "{kind}: {b}");
        assert!(b["entry"][0].get("resource").is_none(), "{kind}: {b}");
        assert!(status_of(&b["entry"][1]).starts_with("200"), "{kind}: {b}");
        assert_eq!(b["entry"][1]["resource"]["id"], id.as_str(), "{kind}: {b}");
        assert!(status_of(&b["entry"][2]).starts_with("200"), "{kind}: {b}");
    }
    // Not an instant: the Bundle's validation names the element.
    post_bundle(s, &bundle("transaction", vec![read("yesterday")])).assert_outcome_at(
        400,
        "value",
        "Bundle.entry[0].request.ifModifiedSince",
    );
    let create = json!({
        "fullUrl": uuid(1),
        "resource": patient("ModifiedSinceCreate"),
        "request": {"method": "POST", "url": "Patient", "ifModifiedSince": last_updated}
    });
    post_bundle(s, &bundle("transaction", vec![create])).assert_outcome_at(
        400,
        "invalid",
        "Bundle.entry[0].request.ifModifiedSince",
    );
}

/// A search entry sorted by `_lastUpdated`: paged on SQLite; on PostgreSQL, where a write
/// transaction cannot give a sound first-page snapshot, without paging links and saying so.
fn last_updated_search_entry_in_a_transaction(s: &Server) {
    let entries = vec![
        post_entry(&uuid(1), patient("SortedInTx")),
        post_entry(&uuid(2), patient("SortedInTx")),
        request_entry(
            "GET",
            "Patient?family=SortedInTx&_sort=-_lastUpdated&_count=1",
        ),
    ];
    let b = transact(s, entries);
    let page = &b["entry"][2]["resource"];
    assert_eq!(page["entry"][0]["search"]["mode"], "match", "{page}");
    let has_next = common::link(page, "next").is_some();
    let said = page.to_string().contains("no paging links");
    match s.backend {
        common::Backend::Sqlite => assert!(has_next && !said, "{page}"),
        _ => assert!(!has_next && said, "{page}"),
    }
}

/// Conditions are judged against the state before the Bundle: what its own entries write is
/// not a concurrent change for the re-check inside the transaction.
fn conditional_entries_are_judged_before_the_bundles_own_writes(s: &Server) {
    let criteria = |mrn: &str| format!("Patient?identifier={}", enc_value(mrn));
    // A POST with the identifier and a conditional PUT on it (no match before the Bundle).
    let entries = vec![
        post_entry(&uuid(1), with_mrn("OwnWriteA", "OWN-1")),
        json!({"fullUrl": uuid(2), "resource": with_mrn("OwnWriteB", "OWN-1"),
               "request": {"method": "PUT", "url": criteria("OWN-1")}}),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][0]).starts_with("201"), "{b}");
    assert!(status_of(&b["entry"][1]).starts_with("201"), "{b}");
    // A PUT by id that makes a second resource match a conditional PUT's criteria.
    let matched = s.create(&with_mrn("OwnWriteC", "OWN-2"));
    let other = s.create(&patient("OwnWriteD"));
    let other_id = other["id"].as_str().unwrap().to_owned();
    let mut other_v2 = with_mrn("OwnWriteD", "OWN-2");
    other_v2["id"] = json!(other_id);
    let entries = vec![
        put_entry(&format!("Patient/{other_id}"), other_v2),
        json!({"resource": with_mrn("OwnWriteC2", "OWN-2"),
               "request": {"method": "PUT", "url": criteria("OWN-2")}}),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][1]).starts_with("200"), "{b}");
    assert_eq!(
        location_ref(&b["entry"][1]),
        format!("Patient/{}", matched["id"].as_str().unwrap())
    );
    // A conditional DELETE of the one match, next to a POST that matches its criteria too.
    let gone = s.create(&with_mrn("OwnWriteE", "OWN-3"));
    let entries = vec![
        post_entry(&uuid(1), with_mrn("OwnWriteF", "OWN-3")),
        request_entry("DELETE", &criteria("OWN-3")),
    ];
    let b = transact(s, entries);
    assert!(status_of(&b["entry"][1]).starts_with("20"), "{b}");
    s.get(&format!("Patient/{}", gone["id"].as_str().unwrap()))
        .assert_status(410);
    assert_eq!(count(s, "Patient?identifier=OWN-3"), 1);
}

/// Two entries that could each create a resource for the same criteria (two `ifNoneExist`
/// creates, or one and a conditional update that matches nothing) are refused at planning:
/// together they would store the duplicate the criteria are there to prevent.
fn two_entries_creating_under_one_criteria_are_refused(s: &Server) {
    let if_none_exist = |n: u32, family: &str| {
        json!({"fullUrl": uuid(n), "resource": with_mrn(family, "TWICE-1"),
               "request": {"method": "POST", "url": "Patient",
                           "ifNoneExist": format!("identifier={}", enc_value("TWICE-1"))}})
    };
    let conditional_put = json!({"fullUrl": uuid(3), "resource": with_mrn("TwiceC", "TWICE-1"),
        "request": {"method": "PUT", "url": format!("Patient?identifier={}", enc_value("TWICE-1"))}});
    for entries in [
        vec![if_none_exist(1, "TwiceA"), if_none_exist(2, "TwiceB")],
        vec![if_none_exist(1, "TwiceA"), conditional_put],
    ] {
        let r = post_bundle(s, &bundle("transaction", entries));
        r.assert_status(400);
        let text = diagnostics(&r.json());
        assert!(text.contains("entries 0 and 1"), "{text}");
        assert_eq!(count(s, "Patient?identifier=TWICE-1"), 0);
    }
}

/// `ifNoneExist` belongs to creates, and a PUT entry's body id must be its url's: either used
/// to move a PUT or DELETE onto whatever else the criteria or the body named.
fn entry_headers_and_ids_cannot_redirect_a_write(s: &Server) {
    let mut victim = with_mrn("Victim", "V-1");
    victim["id"] = json!("victim");
    s.put("Patient/victim", &victim).assert_status(201);
    let mut target = patient("Target");
    target["id"] = json!("target");
    s.put("Patient/target", &target).assert_status(201);
    let criteria = format!("identifier={}", enc(&format!("{SYS}|V-1")));
    let mut delete = request_entry("DELETE", "Patient/target");
    delete["request"]["ifNoneExist"] = json!(criteria);
    let mut overwrite = patient("Overwritten");
    overwrite["id"] = json!("elsewhere");
    let mut put = put_entry("Patient/elsewhere", overwrite);
    put["request"]["ifNoneExist"] = json!(criteria);
    for kind in ["transaction", "batch"] {
        for entry in [&delete, &put] {
            let r = post_bundle(s, &bundle(kind, vec![entry.clone()]));
            let text = if kind == "transaction" {
                r.assert_outcome(400, "invalid");
                diagnostics(&r.json())
            } else {
                r.assert_status(200);
                let b = r.json();
                assert!(status_of(&b["entry"][0]).starts_with("400"), "{b}");
                b["entry"][0]["response"]["outcome"].to_string()
            };
            assert!(text.contains("ifNoneExist"), "{text}");
        }
    }
    // A PUT entry whose body names another id, or none: 400, as for PUT Type/id.
    let mut other = patient("OtherId");
    other["id"] = json!("other-id");
    let mut no_id = patient("NoId");
    no_id.as_object_mut().unwrap().remove("id");
    for body in [other, no_id] {
        let r = post_bundle(
            s,
            &bundle("transaction", vec![put_entry("Patient/put-target", body)]),
        );
        r.assert_outcome(400, "invalid");
        assert!(diagnostics(&r.json()).contains("id"), "{}", r.body);
    }
    // A conditional update that matches nothing may create its body's id, but not take over
    // an existing resource its criteria did not match (409); nor can it meet an ifMatch.
    let mut takeover = with_mrn("Takeover", "V-2");
    takeover["id"] = json!("victim");
    let url = format!("Patient?identifier={}", enc(&format!("{SYS}|V-2")));
    post_bundle(s, &bundle("transaction", vec![put_entry(&url, takeover)]))
        .assert_outcome(409, "conflict");
    let mut matched_none = put_entry(&url, with_mrn("Fresh", "V-2"));
    matched_none["request"]["ifMatch"] = json!("W/\"1\"");
    post_bundle(s, &bundle("transaction", vec![matched_none])).assert_status(412);
    assert_eq!(count(s, &url), 0);
    s.get("Patient/victim").assert_status(200);
    assert_eq!(s.get("Patient/victim").etag_version(), 1);
    assert_eq!(s.get("Patient/target").etag_version(), 1);
    s.get("Patient/elsewhere").assert_status(404);
    s.get("Patient/put-target").assert_status(404);
    s.get("Patient/other-id").assert_status(404);
}

/// HEAD is GET without a body (http.html): its entry has status and ETag, no resource.
fn head_entries_answer_without_the_resource(s: &Server) {
    let created = s.create(&patient("Headed"));
    let url = format!("Patient/{}", created["id"].as_str().unwrap());
    for kind in ["batch", "transaction"] {
        let b = post_bundle(
            s,
            &bundle(
                kind,
                vec![request_entry("HEAD", &url), request_entry("GET", &url)],
            ),
        );
        b.assert_status(200);
        let b = b.json();
        let (head, get) = (&b["entry"][0], &b["entry"][1]);
        assert_eq!(status_of(head), "200 OK", "{b}");
        assert_eq!(head["response"]["etag"], "W/\"1\"", "{b}");
        assert!(head.get("resource").is_none(), "{b}");
        assert_eq!(get["resource"]["name"][0]["family"], "Headed", "{b}");
    }
}
