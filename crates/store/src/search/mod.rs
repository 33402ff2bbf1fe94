//! FHIR search in SQL: a [`SearchQuery`] (custodian-search) compiled to one statement over the
//! current-resources table with bound parameters only.
//!
//! ```sql
//! SELECT b.pk, b.rid, b.ver, b.lu, v.body, b.k0_t, ...          -- bodies for the page only
//! FROM (SELECT a.* FROM (
//!         SELECT r.res_pk AS pk, r.resource_id AS rid, r.version AS ver,
//!                r.last_updated AS lu, (SELECT MIN(y.value_normalized) FROM idx_string y
//!                WHERE y.res_pk = r.res_pk AND +y.param_key = ?) AS k0_t, ... -- _sort keys
//!         FROM resources r
//!         WHERE r.resource_type = ? AND r.deleted = ?
//!           AND r.res_pk IN (SELECT x.res_pk FROM idx_string x WHERE ...)   -- the driver
//!           AND EXISTS (SELECT x.res_pk FROM idx_token x WHERE ... AND x.res_pk = r.res_pk)
//!           AND NOT EXISTS (...)                                          -- :not, :missing
//!      ) a
//!      WHERE (<keyset: after the cursor's (k0, ..., pk)>)
//!      ORDER BY a.k0_t ASC NULLS LAST, ..., a.pk ASC LIMIT ?) b
//! JOIN resource_versions v ON v.resource_type = ? AND v.resource_id = b.rid
//!      AND v.version = b.ver
//! ORDER BY ...
//! ```
//!
//! Every AND'ed filter is one `EXISTS`/`IN`/`NOT EXISTS` predicate on `r` (see `compile`):
//! no joins in the outer query, so several parameters never multiply rows. On SQLite, whose
//! planner cannot estimate how many rows a value matches, the store picks the driver itself:
//! each positive filter's keys are fetched up to [`PROBE_LIMIT`]; the smallest complete list
//! is bound as `r.res_pk IN (?, ...)` (rows reached by rowid, already in key order); the other
//! filters stay `EXISTS` probes pinned to the per-resource index. With no selective filter the
//! statement walks `resources` in primary-key order (index `resources_search`) and probes each
//! row until the page is full; with `_sort` the first filter drives as `IN (<its SQL>)`. On
//! PostgreSQL every filter is an `EXISTS` and the planner chooses (semi-joins). Plans and
//! figures: docs/search.md.

mod compile;
mod contained;
mod include;
mod page;
mod sql;

use custodian_search::query::{SearchQuery, Total};
use diesel::Connection;

use self::compile::{Compiler, Key, Mode, Pred, Scope};
use self::contained::Shape;
use self::include::Found;
use self::page::{AsOf, Cursor, SortExpr};
use self::sql::{load, Bind, CountRow, IdRow, PageRow, PkKey, PlanLine, Sql, TextRow};
use crate::error::StoreError;
use crate::store::Store;
use crate::tx::{Tx, TxConn};
use crate::types::{now_micros, validate_type, AuditContext, StoredResource};

pub use include::{IncludeCut, MAX_INCLUDED, MAX_INCLUDE_ROUNDS};
pub use page::MAX_SORT_KEYS;

/// SQLite: a filter matching fewer rows than this drives the query, its keys fetched by the
/// probe and bound as a list (see the module doc).
pub const PROBE_LIMIT: i64 = 2000;

/// Which page of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The `next` cursor of the previous page; `None` for the first page.
    pub cursor: Option<String>,
}

/// One page of search results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// Current, non-deleted versions, in sort order; bodies byte for byte as stored (a
    /// contained resource, `_containedType=contained`: its JSON within its container's).
    pub matches: Vec<StoredResource>,
    /// For each of `matches`, the `Type/id` of the resource it is contained in, if it is a
    /// contained resource (`_containedType=contained`); `None` otherwise.
    pub contained_in: Vec<Option<String>>,
    /// `_include`/`_revinclude` results: each resource once, never one of `matches`.
    pub included: Vec<StoredResource>,
    /// Set when the included list was cut, and why (the server must say so in the Bundle's
    /// outcome).
    pub include_cut: Option<IncludeCut>,
    /// The number of matches: with `_total=accurate`, or when it is known for free (a first
    /// page that is also the last). Never with `_total=none`.
    pub total: Option<u64>,
    /// Opaque cursor of the next page, if there is one.
    pub next: Option<String>,
    /// Opaque cursor of the page before this one; `None` on the first page.
    pub previous: Option<String>,
}

