//! `cargo bench -p custodian-store --bench search`: the five search queries of issue 5 on
//! 100,000 Patients, 200,000 Encounters and 100,000 Conditions (SQLite, in-process, first page
//! of 50). Index rows come from the real extraction.
//!
//! The database is built once with `create_many` and cached under
//! `target/search-bench/v{DATA_VERSION}/` (delete it or bump `DATA_VERSION` to rebuild).
//! Besides criterion's figures, each query's p50/p95 over 200 runs and its SQLite query plan
//! are printed.
//!
//! `CUSTODIAN_BENCH_PG=1` also loads the same data into PostgreSQL (`CUSTODIAN_TEST_POSTGRES_URL`
//! or a throwaway cluster), runs `ANALYZE`, and prints `EXPLAIN ANALYZE` and p50 per query.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/pg.rs"]
mod pg;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use custodian_search::extract::extract;
use custodian_search::index::ResourceIndex;
use custodian_search::query::{parse_query, Handling, SearchQuery};
use custodian_store::{
    AuditContext, BatchItem, BoxError, Meta, PageRequest, Store, StoreOptions, Synchronous,
};
use serde_json::{json, Value};

/// Bump when the generated data changes.
const DATA_VERSION: u32 = 1;
const PATIENTS: usize = 100_000;
const ENCOUNTERS_PER_PATIENT: usize = 2;
const BATCH: usize = 5_000;

pub const QUERIES: [(&str, &str); 5] = [
    ("Patient", "family=family123&_count=50"),
    ("Patient", "birthdate=ge1980&gender=female&_count=50"),
    ("Encounter", "subject:Patient.family=family123&_count=50"),
    ("Patient", "_has:Condition:subject:code=1042&_count=50"),
    ("Encounter", "_include=Encounter:subject&_count=50"),
];

fn patient(i: usize) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:1.2.3", "value": format!("MRN{i}")}],
        "active": true,
        "name": [{"family": format!("Family{}", i % 1000), "given": [format!("Given{}", i % 500)]}],
        "gender": if i % 2 == 0 { "female" } else { "male" },
        "birthDate": format!("{}-{:02}-{:02}", 1940 + i % 70, 1 + i % 12, 1 + i % 28),
        "address": [{"city": format!("City{}", i % 200), "postalCode": format!("{:05}", i % 99_999), "country": "US"}]
    })
}

fn encounter(j: usize) -> Value {
    let p = j / ENCOUNTERS_PER_PATIENT;
    json!({
        "resourceType": "Encounter",
        "status": if j % 10 == 0 { "in-progress" } else { "finished" },
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": format!("Patient/pat-{p}")},
        "period": {"start": format!("20{:02}-{:02}-{:02}T10:00:00Z", 10 + j % 15, 1 + j % 12, 1 + j % 28)}
    })
}

fn condition(k: usize) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": format!("{}", 1000 + k % 100), "display": format!("Condition {}", k % 100)}]},
        "subject": {"reference": format!("Patient/pat-{k}")},
        "onsetDateTime": format!("20{:02}-01-01", 10 + k % 15)
    })
}

