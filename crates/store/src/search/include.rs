//! `_include` and `_revinclude` (with `:iterate` and `*`).
//!
//! Round 0 applies every include to the page's matches; each later round applies the
//! `:iterate` ones to the resources the previous round added, until nothing new is found or
//! [`MAX_INCLUDE_ROUNDS`] rounds ran. Every resource appears once, never duplicating a match.
//! At most [`MAX_INCLUDED`] resources are included; beyond that the result says
//! `include_truncated` (never silently).
//!
//! SQL per round, source type and include (ids of the frontier bound as a list):
//! - `_include`: `SELECT .. FROM resources t JOIN resource_versions v .. WHERE t.res_pk IN
//!   (SELECT t2.res_pk FROM idx_reference i JOIN resources t2 ON t2.resource_type =
//!   i.target_type AND t2.resource_id = i.target_id WHERE i.res_pk IN (..) AND i.param_key IN
//!   (key(Source, p), key(#Source, p)) [AND i.target_type = ?])` (the frontier's contained
//!   resources, returned with `_containedType=contained`, have rows under `#Source`);
//! - `_revinclude`: `... WHERE t.res_pk IN (SELECT i.res_pk FROM idx_reference i WHERE
//!   i.param_key = key(Source, p) AND i.target_type = ? AND i.target_id IN (..))`; with `*`,
//!   a join to the source's `resources` row tests its type instead of the key.
//!
//! Only local references (`Type/id`) are followed; absolute URLs are not resolved.

use std::collections::HashSet;

use custodian_search::query::{Include, SearchQuery};

use super::compile::{keys_test, Lookup};
use super::sql::{load, Bind, ResourceRow, Sql};
use crate::error::StoreError;
use crate::param_key::{param_key, param_keys};
use crate::tx::Tx;
use crate::types::StoredResource;

/// The most resources one search includes.
pub const MAX_INCLUDED: usize = 1000;
/// The most `:iterate` rounds.
pub const MAX_INCLUDE_ROUNDS: usize = 8;

/// A resource found by a search: its key and the stored version.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub pk: i64,
    pub resource: StoredResource,
    /// `Type/id` of the container, for a contained resource (`_containedType=contained`):
    /// its includes are followed, but nothing refers to it from outside its container.
    pub contained_in: Option<String>,
}

/// Why `_include`/`_revinclude` results were cut (the server says so in the outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeCut {
    /// More than [`MAX_INCLUDED`] resources would have been included.
    TooMany,
    /// `:iterate` was still finding resources after [`MAX_INCLUDE_ROUNDS`] rounds.
    TooDeep,
}

/// Included resources for `matches`, and why the list was cut, if it was.
pub(crate) fn includes(
    tx: &mut Tx<'_>,
    query: &SearchQuery,
    matches: &[Found],
) -> Result<(Vec<StoredResource>, Option<IncludeCut>), StoreError> {
    if query.includes.is_empty() && query.revincludes.is_empty() || matches.is_empty() {
        return Ok((Vec::new(), None));
    }
    let mut seen: HashSet<i64> = matches.iter().map(|f| f.pk).collect();
    let mut included: Vec<StoredResource> = Vec::new();
    let mut frontier: Vec<Found> = matches.to_vec();
    for round in 0..MAX_INCLUDE_ROUNDS {
        let iterate_only = round > 0;
        let mut next: Vec<Found> = Vec::new();
        let rules = query
            .includes
            .iter()
            .map(|i| (i, false))
            .chain(query.revincludes.iter().map(|i| (i, true)))
            .filter(|(i, _)| !iterate_only || i.iterate);
        for (rule, reverse) in rules {
            let room = MAX_INCLUDED - included.len() - next.len();
            let rows = if reverse {
                revinclude(tx, rule, &frontier, seen.len() + room + 1)?
            } else {
                include(tx, rule, &frontier, seen.len() + room + 1)?
            };
            for row in rows {
                if !seen.insert(row.pk) {
                    continue;
                }
                if included.len() + next.len() >= MAX_INCLUDED {
                    included.extend(next.into_iter().map(|f| f.resource));
                    return Ok((included, Some(IncludeCut::TooMany)));
                }
                next.push(row);
            }
        }
        if next.is_empty() {
            return Ok((included, None));
        }
        included.extend(next.iter().map(|f| f.resource.clone()));
        frontier = next;
        if !query
            .includes
            .iter()
            .chain(&query.revincludes)
            .any(|i| i.iterate)
        {
            return Ok((included, None));
        }
    }
    // The last `:iterate` round still found resources: the next might have too.
    Ok((included, Some(IncludeCut::TooDeep)))
}

