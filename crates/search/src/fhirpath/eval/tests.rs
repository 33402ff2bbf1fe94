use serde_json::{json, Value};

use super::*;
use crate::fhirpath::parse;

fn eval_str<'a>(expr: &str, resource: &'a Value) -> Vec<Item<'a>> {
    evaluate(&parse(expr).unwrap(), resource).unwrap()
}

fn values<'a>(items: &[Item<'a>]) -> Vec<&'a Value> {
    items
        .iter()
        .map(|i| match i {
            Item::Node { value, .. } => *value,
            other => panic!("not a node: {other:?}"),
        })
        .collect()
}

fn single_bool(items: &[Item<'_>]) -> Option<bool> {
    match items {
        [Item::Bool(b)] => Some(*b),
        [] => None,
        other => panic!("{other:?}"),
    }
}

fn patient() -> Value {
    json!({
        "resourceType": "Patient", "id": "p",
        "name": [{"family": "A", "given": ["B", "C"]}, {"family": "D"}],
        "telecom": [{"system": "email", "value": "a@x"}, {"system": "phone", "value": "1", "use": "home"}, {"value": "2"}],
        "deceasedDateTime": "2020",
        "generalPractitioner": [
            {"reference": "Practitioner/1"},
            {"reference": "http://x/fhir/Organization/2"},
            {"reference": "Practitioner/3/_history/1"},
            {"reference": "#c1"},
            {"display": "no reference"}
        ],
        "contained": [{"resourceType": "Organization", "id": "c1"}],
        "extension": [{"url": "http://e/a", "valueString": "x"}, {"url": "http://e/b", "valueBoolean": true}]
    })
}

#[test]
fn paths_flatten_arrays_and_skip_missing() {
    let p = patient();
    assert_eq!(
        values(&eval_str("Patient.name.family", &p)),
        [&json!("A"), &json!("D")]
    );
    assert_eq!(
        values(&eval_str("Patient.name.given", &p)),
        [&json!("B"), &json!("C")]
    );
    assert!(eval_str("Patient.address.city", &p).is_empty());
    assert!(
        eval_str("Encounter.status", &p).is_empty(),
        "another type's path selects nothing"
    );
    assert_eq!(eval_str("Resource.id", &p).len(), 1);
    assert_eq!(eval_str("DomainResource.id", &p).len(), 1);
    assert_eq!(
        values(&eval_str("Patient.name[1].family", &p)),
        [&json!("D")]
    );
}

#[test]
fn where_with_comparisons() {
    let p = patient();
    let email = eval_str("Patient.telecom.where(system='email')", &p);
    assert_eq!(
        values(&email),
        [&json!({"system": "email", "value": "a@x"})]
    );
    assert_eq!(
        eval_str("Patient.telecom.where(system='phone' and use='home')", &p).len(),
        1
    );
    assert_eq!(
        eval_str(
            "Patient.telecom.where(system='phone' or system='email')",
            &p
        )
        .len(),
        2
    );
    assert_eq!(
        eval_str("Patient.telecom.where(system!='email')", &p).len(),
        1,
        "empty system is neither = nor !="
    );
    assert_eq!(
        eval_str("Patient.telecom.where(system.exists().not())", &p).len(),
        1
    );
    assert_eq!(
        eval_str("Patient.telecom.where($this.value = '1')", &p).len(),
        1
    );
}

#[test]
fn resolve_is_type() {
    let p = patient();
    let practitioners = eval_str(
        "Patient.generalPractitioner.where(resolve() is Practitioner)",
        &p,
    );
    assert_eq!(practitioners.len(), 2, "relative and versioned references");
    let orgs = eval_str(
        "Patient.generalPractitioner.where(resolve() is Organization)",
        &p,
    );
    assert_eq!(orgs.len(), 2, "absolute URL and contained reference");
    assert_eq!(reference_type("http://x/fhir/Patient/1"), Some("Patient"));
    assert_eq!(reference_type("Patient/1/_history/2"), Some("Patient"));
    assert_eq!(reference_type("urn:uuid:1234"), None);
    assert_eq!(reference_type("Patient/"), None);
    assert_eq!(reference_type("patient/1"), None);
}

#[test]
fn choice_elements_and_casts() {
    let p = patient();
    let deceased = eval_str("Patient.deceased", &p);
    assert!(matches!(
        deceased.as_slice(),
        [Item::Node {
            type_name: Some("DateTime"),
            ..
        }]
    ));
    assert_eq!(eval_str("(Patient.deceased as dateTime)", &p).len(), 1);
    assert_eq!(eval_str("Patient.deceased.as(dateTime)", &p).len(), 1);
    assert!(eval_str("Patient.deceased as boolean", &p).is_empty());
    assert_eq!(eval_str("Patient.deceased.ofType(dateTime)", &p).len(), 1);
    assert_eq!(
        single_bool(&eval_str("Patient.deceased is dateTime", &p)),
        Some(true)
    );
    assert_eq!(
        single_bool(&eval_str(
            "Patient.deceased.exists() and Patient.deceased != false",
            &p
        )),
        Some(true)
    );
    let obs = json!({"resourceType": "Observation", "valueQuantity": {"value": 1}, "classHistory": [{}],
                     "component": [{"valueCodeableConcept": {"text": "x"}}, {"valueString": "s"}]});
    assert_eq!(eval_str("(Observation.value as Quantity)", &obs).len(), 1);
    assert!(eval_str("(Observation.value as SampledData)", &obs).is_empty());
    assert_eq!(
        eval_str(
            "(Observation.component.value as CodeableConcept).text",
            &obs
        )
        .len(),
        1
    );
    assert_eq!(
        eval_str("Observation.component.value.as(string)", &obs).len(),
        1
    );
    assert!(
        eval_str("Observation.class", &obs).is_empty(),
        "classHistory is not a choice of class"
    );
}

#[test]
fn functions_and_logic() {
    let p = patient();
    assert_eq!(
        single_bool(&eval_str("Patient.name.exists()", &p)),
        Some(true)
    );
    assert_eq!(
        single_bool(&eval_str("Patient.address.exists()", &p)),
        Some(false)
    );
    assert_eq!(
        single_bool(&eval_str("Patient.address.empty()", &p)),
        Some(true)
    );
    assert_eq!(
        single_bool(&eval_str("Patient.name.exists(family = 'D')", &p)),
        Some(true)
    );
    assert_eq!(
        values(&eval_str("Patient.name.first().family", &p)),
        [&json!("A")]
    );
    assert_eq!(
        values(&eval_str("Patient.name.last().family", &p)),
        [&json!("D")]
    );
    assert_eq!(
        single_bool(&eval_str("Patient.name.exists().not()", &p)),
        Some(false)
    );
    assert_eq!(single_bool(&eval_str("true and false", &p)), Some(false));
    assert_eq!(
        single_bool(&eval_str("Patient.address.exists() or true", &p)),
        Some(true)
    );
    assert_eq!(
        single_bool(&eval_str("false implies Patient.nothing", &p)),
        Some(true)
    );
    assert_eq!(single_bool(&eval_str("true xor true", &p)), Some(false));
    assert_eq!(single_bool(&eval_str("Patient.nothing and true", &p)), None);
    assert_eq!(
        single_bool(&eval_str("Patient.name.count() > 1", &p)),
        Some(true)
    );
    assert_eq!(
        eval_str("Patient.extension('http://e/b').value", &p).len(),
        1
    );
    assert_eq!(
        eval_str("Patient.name.family | Patient.name.family", &p).len(),
        2,
        "union removes duplicates"
    );
    assert_eq!(
        eval_str("Patient.name.family | Patient.name.given", &p).len(),
        4
    );
}

/// The deepest expression trees the parser accepts (left-leaning chains) parse, evaluate,
/// clone and drop within a quarter of a request thread's 2 MiB stack, unoptimized; one step
/// more is refused, and so is a long expression whatever its shape.
#[test]
fn the_deepest_accepted_chains_fit_a_small_stack() {
    use crate::fhirpath::parser::{MAX_TOKENS, MAX_TREE_DEPTH};
    use crate::fhirpath::FhirPathError;
    let steps = MAX_TREE_DEPTH - 1;
    let chains = [
        format!("Patient{}", ".name".repeat(steps)),
        format!("name{}", " | name".repeat(steps)),
        format!("active{}", " or active".repeat(steps)),
        format!("Patient{}", "[0]".repeat(steps)),
        format!("Patient.name{}", ".where(true)".repeat(steps - 1)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let resource = patient();
            for chain in &chains {
                let expr = parse(chain).unwrap_or_else(|e| panic!("{chain}: {e}"));
                let copy = expr.clone();
                assert!(evaluate(&copy, &resource).is_ok(), "{chain}");
                drop(copy);
                let deeper = format!("({chain}).name");
                assert!(
                    matches!(parse(&deeper), Err(FhirPathError::TooDeep { .. })),
                    "{deeper}"
                );
            }
            let long = format!("name{}", " | (name)".repeat(MAX_TOKENS / 4));
            assert!(matches!(parse(&long), Err(FhirPathError::TooLong { .. })));
        })
        .unwrap();
    handle.join().unwrap();
}
