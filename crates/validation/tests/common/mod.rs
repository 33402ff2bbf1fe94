//! Helpers shared by the integration tests: where `../shared` is, and how to read it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use custodian_validation::{Issue, ValidationReport};
use serde_json::Value;

/// `/work/shared` (the project's `../shared`), or `None` with a message when it is absent.
/// Under `CI=true` its absence is a failure.
pub fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI=true but {} is absent: cannot run {what}",
        dir.display()
    );
    eprintln!("SKIPPED {what}: {} is absent", dir.display());
    None
}

/// Every `*.json` file in `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The errors of a report, one per line, for assertion messages.
pub fn describe(report: &ValidationReport) -> String {
    report
        .errors()
        .map(|i: &Issue| {
            format!(
                "  {} {} @ {}: {}",
                i.severity.code(),
                i.code.code(),
                i.expression,
                i.diagnostics
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
