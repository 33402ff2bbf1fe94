//! Search SQL on SQLite and PostgreSQL (`sqlite::*`, `postgres::*`): a synthetic population
//! with known answers, index rows from the real extraction, queries from the real parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::TestDb;
use custodian_search::query::{parse_query, Handling, SearchQuery};
use custodian_store::*;
use serde_json::{json, Value};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::TestDb::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = super::TestDb::postgres() { super::$name(&db) }
            } )*
        }
    };
}

both_backends!(
    string_parameters,
    hostile_values_match_literally,
    token_parameters,
    date_prefixes_at_boundaries,
    id_and_last_updated,
    number_and_quantity,
    reference_parameters,
    uri_parameters,
    missing_both_ways,
    chains,
    reverse_chains,
    includes_each_once,
    sorting_with_missing_values,
    paging_with_concurrent_writes,
    paging_sorted_with_ties,
    cursors_are_validated,
    totals_counts_and_ids,
    bodies_are_current_and_byte_exact,
    several_parameters_and_values,
    one_filter_pages_in_key_order,
    bulk_created_rows_are_searchable,
    iterate_that_goes_deeper_than_its_rounds_says_so,
    compartment_filter,
    previous_link_after_deletions_is_the_first_page,
    system_search_over_several_types,
    reindex_rewrites_rows_from_the_stored_bodies,
    contained_resources,
    name_and_address_read_their_parts_rows,
    per_resource_lookups_use_the_primary_key,
    an_unfiltered_page_walks_only_its_own_type,
);

fn ctx() -> AuditContext {
    AuditContext::default()
}

/// Writes `body` as `ty/id` (update-as-create), indexed by the real extraction.
fn put(store: &Store, ty: &str, id: &str, body: Value) -> StoredResource {
    let index = custodian_search::extract::extract(ty, &body).unwrap();
    let render = move |m: &Meta<'_>| -> Result<Vec<u8>, BoxError> {
        let mut v = body.clone();
        v["id"] = json!(m.id);
        let mut meta = v.get("meta").cloned().unwrap_or_else(|| json!({}));
        meta["versionId"] = json!(m.version_id);
        meta["lastUpdated"] = json!(m.last_updated);
        v["meta"] = meta;
        Ok(serde_json::to_vec(&v)?)
    };
    store
        .update(&ctx(), ty, id, None, &index, render)
        .unwrap()
        .resource
}

fn q(ty: &str, query: &str) -> SearchQuery {
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    parse_query(ty, pairs, Handling::Strict)
        .unwrap_or_else(|e| panic!("{ty}?{query} does not parse: {e}"))
}

/// Every match of `ty?query` (all pages), in order. Also walks back from the last page by
/// `previous` links: each page must be the forward page before it, with a `next` link back.
fn all(store: &Store, ty: &str, query: &str) -> Vec<String> {
    let query = q(ty, query);
    let page_ids = |r: &SearchResult| r.matches.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut page = PageRequest::default();
    let last = loop {
        let r = store.search(&query, &page).unwrap();
        assert_eq!(
            r.previous.is_none(),
            pages.is_empty(),
            "{query:?}: previous link"
        );
        pages.push(page_ids(&r));
        match r.next.clone() {
            Some(n) => page.cursor = Some(n),
            None => break r,
        }
        assert!(pages.len() < 10_000, "runaway paging");
    };
    let mut back = last.previous;
    for k in (0..pages.len().saturating_sub(1)).rev() {
        let cursor = back
            .take()
            .unwrap_or_else(|| panic!("{query:?}: no previous link to page {k}"));
        let r = store
            .search(
                &query,
                &PageRequest {
                    cursor: Some(cursor),
                },
            )
            .unwrap();
        assert_eq!(page_ids(&r), pages[k], "{query:?}: page {k} read backwards");
        let forward = store
            .search(
                &query,
                &PageRequest {
                    cursor: r.next.clone(),
                },
            )
            .unwrap();
        assert_eq!(
            page_ids(&forward),
            pages[k + 1],
            "{query:?}: next of a previous page"
        );
        assert_eq!(
            r.previous.is_some(),
            k > 0,
            "{query:?}: previous of page {k}"
        );
        back = r.previous;
    }
    pages.concat()
}

