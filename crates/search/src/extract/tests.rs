use serde_json::{json, Value};

use super::*;
use crate::datetime::parse_date_range;
use crate::fhirpath::evaluate;

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "p1",
        "meta": {
            "versionId": "3",
            "lastUpdated": "2024-03-01T10:00:00.123Z",
            "profile": ["http://example.org/fhir/StructureDefinition/my-patient"],
            "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}],
            "tag": [{"system": "http://example.org/tags", "code": "vip", "display": "Very Important"}],
            "source": "http://example.org/source#abc"
        },
        "identifier": [
            {"use": "official", "system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345",
             "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "Medical Record"}},
            {"system": "http://example.org/ssn", "value": "999-99-9999"}
        ],
        "active": true,
        "name": [
            {"use": "official", "family": "Müller", "given": ["Jürgen", "Émile"], "prefix": ["Dr."], "suffix": ["PhD"]},
            {"use": "nickname", "text": "Jay"}
        ],
        "telecom": [
            {"system": "phone", "value": "+49 30 1234", "use": "home"},
            {"system": "email", "value": "jm@example.org", "rank": 1}
        ],
        "gender": "male",
        "birthDate": "1980",
        "deceasedDateTime": "2020-05-01T10:00:00+02:00",
        "address": [{"use": "home", "line": ["Hauptstraße 5", "Hinterhaus"], "city": "Köln", "district": "Innenstadt",
                     "state": "NRW", "postalCode": "50667", "country": "DE", "text": "Hauptstraße 5, Köln"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "de", "display": "German"}], "text": "Deutsch"}}],
        "generalPractitioner": [{"reference": "Practitioner/dr1"}, {"reference": "http://other.example/fhir/Organization/o9"}],
        "managingOrganization": {"reference": "Organization/o1", "identifier": {"system": "http://example.org/orgs", "value": "ORG-1"}},
        "link": [{"other": {"reference": "Patient/p0"}, "type": "replaces"}]
    })
}

fn encounter() -> Value {
    json!({
        "resourceType": "Encounter", "id": "e1",
        "identifier": [{"system": "http://example.org/enc", "value": "E-1"}],
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "11429006"}]}],
        "subject": {"reference": "Patient/p1"},
        "episodeOfCare": [{"reference": "EpisodeOfCare/eoc1"}],
        "basedOn": [{"reference": "ServiceRequest/sr1"}],
        "participant": [
            {"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PPRF"}]}],
             "individual": {"reference": "Practitioner/dr1"}},
            {"individual": {"reference": "RelatedPerson/rp1"}}
        ],
        "appointment": [{"reference": "Appointment/a1"}],
        "period": {"start": "2024-01-01T09:00:00Z"},
        "length": {"value": 45, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"},
        "reasonCode": [{"text": "Check-up"}],
        "reasonReference": [{"reference": "Condition/c1"}],
        "diagnosis": [{"condition": {"reference": "Condition/c1"}}],
        "account": [{"reference": "Account/acc1"}],
        "hospitalization": {"specialArrangement": [{"coding": [{"code": "wheel"}]}]},
        "location": [{"location": {"reference": "Location/l1"}, "period": {"start": "2024-01-01", "end": "2024-01-02"}}],
        "serviceProvider": {"reference": "Organization/o1"},
        "partOf": {"reference": "Encounter/e0"}
    })
}

