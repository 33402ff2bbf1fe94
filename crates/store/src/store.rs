//! `Store`: the pool, migrations, transactions and single-resource convenience methods.

use std::sync::Arc;
use std::time::Duration;

use custodian_search::index::ResourceIndex;

use crate::conn::{run_migrations, ConnectionManager, DbConn, SqliteSettings, Synchronous, Target};
use crate::error::{BoxError, StoreError};
use crate::tx::{Tx, TxConn};
use crate::types::*;
use crate::writer::{WriteKind, Writer};

/// How often `Store::transaction` runs a transaction again after `Contention`.
const MAX_ATTEMPTS: u32 = 20;

/// Open-time settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size (readers and writers together).
    pub max_connections: u32,
    /// How long to wait for a pooled connection.
    pub connection_timeout: Duration,
    /// SQLite `synchronous` (see `Synchronous`); ignored for PostgreSQL.
    pub sqlite_synchronous: Synchronous,
    /// SQLite busy timeout: how long a writer waits for another process's write lock.
    pub busy_timeout: Duration,
    /// Run pending migrations in `open` (the server does; `custodian migrate` does it alone).
    pub migrate: bool,
    /// SQLite: let concurrent writes share one commit (see `writer.rs`). Off: every write
    /// commits (and with `synchronous=FULL`, fsyncs) on its own.
    pub group_commit: bool,
    /// SQLite: the page cache of each reader connection in MiB. Sixteen readers cache mostly
    /// the same pages: 2 keeps the server's resident set small; large data sets searched by
    /// `_has` or wide filters run faster with 8 (docs/configuration.md).
    pub reader_cache_mib: u32,
    /// SQLite: the page cache of the writer's connection in MiB. A bulk
    /// import gives it more, so that its large transactions spill fewer pages midway and
    /// re-read fewer index pages.
    pub writer_cache_mib: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connection_timeout: Duration::from_secs(30),
            sqlite_synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(30),
            migrate: true,
            group_commit: true,
            writer_cache_mib: 8,
            reader_cache_mib: 2,
        }
    }
}

