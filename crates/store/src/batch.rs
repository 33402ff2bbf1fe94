//! Multi-row INSERTs that SQLite keeps prepared.
//!
//! diesel does not cache the prepared statement of a `Vec` insert: its text depends on the
//! number of rows. A 500-row INSERT was parsed anew for every chunk: 7 % of a bulk insert's
//! time went to SQLite's SQL parser. [`insert_sqlite`] writes rows in statements of fixed
//! sizes instead ([`FixedInsert`]), each prepared once per connection. PostgreSQL keeps
//! diesel's `Vec` inserts of up to [`PG_CHUNK`] rows: there each statement is a round trip.

use std::marker::PhantomData;

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{QueryResult, RunQueryDsl};

/// Rows per multi-row INSERT on PostgreSQL (at most 65,535 bound parameters; rows have at
/// most 10 columns).
pub(crate) const PG_CHUNK: usize = 500;

/// A row that [`FixedInsert`] can write: its table, its columns and their binds in order.
/// Implemented by [`fixed_row!`].
pub(crate) trait FixedRow {
    /// The diesel table type: a `'static` name for the statement cache.
    type Table: 'static;
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Pushes the row's values as binds, separated by commas, in `COLUMNS` order.
    fn push_binds<'b>(&'b self, out: &mut AstPass<'_, 'b, Sqlite>) -> QueryResult<()>;
}

/// `INSERT OR FAIL INTO table (columns) VALUES (..), (..)` of exactly `N` rows. Its query id is
/// static (table and `N`), so diesel prepares it once per connection and reuses it.
pub(crate) struct FixedInsert<'r, R, const N: usize>(&'r [R; N]);

/// The statement cache's key for a [`FixedInsert`].
pub(crate) struct FixedInsertId<T, const N: usize>(PhantomData<T>);

impl<R: FixedRow, const N: usize> QueryId for FixedInsert<'_, R, N> {
    type QueryId = FixedInsertId<R::Table, N>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<R: FixedRow, const N: usize> QueryFragment<Sqlite> for FixedInsert<'_, R, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // Table and column names are constants of ours; every value is a bind.
        out.push_sql("INSERT OR FAIL INTO ");
        out.push_sql(R::TABLE);
        out.push_sql(" (");
        for (i, column) in R::COLUMNS.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql(column);
        }
        out.push_sql(") VALUES ");
        for (i, row) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql("(");
            row.push_binds(&mut out)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<R, const N: usize> RunQueryDsl<SqliteConnection> for FixedInsert<'_, R, N> {}

/// Inserts `rows` on SQLite in statements of 64 rows, then of 8, then one by one: three
/// prepared statements per table cover any count.
pub(crate) fn insert_sqlite<R: FixedRow>(
    conn: &mut SqliteConnection,
    rows: &[R],
) -> QueryResult<()> {
    let rest = insert_in::<R, 64>(conn, rows)?;
    let rest = insert_in::<R, 8>(conn, rest)?;
    insert_in::<R, 1>(conn, rest).map(|_| ())
}

/// Inserts the longest prefix of `rows` that fills statements of `N` rows; returns the rest.
fn insert_in<'r, R: FixedRow, const N: usize>(
    conn: &mut SqliteConnection,
    rows: &'r [R],
) -> QueryResult<&'r [R]> {
    let mut batches = rows.chunks_exact(N);
    for batch in &mut batches {
        match <&[R; N]>::try_from(batch) {
            Ok(full) => {
                FixedInsert(full).execute(conn)?;
            }
            // `chunks_exact` gives N rows; this arm only keeps the code total.
            Err(_) => {
                for row in batch {
                    FixedInsert(std::array::from_ref(row)).execute(conn)?;
                }
            }
        }
    }
    Ok(batches.remainder())
}

/// `fixed_row!(Row, table type, "table", [column: SqlType, ...])` implements [`FixedRow`]
/// for a row struct whose fields are named like its columns.
macro_rules! fixed_row {
    ($row:ty, $table:ty, $name:literal, [$first:ident: $first_ty:ty $(, $field:ident: $ty:ty)* $(,)?]) => {
        impl $crate::batch::FixedRow for $row {
            type Table = $table;
            const TABLE: &'static str = $name;
            const COLUMNS: &'static [&'static str] =
                &[stringify!($first) $(, stringify!($field))*];
            fn push_binds<'b>(
                &'b self,
                out: &mut ::diesel::query_builder::AstPass<'_, 'b, ::diesel::sqlite::Sqlite>,
            ) -> ::diesel::QueryResult<()> {
                out.push_bind_param::<$first_ty, _>(&self.$first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<$ty, _>(&self.$field)?;
                )*
                Ok(())
            }
        }
    };
}
pub(crate) use fixed_row;
