//! SQLite writer with group commit.
//!
//! SQLite has one writer at a time. All writes of this process go through one dedicated
//! connection guarded by a mutex; the writes of a group share one `BEGIN IMMEDIATE`
//! transaction. A writer that finishes while other writers are queued leaves the transaction
//! open and waits; the last writer of the group commits for everyone, so with
//! `synchronous=FULL` concurrent writers share one fsync instead of paying one each. Nobody is
//! told "done" before the commit that contains their write has succeeded.
//!
//! A failing write must not take the others down. Single-resource writes do not run in
//! SAVEPOINTs (SQLite copies every page a savepoint touches into a subjournal: a quarter of
//! the writer's time for one create). Instead the writer compares SQLite's `total_changes()`
//! around each write: their failures (a version conflict, a missing resource, a refused
//! conditional) happen before the write changes anything, and SQLite has already undone the
//! failed statement itself, so the group goes on. One that fails after changing rows anyway
//! rolls the whole group back; the group's other writes are told `Contention` and run again
//! in a new group (`Store::transaction` and `Store::write_one` retry them).
//!
//! Transactions (Bundles) can fail after writing (an `If-Match` after their creates), but
//! rarely do, so a Bundle joins a group the same way: no savepoint (it cost a sixth of the
//! writer's time under Bundles: 90 → 103-108 Bundles/s without), and a failure after writing
//! rolls the group back. So that a client sending such Bundles cannot keep rolling back other
//! clients' writes, Bundles that join a group run in a SAVEPOINT for
//! [`CAREFUL_AFTER_BUNDLE_FAILURE`] after one did. Other processes are kept out by
//! `BEGIN IMMEDIATE` and the busy timeout.
//!
//! After an I/O error, a full disk or lack of memory in a statement without a statement
//! journal, SQLite rolls the whole transaction back itself. A failed member's group is
//! therefore checked for a transaction that is no longer open (`transaction_lost`) before it
//! goes on; otherwise the group's later writes would each commit on their own.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

use crate::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use crate::conn::ConnectionManager;
use crate::error::StoreError;
use crate::tx::{Tx, TxConn};
use crate::types::AuditContext;

/// What a write is, for how it joins a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// One resource: fails, if at all, before changing rows (see the module doc).
    Single,
    /// Several (a Bundle): may fail after writing (see the module doc).
    Transaction,
}

/// Most writes committed together (bounds the latency of the first writer of a group).
const MAX_GROUP: usize = 128;

/// How long Bundles that join a group run in a savepoint after one failed after writing and
/// so rolled its group back (see the module doc): at most one such rollback per this time.
pub(crate) const CAREFUL_AFTER_BUNDLE_FAILURE: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    conn: Option<SqliteConnection>,
    in_txn: bool,
    /// Number of the open (or last) group.
    group: u64,
    /// Writes in the open group.
    members: usize,
    /// The newest `lastUpdated` in the database as the open group's writes left it (see
    /// `Tx::write_instant`): read once per group, since only this writer writes meanwhile.
    newest_instant: Option<i64>,
    /// Until when Bundles joining a group run in a savepoint (see the module doc).
    careful_until: Option<Instant>,
}

/// How groups ended, apart from [`State`]: a group's members wait on this, so that their
/// wake-ups after a commit do not contend for the lock the next group's writers need.
#[derive(Default)]
struct Ended {
    /// Every group up to this number has ended (committed or failed).
    group: u64,
    /// Groups that did not commit (recent ones only), with the reason and whether their
    /// writes may simply run again (the group was rolled back for another write's failure).
    failures: VecDeque<(u64, String, bool)>,
}

pub(crate) struct Writer {
    manager: ConnectionManager,
    group_commit: bool,
    /// The connection's page cache, MiB.
    cache_mib: u32,
    queued: AtomicUsize,
    state: Mutex<State>,
    ended: Mutex<Ended>,
    ended_signal: Condvar,
    /// Checkpoints the WAL off the write path (see `checkpoint.rs`); `None` if its thread
    /// could not start, and then the writer checkpoints as SQLite does by default.
    checkpointer: Option<Checkpointer>,
}

