//! Writing and removing search index rows (current versions only), batched per table.

use custodian_search::index::{IndexEntry, IndexValue, ResourceIndex};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};

use crate::batch::{fixed_row, insert_sqlite, PG_CHUNK};

use crate::contained::Container;
use crate::schema::{
    idx_date, idx_number, idx_quantity, idx_reference, idx_string, idx_token, idx_uri,
};
use crate::tx::{on_conn, TxConn};

const STRING: i64 = 1;
const TOKEN: i64 = 1 << 1;
const DATE: i64 = 1 << 2;
const REFERENCE: i64 = 1 << 3;
const QUANTITY: i64 = 1 << 4;
const NUMBER: i64 = 1 << 5;
const URI: i64 = 1 << 6;

/// Not a table: the resource has contained resources with rows of their own (`contained.rs`).
const CONTAINED: i64 = 1 << 7;

/// Whether a resource with this `index_mask` has contained resources with rows of their own.
pub(crate) fn has_contained(mask: i64) -> bool {
    mask & CONTAINED != 0
}

/// Which index tables `index` writes to (stored in `resources.index_mask`, so an update or
/// delete only touches the tables that hold rows), and whether it has contained rows.
pub(crate) fn mask(index: &ResourceIndex) -> i64 {
    let contained = if index.contained.is_empty() {
        0
    } else {
        CONTAINED
    };
    mask_of(&index.entries) | contained
}

/// The tables `entries` write to.
pub(crate) fn mask_of(entries: &[IndexEntry]) -> i64 {
    entries.iter().filter(|e| is_stored(e)).fold(0, |m, e| {
        m | match e.value {
            IndexValue::String { .. } => STRING,
            IndexValue::Token { .. } => TOKEN,
            IndexValue::Date { .. } => DATE,
            IndexValue::Reference { .. } => REFERENCE,
            IndexValue::Quantity { .. } => QUANTITY,
            IndexValue::Number { .. } => NUMBER,
            IndexValue::Uri { .. } => URI,
        }
    })
}

// Every row struct here (and the version, resource and audit rows in tx.rs) says
// `treat_none_as_default_value = false`: without it diesel cannot write a batch on
// PostgreSQL or SQLite as one multi-row INSERT (a row might need the DEFAULT keyword); on
// SQLite it ran a savepoint with one INSERT per row instead. On SQLite the rows are written
// by `batch::insert_sqlite` (the `fixed_row!` lines below each struct).
#[derive(Insertable)]
#[diesel(table_name = idx_string, treat_none_as_default_value = false)]
struct StringRow<'a> {
    res_pk: i64,
    n: i32,
    param_key: i32,
    value_normalized: &'a str,
    value_exact: &'a str,
}
fixed_row!(
    StringRow<'_>,
    idx_string::table,
    "idx_string",
    [res_pk: BigInt, n: Integer, param_key: Integer, value_normalized: Text, value_exact: Text]
);

#[derive(Insertable)]
#[diesel(table_name = idx_token, treat_none_as_default_value = false)]
struct TokenRow<'a> {
    res_pk: i64,
    n: i32,
    param_key: i32,
    system: Option<&'a str>,
    code: Option<&'a str>,
    display: Option<&'a str>,
}
fixed_row!(
    TokenRow<'_>,
    idx_token::table,
    "idx_token",
    [res_pk: BigInt, n: Integer, param_key: Integer, system: Nullable<Text>, code: Nullable<Text>, display: Nullable<Text>]
);

#[derive(Insertable)]
#[diesel(table_name = idx_date, treat_none_as_default_value = false)]
struct DateRow {
    res_pk: i64,
    n: i32,
    param_key: i32,
    low: i64,
    high: i64,
}
fixed_row!(
    DateRow,
    idx_date::table,
    "idx_date",
    [res_pk: BigInt, n: Integer, param_key: Integer, low: BigInt, high: BigInt]
);

