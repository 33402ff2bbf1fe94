//! Whether an element is a JSON array, by the JSON keys that reach it (FHIRPath Patch `add`).

use custodian_validation::Validator;

#[test]
fn elements_by_json_keys() {
    let v = Validator::new().unwrap();
    let cases: &[(&str, &[&str], Option<bool>)] = &[
        ("Patient", &["name"], Some(true)),
        ("Patient", &["birthDate"], Some(false)),
        // Through a complex datatype.
        ("Patient", &["name", "given"], Some(true)),
        ("Patient", &["name", "family"], Some(false)),
        ("Patient", &["identifier", "type", "coding"], Some(true)),
        // Through a backbone element, and a choice element by its JSON key.
        ("Patient", &["contact", "telecom"], Some(true)),
        ("Patient", &["deceasedBoolean"], Some(false)),
        ("Condition", &["onsetDateTime"], Some(false)),
        ("Encounter", &["location", "period", "start"], Some(false)),
        // Not an element, or not a resource type.
        ("Patient", &["deceased"], None),
        ("Patient", &["nothing"], None),
        ("Patient", &["birthDate", "x"], None),
        ("NoSuchType", &["name"], None),
        ("Patient", &[], None),
    ];
    for (resource_type, keys, want) in cases {
        assert_eq!(
            v.element_repeats(resource_type, keys),
            *want,
            "{resource_type} {keys:?}"
        );
    }
}
