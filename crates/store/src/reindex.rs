//! Rebuilding search index rows from the stored bodies (`custodian reindex`). When the
//! extraction changes (a parameter added, rows shared between parameters, a bug fixed),
//! resources written before keep the rows of the old extraction until they are written
//! again; this rewrites them without writing a version.

use custodian_search::index::ResourceIndex;
use diesel::prelude::*;

use crate::contained::Container;
use crate::error::{BoxError, StoreError};
use crate::index_rows;
use crate::schema::{resource_versions as rv, resources};
use crate::store::Store;
use crate::tx::{on_conn, Tx, TxConn};
use crate::types::{validate_type, AuditContext};

/// Resources per transaction.
const PAGE: i64 = 500;

impl Tx<'_> {
    /// Rewrites the index rows of up to `limit` current resources of `resource_type` whose
    /// primary key is above `after`, in key order, from their stored bodies with `index_of`.
    /// Versions, bodies and `lastUpdated` stay as they are, and no audit row is written: the
    /// record does not change. Returns the last primary key done (`None`: nothing was left).
    pub fn reindex_page<F>(
        &mut self,
        resource_type: &str,
        after: i64,
        limit: i64,
        index_of: &mut F,
    ) -> Result<Option<i64>, StoreError>
    where
        F: FnMut(&str) -> Result<ResourceIndex, BoxError>,
    {
        validate_type(resource_type)?;
        let page = resources::table
            .filter(resources::resource_type.eq(resource_type))
            .filter(resources::deleted.eq(false))
            .filter(resources::res_pk.gt(after))
            .order(resources::res_pk.asc())
            .limit(limit)
            .select((
                resources::res_pk,
                resources::resource_id,
                resources::version,
                resources::last_updated,
                resources::index_mask,
            ));
        // Locked like any write's current row (PostgreSQL; SQLite's writer holds the
        // database), so a concurrent update cannot slip between the body read and the rows.
        let rows: Vec<(i64, String, i64, i64, i64)> = match &mut self.conn {
            TxConn::Sqlite(c) => page.load(&mut **c)?,
            TxConn::Pg(c) => page.for_update().load(&mut **c)?,
        };
        let last = rows.last().map(|r| r.0);
        for (res_pk, id, version, last_updated, old_mask) in rows {
            let body: Option<String> = on_conn!(&mut self.conn, |c| rv::table
                .filter(rv::resource_type.eq(resource_type))
                .filter(rv::resource_id.eq(&id))
                .filter(rv::version.eq(version))
                .select(rv::body)
                .first(c))?;
            let Some(body) = body else { continue };
            let index = index_of(&body).map_err(|e| {
                StoreError::Render(format!("{resource_type}/{id} (res_pk {res_pk}): {e}").into())
            })?;
            let mask = index_rows::mask(&index);
            let row = Container {
                res_pk,
                resource_type,
                id: &id,
                version,
                last_updated,
            };
            index_rows::replace(&mut self.conn, &row, &index, old_mask)?;
            if mask != old_mask {
                on_conn!(&mut self.conn, |c| diesel::update(
                    resources::table.filter(resources::res_pk.eq(res_pk))
                )
                .set(resources::index_mask.eq(mask))
                .execute(c))?;
            }
        }
        Ok(last)
    }
}

impl Store {
    /// Rewrites the index rows of every current `resource_type` resource (see
    /// [`Tx::reindex_page`]), a page of 500 per transaction, calling `progress` with the
    /// number done so far after each. Writes of other clients go on in between: on SQLite,
    /// whose other writers (a running server) wait in a busy handler that retries only every
    /// few milliseconds, each page is followed by a pause as long as the page took, so the
    /// database is free half the time.
    pub fn reindex<F, P>(
        &self,
        resource_type: &str,
        mut index_of: F,
        mut progress: P,
    ) -> Result<u64, StoreError>
    where
        F: FnMut(&str) -> Result<ResourceIndex, BoxError>,
        P: FnMut(u64),
    {
        let ctx = AuditContext::default();
        let (mut after, mut done) = (0, 0u64);
        loop {
            let mut count = 0u64;
            let started = std::time::Instant::now();
            let last = self.transaction(&ctx, |tx| {
                count = 0;
                let mut counting = |body: &str| {
                    count += 1;
                    index_of(body)
                };
                tx.reindex_page(resource_type, after, PAGE, &mut counting)
            })?;
            let Some(last) = last else {
                return Ok(done);
            };
            done += count;
            after = last;
            progress(done);
            if self.is_sqlite() {
                std::thread::sleep(started.elapsed());
            }
        }
    }
}