#[derive(Insertable)]
#[diesel(table_name = idx_reference, treat_none_as_default_value = false)]
struct ReferenceRow<'a> {
    res_pk: i64,
    n: i32,
    param_key: i32,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    url: Option<&'a str>,
    identifier_system: Option<&'a str>,
    identifier_value: Option<&'a str>,
}
fixed_row!(
    ReferenceRow<'_>,
    idx_reference::table,
    "idx_reference",
    [res_pk: BigInt, n: Integer, param_key: Integer, target_type: Nullable<Text>, target_id: Nullable<Text>, url: Nullable<Text>, identifier_system: Nullable<Text>, identifier_value: Nullable<Text>]
);

#[derive(Insertable)]
#[diesel(table_name = idx_quantity, treat_none_as_default_value = false)]
struct QuantityRow<'a> {
    res_pk: i64,
    n: i32,
    param_key: i32,
    value: f64,
    low: f64,
    high: f64,
    system: Option<&'a str>,
    code: Option<&'a str>,
    unit: Option<&'a str>,
}
fixed_row!(
    QuantityRow<'_>,
    idx_quantity::table,
    "idx_quantity",
    [res_pk: BigInt, n: Integer, param_key: Integer, value: Double, low: Double, high: Double, system: Nullable<Text>, code: Nullable<Text>, unit: Nullable<Text>]
);

#[derive(Insertable)]
#[diesel(table_name = idx_number, treat_none_as_default_value = false)]
struct NumberRow {
    res_pk: i64,
    n: i32,
    param_key: i32,
    value: f64,
    low: f64,
    high: f64,
}
fixed_row!(
    NumberRow,
    idx_number::table,
    "idx_number",
    [res_pk: BigInt, n: Integer, param_key: Integer, value: Double, low: Double, high: Double]
);

#[derive(Insertable)]
#[diesel(table_name = idx_uri, treat_none_as_default_value = false)]
struct UriRow<'a> {
    res_pk: i64,
    n: i32,
    param_key: i32,
    uri: &'a str,
}
fixed_row!(
    UriRow<'_>,
    idx_uri::table,
    "idx_uri",
    [res_pk: BigInt, n: Integer, param_key: Integer, uri: Text]
);

struct Counts {
    string: usize,
    token: usize,
    date: usize,
    reference: usize,
    quantity: usize,
    number: usize,
    uri: usize,
}

/// Whether an entry becomes a row: `_id` and `_lastUpdated` do not, since search compares the
/// current-version row's own columns for them (`search/compile.rs`). (A create's extraction
/// never had them, its id and `meta` not being set yet; an update's or a reindex's did.)
fn is_stored(e: &IndexEntry) -> bool {
    !matches!(e.param.as_str(), "_id" | "_lastUpdated")
}

/// The ordinal of the row about to be pushed at `len` for the resource whose rows start at
/// `first`. A resource has far fewer than 2^31 index rows (its JSON body bounds them).
fn ordinal(len: usize, first: usize) -> i32 {
    i32::try_from(len - first).unwrap_or(i32::MAX)
}

#[derive(Default)]
struct Rows<'a> {
    string: Vec<StringRow<'a>>,
    token: Vec<TokenRow<'a>>,
    date: Vec<DateRow>,
    reference: Vec<ReferenceRow<'a>>,
    quantity: Vec<QuantityRow<'a>>,
    number: Vec<NumberRow>,
    uri: Vec<UriRow<'a>>,
}

