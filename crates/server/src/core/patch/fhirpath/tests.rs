#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use custodian_validation::Validator;
use serde_json::json;

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {"system": "urn:mrn", "value": "1"},
            {"system": "urn:ssn", "value": "2"}
        ],
        "name": [{"family": "Doe", "given": ["Jane", "Q"]}],
        "birthDate": "1970-01-01",
        "contact": [{"name": {"family": "Roe"}}]
    })
}

fn operation(parts: Value) -> Value {
    json!({"name": "operation", "part": parts})
}

fn patch(operations: Vec<Value>) -> FhirPathPatch {
    FhirPathPatch::from_parameters(&json!({"resourceType": "Parameters", "parameter": operations}))
        .unwrap()
}

fn apply(doc: &mut Value, operations: Vec<Value>) -> Result<(), FhirError> {
    let v = Validator::new().unwrap();
    let repeats = |keys: &[&str]| v.element_repeats("Patient", keys);
    patch(operations).apply(doc, &repeats)
}

#[test]
fn add_a_single_element_a_list_item_and_a_new_list() {
    let mut doc = patient();
    apply(
        &mut doc,
        vec![
            operation(json!([
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "Patient"},
                {"name": "name", "valueString": "gender"},
                {"name": "value", "valueCode": "female"}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "Patient.name[0]"},
                {"name": "name", "valueString": "given"},
                {"name": "value", "valueString": "Ann"}
            ])),
            // A new list, its value built from parts (telecom is a list: one item array).
            operation(json!([
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "Patient"},
                {"name": "name", "valueString": "telecom"},
                {"name": "value", "part": [
                    {"name": "system", "valueCode": "phone"},
                    {"name": "value", "valueString": "555-0100"}
                ]}
            ])),
            // A complex value given whole.
            operation(json!([
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "Patient"},
                {"name": "name", "valueString": "maritalStatus"},
                {"name": "value", "valueCodeableConcept": {"text": "married"}}
            ])),
        ],
    )
    .unwrap();
    assert_eq!(doc["gender"], "female");
    assert_eq!(doc["name"][0]["given"], json!(["Jane", "Q", "Ann"]));
    assert_eq!(
        doc["telecom"],
        json!([{"system": "phone", "value": "555-0100"}])
    );
    assert_eq!(doc["maritalStatus"], json!({"text": "married"}));
    // A choice element is added by its name and the type of the value.
    apply(
        &mut doc,
        vec![operation(json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "name", "valueString": "deceased"},
            {"name": "value", "valueBoolean": false}
        ]))],
    )
    .unwrap();
    assert_eq!(doc["deceasedBoolean"], false);
}

#[test]
fn parts_that_are_lists_become_arrays() {
    let mut doc = patient();
    apply(
        &mut doc,
        vec![operation(json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "name", "valueString": "contact"},
            {"name": "value", "part": [
                {"name": "name", "part": [
                    {"name": "family", "valueString": "Poe"},
                    {"name": "given", "valueString": "Al"}
                ]},
                {"name": "telecom", "valueContactPoint": {"system": "email", "value": "a@example.org"}},
                {"name": "telecom", "valueContactPoint": {"system": "phone", "value": "1"}}
            ]}
        ]))],
    )
    .unwrap();
    assert_eq!(
        doc["contact"][1],
        json!({
            "name": {"family": "Poe", "given": ["Al"]},
            "telecom": [
                {"system": "email", "value": "a@example.org"},
                {"system": "phone", "value": "1"}
            ]
        })
    );
}

