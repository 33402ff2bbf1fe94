//! Contained resources that search can find (`_contained=true|both`; migration
//! `2026-12-03-150000_contained_resources`). Each is a `resources` row of its own:
//!
//! - `resource_type` is `#<Type>` ([`row_type`]), so no ordinary search, include, chain or
//!   `_has` ever meets it (they all test the type);
//! - `resource_id` is `<ContainerType>/<containerId>#<containedId>` (unique per type, and it
//!   says where the resource lives);
//! - `container_pk` is its container's row; version and `lastUpdated` are the container's.
//!
//! Its index rows hang off its own `res_pk`, so the parameters of one search must all match
//! the same contained resource. Each version of the container brings the rows up to date in
//! place: a contained resource that stays keeps its row and `res_pk` (search pages by it),
//! new ones get rows, dropped ones lose theirs. The container's `index_mask` says whether it
//! has any, so a resource without contained resources pays no lookup.

use std::borrow::Cow;
use std::collections::HashMap;

use custodian_search::index::{IndexEntry, IndexValue, ResourceIndex};
use diesel::prelude::*;

use crate::batch::PG_CHUNK;
use crate::index_rows;
use crate::schema::resources;
use crate::tx::{on_conn, TxConn};

/// The `resources.resource_type` of contained resources of type `resource_type`.
pub fn row_type(resource_type: &str) -> String {
    format!("#{resource_type}")
}

/// `entries` with each reference to a contained resource (target `#Type`, `#id`, as
/// extraction leaves it) pointing at that resource's row (`resource_type/id#id`), so that a
/// chain finds it like any target (`search/compile.rs`). Borrowed when there is none.
pub(crate) fn local_targets<'a>(
    entries: &'a [IndexEntry],
    resource_type: &str,
    id: &str,
) -> Cow<'a, [IndexEntry]> {
    let local = |e: &IndexEntry| matches!(&e.value, IndexValue::Reference { target_id: Some(t), .. } if t.starts_with('#'));
    if !entries.iter().any(local) {
        return Cow::Borrowed(entries);
    }
    let mut owned = entries.to_vec();
    for e in owned.iter_mut() {
        if let IndexValue::Reference {
            target_id: Some(t), ..
        } = &mut e.value
        {
            if t.starts_with('#') {
                *t = format!("{resource_type}/{id}{t}");
            }
        }
    }
    Cow::Owned(owned)
}

/// A contained resource's row, read back: its own type and id, and its container's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContainedRow<'a> {
    pub resource_type: &'a str,
    pub id: &'a str,
    pub container_type: &'a str,
    pub container_id: &'a str,
}

impl<'a> ContainedRow<'a> {
    /// `None` for an ordinary resource's row.
    pub(crate) fn parse(row_type: &'a str, row_id: &'a str) -> Option<Self> {
        let resource_type = row_type.strip_prefix('#')?;
        let (container, id) = row_id.split_once('#')?;
        let (container_type, container_id) = container.split_once('/')?;
        Some(ContainedRow {
            resource_type,
            id,
            container_type,
            container_id,
        })
    }
}

/// The current version of a resource whose index rows (and its contained resources') are
/// being written.
pub(crate) struct Container<'a> {
    pub res_pk: i64,
    pub resource_type: &'a str,
    pub id: &'a str,
    pub version: i64,
    pub last_updated: i64,
}

#[derive(Insertable)]
#[diesel(table_name = resources, treat_none_as_default_value = false)]
struct NewContained<'a> {
    resource_type: &'a str,
    resource_id: &'a str,
    version: i64,
    last_updated: i64,
    deleted: bool,
    index_mask: i64,
    container_pk: Option<i64>,
}

