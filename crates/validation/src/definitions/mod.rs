//! The definitions validation is driven by, parsed once from the embedded `fhir-schemas/`
//! files: element tables per type, value set expansions, the known resource types and profiles.

pub(crate) mod schema;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::Value;

use crate::embedded;
use crate::error::ValidationError;
use crate::terminology::Terminology;
pub(crate) use schema::{ElemKind, JsonKind, TypeDef, TypeKind};

/// Everything loaded from fhir-schemas.
#[derive(Debug)]
pub(crate) struct Definitions {
    /// Every StructureDefinition as an element table.
    pub types: Vec<TypeDef>,
    /// Index into `types` by StructureDefinition id: `Patient`, `HumanName`, `SimpleQuantity`.
    pub by_name: HashMap<String, usize>,
    /// Canonical URLs of every StructureDefinition (the profiles the server knows).
    pub profiles: HashSet<String>,
    /// Every R4 resource type name (from the `resource-types` CodeSystem).
    pub resource_types: HashSet<String>,
    pub terminology: Terminology,
    /// The human text of ele-1 (checked generically, not per node).
    pub ele1_human: String,
}

static DEFINITIONS: OnceLock<Result<Definitions, ValidationError>> = OnceLock::new();

/// The shared definitions, parsed on first use.
pub(crate) fn get() -> Result<&'static Definitions, ValidationError> {
    DEFINITIONS
        .get_or_init(Definitions::load)
        .as_ref()
        .map_err(Clone::clone)
}

fn parse_all(files: &[(&str, &str)]) -> Result<Vec<(String, Value)>, ValidationError> {
    files
        .iter()
        .map(|(name, text)| {
            serde_json::from_str(text)
                .map(|v| ((*name).to_owned(), v))
                .map_err(|e| ValidationError::DefinitionJson {
                    file: (*name).to_owned(),
                    message: e.to_string(),
                })
        })
        .collect()
}