#[test]
fn insert_move_replace_and_delete() {
    let mut doc = patient();
    apply(
        &mut doc,
        vec![
            operation(json!([
                {"name": "type", "valueCode": "insert"},
                {"name": "path", "valueString": "Patient.identifier"},
                {"name": "index", "valueInteger": 0},
                {"name": "value", "valueIdentifier": {"system": "urn:new", "value": "0"}}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "move"},
                {"name": "path", "valueString": "Patient.identifier"},
                {"name": "source", "valueInteger": 2},
                {"name": "destination", "valueInteger": 0}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "replace"},
                {"name": "path", "valueString": "Patient.birthDate"},
                {"name": "value", "valueDate": "1971-02-03"}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "delete"},
                {"name": "path", "valueString": "Patient.identifier.where(system = 'urn:mrn')"}
            ])),
            // Deleting the only child of an element removes the element, then the list.
            operation(json!([
                {"name": "type", "valueCode": "delete"},
                {"name": "path", "valueString": "Patient.contact[0].name.family"}
            ])),
            // Nothing found: nothing to delete, not an error.
            operation(json!([
                {"name": "type", "valueCode": "delete"},
                {"name": "path", "valueString": "Patient.deceased"}
            ])),
        ],
    )
    .unwrap();
    let systems: Vec<&str> = doc["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["system"].as_str().unwrap())
        .collect();
    assert_eq!(systems, ["urn:ssn", "urn:new"]);
    assert_eq!(doc["birthDate"], "1971-02-03");
    assert!(doc.get("contact").is_none(), "{doc}");
    // Insert into a list that is not there yet, at 0.
    let mut doc = patient();
    apply(
        &mut doc,
        vec![operation(json!([
            {"name": "type", "valueCode": "insert"},
            {"name": "path", "valueString": "Patient.address"},
            {"name": "index", "valueInteger": 0},
            {"name": "value", "valueAddress": {"city": "Springfield"}}
        ]))],
    )
    .unwrap();
    assert_eq!(doc["address"], json!([{"city": "Springfield"}]));
}

#[test]
fn operations_that_cannot_apply_are_422_naming_the_operation() {
    let cases = [
        // Several targets for a replace.
        json!([
            {"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.identifier"},
            {"name": "value", "valueIdentifier": {"value": "x"}}
        ]),
        // Add over a single value that is there.
        json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "name", "valueString": "birthDate"},
            {"name": "value", "valueDate": "2000-01-01"}
        ]),
        // Not an element of Patient.
        json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "name", "valueString": "colour"},
            {"name": "value", "valueString": "blue"}
        ]),
        // Beyond the list.
        json!([
            {"name": "type", "valueCode": "insert"},
            {"name": "path", "valueString": "Patient.identifier"},
            {"name": "index", "valueInteger": 5},
            {"name": "value", "valueIdentifier": {"value": "x"}}
        ]),
        json!([
            {"name": "type", "valueCode": "move"},
            {"name": "path", "valueString": "Patient.identifier"},
            {"name": "source", "valueInteger": 0},
            {"name": "destination", "valueInteger": 9}
        ]),
        // Insert into what is not a list.
        json!([
            {"name": "type", "valueCode": "insert"},
            {"name": "path", "valueString": "Patient.birthDate"},
            {"name": "index", "valueInteger": 0},
            {"name": "value", "valueDate": "2000-01-01"}
        ]),
        // Replace of nothing.
        json!([
            {"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "Patient.gender"},
            {"name": "value", "valueCode": "male"}
        ]),
    ];
    for parts in cases {
        let mut doc = patient();
        let before = doc.clone();
        let e = apply(&mut doc, vec![operation(parts.clone())]).unwrap_err();
        assert!(
            matches!(&e, FhirError::Unprocessable(m) if m.contains("operation 0")),
            "{parts}: {e:?}"
        );
        assert_eq!(
            doc, before,
            "{parts}: a failed single operation changes nothing"
        );
    }
}

