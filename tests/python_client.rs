//! An independent FHIR client against the real binary: the Python `fhirpy` library (from PyPI)
//! creating, reading, updating and deleting a Patient as an EHR integration would.
//!
//! Runs `tests/python/run.sh` only when `CUSTODIAN_PYTHON_TESTS=1` (CI sets it), so a plain
//! `cargo test` on a fresh clone needs neither Python packages nor network access to PyPI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[test]
fn fhirpy_create_read_update_delete() {
    if std::env::var("CUSTODIAN_PYTHON_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipping the fhirpy client test: set CUSTODIAN_PYTHON_TESTS=1 to run it \
             (needs python3 with venv and PyPI)"
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/run.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("CUSTODIAN_BIN", env!("CARGO_BIN_EXE_custodian"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(status.success(), "{} failed: {status}", script.display());
}