impl<'a> Rows<'a> {
    fn add(&mut self, res_pk: i64, resource_type: &'a str, entries: &'a [IndexEntry]) {
        // `n` numbers one resource's rows within each table: (res_pk, n) is the primary key.
        let first = self.counts();
        for e in entries.iter().filter(|e| is_stored(e)) {
            let param_key = crate::param_key::param_key(resource_type, &e.param);
            match &e.value {
                IndexValue::String { normalized, exact } => self.string.push(StringRow {
                    res_pk,
                    n: ordinal(self.string.len(), first.string),
                    param_key,
                    value_normalized: normalized,
                    value_exact: exact,
                }),
                IndexValue::Token {
                    system,
                    code,
                    display,
                } => self.token.push(TokenRow {
                    res_pk,
                    n: ordinal(self.token.len(), first.token),
                    param_key,
                    system: system.as_deref(),
                    code: code.as_deref(),
                    display: display.as_deref(),
                }),
                IndexValue::Date { low, high } => self.date.push(DateRow {
                    res_pk,
                    n: ordinal(self.date.len(), first.date),
                    param_key,
                    low: *low,
                    high: *high,
                }),
                IndexValue::Reference {
                    target_type,
                    target_id,
                    url,
                    identifier_system,
                    identifier_value,
                } => self.reference.push(ReferenceRow {
                    res_pk,
                    n: ordinal(self.reference.len(), first.reference),
                    param_key,
                    target_type: target_type.as_deref(),
                    target_id: target_id.as_deref(),
                    url: url.as_deref(),
                    identifier_system: identifier_system.as_deref(),
                    identifier_value: identifier_value.as_deref(),
                }),
                IndexValue::Quantity {
                    value,
                    low,
                    high,
                    system,
                    code,
                    unit,
                } => self.quantity.push(QuantityRow {
                    res_pk,
                    n: ordinal(self.quantity.len(), first.quantity),
                    param_key,
                    value: *value,
                    low: *low,
                    high: *high,
                    system: system.as_deref(),
                    code: code.as_deref(),
                    unit: unit.as_deref(),
                }),
                IndexValue::Number { value, low, high } => self.number.push(NumberRow {
                    res_pk,
                    n: ordinal(self.number.len(), first.number),
                    param_key,
                    value: *value,
                    low: *low,
                    high: *high,
                }),
                IndexValue::Uri { uri } => self.uri.push(UriRow {
                    res_pk,
                    n: ordinal(self.uri.len(), first.uri),
                    param_key,
                    uri,
                }),
            }
        }
    }

    /// How many rows each table holds so far (where the next resource's rows start).
    fn counts(&self) -> Counts {
        Counts {
            string: self.string.len(),
            token: self.token.len(),
            date: self.date.len(),
            reference: self.reference.len(),
            quantity: self.quantity.len(),
            number: self.number.len(),
            uri: self.uri.len(),
        }
    }

    /// Writes the rows: on SQLite in cached statements of fixed sizes (`batch.rs`), on
    /// PostgreSQL in multi-row INSERTs of up to `PG_CHUNK` rows (a round trip each).
    fn write(&self, conn: &mut TxConn<'_>) -> QueryResult<()> {
        match conn {
            TxConn::Sqlite(c) => {
                insert_sqlite(c, &self.string)?;
                insert_sqlite(c, &self.token)?;
                insert_sqlite(c, &self.date)?;
                insert_sqlite(c, &self.reference)?;
                insert_sqlite(c, &self.quantity)?;
                insert_sqlite(c, &self.number)?;
                insert_sqlite(c, &self.uri)
            }
            TxConn::Pg(c) => {
                let c: &mut PgConnection = c;
                macro_rules! insert_rows {
                    ($table:expr, $rows:expr) => {
                        for chunk in $rows.chunks(PG_CHUNK) {
                            diesel::insert_into($table).values(chunk).execute(c)?;
                        }
                    };
                }
                insert_rows!(idx_string::table, &self.string);
                insert_rows!(idx_token::table, &self.token);
                insert_rows!(idx_date::table, &self.date);
                insert_rows!(idx_reference::table, &self.reference);
                insert_rows!(idx_quantity::table, &self.quantity);
                insert_rows!(idx_number::table, &self.number);
                insert_rows!(idx_uri::table, &self.uri);
                Ok(())
            }
        }
    }
}

/// Insert the index rows of resource `resource_type/id` (not those of its contained
/// resources: `contained::sync`), its references to contained resources completed
/// (`contained::local_targets`).
pub(crate) fn insert(
    conn: &mut TxConn<'_>,
    res_pk: i64,
    resource_type: &str,
    id: &str,
    index: &ResourceIndex,
) -> QueryResult<()> {
    let entries = crate::contained::local_targets(&index.entries, resource_type, id);
    insert_entries(conn, res_pk, resource_type, &entries)
}