/// The set of matching ids.
fn ids(store: &Store, ty: &str, query: &str) -> BTreeSet<String> {
    let v = all(store, ty, query);
    let set: BTreeSet<String> = v.iter().cloned().collect();
    assert_eq!(
        set.len(),
        v.len(),
        "{ty}?{query} repeated a resource: {v:?}"
    );
    set
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[track_caller]
fn check(store: &Store, ty: &str, query: &str, want: &[&str]) {
    assert_eq!(ids(store, ty, query), set(want), "{ty}?{query}");
}

/// The shared population. Patients p1..p5 (p6 deleted), their encounters, conditions,
/// observations and risk assessments.
fn population(store: &Store) {
    put(
        store,
        "Organization",
        "org1",
        json!({"resourceType": "Organization", "name": "Acme Care"}),
    );
    put(
        store,
        "Practitioner",
        "dr1",
        json!({"resourceType": "Practitioner", "name": [{"family": "House"}]}),
    );
    put(
        store,
        "Patient",
        "p1",
        json!({
            "resourceType": "Patient",
            "meta": {"profile": ["http://example.org/StructureDefinition/special"]},
            "identifier": [{"system": "urn:mrn", "value": "A1"}],
            "active": true,
            "name": [{"family": "Müller", "given": ["Anna"]}],
            "gender": "female",
            "birthDate": "1980-05-15",
            "generalPractitioner": [{"reference": "Practitioner/dr1"}],
            "managingOrganization": {"reference": "Organization/org1"}
        }),
    );
    put(
        store,
        "Patient",
        "p2",
        json!({
            "resourceType": "Patient",
            "meta": {"profile": ["http://example.org/StructureDefinition/special-b"]},
            "identifier": [{"system": "urn:mrn", "value": "B2"}],
            "name": [{"family": "Muller-Smith", "given": ["Bob"]}],
            "gender": "male",
            "birthDate": "1980"
        }),
    );
    put(
        store,
        "Patient",
        "p3",
        json!({
            "resourceType": "Patient",
            "name": [{"family": "O'Brien\"; DROP TABLE resources;--", "given": ["50%_off\\back"]}],
            "gender": "female",
            "birthDate": "1979-12-31"
        }),
    );
    put(
        store,
        "Patient",
        "p4",
        json!({
            "resourceType": "Patient",
            "identifier": [{"value": "C3"}],
            "name": [{"family": "Smith"}]
        }),
    );
    put(
        store,
        "Patient",
        "p5",
        json!({
            "resourceType": "Patient",
            "name": [{"family": "Smithers", "given": ["Zoe"]}],
            "gender": "female",
            "birthDate": "1981-01-01",
            "link": [{"other": {"reference": "Patient/p1"}, "type": "seealso"}]
        }),
    );
    put(
        store,
        "Patient",
        "p6",
        json!({
            "resourceType": "Patient",
            "name": [{"family": "Deleted"}],
            "gender": "female",
            "birthDate": "1980-06-01"
        }),
    );
    let enc = |subject: Value, status: &str, start: &str| {
        json!({
            "resourceType": "Encounter",
            "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": subject,
            "serviceProvider": {"reference": "Organization/org1"},
            "period": {"start": start}
        })
    };
    put(
        store,
        "Encounter",
        "e1",
        enc(json!({"reference": "Patient/p1"}), "finished", "2020-01-01"),
    );
    put(
        store,
        "Encounter",
        "e2",
        enc(
            json!({"reference": "Patient/p1"}),
            "in-progress",
            "2020-02-01",
        ),
    );
    put(
        store,
        "Encounter",
        "e3",
        enc(json!({"reference": "Patient/p2"}), "finished", "2020-03-01"),
    );
    put(
        store,
        "Encounter",
        "e4",
        enc(json!({"reference": "Patient/p3"}), "planned", "2020-04-01"),
    );
    put(
        store,
        "Encounter",
        "e5",
        enc(
            json!({"reference": "http://other.example/fhir/Patient/x"}),
            "finished",
            "2020-05-01",
        ),
    );
    put(
        store,
        "Encounter",
        "e6",
        enc(
            json!({"identifier": {"system": "urn:mrn", "value": "A1"}}),
            "finished",
            "2020-06-01",
        ),
    );
    put(
        store,
        "Encounter",
        "e7",
        enc(json!({"reference": "Patient/p6"}), "finished", "2020-07-01"),
    );
    let cond = |subject: &str, code: &str, display: &str, extra: Value| {
        let mut c = json!({
            "resourceType": "Condition",
            "subject": {"reference": subject},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]}
        });
        if let (Some(obj), Value::Object(more)) = (c.as_object_mut(), extra) {
            obj.extend(more);
        }
        c
    };
    put(
        store,
        "Condition",
        "c1",
        cond(
            "Patient/p1",
            "44054006",
            "Diabetes mellitus type 2",
            json!({"onsetDateTime": "2019"}),
        ),
    );
    put(
        store,
        "Condition",
        "c2",
        cond("Patient/p2", "38341003", "Hypertension", json!({})),
    );
    put(
        store,
        "Condition",
        "c3",
        cond(
            "Patient/p3",
            "44054006",
            "Diabetes mellitus type 2",
            json!({}),
        ),
    );
    put(
        store,
        "Condition",
        "c4",
        cond(
            "Patient/p1",
            "38341003",
            "Hypertension",
            json!({"encounter": {"reference": "Encounter/e1"}}),
        ),
    );
    put(
        store,
        "Condition",
        "c6",
        cond("Patient/p6", "44054006", "Diabetes", json!({})),
    );
    put(
        store,
        "Observation",
        "o1",
        json!({
            "resourceType": "Observation", "status": "final", "code": {"text": "dose"},
            "subject": {"reference": "Patient/p1"},
            "valueQuantity": {"value": 5.4, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
        }),
    );
    put(
        store,
        "Observation",
        "o2",
        json!({
            "resourceType": "Observation", "status": "final", "code": {"text": "bp"},
            "subject": {"reference": "Patient/p2"},
            "valueQuantity": {"value": 120, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
        }),
    );
    put(
        store,
        "RiskAssessment",
        "ra1",
        json!({
            "resourceType": "RiskAssessment", "status": "final", "subject": {"reference": "Patient/p1"},
            "prediction": [{"probabilityDecimal": 0.4}]
        }),
    );
    put(
        store,
        "RiskAssessment",
        "ra2",
        json!({
            "resourceType": "RiskAssessment", "status": "final", "subject": {"reference": "Patient/p2"},
            "prediction": [{"probabilityDecimal": 0.25}]
        }),
    );
    store.delete(&ctx(), "Patient", "p6", None).unwrap();
}

fn populated(db: &TestDb) -> Store {
    let store = db.open();
    population(&store);
    store
}

fn string_parameters(db: &TestDb) {
    let s = populated(db);
    check(&s, "Patient", "family=muller", &["p1", "p2"]);
    check(&s, "Patient", "family=MÜLLER", &["p1", "p2"]);
    check(&s, "Patient", "family=Mül", &["p1", "p2"]);
    check(&s, "Patient", "family:exact=Müller", &["p1"]);
    check(&s, "Patient", "family:exact=muller", &[]);
    check(&s, "Patient", "family:exact=Müll", &[]);
    check(&s, "Patient", "family:contains=smith", &["p2", "p4", "p5"]);
    check(&s, "Patient", "family:contains=LER", &["p1", "p2"]);
    check(&s, "Patient", "family=smith", &["p4", "p5"]);
    check(&s, "Patient", "name=anna", &["p1"]);
    // `phonetic` searches `name`'s rows (same expression; the registry's `index_code`).
    check(&s, "Patient", "phonetic=anna", &["p1"]);
    check(&s, "Patient", "given=zo", &["p5"]);
    check(&s, "Patient", "family=deleted", &[]);
    check(&s, "Practitioner", "family=house", &["dr1"]);
}

fn hostile_values_match_literally(db: &TestDb) {
    let s = populated(db);
    check(
        &s,
        "Patient",
        "family=O'Brien\"; DROP TABLE resources;--",
        &["p3"],
    );
    check(
        &s,
        "Patient",
        "family:exact=O'Brien\"; DROP TABLE resources;--",
        &["p3"],
    );
    check(&s, "Patient", "family:contains='", &["p3"]);
    check(&s, "Patient", "family:contains=drop table", &["p3"]);
    check(&s, "Patient", "given:contains=%", &["p3"]);
    check(&s, "Patient", "given:contains=_", &["p3"]);
    check(&s, "Patient", "given:contains=%_", &["p3"]);
    check(&s, "Patient", "given:contains=\\", &["p3"]);
    check(&s, "Patient", "given:contains=0%_o", &["p3"]);
    check(&s, "Patient", "given=%", &[]);
    check(&s, "Patient", "given=_", &[]);
    check(&s, "Patient", "given:contains=a%a", &[]);
    check(&s, "Patient", "family=' OR '1'='1", &[]);
    check(&s, "Patient", "family:contains=' OR 1=1 --", &[]);
    check(
        &s,
        "Patient",
        "identifier=' OR 1=1; DELETE FROM resources; --",
        &[],
    );
    check(&s, "Patient", "_id=p1' OR '1'='1", &[]);
    check(&s, "Encounter", "subject=Patient/x' OR 1=1 --", &[]);
    check(&s, "Patient", "_profile=%", &[]);
    check(&s, "Patient", "_profile:below=http://example.org/%", &[]);
    check(
        &s,
        "Patient",
        "_profile:above=http://example.org/Structure%",
        &[],
    );
    // The stored uri is a prefix of the value: `%` is just a character here.
    check(
        &s,
        "Patient",
        "_profile:above=http://example.org/StructureDefinition/special%",
        &["p1"],
    );
    // Nothing was changed.
    check(&s, "Patient", "", &["p1", "p2", "p3", "p4", "p5"]);
    assert_eq!(ids(&s, "Encounter", "").len(), 7);
}

fn token_parameters(db: &TestDb) {
    let s = populated(db);
    check(&s, "Patient", "gender=female", &["p1", "p3", "p5"]);
    check(
        &s,
        "Patient",
        "gender=female,male",
        &["p1", "p2", "p3", "p5"],
    );
    check(&s, "Patient", "gender=|male", &["p2"]);
    check(&s, "Patient", "gender=urn:other|male", &[]);
    check(&s, "Patient", "gender:not=female", &["p2", "p4"]);
    check(&s, "Patient", "gender:not=female,male", &["p4"]);
    check(&s, "Patient", "identifier=A1", &["p1"]);
    check(&s, "Patient", "identifier=urn:mrn|A1", &["p1"]);
    check(&s, "Patient", "identifier=urn:mrn|C3", &[]);
    check(&s, "Patient", "identifier=|C3", &["p4"]);
    check(&s, "Patient", "identifier=|A1", &[]);
    check(&s, "Patient", "identifier=urn:mrn|", &["p1", "p2"]);
    check(&s, "Patient", "active=true", &["p1"]);
    check(&s, "Patient", "active:not=true", &["p2", "p3", "p4", "p5"]);
    check(&s, "Condition", "code=44054006", &["c1", "c3", "c6"]);
    check(
        &s,
        "Condition",
        "code=http://snomed.info/sct|38341003",
        &["c2", "c4"],
    );
    check(&s, "Condition", "code:text=diabetes", &["c1", "c3", "c6"]);
    check(&s, "Condition", "code:text=HYPER", &["c2", "c4"]);
    check(&s, "Condition", "code:text=mellitus", &[]);
    check(
        &s,
        "Encounter",
        "status=finished",
        &["e1", "e3", "e5", "e6", "e7"],
    );
    check(&s, "Encounter", "status:not=finished", &["e2", "e4"]);
}

fn date_prefixes_at_boundaries(db: &TestDb) {
    let s = populated(db);
    // p1 1980-05-15, p2 1980 (the whole year), p3 1979-12-31, p5 1981-01-01, p4 none.
    check(&s, "Patient", "birthdate=1980", &["p1", "p2"]);
    check(&s, "Patient", "birthdate=eq1980", &["p1", "p2"]);
    check(&s, "Patient", "birthdate=1980-05", &["p1"]);
    check(&s, "Patient", "birthdate=1980-05-15", &["p1"]);
    check(&s, "Patient", "birthdate=1980-05-15T10:00:00Z", &[]);
    check(&s, "Patient", "birthdate=ne1980", &["p3", "p5"]);
    check(&s, "Patient", "birthdate=ne1980-05-15", &["p2", "p3", "p5"]);
    check(&s, "Patient", "birthdate=gt1980", &["p5"]);
    check(&s, "Patient", "birthdate=gt1980-12-31", &["p5"]);
    check(&s, "Patient", "birthdate=gt1980-12-30", &["p2", "p5"]);
    check(&s, "Patient", "birthdate=lt1980", &["p3"]);
    check(&s, "Patient", "birthdate=lt1980-01-02", &["p2", "p3"]);
    check(&s, "Patient", "birthdate=ge1980", &["p1", "p2", "p5"]);
    check(&s, "Patient", "birthdate=ge1981-01-01", &["p5"]);
    check(&s, "Patient", "birthdate=le1980", &["p1", "p2", "p3"]);
    check(&s, "Patient", "birthdate=le1979-12-31", &["p3"]);
    check(&s, "Patient", "birthdate=sa1980", &["p5"]);
    check(&s, "Patient", "birthdate=sa1980-05-15", &["p5"]);
    check(&s, "Patient", "birthdate=eb1980", &["p3"]);
    check(&s, "Patient", "birthdate=eb1980-05-15", &["p3"]);
    check(&s, "Patient", "birthdate=eb1980-01-01", &["p3"]);
    check(&s, "Patient", "birthdate=1979,1981", &["p3", "p5"]);
    check(
        &s,
        "Patient",
        "birthdate=ge1980&birthdate=le1980",
        &["p1", "p2"],
    );
    let ap = ids(&s, "Patient", "birthdate=ap1980-05-15");
    assert!(ap.contains("p1") && !ap.contains("p4"), "{ap:?}");
    // Periods: e1 starts 2020-01-01 and is open-ended.
    check(
        &s,
        "Encounter",
        "date=ge2020-06-01",
        &["e1", "e2", "e3", "e4", "e5", "e6", "e7"],
    );
    check(&s, "Encounter", "date=lt2020-02-01", &["e1"]);
    check(
        &s,
        "Encounter",
        "date=sa2020-02-15",
        &["e3", "e4", "e5", "e6", "e7"],
    );
    check(&s, "Condition", "onset-date=2019", &["c1"]);
}

fn id_and_last_updated(db: &TestDb) {
    let store = db.open();
    let before = format_instant(chrono_now() - 1);
    population(&store);
    let after = format_instant(chrono_now() + 1_000_000);
    check(&store, "Patient", "_id=p1", &["p1"]);
    check(&store, "Patient", "_id=p1,p3,nope", &["p1", "p3"]);
    check(&store, "Patient", "_id=p6", &[]);
    check(&store, "Patient", "_id:not=p1", &["p2", "p3", "p4", "p5"]);
    check(
        &store,
        "Patient",
        &format!("_lastUpdated=ge{before}"),
        &["p1", "p2", "p3", "p4", "p5"],
    );
    check(&store, "Patient", &format!("_lastUpdated=lt{before}"), &[]);
    check(&store, "Patient", &format!("_lastUpdated=gt{after}"), &[]);
    // p5 updated later than the others.
    let mid = format_instant(chrono_now());
    std::thread::sleep(std::time::Duration::from_millis(5));
    put(
        &store,
        "Patient",
        "p5",
        json!({"resourceType": "Patient", "name": [{"family": "Smithers"}], "gender": "female", "birthDate": "1981-01-01"}),
    );
    check(&store, "Patient", &format!("_lastUpdated=gt{mid}"), &["p5"]);
    check(
        &store,
        "Patient",
        &format!("_lastUpdated=le{mid}"),
        &["p1", "p2", "p3", "p4"],
    );
    let today = &mid[..10];
    check(
        &store,
        "Patient",
        &format!("_lastUpdated={today}"),
        &["p1", "p2", "p3", "p4", "p5"],
    );
    check(
        &store,
        "Patient",
        "_id:missing=false",
        &["p1", "p2", "p3", "p4", "p5"],
    );
    check(&store, "Patient", "_lastUpdated:missing=true", &[]);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn number_and_quantity(db: &TestDb) {
    let s = populated(db);
    check(&s, "RiskAssessment", "probability=0.4", &["ra1"]);
    check(&s, "RiskAssessment", "probability=0.25", &["ra2"]);
    check(&s, "RiskAssessment", "probability=0.33", &[]);
    // 0.3 covers [0.25, 0.35]: the lower end is inclusive.
    check(&s, "RiskAssessment", "probability=0.3", &["ra2"]);
    check(&s, "RiskAssessment", "probability=gt0.3", &["ra1"]);
    check(&s, "RiskAssessment", "probability=gt0.4", &[]);
    check(&s, "RiskAssessment", "probability=ge0.4", &["ra1"]);
    check(&s, "RiskAssessment", "probability=lt0.4", &["ra2"]);
    check(&s, "RiskAssessment", "probability=le0.25", &["ra2"]);
    check(&s, "RiskAssessment", "probability=ne0.4", &["ra2"]);
    check(&s, "RiskAssessment", "probability=sa0.3", &["ra1"]);
    check(&s, "RiskAssessment", "probability=eb0.3", &[]);
    check(&s, "RiskAssessment", "probability=eb0.35", &["ra2"]);
    check(&s, "RiskAssessment", "probability=ap0.41", &["ra1"]);
    check(
        &s,
        "RiskAssessment",
        "probability:missing=false",
        &["ra1", "ra2"],
    );
    check(&s, "Observation", "value-quantity=5.4", &["o1"]);
    check(
        &s,
        "Observation",
        "value-quantity=5.4|http://unitsofmeasure.org|mg",
        &["o1"],
    );
    check(&s, "Observation", "value-quantity=5.4||mg", &["o1"]);
    check(
        &s,
        "Observation",
        "value-quantity=5.4|http://unitsofmeasure.org|g",
        &[],
    );
    check(&s, "Observation", "value-quantity=5.4|urn:other|mg", &[]);
    check(&s, "Observation", "value-quantity=5", &["o1"]);
    check(&s, "Observation", "value-quantity=5.0", &[]);
    check(&s, "Observation", "value-quantity=gt100", &["o2"]);
    check(&s, "Observation", "value-quantity=le5.4", &["o1"]);
    check(&s, "Observation", "value-quantity=lt5.4", &[]);
    check(&s, "Observation", "value-quantity=ne5.4", &["o2"]);
    check(&s, "Observation", "value-quantity=120||mm[Hg]", &["o2"]);
    check(&s, "Observation", "value-quantity=ap125", &["o2"]);
}

fn reference_parameters(db: &TestDb) {
    let s = populated(db);
    check(&s, "Encounter", "subject=Patient/p1", &["e1", "e2"]);
    check(&s, "Encounter", "subject:Patient=p1", &["e1", "e2"]);
    check(&s, "Encounter", "subject=p1", &["e1", "e2"]);
    check(&s, "Encounter", "patient=p1", &["e1", "e2"]);
    check(
        &s,
        "Encounter",
        "patient=Patient/p1,Patient/p3",
        &["e1", "e2", "e4"],
    );
    check(&s, "Encounter", "subject:Group=p1", &[]);
    // A version-specific value is refused: the index keeps targets, not versions.
    let versioned = s.search(
        &q("Encounter", "subject=Patient/p1/_history/1"),
        &PageRequest::default(),
    );
    assert!(
        matches!(&versioned, Err(StoreError::UnsupportedSearch(m)) if m.contains("_history")),
        "{versioned:?}"
    );
    // A reference matches whether or not its target still exists.
    check(&s, "Encounter", "subject=Patient/p6", &["e7"]);
    check(
        &s,
        "Encounter",
        "subject=http://other.example/fhir/Patient/x",
        &["e5"],
    );
    check(&s, "Encounter", "subject:identifier=urn:mrn|A1", &["e6"]);
    check(&s, "Encounter", "subject:identifier=A1", &["e6"]);
    check(&s, "Encounter", "subject:identifier=urn:other|A1", &[]);
    check(
        &s,
        "Patient",
        "general-practitioner=Practitioner/dr1",
        &["p1"],
    );
    check(&s, "Patient", "organization=org1", &["p1"]);
    check(&s, "Condition", "encounter=Encounter/e1", &["c4"]);
}

fn uri_parameters(db: &TestDb) {
    let s = populated(db);
    check(
        &s,
        "Patient",
        "_profile=http://example.org/StructureDefinition/special",
        &["p1"],
    );
    check(
        &s,
        "Patient",
        "_profile=http://example.org/StructureDefinition/spec",
        &[],
    );
    check(
        &s,
        "Patient",
        "_profile:below=http://example.org/StructureDefinition/",
        &["p1", "p2"],
    );
    check(
        &s,
        "Patient",
        "_profile:below=http://example.org/StructureDefinition/special-",
        &["p2"],
    );
    check(
        &s,
        "Patient",
        "_profile:above=http://example.org/StructureDefinition/special/v2",
        &["p1"],
    );
    check(
        &s,
        "Patient",
        "_profile:above=http://example.org/StructureDefinition/special-b",
        &["p1", "p2"],
    );
    check(&s, "Patient", "_profile:above=http://example.org/", &[]);
}

fn missing_both_ways(db: &TestDb) {
    let s = populated(db);
    check(&s, "Patient", "birthdate:missing=true", &["p4"]);
    check(
        &s,
        "Patient",
        "birthdate:missing=false",
        &["p1", "p2", "p3", "p5"],
    );
    check(&s, "Patient", "gender:missing=true", &["p4"]);
    check(&s, "Patient", "identifier:missing=true", &["p3", "p5"]);
    check(
        &s,
        "Patient",
        "identifier:missing=false",
        &["p1", "p2", "p4"],
    );
    check(&s, "Patient", "given:missing=true", &["p4"]);
    check(&s, "Patient", "general-practitioner:missing=false", &["p1"]);
    check(&s, "Patient", "_profile:missing=true", &["p3", "p4", "p5"]);
    check(&s, "Encounter", "subject:missing=true", &[]);
    check(
        &s,
        "Condition",
        "encounter:missing=true",
        &["c1", "c2", "c3", "c6"],
    );
    check(
        &s,
        "Observation",
        "value-quantity:missing=false",
        &["o1", "o2"],
    );
    check(
        &s,
        "Patient",
        "gender:missing=true,false",
        &["p1", "p2", "p3", "p4", "p5"],
    );
}

fn chains(db: &TestDb) {
    let s = populated(db);
    check(
        &s,
        "Encounter",
        "subject:Patient.family=muller",
        &["e1", "e2", "e3"],
    );
    check(&s, "Encounter", "patient.gender=male", &["e3"]);
    check(
        &s,
        "Encounter",
        "patient.gender=female",
        &["e1", "e2", "e4"],
    );
    check(&s, "Encounter", "subject:Patient.family=deleted", &[]);
    check(
        &s,
        "Encounter",
        "subject:Patient.birthdate:missing=true",
        &[],
    );
    check(
        &s,
        "Encounter",
        "subject:Patient.gender:not=female",
        &["e3"],
    );
    check(&s, "Encounter", "subject:Patient._id=p3", &["e4"]);
    // Two levels: Condition -> Encounter -> Patient.
    check(
        &s,
        "Condition",
        "encounter.subject:Patient.family=mull",
        &["c4"],
    );
    check(
        &s,
        "Condition",
        "encounter.subject:Patient.family=smith",
        &[],
    );
    // Three levels: Condition -> Encounter -> Patient -> Organization.
    check(
        &s,
        "Condition",
        "encounter.subject:Patient.organization.name=acme",
        &["c4"],
    );
    // Chain combined with a plain filter.
    check(
        &s,
        "Encounter",
        "subject:Patient.family=muller&status=finished",
        &["e1", "e3"],
    );
}

fn reverse_chains(db: &TestDb) {
    let s = populated(db);
    check(
        &s,
        "Patient",
        "_has:Condition:subject:code=44054006",
        &["p1", "p3"],
    );
    check(
        &s,
        "Patient",
        "_has:Condition:subject:code=38341003",
        &["p1", "p2"],
    );
    check(
        &s,
        "Patient",
        "_has:Condition:subject:code=38341003&gender=male",
        &["p2"],
    );
    check(
        &s,
        "Patient",
        "_has:Encounter:subject:status=planned",
        &["p3"],
    );
    check(
        &s,
        "Patient",
        "_has:Encounter:patient:status=in-progress",
        &["p1"],
    );
    // Nested: patients with an encounter that a hypertension condition refers to.
    check(
        &s,
        "Patient",
        "_has:Encounter:subject:_has:Condition:encounter:code=38341003",
        &["p1"],
    );
    check(
        &s,
        "Patient",
        "_has:Encounter:subject:_has:Condition:encounter:code=44054006",
        &[],
    );
    // A deleted patient's condition does not resurrect it.
    check(
        &s,
        "Patient",
        "_has:Condition:subject:code=http://snomed.info/sct|44054006",
        &["p1", "p3"],
    );
    check(
        &s,
        "Organization",
        "_has:Patient:organization:family=muller",
        &["org1"],
    );
}

fn includes_each_once(db: &TestDb) {
    let s = populated(db);
    let run = |ty: &str, query: &str| {
        let r = s.search(&q(ty, query), &PageRequest::default()).unwrap();
        assert_eq!(r.include_cut, None);
        let matches: Vec<String> = r
            .matches
            .iter()
            .map(|m| format!("{}/{}", m.resource_type, m.id))
            .collect();
        let included: Vec<String> = r
            .included
            .iter()
            .map(|m| format!("{}/{}", m.resource_type, m.id))
            .collect();
        let unique: BTreeSet<&String> = included.iter().collect();
        assert_eq!(
            unique.len(),
            included.len(),
            "{ty}?{query}: included twice: {included:?}"
        );
        for i in &included {
            assert!(
                !matches.contains(i),
                "{ty}?{query}: {i} is a match and included"
            );
        }
        (
            matches.into_iter().collect::<BTreeSet<_>>(),
            unique.into_iter().cloned().collect::<BTreeSet<_>>(),
        )
    };
    let (m, i) = run("Encounter", "_id=e1,e2,e3&_include=Encounter:subject");
    assert_eq!(m, set(&["Encounter/e1", "Encounter/e2", "Encounter/e3"]));
    assert_eq!(i, set(&["Patient/p1", "Patient/p2"]));
    let (_, i) = run("Encounter", "_id=e1&_include=Encounter:subject:Patient");
    assert_eq!(i, set(&["Patient/p1"]));
    let (_, i) = run("Encounter", "_id=e1&_include=Encounter:subject:Group");
    assert_eq!(i, set(&[]));
    // A deleted target is not included; an absolute or identifier-only reference neither.
    let (_, i) = run("Encounter", "_id=e5,e6,e7&_include=Encounter:subject");
    assert_eq!(i, set(&[]));
    let (_, i) = run("Encounter", "_id=e1&_include=*");
    assert_eq!(i, set(&["Patient/p1", "Organization/org1"]));
    let (_, i) = run("Patient", "_id=p1&_revinclude=Encounter:subject");
    assert_eq!(i, set(&["Encounter/e1", "Encounter/e2"]));
    let (_, i) = run(
        "Patient",
        "_id=p1,p2&_revinclude=Condition:subject&_revinclude=Encounter:patient",
    );
    assert_eq!(
        i,
        set(&[
            "Condition/c1",
            "Condition/c4",
            "Condition/c2",
            "Encounter/e1",
            "Encounter/e2",
            "Encounter/e3"
        ])
    );
    // Never duplicating a match: p5 links to p1, both match.
    let (_, i) = run("Patient", "_id=p1,p5&_include=Patient:link");
    assert_eq!(i, set(&[]));
    let (_, i) = run("Patient", "_id=p5&_include=Patient:link");
    assert_eq!(i, set(&["Patient/p1"]));
    // :iterate: Condition -> Encounter -> Patient -> Organization / Practitioner.
    let (_, i) = run(
        "Condition",
        "_id=c4&_include=Condition:encounter&_include:iterate=Encounter:subject",
    );
    assert_eq!(i, set(&["Encounter/e1", "Patient/p1"]));
    let (_, i) = run("Condition", "_id=c4&_include=Condition:encounter&_include:iterate=Encounter:subject&_include:iterate=Patient:general-practitioner");
    assert_eq!(i, set(&["Encounter/e1", "Patient/p1", "Practitioner/dr1"]));
    // Without :iterate the second hop does not happen.
    let (_, i) = run("Condition", "_id=c4&_include=Condition:encounter");
    assert_eq!(i, set(&["Encounter/e1"]));
    // Mixed include and revinclude that reach the same resource: once.
    let (_, i) = run(
        "Encounter",
        "_id=e1&_include=Encounter:subject&_revinclude:iterate=Condition:subject",
    );
    assert_eq!(i, set(&["Patient/p1", "Condition/c1", "Condition/c4"]));
    let (_, i) = run(
        "Patient",
        "_id=p1&_revinclude=Condition:subject&_include:iterate=Condition:encounter",
    );
    assert_eq!(i, set(&["Condition/c1", "Condition/c4", "Encounter/e1"]));
    // Included bodies are the stored bytes.
    let r = s
        .search(
            &q("Encounter", "_id=e1&_include=Encounter:subject"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(r.included[0].body, s.read("Patient", "p1").unwrap().body);
}

fn sorting_with_missing_values(db: &TestDb) {
    let s = populated(db);
    let order = |query: &str| all(&s, "Patient", query);
    // Ascending by the smallest value; p4 has no birthdate: last.
    assert_eq!(order("_sort=birthdate"), ["p3", "p2", "p1", "p5", "p4"]);
    // Descending by the largest value (p2's 1980 ends after p1's 1980-05-15); missing last.
    assert_eq!(order("_sort=-birthdate"), ["p5", "p2", "p1", "p3", "p4"]);
    assert_eq!(
        order("_sort=birthdate&_count=2"),
        ["p3", "p2", "p1", "p5", "p4"]
    );
    assert_eq!(
        order("_sort=-birthdate&_count=1"),
        ["p5", "p2", "p1", "p3", "p4"]
    );
    // Several keys: gender (p4 missing: last), then family descending.
    assert_eq!(
        order("_sort=gender,-family"),
        ["p5", "p3", "p1", "p2", "p4"]
    );
    assert_eq!(
        order("_sort=gender,-family&_count=2"),
        ["p5", "p3", "p1", "p2", "p4"]
    );
    assert_eq!(
        order("_sort=-gender,family&_count=3"),
        ["p2", "p1", "p3", "p5", "p4"]
    );
    assert_eq!(order("_sort=_id&_count=2"), ["p1", "p2", "p3", "p4", "p5"]);
    assert_eq!(order("_sort=-_id"), ["p5", "p4", "p3", "p2", "p1"]);
    // Ties broken by primary key (creation order): identifier missing for p3 and p5.
    assert_eq!(
        order("_sort=identifier&_count=1"),
        ["p1", "p2", "p4", "p3", "p5"]
    );
    assert_eq!(order("_sort=-_lastUpdated"), ["p5", "p4", "p3", "p2", "p1"]);
    assert_eq!(
        all(&s, "RiskAssessment", "_sort=-probability&_count=1"),
        ["ra1", "ra2"]
    );
    assert_eq!(
        all(&s, "Encounter", "_sort=subject&_count=3&status=finished"),
        ["e1", "e3", "e7", "e5", "e6"]
    );
    assert_eq!(order("_sort=birthdate&gender=female"), ["p3", "p1", "p5"]);
}

fn tagged_patient(n: usize) -> Value {
    json!({
        "resourceType": "Patient",
        "meta": {"tag": [{"system": "urn:test", "code": "paging"}]},
        "name": [{"family": format!("Page{:03}", n % 7)}],
        "birthDate": format!("19{:02}", 50 + n % 13)
    })
}

fn paging_with_concurrent_writes(db: &TestDb) {
    let s = db.open();
    for n in 0..40 {
        put(&s, "Patient", &format!("pg{n}"), tagged_patient(n));
    }
    let query = q("Patient", "_tag=urn:test|paging&_count=7");
    let mut seen = Vec::new();
    let mut page = PageRequest::default();
    let mut round = 0;
    loop {
        let r = s.search(&query, &page).unwrap();
        assert!(r.matches.len() <= 7);
        seen.extend(r.matches.iter().map(|m| m.id.clone()));
        // Other clients write between pages: new matches, updates, a deletion.
        put(&s, "Patient", &format!("new{round}"), tagged_patient(round));
        put(
            &s,
            "Patient",
            &format!("pg{}", round * 3),
            tagged_patient(round + 1),
        );
        if round == 2 {
            s.delete(&ctx(), "Patient", "pg39", None).unwrap();
        }
        round += 1;
        match r.next {
            Some(n) => page.cursor = Some(n),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a resource was repeated: {seen:?}"
    );
    for n in 0..39 {
        assert!(
            unique.contains(&format!("pg{n}")),
            "pg{n} was skipped: {seen:?}"
        );
    }
    assert!(
        !unique.contains(&"pg39".to_owned()) || seen.iter().position(|x| x == "pg39") < Some(21)
    );
    // Resources created while paging appear (they come after the cursor in pk order).
    assert!(unique.contains(&"new0".to_owned()));
}

fn paging_sorted_with_ties(db: &TestDb) {
    let s = db.open();
    for n in 0..40 {
        put(&s, "Patient", &format!("pg{n}"), tagged_patient(n));
    }
    for query in [
        "_tag=urn:test|paging&_sort=family&_count=4",
        "_tag=urn:test|paging&_sort=-family,birthdate&_count=3",
        "_tag=urn:test|paging&_sort=-birthdate&_count=5",
    ] {
        let full = all(&s, "Patient", &query.replace("_count=", "_count=10"));
        let paged = all(&s, "Patient", query);
        assert_eq!(full.len(), 40);
        assert_eq!(paged, full, "{query}");
    }
    let full = all(
        &s,
        "Patient",
        "_tag=urn:test|paging&_sort=family&_count=1000",
    );
    // Sorted by family, ties by creation order.
    let fam = |id: &str| id[2..].parse::<usize>().unwrap() % 7;
    let mut expected = full.clone();
    expected.sort_by_key(|id| (fam(id), id[2..].parse::<usize>().unwrap()));
    assert_eq!(full, expected);
}

fn cursors_are_validated(db: &TestDb) {
    let s = populated(db);
    let query = q("Patient", "_count=2");
    let first = s.search(&query, &PageRequest::default()).unwrap();
    let next = first.next.clone().unwrap();
    assert!(s
        .search(
            &query,
            &PageRequest {
                cursor: Some(next.clone())
            }
        )
        .is_ok());
    let bad = |cursor: String, query: &SearchQuery| {
        matches!(
            s.search(
                query,
                &PageRequest {
                    cursor: Some(cursor)
                }
            ),
            Err(StoreError::InvalidCursor)
        )
    };
    for garbage in ["", "x", "h12", "' OR 1=1 --", "eyJ2IjoxfQ", "%%%", "AAAA"] {
        assert!(bad(garbage.to_owned(), &query), "{garbage:?}");
    }
    assert!(bad(next[..next.len() - 3].to_owned(), &query));
    assert!(bad(format!("{next}A"), &query) || bad(format!("{next}AA"), &query));
    // Another query's cursor.
    assert!(bad(next.clone(), &q("Patient", "gender=female&_count=2")));
    assert!(bad(next.clone(), &q("Patient", "_sort=family&_count=2")));
    assert!(bad(next, &q("Encounter", "_count=2")));
    // The page size may change between pages.
    let sorted = q("Patient", "_sort=family&_count=2");
    let c = s
        .search(&sorted, &PageRequest::default())
        .unwrap()
        .next
        .unwrap();
    assert!(s
        .search(
            &q("Patient", "_sort=family&_count=3"),
            &PageRequest { cursor: Some(c) }
        )
        .is_ok());
}

fn totals_counts_and_ids(db: &TestDb) {
    let s = populated(db);
    let r = s
        .search(
            &q("Patient", "gender=female&_count=1&_total=accurate"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(r.total, Some(3));
    assert_eq!(r.matches.len(), 1);
    // An estimate is given, and exact.
    let r = s
        .search(
            &q("Patient", "gender=female&_count=1&_total=estimate"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!((r.total, r.matches.len()), (Some(3), 1));
    let r = s
        .search(
            &q("Patient", "gender=female&_count=1&_total=none"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(r.total, None);
    let r = s
        .search(
            &q("Patient", "gender=female&_total=none"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(r.total, None);
    // Known for free: a first page that is the last.
    let r = s
        .search(&q("Patient", "gender=female"), &PageRequest::default())
        .unwrap();
    assert_eq!(r.total, Some(3));
    assert!(r.next.is_none());
    let r = s
        .search(
            &q("Patient", "gender=female&_count=0"),
            &PageRequest::default(),
        )
        .unwrap();
    assert!(r.matches.is_empty());
    assert_eq!(r.total, Some(3));
    assert_eq!(s.count(&q("Patient", "gender=female")).unwrap(), 3);
    assert_eq!(s.count(&q("Patient", "")).unwrap(), 5);
    assert_eq!(
        s.count(&q("Encounter", "subject:Patient.family=muller"))
            .unwrap(),
        3
    );
    let two = s.search_ids(&q("Patient", "gender=female"), 2).unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(
        s.search_ids(&q("Patient", "identifier=urn:mrn|A1"), 2)
            .unwrap(),
        ["p1"]
    );
    assert!(s
        .search_ids(&q("Patient", "identifier=urn:mrn|ZZ"), 2)
        .unwrap()
        .is_empty());
    // Inside a write transaction (conditional update).
    let found = s
        .transaction(&ctx(), |tx| {
            tx.search_ids(&q("Patient", "family=smithers"), 2)
        })
        .unwrap();
    assert_eq!(found, ["p5"]);
    // Unsupported search features are typed errors.
    let mut bad = q("Patient", "_id=p1");
    bad.contained = Some(custodian_search::query::Contained::True);
    assert!(matches!(
        s.search(&bad, &PageRequest::default()),
        Err(StoreError::UnsupportedSearch(_))
    ));
    let mut bad = q("Patient", "gender=female");
    bad.contained = Some(custodian_search::query::Contained::Both);
    assert!(matches!(
        s.search_ids(&bad, 2),
        Err(StoreError::UnsupportedSearch(_))
    ));
}

fn bodies_are_current_and_byte_exact(db: &TestDb) {
    let s = populated(db);
    put(
        &s,
        "Patient",
        "p4",
        json!({"resourceType": "Patient", "name": [{"family": "Smith"}], "gender": "other"}),
    );
    let r = s
        .search(&q("Patient", "family=smith"), &PageRequest::default())
        .unwrap();
    assert_eq!(r.matches.len(), 2);
    for m in &r.matches {
        let read = s.read("Patient", &m.id).unwrap();
        assert_eq!(m, &read);
    }
    let p4 = r.matches.iter().find(|m| m.id == "p4").unwrap();
    assert_eq!(p4.version, 2);
    check(&s, "Patient", "gender=other", &["p4"]);
    check(&s, "Patient", "identifier=|C3", &[]);
}

fn several_parameters_and_values(db: &TestDb) {
    let s = populated(db);
    check(
        &s,
        "Patient",
        "gender=female&birthdate=ge1980",
        &["p1", "p5"],
    );
    check(
        &s,
        "Patient",
        "gender=female&birthdate=ge1980&family=mul",
        &["p1"],
    );
    check(
        &s,
        "Patient",
        "family=smith,muller&gender:not=male",
        &["p1", "p4", "p5"],
    );
    check(
        &s,
        "Patient",
        "birthdate=ge1980&gender=female&_has:Condition:subject:code=44054006",
        &["p1"],
    );
    check(
        &s,
        "Encounter",
        "status=finished&date=lt2020-04&subject:Patient.gender=male",
        &["e3"],
    );
    // The SQL plan is available for diagnostics on both backends.
    let plan = s
        .explain_search(&q("Patient", "family=muller&gender=female"))
        .unwrap();
    assert!(!plan.is_empty());
}

/// One filter alone (SQLite binds only a page's keys): pages of two in key order, no early
/// end when keys of deleted resources (`_has` targets) fall out, totals over all matches.
fn one_filter_pages_in_key_order(db: &TestDb) {
    let s = db.open();
    for i in 0..7 {
        let id = format!("pg{i}");
        put(
            &s,
            "Patient",
            &id,
            json!({"resourceType": "Patient", "name": [{"family": "Pager"}]}),
        );
        put(
            &s,
            "Condition",
            &format!("c{id}"),
            json!({
                "resourceType": "Condition",
                "subject": {"reference": format!("Patient/{id}")},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "271737000"}]}
            }),
        );
    }
    for id in ["pg1", "pg3", "pg4"] {
        s.delete(&ctx(), "Patient", id, None).unwrap();
    }
    let want = ["pg0", "pg2", "pg5", "pg6"];
    for query in [
        "family=pager&_count=2",
        "_has:Condition:subject:code=271737000&_count=2",
        "_has:Condition:subject:code=271737000&_count=1",
    ] {
        assert_eq!(all(&s, "Patient", query), want, "Patient?{query}");
    }
    let first = s
        .search(
            &q("Patient", "family=pager&_count=2&_total=accurate"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(first.total, Some(4));
    assert_eq!(first.matches.len(), 2);
    let last = s
        .search(
            &q("Patient", "_has:Condition:subject:code=271737000&_count=10"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!((last.total, last.next), (Some(4), None));
}

/// PostgreSQL writers commit in any order, and `lastUpdated` is taken before the commit: a
/// `_sort=_lastUpdated` cursor pages as of its first page's snapshot, so an update that was
/// in flight during the first page and commits before the second (with a `lastUpdated` older
/// than what the first page saw) neither repeats nor hides a resource.
#[test]
fn postgres_last_updated_paging_with_out_of_order_commits() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let s = db.open();
    let body = || json!({"resourceType": "Patient", "name": [{"family": "Order"}]});
    for i in 0..6 {
        put(&s, "Patient", &format!("o{i}"), body());
    }
    let query = q("Patient", "family=order&_sort=_lastUpdated&_count=3");
    let (written_tx, written) = std::sync::mpsc::channel();
    let (commit_tx, commit) = std::sync::mpsc::channel::<()>();
    let first = std::thread::scope(|scope| {
        let s = &s;
        scope.spawn(move || {
            let index = custodian_search::extract::extract("Patient", &body()).unwrap();
            s.transaction(&ctx(), |tx| {
                tx.update("Patient", "o0", None, &index, |m| {
                    Ok(serde_json::to_vec(&json!({
                        "resourceType": "Patient", "id": m.id, "active": true,
                        "name": [{"family": "Order"}]
                    }))?)
                })?;
                let _ = written_tx.send(());
                let _ = commit.recv();
                Ok(())
            })
            .unwrap();
        });
        written.recv().unwrap();
        // Committed after o0's update took its lastUpdated, but before it commits.
        put(s, "Patient", "o1", body());
        let first = s.search(&query, &PageRequest::default()).unwrap();
        commit_tx.send(()).unwrap();
        first
    });
    assert_eq!(s.read("Patient", "o0").unwrap().version, 2);
    let mut seen: Vec<String> = first.matches.iter().map(|m| m.id.clone()).collect();
    assert_eq!(
        seen,
        ["o0", "o2", "o3"],
        "o0 was unchanged in the first page's snapshot"
    );
    let mut page = PageRequest { cursor: first.next };
    while page.cursor.is_some() {
        let r = s.search(&query, &page).unwrap();
        seen.extend(r.matches.iter().map(|m| m.id.clone()));
        page.cursor = r.next;
    }
    assert_eq!(seen, ["o0", "o2", "o3", "o4", "o5", "o1"]);
}

/// Resources written by `create_many` (the bulk path of import and transaction Bundles) are
/// found through every index table. 75 resources of each type put their rows of a table in
/// statements of 64, 8 and single rows on SQLite (`batch.rs`): one resource is checked in
/// each.
fn bulk_created_rows_are_searchable(db: &TestDb) {
    let store = db.open();
    let n = 75;
    let bodies: Vec<(&str, String, Value)> = (0..n)
        .flat_map(|i| {
            [
                (
                    "Observation",
                    format!("bo{i}"),
                    json!({
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": format!("c{i}")}]},
                        "subject": {"reference": format!("Patient/bp{i}")},
                        "effectiveDateTime": format!("20{:02}-03-04", i % 100),
                        "valueQuantity": {"value": i, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
                    }),
                ),
                (
                    "RiskAssessment",
                    format!("br{i}"),
                    json!({
                        "resourceType": "RiskAssessment",
                        "status": "final",
                        "subject": {"reference": format!("Patient/bp{i}")},
                        "prediction": [{"probabilityDecimal": f64::from(i) / 100.0}]
                    }),
                ),
                (
                    "Patient",
                    format!("bp{i}"),
                    json!({
                        "resourceType": "Patient",
                        "meta": {"profile": [format!("http://example.org/StructureDefinition/bulk{i}")]},
                        "name": [{"family": format!("Bulkname{i}")}]
                    }),
                ),
            ]
        })
        .collect();
    let indexes: Vec<_> = bodies
        .iter()
        .map(|(ty, _, body)| custodian_search::extract::extract(ty, body).unwrap())
        .collect();
    store
        .transaction(&ctx(), |tx| {
            let items = bodies
                .iter()
                .zip(&indexes)
                .map(|((ty, id, body), index)| BatchItem {
                    resource_type: ty,
                    id: Some(id.as_str()),
                    index,
                    render: move |m: &Meta<'_>| -> Result<Vec<u8>, BoxError> {
                        let mut v = body.clone();
                        v["id"] = json!(m.id);
                        Ok(serde_json::to_vec(&v)?)
                    },
                })
                .collect();
            tx.create_many(items).map(|_| ())
        })
        .unwrap();
    for i in [0, 66, 74] {
        let year = format!("20{:02}", i % 100);
        // Two decimals: `0.66` covers [0.655, 0.665), so it names one resource.
        let probability = format!("{:.2}", f64::from(i) / 100.0);
        let cases = [
            (
                "Observation",
                format!("code=http://loinc.org|c{i}"),
                format!("bo{i}"),
            ),
            (
                "Observation",
                format!("subject=Patient/bp{i}"),
                format!("bo{i}"),
            ),
            (
                "Observation",
                format!("date={year}-03-04"),
                format!("bo{i}"),
            ),
            (
                "Observation",
                format!("value-quantity={i}|http://unitsofmeasure.org|mg"),
                format!("bo{i}"),
            ),
            (
                "RiskAssessment",
                format!("probability={probability}"),
                format!("br{i}"),
            ),
            ("Patient", format!("family=Bulkname{i}"), format!("bp{i}")),
            (
                "Patient",
                format!("_profile=http://example.org/StructureDefinition/bulk{i}"),
                format!("bp{i}"),
            ),
        ];
        for (ty, query, id) in &cases {
            check(&store, ty, query, &[id.as_str()]);
        }
    }
    assert_eq!(
        all(&store, "Observation", "value-quantity=ge0").len(),
        n as usize
    );
}

/// `:iterate` follows references round after round, up to `MAX_INCLUDE_ROUNDS`; a chain
/// longer than that is cut, and the result says so instead of looking complete.
fn iterate_that_goes_deeper_than_its_rounds_says_so(db: &TestDb) {
    let s = db.open();
    let chain = MAX_INCLUDE_ROUNDS + 3;
    for n in 0..=chain {
        let mut p = json!({"resourceType": "Patient", "name": [{"family": format!("Link{n}")}]});
        if n < chain {
            p["link"] = json!([{"other": {"reference": format!("Patient/pl{}", n + 1)}, "type": "seealso"}]);
        }
        put(&s, "Patient", &format!("pl{n}"), p);
    }
    let search = |query: &str| {
        s.search(&q("Patient", query), &PageRequest::default())
            .unwrap()
    };
    let deep = search("_id=pl0&_include:iterate=Patient:link");
    assert_eq!(deep.included.len(), MAX_INCLUDE_ROUNDS);
    assert_eq!(deep.include_cut, Some(IncludeCut::TooDeep));
    // Starting near the end, the chain ends within the rounds: complete, nothing said.
    let near_end = search(&format!(
        "_id=pl{}&_include:iterate=Patient:link",
        chain - 3
    ));
    assert_eq!(near_end.included.len(), 3);
    assert_eq!(near_end.include_cut, None);
    // Without :iterate there is one round, which is all that was asked.
    let once = search("_id=pl0&_include=Patient:link");
    assert_eq!((once.included.len(), once.include_cut), (1, None));
}

/// Resources of a type in one patient's compartment (`GET Patient/p1/Encounter`), alone and
/// with other filters; on SQLite the compartment's reference rows drive the query.
fn compartment_filter(db: &TestDb) {
    let s = populated(db);
    let in_compartment = |ty: &str, query: &str, patient: &str| {
        let mut query = q(ty, query);
        let params = custodian_search::compartment::compartment_params("Patient", ty).unwrap();
        query
            .filters
            .push(custodian_search::query::Filter::Compartment(
                custodian_search::query::Compartment {
                    compartment_type: "Patient".into(),
                    id: patient.into(),
                    params: params.to_vec(),
                },
            ));
        query
    };
    let ids = |query: &SearchQuery| -> BTreeSet<String> {
        s.search(query, &PageRequest::default())
            .unwrap()
            .matches
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    assert_eq!(
        ids(&in_compartment("Encounter", "", "p1")),
        set(&["e1", "e2"])
    );
    assert_eq!(
        ids(&in_compartment("Encounter", "status=finished", "p1")),
        set(&["e1"])
    );
    assert_eq!(ids(&in_compartment("Encounter", "", "nobody")), set(&[]));
    assert_eq!(ids(&in_compartment("Patient", "", "p2")), set(&["p2"]));
    let plan = s
        .explain_search(&in_compartment("Encounter", "", "p1"))
        .unwrap();
    if db.url.starts_with("sqlite:") {
        let text = plan.join("\n");
        // The compartment's keys were probed and bound: rows reached by primary key.
        assert!(
            text.contains("SEARCH r USING INTEGER PRIMARY KEY") && !text.contains("SCAN r"),
            "{text}"
        );
    }
}

/// A `previous` link whose rows were deleted since leads to the first page as it is now,
/// with a `next` link and no `previous` one: the client can always go on.
fn previous_link_after_deletions_is_the_first_page(db: &TestDb) {
    let s = db.open();
    for n in 0..9 {
        put(&s, "Patient", &format!("pd{n}"), tagged_patient(n));
    }
    let query = q("Patient", "_tag=urn:test|paging&_count=3");
    let page = |cursor: Option<String>| s.search(&query, &PageRequest { cursor }).unwrap();
    let ids = |r: &SearchResult| r.matches.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    let first = page(None);
    let second = page(first.next.clone());
    assert_eq!(ids(&second), ["pd3", "pd4", "pd5"]);
    for n in 0..4 {
        s.delete(&ctx(), "Patient", &format!("pd{n}"), None)
            .unwrap();
    }
    let back = page(second.previous.clone());
    assert_eq!(ids(&back), ["pd4", "pd5", "pd6"]);
    assert!(back.previous.is_none());
    assert_eq!(ids(&page(back.next.clone())), ["pd7", "pd8"]);
}

/// A system search (several types in one query): `_has` and a chain whose scope has several
/// types, resources of different types sharing an id, and keyset paging across the types.
fn system_search_over_several_types(db: &TestDb) {
    let s = db.open();
    let tag = json!({"tag": [{"system": "urn:test", "code": "system"}]});
    put(
        &s,
        "Patient",
        "shared",
        json!({"resourceType": "Patient", "meta": tag, "name": [{"family": "Sys"}]}),
    );
    put(
        &s,
        "Group",
        "shared",
        json!({"resourceType": "Group", "meta": tag, "type": "person", "actual": true}),
    );
    put(
        &s,
        "Group",
        "g2",
        json!({"resourceType": "Group", "meta": tag, "type": "person", "actual": true}),
    );
    put(
        &s,
        "Patient",
        "p-other",
        json!({"resourceType": "Patient", "meta": tag}),
    );
    let condition = |subject: &str, code: &str| {
        json!({
            "resourceType": "Condition",
            "subject": {"reference": subject},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]}
        })
    };
    put(&s, "Condition", "c1", condition("Patient/shared", "111"));
    put(&s, "Condition", "c2", condition("Group/g2", "111"));
    put(&s, "Condition", "c3", condition("Group/shared", "222"));
    put(&s, "Condition", "c4", condition("Patient/p-other", "222"));
    let system = |query: &str| -> SearchQuery {
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let registry = custodian_search::registry::registry().unwrap();
        custodian_search::query::parse_system_query_with(
            registry,
            &["Patient", "Group", "Condition"],
            pairs,
            Handling::Strict,
        )
        .unwrap_or_else(|e| panic!("{query}: {e}"))
    };
    let typed = |query: &SearchQuery| -> BTreeSet<String> {
        s.search(query, &PageRequest::default())
            .unwrap()
            .matches
            .into_iter()
            .map(|m| format!("{}/{}", m.resource_type, m.id))
            .collect()
    };
    let typed_set = |items: &[&str]| set(items);
    // `_has` on two types: each target is matched with its own type (Group/shared's
    // condition has code 222, so Group/shared is not found by 111 although Patient/shared is).
    assert_eq!(
        typed(&system(
            "_type=Patient,Group&_has:Condition:subject:code=111"
        )),
        typed_set(&["Patient/shared", "Group/g2"])
    );
    assert_eq!(
        typed(&system(
            "_type=Patient,Group&_has:Condition:subject:code=222"
        )),
        typed_set(&["Group/shared", "Patient/p-other"])
    );
    // A parameter common to both types, and the bodies of same-id resources kept apart.
    let page = s
        .search(
            &system("_type=Patient,Group&_tag=urn:test|system&_id=shared"),
            &PageRequest::default(),
        )
        .unwrap();
    let mut bodies: Vec<(String, String)> = page
        .matches
        .iter()
        .map(|m| {
            let body: Value = serde_json::from_str(&m.body).unwrap();
            (
                m.resource_type.clone(),
                body["resourceType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            ("Group".into(), "Group".into()),
            ("Patient".into(), "Patient".into())
        ]
    );
    // Paging one at a time over the three types sees each resource once, both ways.
    let query = system("_tag=urn:test|system&_count=1");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.search(&query, &PageRequest { cursor }).unwrap();
        seen.extend(
            page.matches
                .iter()
                .map(|m| format!("{}/{}", m.resource_type, m.id)),
        );
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Patient/shared",
            "Group/shared",
            "Group/g2",
            "Patient/p-other"
        ],
        "in the order written"
    );
    // A cursor of one system search does not continue another (other types).
    let first = s.search(&query, &PageRequest::default()).unwrap();
    let other = system("_type=Patient,Group&_tag=urn:test|system&_count=1");
    assert!(s
        .search(&other, &PageRequest { cursor: first.next })
        .is_err());
}

/// `Store::reindex`: resources written with an older extraction's rows (here a `phonetic`
/// row and no `family` row) get the rows of today's extraction from their stored bodies;
/// their versions stay; deleted resources and other types are left alone.
fn reindex_rewrites_rows_from_the_stored_bodies(db: &TestDb) {
    use custodian_search::index::{IndexEntry, IndexValue, ResourceIndex};
    let s = db.open();
    let body = |family: &str| json!({"resourceType": "Patient", "name": [{"family": family}]});
    let stale = |family: &str| ResourceIndex {
        entries: vec![IndexEntry {
            param: "phonetic".into(),
            value: IndexValue::String {
                normalized: family.to_lowercase(),
                exact: family.into(),
            },
        }],
        contained: Vec::new(),
    };
    // 1,203 Patients: more than two of the pages reindex works in.
    for n in 0..1203 {
        let family = format!("Stale{n}");
        let body = body(&family);
        let render = move |m: &Meta<'_>| -> Result<Vec<u8>, BoxError> {
            let mut v = body.clone();
            v["id"] = json!(m.id);
            v["meta"] = json!({"versionId": m.version_id, "lastUpdated": m.last_updated});
            Ok(serde_json::to_vec(&v)?)
        };
        s.update(
            &ctx(),
            "Patient",
            &format!("stale-{n}"),
            None,
            &stale(&family),
            render,
        )
        .unwrap();
    }
    s.delete(&ctx(), "Patient", "stale-7", None).unwrap();
    put(
        &s,
        "Encounter",
        "e-untouched",
        json!({"resourceType": "Encounter", "status": "planned",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}),
    );
    check(&s, "Patient", "family=stale1", &[]);

    let mut reported = Vec::new();
    let registry = custodian_search::registry::registry().unwrap();
    // Today's extraction of a stored body (a `Copy` closure: used for every run below).
    let today = |text: &str| -> Result<ResourceIndex, BoxError> {
        let value: Value = serde_json::from_str(text)?;
        Ok(custodian_search::extract::extract_with(
            registry, "Patient", &value,
        ))
    };
    let done = s.reindex("Patient", today, |n| reported.push(n)).unwrap();
    assert_eq!(done, 1202, "every current Patient, not the deleted one");
    assert_eq!(reported, [500, 1000, 1202]);
    check(&s, "Patient", "family:exact=Stale1", &["stale-1"]);
    check(&s, "Patient", "family:exact=Stale1202", &["stale-1202"]);
    check(&s, "Patient", "family:exact=Stale7", &[]);
    // `phonetic` now reads `name`'s rows, which the reindex wrote.
    check(&s, "Patient", "phonetic:exact=Stale1", &["stale-1"]);
    // Versions are as they were; a second run finds the same rows to write.
    let read = s.read("Patient", "stale-1").unwrap();
    assert_eq!(read.version, 1);
    assert_eq!(s.reindex("Patient", today, |_| {}).unwrap(), 1202);
    check(&s, "Encounter", "status=planned", &["e-untouched"]);
    // Writes go on while a reindex runs (here through the same writer), and are kept.
    let writer = {
        let s = s.clone();
        std::thread::spawn(move || {
            for n in 0..100 {
                put(
                    &s,
                    "Patient",
                    &format!("during-{n}"),
                    json!({"resourceType": "Patient",
                    "name": [{"family": "During"}]}),
                );
            }
        })
    };
    let again = s.reindex("Patient", today, |_| {}).unwrap();
    writer.join().unwrap();
    assert!((1202..=1302).contains(&again), "{again}");
    assert_eq!(s.count(&q("Patient", "family:exact=During")).unwrap(), 100);
    // A body the extraction refuses stops the reindex with the error, naming the resource.
    let e = s.reindex("Patient", |_| Err("refused".into()), |_| {});
    match e {
        Err(StoreError::Render(inner)) => {
            let text = inner.to_string();
            assert!(
                text.contains("Patient/stale-0") && text.contains("refused"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Writes `body` as `ty/id` with its contained Patients, Encounters and Conditions indexed
/// (what the server writes).
fn put_with_contained(store: &Store, ty: &str, id: &str, body: Value) {
    let index = custodian_search::extract::extract_stored(
        custodian_search::registry::registry().unwrap(),
        ty,
        &body,
        &["Patient", "Encounter", "Condition"],
    );
    store
        .update(&ctx(), ty, id, None, &index, move |m: &Meta<'_>| {
            let mut v = body.clone();
            v["id"] = json!(m.id);
            Ok(serde_json::to_vec(&v)?)
        })
        .unwrap();
}

/// Every match of `ty?query` over all pages as `Type/id`, or `Container/id#id` for a
/// contained resource.
fn addressed(store: &Store, ty: &str, query: &str) -> Vec<String> {
    let query = q(ty, query);
    let mut out = Vec::new();
    let mut page = PageRequest::default();
    loop {
        let r = store.search(&query, &page).unwrap();
        for (i, m) in r.matches.iter().enumerate() {
            out.push(match r.contained_in.get(i).cloned().flatten() {
                Some(container) => format!("{container}#{}", m.id),
                None => format!("{}/{}", m.resource_type, m.id),
            });
        }
        match r.next {
            Some(n) => page.cursor = Some(n),
            None => return out,
        }
        assert!(out.len() < 1000, "runaway paging");
    }
}

/// `_contained` and `_containedType`: contained resources are found only when asked for, all
/// of a search's parameters must match one contained resource, containers come once however
/// many of their resources match, and the rows follow the container's updates and delete.
fn contained_resources(db: &TestDb) {
    let s = db.open();
    let patient = |id: &str, family: &str, gender: &str| json!({"resourceType": "Patient", "id": id, "name": [{"family": family}], "gender": gender});
    put_with_contained(
        &s,
        "Encounter",
        "e1",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "contained": [patient("p1", "Ngata", "female"), patient("p2", "Osei", "male")],
               "subject": {"reference": "#p1"}}),
    );
    put_with_contained(
        &s,
        "Condition",
        "c1",
        json!({"resourceType": "Condition", "contained": [patient("p1", "Ngata", "male")],
               "subject": {"reference": "#p1"}}),
    );
    put_with_contained(
        &s,
        "Patient",
        "real",
        json!({"resourceType": "Patient", "name": [{"family": "Ngata"}], "gender": "female"}),
    );
    put_with_contained(
        &s,
        "Encounter",
        "e2",
        json!({"resourceType": "Encounter", "status": "planned", "class": {"code": "AMB"},
               "contained": [
                   {"resourceType": "Condition", "id": "dx",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
                    "subject": {"reference": "Patient/real"}}
               ],
               "subject": {"reference": "Patient/real"}}),
    );

    // Not asked for: only the resources themselves.
    assert_eq!(addressed(&s, "Patient", "family=ngata"), ["Patient/real"]);
    // Chains follow a reference into the resource's own contained resource, and only there
    // (c1's `#p1` is not e1's).
    // e1's subject is its contained Ngata, e2's the Patient/real Ngata.
    check(
        &s,
        "Encounter",
        "subject:Patient.family=ngata",
        &["e1", "e2"],
    );
    check(
        &s,
        "Encounter",
        "patient.gender=female&status=finished",
        &["e1"],
    );
    check(&s, "Encounter", "patient.family=osei", &[]);
    check(&s, "Condition", "subject:Patient.gender=male", &["c1"]);
    check(&s, "Condition", "subject:Patient.gender=female", &[]);
    check(&s, "Encounter", "subject:missing=false", &["e1", "e2"]);
    let r = s
        .search(
            &q("Encounter", "_id=e1&_include=Encounter:subject"),
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!((r.matches.len(), r.included.len()), (1, 0));
    assert_eq!(
        addressed(&s, "Patient", "family=ngata&_contained=false"),
        ["Patient/real"]
    );
    // Containers (the default), each once, in the order they were written.
    assert_eq!(
        addressed(&s, "Patient", "family=ngata&_contained=true"),
        ["Encounter/e1", "Condition/c1"]
    );
    assert_eq!(
        addressed(&s, "Patient", "family=ngata,osei&_contained=true&_count=1"),
        ["Encounter/e1", "Condition/c1"]
    );
    assert_eq!(
        addressed(&s, "Patient", "family=ngata&_contained=both&_count=2"),
        ["Encounter/e1", "Condition/c1", "Patient/real"]
    );
    // Sorted, containers of another type have no value of the searched type's parameter:
    // they come after those that have one, in the order they were written, across pages.
    assert_eq!(
        addressed(
            &s,
            "Patient",
            "family=ngata&_contained=both&_sort=family&_count=1"
        ),
        ["Patient/real", "Encounter/e1", "Condition/c1"]
    );
    // Both parameters must match the same contained Patient: e1's Ngata is female and its
    // male is Osei.
    assert_eq!(
        addressed(&s, "Patient", "family=ngata&gender=male&_contained=true"),
        ["Condition/c1"]
    );
    assert_eq!(
        addressed(
            &s,
            "Patient",
            "family=ngata&gender=male&_contained=true&_containedType=contained"
        ),
        ["Condition/c1#p1"]
    );
    assert_eq!(
        addressed(
            &s,
            "Patient",
            "family=ngata&_contained=both&_containedType=contained&_count=1"
        ),
        ["Encounter/e1#p1", "Condition/c1#p1", "Patient/real"]
    );
    // A contained match is the contained resource's own JSON.
    let r = s
        .search(
            &q(
                "Patient",
                "gender=male&_contained=true&_containedType=contained&_sort=family",
            ),
            &PageRequest::default(),
        )
        .unwrap();
    let bodies: Vec<Value> = r
        .matches
        .iter()
        .map(|m| serde_json::from_str(&m.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            patient("p1", "Ngata", "male"),
            patient("p2", "Osei", "male")
        ]
    );
    assert_eq!(
        r.contained_in,
        [
            Some("Condition/c1".to_owned()),
            Some("Encounter/e1".to_owned())
        ]
    );
    assert_eq!(r.total, Some(2));
    // Totals count containers, or contained resources.
    let count = |query: &str| s.count(&q("Patient", query)).unwrap();
    assert_eq!(count("family=ngata,osei&_contained=true"), 2);
    assert_eq!(
        count("family=ngata,osei&_contained=true&_containedType=contained"),
        3
    );
    // Other types and parameters: a contained Condition by code and by its subject, whose
    // reference leads out of the container (followed by _include).
    assert_eq!(
        addressed(
            &s,
            "Condition",
            "code=38341003&subject=Patient/real&_contained=true&_containedType=contained"
        ),
        ["Encounter/e2#dx"]
    );
    let r = s
        .search(
            &q(
                "Condition",
                "code=38341003&_contained=true&_containedType=contained\
                 &_include=Condition:subject&_revinclude=Encounter:diagnosis",
            ),
            &PageRequest::default(),
        )
        .unwrap();
    let included: Vec<String> = r.included.iter().map(|i| i.id.clone()).collect();
    assert_eq!(included, ["real"]);
    assert_eq!(
        addressed(&s, "Condition", "code=38341003"),
        Vec::<String>::new()
    );

    // The rows follow the container: an update replaces them, a delete removes them.
    put_with_contained(
        &s,
        "Encounter",
        "e1",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "contained": [patient("p1", "Ngata", "female")],
               "subject": {"reference": "#p1"}}),
    );
    assert_eq!(
        addressed(&s, "Patient", "family=osei&_contained=true"),
        Vec::<String>::new()
    );
    s.delete(&ctx(), "Condition", "c1", None).unwrap();
    assert_eq!(
        addressed(&s, "Patient", "family=ngata&_contained=true"),
        ["Encounter/e1"]
    );
    put_with_contained(
        &s,
        "Encounter",
        "e1",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}),
    );
    assert_eq!(
        addressed(&s, "Patient", "_contained=true"),
        Vec::<String>::new()
    );
    // A contained resource that stays keeps its place: paging one at a time while its
    // container is rewritten neither repeats nor skips one.
    let three = |genders: [&str; 3]| {
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "contained": [patient("q1", "Stable", genders[0]), patient("q2", "Stable", genders[1]),
                             patient("q3", "Stable", genders[2])]})
    };
    put_with_contained(&s, "Encounter", "e3", three(["male", "male", "male"]));
    let query = q(
        "Patient",
        "family=stable&_contained=true&_containedType=contained&_count=1",
    );
    let mut seen = Vec::new();
    let mut page = PageRequest::default();
    for genders in [
        ["female", "male", "male"],
        ["female", "female", "male"],
        ["other"; 3],
    ] {
        let r = s.search(&query, &page).unwrap();
        seen.extend(r.matches.iter().map(|m| m.id.clone()));
        put_with_contained(&s, "Encounter", "e3", three(genders));
        page.cursor = r.next;
    }
    assert_eq!(seen, ["q1", "q2", "q3"]);
    assert!(page.cursor.is_none());
    // Refused: a compartment, and orders the contained resources do not have.
    for bad in [
        "_contained=true&_sort=family",
        "_contained=true&_containedType=contained&_sort=-_lastUpdated",
        "_contained=both&_containedType=contained&_sort=_id",
    ] {
        let result = s.search(&q("Patient", bad), &PageRequest::default());
        assert_eq!(
            matches!(result, Err(StoreError::UnsupportedSearch(_))),
            bad != "_contained=true&_sort=family",
            "{bad}"
        );
    }
    put_with_contained(
        &s,
        "Encounter",
        "e3",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}),
    );
    // Stored before contained resources were indexed (an older version's extraction): found
    // once `reindex` has run, and a second reindex keeps the same rows in place.
    put(
        &s,
        "Encounter",
        "e-old",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "contained": [patient("old", "Oldstored", "female")]}),
    );
    assert_eq!(
        addressed(&s, "Patient", "family=oldstored&_contained=true"),
        Vec::<String>::new()
    );
    let today = |text: &str| -> Result<custodian_search::index::ResourceIndex, BoxError> {
        let value: Value = serde_json::from_str(text)?;
        Ok(custodian_search::extract::extract_stored(
            custodian_search::registry::registry()?,
            "Encounter",
            &value,
            &["Patient", "Encounter", "Condition"],
        ))
    };
    for _ in 0..2 {
        s.reindex("Encounter", today, |_| {}).unwrap();
        assert_eq!(
            addressed(
                &s,
                "Patient",
                "family=oldstored&_contained=true&_containedType=contained"
            ),
            ["Encounter/e-old#old"]
        );
    }
    put_with_contained(
        &s,
        "Encounter",
        "e-old",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}),
    );
    // Nothing of them is left behind: only e2's contained Condition has a row.
    let left: i64 = s
        .count(&q("Condition", "_contained=true&_containedType=contained"))
        .unwrap() as i64;
    assert_eq!(left, 1);
}

/// `name` and `address` keep no rows for the parts `family`, `given` and `address-city`,
/// `-state`, `-postalcode`, `-country` hold (`SearchParamDef::parts`): every form of search on
/// them still finds those parts, and their own parts (prefix, line, text) as before.
fn name_and_address_read_their_parts_rows(db: &TestDb) {
    let s = db.open();
    put(
        &s,
        "Patient",
        "only-family",
        json!({"resourceType": "Patient", "name": [{"family": "Partsfamily"}],
               "address": [{"city": "Zürich", "postalCode": "8001", "state": "ZH", "country": "CH"}]}),
    );
    put(
        &s,
        "Patient",
        "prefixed",
        json!({"resourceType": "Patient",
               "name": [{"prefix": ["Dr."], "given": ["Partsgiven"], "text": "Parts Text"}],
               "address": [{"line": ["1 Parts Lane"], "city": "Bern"}]}),
    );
    put(
        &s,
        "Patient",
        "nameless",
        json!({"resourceType": "Patient"}),
    );
    let rows = s
        .with_reader(|tx| tx.index_row_counts("Patient", "only-family"))
        .unwrap();
    // family, address-city, -postalcode, -state, -country; nothing for name or address.
    assert!(rows.contains(&("string", 5)), "{rows:?}");

    check(&s, "Patient", "name=partsfam", &["only-family"]);
    check(&s, "Patient", "name:exact=Partsfamily", &["only-family"]);
    check(&s, "Patient", "name:contains=sgiv", &["prefixed"]);
    check(&s, "Patient", "name=dr.", &["prefixed"]);
    check(&s, "Patient", "name=parts", &["only-family", "prefixed"]);
    check(&s, "Patient", "phonetic=partsfamily", &["only-family"]);
    check(
        &s,
        "Patient",
        "name:missing=false",
        &["only-family", "prefixed"],
    );
    check(&s, "Patient", "name:missing=true", &["nameless"]);
    check(&s, "Patient", "address=zurich", &["only-family"]);
    check(&s, "Patient", "address=8001", &["only-family"]);
    check(
        &s,
        "Patient",
        "address=zh,bern",
        &["only-family", "prefixed"],
    );
    check(&s, "Patient", "address:contains=lane", &["prefixed"]);
    check(&s, "Patient", "address:missing=true", &["nameless"]);
    check(
        &s,
        "Patient",
        "name=partsfamily&address=ch",
        &["only-family"],
    );
    // Sorted by name: the smallest of all its parts, family and given included.
    assert_eq!(
        all(&s, "Patient", "_sort=name&name:missing=false"),
        ["prefixed", "only-family"]
    );
    assert_eq!(
        all(&s, "Patient", "_sort=-address&address:missing=false"),
        ["only-family", "prefixed"]
    );
    // Chained and reverse-chained through the same rows.
    put(
        &s,
        "Encounter",
        "parts-visit",
        json!({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "subject": {"reference": "Patient/only-family"}}),
    );
    check(
        &s,
        "Encounter",
        "subject:Patient.name=partsfamily",
        &["parts-visit"],
    );
    check(
        &s,
        "Encounter",
        "subject:Patient.address=8001",
        &["parts-visit"],
    );
}

/// Sort keys and `:missing=true` / `:not` look up each candidate's own rows: on SQLite they
/// must reach them through the index table's primary key (res_pk, n), not through the value
/// index that `param_key` leads, which would walk every row of the parameter per candidate.
fn per_resource_lookups_use_the_primary_key(db: &TestDb) {
    let s = db.open();
    population(&s);
    for query in [
        "_sort=family",
        "_sort=-birthdate,name",
        "family:missing=true",
        "gender:not=male",
    ] {
        let plan = s.explain_search(&q("Patient", query)).unwrap();
        assert!(!plan.is_empty(), "{query}");
        if db.url.starts_with("sqlite:") {
            let text = plan.join("\n");
            for line in plan
                .iter()
                .filter(|l| l.contains("SEARCH") && l.contains("idx_"))
            {
                assert!(
                    line.contains("PRIMARY KEY (res_pk=?)"),
                    "Patient?{query}: {line}\n{text}"
                );
            }
        }
    }
    // A `_has` that another filter drives is probed per candidate: its reference rows are
    // found from the candidate (`idx_reference_rev` by target), with the sources' set tested
    // per row, not by one seek per source of the set for every candidate.
    let query = "family=muller&_has:Condition:subject:code=44054006";
    check(&s, "Patient", query, &["p1"]);
    let plan = s.explain_search(&q("Patient", query)).unwrap();
    if db.url.starts_with("sqlite:") {
        let text = plan.join("\n");
        let has_rows: Vec<&String> = plan
            .iter()
            .filter(|l| l.contains("SEARCH h") && l.contains("idx_reference"))
            .collect();
        assert!(!has_rows.is_empty(), "{text}");
        for line in has_rows {
            assert!(!line.contains("res_pk=?"), "{line}\n{text}");
        }
    }
}

/// A page of one type without filters or `_sort` starts at that type's first row: on
/// PostgreSQL, which takes a type's rows to be spread evenly over the primary key, it used to
/// walk `resources_pkey` past every row of the types written before it.
fn an_unfiltered_page_walks_only_its_own_type(db: &TestDb) {
    let store = db.open();
    let bodies: Vec<(&str, Value)> = (0..2000)
        .map(|_| {
            (
                "Patient",
                json!({"resourceType": "Patient", "gender": "other"}),
            )
        })
        .chain((0..2000).map(|i| {
            let body = json!({
                "resourceType": "Condition",
                "subject": {"reference": format!("Patient/p{i}")}
            });
            ("Condition", body)
        }))
        .collect();
    let indexes: Vec<_> = bodies
        .iter()
        .map(|(ty, body)| custodian_search::extract::extract(ty, body).unwrap())
        .collect();
    let created = store
        .transaction(&ctx(), |tx| {
            let items = bodies
                .iter()
                .zip(&indexes)
                .map(|((ty, body), index)| BatchItem {
                    resource_type: ty,
                    id: None,
                    index,
                    render: move |m: &Meta<'_>| -> Result<Vec<u8>, BoxError> {
                        let mut v = body.clone();
                        v["id"] = json!(m.id);
                        Ok(serde_json::to_vec(&v)?)
                    },
                })
                .collect();
            tx.create_many(items)
        })
        .unwrap();
    let conditions: Vec<String> = created[2000..].iter().map(|r| r.id.clone()).collect();
    if !db.url.starts_with("sqlite:") {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
        diesel::sql_query("ANALYZE resources")
            .execute(&mut conn)
            .unwrap();
    }
    // All pages, forward and back, in creation (primary key) order.
    assert_eq!(all(&store, "Condition", "_count=100"), conditions);
    let plan = store.explain_search(&q("Condition", "_count=7")).unwrap();
    let text = plan.join("\n");
    if db.url.starts_with("sqlite:") {
        assert!(text.contains("resources_search"), "{text}");
    } else {
        assert!(!text.contains("resources_pkey"), "{text}");
        assert!(text.contains("resources_search"), "{text}");
    }
}