fn select_resources(sql: &mut Sql) {
    sql.push(
        "SELECT t.res_pk AS pk, t.resource_type AS rtype, t.resource_id AS rid, \
         t.version AS ver, t.last_updated AS lu, v.body AS body \
         FROM resources t JOIN resource_versions v ON v.resource_type = t.resource_type \
         AND v.resource_id = t.resource_id AND v.version = t.version \
         WHERE t.deleted = ",
    )
    .boolean(false)
    .push(" AND t.res_pk IN (");
}

fn finish(tx: &mut Tx<'_>, mut sql: Sql, limit: usize) -> Result<Vec<Found>, StoreError> {
    sql.push(") ORDER BY t.res_pk").limit(limit);
    let rows: Vec<ResourceRow> = load(&mut tx.conn, sql)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let body = r.body?;
            Some(Found {
                pk: r.pk,
                resource: StoredResource {
                    resource_type: r.rtype,
                    id: r.rid,
                    version: r.ver,
                    last_updated: r.lu,
                    body,
                },
                contained_in: None,
            })
        })
        .collect())
}

/// `_include=Source:param[:Target]` (or `Source:*`) from the frontier's `Source` resources.
fn include(
    tx: &mut Tx<'_>,
    rule: &Include,
    frontier: &[Found],
    limit: usize,
) -> Result<Vec<Found>, StoreError> {
    let pks: Vec<Bind> = frontier
        .iter()
        .filter(|f| f.resource.resource_type == rule.source_type)
        .map(|f| Bind::Int(f.pk))
        .collect();
    if pks.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    select_resources(&mut sql);
    sql.push(
        "SELECT t2.res_pk FROM idx_reference i JOIN resources t2 \
         ON t2.resource_type = i.target_type AND t2.resource_id = i.target_id \
         WHERE i.res_pk IN ",
    )
    .list(pks);
    if let Some(p) = &rule.param {
        let source = rule.source_type.as_str();
        let contained = crate::contained::row_type(source);
        sql.push(" AND ");
        keys_test(
            &mut sql,
            "i",
            &param_keys([source, contained.as_str()], [p.as_str()]),
            Lookup::ByResource,
        );
    }
    if let Some(t) = &rule.target_type {
        sql.push(" AND i.target_type = ").text(t.as_str());
    }
    finish(tx, sql, limit)
}

/// `_revinclude=Source:param[:Target]` (or `Source:*`): `Source` resources referring to the
/// frontier.
fn revinclude(
    tx: &mut Tx<'_>,
    rule: &Include,
    frontier: &[Found],
    limit: usize,
) -> Result<Vec<Found>, StoreError> {
    let frontier: Vec<&Found> = frontier
        .iter()
        .filter(|f| f.contained_in.is_none())
        .collect();
    let mut types: Vec<&str> = frontier
        .iter()
        .map(|f| f.resource.resource_type.as_str())
        .filter(|t| rule.target_type.as_deref().is_none_or(|want| want == *t))
        .collect();
    types.sort_unstable();
    types.dedup();
    let mut out = Vec::new();
    for target_type in types {
        let ids: Vec<Bind> = frontier
            .iter()
            .filter(|f| f.resource.resource_type == target_type)
            .map(|f| Bind::Text(f.resource.id.clone()))
            .collect();
        let mut sql = Sql::default();
        select_resources(&mut sql);
        match &rule.param {
            Some(p) => {
                sql.push("SELECT i.res_pk FROM idx_reference i WHERE i.param_key = ")
                    .int(param_key(&rule.source_type, p).into());
            }
            None => {
                sql.push(
                    "SELECT i.res_pk FROM idx_reference i JOIN resources s \
                     ON s.res_pk = i.res_pk WHERE s.resource_type = ",
                )
                .text(rule.source_type.as_str());
            }
        }
        sql.push(" AND i.target_type = ")
            .text(target_type)
            .push(" AND i.target_id IN ")
            .list(ids);
        out.extend(finish(tx, sql, limit)?);
    }
    Ok(out)
}
