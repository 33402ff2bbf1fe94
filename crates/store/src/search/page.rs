//! Sorting and keyset paging.
//!
//! Order: the `_sort` keys in turn, then the resource's primary key (`res_pk`, ascending),
//! which makes the order total. A key's value is the smallest index value of the resource
//! ascending and the largest descending (dates `low`/`high`, strings `value_normalized`, tokens
//! `code`, numbers and quantities `value`, references `Type/id` or the url, uris `uri`; `_id`
//! and `_lastUpdated` the current row's columns). Resources without a value sort last in both
//! directions (`NULLS LAST`).
//!
//! A page's `next` cursor holds the last row's sort values and primary key; the next page
//! starts strictly after that tuple. Its `previous` cursor holds the first row's and a flag
//! (`b`): that page is the rows just before the tuple, read in the reverse order and shown in
//! the forward one. Either way a resource is never skipped or repeated while others
//! are written (a resource whose own sort value changes between pages may move, as in any
//! keyset scheme). `_lastUpdated` is the exception that matters: every update changes it, so
//! a client paging a `_sort=_lastUpdated` search while records are edited would lose or
//! repeat exactly those records. Its cursor therefore also carries where the first page stood
//! (`s`, [`AsOf`]), and later pages sort by the `lastUpdated` each resource had then: that of
//! its newest version visible to the first page, none when that version is a deletion or
//! there is none (those come last, like resources created since). "Visible" is exact on both
//! backends. SQLite has one writer at a time, and each write's `lastUpdated` is above every
//! stored one (`Tx::write_instant`), so a version is visible iff its `lastUpdated` is at most
//! the newest the first page saw; a resource whose current row passes that test needs no
//! lookup. PostgreSQL writers commit in any order, and `lastUpdated` is taken before the
//! commit, so the cursor holds the first page's snapshot (`pg_current_snapshot()`) and each
//! version the transaction that wrote it (`xact`); a resource whose current row was written
//! by a transaction visible in that snapshot (its `xmin`) needs no lookup.
//! Cursors are base64url JSON `{v, q, k, p, s, b}`: a format version, a fingerprint of the
//! query's filters and sort, the sort values and the primary key, `s`, and `b`. They are
//! validated on decode (format, version, fingerprint, number and kinds of values); anything
//! else is `InvalidCursor`. They are not signed: a forged cursor can only move the start of a
//! page of the same query, since every value in it is bound as a parameter.

use custodian_search::query::{SearchQuery, SortKey};
use custodian_search::registry::SearchParamType;

use super::compile::{table, Lookup};
use super::sql::{KeyValue, Sql};
use crate::error::StoreError;

/// The most `_sort` keys a search may use.
pub const MAX_SORT_KEYS: usize = 8;

/// 2: `s` is a snapshot on PostgreSQL (it was a time on both).
const CURSOR_VERSION: u8 = 2;

/// Where the first page of a `_sort=_lastUpdated` search stood (see the module doc).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum AsOf {
    /// SQLite: the newest `lastUpdated` the first page could see.
    Time(i64),
    /// PostgreSQL: the first page's snapshot, `xmin:xmax:xip,...`.
    Snapshot(String),
}

impl AsOf {
    /// Whether this came from the backend at hand, in its form: a forged snapshot must not
    /// reach PostgreSQL's parser as anything but digits, colons and commas.
    pub(crate) fn fits(&self, sqlite: bool) -> bool {
        match self {
            AsOf::Time(_) => sqlite,
            AsOf::Snapshot(text) => !sqlite && is_snapshot(text),
        }
    }

    /// SQL true when version alias `w` is visible as of here.
    fn visible(&self, w: &str) -> Sql {
        let mut sql = Sql::new("");
        match self {
            AsOf::Time(at) => {
                // `+`: probe the (type, id, version) key, not a range of the time index.
                sql.push(&format!("+{w}.last_updated <= ")).int(*at);
            }
            AsOf::Snapshot(snapshot) => {
                // Versions written before the column existed have none, and are old.
                sql.push(&format!(
                    "({w}.xact IS NULL OR pg_visible_in_snapshot({w}.xact, CAST("
                ))
                .text(snapshot.as_str())
                .push(" AS pg_snapshot)))");
            }
        }
        sql
    }
}

