//! The benchmarks' Patient writes the rows the real extraction gives for its body, so that
//! the bulk-insert figures are those of a real Patient of that shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/fixtures/patient.rs"]
#[allow(dead_code)]
mod patient;

use custodian_store::Meta;

#[test]
fn the_bench_patient_has_the_rows_of_the_real_extraction() {
    for i in [0, 7, 1234] {
        let meta = Meta {
            resource_type: "Patient",
            id: "bench-1",
            version_id: "1",
            last_updated: "2026-12-03T00:00:00Z",
            last_updated_micros: 0,
        };
        let body = (patient::render(i))(&meta).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let mut real = custodian_search::extract::extract("Patient", &body)
            .unwrap()
            .entries;
        // The store writes no rows for these (search compares the current row's columns),
        // and a create's extraction does not see them: its id and meta are set later.
        real.retain(|e| e.param != "_id" && e.param != "_lastUpdated");
        let mut fixture = patient::patient_index(i).entries;
        let key = |e: &custodian_search::index::IndexEntry| format!("{} {:?}", e.param, e.value);
        real.sort_by_key(key);
        fixture.sort_by_key(key);
        assert_eq!(fixture, real, "Patient {i}");
    }
}