/// Insert `entries` as the index rows of `res_pk`.
pub(crate) fn insert_entries(
    conn: &mut TxConn<'_>,
    res_pk: i64,
    resource_type: &str,
    entries: &[IndexEntry],
) -> QueryResult<()> {
    let mut rows = Rows::default();
    rows.add(res_pk, resource_type, entries);
    rows.write(conn)
}

/// Insert the index rows of many resources given as entries.
pub(crate) fn insert_many_entries<'a>(
    conn: &mut TxConn<'_>,
    items: impl Iterator<Item = (i64, &'a str, &'a [IndexEntry])>,
) -> QueryResult<()> {
    let mut rows = Rows::default();
    for (res_pk, resource_type, entries) in items {
        rows.add(res_pk, resource_type, entries);
    }
    rows.write(conn)
}

/// Insert the index rows of many resources, given as (res_pk, type, id, index), as `insert`
/// does for one.
pub(crate) fn insert_many<'a>(
    conn: &mut TxConn<'_>,
    items: impl Iterator<Item = (i64, &'a str, &'a str, &'a ResourceIndex)>,
) -> QueryResult<()> {
    let items: Vec<(i64, &str, std::borrow::Cow<'_, [IndexEntry]>)> = items
        .map(|(res_pk, resource_type, id, index)| {
            let entries = crate::contained::local_targets(&index.entries, resource_type, id);
            (res_pk, resource_type, entries)
        })
        .collect();
    let mut rows = Rows::default();
    for (res_pk, resource_type, entries) in &items {
        rows.add(*res_pk, resource_type, entries);
    }
    rows.write(conn)
}

/// Runs `$delete` on each index table named in `$mask`, with `$t` that table's schema module
/// (every one has `table` and `res_pk`).
macro_rules! for_tables_in {
    ($mask:expr, |$t:ident| $delete:expr) => {{
        if $mask & STRING != 0 {
            use crate::schema::idx_string as $t;
            $delete;
        }
        if $mask & TOKEN != 0 {
            use crate::schema::idx_token as $t;
            $delete;
        }
        if $mask & DATE != 0 {
            use crate::schema::idx_date as $t;
            $delete;
        }
        if $mask & REFERENCE != 0 {
            use crate::schema::idx_reference as $t;
            $delete;
        }
        if $mask & QUANTITY != 0 {
            use crate::schema::idx_quantity as $t;
            $delete;
        }
        if $mask & NUMBER != 0 {
            use crate::schema::idx_number as $t;
            $delete;
        }
        if $mask & URI != 0 {
            use crate::schema::idx_uri as $t;
            $delete;
        }
    }};
}

/// Remove every index row of several resources from the tables named in `mask`.
pub(crate) fn delete_many(conn: &mut TxConn<'_>, pks: &[i64], mask: i64) -> QueryResult<()> {
    for chunk in pks.chunks(PG_CHUNK) {
        on_conn!(conn, |c| {
            for_tables_in!(mask, |t| diesel::delete(
                t::table.filter(t::res_pk.eq_any(chunk))
            )
            .execute(c)?);
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(())
}

/// Remove every index row of a resource from the tables named in `mask` (not those of its
/// contained resources: `contained::sync`). Not `delete_many` of one key: every update runs
/// this, and `res_pk = ?` stays a cached prepared statement where diesel does not cache an
/// `IN` list.
pub(crate) fn delete(conn: &mut TxConn<'_>, res_pk: i64, mask: i64) -> QueryResult<()> {
    on_conn!(conn, |c| {
        for_tables_in!(mask, |t| diesel::delete(
            t::table.filter(t::res_pk.eq(res_pk))
        )
        .execute(c)?);
        Ok(())
    })
}

/// Replaces the index rows of `row`'s resource (those `previous_mask` names: 0 for a new
/// resource) with `index`'s, its contained resources' rows included: what every single
/// write and a reindex do.
pub(crate) fn replace(
    conn: &mut TxConn<'_>,
    row: &Container<'_>,
    index: &ResourceIndex,
    previous_mask: i64,
) -> QueryResult<()> {
    delete(conn, row.res_pk, previous_mask)?;
    insert(conn, row.res_pk, row.resource_type, row.id, index)?;
    crate::contained::sync(conn, row, index, previous_mask)
}
