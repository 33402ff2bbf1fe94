//! SQLite reads on the calling thread, on a connection that thread keeps.
//!
//! A point read on SQLite takes microseconds; handing it to a pool of blocking threads and back
//! (two thread wake-ups, a pool checkout) costs more than the read. The server's async workers
//! therefore run cheap SQLite reads themselves, each on a connection of its own that lives as
//! long as the thread. WAL readers never wait for the writer, so such a read does not stall the
//! worker behind a write. PostgreSQL reads cross the network and stay on the blocking pool.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::sqlite::SqliteConnection;

use crate::conn::ConnectionManager;
use crate::error::StoreError;

/// Tells stores apart, so a thread never reads one store's file through another's connection
/// (tests open many stores in one process).
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn next_store_id() -> u64 {
    NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// This thread's reader: the id of the store it belongs to and the connection.
    static READER: Cell<Option<(u64, SqliteConnection)>> = const { Cell::new(None) };
}

/// Runs `f` on this thread's connection to the store `store_id`, opening it on first use (or
/// replacing one that belongs to another store). The connection is taken out of its slot while
/// `f` runs, so a nested call would open a second one rather than fail.
pub(crate) fn with_reader<T>(
    store_id: u64,
    manager: &ConnectionManager,
    f: impl FnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let kept = READER.with(Cell::take);
    let mut conn = match kept {
        Some((id, conn)) if id == store_id => conn,
        _ => manager.establish_sqlite()?,
    };
    let result = f(&mut conn);
    READER.with(|cell| cell.set(Some((store_id, conn))));
    result
}
