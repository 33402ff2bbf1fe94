//! Filters to SQL predicates on a `resources` row (alias `r`, or a chain's / `_has`'s alias).
//!
//! Index rows name their (type, parameter) pair by one integer, `param_key` (`param_key.rs`);
//! `key(T, p)` below is that key, bound as a value.
//!
//! Each AND'ed filter becomes one predicate, never a join of the outer query:
//! - a positive filter is a *set*: `SELECT x.res_pk FROM idx_<type> x WHERE x.param_key =
//!   key(T, p) AND (<value> OR <value> ...)`, used either as a membership probe
//!   `EXISTS (<set> AND x.res_pk = r.res_pk)` or as a driver `r.res_pk IN (<set>)`;
//! - a negative one (`:not`, `:missing=true`) is `NOT EXISTS (SELECT 1 FROM idx_<type> x WHERE
//!   x.res_pk = r.res_pk AND +x.param_key = key(T, p) ...)` (`+`: see [`Lookup`]);
//! - `_id` and `_lastUpdated` compare columns of the current-version row (`resources`), which
//!   the store sets itself (the extracted `_id`/`_lastUpdated` index rows are not used);
//! - a chain `code:Type.rest` is the set `SELECT c.res_pk FROM idx_reference c WHERE
//!   c.param_key = key(T, code) AND c.target_type = Type AND c.target_id IN (SELECT
//!   t.resource_id FROM resources t WHERE t.resource_type = Type AND NOT t.deleted AND t.res_pk
//!   IN (<rest on t>))`, nested as deep as the parser allows;
//! - `_has:Type:param:rest` is the set `SELECT t.res_pk FROM idx_reference h JOIN resources t
//!   ON (t.resource_type, t.resource_id) = (<outer type>, h.target_id) WHERE +h.param_key =
//!   key(Type, param) AND h.res_pk IN (<rest>)`, where `<rest>` is the inner filter's set
//!   itself when it is positive (its rows exist only for current sources of that type) and
//!   `SELECT s.res_pk FROM resources s WHERE ... AND <rest on s>` otherwise.
//!
//! A scope of several types (a system search, `_contained=both`) tests the keys of each:
//! `param_key IN (key(T1, p), key(T2, p), ...)`.
//!
//! Nested sets are IN lists rather than joins: SQLite then drives from the innermost filter
//! (a join let it walk every reference row of the parameter first).
//!
//! Table and column names come from the fixed strings below; values are always bound.

use custodian_search::query::semantics::{date_match, number_match, Bound, Cmp, Column};
use custodian_search::query::{
    Chain, Compartment, Condition, Filter, Has, Modifier, SearchQuery, SearchValue, TokenSystem,
};
use custodian_search::registry::SearchParamType;

use super::sql::{Bind, Sql};
use crate::error::StoreError;
use crate::param_key::{param_key, param_keys};

/// The highest code point: `p` followed by it bounds every string starting with `p` (byte order).
const MAX_CHAR: char = '\u{10FFFF}';

/// A `resources` row the predicates apply to.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub alias: String,
    /// The types its rows may have: one, or several in a system search.
    pub types: Vec<String>,
}

impl Scope {
    pub(crate) fn new(alias: String, resource_type: &str) -> Scope {
        Scope {
            alias,
            types: vec![resource_type.to_owned()],
        }
    }

    /// The scope of a query's own rows (all its types; with `_contained=true|both`, the rows
    /// of contained resources of those types).
    pub(crate) fn of_query(alias: String, query: &SearchQuery) -> Scope {
        Scope {
            alias,
            types: super::contained::row_types(query),
        }
    }

    /// The types, as the `&str`s `param_keys` takes.
    pub(crate) fn types(&self) -> impl Iterator<Item = &str> + Clone {
        self.types.iter().map(String::as_str)
    }

    /// Whether the rows are of `resource_type` only.
    fn is_only(&self, resource_type: &str) -> bool {
        matches!(self.types.as_slice(), [t] if t == resource_type)
    }

    /// ` = ?` for one type, ` IN (?, ...)` for several: the test after a type column.
    pub(crate) fn type_test(&self) -> Sql {
        let mut sql = Sql::default();
        match self.types.as_slice() {
            [t] => {
                sql.push(" = ").text(t.as_str());
            }
            types => {
                sql.push(" IN ")
                    .list(types.iter().map(|t| Bind::Text(t.clone())));
            }
        }
        sql
    }
}

