//! The FHIR REST API over HTTP against the real binary: every interaction, header and error
//! the server implements today, on SQLite and (when available) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{condition, encounter, entry_keys, link, patient, Backend, Options, Server};
use serde_json::{json, Value};
use std::collections::HashSet;

backends!(
    audit_rows_and_log_lines_name_the_request_not_the_patient,
    metadata_is_a_capability_statement,
    health_endpoints,
    create_then_read,
    create_encounter_and_condition_referencing_a_patient,
    create_ignores_a_client_id_in_the_body,
    update_increments_version_and_vread_returns_old_versions,
    update_as_create_with_a_client_id,
    update_refuses_id_mismatch_and_missing_id,
    if_match_guards_update_patch_and_delete,
    conditional_read_if_none_match_and_if_modified_since,
    prefer_return_variants,
    format_pretty_and_accept,
    xml_is_refused,
    wrong_method_is_405,
    unknown_type_and_id_are_404,
    delete_then_410_then_recreate_with_next_version,
    invalid_json_is_400_with_expression,
    validation_400_and_referential_integrity_422,
    failed_requests_leave_no_trace,
    json_patch,
    fhirpath_patch,
    history_levels_newest_first,
    history_since_and_at,
    history_paging_has_no_skips_or_repeats,
    history_parameter_errors,
    request_id_is_echoed,
    concurrent_updates_lose_nothing,
    unicode_round_trips,
    encounter_and_condition_full_lifecycle,
    format_parameter_wins_over_accept,
    hostile_input_is_400_and_the_server_stays_up,
    decimals_and_primitive_extensions_round_trip_exactly,
    concurrent_creates_get_unique_ids,
    errors_ignore_prefer_minimal,
    last_modified_matches_meta_last_updated,
    server_owns_meta_version_and_time,
    instance_history_pages,
    method_not_allowed_lists_allow,
    head_is_supported,
    history_of_update_as_create_says_put,
    if_modified_since_equal_to_last_modified,
    recreate_after_delete_is_201,
    dot_ids_are_refused,
);

