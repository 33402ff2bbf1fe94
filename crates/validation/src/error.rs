//! Errors of this crate: loading the embedded definitions, and failures of the reference
//! resolver the store supplies. Problems *in a resource* are never errors: they are
//! [`crate::Issue`]s in a [`crate::ValidationReport`].

use thiserror::Error;

/// Why validation itself (not the resource) failed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ValidationError {
    /// An embedded definition file from `fhir-schemas/` is not valid JSON.
    #[error("embedded definition {file} is not valid JSON: {message}")]
    DefinitionJson { file: String, message: String },
    /// An embedded definition lacks something the loader needs.
    #[error("embedded definition {file} is malformed: {message}")]
    DefinitionShape { file: String, message: String },
    /// The [`crate::ReferenceResolver`] failed (e.g. the database is unreachable).
    #[error("reference resolution failed for {reference}: {message}")]
    Resolver { reference: String, message: String },
}

/// The error a [`crate::ReferenceResolver`] returns when it cannot answer.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ResolveError(pub String);