/// The compiled WHERE clause on `resources r`.
struct Plan {
    /// `r.resource_type = ? AND r.deleted = ? AND ...`; without the key list when `sole`.
    filter: Sql,
    /// SQLite, when one filter alone decides: its keys, sorted (`filter` is then the type and
    /// `deleted` test they go with). A page in key order binds only the keys it can show
    /// instead of all of them (up to `PROBE_LIMIT`), see `page_filter`.
    sole: Option<Vec<i64>>,
}

impl Plan {
    /// The whole WHERE clause.
    fn filter(&self) -> Sql {
        match &self.sole {
            Some(keys) => self.with_keys(keys),
            None => self.filter.clone(),
        }
    }

    fn with_keys(&self, keys: &[i64]) -> Sql {
        let mut sql = self.filter.clone();
        sql.push(" AND ").append(Keys::Pks(keys.to_vec()).render());
        sql
    }

    /// The WHERE clause of a page of at most `limit` rows in primary-key order beyond the
    /// cursor's primary key (after it, or before it for a `previous` cursor), and whether
    /// keys were left out. Keys almost always match (index rows exist only for current
    /// resources; a `_has` target may be deleted), so a page that comes back short although
    /// keys were left out is run again with the whole filter.
    fn page_filter(&self, cursor: Option<&Cursor>, limit: usize) -> (Sql, bool) {
        let Some(keys) = &self.sole else {
            return (self.filter.clone(), false);
        };
        let (page, rest) = match cursor {
            None => (keys.get(..limit).unwrap_or(keys), keys.as_slice()),
            Some(c) if !c.backward => {
                let rest = keys
                    .get(keys.partition_point(|k| *k <= c.pk)..)
                    .unwrap_or_default();
                (rest.get(..limit).unwrap_or(rest), rest)
            }
            Some(c) => {
                let rest = keys
                    .get(..keys.partition_point(|k| *k < c.pk))
                    .unwrap_or_default();
                (
                    rest.get(rest.len().saturating_sub(limit)..).unwrap_or(rest),
                    rest,
                )
            }
        };
        (self.with_keys(page), page.len() < rest.len())
    }
}

const R: &str = "r";

