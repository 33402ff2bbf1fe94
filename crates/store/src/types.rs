//! Public value types of the store API.

use crate::error::StoreError;

/// A resource version as stored: `body` is the exact JSON text written, returned byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResource {
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    /// Microseconds since the Unix epoch (UTC).
    pub last_updated: i64,
    pub body: String,
}

impl StoredResource {
    /// `meta.versionId` / the ETag value (`W/"<version_id>"`).
    pub fn version_id(&self) -> String {
        self.version.to_string()
    }

    /// `meta.lastUpdated` as a FHIR instant.
    pub fn last_updated_instant(&self) -> String {
        format_instant(self.last_updated)
    }
}

/// What the renderer is told about the version being written; it must put `id`,
/// `meta.versionId` and `meta.lastUpdated` into the JSON it returns.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    pub resource_type: &'a str,
    pub id: &'a str,
    pub version_id: &'a str,
    /// FHIR instant, e.g. `2026-11-22T00:12:34.567890Z`.
    pub last_updated: &'a str,
    /// The same instant in microseconds since the Unix epoch.
    pub last_updated_micros: i64,
}

/// Who is writing: copied into every audit row written by the transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub request_id: Option<String>,
    pub client: Option<String>,
}

/// One resource of `Tx::create_many`.
pub struct BatchItem<'a, R> {
    pub resource_type: &'a str,
    /// A client-chosen id (must not exist yet), or `None` for a server id.
    pub id: Option<&'a str>,
    pub index: &'a custodian_search::index::ResourceIndex,
    /// Produces the JSON body given the assigned id, version and lastUpdated.
    pub render: R,
}

/// Result of an update (PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    pub resource: StoredResource,
    /// True when the update created the resource (no previous version, HTTP 201).
    pub created: bool,
}

/// Result of a delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// A tombstone version was written.
    Deleted { version: i64, last_updated: i64 },
    /// The resource was already deleted; nothing was written.
    AlreadyDeleted { version: i64 },
    /// No such resource; nothing was written.
    NotFound,
}

/// Result of a conditional create (`If-None-Exist`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionalCreate {
    Created(StoredResource),
    /// Exactly one resource matched; nothing was written (HTTP 200).
    Existing(StoredResource),
}

/// Which history.
#[derive(Debug, Clone, Copy)]
pub enum HistoryScope<'a> {
    System,
    Type(&'a str),
    Instance { resource_type: &'a str, id: &'a str },
}

/// Largest page `history` returns; bigger `_count` values are clamped to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// History parameters. Times are microseconds since the Unix epoch.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// `_since`: versions written at or after this instant.
    pub since: Option<i64>,
    /// `_at`: versions current at some point during `[low, high]` (inclusive), the range a
    /// FHIR date of any precision covers.
    pub at: Option<(i64, i64)>,
    /// `_count`, clamped to `MAX_PAGE_SIZE`; `None` means 50. `Some(0)` returns no entries.
    pub count: Option<u32>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// One version in a history page. `body` is `None` for deletions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    pub last_updated: i64,
    pub deleted: bool,
    pub body: Option<String>,
    /// How the version was written (POST, PUT, DELETE); `None` for rows from before it was
    /// recorded.
    pub written_by: Option<String>,
}

impl HistoryEntry {
    /// The request method a history bundle shows for this version.
    pub fn method(&self) -> &'static str {
        match self.written_by.as_deref() {
            Some("POST") => return "POST",
            Some("PUT") => return "PUT",
            Some("DELETE") => return "DELETE",
            _ => {}
        }
        if self.deleted {
            "DELETE"
        } else if self.version == 1 {
            "POST"
        } else {
            "PUT"
        }
    }
}

/// A page of history, newest first. `next` is an opaque cursor for the following page; paging
/// by cursor neither skips nor repeats versions while other writes continue (new versions only
/// appear on a fresh first page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub next: Option<String>,
}

/// An audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: i64,
    pub action: String,
    pub resource_type: String,
    pub id: String,
    pub version: i64,
    pub request_id: Option<String>,
    pub client: Option<String>,
}

/// FHIR instant with microseconds, UTC.
pub fn format_instant(micros: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => "1970-01-01T00:00:00.000000Z".to_owned(),
    }
}

pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// `[A-Za-z0-9\-.]{1,64}`
pub fn validate_id(id: &str) -> Result<(), StoreError> {
    // `.` and `..` fit FHIR's id pattern, but as a URL segment they name the parent path
    // (RFC 3986 5.2.4): `Patient/..` would be unreachable and its Location point elsewhere.
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidId(id.chars().take(80).collect()))
    }
}

/// A FHIR resource type name: `[A-Z][A-Za-z]{0,63}`.
pub fn validate_type(t: &str) -> Result<(), StoreError> {
    let mut b = t.bytes();
    let ok = t.len() <= 64
        && b.next().is_some_and(|c| c.is_ascii_uppercase())
        && b.all(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidType(t.chars().take(80).collect()))
    }
}

/// A new server-assigned id: a UUID v7 (48-bit millisecond time prefix, so ids sort by creation
/// time; 74 random bits, so ids cannot be guessed).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn encode_cursor(seq: i64) -> String {
    format!("h{seq:x}")
}

pub(crate) fn decode_cursor(c: &str) -> Result<i64, StoreError> {
    let hex = c.strip_prefix('h').ok_or(StoreError::InvalidCursor)?;
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::InvalidCursor);
    }
    i64::from_str_radix(hex, 16).map_err(|_| StoreError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(validate_id("abc-DEF.123").is_ok());
        assert!(validate_id(&"a".repeat(64)).is_ok());
        assert!(validate_id(&"a".repeat(65)).is_err());
        for bad in [
            "",
            "a b",
            "a/b",
            "a'b",
            "é",
            "a_b",
            "1;DROP TABLE resources",
        ] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
        let id = new_id();
        assert!(validate_id(&id).is_ok());
        assert!(new_id() > id || new_id() != id);
    }

    #[test]
    fn types() {
        assert!(validate_type("Patient").is_ok());
        for bad in ["", "patient", "Pa tient", "Patient'", "P1"] {
            assert!(validate_type(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(12345)).ok(), Some(12345));
        for bad in ["", "h", "12", "hzz", "h-1' OR 1=1", "h11111111111111111"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants() {
        assert_eq!(format_instant(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_instant(1_500_000), "1970-01-01T00:00:01.500000Z");
    }
}
