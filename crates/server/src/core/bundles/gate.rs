//! How many Bundles are processed at once.
//!
//! A Bundle in process holds its parsed JSON, typed entries and index rows: a few MB for 100
//! entries. Its writes then queue for the single SQLite writer (or PostgreSQL's locks) anyway,
//! so letting 64 of them in at once buys no throughput and cost 300-450 MB of resident memory
//! under a 64-connection transaction load. Bundles beyond the limit wait, holding only their
//! request bytes, until one finishes.

use std::sync::{Condvar, Mutex};

pub(crate) struct Gate {
    in_use: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// One admitted Bundle; dropping it lets the next one in.
pub(crate) struct Permit<'a>(&'a Gate);

impl Gate {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            in_use: Mutex::new(0),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Waits for a free slot (on the caller's blocking thread).
    pub(crate) fn enter(&self) -> Permit<'_> {
        let guard = self.in_use.lock().unwrap_or_else(|p| p.into_inner());
        let mut in_use = self
            .freed
            .wait_while(guard, |n| *n >= self.limit)
            .unwrap_or_else(|p| p.into_inner());
        *in_use += 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut in_use = self.0.in_use.lock().unwrap_or_else(|p| p.into_inner());
        *in_use = in_use.saturating_sub(1);
        drop(in_use);
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn admits_at_most_the_limit() {
        let gate = Arc::new(Gate::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _permit = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*gate.in_use.lock().unwrap(), 0);
    }
}
