//! custodian-search: the search parameter registry (from the official SearchParameter
//! definitions), query parsing into a typed AST, and extraction of index entries. No database.
//!
//! - [`registry::registry`]: every SearchParameter of the R4 package, per resource type.
//! - [`extract::extract`]: a resource's [`index::ResourceIndex`] (one row per value; the store
//!   writes each [`index::IndexValue`] variant to its own table). `_id` and `_lastUpdated` rows
//!   are emitted like any other; a store that keeps them as columns may skip them.
//! - [`query::parse_query`]: URL query pairs to a [`query::SearchQuery`].
//!
//! ## Compiling a `SearchQuery` (for the store)
//! Each [`query::Filter`] is one AND'ed predicate on the searched resource `r`:
//! - `Condition { code, part_codes, param_type, modifier, values }`: a row of the
//!   `param_type` table of parameter `code` (or one of `part_codes`, the parameters holding a
//!   HumanName's or Address's parts) for `r` matching any of `values` (OR):
//!   - string: `value_normalized LIKE normalized || '%'` (escape `%`, `_`); `:contains`
//!     `LIKE '%' || normalized || '%'`; `:exact` `value_exact = value`.
//!   - token: `TokenSystem::Any` → `code = c`; `NoSystem` → `system IS NULL AND code = c`;
//!     `Is(s)` → `system = s` (and `code = c` when given). `:not` → no row of `r` matches any
//!     value (resources without the element match). `:text` → `display LIKE normalized || '%'`.
//!   - date, number, quantity: [`query::semantics::date_match`] / [`query::semantics::number_match`]
//!     give the column bounds for each prefix; a quantity with `system`/`code` also requires
//!     them (`code` may match the `code` or `unit` column when no system is given).
//!   - reference: `(target_type, id)` (type optional), or `url` for absolute values (which also
//!     carry type and id when they end in `Type/id`: the store decides whether its own base
//!     URL makes them local); `:identifier` matches `identifier_system`/`identifier_value`.
//!   - uri: `uri = value`; `:below` `uri LIKE value || '%'`; `:above` `value LIKE uri || '%'`.
//!   - `:missing=true` → `r` has no row for `code`; `:missing=false` → it has one.
//! - `Chain { code, target_type, filter }`: `r` has a reference row `code` with that
//!   `target_type` whose `target_id` is the id of a `target_type` resource matching `filter`.
//! - `Has { source_type, reference_param, filter }`: some `source_type` resource matching
//!   `filter` has a reference row `reference_param` pointing at `r` (type and id).
//!
//! Sorting ([`query::SortKey`]): by the smallest row value ascending and the largest
//! descending (dates `low`/`high`, strings `value_normalized`, tokens `code`, numbers and
//! quantities `value`, references `target_type, target_id`), resources without a row last.

// Tests may unwrap; the library itself may not (the lib target is still linted without cfg(test)).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod compartment;
pub mod datetime;
pub mod decimal;
pub mod extract;
pub mod fhirpath;
pub mod index;
pub mod normalize;
pub mod query;
pub mod registry;
