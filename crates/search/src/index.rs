//! Typed search index entries: what a resource contributes to search, one row per value.
//!
//! These types are the contract between extraction (this crate) and the store, which writes
//! each variant into its own table in the same transaction as the version it indexes.

/// Every index value extracted from one resource version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceIndex {
    pub entries: Vec<IndexEntry>,
    /// The resource's contained resources that search can find (`_contained=true|both`),
    /// each with its own entries; empty unless extraction was asked for them.
    pub contained: Vec<ContainedIndex>,
}

/// The index entries of one contained resource (`contained[]` with a `resourceType` and an
/// `id`, which its container's local references `#id` point at).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainedIndex {
    pub resource_type: String,
    pub id: String,
    pub entries: Vec<IndexEntry>,
}

/// One value of one search parameter (`param` is the parameter's `code`, e.g. `family`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub param: String,
    pub value: IndexValue,
}

/// The columns each search parameter type's comparisons need.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    /// `normalized` is lower-cased with accents removed (`Müller` -> `muller`) for the default
    /// starts-with and `:contains` matches; `exact` is the value as written, for `:exact`.
    String { normalized: String, exact: String },
    /// Coding, CodeableConcept, Identifier, ContactPoint, code, boolean. `display` is the
    /// normalized display/text used by `:text`.
    Token {
        system: Option<String>,
        code: Option<String>,
        display: Option<String>,
    },
    /// The instant range a date, dateTime, instant, Period or Timing covers, in microseconds
    /// since the Unix epoch, both ends inclusive. Open ends are `i64::MIN` / `i64::MAX`.
    Date { low: i64, high: i64 },
    /// A reference. Local references (`Patient/123`) fill `target_type` and `target_id`;
    /// absolute and canonical ones fill `url`; `Reference.identifier` fills the identifier pair
    /// for the `:identifier` modifier.
    Reference {
        target_type: Option<String>,
        target_id: Option<String>,
        url: Option<String>,
        identifier_system: Option<String>,
        identifier_value: Option<String>,
    },
    /// A Quantity (or Age, Duration...). `low`/`high` is the range implied by the value's
    /// written precision (`5.4` -> [5.35, 5.45]); `canonical_*` hold the value in a normalized
    /// unit when a trivial conversion exists.
    Quantity {
        value: f64,
        low: f64,
        high: f64,
        system: Option<String>,
        code: Option<String>,
        unit: Option<String>,
    },
    /// A number (integer or decimal) with the range implied by its precision.
    Number { value: f64, low: f64, high: f64 },
    /// A uri, url or canonical, as written.
    Uri { uri: String },
}