/// Which column of the scope's row a set's keys are (primary keys: every set resolves to
/// them, so the outer row is always reached by primary key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Pk,
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    /// `sql` is `SELECT <key> FROM ... WHERE ...` (ends inside its WHERE conjunction, so a
    /// correlation `AND <key> = ...` can be appended). The hints name SQLite indexes for its
    /// use as a driver (`IN`) and as a per-row probe (`EXISTS`), see [`Hint`].
    Set {
        sql: Sql,
        key: String,
        on: Key,
        hint_in: Option<Hint>,
        hint_exists: Option<Hint>,
    },
    /// A boolean expression on the scope's row.
    Expr(Sql),
}

/// Where to put `INDEXED BY <index>` in a set's SQL when it is probed per row on SQLite.
///
/// SQLite's planner, without statistics, prefers the index with the most equality columns:
/// for `EXISTS (SELECT .. FROM idx_token x WHERE x.param_key = ? AND
/// x.code = ? AND x.res_pk = r.res_pk)` it picks the value index and scans every row with that
/// code for each candidate, instead of the handful of rows of `r` under its primary key
/// `(res_pk, n)`. The hint
/// pins the per-resource index (PostgreSQL has statistics and gets no hints). Likewise a
/// `_has` set driving the query must seek its reference rows by the source's primary key
/// (`idx_reference`'s own key), not walk every reference of the parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hint {
    pub at: usize,
    pub index: &'static str,
}

/// How a set is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `scope.col IN (set)`: the set drives the query.
    In,
    /// `EXISTS (set AND key = scope.col)`: a probe per candidate row.
    Exists,
}

impl Pred {
    /// A set's SQL as used in `mode`, with SQLite's index hint for that use.
    pub(crate) fn set_sql(
        sql: &Sql,
        hint_in: Option<Hint>,
        hint_exists: Option<Hint>,
        mode: Mode,
        sqlite: bool,
    ) -> Sql {
        let mut sql = sql.clone();
        let hint = match mode {
            Mode::In => hint_in,
            Mode::Exists => hint_exists,
        };
        if let (true, Some(h)) = (sqlite, hint) {
            sql.insert_fixed(h.at, &format!(" INDEXED BY {}", h.index));
        }
        sql
    }

    /// The predicate on `scope`; `sqlite` adds the index hints (see [`Hint`]).
    pub(crate) fn render(self, scope: &Scope, mode: Mode, sqlite: bool) -> Sql {
        match self {
            Pred::Expr(sql) => sql,
            Pred::Set {
                sql,
                key,
                on,
                hint_in,
                hint_exists,
            } => {
                let sql = Pred::set_sql(&sql, hint_in, hint_exists, mode, sqlite);
                let a = &scope.alias;
                let mut out = Sql::default();
                match (mode, on) {
                    (Mode::In, Key::Pk) => {
                        out.push(a).push(".res_pk IN (").append(sql).push(")");
                    }
                    (Mode::Exists, Key::Pk) => {
                        let col = "res_pk";
                        out.push("EXISTS (")
                            .append(sql)
                            .push(" AND ")
                            .push(&key)
                            .push(" = ")
                            .push(a)
                            .push(".")
                            .push(col)
                            .push(")");
                    }
                }
                out
            }
        }
    }
}

/// The per-resource index of an index table on SQLite: its primary key `(res_pk, n)`. The
/// tables are WITHOUT ROWID, so that key is the table itself; SQLite names it
/// `sqlite_autoindex_<table>_1` (its first constraint), which is what `INDEXED BY` takes.
fn res_index(table: &str) -> &'static str {
    match table {
        "idx_string" => "sqlite_autoindex_idx_string_1",
        "idx_token" => "sqlite_autoindex_idx_token_1",
        "idx_date" => "sqlite_autoindex_idx_date_1",
        "idx_reference" => REFERENCE_BY_RESOURCE,
        "idx_quantity" => "sqlite_autoindex_idx_quantity_1",
        "idx_number" => "sqlite_autoindex_idx_number_1",
        _ => "sqlite_autoindex_idx_uri_1",
    }
}

/// See [`res_index`].
const REFERENCE_BY_RESOURCE: &str = "sqlite_autoindex_idx_reference_1";

