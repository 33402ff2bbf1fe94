//! Search over HTTP against the real binary, on SQLite and PostgreSQL: every parameter type
//! on a population with known answers, modifiers and prefixes at their boundaries, chains,
//! `_has`, includes, sorting, paging under concurrent writes, result shaping, strict and
//! lenient handling, POST `_search` and hostile values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod helpers;

use common::{link, Server};
use helpers::{
    assert_previous_links_mirror_next, count, enc, entries_in_mode, query, search, search_all,
    search_ids, Population,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};

backends!(
    string_parameters_default_exact_contains_and_accents,
    token_parameters_system_code_not_and_text,
    date_parameters_precision_and_prefixes,
    missing_modifier_both_ways,
    reference_parameters,
    chains_and_has,
    include_and_revinclude_each_resource_once,
    sort_multi_key_and_descending,
    paging_follows_next_without_skips_or_repeats,
    paging_while_others_write,
    summary_count_total_and_elements,
    compartment_search_by_the_patient_compartment,
    token_in_and_not_in_value_sets,
    token_above_and_below_by_code_system_hierarchy,
    strict_and_lenient_handling,
    post_search_form_body,
    hostile_values_match_literally,
    search_links_and_full_urls,
    contact_address_and_boolean_parameters,
    resource_level_parameters,
    condition_dates_quantities_and_references,
    include_iterate_and_wildcard,
    total_and_count_edge_cases,
    nested_has_and_multi_level_chains,
    escaped_separators_and_unicode_forms,
    lenient_drops_malformed_values,
    paging_with_missing_sort_values_and_deletes,
    index_follows_updates_deletes_and_patches,
    include_limit_is_stated_and_page_size_is_clamped,
    odd_queries_are_answered_never_500,
    summary_text_data_and_lenient_post,
    nul_byte_in_a_search_value_is_a_client_error,
    many_and_parameters_answer_quickly,
    paging_sorted_by_last_updated_while_others_write,
    reference_as_absolute_url_on_this_server,
    system_search_across_types,
    contained_resources_on_request,
    references_to_other_servers_are_not_local,
    long_or_lists_are_answered_or_refused,
    lenient_handling_still_refuses_unsupported_modifiers,
);

const MRN: &str = "http://example.org/mrn";
const OTHER: &str = "http://example.org/other";
const SNOMED: &str = "http://snomed.info/sct";

/// The hostile family names (all born 2000-01-01, gender unknown).
const HOSTILE: &[(&str, &str)] = &[
    ("obrien", "O'Brien"),
    ("percent", "100%"),
    ("percentx", "100x"),
    ("underscore", "a_b"),
    ("underscorex", "axb"),
    ("backslash", "back\\slash"),
    ("comma", "a,b"),
    ("quote", "Quote\"d"),
];

fn hostile_keys() -> Vec<&'static str> {
    HOSTILE.iter().map(|(k, _)| *k).collect()
}

fn person(
    family: &str,
    given: &str,
    gender: Option<&str>,
    birth: Option<&str>,
    ids: &[(&str, &str)],
) -> Value {
    let mut p = json!({
        "resourceType": "Patient",
        "active": true,
        "name": [{"family": family, "given": [given]}],
    });
    if let Some(g) = gender {
        p["gender"] = json!(g);
    }
    if let Some(b) = birth {
        p["birthDate"] = json!(b);
    }
    if !ids.is_empty() {
        p["identifier"] = ids
            .iter()
            .map(|(s, v)| json!({"system": s, "value": v}))
            .collect();
    }
    p
}

fn visit(patient: &str, class: &str, start: &str, end: &str) -> Value {
    json!({
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class},
        "subject": {"reference": format!("Patient/{patient}")},
        "period": {"start": start, "end": end}
    })
}

fn diagnosis(patient: &str, code: &str, text: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"
        }]},
        "code": {"coding": [{"system": SNOMED, "code": code}], "text": text},
        "subject": {"reference": format!("Patient/{patient}")}
    })
}

/// Patients, Encounters and Conditions with known answers.
fn populate(s: &Server) -> Population {
    let mut pop = Population::default();
    let patients = [
        (
            "mueller",
            person(
                "Müller",
                "Anna",
                Some("female"),
                Some("1980-05-15"),
                &[(MRN, "A1")],
            ),
        ),
        (
            "muller",
            person(
                "Muller",
                "Bob",
                Some("male"),
                Some("1980-12-31"),
                &[(MRN, "B2")],
            ),
        ),
        (
            "mullerson",
            person(
                "Mullerson",
                "Carl",
                Some("male"),
                Some("1979-12-31"),
                &[(OTHER, "A1")],
            ),
        ),
        ("smith", {
            let mut p = person("Smith", "Dana", Some("female"), Some("1981"), &[]);
            p["active"] = json!(false);
            p
        }),
        ("nogender", person("Zed", "Zoe", None, None, &[])),
    ];
    for (key, p) in patients {
        pop.add(key, &s.create(&p));
    }
    for (key, family) in HOSTILE {
        pop.add(
            key,
            &s.create(&person(
                family,
                "Hostile",
                Some("unknown"),
                Some("2000-01-01"),
                &[],
            )),
        );
    }
    let ids = pop.ids.clone();
    let e = |key: &str| ids[key].clone();
    let encounters = [
        (
            "e_mueller1",
            visit(
                &e("mueller"),
                "AMB",
                "2020-01-01T10:00:00Z",
                "2020-01-01T11:00:00Z",
            ),
        ),
        (
            "e_mueller2",
            visit(
                &e("mueller"),
                "IMP",
                "2020-03-01T10:00:00Z",
                "2020-03-05T11:00:00Z",
            ),
        ),
        (
            "e_muller",
            visit(
                &e("muller"),
                "IMP",
                "2021-06-01T00:00:00Z",
                "2021-06-02T00:00:00Z",
            ),
        ),
        (
            "e_mullerson",
            visit(
                &e("mullerson"),
                "AMB",
                "2019-01-01T08:00:00Z",
                "2019-01-01T09:00:00Z",
            ),
        ),
        (
            "e_smith",
            visit(
                &e("smith"),
                "AMB",
                "2022-02-02T08:00:00Z",
                "2022-02-02T09:00:00Z",
            ),
        ),
    ];
    for (key, enc) in encounters {
        let stored = s.create(&enc);
        pop.add(key, &stored);
    }
    let conditions = [
        (
            "c_diabetes",
            diagnosis(&e("mueller"), "44054006", "Diabetes mellitus type 2"),
        ),
        (
            "c_hypertension_muller",
            diagnosis(&e("muller"), "38341003", "Hypertension"),
        ),
        (
            "c_hypertension_mueller",
            diagnosis(&e("mueller"), "38341003", "Hypertension"),
        ),
    ];
    for (key, c) in conditions {
        let stored = s.create(&c);
        pop.add(key, &stored);
    }
    pop
}