/// `xmin:xmax:xip,xip,...` as `pg_current_snapshot()::text` prints it, with what
/// PostgreSQL's input checks (`0 < xmin <= xmax`, xip ascending in `[xmin, xmax)`), so that a
/// forged cursor is a 400, not a database error.
fn is_snapshot(text: &str) -> bool {
    let number = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|n| *n < 1 << 63)
    };
    let mut parts = text.split(':');
    let (Some(xmin), Some(xmax), Some(xip), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(xmin), Some(xmax)) = (number(xmin), number(xmax)) else {
        return false;
    };
    if xmin == 0 || xmin > xmax {
        return false;
    }
    if xip.is_empty() {
        return true;
    }
    let mut previous = None;
    xip.split(',').all(|x| match number(x) {
        Some(x) if x >= xmin && x < xmax && previous.is_none_or(|p| p < x) => {
            previous = Some(x);
            true
        }
        _ => false,
    })
}

/// The kind of a sort value (the column suffix in the page query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Text,
    Int,
    Real,
}

impl KeyKind {
    fn suffix(self) -> &'static str {
        match self {
            KeyKind::Text => "t",
            KeyKind::Int => "i",
            KeyKind::Real => "f",
        }
    }

    fn admits(self, v: &KeyValue) -> bool {
        matches!(
            (self, v),
            (_, KeyValue::Null)
                | (KeyKind::Text, KeyValue::Text(_))
                | (KeyKind::Int, KeyValue::Int(_))
                | (KeyKind::Real, KeyValue::Real(_))
        )
    }
}

/// A sort key compiled against the searched row alias.
#[derive(Debug, Clone)]
pub(crate) struct SortExpr {
    /// The select-list expression (`(SELECT MIN(...) ...)` or a column).
    pub expr: Sql,
    /// Column name in the page query, e.g. `k0_t`.
    pub name: String,
    pub kind: KeyKind,
    pub descending: bool,
}

/// True when `keys` sort by `_lastUpdated`: its cursors carry an [`AsOf`].
pub(crate) fn sorts_by_last_updated(keys: &[SortKey]) -> bool {
    keys.iter().any(|k| k.code == "_lastUpdated")
}

/// The sort expressions of `keys` on alias `r`, whose rows are of `types`; `_lastUpdated` as
/// of `as_of` when given (see the module doc).
pub(crate) fn sort_exprs(
    keys: &[SortKey],
    r: &str,
    types: &[String],
    as_of: Option<&AsOf>,
) -> Result<Vec<SortExpr>, StoreError> {
    if keys.len() > MAX_SORT_KEYS {
        return Err(StoreError::UnsupportedSearch(format!(
            "at most {MAX_SORT_KEYS} _sort keys are supported"
        )));
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| sort_expr(i, k, r, types, as_of))
        .collect()
}

fn sort_expr(
    i: usize,
    key: &SortKey,
    r: &str,
    types: &[String],
    as_of: Option<&AsOf>,
) -> Result<SortExpr, StoreError> {
    let agg = if key.descending { "MAX" } else { "MIN" };
    let (kind, expr) = match (key.code.as_str(), key.param_type) {
        ("_id", _) => (KeyKind::Text, Sql::new(&format!("{r}.resource_id"))),
        ("_lastUpdated", _) => (KeyKind::Int, last_updated_as_of(r, as_of)),
        (_, t) => {
            let (kind, column) = match t {
                SearchParamType::String => (KeyKind::Text, "y.value_normalized"),
                SearchParamType::Token => (KeyKind::Text, "y.code"),
                SearchParamType::Date if key.descending => (KeyKind::Int, "y.high"),
                SearchParamType::Date => (KeyKind::Int, "y.low"),
                SearchParamType::Number | SearchParamType::Quantity => (KeyKind::Real, "y.value"),
                SearchParamType::Reference => (
                    KeyKind::Text,
                    "COALESCE(y.target_type || '/' || y.target_id, y.url)",
                ),
                SearchParamType::Uri => (KeyKind::Text, "y.uri"),
                SearchParamType::Composite | SearchParamType::Special => {
                    return Err(StoreError::UnsupportedSearch(format!(
                        "cannot sort by `{}`",
                        key.code
                    )))
                }
            };
            let mut sql = Sql::new("(SELECT ");
            sql.push(agg)
                .push("(")
                .push(column)
                .push(") FROM ")
                .push(table(t)?)
                .push(" y WHERE y.res_pk = ")
                .push(r)
                .push(".res_pk AND ");
            super::compile::param_test(
                &mut sql,
                "y",
                types,
                &key.code,
                &key.part_codes,
                Lookup::ByResource,
            );
            sql.push(")");
            (kind, sql)
        }
    };
    Ok(SortExpr {
        expr,
        name: format!("k{i}_{}", kind.suffix()),
        kind,
        descending: key.descending,
    })
}