#[test]
fn malformed_documents_are_400_naming_the_parameter() {
    let cases = [
        json!({"resourceType": "Patient"}),
        json!({"resourceType": "Parameters"}),
        json!({"resourceType": "Parameters", "parameter": [{"name": "op"}]}),
        json!({"resourceType": "Parameters", "parameter": [operation(json!([
            {"name": "type", "valueCode": "frobnicate"},
            {"name": "path", "valueString": "Patient"}
        ]))]}),
        json!({"resourceType": "Parameters", "parameter": [operation(json!([
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": "Patient"},
            {"name": "value", "valueString": "x"}
        ]))]}),
        json!({"resourceType": "Parameters", "parameter": [operation(json!([
            {"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": "Patient.name.where("}
        ]))]}),
        json!({"resourceType": "Parameters", "parameter": [operation(json!([
            {"name": "type", "valueCode": "insert"},
            {"name": "path", "valueString": "Patient.name"},
            {"name": "index", "valueInteger": -1},
            {"name": "value", "valueString": "x"}
        ]))]}),
    ];
    for body in cases {
        let e = FhirPathPatch::from_parameters(&body).unwrap_err();
        assert!(
            matches!(&e, FhirError::BadRequest { expression: Some(x), .. } if x.starts_with("Parameters")),
            "{body}: {e:?}"
        );
    }
}

#[test]
fn choice_elements_and_extensions() {
    let mut doc = patient();
    doc["deceasedBoolean"] = json!(false);
    apply(
        &mut doc,
        vec![
            // A choice element replaced by a value of another type changes its key.
            operation(json!([
                {"name": "type", "valueCode": "replace"},
                {"name": "path", "valueString": "Patient.deceased"},
                {"name": "value", "valueDateTime": "2020-02-02"}
            ])),
            // An extension: its value[x] is a part named `value`.
            operation(json!([
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "Patient"},
                {"name": "name", "valueString": "extension"},
                {"name": "value", "part": [
                    {"name": "url", "valueUri": "http://example.org/fhir/StructureDefinition/x"},
                    {"name": "value", "valueString": "y"}
                ]}
            ])),
        ],
    )
    .unwrap();
    assert!(doc.get("deceasedBoolean").is_none(), "{doc}");
    assert_eq!(doc["deceasedDateTime"], "2020-02-02");
    assert_eq!(
        doc["extension"],
        json!([{"url": "http://example.org/fhir/StructureDefinition/x", "valueString": "y"}])
    );
}

#[test]
fn primitive_siblings_follow_their_values() {
    let mut doc = patient();
    doc["name"][0]["_given"] = json!([null, {"id": "q"}]);
    doc["_birthDate"] = json!({"id": "b"});
    apply(
        &mut doc,
        vec![
            operation(json!([
                {"name": "type", "valueCode": "insert"},
                {"name": "path", "valueString": "Patient.name[0].given"},
                {"name": "index", "valueInteger": 0},
                {"name": "value", "valueString": "First"}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "move"},
                {"name": "path", "valueString": "Patient.name[0].given"},
                {"name": "source", "valueInteger": 2},
                {"name": "destination", "valueInteger": 1}
            ])),
            operation(json!([
                {"name": "type", "valueCode": "delete"},
                {"name": "path", "valueString": "Patient.birthDate"}
            ])),
        ],
    )
    .unwrap();
    assert_eq!(doc["name"][0]["given"], json!(["First", "Q", "Jane"]));
    assert_eq!(doc["name"][0]["_given"], json!([null, {"id": "q"}, null]));
    assert!(doc.get("_birthDate").is_none(), "{doc}");
    // Deleting the value whose sibling is the only one left drops the sibling list.
    apply(
        &mut doc,
        vec![operation(json!([
            {"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": "Patient.name[0].given[1]"}
        ]))],
    )
    .unwrap();
    assert_eq!(doc["name"][0]["given"], json!(["First", "Jane"]));
    assert!(doc["name"][0].get("_given").is_none(), "{doc}");
}

#[test]
fn the_resource_itself_cannot_be_deleted() {
    let mut doc = patient();
    let e = apply(
        &mut doc,
        vec![operation(json!([
            {"name": "type", "valueCode": "delete"},
            {"name": "path", "valueString": "Patient"}
        ]))],
    )
    .unwrap_err();
    assert!(matches!(e, FhirError::Unprocessable(_)), "{e:?}");
    assert_eq!(doc, patient());
}