fn if_modified_since_equal_to_last_modified(s: &Server) {
    let p = s.create(&patient("Modified"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    let first = s.get(&path);
    let r = s
        .req("GET", &path)
        .header("If-Modified-Since", first.h("last-modified"))
        .send();
    r.assert_status(304);
    assert!(r.body.is_empty());
}

fn recreate_after_delete_is_201(s: &Server) {
    let p = s.create(&patient("Recreated"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    s.delete(&path).assert_status(200);
    let r = s.put(&path, &p);
    r.assert_status(201);
    assert_eq!(r.etag_version(), 3);
    assert_eq!(r.h("location"), format!("{}/{path}/_history/3", s.base));
}

fn metadata_is_a_capability_statement(s: &Server) {
    let r = s.get("metadata");
    r.assert_status(200).assert_fhir_json();
    let cs = r.json();
    assert_eq!(cs["resourceType"], "CapabilityStatement");
    assert_eq!(cs["fhirVersion"], "4.0.1");
    assert_eq!(cs["kind"], "instance");
    let formats: Vec<&str> = cs["format"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(formats.contains(&"application/fhir+json"), "{formats:?}");
    let rest = &cs["rest"][0];
    assert_eq!(rest["mode"], "server");
    for t in ["Patient", "Encounter", "Condition"] {
        let resource = rest["resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t)
            .unwrap_or_else(|| panic!("{t} missing from the CapabilityStatement"));
        let codes: HashSet<&str> = resource["interaction"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["code"].as_str())
            .collect();
        for code in [
            "read",
            "vread",
            "create",
            "update",
            "patch",
            "delete",
            "history-instance",
            "history-type",
        ] {
            assert!(codes.contains(code), "{t} lacks {code}: {codes:?}");
        }
        assert_eq!(resource["versioning"], "versioned-update");
        assert_eq!(resource["updateCreate"], true);
        assert_eq!(resource["conditionalRead"], "full-support");
        let listed = |key: &str| -> Vec<String> {
            resource[key]
                .as_array()
                .unwrap_or_else(|| panic!("{t} has no {key}"))
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let (includes, revincludes) = (listed("searchInclude"), listed("searchRevInclude"));
        match t {
            "Encounter" => assert!(
                includes.contains(&"Encounter:subject".to_owned()),
                "{includes:?}"
            ),
            "Patient" => {
                for r in [
                    "Encounter:subject",
                    "Condition:subject",
                    "Condition:patient",
                ] {
                    assert!(revincludes.contains(&r.to_owned()), "{r}: {revincludes:?}");
                }
                // Condition:encounter points at Encounters only.
                assert!(!revincludes.contains(&"Condition:encounter".to_owned()));
            }
            _ => {}
        }
    }
    let system: Vec<&str> = rest["interaction"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["code"].as_str())
        .collect();
    assert!(system.contains(&"history-system"), "{system:?}");
    // The trailing-slash-free base and `_format` work too.
    s.get("metadata?_format=json").assert_status(200);
    s.get("metadata?_format=application/fhir%2Bjson")
        .assert_status(200);
}

fn health_endpoints(s: &Server) {
    let h = s.get("/healthz");
    h.assert_status(200);
    assert_eq!(h.body, "ok");
    let r = s.get("/readyz");
    r.assert_status(200);
    assert_eq!(r.body, "ready");
}

fn create_then_read(s: &Server) {
    let before = chrono_now_secs();
    let r = s.post("Patient", &patient("Alpha"));
    r.assert_status(201).assert_fhir_json();
    let created = r.json();
    let id = created["id"]
        .as_str()
        .expect("server-assigned id")
        .to_owned();
    assert!(!id.is_empty() && id.len() <= 64);
    assert_eq!(created["meta"]["versionId"], "1");
    assert!(created["meta"]["lastUpdated"].is_string());
    assert_eq!(created["name"][0]["family"], "Alpha");
    let location = format!("{}/Patient/{id}/_history/1", s.base);
    assert_eq!(r.h("location"), location);
    assert_eq!(r.h("content-location"), location);
    assert_eq!(r.etag_version(), 1);
    assert_eq!(r.h("etag"), "W/\"1\"");
    let modified = parse_http_date(r.h("last-modified"));
    assert!(
        modified + 2 >= before,
        "Last-Modified {modified} before {before}"
    );

    let read = s.get(&format!("Patient/{id}"));
    read.assert_status(200).assert_fhir_json();
    assert_eq!(
        read.json(),
        created,
        "a read returns what the create returned"
    );
    assert_eq!(read.h("etag"), "W/\"1\"");
    assert_eq!(read.h("content-location"), location);
    assert_eq!(read.h("last-modified"), r.h("last-modified"));
    assert!(read.header("location").is_none());

    // application/json bodies (as fhirpy sends) are accepted, and so is a charset parameter.
    let r = s
        .req("POST", "Patient")
        .body("application/json", &patient("Beta").to_string())
        .send();
    r.assert_status(201);
    let r = s
        .req("POST", "Patient")
        .body(
            "application/fhir+json; charset=utf-8",
            &patient("Gamma").to_string(),
        )
        .send();
    r.assert_status(201);
    // No Content-Type at all: read as JSON.
    let r = s
        .req("POST", "Patient")
        .raw_body(&patient("Delta").to_string())
        .send();
    r.assert_status(201);
}

fn create_encounter_and_condition_referencing_a_patient(s: &Server) {
    let p = s.create(&patient("Encountered"));
    let pid = p["id"].as_str().unwrap();
    let e = s.create(&encounter(pid));
    assert_eq!(e["resourceType"], "Encounter");
    assert_eq!(e["subject"]["reference"], format!("Patient/{pid}"));
    let c = s.create(&condition(pid));
    assert_eq!(c["resourceType"], "Condition");
    for (t, v) in [("Encounter", &e), ("Condition", &c)] {
        let r = s.get(&format!("{t}/{}", v["id"].as_str().unwrap()));
        r.assert_status(200);
        assert_eq!(&r.json(), v);
    }
}

fn create_ignores_a_client_id_in_the_body(s: &Server) {
    let mut p = patient("Ignored");
    p["id"] = json!("client-chosen");
    let created = s.create(&p);
    assert_ne!(created["id"], "client-chosen");
    s.get("Patient/client-chosen")
        .assert_outcome(404, "not-found");
}

fn update_increments_version_and_vread_returns_old_versions(s: &Server) {
    let mut p = s.create(&patient("Version"));
    let id = p["id"].as_str().unwrap().to_owned();
    for (n, family) in [(2, "Version2"), (3, "Version3")] {
        p["name"][0]["family"] = json!(family);
        let r = s.put(&format!("Patient/{id}"), &p);
        r.assert_status(200).assert_fhir_json();
        assert_eq!(r.etag_version(), n);
        assert_eq!(
            r.h("content-location"),
            format!("{}/Patient/{id}/_history/{n}", s.base)
        );
        assert!(
            r.header("location").is_none(),
            "Location is for creates only"
        );
        p = r.json();
        assert_eq!(p["meta"]["versionId"], n.to_string());
        assert_eq!(p["name"][0]["family"], family);
    }
    for (n, family) in [(1, "Version"), (2, "Version2"), (3, "Version3")] {
        let r = s.get(&format!("Patient/{id}/_history/{n}"));
        r.assert_status(200).assert_fhir_json();
        assert_eq!(r.etag_version(), n);
        assert_eq!(
            r.h("content-location"),
            format!("{}/Patient/{id}/_history/{n}", s.base)
        );
        let v = r.json();
        assert_eq!(v["meta"]["versionId"], n.to_string());
        assert_eq!(v["name"][0]["family"], family);
    }
    let read = s.get(&format!("Patient/{id}"));
    assert_eq!(read.etag_version(), 3);
    assert_eq!(read.json(), p);
    s.get(&format!("Patient/{id}/_history/4"))
        .assert_outcome(404, "not-found");
    s.get(&format!("Patient/{id}/_history/0"))
        .assert_outcome(404, "not-found");
    s.get(&format!("Patient/{id}/_history/abc"))
        .assert_outcome(404, "not-found");
    s.get("Patient/nobody/_history/1")
        .assert_outcome(404, "not-found");
}

fn update_as_create_with_a_client_id(s: &Server) {
    let mut p = patient("ClientId");
    p["id"] = json!("client-id-1");
    let r = s.put("Patient/client-id-1", &p);
    r.assert_status(201).assert_fhir_json();
    let location = format!("{}/Patient/client-id-1/_history/1", s.base);
    assert_eq!(r.h("location"), location);
    assert_eq!(r.etag_version(), 1);
    assert_eq!(r.json()["id"], "client-id-1");
    let r = s.put("Patient/client-id-1", &p);
    r.assert_status(200);
    assert_eq!(r.etag_version(), 2);
    // Ids are 1-64 of [A-Za-z0-9-.].
    let mut bad = patient("BadId");
    bad["id"] = json!("bad_id!");
    s.put("Patient/bad_id!", &bad)
        .assert_outcome_at(400, "value", "Patient.id");
    let long = "a".repeat(65);
    bad["id"] = json!(long);
    s.put(&format!("Patient/{long}"), &bad)
        .assert_outcome_at(400, "value", "Patient.id");
    s.get("Patient/bad_id!").assert_outcome(400, "invalid");
}

fn update_refuses_id_mismatch_and_missing_id(s: &Server) {
    let p = s.create(&patient("Mismatch"));
    let id = p["id"].as_str().unwrap();
    let mut other = p.clone();
    other["id"] = json!("another-id");
    s.put(&format!("Patient/{id}"), &other)
        .assert_outcome_at(400, "invalid", "Patient.id");
    let mut no_id = p.clone();
    no_id.as_object_mut().unwrap().remove("id");
    s.put(&format!("Patient/{id}"), &no_id)
        .assert_outcome_at(400, "invalid", "Patient.id");
    // A body of another type than the URL's.
    let mut enc = encounter(id);
    enc["id"] = json!(id);
    s.put(&format!("Patient/{id}"), &enc)
        .assert_outcome(400, "invalid");
    s.post("Patient", &encounter(id))
        .assert_outcome(400, "invalid");
    // Nothing changed.
    assert_eq!(s.get(&format!("Patient/{id}")).etag_version(), 1);
}

fn if_match_guards_update_patch_and_delete(s: &Server) {
    let mut p = s.create(&patient("Match"));
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("Patient/{id}");
    p["active"] = json!(false);
    let r = s
        .req("PUT", &path)
        .header("If-Match", "W/\"1\"")
        .json(&p)
        .send();
    r.assert_status(200);
    assert_eq!(r.etag_version(), 2);
    // Stale version: 412, nothing written.
    s.req("PUT", &path)
        .header("If-Match", "W/\"1\"")
        .json(&p)
        .send()
        .assert_outcome(412, "conflict");
    s.req("PATCH", &path)
        .header("If-Match", "W/\"1\"")
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/active","value":true}]"#,
        )
        .send()
        .assert_outcome(412, "conflict");
    s.req("DELETE", &path)
        .header("If-Match", "W/\"1\"")
        .send()
        .assert_outcome(412, "conflict");
    let now = s.get(&path);
    now.assert_status(200);
    assert_eq!(now.etag_version(), 2);
    assert_eq!(now.json()["active"], false);
    // A malformed If-Match is refused rather than ignored.
    s.req("PUT", &path)
        .header("If-Match", "banana")
        .json(&p)
        .send()
        .assert_outcome(400, "invalid");
    // If-Match on a resource that does not exist.
    let mut ghost = patient("Ghost");
    ghost["id"] = json!("ghost-1");
    s.req("PUT", "Patient/ghost-1")
        .header("If-Match", "W/\"1\"")
        .json(&ghost)
        .send()
        .assert_outcome(412, "conflict");
    s.get("Patient/ghost-1").assert_outcome(404, "not-found");
    // The right version: patch then delete succeed.
    let r = s
        .req("PATCH", &path)
        .header("If-Match", "W/\"2\"")
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/active","value":true}]"#,
        )
        .send();
    r.assert_status(200);
    assert_eq!(r.etag_version(), 3);
    s.req("DELETE", &path)
        .header("If-Match", "W/\"3\"")
        .send()
        .assert_status(200);
}

fn conditional_read_if_none_match_and_if_modified_since(s: &Server) {
    let p = s.create(&patient("Conditional"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    let first = s.get(&path);
    for tag in ["W/\"1\"", "\"1\"", "*", "W/\"7\", W/\"1\""] {
        let r = s.req("GET", &path).header("If-None-Match", tag).send();
        r.assert_status(304);
        assert!(r.body.is_empty(), "304 has no body: {}", r.body);
        assert_eq!(r.h("etag"), "W/\"1\"");
    }
    let r = s
        .req("GET", &path)
        .header("If-None-Match", "W/\"2\"")
        .send();
    r.assert_status(200);
    assert_eq!(r.json(), first.json());

    let last_modified = first.h("last-modified").to_owned();
    // (If-Modified-Since equal to Last-Modified: see if_modified_since_equal_to_last_modified.)
    let r = s
        .req("GET", &path)
        .header("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")
        .send();
    r.assert_status(304);
    assert!(r.body.is_empty());
    assert_eq!(r.h("etag"), "W/\"1\"");
    assert_eq!(r.h("last-modified"), last_modified);
    let r = s
        .req("GET", &path)
        .header("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")
        .send();
    r.assert_status(200);
    // An unparseable date is ignored (RFC 9110).
    s.req("GET", &path)
        .header("If-Modified-Since", "yesterday")
        .send()
        .assert_status(200);
    // With If-None-Match present, If-Modified-Since is ignored (RFC 9110 13.2.2).
    s.req("GET", &path)
        .header("If-None-Match", "W/\"0\"")
        .header("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")
        .send()
        .assert_status(200);
    // After an update the old tag no longer matches.
    s.update(&p);
    let r = s
        .req("GET", &path)
        .header("If-None-Match", "W/\"1\"")
        .send();
    r.assert_status(200);
    assert_eq!(r.etag_version(), 2);
}

fn prefer_return_variants(s: &Server) {
    let minimal = s
        .req("POST", "Patient")
        .header("Prefer", "return=minimal")
        .json(&patient("Minimal"))
        .send();
    minimal.assert_status(201);
    assert!(
        minimal.body.is_empty(),
        "minimal has no body: {}",
        minimal.body
    );
    let location = minimal.h("location").to_owned();
    assert_eq!(minimal.etag_version(), 1);
    assert!(minimal.header("last-modified").is_some());
    let stored = s.get(&location);
    stored.assert_status(200);
    let stored = stored.json();
    assert_eq!(stored["name"][0]["family"], "Minimal");

    let oo = s
        .req("POST", "Patient")
        .header("Prefer", "return=OperationOutcome")
        .json(&patient("Outcome"))
        .send();
    oo.assert_status(201).assert_fhir_json();
    let body = oo.json();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["severity"], "information");
    assert!(oo.header("location").is_some());

    let rep = s
        .req("POST", "Patient")
        .header("Prefer", "return=representation")
        .json(&patient("Representation"))
        .send();
    rep.assert_status(201);
    assert_eq!(rep.json()["resourceType"], "Patient");

    let r = s
        .req(
            "PUT",
            &format!("Patient/{}", stored["id"].as_str().unwrap()),
        )
        .header("Prefer", "return=minimal")
        .json(&stored)
        .send();
    r.assert_status(200);
    assert!(r.body.is_empty());
    assert_eq!(r.etag_version(), 2);
    let r = s
        .req(
            "PUT",
            &format!("Patient/{}", stored["id"].as_str().unwrap()),
        )
        .header("Prefer", "return=OperationOutcome")
        .json(&stored)
        .send();
    r.assert_status(200);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
}

fn format_pretty_and_accept(s: &Server) {
    let p = s.create(&patient("Format"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    for q in [
        "_format=json",
        "_format=application/json",
        "_format=application/fhir%2Bjson",
    ] {
        let r = s.get(&format!("{path}?{q}"));
        r.assert_status(200).assert_fhir_json();
        assert_eq!(r.json(), p);
    }
    for accept in [
        "application/fhir+json",
        "application/json",
        "*/*",
        "application/fhir+json;q=0.9, application/fhir+xml;q=1",
        "text/html, */*;q=0.1",
    ] {
        let r = s.req("GET", &path).header("Accept", accept).send();
        r.assert_status(200).assert_fhir_json();
    }
    let compact = s.get(&path);
    assert!(!compact.body.contains('\n'));
    let pretty = s.get(&format!("{path}?_pretty=true"));
    pretty.assert_status(200);
    assert!(pretty.body.contains("\n  \""), "indented: {}", pretty.body);
    assert_eq!(pretty.json(), p);
    let both = s.get(&format!("{path}?_format=json&_pretty=true"));
    assert!(both.body.contains('\n'));
    // Errors are pretty too when asked.
    let err = s.get("Patient/nobody?_pretty=true");
    err.assert_outcome(404, "not-found");
    assert!(err.body.contains('\n'));
    // History bundles honour _pretty.
    let h = s.get(&format!("{path}/_history?_pretty=true"));
    h.assert_status(200);
    assert!(h.body.contains('\n'));
}

fn xml_is_refused(s: &Server) {
    let p = s.create(&patient("Xml"));
    let id = p["id"].as_str().unwrap();
    let path = format!("Patient/{id}");
    for q in [
        "_format=xml",
        "_format=application/fhir%2Bxml",
        "_format=text/xml",
    ] {
        s.get(&format!("{path}?{q}"))
            .assert_outcome(406, "not-supported");
    }
    s.get(&format!("{path}?_format=turtle"))
        .assert_outcome(406, "not-supported");
    for accept in ["application/fhir+xml", "application/xml", "text/xml"] {
        s.req("GET", &path)
            .header("Accept", accept)
            .send()
            .assert_outcome(406, "not-supported");
        s.req("GET", "metadata")
            .header("Accept", accept)
            .send()
            .assert_outcome(406, "not-supported");
    }
    let xml = r#"<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>"#;
    for ct in ["application/fhir+xml", "application/xml", "text/xml"] {
        s.req("POST", "Patient")
            .body(ct, xml)
            .send()
            .assert_outcome(415, "not-supported");
        s.req("PUT", &path)
            .body(ct, xml)
            .send()
            .assert_outcome(415, "not-supported");
    }
    s.req("POST", "Patient")
        .body("text/plain", &patient("Plain").to_string())
        .send()
        .assert_outcome(415, "not-supported");
    // PATCH takes JSON Patch, or FHIRPath Patch as a Parameters resource (not another one).
    s.req("PATCH", &path)
        .body("application/fhir+json", "{}")
        .send()
        .assert_outcome(400, "invalid");
    s.req("PATCH", &path)
        .body("application/xml", "<x/>")
        .send()
        .assert_outcome(415, "not-supported");
    assert_eq!(s.get(&path).etag_version(), 1, "nothing was written");
}

fn wrong_method_is_405(s: &Server) {
    let p = s.create(&patient("Method"));
    let id = p["id"].as_str().unwrap();
    let cases = [
        // (PUT, DELETE and GET on `Patient` are conditional update/delete and search: their
        // tests come with them.)
        ("POST", format!("Patient/{id}")),
        ("PUT", "metadata".to_owned()),
        ("POST", "metadata".to_owned()),
        ("DELETE", "metadata".to_owned()),
        ("POST", "_history".to_owned()),
        ("POST", "Patient/_history".to_owned()),
        ("DELETE", format!("Patient/{id}/_history")),
        ("PUT", format!("Patient/{id}/_history/1")),
        ("DELETE", format!("Patient/{id}/_history/1")),
    ];
    for (method, path) in cases {
        let r = if matches!(method, "POST" | "PUT" | "PATCH") {
            s.req(method, &path).json(&p).send()
        } else {
            s.req(method, &path).send()
        };
        r.assert_outcome(405, "not-supported");
    }
    assert_eq!(s.get(&format!("Patient/{id}")).etag_version(), 1);
}

fn unknown_type_and_id_are_404(s: &Server) {
    let p = s.create(&patient("Routes"));
    let id = p["id"].as_str().unwrap();
    // Three segments are a compartment search only when the third names a type: an
    // operation or a reserved segment stays unknown (404), whatever the method.
    for (method, path) in [
        ("GET", format!("Patient/{id}/$everything")),
        ("POST", format!("Patient/{id}/$everything")),
        ("GET", format!("Patient/{id}/_foo")),
        ("DELETE", format!("Patient/{id}/_foo")),
        ("POST", format!("Patient/{id}/$everything/_search")),
    ] {
        let r = s.req(method, &path).send();
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
    }
    for path in [
        "Foo/1",
        "patient/1",
        "Foo/1/_history",
        "Foo/_history",
        "Foo/1/_history/1",
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 404, "GET {path}: {}", r.body);
        r.assert_fhir_json();
        assert_eq!(r.json()["resourceType"], "OperationOutcome");
    }
    s.post("Foo", &json!({"resourceType": "Foo"}))
        .assert_outcome(404, "not-supported");
    // Infrastructure resources are not stored through the type endpoints.
    s.post(
        "Bundle",
        &json!({"resourceType": "Bundle", "type": "collection"}),
    )
    .assert_outcome(404, "not-supported");
    s.put("Foo/1", &json!({"resourceType": "Foo", "id": "1"}))
        .assert_outcome(404, "not-supported");
    s.delete("Foo/1").assert_outcome(404, "not-supported");
    s.get("Patient/does-not-exist")
        .assert_outcome(404, "not-found");
    s.get("Encounter/does-not-exist")
        .assert_outcome(404, "not-found");
    s.get("Condition/does-not-exist")
        .assert_outcome(404, "not-found");
    s.req("PATCH", "Patient/does-not-exist")
        .body("application/json-patch+json", "[]")
        .send()
        .assert_outcome(404, "not-found");
    // Paths outside the API.
    let r = s.get("/nothing-here");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
    let r = s.get("Patient/a/b/c/d");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
}

fn delete_then_410_then_recreate_with_next_version(s: &Server) {
    let mut p = s.create(&patient("Deleted"));
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("Patient/{id}");
    let d = s.delete(&path);
    d.assert_status(200);
    assert_eq!(d.etag_version(), 2, "a delete is version 2");
    let oo = d.json();
    assert_eq!(oo["resourceType"], "OperationOutcome");
    let gone = s.get(&path);
    gone.assert_outcome(410, "deleted");
    // The old version stays readable; the deletion itself has no body to read.
    s.get(&format!("{path}/_history/1")).assert_status(200);
    let v2 = s.get(&format!("{path}/_history/2"));
    assert!(
        v2.status == 410 || v2.status == 404,
        "vread of a deletion: {} {}",
        v2.status,
        v2.body
    );
    // Delete is idempotent.
    s.delete(&path).assert_status(204);
    s.delete("Patient/never-existed").assert_status(204);
    // Updating a deleted resource is 410? No: PUT re-creates it with the next version.
    s.req("PATCH", &path)
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/active","value":false}]"#,
        )
        .send()
        .assert_outcome(410, "deleted");
    p["name"][0]["family"] = json!("Resurrected");
    let r = s.put(&path, &p);
    // 201 is asserted in recreate_after_delete_is_201.
    assert!(
        r.status == 200 || r.status == 201,
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(r.etag_version(), 3);
    assert_eq!(r.json()["meta"]["versionId"], "3");
    let read = s.get(&path);
    read.assert_status(200);
    assert_eq!(read.json()["name"][0]["family"], "Resurrected");
    let history = s.history_all(&format!("{path}/_history"));
    let methods: Vec<&str> = history
        .iter()
        .map(|e| e["request"]["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["PUT", "DELETE", "POST"]);
    assert!(
        history[1].get("resource").is_none(),
        "a deletion has no resource"
    );
    assert_eq!(history[1]["response"]["etag"], "W/\"2\"");
}

fn invalid_json_is_400_with_expression(s: &Server) {
    let cases: [(&str, &str); 6] = [
        (r#"{"resourceType":"Patient","#, "Patient"),
        (r#"{"resourceType":"Patient","foo":1}"#, "Patient.foo"),
        (
            r#"{"resourceType":"Patient","active":"yes"}"#,
            "Patient.active",
        ),
        (
            r#"{"resourceType":"Patient","name":{"family":"NotAnArray"}}"#,
            "Patient.name",
        ),
        (
            r#"{"resourceType":"Patient","birthDate":"1970-13-45"}"#,
            "Patient.birthDate",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"family":""}]}"#,
            "Patient.name[0].family",
        ),
    ];
    for (body, expression) in cases {
        let r = s
            .req("POST", "Patient")
            .body("application/fhir+json", body)
            .send();
        assert_eq!(r.status, 400, "{body}: {} {}", r.status, r.body);
        r.assert_fhir_json();
        let oo = r.json();
        assert_eq!(oo["resourceType"], "OperationOutcome");
        let issue = &oo["issue"][0];
        assert_eq!(issue["severity"], "error", "{body}: {}", r.body);
        assert!(issue["code"].is_string());
        let expressions: Vec<&str> = issue["expression"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}: no expression in {}", r.body))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            expressions.iter().any(|e| e.starts_with(expression)),
            "{body}: expression {expressions:?}, expected {expression}"
        );
    }
    for body in [
        "",
        "[]",
        "42",
        "not json",
        r#"{"name":[]}"#,
        r#"{"resourceType":"Nope"}"#,
    ] {
        let r = s
            .req("POST", "Patient")
            .body("application/fhir+json", body)
            .send();
        assert_eq!(r.status, 400, "{body:?}: {} {}", r.status, r.body);
        assert_eq!(r.json()["resourceType"], "OperationOutcome");
    }
    // The same on update.
    let p = s.create(&patient("Broken"));
    let id = p["id"].as_str().unwrap();
    let r = s
        .req("PUT", &format!("Patient/{id}"))
        .body(
            "application/fhir+json",
            &format!(r#"{{"resourceType":"Patient","id":"{id}","foo":1}}"#),
        )
        .send();
    r.assert_status(400);
    assert_eq!(r.json()["issue"][0]["expression"][0], "Patient.foo");
}

fn validation_400_and_referential_integrity_422(s: &Server) {
    // Violations of the base specification (required bindings, cardinality) are 400 ("failed
    // basic FHIR validation rules", http.html); a reference to no stored resource breaks a
    // business rule: 422.
    let mut bad = patient("Invalid");
    bad["gender"] = json!("x");
    s.post("Patient", &bad)
        .assert_outcome_at(400, "code-invalid", "Patient.gender");
    s.post("Encounter", &encounter("no-such-patient"))
        .assert_outcome_at(422, "not-found", "Encounter.subject.reference");
    s.post("Condition", &condition("no-such-patient"))
        .assert_outcome_at(422, "not-found", "Condition.subject.reference");
    // A Condition without its required subject.
    let mut no_subject = condition("x");
    no_subject.as_object_mut().unwrap().remove("subject");
    s.post("Condition", &no_subject)
        .assert_outcome_at(400, "required", "Condition.subject");
    // A reference to a deleted patient does not resolve either.
    let p = s.create(&patient("SoonGone"));
    let pid = p["id"].as_str().unwrap();
    s.delete(&format!("Patient/{pid}")).assert_status(200);
    s.post("Encounter", &encounter(pid)).assert_outcome_at(
        422,
        "not-found",
        "Encounter.subject.reference",
    );
    // Update validates too.
    let good = s.create(&patient("Valid"));
    let mut changed = good.clone();
    changed["gender"] = json!("x");
    s.put(
        &format!("Patient/{}", good["id"].as_str().unwrap()),
        &changed,
    )
    .assert_outcome_at(400, "code-invalid", "Patient.gender");
}

fn failed_requests_leave_no_trace(s: &Server) {
    let p = s.create(&patient("Trace"));
    let id = p["id"].as_str().unwrap().to_owned();
    let system_before = s.history_all("_history").len();
    assert_eq!(system_before, 1);

    let mut bad = patient("Invalid");
    bad["gender"] = json!("x");
    s.post("Patient", &bad).assert_status(400);
    s.post("Encounter", &encounter("missing"))
        .assert_status(422);
    s.post("Condition", &condition("missing"))
        .assert_status(422);
    s.req("POST", "Patient")
        .body("application/fhir+json", "{")
        .send()
        .assert_status(400);
    let mut changed = p.clone();
    changed["gender"] = json!("x");
    s.put(&format!("Patient/{id}"), &changed).assert_status(400);
    s.req("PUT", &format!("Patient/{id}"))
        .header("If-Match", "W/\"9\"")
        .json(&p)
        .send()
        .assert_status(412);
    s.req("PATCH", &format!("Patient/{id}"))
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/gender","value":"x"}]"#,
        )
        .send()
        .assert_status(400);
    let mut created_by_put = patient("Invalid");
    created_by_put["id"] = json!("never-made");
    created_by_put["gender"] = json!("x");
    s.put("Patient/never-made", &created_by_put)
        .assert_status(400);
    let mut encounter_by_put = encounter("missing");
    encounter_by_put["id"] = json!("never-made-enc");
    s.put("Encounter/never-made-enc", &encounter_by_put)
        .assert_status(422);

    assert!(s.history_all("Encounter/_history").is_empty());
    assert!(s.history_all("Condition/_history").is_empty());
    let patients = s.history_all("Patient/_history");
    assert_eq!(patients.len(), 1, "only the first create: {patients:?}");
    assert_eq!(s.history_all("_history").len(), system_before);
    assert_eq!(s.get(&format!("Patient/{id}")).etag_version(), 1);
    s.get("Patient/never-made").assert_outcome(404, "not-found");
}

/// FHIRPath Patch (fhirpatch.html): a Parameters body of add / insert / delete / replace /
/// move operations, applied to the current version and validated like an update.
fn fhirpath_patch(s: &Server) {
    let p = s.create(&patient("Fhirpatch"));
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("Patient/{id}");
    let patch = |operations: Value| {
        let body = json!({"resourceType": "Parameters", "parameter": operations});
        s.req("PATCH", &path)
            .body("application/fhir+json", &body.to_string())
            .send()
    };
    let op = |parts: Value| json!({"name": "operation", "part": parts});
    let r = patch(json!([
        op(json!([
            {"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.name[0].family"},
            {"name": "value", "valueString": "Patchedbypath"}
        ])),
        op(json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "name", "valueString": "telecom"},
            {"name": "value", "part": [
                {"name": "system", "valueCode": "phone"},
                {"name": "value", "valueString": "555-0199"}
            ]}
        ])),
        op(json!([
            {"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": "Patient.birthDate"}
        ]))
    ]));
    r.assert_status(200).assert_fhir_json();
    assert_eq!(r.etag_version(), 2);
    let v = r.json();
    assert_eq!(v["name"][0]["family"], "Patchedbypath");
    assert_eq!(
        v["telecom"],
        json!([{"system": "phone", "value": "555-0199"}])
    );
    assert!(v.get("birthDate").is_none());
    assert_eq!(s.get(&path).json(), v);
    // The index follows: the new family name finds it.
    let found = s.get("Patient?family=patchedbypath").json();
    assert_eq!(found["entry"][0]["resource"]["id"], id.as_str(), "{found}");
    // An operation that cannot apply: 422 naming it; nothing written.
    let r = patch(json!([op(json!([
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Patient.maritalStatus"},
        {"name": "value", "valueCodeableConcept": {"text": "single"}}
    ]))]));
    r.assert_outcome(422, "business-rule");
    assert!(r.body.contains("operation 0"), "{}", r.body);
    // The result must still be a valid Patient.
    patch(json!([op(json!([
        {"name": "type", "valueCode": "replace"},
        {"name": "path", "valueString": "Patient.gender"},
        {"name": "value", "valueCode": "x"}
    ]))]))
    .assert_outcome_at(400, "code-invalid", "Patient.gender");
    // A malformed document: 400 naming the parameter.
    patch(json!([op(json!([{"name": "type", "valueCode": "add"}]))])).assert_outcome_at(
        400,
        "invalid",
        "Parameters.parameter[0]",
    );
    // A path far too long or deep to evaluate safely: 400, and the server goes on.
    for long_path in [
        format!("Patient{}", ".name".repeat(100_000)),
        format!("Patient.name{}", ".where(true)".repeat(200)),
    ] {
        patch(json!([op(json!([
            {"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": long_path}
        ]))]))
        .assert_outcome_at(400, "invalid", "Parameters.parameter[0]");
    }
    s.get(&path).assert_status(200);
    // If-Match holds for it as for any update.
    s.req("PATCH", &path)
        .header("If-Match", "W/\"1\"")
        .body(
            "application/fhir+json",
            &json!({"resourceType": "Parameters", "parameter": [op(json!([
                {"name": "type", "valueCode": "delete"},
                {"name": "path", "valueString": "Patient.telecom"}
            ]))]})
            .to_string(),
        )
        .send()
        .assert_status(412);
    assert_eq!(s.get(&path).etag_version(), 2, "nothing was written");
}

fn json_patch(s: &Server) {
    let p = s.create(&patient("Patch"));
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("Patient/{id}");
    let patch = |body: &str| {
        s.req("PATCH", &path)
            .body("application/json-patch+json", body)
            .send()
    };
    let r = patch(
        r#"[{"op":"replace","path":"/name/0/family","value":"Patched"},
            {"op":"add","path":"/telecom","value":[{"system":"phone","value":"555-0100"}]},
            {"op":"remove","path":"/birthDate"}]"#,
    );
    r.assert_status(200).assert_fhir_json();
    assert_eq!(r.etag_version(), 2);
    assert_eq!(
        r.h("content-location"),
        format!("{}/{path}/_history/2", s.base)
    );
    let v = r.json();
    assert_eq!(v["name"][0]["family"], "Patched");
    assert_eq!(v["telecom"][0]["value"], "555-0100");
    assert!(v.get("birthDate").is_none());
    assert_eq!(v["meta"]["versionId"], "2");
    assert_eq!(s.get(&path).json(), v);
    // A failing test op: 422, nothing written.
    patch(r#"[{"op":"test","path":"/active","value":false}]"#).assert_outcome(422, "business-rule");
    // The result must still be a valid Patient.
    patch(r#"[{"op":"replace","path":"/gender","value":"x"}]"#).assert_outcome_at(
        400,
        "code-invalid",
        "Patient.gender",
    );
    patch(r#"[{"op":"add","path":"/foo","value":1}]"#).assert_status(400);
    // Changing the id is refused.
    let r = patch(r#"[{"op":"replace","path":"/id","value":"other"}]"#);
    r.assert_outcome(400, "invalid");
    // Patching the type away is refused; meta.versionId stays the server's.
    patch(r#"[{"op":"replace","path":"/resourceType","value":"Encounter"}]"#).assert_status(400);
    patch(r#"[{"op":"remove","path":"/resourceType"}]"#).assert_status(400);
    // Not a JSON Patch document.
    patch(r#"{"op":"replace"}"#).assert_outcome(400, "invalid");
    patch("not json").assert_outcome(400, "invalid");
    // Prefer works on patch.
    let r = s
        .req("PATCH", &path)
        .header("Prefer", "return=minimal")
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/active","value":false}]"#,
        )
        .send();
    r.assert_status(200);
    assert!(r.body.is_empty());
    assert_eq!(r.etag_version(), 3);
    let r = patch(r#"[{"op":"replace","path":"/meta/versionId","value":"42"}]"#);
    r.assert_status(200);
    assert_eq!(r.json()["meta"]["versionId"], "4");
    assert_eq!(s.history_all(&format!("{path}/_history")).len(), 4);
}

fn history_levels_newest_first(s: &Server) {
    let mut a = s.create(&patient("HistA"));
    let aid = a["id"].as_str().unwrap().to_owned();
    let b = s.create(&patient("HistB"));
    let bid = b["id"].as_str().unwrap().to_owned();
    a["active"] = json!(false);
    s.update(&a);
    let e = s.create(&encounter(&aid));
    let eid = e["id"].as_str().unwrap().to_owned();
    s.delete(&format!("Patient/{bid}")).assert_status(200);

    let r = s.get(&format!("Patient/{aid}/_history"));
    r.assert_status(200).assert_fhir_json();
    let bundle = r.json();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "history");
    assert_eq!(
        link(&bundle, "self").unwrap(),
        format!("{}/Patient/{aid}/_history", s.base)
    );
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["resource"]["meta"]["versionId"], "2");
    assert_eq!(entries[0]["request"]["method"], "PUT");
    assert_eq!(entries[0]["request"]["url"], format!("Patient/{aid}"));
    assert_eq!(entries[0]["response"]["status"], "200 OK");
    assert_eq!(entries[0]["response"]["etag"], "W/\"2\"");
    assert!(entries[0]["response"]["lastModified"].is_string());
    assert_eq!(entries[1]["resource"]["meta"]["versionId"], "1");
    assert_eq!(entries[1]["request"]["method"], "POST");
    assert_eq!(entries[1]["request"]["url"], "Patient");
    assert_eq!(entries[1]["response"]["status"], "201 Created");
    assert_eq!(entries[0]["fullUrl"], format!("{}/Patient/{aid}", s.base));

    let keys = |path: &str| -> Vec<(String, String, String)> { entry_keys(&s.history_all(path)) };
    let full = |t: &str, id: &str| format!("{}/{t}/{id}", s.base);
    let w = |n: u32| format!("W/\"{n}\"");
    assert_eq!(
        keys("Patient/_history"),
        vec![
            (full("Patient", &bid), w(2), "DELETE".to_owned()),
            (full("Patient", &aid), w(2), "PUT".to_owned()),
            (full("Patient", &bid), w(1), "POST".to_owned()),
            (full("Patient", &aid), w(1), "POST".to_owned()),
        ]
    );
    assert_eq!(
        keys("_history"),
        vec![
            (full("Patient", &bid), w(2), "DELETE".to_owned()),
            (full("Encounter", &eid), w(1), "POST".to_owned()),
            (full("Patient", &aid), w(2), "PUT".to_owned()),
            (full("Patient", &bid), w(1), "POST".to_owned()),
            (full("Patient", &aid), w(1), "POST".to_owned()),
        ]
    );
    assert_eq!(keys("Encounter/_history").len(), 1);
    assert!(keys("Condition/_history").is_empty());
    // The history of a deleted resource is still there; of an unknown id it is empty or 404.
    assert_eq!(keys(&format!("Patient/{bid}/_history")).len(), 2);
    let r = s.get("Patient/nobody/_history");
    assert!(r.status == 404 || (r.status == 200 && r.json()["entry"].is_null()));
}

fn history_since_and_at(s: &Server) {
    let mut p = s.create(&patient("Since"));
    let id = p["id"].as_str().unwrap().to_owned();
    let v1_time = p["meta"]["lastUpdated"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(20));
    p["active"] = json!(false);
    let v2 = s.update(&p);
    let v2_time = v2["meta"]["lastUpdated"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let other = s.create(&patient("SinceOther"));

    let enc = |t: &str| t.replace(':', "%3A").replace('+', "%2B");
    let since_v2 = s.history_all(&format!("Patient/_history?_since={}", enc(&v2_time)));
    let keys = entry_keys(&since_v2);
    assert_eq!(keys.len(), 2, "v2 and the other patient: {keys:?}");
    assert_eq!(
        keys[0].0,
        format!("{}/Patient/{}", s.base, other["id"].as_str().unwrap())
    );
    assert_eq!(
        keys[1],
        (
            format!("{}/Patient/{id}", s.base),
            "W/\"2\"".to_owned(),
            "PUT".to_owned()
        )
    );
    let inst = s.history_all(&format!("Patient/{id}/_history?_since={}", enc(&v1_time)));
    assert_eq!(inst.len(), 2);
    let future = s.history_all("_history?_since=2999-01-01T00:00:00Z");
    assert!(future.is_empty());
    // _at: the version current at that time (between v1 and v2: v1).
    let at = s.history_all(&format!("Patient/{id}/_history?_at={}", enc(&v1_time)));
    assert!(!at.is_empty(), "_at={v1_time} found nothing");
    assert_eq!(at[0]["response"]["etag"], "W/\"1\"", "{at:?}");
}

fn history_paging_has_no_skips_or_repeats(s: &Server) {
    // 7 patients, 4 of them updated once, 2 deleted; plus 3 encounters: 16 entries.
    let mut ids = Vec::new();
    for i in 0..7 {
        let p = s.create(&patient(&format!("Page{i}")));
        ids.push(p["id"].as_str().unwrap().to_owned());
        if i % 2 == 0 {
            s.update(&p);
        }
    }
    for id in ids.iter().take(3) {
        s.create(&encounter(id));
    }
    s.delete(&format!("Patient/{}", ids[5])).assert_status(200);
    s.delete(&format!("Patient/{}", ids[6])).assert_status(200);

    for (scope, expected) in [("_history", 16), ("Patient/_history", 13)] {
        let one_page = s.get(&format!("{scope}?_count=100"));
        one_page.assert_status(200);
        let all = entry_keys(one_page.json()["entry"].as_array().unwrap());
        assert_eq!(all.len(), expected, "{scope}");
        assert!(link(&one_page.json(), "next").is_none());
        let first = link(&one_page.json(), "first").expect("a first link");
        assert!(
            first.ends_with(&format!("{scope}?_count=100")) && !first.contains("_cursor"),
            "{first}"
        );
        for count in [1, 3, 5, 16] {
            let mut pages = 0;
            let mut seen = Vec::new();
            let mut url = s.url(&format!("{scope}?_count={count}"));
            loop {
                pages += 1;
                assert!(pages <= 40, "{scope} _count={count}: paging does not end");
                let r = s.get(&url);
                r.assert_status(200);
                let bundle = r.json();
                let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
                assert!(entries.len() <= count, "page larger than _count={count}");
                seen.extend(entry_keys(&entries));
                let next = link(&bundle, "next");
                if let Some(n) = &next {
                    assert!(
                        n.contains(&format!("_count={count}")),
                        "next keeps _count: {n}"
                    );
                    assert!(!entries.is_empty(), "an empty page with a next link");
                }
                match next {
                    Some(n) => url = n,
                    None => break,
                }
            }
            let unique: HashSet<_> = seen.iter().cloned().collect();
            assert_eq!(unique.len(), seen.len(), "{scope} _count={count}: repeats");
            assert_eq!(
                seen, all,
                "{scope} _count={count}: pages differ from one page"
            );
            assert!(pages >= expected.div_ceil(count));
        }
    }
    // Writes between pages do not make a page repeat or skip older entries.
    let first = s.get("Patient/_history?_count=4");
    let first_bundle = first.json();
    let mut seen = entry_keys(first_bundle["entry"].as_array().unwrap());
    s.create(&patient("Interloper"));
    let mut next = link(&first_bundle, "next");
    while let Some(url) = next {
        let bundle = s.get(&url).json();
        seen.extend(entry_keys(bundle["entry"].as_array().unwrap()));
        next = link(&bundle, "next");
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "repeats after a concurrent write");
    assert_eq!(seen.len(), 13, "every entry as of the first page");
    // A forged cursor is a 400, not a 500.
    s.get("_history?_cursor=garbage")
        .assert_outcome(400, "invalid");
}

fn history_parameter_errors(s: &Server) {
    s.get("_history?_count=abc").assert_outcome(400, "invalid");
    s.get("_history?_count=-1").assert_outcome(400, "invalid");
    s.get("_history?_since=yesterday")
        .assert_outcome(400, "invalid");
    s.get("_history?_since=2020-01-01")
        .assert_outcome(400, "invalid");
    s.get("_history?_at=notadate")
        .assert_outcome(400, "invalid");
    s.get("_history?_count=1&_count=2")
        .assert_outcome(400, "invalid");
    s.get("Patient/_history?name=x")
        .assert_outcome(400, "invalid");
    s.get("_history?_since=2020-01-01T00:00:00Z")
        .assert_status(200);
    s.get("_history?_at=2020").assert_status(200);
}

fn request_id_is_echoed(s: &Server) {
    let r = s
        .req("GET", "metadata")
        .header("X-Request-Id", "e2e-test-42")
        .send();
    assert_eq!(r.h("x-request-id"), "e2e-test-42");
    let r = s.get("Patient/nobody");
    let generated = r.h("x-request-id");
    assert!(!generated.is_empty());
    // An unsafe id is replaced.
    let r = s
        .req("GET", "metadata")
        .header("X-Request-Id", "bad id with spaces")
        .send();
    assert_ne!(r.h("x-request-id"), "bad id with spaces");
}

fn concurrent_updates_lose_nothing(s: &Server) {
    let p = s.create(&patient("Concurrent"));
    let id = p["id"].as_str().unwrap().to_owned();
    let threads = 6;
    let per_thread = 5;
    let ok: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (p, id) = (p.clone(), id.clone());
                scope.spawn(move || {
                    let mut ok = 0;
                    for i in 0..per_thread {
                        let mut body = p.clone();
                        body["name"][0]["given"] = json!([format!("T{t}-{i}")]);
                        let r = s.put(&format!("Patient/{id}"), &body);
                        match r.status {
                            200 => ok += 1,
                            // A lost race is reported, never silently merged.
                            409 | 412 => {
                                assert_eq!(r.json()["resourceType"], "OperationOutcome")
                            }
                            other => panic!("concurrent update: {other} {}", r.body),
                        }
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert!(ok > 0);
    let r = s.get(&format!("Patient/{id}"));
    assert_eq!(
        r.etag_version(),
        1 + ok as i64,
        "one version per successful update"
    );
    let history = s.history_all(&format!("Patient/{id}/_history"));
    assert_eq!(history.len(), 1 + ok);
    let versions: Vec<String> = history
        .iter()
        .map(|e| {
            e["resource"]["meta"]["versionId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (1..=1 + ok).rev().map(|v| v.to_string()).collect();
    assert_eq!(versions, expected);
}

fn unicode_round_trips(s: &Server) {
    let mut p = patient("Ñúñez-Øre 山田");
    p["name"][0]["given"] = json!(["Zoë", "😀"]);
    let created = s.create(&p);
    let read = s.get(&format!("Patient/{}", created["id"].as_str().unwrap()));
    assert_eq!(read.json()["name"], p["name"]);
}

/// Only on SQLite: the server's limits need a server started with flags.
#[test]
fn body_larger_than_max_body_bytes_is_413() {
    let s = Server::start(
        Options::new(Backend::Sqlite)
            .arg("--max-body-bytes")
            .arg("2048"),
    )
    .unwrap();
    let mut big = patient("Big");
    big["name"][0]["given"] = json!(["x".repeat(4000)]);
    s.post("Patient", &big).assert_outcome(413, "too-costly");
    let small = s.create(&patient("Small"));
    let id = small["id"].as_str().unwrap();
    let mut big_update = small.clone();
    big_update["name"][0]["given"] = json!(["y".repeat(4000)]);
    s.put(&format!("Patient/{id}"), &big_update)
        .assert_outcome(413, "too-costly");
    assert_eq!(
        s.history_all("_history").len(),
        1,
        "nothing of the 413s was stored"
    );
}

#[test]
fn no_referential_integrity_accepts_dangling_references() {
    let s = Server::start(Options::new(Backend::Sqlite).arg("--no-referential-integrity")).unwrap();
    let e = s.create(&encounter("arrives-later"));
    assert_eq!(e["subject"]["reference"], "Patient/arrives-later");
    s.create(&condition("arrives-later"));
    // Other validation still applies.
    let mut bad = patient("StillChecked");
    bad["gender"] = json!("x");
    s.post("Patient", &bad)
        .assert_outcome_at(400, "code-invalid", "Patient.gender");
}

#[test]
fn base_url_sets_links_and_mount_path() {
    let s = Server::start(
        Options::new(Backend::Sqlite)
            .arg("--base-url")
            .arg("https://fhir.example.org/api/fhir"),
    )
    .unwrap();
    // The server mounts the API at the base URL's path.
    let root = s.root.clone();
    let r = s.post(&format!("{root}/api/fhir/Patient"), &patient("Base"));
    r.assert_status(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.h("location"),
        format!("https://fhir.example.org/api/fhir/Patient/{id}/_history/1")
    );
    let h = s.get(&format!("{root}/api/fhir/_history")).json();
    assert_eq!(
        h["entry"][0]["fullUrl"],
        format!("https://fhir.example.org/api/fhir/Patient/{id}")
    );
}

fn chrono_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Seconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> i64 {
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(parts.len(), 6, "not an HTTP date: {text}");
    assert_eq!(parts[5], "GMT", "not GMT: {text}");
    let day: i64 = parts[1].parse().unwrap();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])
    .unwrap_or_else(|| panic!("month in {text}")) as i64
        + 1;
    let year: i64 = parts[3].parse().unwrap();
    let hms: Vec<i64> = parts[4].split(':').map(|x| x.parse().unwrap()).collect();
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

fn encounter_and_condition_full_lifecycle(s: &Server) {
    let p = s.create(&patient("Lifecycle"));
    let pid = p["id"].as_str().unwrap().to_owned();
    for template in [encounter(&pid), condition(&pid)] {
        let t = template["resourceType"].as_str().unwrap().to_owned();
        let created = s.create(&template);
        let id = created["id"].as_str().unwrap().to_owned();
        let path = format!("{t}/{id}");
        // update
        let mut changed = created.clone();
        if t == "Encounter" {
            changed["status"] = json!("cancelled");
        } else {
            changed["code"]["text"] = json!("Revised synthetic condition");
        }
        let r = s.put(&path, &changed);
        r.assert_status(200);
        assert_eq!(r.etag_version(), 2);
        // patch
        let r = s
            .req("PATCH", &path)
            .body(
                "application/json-patch+json",
                r#"[{"op":"add","path":"/meta/tag","value":[{"system":"http://example.org/tags","code":"e2e"}]}]"#,
            )
            .send();
        r.assert_status(200);
        assert_eq!(r.etag_version(), 3);
        assert_eq!(r.json()["meta"]["tag"][0]["code"], "e2e");
        // vread of the first version
        let v1 = s.get(&format!("{path}/_history/1"));
        v1.assert_status(200);
        assert_eq!(v1.json(), created);
        // a reference change to a missing patient is refused on update too
        let mut orphan = r.json();
        orphan["subject"]["reference"] = json!("Patient/missing");
        s.put(&path, &orphan).assert_outcome_at(
            422,
            "not-found",
            &format!("{t}.subject.reference"),
        );
        // delete, 410, history
        s.delete(&path).assert_status(200);
        s.get(&path).assert_outcome(410, "deleted");
        let history = s.history_all(&format!("{path}/_history"));
        let methods: Vec<&str> = history
            .iter()
            .map(|e| e["request"]["method"].as_str().unwrap())
            .collect();
        assert_eq!(methods, ["DELETE", "PUT", "PUT", "POST"], "{t}");
        assert_eq!(s.history_all(&format!("{t}/_history")).len(), 4, "{t}");
    }
    // The patient they pointed at is untouched.
    assert_eq!(s.get(&format!("Patient/{pid}")).etag_version(), 1);
}

fn format_parameter_wins_over_accept(s: &Server) {
    let p = s.create(&patient("Precedence"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    let r = s
        .req("GET", &format!("{path}?_format=json"))
        .header("Accept", "application/fhir+xml")
        .send();
    r.assert_status(200).assert_fhir_json();
    s.req("GET", &format!("{path}?_format=xml"))
        .header("Accept", "application/fhir+json")
        .send()
        .assert_outcome(406, "not-supported");
}

fn hostile_input_is_400_and_the_server_stays_up(s: &Server) {
    let post = |body: &str| {
        s.req("POST", "Patient")
            .body("application/fhir+json", body)
            .send()
    };
    post(r#"{"resourceType":"Patient","active":true,"active":false}"#).assert_outcome_at(
        400,
        "structure",
        "Patient.active",
    );
    post(r#"{"resourceType":"Patient","gender":null}"#).assert_outcome_at(
        400,
        "structure",
        "Patient.gender",
    );
    post("\u{feff}{\"resourceType\":\"Patient\"}").assert_status(400);
    post(&format!(
        r#"{{"resourceType":"Patient","name":[{{"family":"{}"}}]}}"#,
        "\\ud800"
    ))
    .assert_status(400);
    // Nesting far beyond any real resource: refused, not a stack overflow.
    let depth = 3000;
    let deep = format!(
        r#"{{"resourceType":"Patient","extension":{}[]{}}}"#,
        r#"[{"url":"http://example.org/e","extension":"#.repeat(depth),
        "}]".repeat(depth)
    );
    post(&deep).assert_outcome(400, "structure");
    let deep_array = format!(
        r#"{{"resourceType":"Patient","name":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    post(&deep_array).assert_status(400);
    // Ids that try to escape the path.
    for path in ["Patient/..%2F..%2Fetc", "Patient/%00", "Patient/a%20b"] {
        s.get(path).assert_outcome(400, "invalid");
    }
    s.get("/healthz").assert_status(200);
    assert!(s.history_all("_history").is_empty());
}

fn decimals_and_primitive_extensions_round_trip_exactly(s: &Server) {
    let mut e = s.create(&patient("Decimal"));
    let pid = e["id"].as_str().unwrap().to_owned();
    let body = format!(
        r#"{{"resourceType":"Encounter","status":"finished","class":{{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}},"subject":{{"reference":"Patient/{pid}"}},"length":{{"value":1.50,"unit":"min","system":"http://unitsofmeasure.org","code":"min"}}}}"#
    );
    let r = s
        .req("POST", "Encounter")
        .body("application/fhir+json", &body)
        .send();
    r.assert_status(201);
    assert!(r.body.contains(r#""value":1.50"#), "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let read = s.get(&format!("Encounter/{id}"));
    assert!(read.body.contains(r#""value":1.50"#), "{}", read.body);
    let history = s.get(&format!("Encounter/{id}/_history"));
    assert!(history.body.contains(r#""value":1.50"#), "{}", history.body);
    // A partial date and an extension on a primitive.
    e["birthDate"] = json!("1970-05");
    e["_birthDate"] =
        json!({"extension": [{"url": "http://example.org/precision", "valueString": "month"}]});
    let updated = s.update(&e);
    assert_eq!(updated["birthDate"], "1970-05");
    assert_eq!(updated["_birthDate"], e["_birthDate"]);
    let read = s.get(&format!("Patient/{pid}")).json();
    assert_eq!(read["_birthDate"], e["_birthDate"]);
}

fn concurrent_creates_get_unique_ids(s: &Server) {
    let threads = 6;
    let per_thread = 8;
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            let created = s.create(&patient(&format!("Parallel{t}x{i}")));
                            created["id"].as_str().unwrap().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), threads * per_thread);
    assert_eq!(
        s.history_all("Patient/_history?_count=7").len(),
        threads * per_thread
    );
}

fn errors_ignore_prefer_minimal(s: &Server) {
    let mut bad = patient("Minimal");
    bad["gender"] = json!("x");
    let r = s
        .req("POST", "Patient")
        .header("Prefer", "return=minimal")
        .json(&bad)
        .send();
    r.assert_outcome_at(400, "code-invalid", "Patient.gender");
}

fn last_modified_matches_meta_last_updated(s: &Server) {
    let created = s.post("Patient", &patient("Time"));
    let body = created.json();
    let last_updated = body["meta"]["lastUpdated"].as_str().unwrap();
    // "2026-11-22T00:17:49.470247Z" -> seconds since the epoch, compared with the header.
    let header = parse_http_date(created.h("last-modified"));
    let meta = parse_fhir_instant_secs(last_updated);
    assert_eq!(
        header,
        meta,
        "{} vs {last_updated}",
        created.h("last-modified")
    );
}

fn method_not_allowed_lists_allow(s: &Server) {
    let p = s.create(&patient("Allow"));
    let r = s
        .req("POST", &format!("Patient/{}", p["id"].as_str().unwrap()))
        .json(&p)
        .send();
    r.assert_status(405);
    let allow = r.h("allow");
    for m in ["GET", "PUT", "PATCH", "DELETE"] {
        assert!(allow.contains(m), "Allow: {allow}");
    }
}

fn head_is_supported(s: &Server) {
    let p = s.create(&patient("Head"));
    let r = s
        .req("HEAD", &format!("Patient/{}", p["id"].as_str().unwrap()))
        .send();
    r.assert_status(200);
    assert_eq!(r.h("etag"), "W/\"1\"");
    assert!(r.body.is_empty());
}

fn history_of_update_as_create_says_put(s: &Server) {
    let mut p = patient("PutCreated");
    p["id"] = json!("put-created-1");
    s.put("Patient/put-created-1", &p).assert_status(201);
    let history = s.history_all("Patient/put-created-1/_history");
    assert_eq!(history[0]["request"]["method"], "PUT");
    assert_eq!(history[0]["request"]["url"], "Patient/put-created-1");
    // It created the resource, as the PUT's own 201 said.
    assert_eq!(history[0]["response"]["status"], "201 Created");
    s.put("Patient/put-created-1", &p).assert_status(200);
    let history = s.history_all("Patient/put-created-1/_history");
    assert_eq!(history[0]["response"]["status"], "200 OK");
}

/// Seconds since the epoch of a FHIR instant in UTC (`2026-11-22T00:17:49.470247Z`).
fn parse_fhir_instant_secs(text: &str) -> i64 {
    let (date, time) = text.split_once('T').unwrap();
    let d: Vec<&str> = date.split('-').collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months[d[1].parse::<usize>().unwrap() - 1];
    let hms = time.trim_end_matches('Z');
    let hms = hms.split('.').next().unwrap();
    parse_http_date(&format!("Xxx, {} {month} {} {hms} GMT", d[2], d[0]))
}

fn server_owns_meta_version_and_time(s: &Server) {
    let mut p = patient("Meta");
    p["id"] = json!("meta-1");
    p["meta"] = json!({
        "versionId": "99",
        "lastUpdated": "2000-01-01T00:00:00Z",
        "source": "urn:example:ehr",
        "tag": [{"system": "http://example.org/tags", "code": "synthetic"}]
    });
    let created = s.put("Patient/meta-1", &p);
    created.assert_status(201);
    let body = created.json();
    assert_eq!(body["meta"]["versionId"], "1");
    assert_ne!(body["meta"]["lastUpdated"], "2000-01-01T00:00:00Z");
    // What the client may set in meta stays.
    assert_eq!(body["meta"]["source"], "urn:example:ehr");
    assert_eq!(body["meta"]["tag"], p["meta"]["tag"]);
    p["meta"]["versionId"] = json!("1");
    let r = s.put("Patient/meta-1", &p);
    r.assert_status(200);
    assert_eq!(r.json()["meta"]["versionId"], "2");
}

fn instance_history_pages(s: &Server) {
    let mut p = s.create(&patient("Pages"));
    let id = p["id"].as_str().unwrap().to_owned();
    for i in 0..6 {
        p["name"][0]["given"] = json!([format!("V{i}")]);
        p = s.update(&p);
    }
    let mut versions = Vec::new();
    let mut url = s.url(&format!("Patient/{id}/_history?_count=2"));
    for _ in 0..10 {
        let bundle = s.get(&url).json();
        let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
        assert!(entries.len() <= 2);
        versions.extend(entries.iter().map(|e| {
            e["resource"]["meta"]["versionId"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
        match link(&bundle, "next") {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(versions, ["7", "6", "5", "4", "3", "2", "1"]);
}

/// Every write's audit row names the request (its `X-Request-Id`, echoed back) and the
/// client, in the same transaction as the write; a refused write leaves none. The request's
/// log line names the request id and the route pattern, never the path's id nor content.
fn audit_rows_and_log_lines_name_the_request_not_the_patient(s: &Server) {
    let mut p = patient("Auditfamilyname");
    let created = s
        .req("POST", "Patient")
        .header("X-Request-Id", "audit-create-1")
        .json(&p)
        .send();
    created.assert_status(201);
    assert_eq!(created.h("x-request-id"), "audit-create-1");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    p["id"] = json!(id);
    p["active"] = json!(false);
    s.req("PUT", &format!("Patient/{id}"))
        .header("X-Request-Id", "audit-update-2")
        .json(&p)
        .send()
        .assert_status(200);
    // Refused (stale If-Match): no version, no audit row.
    s.req("PUT", &format!("Patient/{id}"))
        .header("X-Request-Id", "audit-refused-3")
        .header("If-Match", "W/\"1\"")
        .json(&p)
        .send()
        .assert_status(412);
    s.req("DELETE", &format!("Patient/{id}"))
        .header("X-Request-Id", "audit-delete-4")
        .send()
        .assert_status(200);
    let store = custodian_store::Store::open(&s.database_url, Default::default()).unwrap();
    let trail = store.audit_for("Patient", &id).unwrap();
    let rows: Vec<(String, i64, Option<String>)> = trail
        .iter()
        .map(|r| (r.action.clone(), r.version, r.request_id.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("create".to_owned(), 1, Some("audit-create-1".to_owned())),
            ("update".to_owned(), 2, Some("audit-update-2".to_owned())),
            ("delete".to_owned(), 3, Some("audit-delete-4".to_owned())),
        ],
        "{trail:?}"
    );
    assert!(
        trail
            .iter()
            .all(|r| r.client.as_deref().is_some_and(|c| c.contains("127.0.0.1"))),
        "{trail:?}"
    );
    let log = s.log();
    let line = log
        .lines()
        .find(|l| l.contains("audit-update-2"))
        .unwrap_or_else(|| panic!("no log line for the update: {log}"));
    assert!(
        line.contains("[type]/[id]") && line.contains("200"),
        "{line}"
    );
    assert!(
        !log.contains(&id) && !log.contains("Auditfamilyname"),
        "{log}"
    );
}

/// `.` and `..` fit the id pattern but, as URL segments, name the parent path: refused.
fn dot_ids_are_refused(s: &Server) {
    for id in [".", ".."] {
        let mut p = patient("Dotted");
        p["id"] = json!(id);
        // %2E keeps the client from collapsing the segment before it is sent.
        let encoded = id.replace('.', "%2E");
        let r = s.put(&format!("Patient/{encoded}"), &p);
        // `..` may already be resolved against the path (then PUT on the base: 405).
        assert!(r.status == 400 || r.status == 405, "{id}: {}", r.body);
    }
    let found = s.get("Patient?family=dotted").json();
    assert_eq!(found.get("entry"), None, "{found}");
    // Ids with dots inside stay valid.
    let mut p = patient("Dotted");
    p["id"] = json!("a.b..c");
    s.put("Patient/a.b..c", &p).assert_status(201);
}
