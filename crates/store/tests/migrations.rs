//! Migrations on a database that already holds data: the clustered index-row migration
//! numbers existing rows and its down migration keeps them; the param-key migration gives
//! them the keys the store computes (on PostgreSQL by a PL/pgSQL copy of the function); the
//! store searches and writes on the result. Both backends (`sqlite_*`, `postgres_*`). Also
//! the SQLite index rows' deferred foreign keys: still enforced, at COMMIT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestDb;
use custodian_search::index::{IndexEntry, IndexValue, ResourceIndex};
use custodian_store::{param_key, AuditContext, Store, StoreOptions};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use serde_json::json;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The migrations under test and the rows written before the first, in the schema before it.
const CLUSTERED: &str = "2026-11-22-060000";
const PARAM_KEYS: &str = "2026-12-03-190000";
const OLD_ROWS: &str = "
    INSERT INTO resources (res_pk, resource_type, resource_id, version, last_updated, deleted, index_mask)
        VALUES (1, 'Patient', 'a', 1, 1, FALSE, 11), (2, 'Patient', 'b', 1, 2, FALSE, 1);
    INSERT INTO resource_versions (resource_type, resource_id, version, last_updated, deleted, body, method)
        VALUES ('Patient', 'a', 1, 1, FALSE, '{\"resourceType\":\"Patient\",\"id\":\"a\"}', 'POST'),
               ('Patient', 'b', 1, 2, FALSE, '{\"resourceType\":\"Patient\",\"id\":\"b\"}', 'POST');
    INSERT INTO idx_string (res_pk, resource_type, param, value_normalized, value_exact)
        VALUES (1, 'Patient', 'family', 'muller', 'Müller'), (2, 'Patient', 'family', 'roe', 'Roe'),
               (1, 'Patient', 'given', 'anna', 'Anna'), (1, 'Patient', 'name', 'muller', 'Müller');
    INSERT INTO idx_token (res_pk, resource_type, param, system, code, display)
        VALUES (1, 'Patient', 'gender', NULL, 'female', NULL);
    INSERT INTO idx_reference (res_pk, resource_type, param, target_type, target_id, url,
                               identifier_system, identifier_value)
        VALUES (1, 'Patient', 'general-practitioner', 'Practitioner', 'p1', NULL, NULL, NULL),
               (1, 'Patient', 'organization', NULL, NULL, 'http://example.org/o', NULL, NULL);
";

#[derive(QueryableByName, Debug, PartialEq)]
struct Numbered {
    #[diesel(sql_type = BigInt)]
    res_pk: i64,
    #[diesel(sql_type = Integer)]
    n: i32,
    #[diesel(sql_type = Text)]
    param: String,
}

/// `idx_string` as (res_pk, n, param), sorted by resource and param.
macro_rules! numbered_strings {
    ($conn:expr) => {{
        let mut rows: Vec<(i64, i32, String)> =
            diesel::sql_query("SELECT res_pk, n, param FROM idx_string")
                .load::<Numbered>($conn)
                .unwrap()
                .into_iter()
                .map(|r| (r.res_pk, r.n, r.param))
                .collect();
        rows.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        rows
    }};
}

/// The rows of [`OLD_ROWS`] are all there, and each resource's are numbered 0, 1, ...
fn assert_numbered(rows: &[(i64, i32, String)]) {
    let params: Vec<(i64, &str)> = rows.iter().map(|(pk, _, p)| (*pk, p.as_str())).collect();
    assert_eq!(
        params,
        [(1, "family"), (1, "given"), (1, "name"), (2, "family")]
    );
    for pk in [1, 2] {
        let mut ns: Vec<i32> = rows.iter().filter(|r| r.0 == pk).map(|r| r.1).collect();
        ns.sort_unstable();
        assert_eq!(ns, (0..ns.len() as i32).collect::<Vec<_>>(), "{rows:?}");
    }
}

/// Runs the pending migrations older than `until`.
fn migrate_before<C>(conn: &mut C, migrations: EmbeddedMigrations, until: &str)
where
    C: MigrationHarness<C::Backend> + Connection,
{
    for m in conn.pending_migrations(migrations).unwrap() {
        if m.name().to_string().starts_with(until) {
            break;
        }
        conn.run_migration(&m).unwrap();
    }
}

/// Runs every migration before [`CLUSTERED`], writes [`OLD_ROWS`], then the rest up to
/// [`PARAM_KEYS`] (which the store runs: SQLite's needs the function the store registers).
fn migrate_around<C>(conn: &mut C, migrations: fn() -> EmbeddedMigrations)
where
    C: MigrationHarness<C::Backend> + Connection + SimpleConnection,
{
    migrate_before(conn, migrations(), CLUSTERED);
    conn.batch_execute(OLD_ROWS).unwrap();
    migrate_before(conn, migrations(), PARAM_KEYS);
}