/// `r`'s `lastUpdated`, or with `as_of` that of its newest version visible then (NULL when
/// that version is a deletion or there is none). Versions hold the history, so this needs no
/// stored result set. On SQLite a current row written by then is its own answer.
fn last_updated_as_of(r: &str, as_of: Option<&AsOf>) -> Sql {
    let Some(as_of) = as_of else {
        return Sql::new(&format!("{r}.last_updated"));
    };
    let mut sql = Sql::new("(CASE WHEN ");
    match as_of {
        AsOf::Time(at) => {
            sql.push(&format!("{r}.last_updated <= ")).int(*at);
        }
        AsOf::Snapshot(snapshot) => {
            sql.append(row_visible_in(r, snapshot));
        }
    }
    sql.push(&format!(" THEN {r}.last_updated ELSE "));
    sql.push(&format!(
        "(SELECT CASE WHEN w.deleted THEN NULL ELSE w.last_updated END \
         FROM resource_versions w WHERE w.resource_type = {r}.resource_type \
         AND w.resource_id = {r}.resource_id AND "
    ))
    .append(as_of.visible("w"))
    .push(" ORDER BY w.version DESC LIMIT 1) END)");
    sql
}

/// PostgreSQL: SQL true when row `r` (of `resources`) was last written by a transaction
/// visible in `snapshot`; then it is the resource as of the snapshot (every write of a
/// resource rewrites its row). `xmin` is a 32-bit transaction id: it is widened to the
/// 64-bit id within 2^32 below the current snapshot's `xmax`, which is exact for every
/// transaction of the last four billion; an older row may be widened wrongly, and then it
/// is either seen as visible (it is: it is older than any snapshot) or looked up. It relies
/// on `resources` rows being written by top-level transactions, never inside a savepoint:
/// snapshots list top-level ids only, so a subtransaction's id would pass as visible.
fn row_visible_in(r: &str, snapshot: &str) -> Sql {
    const WRAP: i64 = 1 << 32;
    let current = "CAST(CAST(pg_snapshot_xmax(pg_current_snapshot()) AS TEXT) AS BIGINT)";
    let xmin = format!("CAST(CAST({r}.xmin AS TEXT) AS BIGINT)");
    let mut sql = Sql::new(&format!(
        "pg_visible_in_snapshot(CAST(CAST({current} - ((({current} - {xmin}) % {WRAP}) + {WRAP}) \
         % {WRAP} AS TEXT) AS xid8), CAST("
    ));
    sql.text(snapshot).push(" AS pg_snapshot))");
    sql
}

/// `ORDER BY` on alias `a` (sort keys, then `a.pk`); `reversed` is the exact reverse order,
/// which a `previous` page reads to find the rows just before its cursor. `by_deleted` puts
/// the (constant) `a.del` first, for PostgreSQL's choice of index (see `page_sql`).
pub(crate) fn order_by(keys: &[SortExpr], a: &str, reversed: bool, by_deleted: bool) -> String {
    let mut out = String::from(" ORDER BY ");
    if by_deleted {
        out.push_str(&format!(
            "{a}.del {}, ",
            if reversed { "DESC" } else { "ASC" }
        ));
    }
    for k in keys {
        let (direction, nulls) = match (k.descending != reversed, reversed) {
            (true, false) => ("DESC", "LAST"),
            (false, false) => ("ASC", "LAST"),
            (true, true) => ("DESC", "FIRST"),
            (false, true) => ("ASC", "FIRST"),
        };
        out.push_str(&format!("{a}.{} {direction} NULLS {nulls}, ", k.name));
    }
    out.push_str(&format!("{a}.pk {}", if reversed { "DESC" } else { "ASC" }));
    out
}

