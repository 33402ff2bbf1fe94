//! custodian-search: the search parameter registry (from the official SearchParameter
//! definitions), query parsing into a typed AST, and extraction of index entries. No database.

// Tests may unwrap; the library itself may not (the lib target is still linted without cfg(test)).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod datetime;
pub mod decimal;
pub mod extract;
pub mod fhirpath;
pub mod index;
pub mod normalize;
pub mod query;
pub mod registry;
