//! custodian-model: FHIR R4 (4.0.1) resources and datatypes as Rust types, read and written as
//! FHIR JSON exactly as the specification says (json.html, datatypes.html).
//!
//! The types in [`generated`] come from the official StructureDefinitions through
//! `custodian-codegen`; this crate's hand-written part holds the JSON rules they share:
//! primitives with `_name` siblings, choice elements, precise decimals and partial dates,
//! empty-value and unknown-element errors with FHIRPath locations.
//!
//! ```
//! use custodian_model::{json, Resource};
//! let r: Resource = json::from_str(r#"{"resourceType":"Patient","birthDate":"1980"}"#).unwrap();
//! assert_eq!(r.resource_type(), "Patient");
//! ```

pub mod de;
mod element;
mod error;
pub mod generated;
pub mod json;
mod other;
mod path;
pub mod primitives;
mod resource;
pub mod ser;

pub use element::{Element, ElementExt};
pub use error::{ParseError, ParseErrorKind};
pub use generated::*;
pub use other::OtherResource;
pub use primitives::{Date, DateTime, Decimal, Instant, Kind, Time};

/// A string that is not a code of the value set asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a known code")]
pub struct UnknownCode(pub String);
