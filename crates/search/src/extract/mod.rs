//! Index extraction: a resource (as JSON) becomes the typed index entries of every search
//! parameter the registry defines for its type, resource-level ones included.
//!
//! Not extracted: composite parameters (none of Patient, Encounter or Condition has one; their
//! components would need a row type that keeps the component values together) and `special`
//! ones (no expression). Values that do not parse (an invalid date, say) are skipped:
//! validation refuses them before a write, and extraction never fails.

mod date;
mod numeric;
mod reference;
pub use reference::localize as localize_references;
mod string;
mod token;

use std::collections::HashSet;

use serde_json::Value;

use crate::fhirpath::{evaluate, Item};
use crate::index::{ContainedIndex, IndexEntry, IndexValue, ResourceIndex};
use crate::registry::{registry, Registry, RegistryError, SearchParamDef, SearchParamType};

/// Extracts the index entries of `resource` (of type `resource_type`) using the official
/// registry.
pub fn extract(resource_type: &str, resource: &Value) -> Result<ResourceIndex, RegistryError> {
    Ok(extract_with(registry()?, resource_type, resource))
}

/// Extracts with a given registry (the resource's own entries; contained resources are
/// left out, see [`extract_stored`]).
pub fn extract_with(registry: &Registry, resource_type: &str, resource: &Value) -> ResourceIndex {
    ResourceIndex {
        entries: entries_of(registry, resource_type, resource),
        contained: Vec::new(),
    }
}

/// What a store writes for `resource`: its own entries and those of each contained resource
/// whose type is one of `contained_types` (the types a `_contained` search can ask for; the
/// others could never be found, so they cost no rows). A contained resource without a
/// string `id` cannot be told from its siblings and is skipped.
pub fn extract_stored(
    registry: &Registry,
    resource_type: &str,
    resource: &Value,
    contained_types: &[&str],
) -> ResourceIndex {
    let contained = resource
        .get("contained")
        .and_then(Value::as_array)
        .map(|list| {
            let mut seen: HashSet<&str> = HashSet::new();
            list.iter()
                .filter_map(|c| {
                    let t = str_field(c, "resourceType")?;
                    let id = str_field(c, "id")?;
                    // Ids are unique among contained resources, whatever their type; a
                    // repeat (invalid) is skipped.
                    if !seen.insert(id) || !contained_types.contains(&t) {
                        return None;
                    }
                    Some(ContainedIndex {
                        resource_type: t.to_owned(),
                        id: id.to_owned(),
                        entries: entries_of(registry, t, c),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    ResourceIndex {
        entries: entries_of(registry, resource_type, resource),
        contained,
    }
}

fn entries_of(registry: &Registry, resource_type: &str, resource: &Value) -> Vec<IndexEntry> {
    let mut entries = Vec::new();
    // A parameter sharing another's rows (`index_code`) has nothing of its own to write.
    for def in registry
        .params(resource_type)
        .filter(|d| d.index_code == d.code)
    {
        extract_param(def, resource, &mut entries);
    }
    entries
}

/// The entries of one parameter, without duplicates.
pub fn extract_param(def: &SearchParamDef, resource: &Value, out: &mut Vec<IndexEntry>) {
    let Some(expr) = &def.compiled else {
        return;
    };
    let Ok(items) = evaluate(expr, resource) else {
        return;
    };
    let mut values = Vec::new();
    for item in &items {
        values_of(def, item, resource, &mut values);
    }
    let start = out.len();
    for value in values {
        let duplicate = out
            .get(start..)
            .is_some_and(|seen| seen.iter().any(|e| e.value == value));
        if !duplicate {
            out.push(IndexEntry {
                param: def.index_code.clone(),
                value,
            });
        }
    }
}

fn values_of(def: &SearchParamDef, item: &Item<'_>, root: &Value, out: &mut Vec<IndexValue>) {
    match def.param_type {
        SearchParamType::String => string::values(item, &def.parts, out),
        SearchParamType::Token => token::values(item, out),
        SearchParamType::Date => date::values(item, out),
        SearchParamType::Reference => reference::values(item, root, out),
        SearchParamType::Quantity => numeric::quantities(item, out),
        SearchParamType::Number => numeric::numbers(item, out),
        SearchParamType::Uri => numeric::uris(item, out),
        SearchParamType::Composite | SearchParamType::Special => {}
    }
}

/// Whether a field is a HumanName/Address part string parameters index (registry use).
pub(crate) use string::is_part as is_string_part;

/// The text of a JSON string node or string item.
fn text<'i>(item: &'i Item<'_>) -> Option<&'i str> {
    match item {
        Item::Node {
            value: Value::String(s),
            ..
        } => Some(s),
        Item::String(s) => Some(s),
        _ => None,
    }
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests;
