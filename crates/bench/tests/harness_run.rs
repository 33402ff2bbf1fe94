//! The whole harness end to end, a second or two per workload: `custodian-bench all` on the
//! small data set against the `custodian` binary of this build. This is the CI smoke run of
//! the benchmark suite: no speed assertions (speed is judged from reports), but every
//! workload must run, be measured and be answered without errors, so the harness keeps
//! working as the server changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const WORKLOADS: [&str; 12] = [
    "ceiling",
    "import (NDJSON)",
    "read",
    "search family",
    "search birthdate+gender",
    "search chained",
    "search _has",
    "search _include",
    "create Patient",
    "update Patient (If-Match)",
    "transaction",
    "mixed 70/20/10",
];

/// `custodian` next to the harness binary: `cargo test --workspace` builds it for the server's
/// own end-to-end tests.
fn custodian_binary() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_custodian-bench"))
        .with_file_name(format!("custodian{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn every_workload_runs_against_custodian() {
    let custodian = custodian_binary();
    if !custodian.exists() {
        let why = format!(
            "{} is missing: run `cargo test --workspace`, which builds it",
            custodian.display()
        );
        assert!(std::env::var("CI").is_err(), "{why}");
        eprintln!("SKIPPED every_workload_runs_against_custodian: {why}");
        return;
    }
    let out = std::env::temp_dir().join(format!("custodian-bench-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_custodian-bench"))
        .args(["all", "--size", "small", "--duration", "1", "--warmup", "1"])
        .args(["--connections", "1,8", "--no-append"])
        .arg("--custodian-bin")
        .arg(&custodian)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "custodian-bench all failed: {}\n{}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    let report_path = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("report-") && name.ends_with(".json")
        })
        .expect("no report-*.json written");
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    for workload in WORKLOADS {
        let runs: Vec<&Value> = results
            .iter()
            .filter(|r| r["workload"] == workload)
            .collect();
        assert!(!runs.is_empty(), "{workload} was not measured: {report:#}");
        for run in runs {
            assert!(run["requests"].as_u64().unwrap() > 0, "{run:#}");
            assert_eq!(run["errors"].as_u64(), Some(0), "{run:#}");
            assert!(run["requests_per_s"].as_f64().unwrap() > 0.0, "{run:#}");
            if workload != "ceiling" && workload != "import (NDJSON)" {
                assert!(run["p50_ms"].as_f64().is_some(), "no latency: {run:#}");
                assert!(
                    run["server_peak_rss_mb"].as_f64().is_some(),
                    "no server RSS: {run:#}"
                );
            }
        }
    }
    let reads = results.iter().filter(|r| r["workload"] == "read").count();
    assert_eq!(reads, 2, "read runs at 1 and 8 connections");
    assert_eq!(report["data"]["patients"], 1000);
    assert!(report["server_idle_rss_mb"].as_f64().is_some());
    std::fs::remove_dir_all(&out).unwrap();
}
