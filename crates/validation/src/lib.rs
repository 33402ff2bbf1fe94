//! custodian-validation: checks a FHIR R4 resource (as `serde_json::Value`) against the official
//! definitions in `fhir-schemas/` — what the typed model cannot: cardinality of every element
//! (backbone elements and datatypes included), value-set bindings, invariants, references and
//! narrative XHTML — and reports every issue with its severity, FHIR issue type and FHIRPath
//! expression, ready to become an OperationOutcome.
//!
//! ```
//! use custodian_validation::{ValidateOptions, Validator};
//! let validator = Validator::new()?;
//! let patient = serde_json::json!({"resourceType": "Patient", "gender": "mal"});
//! let report = validator.validate(&patient, &ValidateOptions::default());
//! assert!(report.has_errors());
//! assert_eq!(report.issues[0].expression, "Patient.gender");
//! # Ok::<(), custodian_validation::ValidationError>(())
//! ```

mod bindings;
mod datetime;
mod definitions;
mod embedded;
mod error;
mod fast_hash;
mod invariants;
mod issue;
mod narrative;
mod options;
mod reference;
mod terminology;
mod validator;
mod walker;

pub use error::{ResolveError, ValidationError};
pub use issue::{Issue, IssueType, Severity, ValidationReport};
pub use options::{ReferenceResolver, ValidateOptions};
pub use validator::Validator;
