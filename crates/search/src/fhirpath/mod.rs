//! A small FHIRPath evaluator over `serde_json::Value`, covering the expression forms the
//! official SearchParameter definitions use: member paths (with choice elements such as
//! `Observation.value` finding `valueQuantity`), `|`, `where(...)`, `resolve() is Type`,
//! `as`/`.as()`/`ofType()`, `is`, `exists()`, `empty()`, `not()`, `first()`, `last()`,
//! `extension(url)`, `=`, `!=`, `and`, `or`, `xor`, `implies`, literals and parentheses.

mod ast;
mod error;
mod eval;
mod lexer;
pub(crate) mod parser;

pub use ast::{BinOp, Expr, Literal, TypeOp};
pub use error::FhirPathError;
pub use eval::{evaluate, reference_type, Item};
pub use parser::parse;
