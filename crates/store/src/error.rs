//! The store's error type. Every variant is something a caller can act on (map to HTTP, retry,
//! report); database details are kept as the source.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Boxed error produced by a caller's renderer or matcher.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such resource (or version).
    #[error("{resource_type}/{id} not found")]
    NotFound { resource_type: String, id: String },
    /// The resource's current version is a deletion (HTTP 410).
    #[error("{resource_type}/{id} was deleted (version {version})")]
    Gone {
        resource_type: String,
        id: String,
        version: i64,
        last_updated: i64,
    },
    /// `If-Match` named a version that is not the current one (HTTP 412 / 409).
    /// `actual` is `None` when the resource does not exist.
    #[error("version conflict: expected version {expected}, current is {actual:?}")]
    VersionConflict { expected: i64, actual: Option<i64> },
    /// A unique key was already taken (e.g. the same id created twice in one bundle).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// Several resources match conditional-create criteria (HTTP 412).
    #[error("{count} resources match the conditional criteria")]
    MultipleMatches { count: usize },
    /// The id does not match `[A-Za-z0-9\-.]{1,64}`.
    #[error("invalid id {0:?}: expected 1-64 characters of [A-Za-z0-9-.]")]
    InvalidId(String),
    /// The resource type is not a plausible FHIR type name.
    #[error("invalid resource type {0:?}")]
    InvalidType(String),
    /// A history or search paging cursor that this store did not produce (or another query's).
    #[error("invalid paging cursor")]
    InvalidCursor,
    /// A search the store cannot run (e.g. an unsupported modifier or too many sort keys);
    /// the server answers 400.
    #[error("unsupported search: {0}")]
    UnsupportedSearch(String),
    /// A URL the store cannot use.
    #[error("invalid database url: {0}")]
    InvalidUrl(String),
    /// The caller's renderer failed; nothing was written.
    #[error("rendering the resource failed: {0}")]
    Render(#[source] BoxError),
    /// The rendered body is not UTF-8 JSON text.
    #[error("rendered body is not UTF-8")]
    BodyNotUtf8,
    /// A concurrent writer touched the same row; the transaction was rolled back and may be
    /// retried as a whole (`Store::transaction` retries these itself).
    #[error("concurrent write, retry the transaction: {0}")]
    Contention(String),
    /// Could not open a connection (the real error, e.g. authentication or a missing file).
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// The commit of a (group) transaction failed; nothing of this write was kept.
    #[error("commit failed: {0}")]
    Commit(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[source] DieselError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        if is_transient(&e) {
            StoreError::Contention(e.to_string())
        } else {
            StoreError::Database(e)
        }
    }
}

impl StoreError {
    /// Whether the database itself is unreachable (connection lost or refused): a 503 for the
    /// client, not a bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect(_) | StoreError::Pool(_) => true,
            StoreError::Database(DieselError::DatabaseError(kind, _)) => matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            ),
            _ => false,
        }
    }

    /// Whether running the whole transaction again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Contention(_))
    }
}

/// SQLite BUSY/LOCKED, PostgreSQL serialization failures and deadlocks.
pub(crate) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked")
                || m.contains("database table is locked")
                || m.contains("deadlock detected")
        }
        _ => false,
    }
}

pub(crate) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
