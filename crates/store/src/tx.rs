//! `Tx`: reads and writes inside one database transaction. A bundle processor runs many of
//! these calls in one `Store::transaction`; the single-resource methods on `Store` wrap one each.
//!
//! Errors returned by these methods must be propagated out of the transaction closure: on
//! PostgreSQL a failed statement aborts the transaction.

use custodian_search::index::ResourceIndex;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::SqliteConnection;

use crate::batch;
use crate::contained::{self, Container};
use crate::error::{is_unique_violation, BoxError, StoreError};
use crate::index_rows;
use crate::schema::{audit_log, conditional_keys, idx_token, resource_versions as rv, resources};
use crate::types::*;

/// The connection a `Tx` runs on.
pub(crate) enum TxConn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

/// Run `$body` with `$c` bound to the concrete connection. The body is compiled once per
/// backend, so the whole diesel query builder (including backend-specific parts) is available.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::tx::TxConn::Sqlite(inner) => {
                let $c: &mut ::diesel::sqlite::SqliteConnection = &mut **inner;
                $body
            }
            $crate::tx::TxConn::Pg(inner) => {
                let $c: &mut ::diesel::pg::PgConnection = &mut **inner;
                $body
            }
        }
    };
}
pub(crate) use on_conn;

/// The current-version row of a resource.
#[derive(Debug, Clone, Copy)]
struct Current {
    res_pk: i64,
    version: i64,
    last_updated: i64,
    deleted: bool,
    index_mask: i64,
}

#[derive(Insertable)]
#[diesel(table_name = rv, treat_none_as_default_value = false)]
struct NewVersion<'a> {
    resource_type: &'a str,
    resource_id: &'a str,
    version: i64,
    last_updated: i64,
    deleted: bool,
    body: Option<&'a str>,
    /// POST, PUT or DELETE: what a history bundle shows as `request.method`.
    method: Option<&'static str>,
}
batch::fixed_row!(
    NewVersion<'_>,
    rv::table,
    "resource_versions",
    [
        resource_type: Text,
        resource_id: Text,
        version: BigInt,
        last_updated: BigInt,
        deleted: Bool,
        body: Nullable<Text>,
        method: Nullable<Text>,
    ]
);

#[derive(Insertable)]
#[diesel(table_name = resources, treat_none_as_default_value = false)]
struct NewResource<'a> {
    resource_type: &'a str,
    resource_id: &'a str,
    version: i64,
    last_updated: i64,
    deleted: bool,
    index_mask: i64,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
struct NewAudit<'a> {
    at: i64,
    action: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    version: i64,
    request_id: Option<&'a str>,
    client: Option<&'a str>,
}
batch::fixed_row!(
    NewAudit<'_>,
    audit_log::table,
    "audit_log",
    [
        at: BigInt,
        action: Text,
        resource_type: Text,
        resource_id: Text,
        version: BigInt,
        request_id: Nullable<Text>,
        client: Nullable<Text>,
    ]
);