/// Rows strictly beyond the cursor position in the order of `order_by` on alias `a`: after
/// it for a `next` cursor, before it for a `previous` one. Term i of the OR: the first i
/// keys equal to the cursor's and key i beyond it (past the last key, the pk beyond).
pub(crate) fn beyond(keys: &[SortExpr], cursor: &Cursor, a: &str) -> Sql {
    let mut terms = Vec::new();
    for i in 0..=keys.len() {
        let mut term = equal_prefix(keys, cursor, i, a);
        let possible = match (keys.get(i), cursor.keys.get(i)) {
            (Some(k), Some(v)) => key_beyond(&mut term, k, v, a, cursor.backward),
            _ => {
                let op = if cursor.backward { "<" } else { ">" };
                term.push(&format!("{a}.pk {op} ")).int(cursor.pk);
                true
            }
        };
        if possible {
            terms.push(term);
        }
    }
    let mut sql = Sql::new("(");
    for (n, term) in terms.into_iter().enumerate() {
        if n > 0 {
            sql.push(" OR ");
        }
        sql.push("(").append(term).push(")");
    }
    sql.push(")");
    sql
}

/// Appends "key `k` strictly beyond `v`" to `term`; false when nothing can be (after a NULL,
/// which sorts last in both directions). Backwards, every value lies before a NULL.
fn key_beyond(term: &mut Sql, k: &SortExpr, v: &KeyValue, a: &str, backward: bool) -> bool {
    let col = format!("{a}.{}", k.name);
    // Strictly after `v` in this key's direction is `>` ascending, `<` descending.
    let after = if k.descending { " < " } else { " > " };
    let before = if k.descending { " > " } else { " < " };
    match (v, backward) {
        (KeyValue::Null, false) => return false,
        (KeyValue::Null, true) => {
            term.push(&col).push(" IS NOT NULL");
        }
        (v, false) => {
            term.push("(").push(&col).push(after);
            bind_key(term, v);
            term.push(" OR ").push(&col).push(" IS NULL)");
        }
        (v, true) => {
            term.push(&col).push(before);
            bind_key(term, v);
        }
    }
    true
}

/// `k0 = ? AND k1 IS NULL AND ... AND ` for the first `i` keys of the cursor: the equal
/// prefix of a keyset term.
fn equal_prefix(keys: &[SortExpr], cursor: &Cursor, i: usize, a: &str) -> Sql {
    let mut term = Sql::default();
    for (k, v) in keys.iter().zip(&cursor.keys).take(i) {
        let col = format!("{a}.{}", k.name);
        if *v == KeyValue::Null {
            term.push(&col).push(" IS NULL AND ");
        } else {
            term.push(&col).push(" = ");
            bind_key(&mut term, v);
            term.push(" AND ");
        }
    }
    term
}

fn bind_key(sql: &mut Sql, v: &KeyValue) {
    match v {
        KeyValue::Null => {
            sql.push("NULL");
        }
        KeyValue::Int(i) => {
            sql.int(*i);
        }
        KeyValue::Real(f) => {
            sql.real(*f);
        }
        KeyValue::Text(s) => {
            sql.text(s.as_str());
        }
    }
}

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cursor {
    #[serde(rename = "v")]
    version: u8,
    #[serde(rename = "q")]
    fingerprint: String,
    #[serde(rename = "k")]
    pub keys: Vec<KeyValue>,
    #[serde(rename = "p")]
    pub pk: i64,
    /// Where the first page stood, for `_sort=_lastUpdated` only.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOf>,
    /// A `previous` link: the page is the rows just before this position, not after it.
    /// Absent (false) in `next` cursors, so cursors written before it existed still work.
    #[serde(rename = "b", default, skip_serializing_if = "std::ops::Not::not")]
    pub backward: bool,
}

impl Cursor {
    /// A `next` cursor: the page after the row with these sort values and primary key.
    pub(crate) fn new(
        query: &SearchQuery,
        keys: Vec<KeyValue>,
        pk: i64,
        as_of: Option<AsOf>,
    ) -> Self {
        Cursor {
            version: CURSOR_VERSION,
            fingerprint: fingerprint(query),
            keys,
            pk,
            as_of,
            backward: false,
        }
    }