/// The index table of a parameter type.
pub(crate) fn table(t: SearchParamType) -> Result<&'static str, StoreError> {
    Ok(match t {
        SearchParamType::String => "idx_string",
        SearchParamType::Token => "idx_token",
        SearchParamType::Date => "idx_date",
        SearchParamType::Reference => "idx_reference",
        SearchParamType::Quantity => "idx_quantity",
        SearchParamType::Number => "idx_number",
        SearchParamType::Uri => "idx_uri",
        SearchParamType::Composite | SearchParamType::Special => {
            return Err(StoreError::UnsupportedSearch(format!(
                "{} parameters are not supported",
                t.as_str()
            )))
        }
    })
}

/// Escape `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `(col >= p AND col < p || U+10FFFF)`: starts-with as a range the btree index can scan.
fn starts_with(sql: &mut Sql, col: &str, prefix: &str) {
    let mut upper = prefix.to_owned();
    upper.push(MAX_CHAR);
    sql.push("(")
        .push(col)
        .push(" >= ")
        .text(prefix)
        .push(" AND ")
        .push(col)
        .push(" < ")
        .text(upper)
        .push(")");
}

fn unsupported(c: &Condition) -> StoreError {
    StoreError::UnsupportedSearch(format!(
        "modifier :{} on the {} parameter `{}`",
        c.modifier.as_ref().map_or("", Modifier::as_str),
        c.param_type.as_str(),
        c.code
    ))
}

/// Compiles filters; generates unique aliases.
pub(crate) struct Compiler {
    next: usize,
    sqlite: bool,
    /// Microseconds since the epoch, for the `ap` prefix.
    now: i64,
}

impl Compiler {
    pub(crate) fn new(now: i64, sqlite: bool) -> Self {
        Compiler {
            next: 0,
            sqlite,
            now,
        }
    }

