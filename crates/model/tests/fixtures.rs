//! JSON rules on fixtures written for this repository (synthetic data only).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodian_model::{json, Bundle, Element, Patient, PatientDeceased, Resource};
use serde_json::Value;

fn round_trip_text(input: &str) -> String {
    let r: Resource = json::from_str(input).expect("parses");
    String::from_utf8(json::to_vec(&r).expect("writes")).expect("utf8")
}

#[test]
fn decimals_keep_their_written_precision() {
    let input = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Parameters","parameter":[{"name":"a","valueDecimal":1.50},{"name":"b","valueDecimal":2},{"name":"c","valueDecimal":0.000100},{"name":"d","valueDecimal":-1.0e3}]}}]}"#;
    let out = round_trip_text(input);
    for text in ["1.50", ":2}", "0.000100", "-1.0e"] {
        assert!(out.contains(text), "{text} lost in {out}");
    }
}

#[test]
fn partial_dates_keep_their_precision() {
    let out = round_trip_text(
        r#"{"resourceType":"Patient","birthDate":"1980","deceasedDateTime":"2020-05-01T10:00:00+02:00"}"#,
    );
    assert_eq!(
        out,
        r#"{"resourceType":"Patient","birthDate":"1980","deceasedDateTime":"2020-05-01T10:00:00+02:00"}"#
    );
    let p: Patient =
        json::from_str(r#"{"resourceType":"Patient","birthDate":"2020-05"}"#).expect("parses");
    let birth = p
        .birth_date
        .as_ref()
        .and_then(Element::value)
        .expect("birthDate");
    assert_eq!(birth.as_str(), "2020-05");
    assert_eq!(
        birth.precision(),
        custodian_model::primitives::Precision::Month
    );
}

#[test]
fn repeating_primitives_keep_null_placeholders() {
    let input = r#"{"resourceType":"Patient","name":[{"given":["Ann",null,"Bo"],"_given":[null,{"extension":[{"url":"http://example.org/absent","valueCode":"unknown"}]},{"id":"g3"}]}]}"#;
    assert_eq!(round_trip_text(input), input);
    let p: Patient = json::from_str(input).expect("parses");
    let given = &p.name[0].given;
    assert_eq!(given.len(), 3);
    assert!(given[1].value.is_none());
    assert_eq!(given[2].id(), Some("g3"));
}

#[test]
fn serialization_follows_the_specification_order() {
    // Keys given in reverse order come back in the order of the StructureDefinition.
    let input = r#"{"gender":"female","name":[{"given":["Zoë"],"family":"Ng"}],"id":"p1","resourceType":"Patient"}"#;
    assert_eq!(
        round_trip_text(input),
        r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Ng","given":["Zoë"]}],"gender":"female"}"#
    );
}

#[test]
fn choice_elements_are_typed() {
    let p: Patient =
        json::from_str(r#"{"resourceType":"Patient","deceasedBoolean":true}"#).expect("parses");
    assert!(matches!(
        p.deceased,
        Some(PatientDeceased::Boolean(Element {
            value: Some(true),
            ..
        }))
    ));
}

#[test]
fn unmodelled_types_in_bundles_are_kept_as_checked_json() {
    let input = r#"{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b5a1f3e-8a50-4a36-9f63-2f1c0a4a1d11","resource":{"resourceType":"Observation","status":"final","valueQuantity":{"value":7.20,"unit":"mmol/L"}},"request":{"method":"POST","url":"Observation"}}]}"#;
    let b: Bundle = json::from_str(input).expect("parses");
    let Some(Resource::Other(obs)) = &b.entry[0].resource else {
        panic!("expected an unmodelled resource")
    };
    assert_eq!(obs.resource_type(), "Observation");
    assert_eq!(round_trip_text(input), input);
}

#[test]
fn resource_type_may_come_last() {
    let r: Resource = json::from_str(r#"{"id":"x","birthDate":"1999","resourceType":"Patient"}"#)
        .expect("parses");
    assert_eq!(r.id(), Some("x"));
    let v: Value = json::to_value(&r).expect("value");
    assert_eq!(v["birthDate"], "1999");
}