impl Writer {
    pub(crate) fn new(manager: ConnectionManager, group_commit: bool, cache_mib: u32) -> Self {
        let checkpointer = match Checkpointer::start(manager.clone()) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "no background checkpoint thread");
                None
            }
        };
        Self {
            manager,
            group_commit,
            cache_mib,
            queued: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
            ended: Mutex::new(Ended::default()),
            ended_signal: Condvar::new(),
            checkpointer,
        }
    }

    /// The writer's connection: with a background checkpointer, its own automatic checkpoint
    /// is only a backstop.
    fn connect(&self) -> Result<SqliteConnection, StoreError> {
        use diesel::connection::SimpleConnection;
        let mut conn = self.manager.establish_sqlite()?;
        // An integer of the configuration, not a value from a request (PRAGMA takes no binds).
        let kib = i64::from(self.cache_mib).saturating_mul(1024);
        conn.batch_execute(&format!("PRAGMA cache_size = -{kib}"))?;
        if self.checkpointer.is_some() {
            // An integer constant of ours, not a value from a request (PRAGMA takes no binds).
            conn.batch_execute(&format!(
                "PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}"
            ))?;
        }
        Ok(conn)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                // A writer panicked inside the open group: its connection state is unknown.
                // Drop it (SQLite rolls the transaction back) and fail the whole group.
                let mut g = poisoned.into_inner();
                if g.in_txn {
                    g.conn = None;
                    g.in_txn = false;
                    self.end(g.group, Some(("a writer panicked".to_owned(), false)));
                }
                self.state.clear_poison();
                g
            }
        }
    }

    /// Run `f` as one atomic write and return once it is durably committed. It joins the open
    /// group, single writes and Bundles alike: a Bundle's 100 creates touch many of the same
    /// index pages as the next one's, so sharing a commit writes fewer WAL pages per Bundle
    /// (transaction Bundles at 64 connections: 38-43 → 44-54 per second). A transaction
    /// that joins a group runs in a savepoint, a single write does not (see the module doc).
    pub(crate) fn write<T, F>(
        &self,
        ctx: &AuditContext,
        kind: WriteKind,
        f: &mut F,
    ) -> Result<T, StoreError>
    where
        F: FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut st = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);

        if st.conn.is_none() {
            st.conn = Some(self.connect()?);
        }
        let State { conn, in_txn, .. } = &mut *st;
        let Some(conn) = conn.as_mut() else {
            return Err(StoreError::Commit("no writer connection".to_owned()));
        };
        if !*in_txn {
            AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")?;
            *in_txn = true;
            st.group += 1;
            st.members = 0;
            // Another process may have written since the last group.
            st.newest_instant = None;
        }
        let group = st.group;
        let alone = st.members == 0;
        let careful = kind == WriteKind::Transaction
            && st.careful_until.is_some_and(|until| Instant::now() < until);
        let State {
            conn,
            newest_instant,
            ..
        } = &mut *st;
        let Some(conn) = conn.as_mut() else {
            return Err(StoreError::Commit("no writer connection".to_owned()));
        };
        let result = if alone {
            // First in the group: on error the whole (one-member) transaction is rolled back
            // below.
            run_member(conn, ctx, newest_instant, f)
        } else if careful {
            // A Bundle failed after writing lately: this one must not roll the group back.
            conn.transaction(|c| run_member(c, ctx, newest_instant, f))
        } else {
            let before = match total_changes(conn) {
                Ok(n) => n,
                Err(e) => {
                    // Not even a counter read works: end the group rather than leave its
                    // waiting members without a commit.
                    self.abort_group(&mut st);
                    return Err(e);
                }
            };
            let result = run_member(conn, ctx, newest_instant, f);
            if result.is_err() && total_changes(conn).map_or(true, |after| after != before) {
                // It changed rows before failing: only a rollback of the group removes them.
                self.abort_group(&mut st);
                if kind == WriteKind::Transaction {
                    st.careful_until = Some(Instant::now() + CAREFUL_AFTER_BUNDLE_FAILURE);
                }
                return result;
            }
            result
        };
        if !alone && result.is_err() && st.conn.as_mut().is_some_and(transaction_lost) {
            // SQLite rolled the group back itself: its other writes run again.
            self.abort_group(&mut st);
            return result;
        }
        if alone && result.is_err() {
            st.in_txn = false;
            if let Some(conn) = st.conn.as_mut() {
                if <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(conn).is_err() {
                    st.conn = None;
                }
            }
            self.end(group, None);
            return result;
        }
        st.members += 1;

        let defer =
            self.group_commit && st.members < MAX_GROUP && self.queued.load(Ordering::SeqCst) > 0;
        if defer {
            // A queued writer will commit (or defer to the next one; the last one commits).
            let value = result?;
            drop(st);
            let ended = self.lock_ended();
            let ended = self
                .ended_signal
                .wait_while(ended, |e| e.group < group)
                .unwrap_or_else(|p| p.into_inner());
            if let Some((_, why, retry)) = ended.failures.iter().find(|(g, ..)| *g == group) {
                return Err(if *retry {
                    StoreError::Contention(why.clone())
                } else {
                    StoreError::Commit(why.clone())
                });
            }
            return Ok(value);
        }
        self.end_group(&mut st)?;
        result
    }

    /// Commit the open group and wake its members.
    fn end_group(&self, st: &mut State) -> Result<(), StoreError> {
        let group = st.group;
        let commit = self.commit(st);
        self.end(group, commit.as_ref().err().map(|why| (why.clone(), false)));
        commit.map_err(StoreError::Commit)
    }

    /// Roll the open group back because one of its writes failed after changing rows; the
    /// group's other writes run again.
    fn abort_group(&self, st: &mut State) {
        let group = st.group;
        st.in_txn = false;
        if let Some(conn) = st.conn.as_mut() {
            if <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(conn).is_err() {
                st.conn = None;
            }
        }
        self.end(
            group,
            Some((
                "another write of the group failed; running this one again".to_owned(),
                true,
            )),
        );
    }

    /// Marks `group` ended, with why it failed (and whether its writes may run again) if it
    /// did not commit, and wakes its members.
    fn end(&self, group: u64, failure: Option<(String, bool)>) {
        let mut ended = self.lock_ended();
        ended.group = group;
        if let Some((why, retry)) = failure {
            ended.failures.push_back((group, why, retry));
            if ended.failures.len() > 64 {
                ended.failures.pop_front();
            }
        }
        drop(ended);
        self.ended_signal.notify_all();
    }

    /// Only this module's short critical sections hold it, none of which panics; a poisoned
    /// lock's data is still whole.
    fn lock_ended(&self) -> MutexGuard<'_, Ended> {
        self.ended.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn commit(&self, st: &mut State) -> Result<(), String> {
        st.in_txn = false;
        let Some(conn) = st.conn.as_mut() else {
            return Err("no writer connection".to_owned());
        };
        match <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(
            conn,
        ) {
            Ok(()) => {
                if let Some(c) = &self.checkpointer {
                    c.wrote();
                }
                Ok(())
            }
            Err(e) => {
                let rolled_back = <AnsiTransactionManager as TransactionManager<
                    SqliteConnection,
                >>::rollback_transaction(conn);
                if rolled_back.is_err() {
                    st.conn = None;
                }
                Err(format!("commit failed: {e}"))
            }
        }
    }
}

