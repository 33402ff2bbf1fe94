//! Compartments (compartmentdefinition.html): which reference parameters of a resource type
//! put its resources in, say, the compartment of `Patient/123`. Read from the official
//! CompartmentDefinition in `fhir-schemas/`, never written per type.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const PATIENT: &str = include_str!("../../../fhir-schemas/CompartmentDefinition-patient.json");

#[derive(Deserialize)]
struct Definition {
    code: String,
    #[serde(default)]
    resource: Vec<Member>,
}

#[derive(Deserialize)]
struct Member {
    code: String,
    #[serde(default)]
    param: Vec<String>,
}

/// Compartment type -> member resource type -> the parameters that link it.
type Compartments = HashMap<String, HashMap<String, Vec<String>>>;

fn compartments() -> &'static Compartments {
    static COMPARTMENTS: OnceLock<Compartments> = OnceLock::new();
    COMPARTMENTS.get_or_init(|| {
        // The definition is checked in and tested below: unparseable, it defines no compartment.
        [PATIENT]
            .iter()
            .filter_map(|json| serde_json::from_str::<Definition>(json).ok())
            .map(|d| {
                let members = d
                    .resource
                    .into_iter()
                    .filter(|m| !m.param.is_empty())
                    .map(|m| {
                        let params = m.param.iter().map(|p| index_code(&m.code, p)).collect();
                        (m.code, params)
                    })
                    .collect();
                (d.code, members)
            })
            .collect()
    })
}

/// The code whose index rows hold `resource_type`'s parameter `code`
/// ([`crate::registry::SearchParamDef::index_code`]): the compartment filter reads rows.
fn index_code(resource_type: &str, code: &str) -> String {
    crate::registry::registry()
        .ok()
        .and_then(|r| r.param(resource_type, code))
        .map_or_else(|| code.to_owned(), |d| d.index_code.clone())
}

/// Whether `compartment_type` is a compartment this server knows (`Patient`).
pub fn is_compartment(compartment_type: &str) -> bool {
    compartments().contains_key(compartment_type)
}

/// The reference parameters of `resource_type` that put a resource in a `compartment_type`
/// compartment, by the codes whose index rows hold them; `None` when resources of that type
/// are never in it.
pub fn compartment_params(
    compartment_type: &str,
    resource_type: &str,
) -> Option<&'static [String]> {
    compartments()
        .get(compartment_type)?
        .get(resource_type)
        .map(Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_compartment_from_the_official_definition() {
        assert!(is_compartment("Patient"));
        assert!(!is_compartment("Encounter"));
        assert_eq!(
            compartment_params("Patient", "Encounter"),
            Some(&["patient".to_owned()][..])
        );
        assert_eq!(
            compartment_params("Patient", "Condition"),
            Some(&["patient".to_owned(), "asserter".to_owned()][..])
        );
        assert_eq!(
            compartment_params("Patient", "Patient"),
            Some(&["link".to_owned()][..])
        );
        // Listed without parameters: never in a patient's compartment.
        assert_eq!(compartment_params("Patient", "Organization"), None);
    }
}
