//! custodian-store: versioned FHIR resource persistence on SQLite and PostgreSQL
//! (diesel 2 + r2d2).
//!
//! - `Store::open("sqlite://data/custodian.db" | "postgres://...", StoreOptions)`
//! - `Store::transaction(&ctx, |tx| { tx.create(..)?; tx.update(..)?; .. })`: many writes, one
//!   database transaction (bundles); `Store::create/update/delete` wrap one write each.
//! - Reads (`read`, `vread`, `history`) return the stored JSON text byte for byte.
//!
//! Writers pass a renderer: the store assigns the version id and lastUpdated inside the
//! transaction and the renderer produces the final JSON with `meta` set.

mod batch;
mod checkpoint;
mod conn;
mod contained;
mod error;
mod index_rows;
mod local_reader;
mod param_key;
mod reindex;
pub mod schema;
mod search;
mod store;
mod tx;
mod types;
mod writer;

pub use conn::{ConnectError, ConnectionManager, DbConn, Synchronous, Target};
pub use error::{BoxError, StoreError};
pub use param_key::param_key;
pub use search::{
    IncludeCut, PageRequest, SearchResult, MAX_INCLUDED, MAX_INCLUDE_ROUNDS, MAX_SORT_KEYS,
    PROBE_LIMIT,
};
pub use store::{Store, StoreOptions};
pub use tx::Tx;
pub use types::{
    format_instant, new_id, validate_id, validate_type, AuditContext, AuditRecord, BatchItem,
    ConditionalCreate, DeleteOutcome, HistoryEntry, HistoryPage, HistoryQuery, HistoryScope, Meta,
    StoredResource, UpdateOutcome, MAX_PAGE_SIZE,
};
