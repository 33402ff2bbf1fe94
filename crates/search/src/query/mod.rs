//! Query parsing: URL query pairs (already percent-decoded) become a typed [`SearchQuery`].

mod ast;
mod error;
mod escape;
mod filter;
mod render;
mod result;
pub mod semantics;
mod system;
mod value;

pub use ast::*;
pub use error::QueryError;
pub use filter::supported_modifiers;
pub use result::base_element_name;
pub use system::parse_system_query_with;

use crate::registry::{registry, Registry};

/// Parameters that shape the response format, not the search; accepted and not echoed.
const NON_SEARCH: &[&str] = &["_format", "_pretty"];

/// Parses `pairs` for a search on `resource_type` with the official registry.
pub fn parse_query<I, K, V>(
    resource_type: &str,
    pairs: I,
    handling: Handling,
) -> Result<SearchQuery, QueryError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let registry = registry().map_err(|e| QueryError::NotSupported {
        param: String::new(),
        reason: e.to_string(),
    })?;
    parse_query_with(registry, resource_type, pairs, handling)
}

/// Parses with a given registry.
pub fn parse_query_with<I, K, V>(
    registry: &Registry,
    resource_type: &str,
    pairs: I,
    handling: Handling,
) -> Result<SearchQuery, QueryError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    if !registry.is_resource_type(resource_type) {
        return Err(QueryError::UnknownResourceType {
            resource_type: resource_type.to_owned(),
        });
    }
    let mut query = SearchQuery {
        resource_type: resource_type.to_owned(),
        system_types: Vec::new(),
        filters: Vec::new(),
        includes: Vec::new(),
        revincludes: Vec::new(),
        sort: Vec::new(),
        count: DEFAULT_COUNT,
        summary: None,
        elements: Vec::new(),
        total: None,
        contained: None,
        contained_type: None,
        ignored: Vec::new(),
        applied: Vec::new(),
    };
    for (name, value) in pairs {
        let (name, value) = (name.as_ref(), value.as_ref());
        // "Empty parameters are not an error - they are just ignored by the server"
        // (search.html#errors).
        if NON_SEARCH.contains(&name) || value.is_empty() {
            continue;
        }
        let outcome = if result::is_result_param(name) {
            result::apply(registry, &mut query, name, value)
        } else {
            filter::parse_filter(registry, resource_type, name, value)
                .map(|f| query.filters.push(f))
        };
        match (outcome, handling) {
            (Ok(()), _) => query.applied.push((name.to_owned(), value.to_owned())),
            (Err(e), Handling::Strict) => return Err(e),
            (Err(e), Handling::Lenient) if e.is_modifier_error() => return Err(e),
            (Err(reason), Handling::Lenient) => query.ignored.push(IgnoredParam {
                name: name.to_owned(),
                value: value.to_owned(),
                reason,
            }),
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests;
