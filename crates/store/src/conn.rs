//! Connections: the backend is chosen from the URL scheme (never by trial), SQLite gets its
//! per-connection PRAGMAs, and connection errors are reported as they are.
//!
//! Backend-specific SQL lives in this module (PRAGMAs, advisory lock, migration folders) and in
//! `tx.rs` (`lock_current`: `FOR UPDATE` on PostgreSQL). Everything else is shared query builder.

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::StoreError;

pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock that serializes migrations across processes.
const MIGRATION_LOCK_KEY: i64 = 0x00C0_57D1_A400_0001;

/// A pooled connection to either backend.
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    /// `sqlite://PATH` (relative or absolute: `sqlite:///abs/file.db`) or `postgres://...`
    /// (`postgresql://` too). Anything else is an error, never silently a file name.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains('?') || path == ":memory:" {
                return Err(StoreError::InvalidUrl(format!(
                    "{url}: expected sqlite://PATH to a database file"
                )));
            }
            Ok(Target::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target::Postgres(url.to_owned()))
        } else {
            Err(StoreError::InvalidUrl(format!(
                "{}: expected sqlite://PATH or postgres://...",
                redact(url)
            )))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Target::Sqlite(_))
    }
}

/// Hide a password in a URL before it goes into an error message or log.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// SQLite `synchronous` setting.
///
/// `Full` (the default) fsyncs the WAL at every commit: an acknowledged write survives power
/// loss. `Normal` fsyncs only at checkpoints: much faster, never corrupts the database, but the
/// last commits before a power cut (not a process crash) can be lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

#[derive(Debug, Clone)]
pub(crate) struct SqliteSettings {
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
    /// Page cache of each connection in MiB (the writer then sets its own).
    pub cache_mib: u32,
}

/// r2d2 connection manager for both backends.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: Target,
    sqlite: SqliteSettings,
}

/// Why a connection could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl ConnectionManager {
    pub(crate) fn new(target: Target, sqlite: SqliteSettings) -> Self {
        Self { target, sqlite }
    }

    /// A SQLite connection with the PRAGMAs applied (the writer's dedicated connection).
    pub(crate) fn establish_sqlite(&self) -> Result<SqliteConnection, StoreError> {
        match self.establish() {
            Ok(DbConn::Sqlite(c)) => Ok(c),
            Ok(DbConn::Pg(_)) => Err(StoreError::InvalidUrl("not a SQLite database".to_owned())),
            Err(ConnectError::Connection(e)) => Err(StoreError::Connect(e)),
            Err(ConnectError::Query(e)) => Err(e.into()),
        }
    }

    pub(crate) fn establish(&self) -> Result<DbConn, ConnectError> {
        match &self.target {
            Target::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())?;
                // Memory: a page cache of `cache_mib` (2 MiB by default) per connection (the
                // writer sets its own, 8 MiB by default): the 16 pooled readers each cache the
                // same hot pages, and at 8 MiB they took the benchmark's search and mixed loads
                // to 113 and 175-260 MB (98 and 175 MB at 2 MiB, searches within noise; a large
                // `_has` 1.5 ms slower; docs/benchmarks.md, session 9); a miss is a read from
                // the OS page cache. No mmap: every connection maps the file on
                // its own, which the benchmark saw as a resident set past 1 GB.
                // PRAGMA takes no bound parameters; the values are integers and keywords from
                // our own configuration, never from a request. busy_timeout first, so that
                // switching to WAL waits for other connections instead of failing.
                let sync = match self.sqlite.synchronous {
                    Synchronous::Full => "FULL",
                    Synchronous::Normal => "NORMAL",
                };
                let busy_ms = self.sqlite.busy_timeout.as_millis().min(i32::MAX as u128);
                let cache_kib = i64::from(self.sqlite.cache_mib.max(1)) * 1024;
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {busy_ms};\
                     PRAGMA journal_mode = WAL;\
                     PRAGMA synchronous = {sync};\
                     PRAGMA foreign_keys = ON;\
                     PRAGMA temp_store = MEMORY;\
                     PRAGMA cache_size = -{cache_kib};\
                     PRAGMA mmap_size = 0;"
                ))?;
                Ok(DbConn::Sqlite(c))
            }
            Target::Postgres(url) => {
                let mut c = PgConnection::establish(url)?;
                // No JIT: its compile time (~250 ms) dwarfs the short queries of a FHIR
                // server; the planner asked for it on a sorted page over 60k Encounters,
                // which then took 300-430 ms instead of 43 ms.
                if let Err(e) = c.batch_execute("SET jit = off") {
                    // A server without the setting (a PostgreSQL-compatible one) still works.
                    tracing::warn!(error = %e, "could not switch PostgreSQL JIT off");
                }
                Ok(DbConn::Pg(c))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        match conn {
            DbConn::Sqlite(c) => c.batch_execute("SELECT 1")?,
            DbConn::Pg(c) => c.batch_execute("SELECT 1")?,
        }
        Ok(())
    }

    /// A fast, local check (PostgreSQL: the socket or transaction state is bad), so that a
    /// checkout costs no round trip.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            DbConn::Sqlite(c) => c.is_broken(),
            DbConn::Pg(c) => c.is_broken(),
        }
    }
}

#[diesel::declare_sql_function]
extern "SQL" {
    fn custodian_param_key(
        resource_type: diesel::sql_types::Text,
        code: diesel::sql_types::Text,
    ) -> diesel::sql_types::Integer;
}

/// Run pending migrations, serialized across processes (SQLite: one IMMEDIATE transaction;
/// PostgreSQL: a session advisory lock).
pub(crate) fn run_migrations(conn: &mut DbConn) -> Result<usize, StoreError> {
    fn mig(e: Box<dyn std::error::Error + Send + Sync>) -> StoreError {
        StoreError::Migration(e.to_string())
    }
    match conn {
        DbConn::Sqlite(c) => c.immediate_transaction(|c| {
            // The key of a (type, parameter) pair, for the migration that gave index rows
            // keys (`param_key.rs`); PostgreSQL's migration defines it in PL/pgSQL.
            custodian_param_key_utils::register_impl(c, |t: String, code: String| {
                crate::param_key::param_key(&t, &code)
            })?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(mig)
        }),
        DbConn::Pg(c) => {
            use diesel::sql_types::BigInt;
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(mig);
            diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
                .execute(c)?;
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_by_scheme() {
        assert_eq!(
            Target::parse("sqlite://./data/custodian.db").ok(),
            Some(Target::Sqlite(PathBuf::from("./data/custodian.db")))
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/x.db").ok(),
            Some(Target::Sqlite(PathBuf::from("/tmp/x.db")))
        );
        assert!(matches!(
            Target::parse("postgres://u:p@localhost/db"),
            Ok(Target::Postgres(_))
        ));
        assert!(Target::parse("/tmp/x.db").is_err());
        assert!(Target::parse("mysql://x").is_err());
        assert!(Target::parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://user:secret@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(redact("postgres://host/db"), "postgres://host/db");
    }
}
