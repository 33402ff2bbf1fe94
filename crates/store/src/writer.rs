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
//! in a new group (`Store::transaction` and `Store::write_one` retry them). Transactions
//! (Bundles) fail after writing as a matter of course (an `If-Match` after their creates), so
//! one that joins a group runs in a SAVEPOINT, whose cost its many writes share. Other
//! processes are kept out by `BEGIN IMMEDIATE` and the busy timeout.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

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
    /// Several (a Bundle): may fail after writing, so it runs in a savepoint when joining.
    Transaction,
}

/// Most writes committed together (bounds the latency of the first writer of a group).
const MAX_GROUP: usize = 128;

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
    /// Every group up to this number has ended (committed or failed).
    ended: u64,
    /// Groups that did not commit (recent ones only), with the reason and whether their
    /// writes may simply run again (the group was rolled back for another write's failure).
    failures: VecDeque<(u64, String, bool)>,
}

pub(crate) struct Writer {
    manager: ConnectionManager,
    group_commit: bool,
    queued: AtomicUsize,
    state: Mutex<State>,
    ended: Condvar,
    /// Checkpoints the WAL off the write path (see `checkpoint.rs`); `None` if its thread
    /// could not start, and then the writer checkpoints as SQLite does by default.
    checkpointer: Option<Checkpointer>,
}

impl Writer {
    pub(crate) fn new(manager: ConnectionManager, group_commit: bool) -> Self {
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
            queued: AtomicUsize::new(0),
            state: Mutex::new(State::default()),
            ended: Condvar::new(),
            checkpointer,
        }
    }

    /// The writer's connection: with a background checkpointer, its own automatic checkpoint
    /// is only a backstop.
    fn connect(&self) -> Result<SqliteConnection, StoreError> {
        let mut conn = self.manager.establish_sqlite()?;
        if self.checkpointer.is_some() {
            use diesel::connection::SimpleConnection;
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
                    let group = g.group;
                    g.failures
                        .push_back((group, "a writer panicked".to_owned(), false));
                    g.ended = group;
                    self.ended.notify_all();
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
        } else if kind == WriteKind::Transaction {
            // A Bundle joining a group runs in a savepoint: it may well fail after writing
            // (an If-Match after its creates), and must then not make the group's other
            // writes run again. Its many writes amortize the savepoint's page copies.
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
                return result;
            }
            result
        };
        if alone && result.is_err() {
            st.in_txn = false;
            if let Some(conn) = st.conn.as_mut() {
                if <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(conn).is_err() {
                    st.conn = None;
                }
            }
            st.ended = group;
            self.ended.notify_all();
            return result;
        }
        st.members += 1;

        let defer =
            self.group_commit && st.members < MAX_GROUP && self.queued.load(Ordering::SeqCst) > 0;
        if defer {
            // A queued writer will commit (or defer to the next one; the last one commits).
            let value = result?;
            let st = self
                .ended
                .wait_while(st, |s| s.ended < group)
                .unwrap_or_else(|p| p.into_inner());
            if let Some((_, why, retry)) = st.failures.iter().find(|(g, ..)| *g == group) {
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
        st.ended = group;
        if let Err(why) = &commit {
            Self::record_failure(st, group, why.clone(), false);
        }
        self.ended.notify_all();
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
        Self::record_failure(
            st,
            group,
            "another write of the group failed; running this one again".to_owned(),
            true,
        );
        st.ended = group;
        self.ended.notify_all();
    }

    fn record_failure(st: &mut State, group: u64, why: String, retry: bool) {
        st.failures.push_back((group, why, retry));
        if st.failures.len() > 64 {
            st.failures.pop_front();
        }
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

mod sql {
    diesel::define_sql_function! {
        /// Rows changed by INSERT, UPDATE and DELETE statements on this connection so far.
        fn total_changes() -> diesel::sql_types::BigInt;
    }
}

fn total_changes(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    Ok(diesel::select(sql::total_changes()).get_result(conn)?)
}
