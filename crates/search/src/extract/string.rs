//! String parameters: the value as written plus its normalized form. HumanName and Address
//! expand to their text parts.

use serde_json::Value;

use super::text;
use crate::fhirpath::Item;
use crate::index::IndexValue;
use crate::normalize::normalize;

/// HumanName and Address parts a string search matches.
const PARTS: &[&str] = &[
    "family",
    "given",
    "prefix",
    "suffix",
    "text",
    "line",
    "city",
    "district",
    "state",
    "postalCode",
    "country",
];

/// Whether `field` is a HumanName/Address part a string parameter's values come from.
pub fn is_part(field: &str) -> bool {
    PARTS.contains(&field)
}

/// The values of `item`; of a HumanName or Address, those of its parts but the `skip` ones
/// (held by other parameters' rows, `SearchParamDef::parts`).
pub(super) fn values(item: &Item<'_>, skip: &[(String, String)], out: &mut Vec<IndexValue>) {
    if let Some(s) = text(item) {
        push(s, out);
        return;
    }
    let Item::Node {
        value: Value::Object(map),
        ..
    } = item
    else {
        return;
    };
    for part in PARTS {
        if skip.iter().any(|(field, _)| field == part) {
            continue;
        }
        match map.get(*part) {
            Some(Value::String(s)) => push(s, out),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .for_each(|s| push(s, out)),
            _ => {}
        }
    }
}

fn push(s: &str, out: &mut Vec<IndexValue>) {
    if !s.trim().is_empty() {
        out.push(IndexValue::String {
            normalized: normalize(s),
            exact: s.to_owned(),
        });
    }
}
