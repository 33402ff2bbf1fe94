//! A primitive element: its value and, from the JSON `_name` sibling, its `id` and extensions.

use crate::generated::Extension;

/// A primitive element (`birthDate`, `given[1]`...). Either part may be absent, but not both:
/// FHIR allows a primitive that carries only an extension (e.g. a data-absent-reason).
#[derive(Debug, Clone, PartialEq)]
pub struct Element<T> {
    pub value: Option<T>,
    /// The `id` and `extension` from the `_name` sibling, boxed because most elements lack it.
    pub ext: Option<Box<ElementExt>>,
}

/// The `{ "id": ..., "extension": [...] }` object of a `_name` sibling.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementExt {
    pub id: Option<String>,
    pub extension: Vec<Extension>,
}

impl<T> Element<T> {
    /// An element with a value and no extensions.
    pub fn new(value: T) -> Self {
        Element {
            value: Some(value),
            ext: None,
        }
    }

    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn id(&self) -> Option<&str> {
        self.ext.as_ref().and_then(|e| e.id.as_deref())
    }

    pub fn extension(&self) -> &[Extension] {
        self.ext.as_ref().map_or(&[], |e| e.extension.as_slice())
    }
}

impl<T> From<T> for Element<T> {
    fn from(value: T) -> Self {
        Element::new(value)
    }
}

impl Element<String> {
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_deref()
    }
}
