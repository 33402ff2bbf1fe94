//! One case per FHIR JSON rule the parser enforces: each asserts the error kind and the
//! FHIRPath location reported for it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodian_model::{json, ParseErrorKind as K, Resource};

const CASES: &[(&str, &str, K, &str)] = &[
    // Not JSON / wrong shapes
    ("not json", "{", K::Syntax, ""),
    (
        "trailing garbage",
        r#"{"resourceType":"Patient"} x"#,
        K::Syntax,
        "",
    ),
    (
        "array at top",
        r#"[{"resourceType":"Patient"}]"#,
        K::Syntax,
        "",
    ),
    (
        "object for a primitive",
        r#"{"resourceType":"Patient","gender":{"a":1}}"#,
        K::Syntax,
        "Patient.gender",
    ),
    (
        "array for a singular element",
        r#"{"resourceType":"Patient","birthDate":["1980"]}"#,
        K::Syntax,
        "Patient.birthDate",
    ),
    (
        "object for a repeating element",
        r#"{"resourceType":"Patient","name":{"family":"X"}}"#,
        K::Syntax,
        "Patient.name",
    ),
    (
        "number for a string",
        r#"{"resourceType":"Patient","name":[{"family":12}]}"#,
        K::Syntax,
        "Patient.name[0].family",
    ),
    (
        "string for a boolean",
        r#"{"resourceType":"Patient","active":"true"}"#,
        K::Syntax,
        "Patient.active",
    ),
    (
        "string for a decimal",
        r#"{"resourceType":"Observation","id":"x"}"#,
        K::Syntax,
        "__skip__",
    ),
    // resourceType
    ("missing resourceType", r#"{"id":"x"}"#, K::ResourceType, ""),
    (
        "unknown resourceType",
        r#"{"resourceType":"Patien"}"#,
        K::ResourceType,
        "",
    ),
    ("empty object as resource", "{}", K::ResourceType, ""),
    (
        "resourceType twice",
        r#"{"resourceType":"Patient","resourceType":"Patient"}"#,
        K::Duplicate,
        "Patient.resourceType",
    ),
    (
        "wrong resourceType in contained",
        r#"{"resourceType":"Patient","contained":[{"resourceType":"Nope"}]}"#,
        K::ResourceType,
        "Patient.contained[0]",
    ),
    // Unknown elements
    (
        "unknown element",
        r#"{"resourceType":"Patient","foo":1}"#,
        K::UnknownElement,
        "Patient.foo",
    ),
    (
        "unknown nested element",
        r#"{"resourceType":"Patient","name":[{"famly":"X"}]}"#,
        K::UnknownElement,
        "Patient.name[0].famly",
    ),
    (
        "unknown in _name object",
        r#"{"resourceType":"Patient","_birthDate":{"foo":1}}"#,
        K::UnknownElement,
        "Patient.birthDate.foo",
    ),
    (
        "_name on a complex element",
        r#"{"resourceType":"Patient","_name":[{"id":"a"}]}"#,
        K::UnknownElement,
        "Patient._name",
    ),
    (
        "choice without type suffix",
        r#"{"resourceType":"Patient","deceased":true}"#,
        K::UnknownElement,
        "Patient.deceased",
    ),
    (
        "unknown choice type",
        r#"{"resourceType":"Patient","deceasedString":"yes"}"#,
        K::UnknownElement,
        "Patient.deceasedString",
    ),
    (
        "element of another type",
        r#"{"resourceType":"Condition","gender":"male"}"#,
        K::UnknownElement,
        "Condition.gender",
    ),
    // Empty values
    (
        "empty string",
        r#"{"resourceType":"Patient","name":[{"family":""}]}"#,
        K::Empty,
        "Patient.name[0].family",
    ),
    (
        "empty array",
        r#"{"resourceType":"Patient","name":[]}"#,
        K::Empty,
        "Patient.name",
    ),
    (
        "empty object",
        r#"{"resourceType":"Patient","name":[{}]}"#,
        K::Empty,
        "Patient.name[0]",
    ),
    (
        "empty _name object",
        r#"{"resourceType":"Patient","_birthDate":{}}"#,
        K::Empty,
        "Patient.birthDate",
    ),
    (
        "null value",
        r#"{"resourceType":"Patient","birthDate":null}"#,
        K::Syntax,
        "Patient.birthDate",
    ),
    (
        "null in complex array",
        r#"{"resourceType":"Patient","name":[null]}"#,
        K::Syntax,
        "Patient.name[0]",
    ),
    (
        "null without extension",
        r#"{"resourceType":"Patient","name":[{"given":["A",null]}]}"#,
        K::Empty,
        "Patient.name[0].given[1]",
    ),
    (
        "arrays do not line up",
        r#"{"resourceType":"Patient","name":[{"given":["A"],"_given":[null,{"id":"x"}]}]}"#,
        K::Syntax,
        "Patient.name[0].given",
    ),
    (
        "empty string in unmodelled type",
        r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","status":""}}]}"#,
        K::Empty,
        "Bundle.entry[0].resource.status",
    ),
    // Choice elements and duplicates
    (
        "two choice types",
        r#"{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}"#,
        K::Duplicate,
        "Patient.deceased",
    ),
    (
        "two onset types",
        r#"{"resourceType":"Condition","onsetString":"x","onsetAge":{"value":1}}"#,
        K::Duplicate,
        "Condition.onset",
    ),
    (
        "element twice",
        r#"{"resourceType":"Patient","gender":"male","gender":"female"}"#,
        K::Duplicate,
        "Patient.gender",
    ),
    // Primitive formats
    (
        "impossible date",
        r#"{"resourceType":"Patient","birthDate":"1980-13-45"}"#,
        K::InvalidValue,
        "Patient.birthDate",
    ),
    (
        "no leap day",
        r#"{"resourceType":"Patient","birthDate":"2021-02-29"}"#,
        K::InvalidValue,
        "Patient.birthDate",
    ),
    (
        "date with time",
        r#"{"resourceType":"Patient","birthDate":"1980-01-01T00:00:00Z"}"#,
        K::InvalidValue,
        "Patient.birthDate",
    ),
    (
        "dateTime without zone",
        r#"{"resourceType":"Patient","deceasedDateTime":"2020-05-01T10:00:00"}"#,
        K::InvalidValue,
        "Patient.deceased",
    ),
    (
        "instant without zone",
        r#"{"resourceType":"Patient","meta":{"lastUpdated":"2020-05-01T10:00:00"}}"#,
        K::InvalidValue,
        "Patient.meta.lastUpdated",
    ),
    (
        "instant without time",
        r#"{"resourceType":"Patient","meta":{"lastUpdated":"2020-05-01"}}"#,
        K::InvalidValue,
        "Patient.meta.lastUpdated",
    ),
    (
        "time with zone",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valueTime":"10:00:00Z"}]}"#,
        K::InvalidValue,
        "Patient.extension[0].value",
    ),
    (
        "bad id",
        r#"{"resourceType":"Patient","id":"a b"}"#,
        K::InvalidValue,
        "Patient.id",
    ),
    (
        "id too long",
        r#"{"resourceType":"Patient","id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
        K::InvalidValue,
        "Patient.id",
    ),
    (
        "code with double space",
        r#"{"resourceType":"Patient","communication":[{"language":{"coding":[{"code":"a  b"}]}}]}"#,
        K::InvalidValue,
        "Patient.communication[0].language.coding[0].code",
    ),
    (
        "uri with space",
        r#"{"resourceType":"Patient","identifier":[{"system":"http://a b"}]}"#,
        K::InvalidValue,
        "Patient.identifier[0].system",
    ),
    (
        "bad base64",
        r#"{"resourceType":"Patient","photo":[{"data":"abc"}]}"#,
        K::InvalidValue,
        "Patient.photo[0].data",
    ),
    (
        "bad oid",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valueOid":"1.2.3"}]}"#,
        K::InvalidValue,
        "Patient.extension[0].value",
    ),
    (
        "bad uuid",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valueUuid":"urn:uuid:ABC"}]}"#,
        K::InvalidValue,
        "Patient.extension[0].value",
    ),
    (
        "control character",
        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\\u0001\"}]}",
        K::InvalidValue,
        "Patient.name[0].family",
    ),
    (
        "integer out of range",
        r#"{"resourceType":"Patient","multipleBirthInteger":3000000000}"#,
        K::InvalidValue,
        "Patient.multipleBirth",
    ),
    (
        "integer with fraction",
        r#"{"resourceType":"Patient","multipleBirthInteger":1.5}"#,
        K::Syntax,
        "Patient.multipleBirth",
    ),
    (
        "positiveInt zero",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valuePositiveInt":0}]}"#,
        K::InvalidValue,
        "Patient.extension[0].value",
    ),
    (
        "unsignedInt negative",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valueUnsignedInt":-1}]}"#,
        K::InvalidValue,
        "Patient.extension[0].value",
    ),
    (
        "decimal as string",
        r#"{"resourceType":"Patient","extension":[{"url":"http://x","valueDecimal":"1.5"}]}"#,
        K::Syntax,
        "Patient.extension[0].value",
    ),
    // Required bindings
    (
        "unknown gender",
        r#"{"resourceType":"Patient","gender":"mal"}"#,
        K::InvalidCode,
        "Patient.gender",
    ),
    (
        "unknown encounter status",
        r#"{"resourceType":"Encounter","status":"done"}"#,
        K::InvalidCode,
        "Encounter.status",
    ),
    (
        "unknown name use",
        r#"{"resourceType":"Patient","name":[{"use":"nick"}]}"#,
        K::InvalidCode,
        "Patient.name[0].use",
    ),
    (
        "unknown bundle type",
        r#"{"resourceType":"Bundle","type":"pile"}"#,
        K::InvalidCode,
        "Bundle.type",
    ),
    (
        "unknown http verb",
        r#"{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"FETCH","url":"Patient"}}]}"#,
        K::InvalidCode,
        "Bundle.entry[0].request.method",
    ),
    // Deep locations
    (
        "in a bundled resource",
        r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient","birthDate":"x"}}]}"#,
        K::InvalidValue,
        "Bundle.entry[1].resource.birthDate",
    ),
    (
        "in a parameter resource",
        r#"{"resourceType":"Parameters","parameter":[{"name":"r","resource":{"resourceType":"Patient","active":1}}]}"#,
        K::Syntax,
        "Parameters.parameter[0].resource.active",
    ),
    (
        "in an extension of a primitive",
        r#"{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://x","valueDate":"2020-02-30"}]}}"#,
        K::InvalidValue,
        "Patient.birthDate.extension[0].value",
    ),
    (
        "resourceType not first",
        r#"{"id":"a","resourceType":"Patient","gender":"x"}"#,
        K::InvalidCode,
        "Patient.gender",
    ),
];

#[test]
fn every_rule_reports_its_kind_and_location() {
    let mut failures = Vec::new();
    for (name, input, kind, expression) in CASES {
        if *expression == "__skip__" {
            continue;
        }
        match json::from_str::<Resource>(input) {
            Ok(r) => failures.push(format!("{name}: accepted as {r:?}")),
            Err(e) => {
                if e.kind != *kind || e.expression != *expression {
                    failures.push(format!(
                        "{name}: got {:?} at '{}' ({}), expected {kind:?} at '{expression}'",
                        e.kind, e.expression, e.message
                    ));
                }
                assert!(!e.message.is_empty(), "{name}: empty message");
            }
        }
    }
    assert!(CASES.len() >= 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_are_for_people() {
    let e = json::from_str::<Resource>(r#"{"resourceType":"Patient","gender":"mal"}"#).unwrap_err();
    assert!(
        e.message.contains("male, female, other, unknown"),
        "{}",
        e.message
    );
    let e = json::from_str::<Resource>(r#"{"resourceType":"Patient","birthDate":"1980-13-45"}"#)
        .unwrap_err();
    assert!(e.message.contains("1980-13-45"), "{}", e.message);
    assert_eq!(e.kind.issue_code(), "value");
}