/// A database transaction (or, for reads through `Store`, a plain connection).
pub struct Tx<'c> {
    pub(crate) conn: TxConn<'c>,
    ctx: &'c AuditContext,
    /// SQLite: the newest `lastUpdated` stored or given out in this transaction (see
    /// [`Tx::write_instant`]); read on the first write.
    newest_instant: Option<i64>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(conn: TxConn<'c>, ctx: &'c AuditContext) -> Self {
        Self {
            conn,
            ctx,
            newest_instant: None,
        }
    }

    /// Starts from what the SQLite writer knows of the newest `lastUpdated` in its open
    /// group, saving the lookup ([`Tx::write_instant`]).
    pub(crate) fn knowing_newest_instant(mut self, newest: Option<i64>) -> Self {
        self.newest_instant = newest;
        self
    }

    pub(crate) fn newest_instant(&self) -> Option<i64> {
        self.newest_instant
    }

    /// The `lastUpdated` of a version written now, at least `at_least`. On SQLite it is also
    /// above every stored one: writers hold SQLite's write lock in turn (other processes
    /// too), so `lastUpdated` order is commit order even when the wall clock steps back.
    /// `_sort=_lastUpdated` paging relies on that (search/page.rs). PostgreSQL writers
    /// commit in any order whatever their times; paging uses snapshots there.
    fn write_instant(&mut self, at_least: i64) -> Result<i64, StoreError> {
        let now = now_micros().max(at_least);
        let TxConn::Sqlite(c) = &mut self.conn else {
            return Ok(now);
        };
        let newest = match self.newest_instant {
            Some(t) => t,
            None => rv::table
                .select(diesel::dsl::max(rv::last_updated))
                .first::<Option<i64>>(&mut **c)?
                .unwrap_or(0),
        };
        let instant = now.max(newest + 1);
        self.newest_instant = Some(instant);
        Ok(instant)
    }

    /// Whether this transaction runs on SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.conn, TxConn::Sqlite(_))
    }

    // ----------------------------------------------------------------------------- reads

    /// The current version, from one lookup on the (type, id, version) unique index.
    pub fn read(&mut self, resource_type: &str, id: &str) -> Result<StoredResource, StoreError> {
        validate_type(resource_type)?;
        validate_id(id)?;
        // The current version is the one not superseded. No `ORDER BY .. LIMIT ?`: SQLite
        // re-prepares a statement whose LIMIT is a bound parameter at every execution.
        let q = rv::table
            .filter(rv::resource_type.eq(resource_type))
            .filter(rv::resource_id.eq(id))
            .filter(rv::superseded_at.is_null())
            .select((rv::version, rv::last_updated, rv::deleted, rv::body));
        let row: Option<(i64, i64, bool, Option<String>)> =
            on_conn!(&mut self.conn, |c| q.get_result(c).optional())?;
        found(resource_type, id, row)
    }

    /// One version (`vread`). A deletion version answers `Gone`.
    pub fn vread(
        &mut self,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<StoredResource, StoreError> {
        validate_type(resource_type)?;
        validate_id(id)?;
        let q = rv::table
            .filter(rv::resource_type.eq(resource_type))
            .filter(rv::resource_id.eq(id))
            .filter(rv::version.eq(version))
            .select((rv::version, rv::last_updated, rv::deleted, rv::body));
        // (type, id, version) is unique: no LIMIT needed (see `read`).
        let row: Option<(i64, i64, bool, Option<String>)> =
            on_conn!(&mut self.conn, |c| q.get_result(c).optional())?;
        found(resource_type, id, row)
    }

    /// Ids of current resources of `resource_type` with a token index row for `param` with
    /// this code (and system, when given). A simple matcher for conditional operations until
    /// search SQL is available.
    pub fn find_ids_by_token(
        &mut self,
        resource_type: &str,
        param: &str,
        system: Option<&str>,
        code: &str,
    ) -> Result<Vec<String>, StoreError> {
        validate_type(resource_type)?;
        let ids: Vec<String> = on_conn!(&mut self.conn, |c| {
            let mut q = idx_token::table
                .inner_join(resources::table)
                .filter(idx_token::param_key.eq(crate::param_key::param_key(resource_type, param)))
                .filter(idx_token::code.eq(code))
                .filter(resources::deleted.eq(false))
                .select(resources::resource_id)
                .distinct()
                .into_boxed();
            if let Some(s) = system {
                q = q.filter(idx_token::system.eq(s));
            }
            q.load(c)
        })?;
        Ok(ids)
    }

    /// Audit rows for one resource, oldest first.
    pub fn audit_for(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let q = audit_log::table
            .filter(audit_log::resource_type.eq(resource_type))
            .filter(audit_log::resource_id.eq(id))
            .order(audit_log::seq.asc())
            .select((
                audit_log::at,
                audit_log::action,
                audit_log::resource_type,
                audit_log::resource_id,
                audit_log::version,
                audit_log::request_id,
                audit_log::client,
            ));
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_conn!(&mut self.conn, |c| q.load(c))?;
        Ok(rows
            .into_iter()
            .map(
                |(at, action, resource_type, id, version, request_id, client)| AuditRecord {
                    at,
                    action,
                    resource_type,
                    id,
                    version,
                    request_id,
                    client,
                },
            )
            .collect())
    }

    /// Number of search index rows per table for a resource's current version (diagnostics
    /// and tests). Tables are named `string`, `token`, `date`, `reference`, `quantity`,
    /// `number`, `uri`.
    pub fn index_row_counts(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Vec<(&'static str, i64)>, StoreError> {
        use crate::schema::{
            idx_date, idx_number, idx_quantity, idx_reference, idx_string, idx_uri,
        };
        let pk: Option<i64> = on_conn!(&mut self.conn, |c| resources::table
            .filter(resources::resource_type.eq(resource_type))
            .filter(resources::resource_id.eq(id))
            .select(resources::res_pk)
            .first(c)
            .optional())?;
        let Some(pk) = pk else {
            return Err(StoreError::NotFound {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
            });
        };
        let counts = on_conn!(&mut self.conn, |c| {
            Ok::<_, diesel::result::Error>(vec![
                (
                    "string",
                    idx_string::table
                        .filter(idx_string::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "token",
                    idx_token::table
                        .filter(idx_token::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "date",
                    idx_date::table
                        .filter(idx_date::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "reference",
                    idx_reference::table
                        .filter(idx_reference::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "quantity",
                    idx_quantity::table
                        .filter(idx_quantity::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "number",
                    idx_number::table
                        .filter(idx_number::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
                (
                    "uri",
                    idx_uri::table
                        .filter(idx_uri::res_pk.eq(pk))
                        .count()
                        .get_result(c)?,
                ),
            ])
        })?;
        Ok(counts)
    }

    /// History, newest first, keyset-paged on the global write sequence.
    pub fn history(
        &mut self,
        scope: HistoryScope<'_>,
        query: &HistoryQuery,
    ) -> Result<HistoryPage, StoreError> {
        let count = i64::from(query.count.unwrap_or(50).min(MAX_PAGE_SIZE));
        let before = query.cursor.as_deref().map(decode_cursor).transpose()?;
        if count == 0 {
            return Ok(HistoryPage::default());
        }
        match scope {
            HistoryScope::System => {}
            HistoryScope::Type(t) => validate_type(t)?,
            HistoryScope::Instance { resource_type, id } => {
                validate_type(resource_type)?;
                validate_id(id)?;
            }
        }
        type Row = (
            i64,
            String,
            String,
            i64,
            i64,
            bool,
            Option<String>,
            Option<String>,
        );
        let mut rows: Vec<Row> = on_conn!(&mut self.conn, |c| {
            let mut q = rv::table
                .select((
                    rv::seq,
                    rv::resource_type,
                    rv::resource_id,
                    rv::version,
                    rv::last_updated,
                    rv::deleted,
                    rv::body,
                    rv::method,
                ))
                .order(rv::seq.desc())
                .limit(count + 1)
                .into_boxed();
            match scope {
                HistoryScope::System => {}
                HistoryScope::Type(t) => q = q.filter(rv::resource_type.eq(t)),
                HistoryScope::Instance { resource_type, id } => {
                    q = q
                        .filter(rv::resource_type.eq(resource_type))
                        .filter(rv::resource_id.eq(id))
                }
            }
            if let Some(since) = query.since {
                q = q.filter(rv::last_updated.ge(since));
            }
            if let Some((low, high)) = query.at {
                q = q
                    .filter(rv::last_updated.le(high))
                    .filter(rv::superseded_at.is_null().or(rv::superseded_at.gt(low)));
            }
            if let Some(b) = before {
                q = q.filter(rv::seq.lt(b));
            }
            q.load(c)
        })?;
        let more = rows.len() as i64 > count;
        rows.truncate(count as usize);
        let next = if more {
            rows.last().map(|r| encode_cursor(r.0))
        } else {
            None
        };
        let entries = rows
            .into_iter()
            .map(
                |(_, resource_type, id, version, last_updated, deleted, body, method)| {
                    HistoryEntry {
                        resource_type,
                        id,
                        version,
                        last_updated,
                        deleted,
                        body,
                        written_by: method,
                    }
                },
            )
            .collect();
        Ok(HistoryPage { entries, next })
    }

    // ---------------------------------------------------------------------------- writes

    /// Create with a new server-assigned id (UUID v7).
    pub fn create<R>(
        &mut self,
        resource_type: &str,
        index: &ResourceIndex,
        render: R,
    ) -> Result<StoredResource, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        validate_type(resource_type)?;
        let id = new_id();
        self.insert_first(resource_type, &id, index, render, "create")
    }

    /// Create many resources at once (bulk import, large transaction bundles): the same rows
    /// as `create`, written with multi-row INSERTs (`batch.rs`). `BatchItem::id` keeps a
    /// client id (it must be new: an existing id fails the whole batch with `Duplicate`);
    /// otherwise a UUID v7 is assigned. Returns the stored resources in input order.
    pub fn create_many<R>(
        &mut self,
        items: Vec<BatchItem<'_, R>>,
    ) -> Result<Vec<StoredResource>, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        // Resources per round. The resource rows need RETURNING, which `FixedInsert` does not
        // write, so they go in as one `Vec` insert per round on both backends.
        const CHUNK: usize = batch::PG_CHUNK;
        let last_updated = self.write_instant(0)?;
        let mut created = Vec::with_capacity(items.len());
        let mut indexes = Vec::with_capacity(items.len());
        for item in items {
            validate_type(item.resource_type)?;
            let id = match item.id {
                Some(id) => {
                    validate_id(id)?;
                    id.to_owned()
                }
                None => new_id(),
            };
            let body = render_body(item.resource_type, &id, 1, last_updated, item.render)?;
            indexes.push(item.index);
            created.push(StoredResource {
                resource_type: item.resource_type.to_owned(),
                id,
                version: 1,
                last_updated,
                body,
            });
        }
        let mut pks: Vec<i64> = Vec::with_capacity(created.len());
        for (chunk, idx) in created.chunks(CHUNK).zip(indexes.chunks(CHUNK)) {
            let rows: Vec<NewResource<'_>> = chunk
                .iter()
                .zip(idx)
                .map(|(r, i)| NewResource {
                    resource_type: &r.resource_type,
                    resource_id: &r.id,
                    version: 1,
                    last_updated,
                    deleted: false,
                    index_mask: index_rows::mask(i),
                })
                .collect();
            let returned: Vec<(i64, String, String)> = on_conn!(&mut self.conn, |c| {
                diesel::insert_into(resources::table)
                    .values(&rows)
                    .returning((
                        resources::res_pk,
                        resources::resource_type,
                        resources::resource_id,
                    ))
                    .get_results(c)
            })
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Duplicate("a resource of this batch already exists".to_owned())
                } else {
                    e.into()
                }
            })?;
            // RETURNING order is not guaranteed: match rows by (type, id).
            let by_key: std::collections::HashMap<(String, String), i64> = returned
                .into_iter()
                .map(|(pk, t, id)| ((t, id), pk))
                .collect();
            for r in chunk {
                let pk = by_key
                    .get(&(r.resource_type.clone(), r.id.clone()))
                    .copied()
                    .ok_or_else(|| {
                        StoreError::Duplicate(format!("{}/{}", r.resource_type, r.id))
                    })?;
                pks.push(pk);
            }
            let versions: Vec<NewVersion<'_>> = chunk
                .iter()
                .map(|r| NewVersion {
                    resource_type: &r.resource_type,
                    resource_id: &r.id,
                    version: 1,
                    last_updated,
                    deleted: false,
                    body: Some(&r.body),
                    method: Some("POST"),
                })
                .collect();
            let audits: Vec<NewAudit<'_>> = chunk
                .iter()
                .map(|r| NewAudit {
                    at: last_updated,
                    action: "create",
                    resource_type: &r.resource_type,
                    resource_id: &r.id,
                    version: 1,
                    request_id: self.ctx.request_id.as_deref(),
                    client: self.ctx.client.as_deref(),
                })
                .collect();
            match &mut self.conn {
                TxConn::Sqlite(c) => {
                    batch::insert_sqlite(c, &versions)?;
                    batch::insert_sqlite(c, &audits)?;
                }
                TxConn::Pg(c) => {
                    diesel::insert_into(rv::table)
                        .values(&versions)
                        .execute(&mut **c)?;
                    diesel::insert_into(audit_log::table)
                        .values(&audits)
                        .execute(&mut **c)?;
                }
            }
        }
        index_rows::insert_many(
            &mut self.conn,
            pks.iter()
                .zip(&created)
                .zip(&indexes)
                .map(|((pk, r), i)| (*pk, r.resource_type.as_str(), r.id.as_str(), *i)),
        )?;
        for ((pk, r), i) in pks.iter().zip(&created).zip(&indexes) {
            let container = Container {
                res_pk: *pk,
                resource_type: &r.resource_type,
                id: &r.id,
                version: 1,
                last_updated,
            };
            contained::sync(&mut self.conn, &container, i, 0)?;
        }
        Ok(created)
    }

    /// Create unless exactly one resource matches (`If-None-Exist`).
    ///
    /// `criteria` is the normalized criteria string (e.g. the sorted query string); `find`
    /// returns the ids of current resources that match it, run inside this transaction.
    ///
    /// Race safety: before `find` runs, this transaction claims the unique `(type, criteria)`
    /// row in `conditional_keys`. A concurrent creator with the same criteria blocks on that
    /// key until this transaction ends (PostgreSQL: unique-index wait, then `FOR UPDATE`;
    /// SQLite: writers are serialized anyway), and only then runs its own `find`, which sees
    /// the committed winner. Matches are decided by `find`, so a key left behind by a resource
    /// that no longer matches is simply taken over.
    pub fn create_conditional<R, F>(
        &mut self,
        resource_type: &str,
        criteria: &str,
        find: F,
        index: &ResourceIndex,
        render: R,
    ) -> Result<ConditionalCreate, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
        F: FnOnce(&mut Tx<'c>) -> Result<Vec<String>, StoreError>,
    {
        let id = new_id();
        self.create_conditional_as(resource_type, &id, criteria, find, index, render)
    }

    /// `create_conditional` with an id chosen by the caller (a transaction bundle assigns ids
    /// before it writes, so that its entries can refer to each other).
    pub fn create_conditional_as<R, F>(
        &mut self,
        resource_type: &str,
        id: &str,
        criteria: &str,
        find: F,
        index: &ResourceIndex,
        render: R,
    ) -> Result<ConditionalCreate, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
        F: FnOnce(&mut Tx<'c>) -> Result<Vec<String>, StoreError>,
    {
        let ids = self.claim_criteria(resource_type, id, criteria, find)?;
        if let [one] = ids.as_slice() {
            return self
                .read(resource_type, one)
                .map(ConditionalCreate::Existing);
        }
        self.insert_first(resource_type, id, index, render, "create")
            .map(ConditionalCreate::Created)
    }

    /// Claims the unique `(type, criteria)` key of `conditional_keys` for `id`, then returns
    /// what `find` matches (at most one; several are `MultipleMatches`). A concurrent
    /// claimant of the same criteria is waited for first (PostgreSQL: unique-index wait, then
    /// `FOR UPDATE`; SQLite: writers are serialized anyway), so `find` sees its committed
    /// resource. The caller writes `id` only when nothing matched: of concurrent conditional
    /// writers with the same criteria, exactly one creates. The key is held until commit and
    /// then names the owner; a key whose resource no longer matches is simply taken over.
    pub fn claim_criteria<F>(
        &mut self,
        resource_type: &str,
        id: &str,
        criteria: &str,
        find: F,
    ) -> Result<Vec<String>, StoreError>
    where
        F: FnOnce(&mut Tx<'c>) -> Result<Vec<String>, StoreError>,
    {
        validate_type(resource_type)?;
        validate_id(id)?;
        let now = now_micros();
        let key = (
            conditional_keys::resource_type.eq(resource_type),
            conditional_keys::criteria.eq(criteria),
            conditional_keys::resource_id.eq(id),
            conditional_keys::created_at.eq(now),
        );
        // Claim the key in a savepoint, so that losing the race does not abort the transaction.
        // Only this insert runs in it: on PostgreSQL `resources` rows must be written by the
        // top-level transaction (`_lastUpdated` paging reads their `xmin`, search/page.rs).
        let inserted = on_conn!(&mut self.conn, |c| c
            .transaction::<_, diesel::result::Error, _>(|c| {
                diesel::insert_into(conditional_keys::table)
                    .values(key)
                    .execute(c)
            }));
        let this_key = conditional_keys::table
            .filter(conditional_keys::resource_type.eq(resource_type))
            .filter(conditional_keys::criteria.eq(criteria));
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                // Someone holds or held the key: wait for them (PostgreSQL row lock), then look.
                match &mut self.conn {
                    TxConn::Sqlite(_) => {}
                    TxConn::Pg(c) => {
                        this_key
                            .select(conditional_keys::resource_id)
                            .for_update()
                            .first::<String>(&mut **c)
                            .optional()?;
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
        let ids = find(self)?;
        let owner = match ids.as_slice() {
            [] => id,
            [one] => one.as_str(),
            many => return Err(StoreError::MultipleMatches { count: many.len() }),
        };
        on_conn!(&mut self.conn, |c| diesel::update(this_key)
            .set((
                conditional_keys::resource_id.eq(owner),
                conditional_keys::created_at.eq(now),
            ))
            .execute(c))?;
        Ok(ids)
    }

    /// Update (PUT). `expected` is the `If-Match` version. Creates the resource with the
    /// client's id when it does not exist; re-creates it with the next version after a delete.
    pub fn update<R>(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<i64>,
        index: &ResourceIndex,
        render: R,
    ) -> Result<UpdateOutcome, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        validate_type(resource_type)?;
        validate_id(id)?;
        let Some(cur) = self.lock_current(resource_type, id)? else {
            if let Some(expected) = expected {
                return Err(StoreError::VersionConflict {
                    expected,
                    actual: None,
                });
            }
            let resource = self.insert_first(resource_type, id, index, render, "update-create")?;
            return Ok(UpdateOutcome {
                resource,
                created: true,
            });
        };
        check_expected(expected, cur.version)?;
        let version = cur.version + 1;
        let last_updated = self.write_instant(cur.last_updated + 1)?;
        let body = render_body(resource_type, id, version, last_updated, render)?;
        let mask = index_rows::mask(index);
        self.insert_version(resource_type, id, version, last_updated, Some(&body), &cur)?;
        self.move_current(&cur, version, last_updated, false, mask)?;
        let row = Container {
            res_pk: cur.res_pk,
            resource_type,
            id,
            version,
            last_updated,
        };
        index_rows::replace(&mut self.conn, &row, index, cur.index_mask)?;
        self.audit("update", resource_type, id, version, last_updated)?;
        Ok(UpdateOutcome {
            resource: StoredResource {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version,
                last_updated,
                body,
            },
            // Re-creating a deleted resource is a create for the client (201, Location).
            created: cur.deleted,
        })
    }

    /// Delete: writes a tombstone version and removes the resource from search.
    pub fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<i64>,
    ) -> Result<DeleteOutcome, StoreError> {
        validate_type(resource_type)?;
        validate_id(id)?;
        let Some(cur) = self.lock_current(resource_type, id)? else {
            if let Some(expected) = expected {
                return Err(StoreError::VersionConflict {
                    expected,
                    actual: None,
                });
            }
            return Ok(DeleteOutcome::NotFound);
        };
        check_expected(expected, cur.version)?;
        if cur.deleted {
            return Ok(DeleteOutcome::AlreadyDeleted {
                version: cur.version,
            });
        }
        let version = cur.version + 1;
        let last_updated = self.write_instant(cur.last_updated + 1)?;
        self.insert_version(resource_type, id, version, last_updated, None, &cur)?;
        self.move_current(&cur, version, last_updated, true, 0)?;
        let row = Container {
            res_pk: cur.res_pk,
            resource_type,
            id,
            version,
            last_updated,
        };
        let nothing = ResourceIndex::default();
        index_rows::replace(&mut self.conn, &row, &nothing, cur.index_mask)?;
        self.audit("delete", resource_type, id, version, last_updated)?;
        Ok(DeleteOutcome::Deleted {
            version,
            last_updated,
        })
    }

    /// Locks `resource_type/id` against other writers until this transaction ends (a row
    /// lock on PostgreSQL; SQLite's writer already holds the database), so that a check made
    /// after it stays true until the write. A resource that does not exist locks nothing.
    pub fn lock(&mut self, resource_type: &str, id: &str) -> Result<(), StoreError> {
        validate_type(resource_type)?;
        validate_id(id)?;
        self.lock_current(resource_type, id).map(|_| ())
    }

    // --------------------------------------------------------------------------- helpers

    /// The current row, locked against concurrent writers until commit. Backend-specific:
    /// PostgreSQL takes a row lock (`FOR UPDATE`); SQLite writers already hold the database
    /// write lock (`BEGIN IMMEDIATE`).
    fn lock_current(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Current>, StoreError> {
        let q = resources::table
            .filter(resources::resource_type.eq(resource_type))
            .filter(resources::resource_id.eq(id))
            .select((
                resources::res_pk,
                resources::version,
                resources::last_updated,
                resources::deleted,
                resources::index_mask,
            ));
        let row: Option<(i64, i64, i64, bool, i64)> = match &mut self.conn {
            // (type, id) is unique: no LIMIT (a bound LIMIT makes SQLite re-prepare).
            TxConn::Sqlite(c) => q.get_result(&mut **c).optional()?,
            TxConn::Pg(c) => q.for_update().get_result(&mut **c).optional()?,
        };
        Ok(row.map(
            |(res_pk, version, last_updated, deleted, index_mask)| Current {
                res_pk,
                version,
                last_updated,
                deleted,
                index_mask,
            },
        ))
    }

    /// Version 1 of a new resource (create, update-as-create).
    fn insert_first<R>(
        &mut self,
        resource_type: &str,
        id: &str,
        index: &ResourceIndex,
        render: R,
        action: &str,
    ) -> Result<StoredResource, StoreError>
    where
        R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        let last_updated = self.write_instant(0)?;
        let body = render_body(resource_type, id, 1, last_updated, render)?;
        let mask = index_rows::mask(index);
        let new_resource = NewResource {
            resource_type,
            resource_id: id,
            version: 1,
            last_updated,
            deleted: false,
            index_mask: mask,
        };
        let new_version = NewVersion {
            resource_type,
            resource_id: id,
            version: 1,
            last_updated,
            deleted: false,
            body: Some(&body),
            // A create with a server id is a POST; one with the client's id came by PUT.
            method: Some(if action == "create" { "POST" } else { "PUT" }),
        };
        let res_pk = on_conn!(&mut self.conn, |c| {
            let pk: i64 = diesel::insert_into(resources::table)
                .values(&new_resource)
                .returning(resources::res_pk)
                .get_result(c)?;
            diesel::insert_into(rv::table)
                .values(&new_version)
                .execute(c)?;
            Ok::<_, diesel::result::Error>(pk)
        })
        .map_err(|e| {
            if is_unique_violation(&e) {
                // Another writer created this id concurrently (PostgreSQL); a retry of the
                // transaction sees it and updates instead.
                StoreError::Contention(format!("concurrent create of {resource_type}/{id}"))
            } else {
                e.into()
            }
        })?;
        let row = Container {
            res_pk,
            resource_type,
            id,
            version: 1,
            last_updated,
        };
        index_rows::replace(&mut self.conn, &row, index, 0)?;
        // Both ways of creating are a `create` in the audit trail.
        let audit_action = if action == "update-create" {
            "create"
        } else {
            action
        };
        self.audit(audit_action, resource_type, id, 1, last_updated)?;
        Ok(StoredResource {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version: 1,
            last_updated,
            body,
        })
    }

    /// Insert version `version` and close the previous one (`superseded_at`). The unique
    /// (type, id, version) key is the last line of defence against lost updates.
    fn insert_version(
        &mut self,
        resource_type: &str,
        id: &str,
        version: i64,
        last_updated: i64,
        body: Option<&str>,
        cur: &Current,
    ) -> Result<(), StoreError> {
        let row = NewVersion {
            resource_type,
            resource_id: id,
            version,
            last_updated,
            deleted: body.is_none(),
            body,
            method: Some(if body.is_none() { "DELETE" } else { "PUT" }),
        };
        let previous = rv::table
            .filter(rv::resource_type.eq(resource_type))
            .filter(rv::resource_id.eq(id))
            .filter(rv::version.eq(cur.version));
        on_conn!(&mut self.conn, |c| {
            diesel::insert_into(rv::table).values(&row).execute(c)?;
            diesel::update(previous)
                .set(rv::superseded_at.eq(last_updated))
                .execute(c)
        })
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Contention(format!("concurrent write of {resource_type}/{id}"))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Point the current row at the new version; fails if someone else moved it.
    fn move_current(
        &mut self,
        cur: &Current,
        version: i64,
        last_updated: i64,
        deleted: bool,
        mask: i64,
    ) -> Result<(), StoreError> {
        let target = resources::table
            .filter(resources::res_pk.eq(cur.res_pk))
            .filter(resources::version.eq(cur.version));
        let n = on_conn!(&mut self.conn, |c| diesel::update(target)
            .set((
                resources::version.eq(version),
                resources::last_updated.eq(last_updated),
                resources::deleted.eq(deleted),
                resources::index_mask.eq(mask),
            ))
            .execute(c))?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Contention("current version moved".to_owned()))
        }
    }

    fn audit(
        &mut self,
        action: &str,
        resource_type: &str,
        id: &str,
        version: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        let row = NewAudit {
            at,
            action,
            resource_type,
            resource_id: id,
            version,
            request_id: self.ctx.request_id.as_deref(),
            client: self.ctx.client.as_deref(),
        };
        on_conn!(&mut self.conn, |c| diesel::insert_into(audit_log::table)
            .values(&row)
            .execute(c))?;
        Ok(())
    }
}

fn check_expected(expected: Option<i64>, actual: i64) -> Result<(), StoreError> {
    match expected {
        Some(e) if e != actual => Err(StoreError::VersionConflict {
            expected: e,
            actual: Some(actual),
        }),
        _ => Ok(()),
    }
}

fn render_body<R>(
    resource_type: &str,
    id: &str,
    version: i64,
    last_updated: i64,
    render: R,
) -> Result<String, StoreError>
where
    R: FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
{
    let version_id = version.to_string();
    let instant = format_instant(last_updated);
    let meta = Meta {
        resource_type,
        id,
        version_id: &version_id,
        last_updated: &instant,
        last_updated_micros: last_updated,
    };
    let bytes = render(&meta).map_err(StoreError::Render)?;
    String::from_utf8(bytes).map_err(|_| StoreError::BodyNotUtf8)
}

fn found(
    resource_type: &str,
    id: &str,
    row: Option<(i64, i64, bool, Option<String>)>,
) -> Result<StoredResource, StoreError> {
    match row {
        None => Err(StoreError::NotFound {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
        }),
        Some((version, last_updated, true, _)) | Some((version, last_updated, _, None)) => {
            Err(StoreError::Gone {
                resource_type: resource_type.to_owned(),
                id: id.to_owned(),
                version,
                last_updated,
            })
        }
        Some((version, last_updated, false, Some(body))) => Ok(StoredResource {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            version,
            last_updated,
            body,
        }),
    }
}