impl Tx<'_> {
    /// One page of `query`'s matches, with its includes.
    pub fn search(
        &mut self,
        query: &SearchQuery,
        page: &PageRequest,
    ) -> Result<SearchResult, StoreError> {
        let (sort, cursor) = sort_and_cursor(query, page, self.is_sqlite())?;
        let as_of = cursor.as_ref().and_then(|c| c.as_of.clone());
        let plan = self.plan(query, !query.sort.is_empty())?;
        let mut result = SearchResult::default();
        // An estimate may be exact: the count is what this store can give.
        let want_total = matches!(query.total, Some(Total::Accurate | Total::Estimate));
        if query.count == 0 {
            if !matches!(query.total, Some(Total::None)) {
                result.total = Some(self.count_plan(&plan)?);
            }
            return Ok(result);
        }
        let limit = query.count + 1;
        let (filter, keys_left) = if sort.is_empty() {
            plan.page_filter(cursor.as_ref(), limit)
        } else {
            (plan.filter(), false)
        };
        let postgres = !self.is_sqlite();
        let sql = page_sql(query, filter, &sort, cursor.as_ref(), limit, postgres);
        let mut rows: Vec<PageRow> = load(&mut self.conn, sql)?;
        if keys_left && rows.len() < limit {
            let sql = page_sql(
                query,
                plan.filter(),
                &sort,
                cursor.as_ref(),
                limit,
                postgres,
            );
            rows = load(&mut self.conn, sql)?;
        }
        // Rows come in the forward order; the extra row that tells whether there is more lies
        // beyond the page: at its end, or for a `previous` page at its start.
        let backward = cursor.as_ref().is_some_and(|c| c.backward);
        let more = rows.len() > query.count;
        if backward && !more {
            // Nothing lies before it: this is the first page (perhaps short, if rows went
            // since). Answer exactly that, with its own links, so the client can go on.
            return self.search(query, &PageRequest::default());
        }
        if more && backward {
            rows.remove(0);
        }
        rows.truncate(query.count);
        // A page reached by a cursor has rows on the side it came from (a backward page here
        // also has more before it); the first page has none before it.
        let (has_next, has_previous) = if backward {
            (true, true)
        } else {
            (more, cursor.is_some())
        };
        let as_of = match as_of {
            Some(t) => Some(t),
            None if has_next && page::sorts_by_last_updated(&query.sort) => Some(self.as_of_now()?),
            None => None,
        };
        if has_next {
            result.next = rows
                .last()
                .map(|last| Cursor::new(query, last.keys.clone(), last.pk, as_of.clone()).encode());
        }
        if has_previous {
            result.previous = rows.first().map(|first| {
                Cursor::before(query, first.keys.clone(), first.pk, as_of.clone()).encode()
            });
        }
        let mut found: Vec<Found> = Vec::with_capacity(rows.len());
        for row in rows {
            found.extend(contained::found(row)?);
        }
        if want_total {
            result.total = Some(self.count_plan(&plan)?);
        } else if !more && cursor.is_none() && !matches!(query.total, Some(Total::None)) {
            result.total = Some(found.len() as u64);
        }
        let (included, cut) = include::includes(self, query, &found)?;
        result.included = included;
        result.include_cut = cut;
        result.contained_in = found.iter().map(|f| f.contained_in.clone()).collect();
        result.matches = found.into_iter().map(|f| f.resource).collect();
        Ok(result)
    }

    /// Ids of up to `limit` current resources matching the query's filters (conditional
    /// create, update and delete; ask for 2 to tell one match from several). Sort, paging and
    /// includes are ignored.
    pub fn search_ids(
        &mut self,
        query: &SearchQuery,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        if Shape::of(query) != Shape::Plain {
            return Err(StoreError::UnsupportedSearch(
                "_contained=true|both does not select resources by id (conditional \
                 interactions)"
                    .to_owned(),
            ));
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        let plan = self.plan(query, false)?;
        let mut sql = Sql::new("SELECT r.resource_id AS rid FROM resources r WHERE ");
        sql.append(plan.filter()).limit(limit);
        let rows: Vec<IdRow> = load(&mut self.conn, sql)?;
        Ok(rows.into_iter().map(|r| r.rid).collect())
    }

    /// The number of current resources matching the query's filters (`_summary=count`).
    pub fn search_count(&mut self, query: &SearchQuery) -> Result<u64, StoreError> {
        let plan = self.plan(query, false)?;
        self.count_plan(&plan)
    }

    /// The backend's plan for the page query of `query` (PostgreSQL `EXPLAIN`, SQLite
    /// `EXPLAIN QUERY PLAN`), one line per row, for diagnostics and docs/search.md.
    pub fn explain_search(&mut self, query: &SearchQuery) -> Result<Vec<String>, StoreError> {
        let sort = page::sort_exprs(&query.sort, R, &contained::sort_types(query), None)?;
        let plan = self.plan(query, !query.sort.is_empty())?;
        let sql = page_sql(
            query,
            plan.filter(),
            &sort,
            None,
            query.count.max(1) + 1,
            !self.is_sqlite(),
        );
        let lines: Vec<PlanLine> = match &self.conn {
            TxConn::Pg(_) => {
                let mut e = Sql::new("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ");
                e.append(sql);
                load::<PgPlanRow>(&mut self.conn, e)?
                    .into_iter()
                    .map(|r| PlanLine { line: r.0 })
                    .collect()
            }
            TxConn::Sqlite(_) => {
                let mut e = Sql::new("EXPLAIN QUERY PLAN ");
                e.append(sql);
                let rows: Vec<SqlitePlanRow> = load(&mut self.conn, e)?;
                rows.into_iter()
                    .map(|r| PlanLine {
                        line: format!("{:>3} {:>3} {}", r.id, r.parent, r.detail),
                    })
                    .collect()
            }
        };
        Ok(lines.into_iter().map(|l| l.line).collect())
    }

    /// Where this snapshot stands, for `_sort=_lastUpdated` paging (see `page.rs`). On
    /// PostgreSQL the search runs in a REPEATABLE READ transaction, so this is the snapshot
    /// its first page was read in.
    fn as_of_now(&mut self) -> Result<AsOf, StoreError> {
        if self.is_sqlite() {
            let sql = Sql::new("SELECT COALESCE(MAX(last_updated), 0) AS n FROM resource_versions");
            let rows: Vec<CountRow> = load(&mut self.conn, sql)?;
            Ok(AsOf::Time(rows.first().map_or(0, |r| r.n)))
        } else {
            let sql = Sql::new("SELECT CAST(pg_current_snapshot() AS TEXT) AS t");
            let rows: Vec<TextRow> = load(&mut self.conn, sql)?;
            rows.into_iter()
                .next()
                .map(|r| AsOf::Snapshot(r.t))
                .ok_or(StoreError::Database(diesel::result::Error::NotFound))
        }
    }

    fn count_plan(&mut self, plan: &Plan) -> Result<u64, StoreError> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM resources r WHERE ");
        sql.append(plan.filter());
        let rows: Vec<CountRow> = load(&mut self.conn, sql)?;
        Ok(rows.first().map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
    }

    /// Compiles the filters and, on SQLite, picks the driving filter; for containers of
    /// contained matches, the filter on the rows searched goes in a subquery.
    fn plan(&mut self, query: &SearchQuery, sorted: bool) -> Result<Plan, StoreError> {
        let plan = self.plan_rows(query, sorted)?;
        if Shape::of(query) != Shape::Containers {
            return Ok(plan);
        }
        Ok(Plan {
            filter: contained::containers_filter(plan.filter()),
            sole: None,
        })
    }

    /// The plan over the rows a query searches (see `contained.rs`).
    fn plan_rows(&mut self, query: &SearchQuery, sorted: bool) -> Result<Plan, StoreError> {
        let preds = compile_filters(query, self.is_sqlite())?;
        let scope = Scope::of_query(R.to_owned(), query);
        let driver = if self.is_sqlite() {
            self.choose_driver(&preds, sorted)?
        } else {
            None
        };
        // With a bound key list the rows are reached by primary key; `+` (SQLite only) keeps
        // the planner from walking `resources_search` and testing the list per row.
        let plus = if matches!(driver, Some(Driver::Keys(..))) {
            "+"
        } else {
            ""
        };
        let mut filter = Sql::new(plus);
        filter
            .push("r.resource_type")
            .append(scope.type_test())
            .push(" AND ")
            .push(plus)
            .push("r.deleted = ")
            .boolean(false);
        let sqlite = self.is_sqlite();
        if let (Some(Driver::Keys(_, Keys::Pks(keys))), 1) = (&driver, preds.len()) {
            let mut keys = keys.clone();
            keys.sort_unstable();
            keys.dedup();
            return Ok(Plan {
                filter,
                sole: Some(keys),
            });
        }
        for (i, p) in preds.into_iter().enumerate() {
            filter.push(" AND ");
            match &driver {
                Some(Driver::Keys(d, keys)) if *d == i => {
                    filter.append(keys.render());
                }
                Some(Driver::Set(d)) if *d == i => {
                    filter.append(p.render(&scope, Mode::In, sqlite));
                }
                _ => {
                    filter.append(p.render(&scope, Mode::Exists, sqlite));
                }
            }
        }
        Ok(Plan { filter, sole: None })
    }

    /// SQLite: the set filter with the fewest rows drives the query if it is selective (its
    /// keys, fetched by the probe, are bound as a list) or if the query sorts (its SQL).
    fn choose_driver(
        &mut self,
        preds: &[Pred],
        sorted: bool,
    ) -> Result<Option<Driver>, StoreError> {
        let limit = usize::try_from(PROBE_LIMIT).unwrap_or(usize::MAX);
        let mut best: Option<(usize, Keys)> = None;
        let mut first_set: Option<usize> = None;
        for (i, p) in preds.iter().enumerate() {
            let Pred::Set {
                sql,
                on,
                hint_in,
                hint_exists,
                ..
            } = p
            else {
                continue;
            };
            first_set.get_or_insert(i);
            let set = Pred::set_sql(sql, *hint_in, *hint_exists, Mode::In, true);
            let mut probe = Sql::new("SELECT p.k AS k FROM (");
            probe.append(set).limit(limit).push(") p");
            let keys = match on {
                Key::Pk => Keys::Pks(
                    load::<PkKey>(&mut self.conn, probe)?
                        .into_iter()
                        .map(|r| r.k)
                        .collect(),
                ),
            };
            let n = keys.len();
            if n >= limit {
                continue;
            }
            if best.as_ref().is_none_or(|(_, b)| n < b.len()) {
                best = Some((i, keys));
            }
            if n == 0 {
                break;
            }
        }
        Ok(match (best, first_set) {
            (Some((i, keys)), _) => Some(Driver::Keys(i, keys)),
            (None, Some(i)) if sorted => Some(Driver::Set(i)),
            _ => None,
        })
    }
}

