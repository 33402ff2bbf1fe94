//! Token parameters: Coding, CodeableConcept (codings plus `text` for `:text`), Identifier
//! (system, value, type text), ContactPoint (system, value), code, boolean, id and string.

use serde_json::Value;

use super::{str_field, text};
use crate::fhirpath::Item;
use crate::index::IndexValue;
use crate::normalize::normalize;

/// The codes ContactPoint.system may take; an object with one of them is a ContactPoint.
const CONTACT_SYSTEMS: &[&str] = &["phone", "fax", "email", "pager", "url", "sms", "other"];

pub(super) fn values(item: &Item<'_>, out: &mut Vec<IndexValue>) {
    if let Some(code) = text(item) {
        out.push(token(None, Some(code), None));
        return;
    }
    match item {
        Item::Bool(b)
        | Item::Node {
            value: Value::Bool(b),
            ..
        } => {
            out.push(token(None, Some(if *b { "true" } else { "false" }), None));
        }
        Item::Node {
            value: value @ Value::Object(map),
            ..
        } => {
            if map.contains_key("coding")
                || (map.contains_key("text") && !map.contains_key("value"))
            {
                codeable_concept(value, out);
            } else if map.contains_key("value") {
                identifier_or_contact(value, out);
            } else {
                coding(value, out);
            }
        }
        _ => {}
    }
}

fn token(system: Option<&str>, code: Option<&str>, display: Option<&str>) -> IndexValue {
    IndexValue::Token {
        system: system.map(str::to_owned),
        code: code.map(str::to_owned),
        display: display.map(normalize),
    }
}

fn coding(value: &Value, out: &mut Vec<IndexValue>) {
    let (system, code, display) = (
        str_field(value, "system"),
        str_field(value, "code"),
        str_field(value, "display"),
    );
    if system.is_some() || code.is_some() || display.is_some() {
        out.push(token(system, code, display));
    }
}

fn codeable_concept(value: &Value, out: &mut Vec<IndexValue>) {
    for c in value
        .get("coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        coding(c, out);
    }
    if let Some(text) = str_field(value, "text") {
        out.push(token(None, None, Some(text)));
    }
}

fn identifier_or_contact(value: &Value, out: &mut Vec<IndexValue>) {
    let system = str_field(value, "system");
    let Some(code) = str_field(value, "value") else {
        return;
    };
    let contact =
        value.get("rank").is_some() || system.is_some_and(|s| CONTACT_SYSTEMS.contains(&s));
    let type_text = if contact {
        None
    } else {
        let ty = value.get("type");
        ty.and_then(|t| str_field(t, "text")).or_else(|| {
            ty.and_then(|t| t.get("coding"))
                .and_then(Value::as_array)
                .and_then(|c| c.iter().find_map(|c| str_field(c, "display")))
        })
    };
    out.push(token(system, Some(code), type_text));
}
