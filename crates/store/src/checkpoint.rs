//! SQLite WAL checkpoints on a background thread.
//!
//! By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: the
//! writer copies pages into the database file and fsyncs it while every other write of the
//! process waits on it (a fifth of the server's time under a transaction-bundle load). Here the
//! writer's own automatic checkpoint is only a backstop for a WAL that grew very large, and
//! this thread runs PASSIVE checkpoints on its own connection after writes. PASSIVE
//! checkpoints never block the writer or readers; durability is unchanged (each commit is
//! still synced to the WAL by the writer).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::conn::ConnectionManager;

/// WAL pages at which the writer checkpoints itself anyway (32 MiB of 4 KiB pages): only when
/// this thread falls far behind.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 8192;

/// Least time between two background checkpoints, so that a burst of commits is copied in one.
const MIN_INTERVAL: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Signal {
    dirty: bool,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    signal: Mutex<Signal>,
    wake: Condvar,
    /// Mirrors `signal.dirty` so that `wrote` costs no lock while a checkpoint is pending.
    pending: AtomicBool,
}

pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(manager: ConnectionManager) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("custodian-checkpoint".to_owned())
            .spawn({
                let shared = shared.clone();
                move || run(&shared, &manager)
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Called after each commit: there is something to checkpoint.
    pub(crate) fn wrote(&self) {
        if self.shared.pending.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Ok(mut s) = self.shared.signal.lock() {
            s.dirty = true;
        }
        self.shared.wake.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shared.signal.lock() {
            s.stop = true;
        }
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, manager: &ConnectionManager) {
    let mut conn = None;
    loop {
        {
            let Ok(guard) = shared.signal.lock() else {
                return;
            };
            let Ok(mut s) = shared.wake.wait_while(guard, |s| !s.dirty && !s.stop) else {
                return;
            };
            if s.stop {
                return;
            }
            s.dirty = false;
            shared.pending.store(false, Ordering::Release);
        }
        if conn.is_none() {
            match manager.establish_sqlite() {
                Ok(c) => conn = Some(c),
                Err(e) => tracing::warn!(error = %e, "checkpoint connection failed"),
            }
        }
        if let Some(c) = conn.as_mut() {
            // Busy (another checkpoint is running) is fine: that one does the work.
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                tracing::debug!(error = %e, "background checkpoint did not run");
            }
        }
        std::thread::sleep(MIN_INTERVAL);
    }
}