/// The filter that drives a SQLite query.
enum Driver {
    /// The set's SQL as `r.res_pk IN (...)`.
    Set(usize),
    /// The set's keys, already fetched by the probe, as a bound list.
    Keys(usize, Keys),
}

enum Keys {
    Pks(Vec<i64>),
}

impl Keys {
    fn len(&self) -> usize {
        match self {
            Keys::Pks(v) => v.len(),
        }
    }

    fn render(&self) -> Sql {
        let mut sql = Sql::default();
        match self {
            _ if self.len() == 0 => {
                sql.push("1 = 0");
            }
            Keys::Pks(pks) => {
                sql.push("r.res_pk IN ")
                    .list(pks.iter().map(|k| Bind::Int(*k)));
            }
        }
        sql
    }
}

/// A row of PostgreSQL's `EXPLAIN` (its column is named `QUERY PLAN`).
struct PgPlanRow(String);

impl<DB: diesel::backend::Backend> diesel::deserialize::QueryableByName<DB> for PgPlanRow
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        diesel::row::NamedRow::get::<diesel::sql_types::Text, String>(row, "QUERY PLAN")
            .map(PgPlanRow)
    }
}

#[derive(diesel::QueryableByName)]
struct SqlitePlanRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    parent: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// The page statement (see the module doc).
/// The sort keys of `query`, and the page's cursor decoded and checked against them (a
/// `_lastUpdated` cursor's sort keys are as of the first page).
fn sort_and_cursor(
    query: &SearchQuery,
    page: &PageRequest,
    sqlite: bool,
) -> Result<(Vec<SortExpr>, Option<Cursor>), StoreError> {
    let types = contained::sort_types(query);
    let sort = page::sort_exprs(&query.sort, R, &types, None)?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, query, &sort))
        .transpose()?;
    match cursor.as_ref().and_then(|c| c.as_of.as_ref()) {
        Some(as_of) if !as_of.fits(sqlite) => Err(StoreError::InvalidCursor),
        Some(as_of) => Ok((
            page::sort_exprs(&query.sort, R, &types, Some(as_of))?,
            cursor,
        )),
        None => Ok((sort, cursor)),
    }
}

