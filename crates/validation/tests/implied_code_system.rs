//! The code system implied by a `code` element's required binding (used by token search).

use custodian_validation::Validator;

#[test]
fn code_elements_with_a_required_single_system_binding() {
    let v = Validator::new().unwrap();
    let cases = [
        (
            "Patient.gender",
            Some("http://hl7.org/fhir/administrative-gender"),
        ),
        (
            "Encounter.status",
            Some("http://hl7.org/fhir/encounter-status"),
        ),
        // Through a complex datatype.
        (
            "Patient.address.use",
            Some("http://hl7.org/fhir/address-use"),
        ),
        // Through a backbone element.
        ("Patient.link.type", Some("http://hl7.org/fhir/link-type")),
        // Not a code element, not a required binding, not an element.
        ("Patient.name", None),
        ("Condition.clinicalStatus", None),
        ("Patient.language", None),
        ("Patient.nothing", None),
        ("Patient.gender.where(true)", None),
        ("NoSuchType.gender", None),
        ("", None),
    ];
    for (path, want) in cases {
        assert_eq!(v.implied_code_system(path), want, "{path}");
    }
}
