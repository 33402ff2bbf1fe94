//! `_contained` and `_containedType` (search.html, "Contained resources"): which rows a search
//! runs over and what it returns. Contained resources are rows of their own, typed `#<Type>`
//! (`crate::contained`).
//!
//! - `_contained=false` (the default): the types' own rows; nothing here changes the SQL.
//! - `_contained=true`: the `#<Type>` rows; `both`: both kinds.
//! - `_containedType=container` (the default): the matches are the resources that hold a
//!   matching contained resource (and, for `both`, the matching resources themselves), one
//!   entry each however many of its contained resources match; the filters run on the rows
//!   above in a subquery, and the page walks the containers, of any type.
//! - `_containedType=contained`: the matches are the contained resources themselves, their
//!   JSON taken from the container's current version.

use custodian_search::query::{Contained, ContainedType, Filter, SearchQuery};
use serde_json::Value;

use super::include::Found;
use super::sql::{PageRow, Sql};
use crate::contained::{row_type, ContainedRow};
use crate::error::StoreError;
use crate::types::StoredResource;

/// What a search's rows are and what it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Resources of the searched types (`_contained=false`).
    Plain,
    /// Containers of matching contained resources (`_containedType=container`).
    Containers,
    /// The matching contained resources themselves (`_containedType=contained`).
    ContainedOnes,
}

impl Shape {
    pub(crate) fn of(query: &SearchQuery) -> Shape {
        match (query.contained, query.contained_type) {
            (None | Some(Contained::False), _) => Shape::Plain,
            (_, Some(ContainedType::Contained)) => Shape::ContainedOnes,
            (_, None | Some(ContainedType::Container)) => Shape::Containers,
        }
    }
}

/// The `resources.resource_type` values the filters run over.
pub(crate) fn row_types(query: &SearchQuery) -> Vec<String> {
    let types = query.types();
    match query.contained {
        None | Some(Contained::False) => types.into_iter().map(str::to_owned).collect(),
        Some(Contained::True) => types.into_iter().map(row_type).collect(),
        Some(Contained::Both) => types
            .into_iter()
            .flat_map(|t| [t.to_owned(), row_type(t)])
            .collect(),
    }
}

/// The types whose sort values a page's rows may have: the searched types and, with
/// `_contained`, their contained rows' (a row's own key pins it to one of them). Containers
/// of another type have no values for the searched type's parameters, so with
/// `_containedType=container` they sort as if the value were missing.
pub(crate) fn sort_types(query: &SearchQuery) -> Vec<String> {
    let mut types: Vec<String> = query.types().into_iter().map(str::to_owned).collect();
    if !matches!(query.contained, None | Some(Contained::False)) {
        types.extend(query.types().into_iter().map(row_type));
    }
    types
}

/// What `_contained` cannot be combined with (checked before anything runs): `_id` (a
/// contained id is unique only within its container), a compartment (it is the container's,
/// not decided by the contained resource's own references), and, for contained resources
/// returned as such, `_sort` by `_id` or `_lastUpdated` (their row's id is the container's
/// path, and `_lastUpdated` paging reads versions, which they do not have).
pub(crate) fn check(query: &SearchQuery) -> Result<(), StoreError> {
    let shape = Shape::of(query);
    if shape == Shape::Plain {
        return Ok(());
    }
    let refuse = |what: &str| {
        Err(StoreError::UnsupportedSearch(format!(
            "{what} cannot be combined with _contained=true|both"
        )))
    };
    for f in &query.filters {
        match f {
            Filter::Condition(c) if c.code == "_id" => return refuse("_id"),
            Filter::Compartment(_) => return refuse("a compartment search"),
            _ => {}
        }
    }
    if shape == Shape::ContainedOnes {
        if let Some(k) = query
            .sort
            .iter()
            .find(|k| matches!(k.code.as_str(), "_id" | "_lastUpdated"))
        {
            return refuse(&format!("_sort={} with _containedType=contained", k.code));
        }
    }
    Ok(())
}

/// `Containers`: the WHERE clause on the page's rows (containers) around `rows_filter`, the
/// filter on the rows searched.
pub(crate) fn containers_filter(rows_filter: Sql) -> Sql {
    let mut sql = Sql::new("r.deleted = ");
    sql.boolean(false)
        .push(" AND r.res_pk IN (SELECT COALESCE(r.container_pk, r.res_pk) FROM resources r WHERE ")
        .append(rows_filter)
        .push(")");
    sql
}

/// `ContainedOnes`: the page statement's join from its rows `b` to the bodies `v`: a contained
/// resource's body is its container's current version.
pub(crate) const CONTAINED_BODY_JOIN: &str = ") b JOIN resources p ON p.res_pk = b.pk \
     JOIN resources c ON c.res_pk = COALESCE(p.container_pk, p.res_pk) \
     JOIN resource_versions v ON v.resource_type = c.resource_type \
     AND v.resource_id = c.resource_id AND v.version = c.version";

/// A page row as a match: a contained resource's row becomes the contained resource (cut out
/// of its container's body, `None` if it is no longer there), anything else stays as it is.
pub(crate) fn found(row: PageRow) -> Result<Option<Found>, StoreError> {
    let Some(body) = row.body else {
        return Ok(None);
    };
    let Some(c) = ContainedRow::parse(&row.rt, &row.rid) else {
        return Ok(Some(Found {
            pk: row.pk,
            resource: StoredResource {
                resource_type: row.rt,
                id: row.rid,
                version: row.ver,
                last_updated: row.lu,
                body,
            },
            contained_in: None,
        }));
    };
    let Some(body) = cut_out(&body, c.resource_type, c.id)? else {
        return Ok(None);
    };
    Ok(Some(Found {
        pk: row.pk,
        resource: StoredResource {
            resource_type: c.resource_type.to_owned(),
            id: c.id.to_owned(),
            version: row.ver,
            last_updated: row.lu,
            body,
        },
        contained_in: Some(format!("{}/{}", c.container_type, c.container_id)),
    }))
}

/// The JSON of the contained `resource_type` `id` in `container` (key order and numbers as
/// stored).
fn cut_out(container: &str, resource_type: &str, id: &str) -> Result<Option<String>, StoreError> {
    let value: Value = serde_json::from_str(container)
        .map_err(|e| StoreError::Render(format!("a stored body does not parse: {e}").into()))?;
    let Some(list) = value.get("contained").and_then(Value::as_array) else {
        return Ok(None);
    };
    let Some(resource) = list.iter().find(|c| {
        c.get("id").and_then(Value::as_str) == Some(id)
            && c.get("resourceType").and_then(Value::as_str) == Some(resource_type)
    }) else {
        return Ok(None);
    };
    serde_json::to_string(resource)
        .map(Some)
        .map_err(|e| StoreError::Render(e.to_string().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_out_keeps_the_contained_json() {
        let body = r#"{"resourceType":"Encounter","id":"e1","contained":[{"resourceType":"Patient","id":"a","birthDate":"1980"},{"resourceType":"Patient","id":"b","multipleBirthInteger":2,"x":1.50}]}"#;
        assert_eq!(
            cut_out(body, "Patient", "b").unwrap().as_deref(),
            Some(r#"{"resourceType":"Patient","id":"b","multipleBirthInteger":2,"x":1.50}"#)
        );
        assert_eq!(cut_out(body, "Patient", "c").unwrap(), None);
        assert_eq!(cut_out(body, "Condition", "a").unwrap(), None);
        assert_eq!(cut_out(r#"{"id":"e1"}"#, "Patient", "a").unwrap(), None);
    }
}