/// Brings the rows of `container`'s contained resources in line with `index.contained`
/// (none, for a delete). `previous_mask` is the container's `index_mask` before this write:
/// only a container that had contained rows is looked up.
pub(crate) fn sync(
    conn: &mut TxConn<'_>,
    container: &Container<'_>,
    index: &ResourceIndex,
    previous_mask: i64,
) -> QueryResult<()> {
    let existing: Vec<(i64, String, String, i64)> = if index_rows::has_contained(previous_mask) {
        on_conn!(conn, |c| resources::table
            .filter(resources::container_pk.eq(container.res_pk))
            .select((
                resources::res_pk,
                resources::resource_type,
                resources::resource_id,
                resources::index_mask,
            ))
            .load(c))?
    } else {
        Vec::new()
    };
    if existing.is_empty() && index.contained.is_empty() {
        return Ok(());
    }
    // Every old index row goes; the rows of those that stay are written again below.
    let old_pks: Vec<i64> = existing.iter().map(|e| e.0).collect();
    let old_mask = existing.iter().fold(0, |m, e| m | e.3);
    index_rows::delete_many(conn, &old_pks, old_mask)?;

    let wanted: Vec<(String, String)> = index
        .contained
        .iter()
        .map(|c| {
            let id = format!("{}/{}#{}", container.resource_type, container.id, c.id);
            (row_type(&c.resource_type), id)
        })
        .collect();
    // Rows that stay are taken out of `existing_by_key`; what is left there goes.
    let mut existing_by_key: HashMap<(&str, &str), i64> = existing
        .iter()
        .map(|(pk, t, id, _)| ((t.as_str(), id.as_str()), *pk))
        .collect();
    let kept: HashMap<(&str, &str), i64> = wanted
        .iter()
        .filter_map(|(t, id)| {
            let key = (t.as_str(), id.as_str());
            existing_by_key.remove(&key).map(|pk| (key, pk))
        })
        .collect();
    let gone: Vec<i64> = existing_by_key.into_values().collect();
    for chunk in gone.chunks(PG_CHUNK) {
        on_conn!(conn, |c| diesel::delete(
            resources::table.filter(resources::res_pk.eq_any(chunk))
        )
        .execute(c))?;
    }

    let mut pks: Vec<i64> = Vec::with_capacity(wanted.len());
    let mut new_rows: Vec<NewContained<'_>> = Vec::new();
    for ((t, id), c) in wanted.iter().zip(&index.contained) {
        let mask = index_rows::mask_of(&c.entries);
        match kept.get(&(t.as_str(), id.as_str())) {
            Some(pk) => {
                on_conn!(conn, |c| diesel::update(
                    resources::table.filter(resources::res_pk.eq(pk))
                )
                .set((
                    resources::version.eq(container.version),
                    resources::last_updated.eq(container.last_updated),
                    resources::index_mask.eq(mask),
                ))
                .execute(c))?;
                pks.push(*pk);
            }
            None => {
                pks.push(0);
                new_rows.push(NewContained {
                    resource_type: t,
                    resource_id: id,
                    version: container.version,
                    last_updated: container.last_updated,
                    deleted: false,
                    index_mask: mask,
                    container_pk: Some(container.res_pk),
                });
            }
        }
    }
    // New rows: multi-row INSERTs; RETURNING order is not guaranteed, so match by id.
    let mut assigned: HashMap<String, i64> = HashMap::new();
    for chunk in new_rows.chunks(PG_CHUNK) {
        let returned: Vec<(i64, String)> =
            on_conn!(conn, |c| diesel::insert_into(resources::table)
                .values(chunk)
                .returning((resources::res_pk, resources::resource_id))
                .get_results(c))?;
        assigned.extend(returned.into_iter().map(|(pk, id)| (id, pk)));
    }
    for (pk, (_, id)) in pks.iter_mut().zip(&wanted) {
        if *pk == 0 {
            *pk = assigned
                .get(id)
                .copied()
                .ok_or(diesel::result::Error::NotFound)?;
        }
    }
    index_rows::insert_many_entries(
        conn,
        pks.iter()
            .zip(&wanted)
            .zip(&index.contained)
            .map(|((pk, (t, _)), c)| (*pk, t.as_str(), c.entries.as_slice())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_name_their_container() {
        assert_eq!(row_type("Patient"), "#Patient");
        assert_eq!(
            ContainedRow::parse("#Patient", "Encounter/e-1#p1"),
            Some(ContainedRow {
                resource_type: "Patient",
                id: "p1",
                container_type: "Encounter",
                container_id: "e-1",
            })
        );
        assert_eq!(ContainedRow::parse("Patient", "p1"), None);
    }
}