/// The filters of `query` compiled to predicates on `resources r` (no statement runs).
fn compile_filters(query: &SearchQuery, sqlite: bool) -> Result<Vec<Pred>, StoreError> {
    for t in query.types() {
        validate_type(t)?;
    }
    contained::check(query)?;
    let scope = Scope::of_query(R.to_owned(), query);
    let mut compiler = Compiler::new(now_micros(), sqlite);
    query
        .filters
        .iter()
        .map(|f| compiler.filter(f, &scope))
        .collect()
}

fn page_sql(
    query: &SearchQuery,
    filter: Sql,
    sort: &[SortExpr],
    cursor: Option<&Cursor>,
    limit: usize,
    postgres: bool,
) -> Sql {
    // PostgreSQL takes the rows of one type to be spread evenly over the primary key, so for
    // an unsorted page it walked `resources_pkey` past every row of the other types (the first
    // Condition page behind 70,000 Patients and Encounters: 19 ms instead of 0.2 ms). The
    // filter fixes `deleted`, so ordering by it first is the same order, and one only
    // `resources_search` (resource_type, deleted, res_pk) provides.
    let by_deleted = postgres && sort.is_empty();
    let mut sql = Sql::new(
        "SELECT b.pk AS pk, b.rt AS rt, b.rid AS rid, b.ver AS ver, b.lu AS lu, \
         v.body AS body",
    );
    for k in sort {
        sql.push(", b.").push(&k.name).push(" AS ").push(&k.name);
    }
    sql.push(
        " FROM (SELECT a.* FROM (SELECT r.res_pk AS pk, r.resource_type AS rt, \
         r.resource_id AS rid, r.version AS ver, r.last_updated AS lu",
    );
    if by_deleted {
        sql.push(", r.deleted AS del");
    }
    for k in sort {
        sql.push(", ")
            .append(k.expr.clone())
            .push(" AS ")
            .push(&k.name);
    }
    sql.push(" FROM resources r WHERE ").append(filter);
    if postgres && cursor.is_some() && !sort.is_empty() {
        // PostgreSQL would inline `a` and compute each sort key once per comparison of the
        // cursor condition; OFFSET 0 keeps it a subquery that computes them once per row
        // (page 2 of Encounter?_sort=-_lastUpdated on 60k: 79-102 ms -> 43 ms).
        sql.push(" OFFSET 0");
    }
    sql.push(") a");
    if let Some(c) = cursor {
        sql.push(" WHERE ").append(page::beyond(sort, c, "a"));
    }
    // A `previous` page is the `limit` rows nearest before its cursor: read in the reverse
    // order, then put in the forward order by the outer ORDER BY.
    let backward = cursor.is_some_and(|c| c.backward);
    sql.push(&page::order_by(sort, "a", backward, by_deleted))
        .limit(limit);
    match (Shape::of(query), query.types().as_slice()) {
        (Shape::ContainedOnes, _) => {
            sql.push(contained::CONTAINED_BODY_JOIN);
        }
        // One type is bound (as it always was); a system search, or containers (of any
        // type), take each row's own.
        (Shape::Plain, [t]) => {
            sql.push(") b JOIN resource_versions v ON v.resource_type = ")
                .text(*t)
                .push(" AND v.resource_id = b.rid AND v.version = b.ver");
        }
        _ => {
            sql.push(
                ") b JOIN resource_versions v ON v.resource_type = b.rt \
                 AND v.resource_id = b.rid AND v.version = b.ver",
            );
        }
    }
    sql.push(&page::order_by(sort, "b", false, false));
    sql
}