fn render(body: &Value) -> impl FnOnce(&Meta<'_>) -> Result<Vec<u8>, BoxError> + '_ {
    move |m| {
        let mut v = body.clone();
        v["id"] = json!(m.id);
        v["meta"] = json!({"versionId": m.version_id, "lastUpdated": m.last_updated});
        Ok(serde_json::to_vec(&v)?)
    }
}

fn load(store: &Store, ty: &str, prefix: &str, n: usize, make: fn(usize) -> Value) {
    let ctx = AuditContext::default();
    for start in (0..n).step_by(BATCH) {
        let end = (start + BATCH).min(n);
        let bodies: Vec<Value> = (start..end).map(make).collect();
        let ids: Vec<String> = (start..end).map(|i| format!("{prefix}-{i}")).collect();
        let indexes: Vec<ResourceIndex> = bodies.iter().map(|b| extract(ty, b).unwrap()).collect();
        store
            .transaction(&ctx, |tx| {
                let items = bodies
                    .iter()
                    .zip(&ids)
                    .zip(&indexes)
                    .map(|((b, id), index)| BatchItem {
                        resource_type: ty,
                        id: Some(id.as_str()),
                        index,
                        render: render(b),
                    })
                    .collect();
                tx.create_many(items).map(|_| ())
            })
            .unwrap();
    }
}

fn populate(store: &Store) {
    let t = Instant::now();
    load(store, "Patient", "pat", PATIENTS, patient);
    load(
        store,
        "Encounter",
        "enc",
        PATIENTS * ENCOUNTERS_PER_PATIENT,
        encounter,
    );
    load(store, "Condition", "con", PATIENTS, condition);
    eprintln!(
        "built {} resources in {:.1?}",
        PATIENTS * (2 + ENCOUNTERS_PER_PATIENT),
        t.elapsed()
    );
}

fn options() -> StoreOptions {
    StoreOptions {
        sqlite_synchronous: Synchronous::Normal,
        max_connections: 4,
        ..StoreOptions::default()
    }
}

/// The cached SQLite database (built on first use).
fn sqlite_store() -> Store {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join(format!("search-bench/v{DATA_VERSION}"));
    let done = dir.join("complete");
    let db = dir.join("search.db");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}", db.display()), options()).unwrap();
        populate(&store);
        drop(store);
        std::fs::write(&done, b"ok").unwrap();
    }
    Store::open(&format!("sqlite://{}", db.display()), options()).unwrap()
}

fn query(ty: &str, q: &str) -> SearchQuery {
    let pairs: Vec<(&str, &str)> = q.split('&').filter_map(|p| p.split_once('=')).collect();
    parse_query(ty, pairs, Handling::Strict).unwrap()
}

/// p50 and p95 of `runs` searches.
fn percentiles(store: &Store, q: &SearchQuery, runs: usize) -> (Duration, Duration) {
    let start = Instant::now();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    // At most `runs` runs, and no more than ~3 s per query (slow plans still get figures).
    while times.len() < runs && (times.len() < 5 || start.elapsed() < Duration::from_secs(3)) {
        let t = Instant::now();
        let r = store.search(q, &PageRequest::default()).unwrap();
        std::hint::black_box(r);
        times.push(t.elapsed());
    }
    times.sort();
    let n = times.len();
    (times[n / 2], times[(n * 95 / 100).min(n - 1)])
}

fn report(name: &str, store: &Store) {
    if std::env::var("CUSTODIAN_BENCH_REPORT").ok().as_deref() == Some("0") {
        return;
    }
    for (ty, q) in QUERIES {
        let sq = query(ty, q);
        let r = store.search(&sq, &PageRequest::default()).unwrap();
        let (p50, p95) = percentiles(store, &sq, 200);
        eprintln!(
            "[{name}] {ty}?{q}: {} matches, {} included, next page: {}; p50 {p50:.2?}, p95 {p95:.2?}",
            r.matches.len(),
            r.included.len(),
            r.next.is_some()
        );
        for line in store.explain_search(&sq).unwrap() {
            eprintln!("    {line}");
        }
    }
}

fn postgres() {
    if std::env::var("CUSTODIAN_BENCH_PG").ok().as_deref() != Some("1") {
        return;
    }
    let Some(url) = pg::fresh_database() else {
        return;
    };
    let store = Store::open(&url, options()).unwrap();
    populate(&store);
    {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        diesel::sql_query("ANALYZE").execute(&mut c).unwrap();
    }
    report("postgres", &store);
}

fn bench(c: &mut Criterion) {
    let store = sqlite_store();
    report("sqlite", &store);
    let mut g = c.benchmark_group("search/sqlite");
    g.sample_size(50)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (ty, q) in QUERIES {
        let sq = query(ty, q);
        g.bench_function(format!("{ty}?{q}"), |b| {
            b.iter(|| store.search(&sq, &PageRequest::default()).unwrap())
        });
    }
    g.finish();
    postgres();
}

criterion_group!(benches, bench);
criterion_main!(benches);