/// Up to [`CLUSTERED`] with [`OLD_ROWS`] written before it, down (with the migrations after
/// it) and up again, checking the rows at each step.
macro_rules! up_down_up {
    ($conn:ident, $migrations:ident) => {{
        migrate_around(&mut $conn, || $migrations);
        assert_numbered(&numbered_strings!(&mut $conn));
        // Revert the newer migrations too, newest first, down to this one.
        loop {
            let reverted = $conn
                .revert_last_migration($migrations)
                .unwrap()
                .to_string();
            if reverted.replace('-', "") == CLUSTERED.replace('-', "") {
                break;
            }
        }
        let rows: Vec<i64> = diesel::sql_query("SELECT res_pk FROM idx_string ORDER BY res_pk")
            .load::<PkRow>(&mut $conn)
            .unwrap()
            .into_iter()
            .map(|r| r.res_pk)
            .collect();
        assert_eq!(rows, [1, 1, 1, 2], "the down migration keeps the rows");
        migrate_before(&mut $conn, $migrations, PARAM_KEYS);
        assert_numbered(&numbered_strings!(&mut $conn));
    }};
}

#[derive(QueryableByName)]
struct KeyedRow {
    #[diesel(sql_type = BigInt)]
    res_pk: i64,
    #[diesel(sql_type = Integer)]
    param_key: i32,
}

/// After the param-key migration, each of [`OLD_ROWS`]' index rows carries the key the store
/// computes for its type and parameter.
macro_rules! assert_keyed {
    ($conn:expr) => {{
        let mut rows: Vec<(i64, i32)> = diesel::sql_query(
            "SELECT res_pk, param_key FROM idx_string UNION ALL \
             SELECT res_pk, param_key FROM idx_token UNION ALL \
             SELECT res_pk, param_key FROM idx_reference",
        )
        .load::<KeyedRow>($conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.res_pk, r.param_key))
        .collect();
        rows.sort_unstable();
        let mut want: Vec<(i64, i32)> = [
            (1, "family"),
            (2, "family"),
            (1, "given"),
            (1, "name"),
            (1, "gender"),
            (1, "general-practitioner"),
            (1, "organization"),
        ]
        .into_iter()
        .map(|(pk, code)| (pk, param_key("Patient", code)))
        .collect();
        want.sort_unstable();
        assert_eq!(rows, want);
    }};
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The param-key migration's down migration gives the index tables their former columns,
/// empty (keys cannot be turned back into names); the store migrates up again and indexes
/// what it writes next (an update: [`OLD_ROWS`] set `res_pk` by hand, which PostgreSQL's
/// sequence does not know).
macro_rules! param_keys_down_and_up {
    ($conn:ident, $migrations:ident, $url:expr) => {{
        let reverted = $conn
            .revert_last_migration($migrations)
            .unwrap()
            .to_string();
        assert!(
            reverted
                .replace('-', "")
                .starts_with(&PARAM_KEYS.replace('-', "")),
            "{reverted}"
        );
        for table in ["idx_string", "idx_token", "idx_reference"] {
            let rows = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE resource_type <> '' OR param <> ''"
            ))
            .load::<Count>(&mut $conn)
            .unwrap();
            assert_eq!(rows[0].n, 0, "{table}");
        }
        store_indexes_writes_after_going_down($url);
    }};
}

/// The store on `url`, which it migrates up (there is nothing left to migrate after).
fn migrated_store(url: &str) -> Store {
    let store = Store::open(url, TestDb::options()).unwrap();
    assert_eq!(store.migrate().unwrap(), 0);
    store
}

/// Ids of the Patients with a `gender` token row of `code`.
fn patients_with_gender(store: &Store, code: &str) -> Vec<String> {
    store
        .transaction(&AuditContext::default(), |tx| {
            tx.find_ids_by_token("Patient", "gender", None, code)
        })
        .unwrap()
}

/// See [`param_keys_down_and_up`].
fn store_indexes_writes_after_going_down(url: &str) {
    let store = migrated_store(url);
    let index = ResourceIndex {
        entries: vec![IndexEntry {
            param: "gender".into(),
            value: IndexValue::Token {
                system: None,
                code: Some("other".into()),
                display: None,
            },
        }],
        contained: Vec::new(),
    };
    store
        .update(
            &AuditContext::default(),
            "Patient",
            "b",
            None,
            &index,
            |m| {
                Ok(serde_json::to_vec(
                    &json!({"resourceType": "Patient", "id": m.id, "gender": "other"}),
                )?)
            },
        )
        .unwrap();
    assert_eq!(patients_with_gender(&store, "other"), ["b"]);
}

/// The store, opened on the migrated database, finds the migrated rows by key.
fn store_searches_migrated_rows(url: &str) {
    assert_eq!(patients_with_gender(&migrated_store(url), "female"), ["a"]);
}

