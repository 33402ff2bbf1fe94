//! Parse and serialize throughput of the model: `cargo bench -p custodian-model`.
//! Fixtures are synthetic (benches/fixtures); the 1,000-entry Bundle repeats them.

#![allow(clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use custodian_model::{json, Resource};
use std::hint::black_box;

const FIXTURES: &[(&str, &str)] = &[
    ("patient", include_str!("fixtures/patient.json")),
    ("encounter", include_str!("fixtures/encounter.json")),
    ("condition", include_str!("fixtures/condition.json")),
];

fn bundle_of_1000() -> String {
    let mut entries = Vec::with_capacity(1000);
    for i in 0..1000 {
        let (_, body) = FIXTURES[i % FIXTURES.len()];
        entries.push(format!(
            r#"{{"fullUrl":"urn:uuid:00000000-0000-4000-8000-{i:012}","resource":{body},"request":{{"method":"POST","url":"Patient"}}}}"#
        ));
    }
    format!(
        r#"{{"resourceType":"Bundle","type":"transaction","entry":[{}]}}"#,
        entries.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let bundle = bundle_of_1000();
    let mut inputs: Vec<(&str, String, u64)> = FIXTURES
        .iter()
        .map(|(name, body)| (*name, body.to_string(), 1))
        .collect();
    inputs.push(("bundle-1000", bundle, 1000));

    for (name, body, resources) in &inputs {
        let parsed: Resource = match json::from_str(body) {
            Ok(r) => r,
            Err(e) => panic!("fixture {name} does not parse: {e}"),
        };
        let written = json::to_vec(&parsed).unwrap_or_default();

        let mut group = c.benchmark_group(format!("parse/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("MB/s", |b| {
            b.iter(|| json::from_str::<Resource>(black_box(body)))
        });
        group.throughput(Throughput::Elements(*resources));
        group.bench_function("resources/s", |b| {
            b.iter(|| json::from_str::<Resource>(black_box(body)))
        });
        group.finish();

        // The yardstick: the same bytes into serde_json's untyped Value.
        let mut group = c.benchmark_group(format!("baseline-value/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("MB/s", |b| {
            b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(body)))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("serialize/{name}"));
        group.throughput(Throughput::Bytes(written.len() as u64));
        group.bench_function("MB/s", |b| b.iter(|| json::to_vec(black_box(&parsed))));
        group.throughput(Throughput::Elements(*resources));
        group.bench_function("resources/s", |b| {
            b.iter(|| json::to_vec(black_box(&parsed)))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