fn string_parameters_default_exact_contains_and_accents(s: &Server) {
    let pop = populate(s);
    let mullers = ["mueller", "muller", "mullerson"];
    // Default: case- and accent-insensitive starts-with.
    pop.expect(s, &query("Patient", &[("family", "muller")]), &mullers);
    pop.expect(s, &query("Patient", &[("family", "MÜLLER")]), &mullers);
    pop.expect(s, &query("Patient", &[("family", "Mü")]), &mullers);
    pop.expect(
        s,
        &query("Patient", &[("family", "mullers")]),
        &["mullerson"],
    );
    pop.expect(s, &query("Patient", &[("family", "üller")]), &[]);
    // :exact is case- and accent-sensitive, whole value.
    pop.expect(
        s,
        &query("Patient", &[("family:exact", "Müller")]),
        &["mueller"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family:exact", "Muller")]),
        &["muller"],
    );
    pop.expect(s, &query("Patient", &[("family:exact", "muller")]), &[]);
    pop.expect(s, &query("Patient", &[("family:exact", "Mulle")]), &[]);
    // :contains anywhere in the value, normalized.
    pop.expect(
        s,
        &query("Patient", &[("family:contains", "LLER")]),
        &mullers,
    );
    pop.expect(
        s,
        &query("Patient", &[("family:contains", "erso")]),
        &["mullerson"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family:contains", "ULL")]),
        &mullers,
    );
    // name covers given and family; given alone.
    pop.expect(s, &query("Patient", &[("name", "anna")]), &["mueller"]);
    pop.expect(s, &query("Patient", &[("given", "zoe")]), &["nogender"]);
    // OR with commas, AND across parameters.
    pop.expect(
        s,
        &query("Patient", &[("family", "smith,zed")]),
        &["smith", "nogender"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family", "muller"), ("gender", "male")]),
        &["muller", "mullerson"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family", "mul"), ("family", "mullers")]),
        &["mullerson"],
    );
}

fn token_parameters_system_code_not_and_text(s: &Server) {
    let pop = populate(s);
    pop.expect(
        s,
        &query("Patient", &[("identifier", &format!("{MRN}|A1"))]),
        &["mueller"],
    );
    pop.expect(
        s,
        &query("Patient", &[("identifier", "A1")]),
        &["mueller", "mullerson"],
    );
    pop.expect(
        s,
        &query("Patient", &[("identifier", &format!("{MRN}|"))]),
        &["mueller", "muller"],
    );
    pop.expect(s, &query("Patient", &[("identifier", "|A1")]), &[]);
    pop.expect(
        s,
        &query("Patient", &[("identifier", &format!("{OTHER}|B2"))]),
        &[],
    );
    pop.expect(
        s,
        &query("Patient", &[("gender", "male")]),
        &["muller", "mullerson"],
    );
    // `gender` is a `code`: its system is the one its required binding implies.
    pop.expect(
        s,
        &query(
            "Patient",
            &[("gender", "http://hl7.org/fhir/administrative-gender|male")],
        ),
        &["muller", "mullerson"],
    );
    pop.expect(
        s,
        &query("Patient", &[("gender", "http://example.org/other|male")]),
        &[],
    );
    pop.expect(
        s,
        &query(
            "Patient",
            &[
                (
                    "gender:not",
                    "http://hl7.org/fhir/administrative-gender|male",
                ),
                ("family", "mul"),
            ],
        ),
        &["mueller"],
    );
    pop.expect(
        s,
        &query(
            "Encounter",
            &[
                ("status", "http://hl7.org/fhir/encounter-status|finished"),
                ("class", "IMP"),
            ],
        ),
        &["e_mueller2", "e_muller"],
    );
    pop.expect(s, &query("Patient", &[("active", "false")]), &["smith"]);
    // :not excludes the code and keeps resources without any value (search.html).
    pop.expect(
        s,
        &query("Patient", &[("gender:not", "male"), ("family", "mul")]),
        &["mueller"],
    );
    pop.expect(
        s,
        &query("Patient", &[("gender:not", "male"), ("given", "zoe")]),
        &["nogender"],
    );
    pop.expect(
        s,
        &query("Condition", &[("code", &format!("{SNOMED}|44054006"))]),
        &["c_diabetes"],
    );
    pop.expect(
        s,
        &query("Condition", &[("code", "38341003")]),
        &["c_hypertension_muller", "c_hypertension_mueller"],
    );
    pop.expect(
        s,
        &query("Condition", &[("code:not", "44054006")]),
        &["c_hypertension_muller", "c_hypertension_mueller"],
    );
    pop.expect(
        s,
        &query("Condition", &[("code:text", "diabetes")]),
        &["c_diabetes"],
    );
    pop.expect(
        s,
        &query("Condition", &[("code:text", "DIAB")]),
        &["c_diabetes"],
    );
    pop.expect(s, &query("Condition", &[("code:text", "44054006")]), &[]);
    pop.expect(
        s,
        &query("Encounter", &[("class", "IMP")]),
        &["e_mueller2", "e_muller"],
    );
    pop.expect(
        s,
        &query(
            "Condition",
            &[("clinical-status", "active"), ("code", "44054006")],
        ),
        &["c_diabetes"],
    );
}

fn date_parameters_precision_and_prefixes(s: &Server) {
    let pop = populate(s);
    let h = hostile_keys();
    let with_h = |base: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(h.iter().copied()).collect()
    };
    let q = |v: &str| query("Patient", &[("birthdate", v)]);
    // Precision: a year is the whole year; a month the whole month.
    pop.expect(s, &q("1980"), &["mueller", "muller"]);
    pop.expect(s, &q("1980-05"), &["mueller"]);
    pop.expect(s, &q("1980-05-15"), &["mueller"]);
    pop.expect(s, &q("eq1980-12-31"), &["muller"]);
    // A stored year is not within a searched month: eq needs the search range to contain it.
    pop.expect(s, &q("1981-06"), &[]);
    pop.expect(s, &q("1981"), &["smith"]);
    // Prefixes.
    pop.expect(s, &q("lt1980"), &["mullerson"]);
    pop.expect(s, &q("le1979-12-31"), &["mullerson"]);
    pop.expect(s, &q("gt1980-12-31"), &with_h(&["smith"]));
    pop.expect(s, &q("ge1980-12-31"), &with_h(&["muller", "smith"]));
    pop.expect(s, &q("ge1981-06"), &with_h(&["smith"]));
    pop.expect(s, &q("lt1980-05-15"), &["mullerson"]);
    pop.expect(s, &q("le1980-05-15"), &["mullerson", "mueller"]);
    // sa: starts after the end of the value; eb: ends before its start.
    pop.expect(s, &q("sa1980"), &with_h(&["smith"]));
    pop.expect(s, &q("eb1980"), &["mullerson"]);
    pop.expect(s, &q("sa1980-12-30"), &with_h(&["muller", "smith"]));
    // ne: not within the value's range.
    pop.expect_some(
        s,
        &q("ne1980"),
        &["mullerson", "smith", "obrien"],
        &["mueller", "muller"],
    );
    pop.expect_some(
        s,
        &q("ne1980-05-15"),
        &["muller", "mullerson", "smith"],
        &["mueller"],
    );
    // Two bounds AND together.
    pop.expect(
        s,
        &query(
            "Patient",
            &[("birthdate", "ge1980-01-01"), ("birthdate", "lt1981-01-01")],
        ),
        &["mueller", "muller"],
    );
    // Periods: the Encounter's period overlaps or is contained.
    let e = |v: &str| query("Encounter", &[("date", v)]);
    pop.expect(s, &e("2020-01-01"), &["e_mueller1"]);
    pop.expect(s, &e("2020"), &["e_mueller1", "e_mueller2"]);
    pop.expect(s, &e("ge2021"), &["e_muller", "e_smith"]);
    pop.expect(s, &e("lt2020"), &["e_mullerson"]);
    // A malformed date names the parameter.
    let r = s.get(&q("1980-13"));
    let issue = r.assert_outcome(400, "invalid");
    assert!(
        issue["diagnostics"].as_str().unwrap().contains("birthdate"),
        "{}",
        r.body
    );
}

fn missing_modifier_both_ways(s: &Server) {
    let pop = populate(s);
    pop.expect(
        s,
        &query("Patient", &[("gender:missing", "true")]),
        &["nogender"],
    );
    pop.expect(
        s,
        &query("Patient", &[("birthdate:missing", "true")]),
        &["nogender"],
    );
    pop.expect(
        s,
        &query("Patient", &[("gender:missing", "false"), ("family", "mul")]),
        &["mueller", "muller", "mullerson"],
    );
    let all: Vec<String> = search_ids(s, "Patient");
    let present = search_ids(s, "Patient?birthdate:missing=false");
    let absent = search_ids(s, "Patient?birthdate:missing=true");
    assert_eq!(present.len() + absent.len(), all.len());
    assert!(!present.contains(&pop.id("nogender").to_owned()));
    pop.expect(
        s,
        &query("Patient", &[("identifier:missing", "false")]),
        &["mueller", "muller", "mullerson"],
    );
    // Encounters all have a subject; none lacks one.
    pop.expect(s, "Encounter?subject:missing=true", &[]);
    assert_eq!(search_ids(s, "Encounter?subject:missing=false").len(), 5);
    let r = s.get("Patient?gender:missing=maybe");
    r.assert_outcome(400, "invalid");
}

fn reference_parameters(s: &Server) {
    let pop = populate(s);
    let mueller = pop.id("mueller");
    let both = ["e_mueller1", "e_mueller2"];
    pop.expect(s, &format!("Encounter?subject=Patient/{mueller}"), &both);
    pop.expect(s, &format!("Encounter?subject={mueller}"), &both);
    pop.expect(s, &format!("Encounter?subject:Patient={mueller}"), &both);
    pop.expect(s, &format!("Encounter?patient=Patient/{mueller}"), &both);
    pop.expect(
        s,
        &format!("Condition?subject=Patient/{mueller}"),
        &["c_diabetes", "c_hypertension_mueller"],
    );
    pop.expect(
        s,
        &format!(
            "Encounter?subject=Patient/{mueller},Patient/{}",
            pop.id("smith")
        ),
        &["e_mueller1", "e_mueller2", "e_smith"],
    );
    pop.expect(s, "Encounter?subject=Patient/no-such-patient", &[]);
    pop.expect(
        s,
        &format!("Encounter?_id={}", pop.id("e_smith")),
        &["e_smith"],
    );
}

fn chains_and_has(s: &Server) {
    let pop = populate(s);
    pop.expect(s, "Encounter?subject:Patient.family=smith", &["e_smith"]);
    pop.expect(
        s,
        &query("Encounter", &[("subject:Patient.family:exact", "Muller")]),
        &["e_muller"],
    );
    pop.expect(
        s,
        "Encounter?subject.family=muller",
        &["e_mueller1", "e_mueller2", "e_muller", "e_mullerson"],
    );
    pop.expect(
        s,
        "Encounter?subject:Patient.gender=female&class=IMP",
        &["e_mueller2"],
    );
    pop.expect(
        s,
        &query(
            "Condition",
            &[("subject:Patient.identifier", &format!("{MRN}|B2"))],
        ),
        &["c_hypertension_muller"],
    );
    pop.expect(
        s,
        "Patient?_has:Condition:subject:code=44054006",
        &["mueller"],
    );
    pop.expect(
        s,
        "Patient?_has:Condition:subject:code=38341003",
        &["mueller", "muller"],
    );
    pop.expect(s, "Patient?_has:Condition:subject:code=404", &[]);
    pop.expect(
        s,
        "Patient?_has:Encounter:subject:class=AMB&gender=male",
        &["mullerson"],
    );
    pop.expect(
        s,
        "Patient?_has:Condition:subject:code=38341003&_has:Encounter:subject:class=AMB",
        &["mueller"],
    );
    // A chain through an unknown parameter is refused, naming it.
    let r = s.get("Encounter?subject:Patient.nonsense=x");
    let issue = r.assert_outcome(400, "invalid");
    assert!(
        issue["diagnostics"].as_str().unwrap().contains("nonsense"),
        "{}",
        r.body
    );
}

fn full_urls(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap().to_owned())
        .collect()
}

fn include_and_revinclude_each_resource_once(s: &Server) {
    let pop = populate(s);
    let b = search(
        s,
        "Encounter?subject.family=muller&_include=Encounter:subject&_count=100",
    );
    let matches = entries_in_mode(&b, "match");
    let included = entries_in_mode(&b, "include");
    assert_eq!(matches.len(), 4, "{b}");
    let mut seen = HashSet::new();
    for url in full_urls(&matches)
        .iter()
        .chain(full_urls(&included).iter())
    {
        assert!(seen.insert(url.clone()), "{url} twice in {b}");
    }
    let included_ids: Vec<String> = included
        .iter()
        .map(|e| {
            assert_eq!(e["resource"]["resourceType"], "Patient");
            e["resource"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        pop.keys(&included_ids),
        ["mueller", "muller", "mullerson"]
            .iter()
            .map(|k| k.to_string())
            .collect::<BTreeSet<_>>()
    );
    // Included resources are not counted in total.
    let b = search(
        s,
        "Encounter?subject.family=muller&_include=Encounter:subject&_total=accurate",
    );
    assert_eq!(b["total"], 4, "{b}");

    // _revinclude: the Conditions and Encounters pointing at the matched patients, once each.
    let path = format!(
        "Patient?_id={},{}&_revinclude=Condition:subject&_revinclude=Encounter:subject",
        pop.id("mueller"),
        pop.id("muller")
    );
    let b = search(s, &path);
    let matches = entries_in_mode(&b, "match");
    assert_eq!(matches.len(), 2, "{b}");
    let included = entries_in_mode(&b, "include");
    let ids: Vec<String> = included
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len(), "{b}");
    assert_eq!(
        pop.keys(&ids),
        [
            "c_diabetes",
            "c_hypertension_mueller",
            "c_hypertension_muller",
            "e_mueller1",
            "e_mueller2",
            "e_muller"
        ]
        .iter()
        .map(|k| k.to_string())
        .collect::<BTreeSet<_>>()
    );
    // Includes across pages: each page carries the includes of its own matches.
    let mut matched = 0;
    let mut url = "Encounter?_include=Encounter:subject&_count=2".to_owned();
    loop {
        let b = search(s, &url);
        let m = entries_in_mode(&b, "match");
        matched += m.len();
        let refs: HashSet<String> = m
            .iter()
            .map(|e| {
                e["resource"]["subject"]["reference"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let inc: Vec<String> = entries_in_mode(&b, "include")
            .iter()
            .map(|e| format!("Patient/{}", e["resource"]["id"].as_str().unwrap()))
            .collect();
        assert_eq!(inc.len(), refs.len(), "{url}: {b}");
        assert_eq!(inc.iter().cloned().collect::<HashSet<_>>(), refs, "{url}");
        match link(&b, "next") {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(matched, 5);
    // An unknown include is refused in strict mode.
    s.get("Encounter?_include=Encounter:nonsense")
        .assert_outcome(400, "invalid");
}

fn names_in_order(resources: &[Value]) -> Vec<String> {
    resources
        .iter()
        .map(|r| r["name"][0]["family"].as_str().unwrap().to_owned())
        .collect()
}

fn sort_multi_key_and_descending(s: &Server) {
    populate(s);
    let got = names_in_order(&search_all(
        s,
        "Patient?family=muller&_sort=gender,-birthdate",
    ));
    assert_eq!(got, ["Müller", "Muller", "Mullerson"]);
    let got = names_in_order(&search_all(
        s,
        "Patient?family=muller&_sort=-gender,birthdate",
    ));
    assert_eq!(got, ["Mullerson", "Muller", "Müller"]);
    let got = names_in_order(&search_all(s, "Patient?family=muller&_sort=-birthdate"));
    assert_eq!(got, ["Muller", "Müller", "Mullerson"]);
    let got = names_in_order(&search_all(s, "Patient?family=muller&_sort=birthdate"));
    assert_eq!(got, ["Mullerson", "Müller", "Muller"]);
    // Sorting across pages keeps the order; a missing value does not lose the resource.
    let sorted = search_all(s, "Patient?_sort=birthdate,family&_count=3");
    assert_eq!(sorted.len(), 5 + HOSTILE.len());
    let dated: Vec<String> = sorted
        .iter()
        .filter_map(|r| r["birthDate"].as_str().map(str::to_owned))
        .collect();
    let mut expected = dated.clone();
    expected.sort();
    assert_eq!(dated, expected);
    let dates: Vec<String> = search_all(s, "Encounter?_sort=-date&_count=2")
        .iter()
        .map(|r| r["period"]["start"].as_str().unwrap().to_owned())
        .collect();
    let mut desc = dates.clone();
    desc.sort();
    desc.reverse();
    assert_eq!(dates, desc);
    s.get("Patient?_sort=nonsense")
        .assert_outcome(400, "invalid");
}

fn paging_follows_next_without_skips_or_repeats(s: &Server) {
    let mut created = BTreeSet::new();
    for i in 0..23 {
        let mut p = person(
            "Pager",
            &format!("P{i:02}"),
            Some("other"),
            Some(&format!("19{:02}-01-01", 50 + i % 4)),
            &[],
        );
        p["active"] = json!(true);
        created.insert(s.create(&p)["id"].as_str().unwrap().to_owned());
    }
    for path in [
        "Patient?family=pager&_count=5",
        "Patient?family=pager&_count=5&_sort=birthdate",
        "Patient?family=pager&_count=4&_sort=-birthdate,given",
        "Patient?family=pager&_count=1000",
    ] {
        let ids = search_ids(s, path);
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "{path}: repeats");
        assert_eq!(unique, created, "{path}: skips");
    }
    // `previous` links lead back through the same pages, sorted or not.
    for path in [
        "Patient?family=pager&_count=5",
        "Patient?family=pager&_count=5&_sort=birthdate",
        "Patient?family=pager&_count=4&_sort=-birthdate,given",
        "Patient?active=true&_count=6&_sort=-_lastUpdated",
    ] {
        let pages = assert_previous_links_mirror_next(s, path);
        assert!(pages.len() >= 4, "{path}: {pages:?}");
    }
    let first = search(s, "Patient?family=pager&_count=5&_total=accurate");
    assert_eq!(first["total"], 23);
    assert_eq!(entries_in_mode(&first, "match").len(), 5);
    let next = link(&first, "next").expect("a next link");
    assert!(next.contains("_cursor="), "{next}");
    assert!(link(&first, "first").is_some());
    // The last page has no next link.
    let last = search(s, "Patient?family=pager&_count=23");
    assert!(link(&last, "next").is_none(), "{last}");
    // A cursor is bound to its query: reused with other criteria or another type, refused.
    let cursor = next.split("_cursor=").nth(1).unwrap().to_owned();
    s.get(&format!("Patient?family=writer&_count=5&_cursor={cursor}"))
        .assert_outcome(400, "invalid");
    s.get(&format!("Encounter?_count=5&_cursor={cursor}"))
        .assert_outcome(400, "invalid");
    // A tampered cursor is refused, not run.
    let broken = format!(
        "{}&_cursor=AAAA{}",
        "Patient?family=pager&_count=5",
        enc("'--")
    );
    s.get(&broken).assert_outcome(400, "invalid");
}

fn paging_while_others_write(s: &Server) {
    page_while_writing(
        s,
        &[
            "Patient?family=writer&_count=4",
            "Patient?family=writer&_count=4&_sort=given",
        ],
    );
}

/// Sorted by `_lastUpdated`, an update moves a resource not yet seen before the cursor.
fn paging_sorted_by_last_updated_while_others_write(s: &Server) {
    // Every update moves a resource in this order: newest-first would skip the unseen ones
    // that change, oldest-first would repeat the seen ones.
    page_while_writing(
        s,
        &[
            "Patient?family=writer&_count=4&_sort=-_lastUpdated",
            "Patient?family=writer&_count=3&_sort=_lastUpdated",
            "Patient?family=writer&_count=5&_sort=-_lastUpdated,family",
        ],
    );
}

/// A reference given as an absolute URL on this server's base matches the relative one
/// (search.html: "SHOULD qualify as a match").
fn reference_as_absolute_url_on_this_server(s: &Server) {
    let pop = populate(s);
    let mueller = pop.id("mueller");
    pop.expect(
        s,
        &format!("Encounter?subject={}/Patient/{mueller}", s.base),
        &["e_mueller1", "e_mueller2"],
    );
}

fn page_while_writing(s: &Server, paths: &[&str]) {
    let mut original = BTreeSet::new();
    for i in 0..20 {
        let p = person(
            "Writer",
            &format!("W{i:02}"),
            Some("other"),
            Some("1990-01-01"),
            &[],
        );
        original.insert(s.create(&p)["id"].as_str().unwrap().to_owned());
    }
    for path in paths {
        // Deleted before the first page, re-created after it: a new match for later pages,
        // which must not sort at the time of its deletion (before the cursor, unseen).
        let ghost = s.create(&person(
            "Writer",
            "Ghost",
            Some("other"),
            Some("1990-01-01"),
            &[],
        ));
        s.delete(&format!("Patient/{}", ghost["id"].as_str().unwrap()))
            .assert_status(200);
        let mut seen: Vec<String> = Vec::new();
        let mut url = (*path).to_owned();
        let mut page = 0;
        loop {
            let b = search(s, &url);
            for e in entries_in_mode(&b, "match") {
                seen.push(e["resource"]["id"].as_str().unwrap().to_owned());
            }
            // Between pages: new matches arrive and already-seen and unseen ones change.
            let p = person(
                "Writer",
                &format!("New{page}"),
                Some("other"),
                Some("1990-01-01"),
                &[],
            );
            s.create(&p);
            if page == 0 {
                s.update(&ghost);
            }
            if let Some(first_seen) = seen.first() {
                let mut r = s.get(&format!("Patient/{first_seen}")).json();
                r["active"] = json!(page % 2 == 0);
                s.update(&r);
            }
            if let Some(unseen) = original.iter().find(|id| !seen.contains(id)) {
                let mut r = s.get(&format!("Patient/{unseen}")).json();
                r["active"] = json!(false);
                s.update(&r);
            }
            page += 1;
            match link(&b, "next") {
                Some(n) => url = n,
                None => break,
            }
            assert!(page < 100, "{path}: paging does not end");
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{path}: a resource was repeated: {seen:?}"
        );
        let missing: Vec<&String> = original.difference(&unique).collect();
        assert!(missing.is_empty(), "{path}: skipped {missing:?}");
        let ghost_id = ghost["id"].as_str().unwrap();
        if path.contains("_lastUpdated") {
            assert!(
                unique.contains(ghost_id),
                "{path}: the re-created {ghost_id} was not shown: {seen:?}"
            );
        }
    }
}

fn summary_count_total_and_elements(s: &Server) {
    populate(s);
    let b = search(s, "Patient?family=muller&_summary=count");
    assert_eq!(b["total"], 3, "{b}");
    assert!(entries_in_mode(&b, "match").is_empty(), "{b}");
    assert_eq!(count(s, "Patient"), 5 + HOSTILE.len() as u64);
    assert_eq!(count(s, "Encounter?class=AMB"), 3);
    let b = search(s, "Patient?family=muller&_total=accurate&_count=1");
    assert_eq!(b["total"], 3, "{b}");
    assert_eq!(entries_in_mode(&b, "match").len(), 1);
    // _elements: the named elements plus id and meta, marked SUBSETTED.
    let b = search(s, "Patient?family=muller&_elements=gender");
    let m = entries_in_mode(&b, "match");
    assert_eq!(m.len(), 3);
    for e in &m {
        let r = &e["resource"];
        assert!(r.get("gender").is_some(), "{r}");
        assert!(
            r.get("name").is_none() && r.get("birthDate").is_none(),
            "{r}"
        );
        assert!(r["id"].is_string());
        let tags = r["meta"]["tag"].as_array().cloned().unwrap_or_default();
        assert!(tags.iter().any(|t| t["code"] == "SUBSETTED"), "{r}");
    }
    let b = search(s, "Patient?family=muller&_elements=name,birthDate");
    for e in entries_in_mode(&b, "match") {
        let r = &e["resource"];
        assert!(
            r.get("name").is_some() && r.get("birthDate").is_some(),
            "{r}"
        );
        assert!(
            r.get("gender").is_none() && r.get("identifier").is_none(),
            "{r}"
        );
    }
    // The list does not apply to included resources (search.html#elements).
    let b = search(
        s,
        "Encounter?class=AMB&_elements=status&_include=Encounter:subject",
    );
    let matched = entries_in_mode(&b, "match");
    assert!(!matched.is_empty(), "{b}");
    assert!(
        matched
            .iter()
            .all(|e| e["resource"].get("subject").is_none()),
        "{b}"
    );
    let included = entries_in_mode(&b, "include");
    assert!(!included.is_empty(), "{b}");
    for e in &included {
        assert!(e["resource"].get("name").is_some(), "{e}");
        let tags = e["resource"]["meta"]["tag"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!tags.iter().any(|t| t["code"] == "SUBSETTED"), "{e}");
    }
    // A resource type may come first; a nested path is refused, on searches and on reads.
    let b = search(s, "Patient?family=muller&_elements=Patient.birthDate");
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert!(
        r.get("birthDate").is_some() && r.get("name").is_none(),
        "{r}"
    );
    s.get("Patient?family=muller&_elements=name.family")
        .assert_outcome(400, "invalid");
    let id = r["id"].as_str().unwrap();
    s.get(&format!("Patient/{id}?_elements=name.family"))
        .assert_outcome(400, "invalid");
    let read = s
        .get(&format!("Patient/{id}?_elements=Patient.birthDate"))
        .json();
    assert!(
        read.get("birthDate").is_some() && read.get("name").is_none(),
        "{read}"
    );
    // _summary=true keeps summary elements (name) and drops non-summary ones.
    let b = search(s, "Patient?family=smith&_summary=true");
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert!(r.get("name").is_some(), "{r}");
    assert!(r["meta"]["tag"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["code"] == "SUBSETTED"));
    s.get("Patient?_summary=maybe")
        .assert_outcome(400, "invalid");
}

fn strict_and_lenient_handling(s: &Server) {
    populate(s);
    // Strict is the default: the unknown parameter is named.
    for (path, name) in [
        ("Patient?family=smith&foo=bar", "foo"),
        ("Patient?family:sounds-like=smith", "sounds-like"),
        ("Patient?birthdate=yesterday", "birthdate"),
        ("Encounter?subject:Patient.nosuch=1", "nosuch"),
        ("Patient?_count=many", "_count"),
    ] {
        let r = s.get(path);
        let issue = r.assert_outcome(400, "invalid");
        let text = issue["diagnostics"].as_str().unwrap_or_default();
        assert!(text.contains(name), "{path}: {text}");
        let r = s
            .req("GET", path)
            .header("Prefer", "handling=strict")
            .send();
        r.assert_status(400);
    }
    // Lenient: ignored, reported in an outcome entry, and left out of the self link.
    let r = s
        .req("GET", "Patient?family=smith&foo=bar")
        .header("Prefer", "handling=lenient")
        .send();
    r.assert_status(200);
    let b = r.json();
    let m = entries_in_mode(&b, "match");
    assert_eq!(m.len(), 1, "{b}");
    assert_eq!(m[0]["resource"]["name"][0]["family"], "Smith");
    let outcome = entries_in_mode(&b, "outcome");
    assert_eq!(outcome.len(), 1, "{b}");
    assert_eq!(outcome[0]["resource"]["resourceType"], "OperationOutcome");
    assert!(
        helpers::diagnostics(&outcome[0]["resource"]).contains("foo"),
        "{b}"
    );
    let self_link = link(&b, "self").unwrap();
    assert!(self_link.contains("family=smith"), "{self_link}");
    assert!(!self_link.contains("foo"), "{self_link}");
}

fn post_search_form_body(s: &Server) {
    let pop = populate(s);
    let r = s
        .req("POST", "Patient/_search")
        .body(
            "application/x-www-form-urlencoded",
            &format!(
                "family=muller&gender=male&identifier={}",
                enc(&format!("{MRN}|B2"))
            ),
        )
        .send();
    r.assert_status(200).assert_fhir_json();
    let b = r.json();
    let ids: Vec<String> = entries_in_mode(&b, "match")
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pop.keys(&ids), ["muller".to_owned()].into_iter().collect());
    // Query string and body combine; results equal the GET's.
    let r = s
        .req("POST", "Patient/_search?_count=1")
        .body("application/x-www-form-urlencoded", "family=muller")
        .send();
    r.assert_status(200);
    let b = r.json();
    assert_eq!(entries_in_mode(&b, "match").len(), 1, "{b}");
    let next = link(&b, "next").expect("next after POST _search");
    let rest = search_all(s, &next);
    assert_eq!(rest.len(), 2);
    // Unknown parameters are refused the same way; JSON bodies are not forms.
    s.req("POST", "Patient/_search")
        .body("application/x-www-form-urlencoded", "foo=bar")
        .send()
        .assert_outcome(400, "invalid");
    s.req("POST", "Patient/_search")
        .json(&json!({"family": "x"}))
        .send()
        .assert_outcome(415, "not-supported");
}

fn hostile_values_match_literally(s: &Server) {
    let pop = populate(s);
    let q = |name: &str, v: &str| query("Patient", &[(name, v)]);
    pop.expect(s, &q("family", "O'Brien"), &["obrien"]);
    pop.expect(s, &q("family", "o'b"), &["obrien"]);
    pop.expect(s, &q("family", "100%"), &["percent"]);
    pop.expect(s, &q("family", "100"), &["percent", "percentx"]);
    pop.expect(s, &q("family:exact", "100%"), &["percent"]);
    pop.expect(s, &q("family:contains", "%"), &["percent"]);
    pop.expect(s, &q("family", "a_b"), &["underscore"]);
    pop.expect(s, &q("family:contains", "_"), &["underscore"]);
    pop.expect(s, &q("family:exact", "a_b"), &["underscore"]);
    // FHIR escaping: `\\` is a backslash, `\,` a comma that does not split values.
    pop.expect(s, &q("family", "back\\\\slash"), &["backslash"]);
    pop.expect(s, &q("family:contains", "\\\\"), &["backslash"]);
    pop.expect(s, &q("family", "a\\,b"), &["comma"]);
    pop.expect(s, &q("family", "Quote\"d"), &["quote"]);
    pop.expect(s, &q("family", "'"), &[]);
    pop.expect(s, &q("family", "%"), &[]);
    pop.expect(s, &q("family", "_"), &[]);
    pop.expect(s, &q("family", "' OR '1'='1"), &[]);
    pop.expect(s, &q("family:contains", "'; DROP TABLE resources; --"), &[]);
    pop.expect(s, &q("identifier", "a\\|b"), &[]);
    let r = s.get(&q("identifier", "a|b|c"));
    let issue = r.assert_outcome(400, "invalid");
    assert!(issue["diagnostics"]
        .as_str()
        .unwrap()
        .contains("identifier"));
    // Still all there.
    assert_eq!(count(s, "Patient"), 5 + HOSTILE.len() as u64);
}

fn search_links_and_full_urls(s: &Server) {
    let pop = populate(s);
    let b = search(s, "Patient?family=smith");
    let self_link = link(&b, "self").unwrap();
    assert!(
        self_link.starts_with(&format!("{}/Patient?", s.base)),
        "{self_link}"
    );
    let m = entries_in_mode(&b, "match");
    assert_eq!(
        m[0]["fullUrl"],
        format!("{}/Patient/{}", s.base, pop.id("smith"))
    );
    // Following the self link gives the same page.
    let again = search(s, &self_link);
    assert_eq!(entries_in_mode(&again, "match"), m);
    // Searching an unsupported or unknown type.
    s.get("Observation?code=x").assert_status(404);
    // An empty result is a Bundle with no matches.
    let b = search(s, "Patient?family=nobody-has-this-name");
    assert!(entries_in_mode(&b, "match").is_empty());
    // HEAD on a search.
    s.req("HEAD", "Patient?family=smith")
        .send()
        .assert_status(200);
}

fn contact_address_and_boolean_parameters(s: &Server) {
    let mut pop = Population::default();
    let mut a = person("Contact", "Ann", Some("female"), Some("1970-01-01"), &[]);
    a["telecom"] = json!([
        {"system": "email", "value": "ann@example.org", "use": "work"},
        {"system": "phone", "value": "+1-555-0100", "use": "home"}
    ]);
    a["address"] = json!([{"line": ["1 Main St"], "city": "Zürich", "postalCode": "8001",
                           "country": "CH", "state": "ZH"}]);
    a["deceasedBoolean"] = json!(false);
    pop.add("ann", &s.create(&a));
    let mut b = person("Contact", "Ben", Some("male"), Some("1971-01-01"), &[]);
    b["telecom"] = json!([{"system": "phone", "value": "ann@example.org"}]);
    b["address"] = json!([{"city": "Bern", "postalCode": "3000"}]);
    b["deceasedDateTime"] = json!("2020-04-01T10:00:00Z");
    pop.add("ben", &s.create(&b));
    pop.add(
        "cid",
        &s.create(&person("Contact", "Cid", Some("male"), None, &[])),
    );
    // email is the telecom where system=email; phone where system=phone.
    pop.expect(
        s,
        &query("Patient", &[("email", "ann@example.org")]),
        &["ann"],
    );
    pop.expect(s, &query("Patient", &[("phone", "+1-555-0100")]), &["ann"]);
    pop.expect(
        s,
        &query("Patient", &[("phone", "ann@example.org")]),
        &["ben"],
    );
    pop.expect(
        s,
        &query("Patient", &[("telecom", "ann@example.org")]),
        &["ann", "ben"],
    );
    pop.expect(
        s,
        &query("Patient", &[("telecom", "email|ann@example.org")]),
        &["ann"],
    );
    // Address parts: string, accent-insensitive.
    pop.expect(
        s,
        &query("Patient", &[("address-city", "zurich")]),
        &["ann"],
    );
    pop.expect(s, &query("Patient", &[("address", "1 main")]), &["ann"]);
    pop.expect(s, &query("Patient", &[("address", "main")]), &[]);
    pop.expect(
        s,
        &query("Patient", &[("address:contains", "main")]),
        &["ann"],
    );
    pop.expect(s, &query("Patient", &[("address", "bern")]), &["ben"]);
    pop.expect(
        s,
        &query("Patient", &[("address-postalcode", "800")]),
        &["ann"],
    );
    pop.expect(s, &query("Patient", &[("address-country", "ch")]), &["ann"]);
    pop.expect(
        s,
        &query(
            "Patient",
            &[("address-city:missing", "true"), ("family", "contact")],
        ),
        &["cid"],
    );
    // deceased: true when deceasedBoolean true or a deceasedDateTime exists.
    pop.expect(s, &query("Patient", &[("deceased", "true")]), &["ben"]);
    pop.expect_some(
        s,
        &query("Patient", &[("deceased", "false")]),
        &["ann"],
        &["ben"],
    );
    pop.expect(s, &query("Patient", &[("death-date", "2020-04")]), &["ben"]);
    pop.expect(
        s,
        &query("Patient", &[("death-date", "lt2020-04-01T10:00:00Z")]),
        &[],
    );
    pop.expect(
        s,
        &query("Patient", &[("death-date", "le2020-04-01T10:00:00Z")]),
        &["ben"],
    );
}

fn resource_level_parameters(s: &Server) {
    let mut pop = Population::default();
    let mut tagged = person("Meta", "Tagged", Some("other"), None, &[]);
    tagged["meta"] = json!({
        "tag": [{"system": "http://example.org/tags", "code": "vip"}],
        "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}],
        "profile": ["http://example.org/StructureDefinition/special-patient"],
        "source": "http://example.org/source#abc"
    });
    let tagged = s.create(&tagged);
    pop.add("tagged", &tagged);
    let before = s.create(&person("Meta", "Plain", Some("other"), None, &[]));
    pop.add("plain", &before);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let later = s.create(&person("Meta", "Later", Some("other"), None, &[]));
    pop.add("later", &later);
    pop.expect(
        s,
        &query("Patient", &[("_tag", "http://example.org/tags|vip")]),
        &["tagged"],
    );
    pop.expect(s, &query("Patient", &[("_tag", "vip")]), &["tagged"]);
    pop.expect(
        s,
        &query("Patient", &[("_tag:not", "vip")]),
        &["plain", "later"],
    );
    pop.expect(s, &query("Patient", &[("_security", "R")]), &["tagged"]);
    pop.expect(
        s,
        &query(
            "Patient",
            &[(
                "_profile",
                "http://example.org/StructureDefinition/special-patient",
            )],
        ),
        &["tagged"],
    );
    pop.expect(
        s,
        &query("Patient", &[("_source", "http://example.org/source#abc")]),
        &["tagged"],
    );
    pop.expect(
        s,
        &query("Patient", &[("_id", pop.id("plain"))]),
        &["plain"],
    );
    pop.expect(
        s,
        &query(
            "Patient",
            &[("_id", &format!("{},{}", pop.id("plain"), pop.id("later")))],
        ),
        &["plain", "later"],
    );
    // _lastUpdated with a prefix at the later resource's own instant.
    let at = later["meta"]["lastUpdated"].as_str().unwrap();
    pop.expect(
        s,
        &query("Patient", &[("_lastUpdated", &format!("ge{at}"))]),
        &["later"],
    );
    pop.expect(
        s,
        &query("Patient", &[("_lastUpdated", &format!("lt{at}"))]),
        &["tagged", "plain"],
    );
    // Day precision: all three were written on the day of the first (or, past midnight, the
    // next).
    let first_day = &tagged["meta"]["lastUpdated"].as_str().unwrap()[..10];
    pop.expect(
        s,
        &query("Patient", &[("_lastUpdated", &format!("ge{first_day}"))]),
        &["tagged", "plain", "later"],
    );
    if &at[..10] == first_day {
        pop.expect(
            s,
            &query("Patient", &[("_lastUpdated", first_day)]),
            &["tagged", "plain", "later"],
        );
    }
    pop.expect(s, &query("Patient", &[("_lastUpdated", "lt2000")]), &[]);
    // The stored tags are kept (and the subset tag is added only when subsetting).
    let b = search(s, &query("Patient", &[("_tag", "vip")]));
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert_eq!(r["meta"]["tag"].as_array().unwrap().len(), 1, "{r}");
}

fn condition_dates_quantities_and_references(s: &Server) {
    let mut pop = Population::default();
    let pat = s.create(&person(
        "Cond",
        "Pat",
        Some("female"),
        Some("1960-01-01"),
        &[],
    ));
    let pid = pat["id"].as_str().unwrap().to_owned();
    pop.add("pat", &pat);
    let mut enc = visit(&pid, "AMB", "2023-01-01T10:00:00Z", "2023-01-01T10:45:00Z");
    enc["length"] =
        json!({"value": 45, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"});
    enc["reasonCode"] =
        json!([{"coding": [{"system": SNOMED, "code": "29857009"}], "text": "Chest pain"}]);
    let enc = s.create(&enc);
    pop.add("enc45", &enc);
    let mut short = visit(&pid, "AMB", "2023-02-01T10:00:00Z", "2023-02-01T10:10:00Z");
    short["length"] =
        json!({"value": 10, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"});
    pop.add("enc10", &s.create(&short));
    let eid = pop.id("enc45").to_owned();
    let mut c1 = diagnosis(&pid, "44054006", "Diabetes");
    c1["onsetDateTime"] = json!("2015-06-01");
    c1["recordedDate"] = json!("2015-06-03T09:00:00Z");
    c1["encounter"] = json!({"reference": format!("Encounter/{eid}")});
    c1["category"] = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}]);
    c1["verificationStatus"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]});
    pop.add("c_onset_date", &s.create(&c1));
    let mut c2 = diagnosis(&pid, "38341003", "Hypertension");
    c2["onsetPeriod"] = json!({"start": "2010-01-01", "end": "2012-12-31"});
    c2["abatementDateTime"] = json!("2013-01-01");
    c2["clinicalStatus"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]});
    pop.add("c_onset_period", &s.create(&c2));
    let mut c3 = diagnosis(&pid, "195662009", "Acute viral pharyngitis");
    c3["onsetAge"] =
        json!({"value": 42, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"});
    pop.add("c_onset_age", &s.create(&c3));

    let q = |params: &[(&str, &str)]| query("Condition", params);
    pop.expect(s, &q(&[("onset-date", "2015")]), &["c_onset_date"]);
    pop.expect(s, &q(&[("onset-date", "2011")]), &[]);
    pop.expect(
        s,
        &q(&[("onset-date", "ge2011-06-01")]),
        &["c_onset_date", "c_onset_period"],
    );
    pop.expect(s, &q(&[("onset-date", "eb2013")]), &["c_onset_period"]);
    pop.expect(s, &q(&[("recorded-date", "2015-06-03")]), &["c_onset_date"]);
    pop.expect(s, &q(&[("abatement-date", "gt2012")]), &["c_onset_period"]);
    pop.expect(
        s,
        &q(&[("clinical-status", "resolved")]),
        &["c_onset_period"],
    );
    pop.expect(
        s,
        &q(&[("verification-status", "confirmed")]),
        &["c_onset_date"],
    );
    pop.expect(
        s,
        &q(&[("category", "problem-list-item")]),
        &["c_onset_date"],
    );
    pop.expect(
        s,
        &q(&[("encounter", &format!("Encounter/{eid}"))]),
        &["c_onset_date"],
    );
    pop.expect(
        s,
        &q(&[("patient", &pid)]),
        &["c_onset_date", "c_onset_period", "c_onset_age"],
    );
    // Quantities: number with prefixes, with and without system|code.
    pop.expect(s, &q(&[("onset-age", "42")]), &["c_onset_age"]);
    pop.expect(s, &q(&[("onset-age", "gt40||a")]), &["c_onset_age"]);
    pop.expect(s, &q(&[("onset-age", "lt40")]), &[]);
    let e = |params: &[(&str, &str)]| query("Encounter", params);
    pop.expect(s, &e(&[("length", "gt30")]), &["enc45"]);
    pop.expect(
        s,
        &e(&[("length", "le10|http://unitsofmeasure.org|min")]),
        &["enc10"],
    );
    pop.expect(s, &e(&[("length", "45")]), &["enc45"]);
    pop.expect(
        s,
        &e(&[("reason-code", &format!("{SNOMED}|29857009"))]),
        &["enc45"],
    );
    pop.expect(s, &e(&[("reason-code:text", "chest")]), &["enc45"]);
    // Reverse: Encounters with a Condition pointing at them.
    pop.expect(
        s,
        "Encounter?_has:Condition:encounter:code=44054006",
        &["enc45"],
    );
    let r = s.get(&q(&[("onset-age", "gtforty")]));
    r.assert_outcome(400, "invalid");
}

fn include_iterate_and_wildcard(s: &Server) {
    let pop = populate(s);
    // Condition → (no encounter) subject Patient, then Patient ← Encounter via iterate.
    let b = search(
        s,
        &format!(
            "Condition?_id={}&_include=Condition:subject&_revinclude:iterate=Encounter:subject",
            pop.id("c_diabetes")
        ),
    );
    let ids: Vec<String> = entries_in_mode(&b, "include")
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len(), "{b}");
    assert_eq!(
        pop.keys(&ids),
        ["mueller", "e_mueller1", "e_mueller2"]
            .iter()
            .map(|k| k.to_string())
            .collect::<BTreeSet<_>>(),
        "{b}"
    );
    // _include=* follows every reference parameter of the matches.
    let b = search(
        s,
        &format!("Encounter?_id={}&_include=*", pop.id("e_muller")),
    );
    let ids: Vec<String> = entries_in_mode(&b, "include")
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        pop.keys(&ids),
        ["muller".to_owned()].into_iter().collect(),
        "{b}"
    );
}

fn total_and_count_edge_cases(s: &Server) {
    populate(s);
    let b = search(s, "Patient?family=muller&_total=none");
    assert!(b.get("total").is_none(), "{b}");
    let b = search(s, "Patient?family=muller&_total=accurate&_count=2");
    assert_eq!(b["total"], 3);
    assert_eq!(entries_in_mode(&b, "match").len(), 2);
    // _count=0: no matches, and (with _total) the count.
    let b = search(s, "Patient?family=muller&_count=0&_total=accurate");
    assert!(entries_in_mode(&b, "match").is_empty(), "{b}");
    assert_eq!(b["total"], 3, "{b}");
    s.get("Patient?_count=-1").assert_outcome(400, "invalid");
    s.get("Patient?_total=maybe").assert_outcome(400, "invalid");
    // Repeated single-valued control parameters are refused.
    s.get("Patient?_count=1&_count=2")
        .assert_outcome(400, "invalid");
}

fn nested_has_and_multi_level_chains(s: &Server) {
    let mut pop = Population::default();
    let a = s.create(&person("Chain", "Alpha", Some("female"), None, &[]));
    let b = s.create(&person("Chain", "Beta", Some("male"), None, &[]));
    pop.add("alpha", &a);
    pop.add("beta", &b);
    let ea = s.create(&visit(
        a["id"].as_str().unwrap(),
        "AMB",
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00Z",
    ));
    let eb = s.create(&visit(
        b["id"].as_str().unwrap(),
        "IMP",
        "2024-01-02T00:00:00Z",
        "2024-01-03T00:00:00Z",
    ));
    pop.add("ea", &ea);
    pop.add("eb", &eb);
    let mut c = diagnosis(a["id"].as_str().unwrap(), "44054006", "Diabetes");
    c["encounter"] = json!({"reference": format!("Encounter/{}", ea["id"].as_str().unwrap())});
    pop.add("ca", &s.create(&c));
    let mut c = diagnosis(b["id"].as_str().unwrap(), "38341003", "Hypertension");
    c["encounter"] = json!({"reference": format!("Encounter/{}", eb["id"].as_str().unwrap())});
    pop.add("cb", &s.create(&c));
    // Two-level chain: Condition → Encounter → Patient.
    pop.expect(
        s,
        "Condition?encounter.subject:Patient.given=alpha",
        &["ca"],
    );
    pop.expect(
        s,
        "Condition?encounter:Encounter.subject:Patient.gender=male",
        &["cb"],
    );
    // Nested _has: Patients with an Encounter that a diabetes Condition points at.
    pop.expect(
        s,
        "Patient?_has:Encounter:subject:_has:Condition:encounter:code=44054006",
        &["alpha"],
    );
    pop.expect(
        s,
        "Patient?_has:Encounter:subject:_has:Condition:encounter:code=404",
        &[],
    );
    // A chain combined with _include.
    let bundle = search(
        s,
        "Condition?encounter.subject:Patient.given=beta&_include=Condition:encounter",
    );
    assert_eq!(entries_in_mode(&bundle, "match").len(), 1, "{bundle}");
    assert_eq!(entries_in_mode(&bundle, "include").len(), 1, "{bundle}");
}

fn escaped_separators_and_unicode_forms(s: &Server) {
    let mut pop = Population::default();
    pop.add(
        "pipe",
        &s.create(&person("Sep", "Pipe", None, None, &[(MRN, "a|b")])),
    );
    pop.add(
        "comma",
        &s.create(&person("Sep", "Comma", None, None, &[(MRN, "a,b")])),
    );
    pop.add(
        "dollar",
        &s.create(&person("Sep", "Dollar", None, None, &[(MRN, "a$b")])),
    );
    pop.add(
        "plain_a",
        &s.create(&person("Sep", "PlainA", None, None, &[(MRN, "a")])),
    );
    // NFD: "u" followed by a combining diaeresis.
    pop.add(
        "nfd",
        &s.create(&person("Kru\u{0308}ger", "Nfd", None, None, &[])),
    );
    pop.add("nfc", &s.create(&person("Krüger", "Nfc", None, None, &[])));
    let q = |v: &str| query("Patient", &[("identifier", v)]);
    pop.expect(s, &q(&format!("{MRN}|a\\|b")), &["pipe"]);
    pop.expect(s, &q(&format!("{MRN}|a\\,b")), &["comma"]);
    pop.expect(s, &q(&format!("{MRN}|a\\$b")), &["dollar"]);
    pop.expect(
        s,
        &q(&format!("{MRN}|a,{MRN}|a\\,b")),
        &["plain_a", "comma"],
    );
    pop.expect(s, &q("a\\,b"), &["comma"]);
    // Characters outside the BMP, and non-Latin scripts, are matched as written.
    pop.add(
        "emoji",
        &s.create(&person("😀Smile", "Emoji", None, None, &[])),
    );
    pop.add(
        "greek",
        &s.create(&person("Παπαδόπουλος", "Greek", None, None, &[])),
    );
    pop.add("cjk", &s.create(&person("王", "Cjk", None, None, &[])));
    pop.expect(s, &query("Patient", &[("family", "😀")]), &["emoji"]);
    pop.expect(
        s,
        &query("Patient", &[("family:contains", "smile")]),
        &["emoji"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family", "παπαδοπουλος")]),
        &["greek"],
    );
    pop.expect(s, &query("Patient", &[("family:exact", "王")]), &["cjk"]);
    // Both Unicode forms of Krüger are found by the plain, accent-free name.
    pop.expect(
        s,
        &query("Patient", &[("family", "kruger")]),
        &["nfd", "nfc"],
    );
    pop.expect(
        s,
        &query("Patient", &[("family", "Krüger")]),
        &["nfd", "nfc"],
    );
}

fn lenient_drops_malformed_values(s: &Server) {
    populate(s);
    let r = s
        .req(
            "GET",
            "Patient?family=muller&birthdate=notadate&_sort=nonsense",
        )
        .header("Prefer", "handling=lenient")
        .send();
    r.assert_status(200);
    let b = r.json();
    assert_eq!(entries_in_mode(&b, "match").len(), 3, "{b}");
    let outcome = entries_in_mode(&b, "outcome");
    assert_eq!(outcome.len(), 1, "{b}");
    let text = helpers::diagnostics(&outcome[0]["resource"]);
    assert!(
        text.contains("birthdate") && text.contains("_sort"),
        "{text}"
    );
    let self_link = link(&b, "self").unwrap();
    assert!(
        !self_link.contains("birthdate") && !self_link.contains("nonsense"),
        "{self_link}"
    );
    // The self link of a lenient search, followed strictly, is valid.
    search(s, &self_link);
}

fn paging_with_missing_sort_values_and_deletes(s: &Server) {
    let mut ids = BTreeSet::new();
    for i in 0..18 {
        let birth = (i % 3 != 0).then(|| format!("19{:02}-01-01", 60 + i % 4));
        let p = person(
            "Sparse",
            &format!("S{i:02}"),
            Some("other"),
            birth.as_deref(),
            &[],
        );
        ids.insert(s.create(&p)["id"].as_str().unwrap().to_owned());
    }
    for path in [
        "Patient?family=sparse&_sort=birthdate&_count=4",
        "Patient?family=sparse&_sort=-birthdate&_count=4",
        "Patient?family=sparse&_sort=birthdate,-given&_count=5",
    ] {
        let got = search_ids(s, path);
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "{path}: repeats");
        assert_eq!(unique, ids, "{path}: skips");
    }
    // Deleting resources already seen must not shift the pages: none of the rest is skipped.
    let mut seen: Vec<String> = Vec::new();
    let mut url = "Patient?family=sparse&_sort=birthdate&_count=4".to_owned();
    loop {
        let b = search(s, &url);
        let page: Vec<String> = entries_in_mode(&b, "match")
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
            .collect();
        for id in &page {
            s.delete(&format!("Patient/{id}")).assert_status(200);
        }
        seen.extend(page);
        match link(&b, "next") {
            Some(n) => url = n,
            None => break,
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "repeats while deleting");
    assert_eq!(unique, ids, "skips while deleting");
}

fn index_follows_updates_deletes_and_patches(s: &Server) {
    let p = s.create(&person(
        "Before",
        "Idx",
        Some("female"),
        Some("1990-01-01"),
        &[(MRN, "IDX-1")],
    ));
    let id = p["id"].as_str().unwrap().to_owned();
    let c = s.create(&diagnosis(&id, "44054006", "Diabetes"));
    assert_eq!(count(s, "Patient?family=before"), 1);
    assert_eq!(count(s, "Patient?_has:Condition:subject:code=44054006"), 1);
    // Update: the old values no longer match, the new ones do.
    let mut changed = p.clone();
    changed["name"][0]["family"] = json!("After");
    changed["birthDate"] = json!("1991-02-02");
    changed.as_object_mut().unwrap().remove("identifier");
    s.update(&changed);
    assert_eq!(count(s, "Patient?family=before"), 0);
    assert_eq!(count(s, "Patient?family=after"), 1);
    assert_eq!(count(s, "Patient?birthdate=1990"), 0);
    assert_eq!(count(s, "Patient?birthdate=1991-02-02"), 1);
    assert_eq!(count(s, "Patient?identifier=IDX-1"), 0);
    assert_eq!(count(s, "Patient?identifier:missing=true"), 1);
    // Patch.
    let r = s
        .req("PATCH", &format!("Patient/{id}"))
        .body(
            "application/json-patch+json",
            r#"[{"op":"replace","path":"/gender","value":"male"}]"#,
        )
        .send();
    r.assert_status(200);
    assert_eq!(count(s, "Patient?gender=female"), 0);
    assert_eq!(count(s, "Patient?gender=male"), 1);
    // Deleting the Condition ends the _has match; deleting the Patient ends every match.
    s.delete(&format!("Condition/{}", c["id"].as_str().unwrap()))
        .assert_status(200);
    assert_eq!(count(s, "Patient?_has:Condition:subject:code=44054006"), 0);
    assert_eq!(count(s, "Condition?code=44054006"), 0);
    s.delete(&format!("Patient/{id}")).assert_status(200);
    assert_eq!(count(s, "Patient?family=after"), 0);
    assert_eq!(count(s, "Patient"), 0);
    assert_eq!(count(s, &format!("Patient?_id={id}")), 0);
    // Brought back by a PUT, it matches again.
    s.put(&format!("Patient/{id}"), &changed).assert_status(201);
    assert_eq!(count(s, "Patient?family=after"), 1);
}

fn include_limit_is_stated_and_page_size_is_clamped(s: &Server) {
    let p = s.create(&person("Busy", "Many", Some("male"), None, &[]));
    let pid = p["id"].as_str().unwrap().to_owned();
    let entries: Vec<Value> = (0..1005)
        .map(|i| {
            json!({
                "fullUrl": format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
                "resource": visit(&pid, "AMB", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z"),
                "request": {"method": "POST", "url": "Encounter"}
            })
        })
        .collect();
    let r = s.post(
        "",
        &json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
    );
    r.assert_status(200);
    // 1,005 Encounters to include for one Patient: all of them, or a stated cut.
    let b = search(
        s,
        &format!("Patient?_id={pid}&_revinclude=Encounter:subject"),
    );
    let included = entries_in_mode(&b, "include").len();
    let outcome = entries_in_mode(&b, "outcome");
    if included < 1005 {
        assert_eq!(
            outcome.len(),
            1,
            "{included} included and no outcome says so"
        );
        let issue = &outcome[0]["resource"]["issue"][0];
        assert_eq!(issue["code"], "too-costly", "{issue}");
        assert_eq!(issue["severity"], "warning", "{issue}");
    }
    let ids: HashSet<String> = entries_in_mode(&b, "include")
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), included, "an included resource repeated");
    // Default page size, and a huge _count is clamped, with a next link for the rest.
    let b = search(s, "Encounter");
    let default_page = entries_in_mode(&b, "match").len();
    assert!(default_page > 0 && default_page < 1005, "{default_page}");
    assert!(link(&b, "next").is_some());
    let b = search(s, "Encounter?_count=100000");
    let page = entries_in_mode(&b, "match").len();
    if page < 1005 {
        assert!(
            link(&b, "next").is_some(),
            "a clamped page must link to the rest"
        );
    }
    assert_eq!(search_ids(s, "Encounter?_count=100000").len(), 1005);
}

/// Malformed, empty, huge and odd searches: each is answered (a searchset or a 4xx
/// OperationOutcome), never a 500, and the server logs no error.
fn odd_queries_are_answered_never_500(s: &Server) {
    populate(s);
    let long = "x".repeat(10_000);
    let many: Vec<String> = (0..20).map(|i| format!("family=a{i}")).collect();
    let many = format!("Patient?{}", many.join("&"));
    let mut paths: Vec<String> = [
        "Patient?_sort=",
        "Patient?_count=",
        "Patient?family=",
        "Patient?family",
        "Patient?=x",
        "Patient?&&&",
        "Patient?_has:Condition:subject:code",
        "Patient?_has:Nope:subject:code=1",
        "Patient?_has:Condition:nope:code=1",
        "Patient?_has=1",
        "Patient?_has:Condition=1",
        "Patient?_include=Patient:link",
        "Patient?_include=*:*",
        "Patient?_revinclude=*",
        "Patient?_include=Encounter:subject",
        "Encounter?subject:Patient.subject:Patient.family=x",
        "Encounter?subject:Group.name=x",
        "Encounter?subject.subject.subject.subject.family=x",
        "Patient?birthdate=ge",
        "Patient?birthdate=1980-02-30",
        "Patient?birthdate=2020-01-01T25:00:00Z",
        "Patient?birthdate=ap1980",
        "Patient?birthdate=10000-01-01",
        "Encounter?length=1e309",
        "Encounter?length=NaN",
        "Encounter?length=-0",
        "Encounter?length=ap45",
        "Patient?identifier=|",
        "Patient?identifier=",
        "Patient?_id=,,,",
        "Patient?family=%FF%FE",
        "Patient?_elements=*",
        "Patient?_summary=count&_sort=family",
        "Patient?_summary=count&_include=*",
        "Patient?_total=estimate",
        "Patient?_contained=true",
        "Patient?_type=Patient",
        "Patient?_cursor=",
        "Patient?_format=xml",
        "Patient?family:missing=true&family=x",
        "Patient?gender:text=male",
        "Patient?gender:exact=male",
        "Patient?birthdate:contains=1980",
        "Patient?_id:missing=true",
        "Patient?_lastUpdated=sa2000&_lastUpdated=eb1990",
        "Patient?_sort=-_id,_lastUpdated,family,given,birthdate,gender,address",
        "Condition?code:in=http://example.org/vs",
        "Condition?code:below=http://snomed.info/sct|44054006",
        "Condition?subject:identifier=http://example.org/mrn|A1",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    paths.push(many);
    paths.push(format!("Patient?family={long}"));
    paths.push(format!("Patient?family:contains={long}"));
    for path in &paths {
        let started = std::time::Instant::now();
        let r = s.get(path);
        let took = started.elapsed();
        if took > std::time::Duration::from_secs(1) {
            println!(
                "{:?}: {took:?} for {}",
                s.backend,
                path.chars().take(80).collect::<String>()
            );
        }
        assert!(
            r.status == 200 || r.status == 406 || (400..=404).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.body.chars().take(300).collect::<String>()
        );
        let body = r.json();
        if r.status == 200 {
            assert_eq!(body["resourceType"], "Bundle", "{path}");
        } else {
            assert_eq!(body["resourceType"], "OperationOutcome", "{path}");
        }
    }
    // The server is still fine.
    assert_eq!(count(s, "Patient?family=muller"), 3);
}

fn nul_byte_in_a_search_value_is_a_client_error(s: &Server) {
    populate(s);
    for path in [
        "Patient?family=%00",
        "Patient?family:contains=a%00b",
        "Patient?identifier=x%00",
        "Encounter?subject:Patient.family=%00",
    ] {
        let r = s.get(path);
        assert!(
            r.status == 200 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
}

/// issue 5: "one query plan that stays good with several parameters (no join explosion)".
/// A request with many ANDed parameters must not hold the database for seconds.
fn many_and_parameters_answer_quickly(s: &Server) {
    populate(s);
    for n in [25, 50, 100, 200] {
        let many: Vec<String> = (0..n).map(|i| format!("family=a{i}")).collect();
        let path = format!("Patient?{}", many.join("&"));
        let started = std::time::Instant::now();
        // Answered, or refused at once as too costly: never a request that holds the database.
        let r = s.get(&path);
        if r.status == 400 {
            r.assert_outcome(400, "too-costly");
        } else {
            r.assert_status(200);
        }
        let took = started.elapsed();
        println!("{:?}: {n} ANDed parameters in {took:?}", s.backend);
        assert!(
            took < std::time::Duration::from_secs(3),
            "{n} parameters took {took:?}"
        );
    }
}

fn summary_text_data_and_lenient_post(s: &Server) {
    let mut p = person("Narrated", "Nora", Some("female"), None, &[]);
    p["text"] = json!({"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Nora Narrated</div>"});
    s.create(&p);
    let b = search(s, "Patient?family=narrated&_summary=text");
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert!(r.get("text").is_some() && r.get("name").is_none(), "{r}");
    let b = search(s, "Patient?family=narrated&_summary=data");
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert!(r.get("text").is_none() && r.get("name").is_some(), "{r}");
    let b = search(s, "Patient?family=narrated&_summary=false");
    let r = &entries_in_mode(&b, "match")[0]["resource"];
    assert!(r.get("text").is_some() && r.get("name").is_some(), "{r}");
    // Lenient handling applies to POST _search too.
    let r = s
        .req("POST", "Patient/_search")
        .header("Prefer", "handling=lenient")
        .body(
            "application/x-www-form-urlencoded",
            "family=narrated&unknown=1",
        )
        .send();
    r.assert_status(200);
    let b = r.json();
    assert_eq!(entries_in_mode(&b, "match").len(), 1, "{b}");
    assert_eq!(entries_in_mode(&b, "outcome").len(), 1, "{b}");
}

/// `GET Patient/[id]/[type]`: the type's resources in one patient's compartment, by the
/// official CompartmentDefinition (Encounter by `patient`; Condition by `patient` or
/// `asserter`; the Patient itself and the Patients that link to it).
fn compartment_search_by_the_patient_compartment(s: &Server) {
    let id = |r: Value| r["id"].as_str().unwrap().to_owned();
    let a = id(s.create(&common::patient("Compartmenta")));
    let b = id(s.create(&common::patient("Compartmentb")));
    let mut linked = common::patient("Compartmentlinked");
    linked["link"] = json!([{"other": {"reference": format!("Patient/{a}")}, "type": "seealso"}]);
    let linked = id(s.create(&linked));
    let encounters: BTreeSet<String> = (0..5)
        .map(|_| id(s.create(&common::encounter(&a))))
        .collect();
    let mut planned = common::encounter(&a);
    planned["status"] = json!("planned");
    let planned = id(s.create(&planned));
    s.create(&common::encounter(&b));
    let own = id(s.create(&common::condition(&a)));
    let mut asserted = common::condition(&b);
    asserted["asserter"] = json!({"reference": format!("Patient/{a}")});
    let asserted = id(s.create(&asserted));
    s.create(&common::condition(&b));

    let set = |ids: Vec<String>| ids.into_iter().collect::<BTreeSet<String>>();
    let mut all_encounters = encounters.clone();
    all_encounters.insert(planned.clone());
    assert_eq!(
        set(search_ids(s, &format!("Patient/{a}/Encounter"))),
        all_encounters
    );
    assert_eq!(
        set(search_ids(
            s,
            &format!("Patient/{a}/Encounter?status=finished")
        )),
        encounters
    );
    assert_eq!(
        set(search_ids(s, &format!("Patient/{a}/Condition"))),
        set(vec![own, asserted])
    );
    assert_eq!(
        set(search_ids(s, &format!("Patient/{a}/Patient"))),
        set(vec![a.clone(), linked])
    );
    assert!(search_ids(s, "Patient/nobody/Encounter").is_empty());
    // Paging stays in the compartment, both ways, and the links say where they are.
    let pages = assert_previous_links_mirror_next(s, &format!("Patient/{a}/Encounter?_count=2"));
    assert_eq!(pages.len(), 3);
    let first = search(s, &format!("Patient/{a}/Encounter?_count=2"));
    let next = link(&first, "next").unwrap();
    assert!(next.contains(&format!("/Patient/{a}/Encounter?")), "{next}");
    assert_eq!(count(s, &format!("Patient/{a}/Encounter")), 6);
    // The POST form of the same search.
    let r = s
        .req("POST", &format!("Patient/{a}/Encounter/_search"))
        .body("application/x-www-form-urlencoded", "status=planned")
        .send();
    r.assert_status(200);
    let found: Vec<Value> = entries_in_mode(&r.json(), "match");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["resource"]["id"], planned.as_str());
    // What is not a compartment, or never in one.
    s.get(&format!("Encounter/{planned}/Condition"))
        .assert_outcome(400, "not-supported");
    s.get(&format!("Patient/{a}/Unknowntype"))
        .assert_status(404);
    // Strict handling holds in a compartment as anywhere.
    s.get(&format!("Patient/{a}/Encounter?foo=bar"))
        .assert_outcome(400, "invalid");
}

/// `:in` / `:not-in` with the value sets the server validates with: a Coding with a system
/// (Encounter.class), a `code` element whose system is implied (Patient.gender), in a chain,
/// and a value set the server does not have.
fn token_in_and_not_in_value_sets(s: &Server) {
    let id = |r: Value| r["id"].as_str().unwrap().to_owned();
    let mut with_gender = common::patient("Valueset");
    with_gender["gender"] = json!("female");
    let female = id(s.create(&with_gender));
    let mut without = common::patient("Valueset");
    without.as_object_mut().unwrap().remove("gender");
    let without = id(s.create(&without));
    let ambulatory = id(s.create(&common::encounter(&female)));
    let mut other_class = common::encounter(&without);
    other_class["class"] = json!({"system": "urn:example:classes", "code": "AMB"});
    let other_class = id(s.create(&other_class));

    let set = |ids: Vec<String>| ids.into_iter().collect::<BTreeSet<String>>();
    let encounter_codes = enc("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode");
    let genders = enc("http://hl7.org/fhir/ValueSet/administrative-gender");
    assert_eq!(
        set(search_ids(
            s,
            &format!("Encounter?class:in={encounter_codes}")
        )),
        set(vec![ambulatory.clone()])
    );
    assert_eq!(
        set(search_ids(
            s,
            &format!("Encounter?class:not-in={encounter_codes}")
        )),
        set(vec![other_class.clone()])
    );
    assert_eq!(
        set(search_ids(
            s,
            &format!("Patient?family=valueset&gender:in={genders}")
        )),
        set(vec![female.clone()])
    );
    assert_eq!(
        set(search_ids(
            s,
            &format!("Patient?family=valueset&gender:not-in={genders}")
        )),
        set(vec![without])
    );
    assert_eq!(
        set(search_ids(
            s,
            &format!("Encounter?subject:Patient.gender:in={genders}")
        )),
        set(vec![ambulatory])
    );
    // The self link keeps the parameter as the client wrote it.
    let b = search(s, &format!("Encounter?class:in={encounter_codes}"));
    assert!(link(&b, "self").unwrap().contains("class:in="), "{b}");
    s.get(&format!(
        "Encounter?class:in={}",
        enc("http://example.org/ValueSet/unknown")
    ))
    .assert_outcome(400, "not-supported");
    // Expansions count against one budget per search (here three of all-types).
    let all_types = enc("http://hl7.org/fhir/ValueSet/all-types");
    s.get(&format!(
        "Encounter?class:in={all_types}&type:in={all_types}&reason-code:in={all_types}"
    ))
    .assert_outcome(400, "too-costly");
}

/// Token `:below` / `:above` by the is-a hierarchy of a code system the server has:
/// condition-clinical has active > recurrence, relapse and inactive > remission, resolved.
fn token_above_and_below_by_code_system_hierarchy(s: &Server) {
    let system = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    let patient = s.create(&common::patient("Hierarchy"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = std::collections::BTreeMap::new();
    for status in ["active", "relapse", "resolved"] {
        let mut c = common::condition(&patient);
        c["clinicalStatus"]["coding"][0]["code"] = json!(status);
        if status == "resolved" {
            c["abatementDateTime"] = json!("2020-01-01");
        }
        ids.insert(status, s.create(&c)["id"].as_str().unwrap().to_owned());
    }
    let found = |query: &str| -> BTreeSet<String> {
        search_ids(s, &format!("Condition?subject=Patient/{patient}&{query}"))
            .into_iter()
            .collect()
    };
    let of = |statuses: &[&str]| -> BTreeSet<String> {
        statuses.iter().map(|st| ids[st].clone()).collect()
    };
    assert_eq!(
        found(&format!(
            "clinical-status:below={}",
            enc(&format!("{system}|active"))
        )),
        of(&["active", "relapse"])
    );
    assert_eq!(
        found(&format!(
            "clinical-status:above={}",
            enc(&format!("{system}|relapse"))
        )),
        of(&["active", "relapse"])
    );
    assert_eq!(
        found(&format!(
            "clinical-status:below={}",
            enc(&format!("{system}|inactive"))
        )),
        of(&["resolved"])
    );
    // A code system the server does not have, a code not in it, no system: refused.
    for (value, code) in [
        (
            "http://snomed.info/sct|64572001".to_owned(),
            "not-supported",
        ),
        (format!("{system}|no-such-code"), "not-supported"),
        ("active".to_owned(), "invalid"),
    ] {
        s.get(&format!("Condition?clinical-status:below={}", enc(&value)))
            .assert_outcome(400, code);
    }
}

/// `GET [base]?_type=...` and `POST [base]/_search`: one search over several types with the
/// parameters common to them, paged across types both ways, includes per type, and the
/// parameters that are not common refused (or ignored when lenient).
fn system_search_across_types(s: &Server) {
    let tag = "urn:example:tests|system-search";
    let tagged = |mut r: Value| {
        r["meta"] = json!({"tag": [{"system": "urn:example:tests", "code": "system-search"}]});
        r
    };
    let id = |r: Value| r["id"].as_str().unwrap().to_owned();
    let a = id(s.create(&tagged(common::patient("Systemsearcha"))));
    let b = id(s.create(&tagged(common::patient("Systemsearchb"))));
    let encounters_of_a: Vec<String> = (0..3)
        .map(|_| id(s.create(&tagged(common::encounter(&a)))))
        .collect();
    let encounter_of_b = id(s.create(&tagged(common::encounter(&b))));
    let condition_of_a = id(s.create(&tagged(common::condition(&a))));
    s.create(&common::condition(&a)); // not tagged: never found by the tag
    let typed = |resources: &[Value]| -> BTreeSet<String> {
        resources
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["resourceType"].as_str().unwrap(),
                    r["id"].as_str().unwrap()
                )
            })
            .collect()
    };
    let mut expected: BTreeSet<String> = [format!("Patient/{a}"), format!("Patient/{b}")].into();
    expected.extend(encounters_of_a.iter().map(|e| format!("Encounter/{e}")));
    expected.insert(format!("Encounter/{encounter_of_b}"));
    expected.insert(format!("Condition/{condition_of_a}"));
    let by_tag = format!("_tag={}", enc(tag));

    // Every served type without `_type`, with or without the slash after the base.
    let all = search_all(s, &format!("/fhir?{by_tag}"));
    assert_eq!(all.len(), 7, "{all:?}");
    assert_eq!(typed(&all), expected);
    assert_eq!(typed(&search_all(s, &format!("?{by_tag}"))), expected);
    assert_eq!(count(s, &format!("?{by_tag}")), 7);

    // A parameter common to Encounter and Condition (`patient`).
    let of_a = search_all(
        s,
        &format!("?_type=Encounter,Condition&{by_tag}&patient=Patient/{a}"),
    );
    let mut want: BTreeSet<String> = encounters_of_a
        .iter()
        .map(|e| format!("Encounter/{e}"))
        .collect();
    want.insert(format!("Condition/{condition_of_a}"));
    assert_eq!(typed(&of_a), want);

    // Paging crosses types and mirrors back; the links stay on the base with `_type`.
    let pages = assert_previous_links_mirror_next(s, &format!("?{by_tag}&_count=2"));
    assert_eq!(pages.len(), 4);
    let first = search(s, &format!("?_type=Encounter,Condition&{by_tag}&_count=2"));
    let next = link(&first, "next").unwrap();
    assert!(
        next.contains("/fhir?_type=Encounter,Condition&_tag="),
        "{next}"
    );
    let self_link = link(&first, "self").unwrap();
    assert!(
        self_link.contains("/fhir?_type=Encounter,Condition&"),
        "{self_link}"
    );
    for e in entries_in_mode(&first, "match") {
        let t = e["resource"]["resourceType"].as_str().unwrap();
        let full_url = e["fullUrl"].as_str().unwrap();
        assert!(
            full_url.ends_with(&format!(
                "/fhir/{t}/{}",
                e["resource"]["id"].as_str().unwrap()
            )),
            "{full_url}"
        );
    }

    // Sorted across types: newest first.
    let newest = search(s, &format!("?{by_tag}&_sort=-_lastUpdated&_count=1"));
    let newest = entries_in_mode(&newest, "match");
    assert_eq!(newest[0]["resource"]["id"], condition_of_a.as_str());
    assert_eq!(newest[0]["resource"]["resourceType"], "Condition");

    // Includes name their source type; each included resource once.
    let with_subjects = search(
        s,
        &format!(
            "?_type=Encounter,Condition&{by_tag}&_include=Encounter:subject&_include=Condition:subject"
        ),
    );
    let included = entries_in_mode(&with_subjects, "include");
    let included: Vec<Value> = included.iter().map(|e| e["resource"].clone()).collect();
    assert_eq!(
        typed(&included),
        [format!("Patient/{a}"), format!("Patient/{b}")].into()
    );
    assert_eq!(included.len(), 2);

    // `_revinclude` on the Patients of a system search: their Encounters, each once.
    let with_encounters = search(
        s,
        &format!("?_type=Patient&{by_tag}&_revinclude=Encounter:subject"),
    );
    let revincluded: Vec<Value> = entries_in_mode(&with_encounters, "include")
        .iter()
        .map(|e| e["resource"].clone())
        .collect();
    let mut encounters: BTreeSet<String> = encounters_of_a
        .iter()
        .map(|e| format!("Encounter/{e}"))
        .collect();
    encounters.insert(format!("Encounter/{encounter_of_b}"));
    assert_eq!(typed(&revincluded), encounters);
    assert_eq!(revincluded.len(), 4);
    // A type search's cursor does not continue a system search of the same type.
    let typed_page = search(s, &format!("Patient?{by_tag}&_count=1"));
    let typed_next = link(&typed_page, "next").unwrap();
    let cursor = typed_next.split("_cursor=").nth(1).unwrap();
    s.get(&format!(
        "?_type=Patient&{by_tag}&_count=1&_cursor={cursor}"
    ))
    .assert_outcome(400, "invalid");

    // `_type=Patient` alone takes Patient's own parameters.
    assert_eq!(
        search_ids(s, &format!("?_type=Patient&{by_tag}&family=Systemsearcha")),
        vec![a.clone()]
    );
    // The POST form.
    let r = s
        .req("POST", "_search")
        .body(
            "application/x-www-form-urlencoded",
            &format!("_type=Condition&{by_tag}"),
        )
        .send();
    r.assert_status(200);
    let found = entries_in_mode(&r.json(), "match");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["resource"]["id"], condition_of_a.as_str());

    // Not common to every type searched, or not a served type: 400 naming it.
    let r = s.get(&format!("?{by_tag}&family=Systemsearcha"));
    r.assert_outcome(400, "invalid");
    assert!(r.body.contains("family"), "{}", r.body);
    let r = s.get("?_type=Observation");
    r.assert_outcome(400, "invalid");
    assert!(r.body.contains("Observation"), "{}", r.body);
    s.get("?_type=Encounter&_include=Condition:subject")
        .assert_outcome(400, "invalid");
    // Lenient: the parameter is dropped and said so, the rest applies.
    let r = s
        .req("GET", &format!("?{by_tag}&family=Systemsearcha"))
        .header("Prefer", "handling=lenient")
        .send();
    r.assert_status(200);
    let b = r.json();
    assert_eq!(entries_in_mode(&b, "match").len(), 7, "{b}");
    assert_eq!(entries_in_mode(&b, "outcome").len(), 1, "{b}");
    assert!(!link(&b, "self").unwrap().contains("family"));
    // Other methods on the base: POST is a Bundle, PUT is not allowed.
    s.req("PUT", "").send().assert_status(405);
}

/// `_contained=true|both` with `_containedType=container|contained` over HTTP: a contained
/// Patient is found only when asked for, as its container (once) or as itself, addressed
/// within its container; it goes when the container no longer holds it.
fn contained_resources_on_request(s: &Server) {
    let contained = json!({"resourceType": "Patient", "id": "p1",
        "name": [{"family": "Kontainedfam", "given": ["Ana"]}], "gender": "female"});
    let mut encounter = common::encounter("ignored");
    encounter["contained"] = json!([contained.clone()]);
    encounter["subject"] = json!({"reference": "#p1"});
    let stored = s.create(&encounter);
    let e = stored["id"].as_str().unwrap().to_owned();

    assert_eq!(count(s, "Patient?family=kontainedfam"), 0);
    // A chain follows `#p1` into the Encounter's own contained Patient.
    let chained = search_ids(s, "Encounter?subject:Patient.family=kontainedfam");
    assert_eq!(chained, std::slice::from_ref(&e));
    let containers = search_all(s, "Patient?family=kontainedfam&_contained=true");
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0]["resourceType"], "Encounter");
    assert_eq!(containers[0]["id"], e.as_str());
    assert_eq!(
        count(
            s,
            "Patient?family=kontainedfam&gender=female&_contained=both"
        ),
        1
    );
    assert_eq!(
        count(s, "Patient?family=kontainedfam&gender=male&_contained=true"),
        0
    );

    let bundle = search(
        s,
        "Patient?family=kontainedfam&_contained=true&_containedType=contained",
    );
    let matches = entries_in_mode(&bundle, "match");
    assert_eq!(matches.len(), 1, "{bundle}");
    assert_eq!(matches[0]["resource"], contained);
    let full_url = matches[0]["fullUrl"].as_str().unwrap();
    assert!(
        full_url.ends_with(&format!("/fhir/Encounter/{e}#p1")),
        "{full_url}"
    );
    let self_link = link(&bundle, "self").unwrap();
    assert!(
        self_link.contains("_contained=true") && self_link.contains("_containedType=contained"),
        "{self_link}"
    );

    // `_id` names a contained resource only within its container: refused, not guessed.
    let r = s.get("Patient?_id=p1&_contained=true");
    r.assert_status(400);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
    assert_eq!(r.json()["issue"][0]["code"], "not-supported", "{}", r.body);

    // A compartment belongs to the container: not mixed with contained resources.
    let r = s.get("Patient/someone/Encounter?_contained=true");
    r.assert_status(400);
    assert_eq!(r.json()["issue"][0]["code"], "not-supported", "{}", r.body);

    // The container drops it: it is gone from search.
    let mut without = stored.clone();
    without.as_object_mut().unwrap().remove("contained");
    without["subject"] = json!({"display": "unknown"});
    s.update(&without);
    assert_eq!(count(s, "Patient?family=kontainedfam&_contained=true"), 0);
}

/// An absolute reference to another server's `Patient/p1` is not the local `Patient/p1`:
/// not for `Type/id` values, compartments, chains or includes. Values under this server's own
/// base are references only for reference parameters; a token's system under the base stays
/// as written. With `--base-url`, stored references under it are local.
fn references_to_other_servers_are_not_local(s: &Server) {
    const FOREIGN: &str = "http://other.example/fhir/Patient/p1";
    let mut p1 = json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "Local"}]});
    p1["identifier"] = json!([{"system": format!("{}/ids", s.base), "value": "123"}]);
    s.put("Patient/p1", &p1).assert_status(201);
    let encounter = |id: &str, reference: &str| {
        let e = json!({"resourceType": "Encounter", "id": id, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": reference}});
        s.put(&format!("Encounter/{id}"), &e).assert_status(201);
    };
    encounter("e-local", "Patient/p1");
    encounter("e-foreign", FOREIGN);
    let ids = |path: &str| {
        let mut v = search_ids(s, path);
        v.sort();
        v
    };
    assert_eq!(ids("Encounter?subject=Patient/p1"), ["e-local"]);
    assert_eq!(ids("Encounter?patient=p1"), ["e-local"]);
    assert_eq!(
        ids(&format!("Encounter?subject={}", enc(FOREIGN))),
        ["e-foreign"]
    );
    let own = format!("{}/Patient/p1", s.base);
    assert_eq!(
        ids(&format!("Encounter?subject={}", enc(&own))),
        ["e-local"]
    );
    assert_eq!(ids("Encounter?subject.family=local"), ["e-local"]);
    assert_eq!(ids("Patient/p1/Encounter"), ["e-local"]);
    assert_eq!(
        ids("Patient?_has:Encounter:subject:_id=e-foreign"),
        Vec::<String>::new()
    );
    let included = search(s, "Encounter?_id=e-foreign&_include=Encounter:subject");
    assert_eq!(entries_in_mode(&included, "include").len(), 0, "{included}");
    // A token whose system lies under the base is matched as written.
    let system = format!("{}/ids|123", s.base);
    assert_eq!(ids(&format!("Patient?identifier={}", enc(&system))), ["p1"]);
    // With --base-url, a stored reference under it is a local one.
    let Some(configured) = Server::start(
        common::Options::new(s.backend)
            .arg("--base-url")
            .arg("http://other.example/fhir"),
    ) else {
        return;
    };
    let p1 = json!({"resourceType": "Patient", "id": "p1"});
    configured.put("Patient/p1", &p1).assert_status(201);
    let e = json!({"resourceType": "Encounter", "id": "e-own", "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": FOREIGN}});
    configured.put("Encounter/e-own", &e).assert_status(201);
    assert_eq!(
        search_ids(&configured, "Encounter?subject=Patient/p1"),
        ["e-own"]
    );
    assert_eq!(search_ids(&configured, "Patient/p1/Encounter"), ["e-own"]);
}

