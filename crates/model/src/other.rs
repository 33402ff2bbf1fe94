//! Resources of R4 types the model does not have yet (an Observation inside a Bundle, say).
//!
//! They are kept as JSON, checked for what holds for every FHIR resource: a known R4
//! `resourceType`, a valid `id`, and none of the empty values FHIR forbids (`{}`, `[]`, `""`,
//! or `null` outside a primitive array). Element names and types are not checked: that needs
//! the type's model, which adding the type to `fhir-schemas/resources.txt` generates.

use crate::de;
use crate::error::ParseErrorKind;
use crate::path;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct OtherResource {
    resource_type: String,
    /// Every element but `resourceType`, in the order received.
    elements: Map<String, Value>,
}

impl OtherResource {
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    pub fn id(&self) -> Option<&str> {
        self.elements.get("id").and_then(Value::as_str)
    }

    pub fn set_id(&mut self, id: Option<String>) {
        match id {
            Some(id) => {
                self.elements.insert("id".to_owned(), Value::String(id));
            }
            None => {
                self.elements.remove("id");
            }
        }
    }

    /// The elements other than `resourceType`.
    pub fn elements(&self) -> &Map<String, Value> {
        &self.elements
    }

    pub fn elements_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.elements
    }

    /// Checks the rules every resource keeps; `Err` carries the kind and message, with the
    /// location recorded in the parse path.
    pub(crate) fn new<E: serde::de::Error>(
        resource_type: String,
        elements: Map<String, Value>,
    ) -> Result<Self, E> {
        if let Some(id) = elements.get("id") {
            let valid = id.as_str().is_some_and(crate::primitives::text::is_id_text);
            if !valid {
                path::push(path::Segment::Field("id"));
                return Err(de::error(
                    ParseErrorKind::InvalidValue,
                    "id must be 1 to 64 of A-Z a-z 0-9 - .",
                ));
            }
        }
        for (key, value) in &elements {
            check_no_empty::<E>(value)
                .inspect_err(|_| path::push(path::Segment::Unknown(key.clone())))?;
        }
        Ok(OtherResource {
            resource_type,
            elements,
        })
    }
}

fn check_no_empty<E: serde::de::Error>(value: &Value) -> Result<(), E> {
    match value {
        Value::Null => Err(de::error(ParseErrorKind::Empty, "null is not allowed here")),
        Value::String(s) if s.is_empty() => Err(de::error(
            ParseErrorKind::Empty,
            "empty string is not allowed",
        )),
        Value::Array(items) if items.is_empty() => Err(de::error(
            ParseErrorKind::Empty,
            "empty array is not allowed",
        )),
        Value::Object(map) if map.is_empty() => Err(de::error(
            ParseErrorKind::Empty,
            "empty object is not allowed",
        )),
        Value::Array(items) => {
            // `null` is a placeholder in primitive arrays; a whole array of nulls is not.
            if items.iter().all(Value::is_null) {
                return Err(de::error(ParseErrorKind::Empty, "array of nulls"));
            }
            for (i, item) in items.iter().enumerate() {
                if !item.is_null() {
                    check_no_empty(item).map_err(|e: E| path::index(e, i))?;
                }
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                check_no_empty::<E>(item)
                    .inspect_err(|_| path::push(path::Segment::Unknown(key.clone())))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl Serialize for OtherResource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.elements.len() + 1))?;
        map.serialize_entry("resourceType", &self.resource_type)?;
        for (k, v) in &self.elements {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