    pub(crate) fn alias(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    pub(crate) fn filter(&mut self, f: &Filter, scope: &Scope) -> Result<Pred, StoreError> {
        match f {
            Filter::Condition(c) => self.condition(c, scope),
            Filter::Chain(ch) => self.chain(ch, scope),
            Filter::Has(h) => self.has(h, scope),
            Filter::Compartment(c) => Ok(self.compartment(c, scope)),
        }
    }

    /// `GET Patient/123/Encounter`: the resources whose compartment parameters reference
    /// `Patient/123`, a set of reference rows (it drives on SQLite like any selective set);
    /// when the searched type is the compartment's own, that resource belongs too.
    fn compartment(&mut self, c: &Compartment, scope: &Scope) -> Pred {
        let x = self.alias("m");
        let mut sql = Sql::default();
        sql.push("SELECT ")
            .push(&x)
            .push(".res_pk AS k FROM idx_reference ")
            .push(&x);
        let hint = Hint {
            at: sql.len(),
            index: REFERENCE_BY_RESOURCE,
        };
        sql.push(" WHERE ");
        keys_test(
            &mut sql,
            &x,
            &param_keys(scope.types(), c.params.iter().map(String::as_str)),
            Lookup::ByKey,
        );
        sql.push(" AND ")
            .push(&x)
            .push(".target_type = ")
            .text(c.compartment_type.as_str())
            .push(" AND ")
            .push(&x)
            .push(".target_id = ")
            .text(c.id.as_str());
        let set = Pred::Set {
            sql,
            key: format!("{x}.res_pk"),
            on: Key::Pk,
            hint_in: None,
            hint_exists: Some(hint),
        };
        if !scope.is_only(&c.compartment_type) {
            return set;
        }
        let mut expr = Sql::new("(");
        expr.push(&scope.alias)
            .push(".resource_id = ")
            .text(c.id.as_str())
            .push(" OR ")
            .append(set.render(scope, Mode::Exists, self.sqlite))
            .push(")");
        Pred::Expr(expr)
    }

    /// A nested filter as a predicate on `scope` (sets drive: chains and `_has` are usually
    /// narrowed by their inner filter).
    fn nested(&mut self, f: &Filter, scope: &Scope) -> Result<Sql, StoreError> {
        let sqlite = self.sqlite;
        Ok(self.filter(f, scope)?.render(scope, Mode::In, sqlite))
    }

    fn chain(&mut self, ch: &Chain, scope: &Scope) -> Result<Pred, StoreError> {
        let c = self.alias("c");
        // A chain is evaluated inside contained resources too (search.html): a reference to
        // one (`#p1`) is stored with target `#Patient` and the contained row's id.
        let t = Scope {
            alias: self.alias("t"),
            types: vec![
                ch.target_type.clone(),
                crate::contained::row_type(&ch.target_type),
            ],
        };
        let inner = self.nested(&ch.filter, &t)?;
        let mut sql = Sql::default();
        sql.push("SELECT ")
            .push(&c)
            .push(".res_pk AS k FROM idx_reference ")
            .push(&c);
        let hint = Hint {
            at: sql.len(),
            index: REFERENCE_BY_RESOURCE,
        };
        // The targets as an IN list (not a join), so SQLite seeks the reference index per
        // target id instead of walking every reference row of the parameter.
        sql.push(" WHERE ");
        keys_test(
            &mut sql,
            &c,
            &param_keys(scope.types(), [ch.code.as_str()]),
            Lookup::ByKey,
        );
        sql.push(" AND ")
            .push(&c)
            .push(".target_type")
            .append(t.type_test())
            .push(" AND ")
            .push(&c)
            .push(".target_id IN (SELECT ")
            .push(&t.alias)
            .push(".resource_id FROM resources ")
            .push(&t.alias)
            .push(" WHERE ")
            .push(&t.alias)
            .push(".resource_type")
            .append(t.type_test())
            .push(" AND ")
            .push(&t.alias)
            .push(".deleted = ")
            .boolean(false)
            .push(" AND ")
            .append(inner)
            .push(")");
        Ok(Pred::Set {
            sql,
            key: format!("{c}.res_pk"),
            on: Key::Pk,
            hint_in: None,
            hint_exists: Some(hint),
        })
    }

    fn has(&mut self, h: &Has, scope: &Scope) -> Result<Pred, StoreError> {
        let x = self.alias("h");
        let s = Scope::new(self.alias("s"), &h.source_type);
        // A positive filter's rows exist only for current, non-deleted sources of its type:
        // its primary keys are used directly, without a hop through `resources`.
        let inner = match self.filter(&h.filter, &s)? {
            Pred::Set {
                sql,
                on: Key::Pk,
                hint_in,
                hint_exists,
                ..
            } => Ok(Pred::set_sql(
                &sql,
                hint_in,
                hint_exists,
                Mode::In,
                self.sqlite,
            )),
            other => Err(other.render(&s, Mode::In, self.sqlite)),
        };
        let t = self.alias("t");
        let mut sql = Sql::default();
        sql.push("SELECT ")
            .push(&t)
            .push(".res_pk AS k FROM idx_reference ")
            .push(&x);
        let hint = Hint {
            at: sql.len(),
            index: REFERENCE_BY_RESOURCE,
        };
        // The target's type: bound when the scope has one, else the reference row's own
        // (a system search; `x.target_type` is tested against the scope's types below).
        let mut target_type = Sql::default();
        if scope.types.len() == 1 {
            target_type.append(scope.type_test());
        } else {
            target_type.push(" = ").push(&x).push(".target_type");
        }
        sql.push(" JOIN resources ")
            .push(&t)
            .push(" ON ")
            .push(&t)
            .push(".resource_type")
            .append(target_type)
            .push(" AND ")
            .push(&t)
            .push(".resource_id = ")
            .push(&x)
            // The source type is in the parameter's key and implied by `h.res_pk IN
            // (<rest>)` (a set of that type), so the reference table's own key (res_pk, n)
            // finds each source's rows. `+`: as a probe per candidate the rows are found
            // from the candidate (`idx_reference_rev` by target); with the key seekable,
            // SQLite seeks (target, param_key, res_pk) once per source in <rest> for every
            // candidate instead (6 ms -> 130-440 ms in review).
            .push(".target_id WHERE ");
        keys_test(
            &mut sql,
            &x,
            &[param_key(&h.source_type, &h.reference_param)],
            Lookup::ByResource,
        );
        sql.push(" AND ")
            .push(&x)
            .push(".target_type")
            .append(scope.type_test())
            // No `deleted` test on `t`: every user of the set tests the outer row, and
            // without it the (type, id) index answers alone.
            .push(" AND ")
            .push(&x)
            .push(".res_pk IN (");
        match inner {
            Ok(set) => {
                sql.append(set);
            }
            Err(pred) => {
                sql.push("SELECT ")
                    .push(&s.alias)
                    .push(".res_pk FROM resources ")
                    .push(&s.alias)
                    .push(" WHERE ")
                    .push(&s.alias)
                    .push(".resource_type = ")
                    .text(h.source_type.as_str())
                    .push(" AND ")
                    .push(&s.alias)
                    .push(".deleted = ")
                    .boolean(false)
                    .push(" AND ")
                    .append(pred);
            }
        }
        sql.push(")");
        Ok(Pred::Set {
            sql,
            key: format!("{t}.res_pk"),
            on: Key::Pk,
            hint_in: Some(hint),
            hint_exists: None,
        })
    }

    fn condition(&mut self, c: &Condition, scope: &Scope) -> Result<Pred, StoreError> {
        match c.code.as_str() {
            "_id" => return id_condition(c, scope),
            "_lastUpdated" => return self.last_updated_condition(c, scope),
            _ => {}
        }
        let table = table(c.param_type)?;
        let x = self.alias("x");
        if c.modifier == Some(Modifier::Missing) {
            let (t, f) = missing_flags(c);
            if t && f {
                return Ok(Pred::Expr(Sql::new("1 = 1")));
            }
            if t {
                let mut sql = Sql::default();
                not_exists_head(&mut sql, table, &x, scope, c);
                sql.push(")");
                return Ok(Pred::Expr(sql));
            }
            let mut sql = Sql::default();
            let hint = set_head(&mut sql, table, &x, scope, c);
            return Ok(Pred::Set {
                sql,
                key: format!("{x}.res_pk"),
                on: Key::Pk,
                hint_in: None,
                hint_exists: Some(hint),
            });
        }
        let values = self.values(c, &x)?;
        if c.modifier == Some(Modifier::Not) {
            let mut sql = Sql::default();
            not_exists_head(&mut sql, table, &x, scope, c);
            sql.push(" AND ").append(values).push(")");
            return Ok(Pred::Expr(sql));
        }
        let mut sql = Sql::default();
        let hint = set_head(&mut sql, table, &x, scope, c);
        sql.push(" AND ").append(values);
        Ok(Pred::Set {
            sql,
            key: format!("{x}.res_pk"),
            on: Key::Pk,
            hint_in: None,
            hint_exists: Some(hint),
        })
    }

    /// `(<value> OR <value> ...)` on the index row alias `x`.
    fn values(&self, c: &Condition, x: &str) -> Result<Sql, StoreError> {
        let terms = c
            .values
            .iter()
            .map(|v| {
                let mut term = Sql::default();
                self.value(c, x, v, &mut term)?;
                Ok(term)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(any_of(terms))
    }

    fn value(
        &self,
        c: &Condition,
        x: &str,
        v: &SearchValue,
        sql: &mut Sql,
    ) -> Result<(), StoreError> {
        let col = |name: &str| format!("{x}.{name}");
        let m = c.modifier.as_ref();
        match (c.param_type, v) {
            (SearchParamType::String, SearchValue::String { value, normalized }) => match m {
                None => starts_with(sql, &col("value_normalized"), normalized),
                Some(Modifier::Exact) => {
                    // Equal strings have equal normalized forms: the value index finds the
                    // candidates, the exact column decides.
                    sql.push(&col("value_normalized"))
                        .push(" = ")
                        .text(normalized.as_str())
                        .push(" AND ")
                        .push(&col("value_exact"))
                        .push(" = ")
                        .text(value.as_str());
                }
                Some(Modifier::Contains) => {
                    sql.push(&col("value_normalized"))
                        .push(" LIKE ")
                        .text(format!("%{}%", escape_like(normalized)))
                        .push(" ESCAPE '\\'");
                }
                Some(_) => return Err(unsupported(c)),
            },
            (SearchParamType::Token, SearchValue::Token { system, code }) => {
                if !matches!(m, None | Some(Modifier::Not)) {
                    return Err(unsupported(c));
                }
                token(sql, &col("system"), &col("code"), system, code.as_deref());
            }
            (SearchParamType::Token, SearchValue::Text { normalized, .. }) => {
                starts_with(sql, &col("display"), normalized);
            }
            (
                SearchParamType::Date,
                SearchValue::Date {
                    prefix, low, high, ..
                },
            ) => {
                if m.is_some() {
                    return Err(unsupported(c));
                }
                let rm = date_match(*prefix, *low, *high, self.now);
                bounds(
                    sql,
                    rm.negated,
                    &rm.all,
                    |b| match b {
                        Column::Low => col("low"),
                        Column::High => col("high"),
                        Column::Value => col("low"),
                    },
                    |s, v| {
                        s.int(v);
                    },
                );
            }
            (
                SearchParamType::Number,
                SearchValue::Number {
                    prefix,
                    value,
                    low,
                    high,
                },
            ) => {
                if m.is_some() {
                    return Err(unsupported(c));
                }
                let rm = number_match(*prefix, *value, *low, *high);
                bounds(
                    sql,
                    rm.negated,
                    &rm.all,
                    |_| col("value"),
                    |s, v| {
                        s.real(v);
                    },
                );
            }
            (
                SearchParamType::Quantity,
                SearchValue::Quantity {
                    prefix,
                    value,
                    low,
                    high,
                    system,
                    code,
                },
            ) => {
                if m.is_some() {
                    return Err(unsupported(c));
                }
                let rm = number_match(*prefix, *value, *low, *high);
                bounds(
                    sql,
                    rm.negated,
                    &rm.all,
                    |_| col("value"),
                    |s, v| {
                        s.real(v);
                    },
                );
                match (system, code) {
                    (Some(s), Some(cd)) => {
                        sql.push(" AND ")
                            .push(&col("system"))
                            .push(" = ")
                            .text(s.as_str())
                            .push(" AND ")
                            .push(&col("code"))
                            .push(" = ")
                            .text(cd.as_str());
                    }
                    (Some(s), None) => {
                        sql.push(" AND ")
                            .push(&col("system"))
                            .push(" = ")
                            .text(s.as_str());
                    }
                    (None, Some(cd)) => {
                        sql.push(" AND (")
                            .push(&col("code"))
                            .push(" = ")
                            .text(cd.as_str())
                            .push(" OR ")
                            .push(&col("unit"))
                            .push(" = ")
                            .text(cd.as_str())
                            .push(")");
                    }
                    (None, None) => {}
                }
            }
            (
                SearchParamType::Reference,
                SearchValue::Reference {
                    target_type,
                    id,
                    url,
                    version,
                },
            ) => {
                if !matches!(m, None | Some(Modifier::Type(_))) {
                    return Err(unsupported(c));
                }
                if version.is_some() {
                    // Index rows keep a reference's target, not the version it names:
                    // matching every version would silently answer another question.
                    return Err(StoreError::UnsupportedSearch(format!(
                        "`{}`: references to a version (Type/id/_history/n) cannot be searched",
                        c.code
                    )));
                }
                let forced = match m {
                    Some(Modifier::Type(t)) => Some(t.as_str()),
                    _ => None,
                };
                match (url, id) {
                    (Some(u), _) => {
                        sql.push(&col("url")).push(" = ").text(u.as_str());
                    }
                    (None, Some(id)) => {
                        sql.push(&col("target_id")).push(" = ").text(id.as_str());
                        if let Some(t) = target_type.as_deref().or(forced) {
                            sql.push(" AND ")
                                .push(&col("target_type"))
                                .push(" = ")
                                .text(t);
                        }
                    }
                    (None, None) => {
                        sql.push("1 = 0");
                    }
                }
            }
            (SearchParamType::Reference, SearchValue::Identifier { system, value }) => {
                token(
                    sql,
                    &col("identifier_system"),
                    &col("identifier_value"),
                    system,
                    value.as_deref(),
                );
            }
            (SearchParamType::Uri, SearchValue::Uri(u)) => match m {
                None => {
                    sql.push(&col("uri")).push(" = ").text(u.as_str());
                }
                Some(Modifier::Below) => starts_with(sql, &col("uri"), u),
                Some(Modifier::Above) => {
                    // The indexed uri is a prefix of the value: compare the value's first
                    // length(uri) characters (no LIKE, so `%`/`_` in stored uris are literal).
                    sql.push(&col("uri"))
                        .push(" <> '' AND substr(")
                        .text(u.as_str())
                        .push(", 1, length(")
                        .push(&col("uri"))
                        .push(")) = ")
                        .push(&col("uri"));
                }
                Some(_) => return Err(unsupported(c)),
            },
            _ => {
                return Err(StoreError::UnsupportedSearch(format!(
                    "a value of the wrong kind for the {} parameter `{}`",
                    c.param_type.as_str(),
                    c.code
                )))
            }
        }
        Ok(())
    }

    /// `_lastUpdated`: the current version's `last_updated` column (a point, so `low = high`).
    fn last_updated_condition(&self, c: &Condition, scope: &Scope) -> Result<Pred, StoreError> {
        let col = format!("{}.last_updated", scope.alias);
        if c.modifier == Some(Modifier::Missing) {
            return Ok(Pred::Expr(missing_column(c)));
        }
        if c.modifier.is_some() {
            return Err(unsupported(c));
        }
        let mut terms = Vec::new();
        for v in &c.values {
            let SearchValue::Date {
                prefix, low, high, ..
            } = v
            else {
                return Err(unsupported(c));
            };
            let rm = date_match(*prefix, *low, *high, self.now);
            let mut term = Sql::default();
            bounds(
                &mut term,
                rm.negated,
                &rm.all,
                |_| col.clone(),
                |s, v| {
                    s.int(v);
                },
            );
            terms.push(term);
        }
        Ok(Pred::Expr(any_of(terms)))
    }
}

/// `(t1 OR t2 OR ...)`, nested as a balanced tree: SQLite parses a flat OR chain of n terms
/// n levels deep and refuses past 1,000 levels (long value lists answered 500); balanced,
/// 500 values nest 9 levels.
fn any_of(mut terms: Vec<Sql>) -> Sql {
    let mut sql = Sql::new("(");
    match terms.len() {
        0 => {
            sql.push("1 = 0");
        }
        1 => {
            sql.push("(");
            sql.append(terms.remove(0));
            sql.push(")");
        }
        n => {
            let right = terms.split_off(n / 2);
            sql.append(any_of(terms)).push(" OR ").append(any_of(right));
        }
    }
    sql.push(")");
    sql
}

/// `_id`: the current row's `resource_id` column.
fn id_condition(c: &Condition, scope: &Scope) -> Result<Pred, StoreError> {
    let col = format!("{}.resource_id", scope.alias);
    let negate = match c.modifier {
        None => false,
        Some(Modifier::Not) => true,
        Some(Modifier::Missing) => return Ok(Pred::Expr(missing_column(c))),
        Some(_) => return Err(unsupported(c)),
    };
    let mut ids = Vec::new();
    for v in &c.values {
        match v {
            // Ids have no system: `id` and `|id` match, `system|id` never does.
            SearchValue::Token {
                system: TokenSystem::Any | TokenSystem::NoSystem,
                code: Some(code),
            } => ids.push(Bind::Text(code.clone())),
            SearchValue::Token { .. } => {}
            _ => return Err(unsupported(c)),
        }
    }
    let mut sql = Sql::default();
    if ids.is_empty() {
        sql.push(if negate { "1 = 1" } else { "1 = 0" });
    } else {
        sql.push(if negate { "NOT (" } else { "(" })
            .push(&col)
            .push(" IN ")
            .list(ids)
            .push(")");
    }
    Ok(Pred::Expr(sql))
}

/// `:missing` on a column every resource has: `true` matches nothing, `false` everything.
fn missing_column(c: &Condition) -> Sql {
    let (_, f) = missing_flags(c);
    Sql::new(if f { "1 = 1" } else { "1 = 0" })
}

/// Which of `:missing=true` / `:missing=false` the OR'ed values ask for.
fn missing_flags(c: &Condition) -> (bool, bool) {
    let t = c.values.contains(&SearchValue::Missing(true));
    let f = c.values.contains(&SearchValue::Missing(false));
    (t, f)
}

/// `SELECT x.res_pk FROM <table> x WHERE x.param_key = ?`; returns where
/// a probe index hint goes.
fn set_head(sql: &mut Sql, table: &'static str, x: &str, scope: &Scope, c: &Condition) -> Hint {
    sql.push("SELECT ")
        .push(x)
        .push(".res_pk AS k FROM ")
        .push(table)
        .push(" ")
        .push(x);
    let hint = Hint {
        at: sql.len(),
        index: res_index(table),
    };
    sql.push(" WHERE ");
    param_test(sql, x, &scope.types, &c.code, &c.part_codes, Lookup::ByKey);
    hint
}

/// `NOT EXISTS (SELECT 1 FROM <table> x WHERE x.res_pk = scope.res_pk AND x.param_key = ?`
/// (the caller closes the parenthesis).
fn not_exists_head(sql: &mut Sql, table: &str, x: &str, scope: &Scope, c: &Condition) {
    sql.push("NOT EXISTS (SELECT 1 FROM ")
        .push(table)
        .push(" ")
        .push(x)
        .push(" WHERE ")
        .push(x)
        .push(".res_pk = ")
        .push(&scope.alias)
        .push(".res_pk AND ");
    param_test(
        sql,
        x,
        &scope.types,
        &c.code,
        &c.part_codes,
        Lookup::ByResource,
    );
}

/// How the rows a key test selects are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Through the value index, which `param_key` leads: a set over all of a parameter's rows.
    ByKey,
    /// From given resources (`res_pk = ?` or `res_pk IN (..)` elsewhere in the statement, or
    /// `_has`'s target): the key test is written `+alias.param_key`, which no index seek can
    /// use, so the table's own key (or the reference index by target) is used. Otherwise
    /// SQLite, without statistics, prefers an index that the key leads and walks every row
    /// of the parameter for each resource.
    ByResource,
}

/// `alias.param_key = ?` (or `IN (..)`) for the rows of parameter `code` on resources of
/// `types`, and of the parameters whose rows hold its parts (`part_codes`).
pub(crate) fn param_test(
    sql: &mut Sql,
    alias: &str,
    types: &[String],
    code: &str,
    part_codes: &[String],
    lookup: Lookup,
) {
    let codes = std::iter::once(code).chain(part_codes.iter().map(String::as_str));
    keys_test(
        sql,
        alias,
        &param_keys(types.iter().map(String::as_str), codes),
        lookup,
    );
}

/// `alias.param_key = ?` for one key, `alias.param_key IN (?, ...)` for several (see
/// [`Lookup`] for the `+`).
pub(crate) fn keys_test(sql: &mut Sql, alias: &str, keys: &[i32], lookup: Lookup) {
    if lookup == Lookup::ByResource {
        sql.push("+");
    }
    sql.push(alias);
    match keys {
        [key] => {
            sql.push(".param_key = ").int((*key).into());
        }
        keys => {
            sql.push(".param_key IN ")
                .list(keys.iter().map(|k| Bind::Int((*k).into())));
        }
    }
}

/// Token-like matching on a (system, code) column pair.
fn token(
    sql: &mut Sql,
    system_col: &str,
    code_col: &str,
    system: &TokenSystem,
    code: Option<&str>,
) {
    match (system, code) {
        (TokenSystem::Any, Some(code)) => {
            sql.push(code_col).push(" = ").text(code);
        }
        (TokenSystem::NoSystem, Some(code)) => {
            sql.push(system_col)
                .push(" IS NULL AND ")
                .push(code_col)
                .push(" = ")
                .text(code);
        }
        (TokenSystem::Is(s), Some(code)) => {
            sql.push(code_col)
                .push(" = ")
                .text(code)
                .push(" AND ")
                .push(system_col)
                .push(" = ")
                .text(s.as_str());
        }
        (TokenSystem::Is(s), None) => {
            sql.push(system_col).push(" = ").text(s.as_str());
        }
        (TokenSystem::Any | TokenSystem::NoSystem, None) => {
            sql.push("1 = 0");
        }
    }
}

/// A conjunction of column bounds (negated for `ne`).
fn bounds<T: Copy>(
    sql: &mut Sql,
    negated: bool,
    all: &[Bound<T>],
    col: impl Fn(Column) -> String,
    bind: impl Fn(&mut Sql, T),
) {
    if all.is_empty() {
        sql.push(if negated { "1 = 0" } else { "1 = 1" });
        return;
    }
    sql.push(if negated { "NOT (" } else { "(" });
    for (i, b) in all.iter().enumerate() {
        if i > 0 {
            sql.push(" AND ");
        }
        let op = match b.cmp {
            Cmp::Lt => " < ",
            Cmp::Le => " <= ",
            Cmp::Gt => " > ",
            Cmp::Ge => " >= ",
        };
        sql.push(&col(b.column)).push(op);
        bind(sql, b.value);
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escaping() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