    /// A `previous` cursor: the page before the row with these sort values and primary key.
    pub(crate) fn before(
        query: &SearchQuery,
        keys: Vec<KeyValue>,
        pk: i64,
        as_of: Option<AsOf>,
    ) -> Self {
        Cursor {
            backward: true,
            ..Cursor::new(query, keys, pk, as_of)
        }
    }

    pub(crate) fn encode(&self) -> String {
        // Serializing plain data to a string cannot fail; an empty cursor would be rejected.
        base64url_encode(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// Decodes and checks a cursor against the query and its sort keys.
    pub(crate) fn decode(
        text: &str,
        query: &SearchQuery,
        keys: &[SortExpr],
    ) -> Result<Self, StoreError> {
        if text.len() > 16 * 1024 {
            return Err(StoreError::InvalidCursor);
        }
        let bytes = base64url_decode(text).ok_or(StoreError::InvalidCursor)?;
        let cursor: Cursor =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        let valid = cursor.version == CURSOR_VERSION
            && cursor.fingerprint == fingerprint(query)
            && cursor.keys.len() == keys.len()
            && (cursor.as_of.is_some() == sorts_by_last_updated(&query.sort))
            && keys.iter().zip(&cursor.keys).all(|(k, v)| k.kind.admits(v))
            && cursor.keys.iter().all(|v| match v {
                KeyValue::Real(f) => f.is_finite(),
                _ => true,
            });
        if valid {
            Ok(cursor)
        } else {
            Err(StoreError::InvalidCursor)
        }
    }
}

/// FNV-1a of the query's types, filters and sort: a cursor only continues the query it came from.
fn fingerprint(query: &SearchQuery) -> String {
    // Empty `part_codes` are left out, so that cursors issued before they existed still work.
    let mut text = format!(
        "{}|{:?}|{:?}",
        query.resource_type, query.filters, query.sort
    )
    .replace(", part_codes: []", "");
    // Only system searches carry their types: a type search's cursors stay as they were.
    if query.is_system() {
        text.push_str(&format!("|{:?}", query.system_types));
    }
    // Likewise only `_contained` searches carry their shape.
    if super::contained::Shape::of(query) != super::contained::Shape::Plain {
        text.push_str(&format!(
            "|{:?}|{:?}",
            query.contained, query.contained_type
        ));
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(B64[idx as usize]));
        }
    }
    out
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    // Leftover bits must be padding zeros, and a lone sextet cannot encode a byte.
    if bits >= 6 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_belongs_to_its_backend_and_snapshots_are_plain_numbers() {
        assert!(AsOf::Time(12).fits(true));
        assert!(!AsOf::Time(12).fits(false));
        for ok in ["10:20:", "10:20:11,15", "740:740:", "10:20:10"] {
            assert!(AsOf::Snapshot(ok.into()).fits(false), "{ok}");
            assert!(!AsOf::Snapshot(ok.into()).fits(true), "{ok}");
        }
        for bad in [
            "",
            "10:20",
            "10:20:11:12",
            "a:20:",
            "10:20:11,,12",
            "10:20:11,",
            "10:20:'); DROP TABLE resources; --",
            "1 :2:",
            "123456789012345678901:1:",
            // Digits PostgreSQL's pg_snapshot input would still refuse (a 500 otherwise).
            "0:0:",
            "20:10:",
            "10:20:15,11",
            "10:20:20",
            "10:20:9",
            "10:20:11,11",
            "9223372036854775808:9223372036854775809:",
        ] {
            assert!(!AsOf::Snapshot(bad.into()).fits(false), "{bad}");
        }
        // Untagged: a number is a time, a string a snapshot.
        let time: AsOf = serde_json::from_str("42").unwrap_or(AsOf::Time(0));
        assert_eq!(time, AsOf::Time(42));
        let snap: AsOf = serde_json::from_str("\"1:2:\"").unwrap_or(AsOf::Time(0));
        assert_eq!(snap, AsOf::Snapshot("1:2:".into()));
    }

    #[test]
    fn base64_round_trip() {
        for data in [&b""[..], b"a", b"ab", b"abc", b"abcd", b"\xff\x00\x10 {}"] {
            assert_eq!(
                base64url_decode(&base64url_encode(data)).as_deref(),
                Some(data)
            );
        }
        assert!(base64url_decode("a").is_none());
        assert!(base64url_decode("ab=").is_none());
        assert!(base64url_decode("a b").is_none());
    }
}