/// The store. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<ConnectionManager>,
    target: Target,
    /// SQLite only: the single writer connection with group commit. Writers of this process
    /// queue on its mutex instead of spinning in SQLite's busy handler; other processes are
    /// kept out by `BEGIN IMMEDIATE` plus the busy timeout.
    writer: Option<Arc<Writer>>,
    /// For reads on the calling thread (`read_here`): SQLite connections are opened like the
    /// pool's, and kept per thread under this store's id.
    manager: ConnectionManager,
    id: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open `sqlite://PATH` (the parent directory is created) or `postgres://...`.
    /// The first connection is made directly so its real error is reported.
    pub fn open(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        let target = Target::parse(url)?;
        if let Target::Sqlite(path) = &target {
            if let Some(parent) = path.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
        }
        let manager = ConnectionManager::new(
            target.clone(),
            SqliteSettings {
                synchronous: options.sqlite_synchronous,
                busy_timeout: options.busy_timeout,
                cache_mib: options.reader_cache_mib,
            },
        );
        let mut first = manager.establish().map_err(|e| match e {
            crate::conn::ConnectError::Connection(c) => StoreError::Connect(c),
            crate::conn::ConnectError::Query(q) => StoreError::from(q),
        })?;
        if options.migrate {
            run_migrations(&mut first)?;
        }
        drop(first);
        let writer = target.is_sqlite().then(|| {
            Arc::new(Writer::new(
                manager.clone(),
                options.group_commit,
                options.writer_cache_mib,
            ))
        });
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connection_timeout)
            // PostgreSQL connections can die under us (restart, failover, idle timeouts) and
            // diesel's `has_broken` only sees transaction state, not the socket: check them on
            // checkout. SQLite connections cannot break.
            .test_on_check_out(!target.is_sqlite())
            .build(manager.clone())?;
        Ok(Self {
            pool,
            target,
            writer,
            manager,
            id: crate::local_reader::next_store_id(),
        })
    }

    /// Run pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.get()?;
        run_migrations(&mut conn)
    }

    /// Refreshes the planner's statistics after a bulk load: PostgreSQL `ANALYZE`, so that
    /// searches right after an import do not wait for autovacuum to notice the new rows (on
    /// the benchmark data a chained search took 110 ms instead of 5 ms until it did). Nothing
    /// on SQLite, whose search plans the store picks itself assuming no statistics
    /// (docs/search.md).
    pub fn analyze(&self) -> Result<(), StoreError> {
        if self.is_sqlite() {
            return Ok(());
        }
        let mut conn = self.pool.get()?;
        match &mut *conn {
            DbConn::Pg(c) => {
                use diesel::connection::SimpleConnection;
                c.batch_execute("ANALYZE")?;
            }
            DbConn::Sqlite(_) => {}
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.target.is_sqlite()
    }

    /// Run `f` in one database transaction: everything it writes commits together or not at
    /// all (an `Err` rolls back). On `Contention` (a concurrent writer won a race, SQLite busy,
    /// PostgreSQL serialization failure or deadlock) the whole transaction is run again, so `f`
    /// must not have side effects outside the database. SQLite transactions start with
    /// `BEGIN IMMEDIATE`, so they never fail upgrading a read lock. On SQLite the transaction
    /// shares a group commit with concurrent ones (see `writer.rs`; when another write of the
    /// group fails after writing, the group is rolled back and `f` runs again): `f` must not
    /// call back into this `Store` for writes (it would wait for itself); use the `Tx` it is
    /// given.
    pub fn transaction<T, F>(&self, ctx: &AuditContext, mut f: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.transaction_once(ctx, WriteKind::Transaction, &mut f);
            match result {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "retrying transaction");
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10))));
                }
                other => return other,
            }
        }
    }

    /// Like `transaction`, for one resource's write: on SQLite it joins a group commit
    /// without a savepoint (it fails, if at all, before changing rows).
    pub fn write_one<T, F>(&self, ctx: &AuditContext, mut f: F) -> Result<T, StoreError>
    where
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.transaction_once(ctx, WriteKind::Single, &mut f) {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "retrying write");
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10))));
                }
                other => return other,
            }
        }
    }

    fn transaction_once<T, F>(
        &self,
        ctx: &AuditContext,
        kind: WriteKind,
        f: &mut F,
    ) -> Result<T, StoreError>
    where
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        if let Some(writer) = &self.writer {
            return writer.write(ctx, kind, f);
        }
        let mut conn = self.pool.get()?;
        match &mut *conn {
            DbConn::Sqlite(c) => c.immediate_transaction(|c| {
                let mut tx = Tx::new(TxConn::Sqlite(c), ctx);
                f(&mut tx)
            }),
            DbConn::Pg(c) => {
                use diesel::Connection;
                c.transaction(|c| {
                    let mut tx = Tx::new(TxConn::Pg(c), ctx);
                    f(&mut tx)
                })
            }
        }
    }

    /// Run read-only work on a pooled connection, outside any explicit transaction.
    pub fn with_reader<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        let ctx = AuditContext::default();
        let mut conn = self.pool.get()?;
        match &mut *conn {
            DbConn::Sqlite(c) => f(&mut Tx::new(TxConn::Sqlite(c), &ctx)),
            DbConn::Pg(c) => f(&mut Tx::new(TxConn::Pg(c), &ctx)),
        }
    }

    pub fn read(&self, resource_type: &str, id: &str) -> Result<StoredResource, StoreError> {
        self.with_reader(|tx| tx.read(resource_type, id))
    }

    /// SQLite: run cheap read-only work on the calling thread's own connection (see
    /// `local_reader.rs`), for callers on an async worker. `None` on PostgreSQL, whose reads
    /// cross the network and belong on a blocking thread (`with_reader`).
    pub fn here<T, F>(&self, f: F) -> Option<Result<T, StoreError>>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        if !self.target.is_sqlite() {
            return None;
        }
        let ctx = AuditContext::default();
        Some(crate::local_reader::with_reader(
            self.id,
            &self.manager,
            |c| f(&mut Tx::new(TxConn::Sqlite(c), &ctx)),
        ))
    }

    pub fn vread(
        &self,
        resource_type: &str,
        id: &str,
        version: i64,
    ) -> Result<StoredResource, StoreError> {
        self.with_reader(|tx| tx.vread(resource_type, id, version))
    }

    pub fn history(
        &self,
        scope: HistoryScope<'_>,
        query: &HistoryQuery,
    ) -> Result<HistoryPage, StoreError> {
        self.with_reader(|tx| tx.history(scope, query))
    }

    pub fn audit_for(&self, resource_type: &str, id: &str) -> Result<Vec<AuditRecord>, StoreError> {
        self.with_reader(|tx| tx.audit_for(resource_type, id))
    }

    pub fn create<R>(
        &self,
        ctx: &AuditContext,
        resource_type: &str,
        index: &ResourceIndex,
        mut render: R,
    ) -> Result<StoredResource, StoreError>
    where
        R: FnMut(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        self.write_one(ctx, |tx| tx.create(resource_type, index, &mut render))
    }

    pub fn create_conditional<R, F>(
        &self,
        ctx: &AuditContext,
        resource_type: &str,
        criteria: &str,
        mut find: F,
        index: &ResourceIndex,
        mut render: R,
    ) -> Result<ConditionalCreate, StoreError>
    where
        R: FnMut(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
        F: FnMut(&mut Tx<'_>) -> Result<Vec<String>, StoreError>,
    {
        self.write_one(ctx, |tx| {
            tx.create_conditional(resource_type, criteria, &mut find, index, &mut render)
        })
    }

    pub fn update<R>(
        &self,
        ctx: &AuditContext,
        resource_type: &str,
        id: &str,
        expected: Option<i64>,
        index: &ResourceIndex,
        mut render: R,
    ) -> Result<UpdateOutcome, StoreError>
    where
        R: FnMut(&Meta<'_>) -> Result<Vec<u8>, BoxError>,
    {
        self.write_one(ctx, |tx| {
            tx.update(resource_type, id, expected, index, &mut render)
        })
    }

    pub fn delete(
        &self,
        ctx: &AuditContext,
        resource_type: &str,
        id: &str,
        expected: Option<i64>,
    ) -> Result<DeleteOutcome, StoreError> {
        self.write_one(ctx, |tx| tx.delete(resource_type, id, expected))
    }
}