/// Long OR lists, in a parameter, a chain and `_has`, are answered or refused as too costly:
/// never a 500 (SQLite's expression depth and bound-variable limits were reached at ~500-1000).
fn long_or_lists_are_answered_or_refused(s: &Server) {
    populate(s);
    for n in [100, 250, 500, 501, 1000] {
        let values: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
        let list = values.join(",");
        for path in [
            format!("Condition?code={list}"),
            format!("Encounter?subject:Patient.family={list}"),
            format!("Patient?_has:Condition:subject:code={list}"),
            format!("Patient?_id={list}"),
        ] {
            let r = s.get(&path);
            if n <= 500 {
                r.assert_status(200);
            } else {
                r.assert_outcome(400, "too-costly");
            }
        }
    }
    let ids: Vec<String> = (0..40_000).map(|i| format!("id{i}")).collect();
    let r = s
        .req("POST", "Patient/_search")
        .body(
            "application/x-www-form-urlencoded",
            &format!("_id={}", ids.join(",")),
        )
        .send();
    r.assert_outcome(400, "too-costly");
}

/// `Prefer: handling=lenient` ignores unknown parameters, not modifiers the server does not
/// support (search.html#modifiers): ignoring `identifier:of-type` would answer every Patient.
fn lenient_handling_still_refuses_unsupported_modifiers(s: &Server) {
    populate(s);
    for path in [
        "Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|1001",
        "Patient?family:foo=x",
        "Patient?gender:exact=male",
        "?_type=Patient&family:foo=x",
    ] {
        let r = s
            .req("GET", path)
            .header("Prefer", "handling=lenient")
            .send();
        assert_eq!(r.status, 400, "{path}: {}", r.body);
    }
    s.get("?_type=Patient&family=muller").assert_status(200);
    // Empty parameters are ignored in either mode (search.html#errors).
    assert_eq!(
        count(s, "Patient?family=&_sort=&gender="),
        count(s, "Patient")
    );
    assert_eq!(count(s, "Patient?family=muller&family="), 3);
    // An unknown parameter is still ignored, with a warning.
    let r = s
        .req("GET", "Patient?nonsense=1&family=muller")
        .header("Prefer", "handling=lenient")
        .send();
    r.assert_status(200);
}