fn condition() -> Value {
    json!({
        "resourceType": "Condition", "id": "c1",
        "identifier": [{"value": "C-1"}],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "category": [{"coding": [{"code": "problem-list-item"}]}],
        "severity": {"coding": [{"code": "24484000", "display": "Severe"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2"}], "text": "Type 2 diabetes"},
        "bodySite": [{"text": "Pancreas"}],
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "onsetAge": {"value": 45.5, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"},
        "abatementPeriod": {"start": "2023-01", "end": "2023-06-15"},
        "recordedDate": "2019-04-01",
        "asserter": {"reference": "Practitioner/dr1"},
        "stage": [{"summary": {"text": "Stage II"}}],
        "evidence": [{"code": [{"coding": [{"code": "e1"}]}], "detail": [{"reference": "Observation/o1"}]}]
    })
}

fn condition_string_onset() -> Value {
    json!({"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p1"},
           "onsetString": "in childhood", "abatementAge": {"value": 12, "code": "a"},
           "onsetDateTime": "2001-02-03"})
}

fn others() -> Vec<Value> {
    vec![
        json!({"resourceType": "Practitioner", "id": "dr1", "active": true, "identifier": [{"value": "P-1"}],
               "name": [{"family": "Ærø", "given": ["Zoë"]}], "telecom": [{"system": "email", "value": "z@example.org"}],
               "address": [{"city": "Århus"}], "gender": "female",
               "communication": [{"coding": [{"code": "da"}]}]}),
        json!({"resourceType": "Organization", "id": "o1", "active": true, "name": "Clinic Süd", "alias": ["CS"],
               "type": [{"coding": [{"code": "prov"}]}], "address": [{"city": "Berlin", "use": "work", "postalCode": "10115",
               "state": "BE", "country": "DE"}], "partOf": {"reference": "Organization/o0"}, "endpoint": [{"reference": "Endpoint/ep"}],
               "identifier": [{"system": "http://example.org/orgs", "value": "ORG-1"}]}),
        json!({"resourceType": "Observation", "id": "ob1", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
               "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-02-02T08:00:00Z",
               "valueQuantity": {"value": 120.50, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
               "component": [{"code": {"coding": [{"code": "8462-4"}]}, "valueQuantity": {"value": 80, "code": "mm[Hg]"}},
                             {"code": {"coding": [{"code": "x"}]}, "valueCodeableConcept": {"text": "high"}}],
               "performer": [{"reference": "Practitioner/dr1"}], "encounter": {"reference": "Encounter/e1"}}),
    ]
}

fn entries<'a>(index: &'a ResourceIndex, param: &str) -> Vec<&'a IndexValue> {
    index
        .entries
        .iter()
        .filter(|e| e.param == param)
        .map(|e| &e.value)
        .collect()
}

fn strings(index: &ResourceIndex, param: &str) -> Vec<(String, String)> {
    entries(index, param)
        .into_iter()
        .filter_map(|v| match v {
            IndexValue::String { normalized, exact } => Some((normalized.clone(), exact.clone())),
            _ => None,
        })
        .collect()
}

fn tokens<'a>(
    index: &'a ResourceIndex,
    param: &str,
) -> Vec<(Option<&'a str>, Option<&'a str>, Option<&'a str>)> {
    entries(index, param)
        .into_iter()
        .filter_map(|v| match v {
            IndexValue::Token {
                system,
                code,
                display,
            } => Some((system.as_deref(), code.as_deref(), display.as_deref())),
            _ => None,
        })
        .collect()
}

fn range(s: &str) -> (i64, i64) {
    let r = parse_date_range(s).unwrap();
    (r.low, r.high)
}

fn dates(index: &ResourceIndex, param: &str) -> Vec<(i64, i64)> {
    entries(index, param)
        .into_iter()
        .filter_map(|v| match v {
            IndexValue::Date { low, high } => Some((*low, *high)),
            _ => None,
        })
        .collect()
}

fn refs<'a>(
    index: &'a ResourceIndex,
    param: &str,
) -> Vec<(Option<&'a str>, Option<&'a str>, Option<&'a str>)> {
    entries(index, param)
        .into_iter()
        .filter_map(|v| match v {
            IndexValue::Reference {
                target_type,
                target_id,
                url,
                ..
            } => Some((target_type.as_deref(), target_id.as_deref(), url.as_deref())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_expression_evaluates_on_rich_resources() {
    let reg = registry().unwrap();
    let mut resources = vec![
        patient(),
        encounter(),
        condition(),
        condition_string_onset(),
    ];
    resources.push(json!({"resourceType": "Condition", "id": "c4", "abatementString": "gone"}));
    resources.extend(others());
    let mut covered = std::collections::BTreeSet::new();
    for resource in &resources {
        let t = resource["resourceType"].as_str().unwrap();
        let mut empty = Vec::new();
        for def in reg.params(t) {
            if matches!(
                def.param_type,
                SearchParamType::Composite | SearchParamType::Special
            ) {
                continue;
            }
            let expr = def
                .compiled
                .as_ref()
                .unwrap_or_else(|| panic!("{t}.{} has no expression", def.code));
            let items =
                evaluate(expr, resource).unwrap_or_else(|e| panic!("{t}.{}: {e}", def.code));
            let mut out = Vec::new();
            extract_param(def, resource, &mut out);
            // A parameter whose parts other parameters' rows hold may have none of its own.
            if !out.is_empty() || !def.parts.is_empty() && !items.is_empty() {
                covered.insert((t.to_owned(), def.code.clone()));
            } else {
                empty.push(format!(
                    "{}{}",
                    def.code,
                    if items.is_empty() {
                        ""
                    } else {
                        " (items but no entries)"
                    }
                ));
            }
        }
        println!("{t}/{}: no entries for {empty:?}", resource["id"]);
        assert!(
            !empty.iter().any(|e| e.contains("items but no entries")),
            "{t}: {empty:?}"
        );
    }
    // Every own parameter of Patient, Encounter and Condition is exercised by some fixture.
    for t in ["Patient", "Encounter", "Condition"] {
        for def in reg.params(t).filter(|d| d.base == t) {
            assert!(
                covered.contains(&(t.to_owned(), def.code.clone())),
                "{t}.{} never extracted",
                def.code
            );
        }
    }
}

#[test]
fn patient_golden() {
    let index = extract("Patient", &patient()).unwrap();
    let family = strings(&index, "family");
    assert_eq!(family, [("muller".to_owned(), "Müller".to_owned())]);
    let given: Vec<String> = strings(&index, "given")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(given, ["jurgen", "emile"]);
    let name: Vec<String> = strings(&index, "name")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    // Family and given names are `family`'s and `given`'s rows (`SearchParamDef::parts`).
    assert_eq!(name, ["dr.", "phd", "jay"]);
    let address: Vec<String> = strings(&index, "address")
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(
        address,
        [
            "Hauptstraße 5, Köln",
            "Hauptstraße 5",
            "Hinterhaus",
            "Innenstadt"
        ]
    );
    assert_eq!(
        strings(&index, "address-city"),
        [("koln".to_owned(), "Köln".to_owned())]
    );
    assert_eq!(tokens(&index, "address-use"), [(None, Some("home"), None)]);
    assert_eq!(
        tokens(&index, "identifier"),
        [
            (
                Some("urn:oid:1.2.36.146.595.217.0.1"),
                Some("12345"),
                Some("medical record")
            ),
            (Some("http://example.org/ssn"), Some("999-99-9999"), None),
        ]
    );
    assert_eq!(
        tokens(&index, "telecom"),
        [
            (Some("phone"), Some("+49 30 1234"), None),
            (Some("email"), Some("jm@example.org"), None)
        ]
    );
    assert_eq!(
        tokens(&index, "email"),
        [(Some("email"), Some("jm@example.org"), None)]
    );
    assert_eq!(
        tokens(&index, "phone"),
        [(Some("phone"), Some("+49 30 1234"), None)]
    );
    assert_eq!(tokens(&index, "gender"), [(None, Some("male"), None)]);
    assert_eq!(tokens(&index, "active"), [(None, Some("true"), None)]);
    assert_eq!(tokens(&index, "deceased"), [(None, Some("true"), None)]);
    assert_eq!(
        tokens(&index, "language"),
        [
            (Some("urn:ietf:bcp:47"), Some("de"), Some("german")),
            (None, None, Some("deutsch"))
        ]
    );
    assert_eq!(dates(&index, "birthdate"), [range("1980")]);
    assert_eq!(dates(&index, "death-date"), [range("2020-05-01T08:00:00Z")]);
    assert_eq!(
        refs(&index, "general-practitioner"),
        [
            (Some("Practitioner"), Some("dr1"), None),
            // Another server's Organization/o9: only its URL, never the local o9.
            (
                None,
                None,
                Some("http://other.example/fhir/Organization/o9")
            ),
        ]
    );
    assert_eq!(refs(&index, "link"), [(Some("Patient"), Some("p0"), None)]);
    // Under this server's base it is a local reference again.
    let mut local = index.clone();
    super::localize_references(&mut local, "http://other.example/fhir/");
    assert_eq!(
        refs(&local, "general-practitioner"),
        [
            (Some("Practitioner"), Some("dr1"), None),
            (Some("Organization"), Some("o9"), None),
        ]
    );
    let mut elsewhere = index.clone();
    super::localize_references(&mut elsewhere, "http://other.example/fh");
    assert_eq!(
        refs(&elsewhere, "general-practitioner"),
        refs(&index, "general-practitioner")
    );
    let org = entries(&index, "organization");
    assert_eq!(
        org,
        [&IndexValue::Reference {
            target_type: Some("Organization".into()),
            target_id: Some("o1".into()),
            url: None,
            identifier_system: Some("http://example.org/orgs".into()),
            identifier_value: Some("ORG-1".into()),
        }]
    );
    // Resource-level parameters.
    assert_eq!(tokens(&index, "_id"), [(None, Some("p1"), None)]);
    assert_eq!(
        dates(&index, "_lastUpdated"),
        [range("2024-03-01T10:00:00.123Z")]
    );
    assert_eq!(
        tokens(&index, "_tag"),
        [(
            Some("http://example.org/tags"),
            Some("vip"),
            Some("very important")
        )]
    );
    assert_eq!(
        tokens(&index, "_security"),
        [(
            Some("http://terminology.hl7.org/CodeSystem/v3-Confidentiality"),
            Some("R"),
            None
        )]
    );
    assert_eq!(
        entries(&index, "_profile"),
        [&IndexValue::Uri {
            uri: "http://example.org/fhir/StructureDefinition/my-patient".into()
        }]
    );
    assert_eq!(
        entries(&index, "_source"),
        [&IndexValue::Uri {
            uri: "http://example.org/source#abc".into()
        }]
    );
}

#[test]
fn patient_deceased_boolean_and_absent() {
    let mut p = patient();
    let obj = p.as_object_mut().unwrap();
    obj.remove("deceasedDateTime");
    let index = extract("Patient", &p).unwrap();
    assert_eq!(tokens(&index, "deceased"), [(None, Some("false"), None)]);
    assert!(dates(&index, "death-date").is_empty());
    p["deceasedBoolean"] = json!(false);
    let index = extract("Patient", &p).unwrap();
    assert_eq!(tokens(&index, "deceased"), [(None, Some("false"), None)]);
    p["deceasedBoolean"] = json!(true);
    let index = extract("Patient", &p).unwrap();
    assert_eq!(tokens(&index, "deceased"), [(None, Some("true"), None)]);
}

#[test]
fn encounter_golden() {
    let index = extract("Encounter", &encounter()).unwrap();
    assert_eq!(
        dates(&index, "date"),
        [(range("2024-01-01T09:00:00Z").0, i64::MAX)]
    );
    assert_eq!(
        dates(&index, "location-period"),
        [(range("2024-01-01").0, range("2024-01-02").1)]
    );
    assert_eq!(
        refs(&index, "practitioner"),
        [(Some("Practitioner"), Some("dr1"), None)]
    );
    assert_eq!(
        refs(&index, "participant"),
        [
            (Some("Practitioner"), Some("dr1"), None),
            (Some("RelatedPerson"), Some("rp1"), None)
        ]
    );
    assert_eq!(
        refs(&index, "patient"),
        [(Some("Patient"), Some("p1"), None)]
    );
    assert_eq!(
        refs(&index, "subject"),
        [(Some("Patient"), Some("p1"), None)]
    );
    assert_eq!(
        tokens(&index, "class"),
        [(
            Some("http://terminology.hl7.org/CodeSystem/v3-ActCode"),
            Some("AMB"),
            None
        )]
    );
    assert_eq!(
        tokens(&index, "reason-code"),
        [(None, None, Some("check-up"))]
    );
    match entries(&index, "length").as_slice() {
        [IndexValue::Quantity {
            value,
            low,
            high,
            system,
            code,
            unit,
        }] => {
            assert_eq!((*value, *low, *high), (45.0, 44.5, 45.5));
            assert_eq!(system.as_deref(), Some("http://unitsofmeasure.org"));
            assert_eq!(
                (code.as_deref(), unit.as_deref()),
                (Some("min"), Some("min"))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn encounter_patient_param_skips_group_subjects() {
    let mut e = encounter();
    e["subject"] = json!({"reference": "Group/g1"});
    let index = extract("Encounter", &e).unwrap();
    assert!(refs(&index, "patient").is_empty());
    assert_eq!(refs(&index, "subject"), [(Some("Group"), Some("g1"), None)]);
}

#[test]
fn condition_golden() {
    let index = extract("Condition", &condition()).unwrap();
    assert_eq!(
        tokens(&index, "code"),
        [
            (
                Some("http://snomed.info/sct"),
                Some("44054006"),
                Some("diabetes mellitus type 2")
            ),
            (None, None, Some("type 2 diabetes")),
        ]
    );
    assert_eq!(
        dates(&index, "abatement-date"),
        [(range("2023-01").0, range("2023-06-15").1)]
    );
    assert_eq!(dates(&index, "recorded-date"), [range("2019-04-01")]);
    assert!(dates(&index, "onset-date").is_empty());
    match entries(&index, "onset-age").as_slice() {
        [IndexValue::Quantity {
            value, low, high, ..
        }] => {
            assert_eq!(*value, 45.5);
            assert!((low - 45.45).abs() < 1e-9 && (high - 45.55).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        refs(&index, "evidence-detail"),
        [(Some("Observation"), Some("o1"), None)]
    );
    assert_eq!(tokens(&index, "stage"), [(None, None, Some("stage ii"))]);

    let index = extract("Condition", &condition_string_onset()).unwrap();
    assert_eq!(
        strings(&index, "onset-info"),
        [("in childhood".to_owned(), "in childhood".to_owned())]
    );
    assert_eq!(dates(&index, "onset-date"), [range("2001-02-03")]);
    assert_eq!(entries(&index, "abatement-age").len(), 1);
}

#[test]
fn observation_choice_values() {
    let mut obs = others().pop().unwrap();
    // Parsed from text so the decimal keeps its written precision (`json!` would not).
    obs["valueQuantity"] = serde_json::from_str(
        r#"{"value": 120.50, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}"#,
    )
    .unwrap();
    let index = extract("Observation", &obs).unwrap();
    match entries(&index, "value-quantity").as_slice() {
        [IndexValue::Quantity {
            value,
            low,
            high,
            code,
            ..
        }] => {
            assert_eq!(*value, 120.5);
            assert!(
                (low - 120.495).abs() < 1e-9 && (high - 120.505).abs() < 1e-9,
                "{low} {high}"
            );
            assert_eq!(code.as_deref(), Some("mm[Hg]"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(entries(&index, "component-value-quantity").len(), 1);
    assert_eq!(tokens(&index, "combo-code").len(), 3);
    assert_eq!(
        strings(&index, "value-string"),
        Vec::<(String, String)>::new()
    );
    assert_eq!(dates(&index, "date"), [range("2024-02-02T08:00:00Z")]);
    assert_eq!(
        tokens(&index, "component-value-concept"),
        [(None, None, Some("high"))]
    );
}

#[test]
fn contained_and_urn_references() {
    let c = json!({"resourceType": "Condition", "id": "c3",
        "contained": [{"resourceType": "Practitioner", "id": "pr"}],
        "asserter": {"reference": "#pr"},
        "recorder": {"reference": "#missing"},
        "subject": {"reference": "urn:uuid:0b9a2c3e-1111-2222-3333-444455556666"},
        "encounter": {"identifier": {"system": "http://example.org/enc", "value": "E-9"}}});
    let index = extract("Condition", &c).unwrap();
    // A contained target: its type marked `#`, its id completed by the store; a `#id` with
    // no such contained resource is nothing.
    assert_eq!(
        refs(&index, "asserter"),
        [(Some("#Practitioner"), Some("#pr"), None)]
    );
    assert!(refs(&index, "recorder").is_empty());
    assert_eq!(
        refs(&index, "subject"),
        [(
            None,
            None,
            Some("urn:uuid:0b9a2c3e-1111-2222-3333-444455556666")
        )]
    );
    assert_eq!(
        entries(&index, "encounter"),
        [&IndexValue::Reference {
            target_type: None,
            target_id: None,
            url: None,
            identifier_system: Some("http://example.org/enc".into()),
            identifier_value: Some("E-9".into()),
        }]
    );
}

/// `extract_stored` indexes the contained resources of the asked-for types, each on its own
/// (its own type's parameters, evaluated with it as the root), and skips the rest.
#[test]
fn contained_resources_of_served_types() {
    let reg = registry().unwrap();
    let e = json!({"resourceType": "Encounter", "id": "e1", "status": "finished",
        "class": {"code": "AMB"},
        "contained": [
            {"resourceType": "Patient", "id": "p1", "name": [{"family": "Ngata"}], "gender": "female"},
            {"resourceType": "Practitioner", "id": "pr", "name": [{"family": "Osei"}]},
            {"resourceType": "Patient", "name": [{"family": "NoId"}]},
            {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/real-1"},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}}
        ],
        "subject": {"reference": "#p1"}});
    let index = extract_stored(reg, "Encounter", &e, &["Patient", "Encounter", "Condition"]);
    assert_eq!(index.entries, extract_with(reg, "Encounter", &e).entries);
    let kinds: Vec<(&str, &str)> = index
        .contained
        .iter()
        .map(|c| (c.resource_type.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(kinds, [("Patient", "p1"), ("Condition", "c1")]);
    let patient = ResourceIndex {
        entries: index.contained[0].entries.clone(),
        contained: Vec::new(),
    };
    assert!(strings(&patient, "family").contains(&("ngata".to_owned(), "Ngata".to_owned())));
    assert_eq!(tokens(&patient, "gender"), [(None, Some("female"), None)]);
    let condition = ResourceIndex {
        entries: index.contained[1].entries.clone(),
        contained: Vec::new(),
    };
    assert_eq!(
        refs(&condition, "subject"),
        [(Some("Patient"), Some("real-1"), None)]
    );
    // Ids are unique among all contained resources: a repeat (invalid) is not indexed.
    let twice = json!({"resourceType": "Encounter", "contained": [
        {"resourceType": "Practitioner", "id": "x"},
        {"resourceType": "Patient", "id": "x", "name": [{"family": "Twice"}]},
        {"resourceType": "Patient", "id": "y"}, {"resourceType": "Patient", "id": "y"}]});
    let index = extract_stored(reg, "Encounter", &twice, &["Patient"]);
    let ids: Vec<&str> = index.contained.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["y"]);
    // Without the types asked for, nothing contained is indexed.
    assert!(extract_stored(reg, "Encounter", &e, &[])
        .contained
        .is_empty());
    assert!(extract_with(reg, "Encounter", &e).contained.is_empty());
}

/// Every official Patient, Encounter and Condition example extracts without error.
#[test]
fn official_examples_extract() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fhir-r4/examples");
    let Ok(read) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            dir.display()
        );
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let mut resources = Vec::new();
    for entry in read {
        let path = entry.unwrap().path();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if json["resourceType"] == "Bundle" {
            for e in json["entry"].as_array().into_iter().flatten() {
                resources.push(e["resource"].clone());
            }
        } else {
            resources.push(json);
        }
    }
    let mut count = 0;
    for r in &resources {
        let t = r["resourceType"].as_str().unwrap();
        if !matches!(t, "Patient" | "Encounter" | "Condition") {
            continue;
        }
        let index = extract(t, r).unwrap();
        assert!(
            index.entries.iter().any(|e| e.param == "_id"),
            "{t}/{}",
            r["id"]
        );
        count += 1;
    }
    assert!(count >= 40, "only {count} examples");
}

#[test]
fn quantity_comparator_opens_the_range() {
    let c = json!({"resourceType": "Condition", "id": "c5", "onsetAge": {"value": 5, "comparator": "<", "code": "a"}});
    let index = extract("Condition", &c).unwrap();
    match entries(&index, "onset-age").as_slice() {
        [IndexValue::Quantity {
            value, low, high, ..
        }] => {
            assert_eq!((*value, *high), (5.0, 5.5));
            assert!(low.is_infinite() && *low < 0.0);
        }
        other => panic!("{other:?}"),
    }
}
