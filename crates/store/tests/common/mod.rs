//! Test databases: a temp SQLite file, or a database on a PostgreSQL server (from
//! `CUSTODIAN_TEST_POSTGRES_URL`, or a throwaway cluster started once per test binary).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod pg;

use custodian_store::{Store, StoreOptions, Synchronous};

pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/dir/test.db", dir.path().display());
        Self {
            url,
            _dir: Some(dir),
        }
    }

    /// `None` (with a loud message) when PostgreSQL is unavailable outside CI.
    pub fn postgres() -> Option<Self> {
        let url = pg::fresh_database()?;
        Some(Self { url, _dir: None })
    }

    pub fn options() -> StoreOptions {
        StoreOptions {
            // Tests commit thousands of times; durability is not what they check.
            sqlite_synchronous: Synchronous::Normal,
            max_connections: 20,
            ..StoreOptions::default()
        }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.url, Self::options()).unwrap()
    }
}
