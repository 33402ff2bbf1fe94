//! custodian-search: the search parameter registry (from the official SearchParameter
//! definitions), query parsing into a typed AST, and extraction of index entries. No database.

pub mod index;