/// Runs one member of the group on the writer's connection, carrying the group's newest
/// `lastUpdated` in and out. A failed write may have taken an instant it did not use:
/// harmless, the next one is only higher.
fn run_member<T, F>(
    conn: &mut SqliteConnection,
    ctx: &AuditContext,
    newest_instant: &mut Option<i64>,
    f: &mut F,
) -> Result<T, StoreError>
where
    F: FnMut(&mut Tx<'_>) -> Result<T, StoreError>,
{
    let mut tx = Tx::new(TxConn::Sqlite(conn), ctx).knowing_newest_instant(*newest_instant);
    let result = f(&mut tx);
    *newest_instant = tx.newest_instant();
    result
}

/// Whether SQLite has ended the open transaction itself (see the module doc): a `BEGIN`
/// succeeds only outside a transaction. The `BEGIN` it may start is rolled back with the
/// group.
fn transaction_lost(conn: &mut SqliteConnection) -> bool {
    use diesel::connection::SimpleConnection;
    match conn.batch_execute("BEGIN") {
        Ok(()) => true,
        Err(diesel::result::Error::DatabaseError(_, info)) => {
            !info.message().contains("within a transaction")
        }
        // Not knowing is treated as lost: the group then runs again from the start.
        Err(_) => true,
    }
}

mod sql {
    diesel::define_sql_function! {
        /// Rows changed by INSERT, UPDATE and DELETE statements on this connection so far.
        fn total_changes() -> diesel::sql_types::BigInt;
    }
}

fn total_changes(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(diesel::select(sql::total_changes()).get_result(conn)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    /// The writer's page cache is the configured size; readers keep their own.
    #[test]
    fn the_writer_connection_has_the_configured_cache() {
        use crate::conn::{SqliteSettings, Synchronous, Target};
        #[derive(diesel::QueryableByName)]
        struct CacheSize {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            cache_size: i64,
        }
        let dir = tempfile::tempdir().unwrap();
        let manager = ConnectionManager::new(
            Target::Sqlite(dir.path().join("w.db")),
            SqliteSettings {
                synchronous: Synchronous::Full,
                busy_timeout: Duration::from_secs(1),
                cache_mib: 2,
            },
        );
        let size = |conn: &mut SqliteConnection| {
            diesel::sql_query("PRAGMA cache_size")
                .get_result::<CacheSize>(conn)
                .unwrap()
                .cache_size
        };
        let mut writer = Writer::new(manager.clone(), true, 64).connect().unwrap();
        assert_eq!(size(&mut writer), -64 * 1024);
        let mut reader = manager.establish_sqlite().unwrap();
        assert_eq!(size(&mut reader), -2 * 1024);
    }

    /// A full disk in a statement without a statement journal makes SQLite roll the whole
    /// transaction back: the probe sees it (and not while the transaction is open).
    #[test]
    fn a_transaction_sqlite_rolled_back_itself_is_lost() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("CREATE TABLE t (b BLOB); PRAGMA max_page_count = 20;")
            .unwrap();
        conn.batch_execute("BEGIN IMMEDIATE; INSERT INTO t VALUES (zeroblob(100));")
            .unwrap();
        assert!(!transaction_lost(&mut conn));
        let full = (0..100).find_map(|_| {
            conn.batch_execute("INSERT INTO t VALUES (zeroblob(3000))")
                .err()
        });
        assert!(
            full.as_ref()
                .is_some_and(|e| e.to_string().contains("full")),
            "{full:?}"
        );
        assert!(transaction_lost(&mut conn));
    }
}