impl Definitions {
    fn load() -> Result<Self, ValidationError> {
        let structure_definitions = parse_all(embedded::STRUCTURE_DEFINITIONS)?;
        let value_sets: Vec<Value> = parse_all(embedded::VALUE_SETS)?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let code_systems: Vec<Value> = parse_all(embedded::CODE_SYSTEMS)?
            .into_iter()
            .map(|(_, v)| v)
            .collect();

        let mut types = Vec::new();
        let mut by_name = HashMap::new();
        let mut profiles = HashSet::new();
        let mut ele1_human = String::from("All FHIR elements must have a @value or children");
        for (file, sd) in &structure_definitions {
            let def = TypeDef::from_structure_definition(file, sd)?;
            if def.name == "Element" {
                if let Some(human) = ele1_text(sd) {
                    ele1_human = human;
                }
            }
            profiles.insert(def.url.clone());
            by_name.insert(def.name.clone(), types.len());
            types.push(def);
        }
        let terminology = Terminology::build(&value_sets, &code_systems);
        // Resolve the type each element's values are walked with, and bindings, once.
        for def in &mut types {
            for node in &mut def.nodes {
                for ty in &mut node.types {
                    ty.walk_idx = by_name.get(&ty.walk_as).copied();
                }
                if let Some(binding) = &mut node.binding {
                    binding.expansion = terminology.index_of(&binding.value_set);
                }
            }
        }
        let resource_types = code_systems
            .iter()
            .find(|cs| {
                cs.get("url").and_then(Value::as_str) == Some("http://hl7.org/fhir/resource-types")
            })
            .and_then(|cs| cs.get("concept"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("code").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        Ok(Definitions {
            types,
            by_name,
            profiles,
            resource_types,
            terminology,
            ele1_human,
        })
    }

    /// The type definition at `idx` (see [`schema::ElemType::walk_idx`]).
    pub fn type_at(&self, idx: Option<usize>) -> Option<&TypeDef> {
        idx.and_then(|i| self.types.get(i))
    }

    /// The code system implied for the `code` element at `path` (`Patient.gender`,
    /// `Patient.address.use`): the single system of its required binding's value set.
    /// `None` for any other element, or a path that is not a plain element path.
    pub fn implied_code_system(&self, path: &str) -> Option<&str> {
        let mut segments = path.split('.');
        let mut ty = self.resource(segments.next()?)?;
        let mut node = ty.content(0)?;
        let mut segments = segments.peekable();
        while let Some(segment) = segments.next() {
            let child = node
                .children
                .iter()
                .filter_map(|&i| ty.nodes.get(i))
                .find(|c| c.name == segment && !c.choice)?;
            if segments.peek().is_none() {
                let binding = child.binding.as_ref()?;
                let is_code = matches!(child.types.as_slice(), [t] if t.code == "code");
                if !is_code || binding.strength != schema::Strength::Required {
                    return None;
                }
                return self.terminology.at(binding.expansion)?.single_system();
            }
            let [elem_type] = child.types.as_slice() else {
                return None;
            };
            match elem_type.kind {
                schema::ElemKind::Backbone => {
                    let at = ty.nodes.iter().position(|n| std::ptr::eq(n, child))?;
                    node = ty.content(at)?;
                }
                schema::ElemKind::Complex => {
                    ty = self.type_at(elem_type.walk_idx)?;
                    node = ty.content(0)?;
                }
                _ => return None,
            }
        }
        None
    }

    /// Whether the element that the JSON keys `keys` reach from the root of a
    /// `resource_type` resource (array positions left out: `["name", "given"]`) is a JSON
    /// array. `None` when the keys do not name an element, or pass through a contained
    /// resource.
    pub fn element_repeats(&self, resource_type: &str, keys: &[&str]) -> Option<bool> {
        let mut ty = self.resource(resource_type)?;
        let mut at = 0;
        let (last, path) = keys.split_last()?;
        for key in path {
            let (child_at, elem_type) = child(ty, at, key)?;
            match elem_type.kind {
                schema::ElemKind::Backbone => at = child_at,
                schema::ElemKind::Complex => {
                    ty = self.type_at(elem_type.walk_idx)?;
                    at = 0;
                }
                _ => return None,
            }
        }
        let (child_at, _) = child(ty, at, last)?;
        Some(ty.nodes.get(child_at)?.array)
    }

    /// The definition of a resource type this server validates.
    pub fn resource(&self, name: &str) -> Option<&TypeDef> {
        self.by_name
            .get(name)
            .and_then(|&i| self.types.get(i))
            .filter(|t| t.kind == TypeKind::Resource)
    }
}

/// The child of `ty.nodes[at]` that the JSON key `key` names (`valueQuantity` names the
/// `value[x]` child), with the type the key selects.
fn child<'t>(ty: &'t TypeDef, at: usize, key: &str) -> Option<(usize, &'t schema::ElemType)> {
    let content = ty.content(at)?;
    let info = content.keys.get(key)?;
    let child_at = *content.children.get(info.child)?;
    let elem_type = ty.nodes.get(child_at)?.types.get(info.ty)?;
    Some((child_at, elem_type))
}

fn ele1_text(sd: &Value) -> Option<String> {
    sd.get("snapshot")?
        .get("element")?
        .as_array()?
        .first()?
        .get("constraint")?
        .as_array()?
        .iter()
        .find(|c| c.get("key").and_then(Value::as_str) == Some("ele-1"))?
        .get("human")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_types_value_sets_and_resource_types() {
        let defs = get();
        assert!(defs.is_ok(), "{defs:?}");
        let Ok(defs) = defs else { return };
        let patient = defs.resource("Patient");
        assert!(patient.is_some());
        assert!(defs.by_name.contains_key("HumanName"));
        assert!(defs.resource_types.contains("Observation"));
        assert!(defs
            .terminology
            .expansion("http://hl7.org/fhir/ValueSet/administrative-gender")
            .is_some_and(|e| e.complete && e.contains(None, "female")));
        // Encounter.class: extensible binding to an is-a filtered v3 value set.
        assert!(defs
            .terminology
            .expansion("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode")
            .is_some_and(|e| e.complete
                && e.contains(
                    Some("http://terminology.hl7.org/CodeSystem/v3-ActCode"),
                    "AMB"
                )));
    }

    #[test]
    fn element_tables_map_json_keys_including_choices_and_content_references() {
        let Ok(defs) = get() else { return };
        let Some(condition) = defs.resource("Condition") else {
            return;
        };
        let root = &condition.nodes[0];
        assert!(root.keys.contains_key("onsetDateTime"));
        assert!(root.keys.contains_key("abatementAge"));
        let Some(bundle) = defs.resource("Bundle") else {
            return;
        };
        let entry = bundle
            .nodes
            .iter()
            .position(|n| n.path == "Bundle.entry.link");
        assert!(entry.is_some_and(|i| bundle.content(i).is_some_and(|n| n.path == "Bundle.link")));
    }
}