/// The store, opened on the migrated database, replaces a migrated resource's rows.
fn store_writes_on_migrated_rows(url: &str) {
    let store = migrated_store(url);
    let index = ResourceIndex {
        entries: vec![IndexEntry {
            param: "family".into(),
            value: IndexValue::String {
                normalized: "miller".into(),
                exact: "Miller".into(),
            },
        }],
        contained: Vec::new(),
    };
    let ctx = AuditContext::default();
    store
        .update(&ctx, "Patient", "a", Some(1), &index, |m| {
            Ok(serde_json::to_vec(
                &json!({"resourceType": "Patient", "id": m.id, "name": [{"family": "Miller"}]}),
            )?)
        })
        .unwrap();
    assert_eq!(store.read("Patient", "a").unwrap().version, 2);
}

#[test]
fn sqlite_clustered_index_rows_keep_existing_data() {
    let db = TestDb::sqlite();
    // Opening without migrating creates the directory; the harness then migrates in steps.
    Store::open(
        &db.url,
        StoreOptions {
            migrate: false,
            ..TestDb::options()
        },
    )
    .unwrap();
    let path = db.url.trim_start_matches("sqlite://");
    let mut conn = SqliteConnection::establish(path).unwrap();
    // As the store's connections run them: with foreign keys enforced, and waiting for a
    // lock rather than failing (the pool of the store just dropped may still be opening a
    // connection on r2d2's thread, and switching it to WAL takes the database's lock).
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
        .unwrap();
    up_down_up!(conn, SQLITE);
    store_searches_migrated_rows(&db.url);
    assert_keyed!(&mut conn);
    store_writes_on_migrated_rows(&db.url);
    param_keys_down_and_up!(conn, SQLITE, &db.url);
}

/// SQLite checks the index rows' foreign keys at COMMIT (so that their multi-row INSERTs need
/// no statement journal): an index row whose resource does not exist is accepted by its
/// statement, then fails the COMMIT, and nothing of it stays.
#[test]
fn sqlite_index_row_foreign_keys_are_checked_at_commit() {
    let db = TestDb::sqlite();
    drop(Store::open(&db.url, TestDb::options()).unwrap());
    let path = db.url.trim_start_matches("sqlite://");
    let mut conn = SqliteConnection::establish(path).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
        .unwrap();
    let orphans = [
        "INSERT INTO idx_string (res_pk, n, param_key, value_normalized, value_exact) \
         VALUES (4242, 0, 1, 'roe', 'Roe'), (4242, 1, 2, 'jo', 'Jo')",
        "INSERT INTO idx_token (res_pk, n, param_key, system, code, display) \
         VALUES (4242, 0, 1, NULL, 'female', NULL)",
        "INSERT INTO idx_date (res_pk, n, param_key, low, high) \
         VALUES (4242, 0, 1, 1, 2)",
        "INSERT INTO idx_reference (res_pk, n, param_key, target_type, target_id, url, \
         identifier_system, identifier_value) \
         VALUES (4242, 0, 1, 'Patient', 'a', NULL, NULL, NULL)",
        "INSERT INTO idx_quantity (res_pk, n, param_key, value, low, high, system, code, unit) \
         VALUES (4242, 0, 1, 1.0, 0.5, 1.5, NULL, NULL, NULL)",
        "INSERT INTO idx_number (res_pk, n, param_key, value, low, high) \
         VALUES (4242, 0, 1, 1.0, 0.5, 1.5)",
        "INSERT INTO idx_uri (res_pk, n, param_key, uri) \
         VALUES (4242, 0, 1, 'http://example.org/p')",
    ];
    for insert in orphans {
        conn.batch_execute("BEGIN IMMEDIATE").unwrap();
        conn.batch_execute(insert)
            .unwrap_or_else(|e| panic!("deferred, the statement is accepted: {e}\n{insert}"));
        let commit = conn.batch_execute("COMMIT");
        assert!(
            commit
                .as_ref()
                .is_err_and(|e| e.to_string().contains("FOREIGN KEY")),
            "{commit:?}\n{insert}"
        );
        conn.batch_execute("ROLLBACK").unwrap();
        // Outside a transaction the statement is its own transaction, and fails.
        assert!(conn.batch_execute(insert).is_err(), "{insert}");
    }
    for table in [
        "idx_string",
        "idx_token",
        "idx_date",
        "idx_reference",
        "idx_quantity",
        "idx_number",
        "idx_uri",
    ] {
        let left: Vec<i64> = diesel::sql_query(format!("SELECT res_pk FROM {table}"))
            .load::<PkRow>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| r.res_pk)
            .collect();
        assert!(left.is_empty(), "{table}: {left:?}");
    }
}

#[test]
fn postgres_clustered_index_rows_keep_existing_data() {
    let Some(db) = TestDb::postgres() else { return };
    let mut conn = PgConnection::establish(&db.url).unwrap();
    up_down_up!(conn, POSTGRES);
    store_searches_migrated_rows(&db.url);
    assert_keyed!(&mut conn);
    store_writes_on_migrated_rows(&db.url);
    param_keys_down_and_up!(conn, POSTGRES, &db.url);
}

#[derive(QueryableByName)]
struct PkRow {
    #[diesel(sql_type = BigInt)]
    res_pk: i64,
}
