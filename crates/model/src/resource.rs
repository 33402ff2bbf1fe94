//! Reading a `Resource` of any type: dispatch on `resourceType`.
//!
//! `resourceType` is almost always the first key, so the fast path reads it and hands the rest
//! of the object straight to the type's generated reader. When it comes later, the object is
//! buffered as JSON and read from there: correct, only slower.

use crate::de::{self, Key};
use crate::error::ParseErrorKind;
use crate::generated::{is_r4_resource_type, visit_modelled, Resource};
use crate::other::OtherResource;
use crate::path;
use serde::de::value::MapDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ResourceVisitor)
    }
}

struct ResourceVisitor;

impl<'de> Visitor<'de> for ResourceVisitor {
    type Value = Resource;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a FHIR resource object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Resource, A::Error> {
        let Some(first) = map.next_key::<Key>()? else {
            return Err(de::missing_resource_type());
        };
        if first.0 == "resourceType" {
            let resource_type: Key = map.next_value()?;
            return read_named(&resource_type.0, map);
        }
        // Slow path: buffer the object, find resourceType, read from the buffer.
        let mut entries: Vec<(String, Value)> = Vec::new();
        let first_value: Value = map.next_value()?;
        entries.push((first.0.into_owned(), first_value));
        let mut resource_type = None;
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 == "resourceType" {
                if resource_type.is_some() {
                    return Err(de::duplicate("resourceType"));
                }
                resource_type = Some(map.next_value::<String>()?);
            } else {
                let value: Value = map.next_value()?;
                entries.push((key.0.into_owned(), value));
            }
        }
        let Some(resource_type) = resource_type else {
            return Err(de::missing_resource_type());
        };
        let buffered = MapDeserializer::<_, serde_json::Error>::new(entries.into_iter());
        read_named(&resource_type, buffered).map_err(serde::de::Error::custom)
    }
}

/// Reads the rest of an object whose `resourceType` is known.
fn read_named<'de, A: MapAccess<'de>>(
    resource_type: &str,
    mut map: A,
) -> Result<Resource, A::Error> {
    let known = is_r4_resource_type(resource_type);
    if known {
        path::resource_started(resource_type);
    }
    let resource = match visit_modelled(resource_type, &mut map) {
        Some(result) => result?,
        None if known => {
            let mut elements = Map::new();
            while let Some(key) = map.next_key::<Key>()? {
                if key.0 == "resourceType" {
                    return Err(de::duplicate("resourceType"));
                }
                let value: Value = map.next_value()?;
                elements.insert(key.0.into_owned(), value);
            }
            Resource::Other(Box::new(OtherResource::new(
                resource_type.to_owned(),
                elements,
            )?))
        }
        None => {
            return Err(de::error(
                ParseErrorKind::ResourceType,
                format_args!("'{resource_type}' is not a FHIR R4 resource type"),
            ))
        }
    };
    path::resource_finished();
    Ok(resource)
}
