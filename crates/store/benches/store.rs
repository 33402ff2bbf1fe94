//! `cargo bench -p custodian-store`: create, read by id, update, bulk insert and concurrent
//! durable creates (group commit on/off) on SQLite, and on PostgreSQL when available (a
//! throwaway cluster with fsync on, or `CUSTODIAN_TEST_POSTGRES_URL`). Throughput is printed
//! as elements/s (= operations/s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/patient.rs"]
mod patient;
#[path = "../tests/common/pg.rs"]
mod pg;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use custodian_store::{AuditContext, Store, StoreOptions, Synchronous};
use patient::{batch_items, patient_index, render};

struct Backend {
    name: &'static str,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let mut v = vec![Backend {
        name: "sqlite",
        url,
        _dir: Some(dir),
    }];
    pg::DURABLE.store(true, Ordering::SeqCst);
    if let Some(url) = pg::fresh_database() {
        v.push(Backend {
            name: "postgres",
            url,
            _dir: None,
        });
    }
    v
}

fn open(url: &str, group_commit: bool) -> Store {
    Store::open(
        url,
        StoreOptions {
            sqlite_synchronous: Synchronous::Full,
            group_commit,
            max_connections: 40,
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let ctx = AuditContext {
        request_id: Some("bench".into()),
        client: Some("bench".into()),
    };
    for b in backends() {
        let store = open(&b.url, true);
        let mut g = c.benchmark_group(format!("store/{}", b.name));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(5))
            .warm_up_time(Duration::from_secs(1));

        // Durable single creates, one thread.
        g.throughput(Throughput::Elements(1));
        let mut i = 0u64;
        g.bench_function("create (1 thread, durable)", |bench| {
            bench.iter(|| {
                i += 1;
                store
                    .create(&ctx, "Patient", &patient_index(i), render(i))
                    .unwrap()
            })
        });

        // Bulk insert: batches of 1,000 Patients (with index rows) per transaction.
        let batch = 1000u64;
        g.throughput(Throughput::Elements(batch));
        let mut n = 1_000_000u64;
        g.bench_function("bulk insert (batches of 1000)", |bench| {
            bench.iter(|| {
                store
                    .transaction(&ctx, |tx| {
                        for k in 0..batch {
                            let i = n + k;
                            tx.create("Patient", &patient_index(i), render(i))?;
                        }
                        Ok(())
                    })
                    .unwrap();
                n += batch;
            })
        });

        // Bulk insert with `create_many` (multi-row INSERTs), batches of 1,000 distinct
        // Patients (their index rows are built outside the measurement).
        g.throughput(Throughput::Elements(batch));
        g.bench_function("bulk insert create_many (batches of 1000)", |bench| {
            bench.iter_batched(
                || {
                    n += batch;
                    let first = n;
                    (
                        first,
                        (first..first + batch)
                            .map(patient_index)
                            .collect::<Vec<_>>(),
                    )
                },
                |(first, indexes)| {
                    store
                        .transaction(&ctx, |tx| tx.create_many(batch_items(first, &indexes)))
                        .unwrap();
                },
                BatchSize::PerIteration,
            )
        });

        // Read by id over 10,000 resources.
        let ids: Vec<String> = store
            .transaction(&ctx, |tx| {
                (0..10_000u64)
                    .map(|i| {
                        tx.create("Patient", &patient_index(i), render(i))
                            .map(|r| r.id)
                    })
                    .collect()
            })
            .unwrap();
        g.throughput(Throughput::Elements(1));
        let mut k = 0usize;
        g.bench_function("read by id", |bench| {
            bench.iter(|| {
                k = (k + 7919) % ids.len();
                store.read("Patient", &ids[k]).unwrap()
            })
        });
        // What the server's async workers do on SQLite: the thread's own connection.
        if b.name == "sqlite" {
            let mut k = 0usize;
            g.bench_function("read by id (Store::here)", |bench| {
                bench.iter(|| {
                    k = (k + 7919) % ids.len();
                    store
                        .here(|tx| tx.read("Patient", &ids[k]))
                        .unwrap()
                        .unwrap()
                })
            });
        }

        // Durable single updates, one thread.
        let mut k = 0usize;
        g.bench_function("update (1 thread, durable)", |bench| {
            bench.iter(|| {
                k = (k + 7919) % ids.len();
                store
                    .update(
                        &ctx,
                        "Patient",
                        &ids[k],
                        None,
                        &patient_index(k as u64),
                        render(k as u64),
                    )
                    .unwrap()
            })
        });

        // Durable single creates from 32 threads, group commit on and off.
        let threads = 32u64;
        let per_thread = 20u64;
        g.throughput(Throughput::Elements(threads * per_thread));
        for group_commit in [true, false] {
            if b.name != "sqlite" && !group_commit {
                continue;
            }
            let s = Arc::new(open(&b.url, group_commit));
            let label = if b.name == "sqlite" {
                format!("group_commit={group_commit}")
            } else {
                "pool".to_owned()
            };
            g.bench_with_input(
                BenchmarkId::new("create (32 threads, durable)", label),
                &s,
                |bench, s| {
                    bench.iter_custom(|iters| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let hs: Vec<_> = (0..threads)
                                .map(|t| {
                                    let s = s.clone();
                                    let ctx = ctx.clone();
                                    std::thread::spawn(move || {
                                        for j in 0..per_thread {
                                            let i = t * 1000 + j;
                                            s.create(&ctx, "Patient", &patient_index(i), render(i))
                                                .unwrap();
                                        }
                                    })
                                })
                                .collect();
                            for h in hs {
                                h.join().unwrap();
                            }
                        }
                        start.elapsed()
                    })
                },
            );
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
