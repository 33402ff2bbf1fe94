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
//! the same contained resource. The rows are written with every version of the container and
//! removed before the next (the container's `index_mask` says whether it has any).

use custodian_search::index::ResourceIndex;
use diesel::prelude::*;

use crate::index_rows;
use crate::schema::resources;
use crate::tx::{on_conn, TxConn};

/// The `resources.resource_type` of contained resources of type `resource_type`.
pub fn row_type(resource_type: &str) -> String {
    format!("#{resource_type}")
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

/// The current version of a resource whose contained resources are being indexed.
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

/// Writes a row and its index rows for each of `index.contained`.
pub(crate) fn insert(
    conn: &mut TxConn<'_>,
    container: &Container<'_>,
    index: &ResourceIndex,
) -> QueryResult<()> {
    for c in &index.contained {
        let resource_type = row_type(&c.resource_type);
        let resource_id = format!("{}/{}#{}", container.resource_type, container.id, c.id);
        let row = NewContained {
            resource_type: &resource_type,
            resource_id: &resource_id,
            version: container.version,
            last_updated: container.last_updated,
            deleted: false,
            index_mask: index_rows::mask_of(&c.entries),
            container_pk: Some(container.res_pk),
        };
        let res_pk: i64 = on_conn!(conn, |c| diesel::insert_into(resources::table)
            .values(&row)
            .returning(resources::res_pk)
            .get_result(c))?;
        index_rows::insert_entries(conn, res_pk, &resource_type, &c.entries)?;
    }
    Ok(())
}

/// Removes the rows of `container_pk`'s contained resources and their index rows.
pub(crate) fn delete(conn: &mut TxConn<'_>, container_pk: i64) -> QueryResult<()> {
    let of_container = resources::table.filter(resources::container_pk.eq(container_pk));
    let rows: Vec<(i64, i64)> = on_conn!(conn, |c| of_container
        .select((resources::res_pk, resources::index_mask))
        .load(c))?;
    for (res_pk, mask) in rows {
        index_rows::delete(conn, res_pk, mask)?;
    }
    on_conn!(conn, |c| diesel::delete(of_container).execute(c))?;
    Ok(())
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
