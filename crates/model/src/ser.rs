//! The building blocks of the generated `Serialize` impls: elements in the specification's
//! order, primitives with their `_name` siblings, and nothing empty.

use crate::element::{Element, ElementExt};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

impl Serialize for ElementExt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        opt(&mut map, "id", &self.id)?;
        list(&mut map, "extension", &self.extension)?;
        map.end()
    }
}

/// An optional element: written only when present.
pub fn opt<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(name, v),
        None => Ok(()),
    }
}

/// A repeating element: written only when it has entries.
pub fn list<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    values: &[T],
) -> Result<(), M::Error> {
    if values.is_empty() {
        Ok(())
    } else {
        map.serialize_entry(name, values)
    }
}

/// A singular primitive: `name` for the value, `_name` for id/extensions.
pub fn prim<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    ext_name: &'static str,
    element: &Option<Element<T>>,
) -> Result<(), M::Error> {
    match element {
        Some(e) => prim_one(map, name, ext_name, e),
        None => Ok(()),
    }
}

/// A present primitive (also used for the primitive variants of choice elements).
pub fn prim_one<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    ext_name: &'static str,
    element: &Element<T>,
) -> Result<(), M::Error> {
    if let Some(v) = &element.value {
        map.serialize_entry(name, v)?;
    }
    if let Some(x) = &element.ext {
        map.serialize_entry(ext_name, x)?;
    }
    Ok(())
}

/// A repeating primitive: values with `null` where only an extension exists, and `_name` with
/// `null` where only a value exists; each array written only when it has something.
pub fn prim_list<M: SerializeMap, T: Serialize>(
    map: &mut M,
    name: &'static str,
    ext_name: &'static str,
    elements: &[Element<T>],
) -> Result<(), M::Error> {
    if elements.iter().any(|e| e.value.is_some()) {
        map.serialize_entry(name, &Values(elements))?;
    }
    if elements.iter().any(|e| e.ext.is_some()) {
        map.serialize_entry(ext_name, &Exts(elements))?;
    }
    Ok(())
}

struct Values<'a, T>(&'a [Element<T>]);

impl<T: Serialize> Serialize for Values<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&e.value)?;
        }
        seq.end()
    }
}

struct Exts<'a, T>(&'a [Element<T>]);

impl<T> Serialize for Exts<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&e.ext)?;
        }
        seq.end()
    }
}