impl Store {
    /// Runs `f` on a reader connection inside a read-only snapshot (SQLite: a deferred read
    /// transaction; PostgreSQL: REPEATABLE READ READ ONLY), so a page, its total and its
    /// includes agree with each other.
    fn with_snapshot<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    {
        self.with_reader(|tx| {
            let ctx = AuditContext::default();
            match &mut tx.conn {
                TxConn::Sqlite(c) => c.transaction(|c| f(&mut Tx::new(TxConn::Sqlite(c), &ctx))),
                TxConn::Pg(c) => c
                    .build_transaction()
                    .repeatable_read()
                    .read_only()
                    .run(|c| f(&mut Tx::new(TxConn::Pg(c), &ctx))),
            }
        })
    }

    /// [`Tx::search`] on a reader connection (one snapshot).
    pub fn search(
        &self,
        query: &SearchQuery,
        page: &PageRequest,
    ) -> Result<SearchResult, StoreError> {
        self.with_snapshot(|tx| tx.search(query, page))
    }

    /// The errors `search` would meet in `query` and `page` that do not depend on the data
    /// (an invalid or forged cursor, a filter or sort the store cannot run), found without
    /// running anything: a transaction checks its search entries with it before it writes.
    pub fn check_search(&self, query: &SearchQuery, page: &PageRequest) -> Result<(), StoreError> {
        sort_and_cursor(query, page, self.is_sqlite())?;
        compile_filters(query, self.is_sqlite()).map(|_| ())
    }

    /// [`Tx::search_count`] on a reader connection.
    pub fn count(&self, query: &SearchQuery) -> Result<u64, StoreError> {
        self.with_reader(|tx| tx.search_count(query))
    }

    /// [`Tx::search_ids`] on a reader connection (conditional operations should call the
    /// `Tx` method inside their write transaction instead).
    pub fn search_ids(&self, query: &SearchQuery, limit: usize) -> Result<Vec<String>, StoreError> {
        self.with_reader(|tx| tx.search_ids(query, limit))
    }

    /// [`Tx::explain_search`] on a reader connection.
    pub fn explain_search(&self, query: &SearchQuery) -> Result<Vec<String>, StoreError> {
        self.with_reader(|tx| tx.explain_search(query))
    }
}
