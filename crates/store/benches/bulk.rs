//! `cargo bench -p custodian-store --bench bulk`: issue 3's bulk insert as it is written,
//! 100,000 Patients with their index rows, in transactions of 1,000, into a fresh durable
//! database (`synchronous=FULL` on SQLite, fsync on for PostgreSQL), timed from the first
//! batch to the last commit. Criterion's bulk figures in `--bench store` instead repeat a
//! batch into a database that keeps growing across its samples, so the two differ.
//!
//! Each run starts from an empty database and prints Patients/s for the whole run and per
//! 20,000 (the rate falls as the value indexes grow). `BULK_RUNS` (default 3) sets the
//! runs per variant, `BULK_PATIENTS` (default 100000) the size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fixtures/patient.rs"]
mod patient;
#[path = "../tests/common/pg.rs"]
mod pg;

use std::sync::atomic::Ordering;
use std::time::Instant;

use custodian_store::{AuditContext, Store, StoreOptions, Synchronous};
use patient::{batch_items, patient_index, render};

const BATCH: u64 = 1000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How one batch is written.
#[derive(Clone, Copy)]
enum Variant {
    /// `Tx::create_many`: multi-row INSERTs (what `custodian import` and large Bundles use).
    CreateMany,
    /// `Tx::create` per Patient inside the batch's transaction.
    Create,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::CreateMany => "create_many",
            Variant::Create => "create",
        }
    }
}

fn write_batch(store: &Store, ctx: &AuditContext, variant: Variant, first: u64) {
    let indexes: Vec<_> = (first..first + BATCH).map(patient_index).collect();
    store
        .transaction(ctx, |tx| match variant {
            Variant::CreateMany => tx.create_many(batch_items(first, &indexes)).map(|_| ()),
            Variant::Create => {
                for (k, index) in indexes.iter().enumerate() {
                    tx.create("Patient", index, render(first + k as u64))?;
                }
                Ok(())
            }
        })
        .unwrap();
}

/// One run into the empty database at `url`: the overall rate and the rate per fifth.
fn run(url: &str, variant: Variant, patients: u64) -> (f64, Vec<f64>) {
    let store = Store::open(
        url,
        StoreOptions {
            sqlite_synchronous: Synchronous::Full,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let ctx = AuditContext {
        request_id: Some("bench".into()),
        client: Some("bench".into()),
    };
    let step = (patients / 5).max(BATCH);
    let mut parts = Vec::new();
    let start = Instant::now();
    let mut part_start = start;
    let (mut written, mut in_part) = (0, 0);
    while written < patients {
        write_batch(&store, &ctx, variant, written);
        written += BATCH;
        in_part += BATCH;
        if in_part >= step || written >= patients {
            parts.push(in_part as f64 / part_start.elapsed().as_secs_f64());
            (in_part, part_start) = (0, Instant::now());
        }
    }
    (written as f64 / start.elapsed().as_secs_f64(), parts)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter word selects backends ("sqlite", "postgres").
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    let runs = env_or("BULK_RUNS", 3);
    let patients = env_or("BULK_PATIENTS", 100_000).max(BATCH);
    pg::DURABLE.store(true, Ordering::SeqCst);
    println!("bulk insert: {patients} Patients in transactions of {BATCH}, fresh database per run");
    for variant in [Variant::CreateMany, Variant::Create] {
        for backend in ["sqlite", "postgres"] {
            if !wanted(backend) {
                continue;
            }
            let mut rates = Vec::new();
            for r in 0..runs {
                let dir = tempfile::tempdir().unwrap();
                let url = match backend {
                    "sqlite" => format!("sqlite://{}/bulk.db", dir.path().display()),
                    _ => match pg::fresh_database() {
                        Some(url) => url,
                        None => {
                            println!("{backend}: not available, skipped");
                            break;
                        }
                    },
                };
                let (rate, parts) = run(&url, variant, patients);
                let parts: Vec<String> = parts.iter().map(|p| format!("{p:.0}")).collect();
                println!(
                    "{backend:>8} {:<11} run {}: {rate:>8.0} Patients/s  (per fifth: {})",
                    variant.name(),
                    r + 1,
                    parts.join(", ")
                );
                rates.push(rate);
            }
            if !rates.is_empty() {
                rates.sort_by(f64::total_cmp);
                println!(
                    "{backend:>8} {:<11} median {:>8.0} Patients/s over {} runs",
                    variant.name(),
                    rates[rates.len() / 2],
                    rates.len()
                );
            }
        }
    }
}
