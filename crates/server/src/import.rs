//! `custodian import PATH...`: Bulk Data NDJSON files and transaction/batch/collection
//! Bundles, loaded straight into the database with a progress bar. Lines that fail are
//! reported (file, line, reason; never their content) while the good ones still load.

use crate::core::bundles::EntryReturn;
use crate::core::import::{ImportFailure, ImportItem, PreparedChunk};
use crate::core::{Fhir, RequestContext};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Resources per transaction.
const CHUNK: usize = 2000;

pub struct ImportOptions {
    pub paths: Vec<PathBuf>,
    pub report: PathBuf,
    pub threads: usize,
    pub progress: bool,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub loaded: usize,
    pub failed: usize,
    pub seconds: f64,
}

/// One failure for the report.
struct Failed {
    file: String,
    line: usize,
    reason: String,
    expression: Option<String>,
}

pub fn run(fhir: &Fhir, options: &ImportOptions) -> Result<Summary, String> {
    let started = Instant::now();
    let total = options
        .paths
        .iter()
        .map(|p| count_resources(p))
        .sum::<Result<u64, String>>()?;
    let bar = if options.progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} resources, {per_sec}, ETA {eta} {msg}")
            .map_err(|e| e.to_string())?,
    );
    let ctx = RequestContext {
        request_id: format!("import-{}", uuid::Uuid::new_v4()),
        client: Some("custodian import".into()),
        base_url: String::new(),
    };
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for path in &options.paths {
        let file_name = path.display().to_string();
        bar.set_message(file_name.clone());
        let mut on_failures = |fs: Vec<ImportFailure>| {
            for f in fs {
                let outcome = f.error.to_operation_outcome();
                failures.push(Failed {
                    file: file_name.clone(),
                    line: f.line,
                    expression: expression_of(&outcome),
                    reason: diagnostics_of(&outcome).unwrap_or_else(|| f.error.to_string()),
                });
            }
        };
        if is_ndjson(path) {
            let (loaded, failed) = import_ndjson(fhir, &ctx, path, options.threads, &bar)?;
            summary.loaded += loaded;
            on_failures(failed);
        } else {
            match import_bundle(fhir, &ctx, path, options.threads, &bar) {
                Ok((loaded, failed)) => {
                    summary.loaded += loaded;
                    on_failures(failed);
                }
                Err(reason) => on_failures(vec![ImportFailure {
                    line: 1,
                    error: crate::core::FhirError::bad_request(reason),
                }]),
            }
        }
    }
    bar.finish_and_clear();
    if summary.loaded > 0 {
        // Fresh statistics for the searches that follow; the data is in either way.
        if let Err(e) = fhir.store().analyze() {
            tracing::warn!(error = %e, "ANALYZE after the import failed");
        }
    }
    summary.failed = failures.len();
    summary.seconds = started.elapsed().as_secs_f64();
    if !failures.is_empty() {
        write_report(&options.report, &failures)?;
    }
    Ok(summary)
}

fn is_ndjson(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "ndjson" || e == "jsonl")
}

fn count_resources(path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if is_ndjson(path) {
        let mut n = 0u64;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if !line.trim().is_empty() {
                n += 1;
            }
        }
        Ok(n)
    } else {
        Ok(1)
    }
}

/// Reads and prepares chunk k+1 on this thread (and `threads` helpers) while a writer thread
/// writes chunk k: the single SQLite writer is the bottleneck, and without the overlap it sat
/// idle while each chunk was parsed and validated. Under referential integrity chunk k+1 may
/// reference chunk k, so it is validated only once chunk k is in the store.
fn import_ndjson(
    fhir: &Fhir,
    ctx: &RequestContext,
    path: &Path,
    threads: usize,
    bar: &ProgressBar,
) -> Result<(usize, Vec<ImportFailure>), String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if fhir.referential_integrity() {
        return import_in_turn(fhir, ctx, path, file, threads, bar);
    }
    std::thread::scope(|scope| {
        // One chunk may wait while one is written: memory stays at about three chunks.
        let (to_writer, chunks) = std::sync::mpsc::sync_channel::<PreparedChunk>(1);
        let writer = scope.spawn(move || {
            let mut loaded = 0;
            let mut failures = Vec::new();
            for chunk in chunks {
                let n = chunk.len() as u64;
                let (ok, failed) = fhir.write_prepared(ctx, chunk);
                loaded += ok;
                failures.extend(failed);
                bar.inc(n);
            }
            (loaded, failures)
        });
        let read = read_chunks(path, file, |chunk| {
            // A closed channel means the writer thread is gone; its join reports why.
            to_writer.send(fhir.prepare_chunk(chunk, threads)).is_ok()
        });
        drop(to_writer);
        let written = writer
            .join()
            .map_err(|_| format!("{}: the import writer failed", path.display()));
        read?;
        written
    })
}

/// [`import_ndjson`] under referential integrity: chunks one after the other, each validated
/// once the last is in the store. Lines that failed only because what they reference was not
/// stored (yet) are tried again after the file, round after round until a round loads none:
/// references to later lines and cycles across chunks load too.
fn import_in_turn(
    fhir: &Fhir,
    ctx: &RequestContext,
    path: &Path,
    file: File,
    threads: usize,
    bar: &ProgressBar,
) -> Result<(usize, Vec<ImportFailure>), String> {
    let mut loaded = 0;
    let mut failures = Vec::new();
    // Lines waiting for their references, with their last failure.
    let mut waiting: Vec<(ImportItem, ImportFailure)> = Vec::new();
    let mut load = |chunk: Vec<ImportItem>, waiting: &mut Vec<(ImportItem, ImportFailure)>| {
        let mut copies: std::collections::HashMap<usize, Vec<u8>> =
            chunk.iter().map(|i| (i.line, i.json.clone())).collect();
        let (ok, failed) = fhir.write_prepared(ctx, fhir.prepare_chunk(chunk, threads));
        for f in failed {
            match copies.remove(&f.line) {
                Some(json) if f.waits_for_references() => {
                    waiting.push((ImportItem { line: f.line, json }, f));
                }
                _ => failures.push(f),
            }
        }
        loaded += ok;
    };
    read_chunks(path, file, |chunk| {
        let n = chunk.len() as u64;
        load(chunk, &mut waiting);
        bar.inc(n);
        true
    })?;
    loop {
        let before = waiting.len();
        let mut round = std::mem::take(&mut waiting)
            .into_iter()
            .map(|(item, _)| item);
        loop {
            let chunk: Vec<ImportItem> = round.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            load(chunk, &mut waiting);
        }
        if waiting.is_empty() || waiting.len() == before {
            break;
        }
    }
    failures.extend(waiting.into_iter().map(|(_, f)| f));
    failures.sort_by_key(|f| f.line);
    Ok((loaded, failures))
}

/// Calls `each` with chunks of up to [`CHUNK`] non-empty lines; stops early when it returns
/// false.
fn read_chunks(
    path: &Path,
    file: File,
    mut each: impl FnMut(Vec<ImportItem>) -> bool,
) -> Result<(), String> {
    let mut chunk = Vec::with_capacity(CHUNK);
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        chunk.push(ImportItem {
            line: i + 1,
            json: line.into_bytes(),
        });
        if chunk.len() >= CHUNK && !each(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))) {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        each(chunk);
    }
    Ok(())
}

/// Transactions and batches are processed as the REST API would; a collection's entries are
/// loaded like NDJSON lines.
fn import_bundle(
    fhir: &Fhir,
    ctx: &RequestContext,
    path: &Path,
    threads: usize,
    bar: &ProgressBar,
) -> Result<(usize, Vec<ImportFailure>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bundle: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    let kind = bundle
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let entries = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    bar.inc_length(entries as u64);
    let result = match kind {
        "transaction" | "batch" => {
            let response = fhir
                .process_bundle(ctx, &bytes, EntryReturn::Minimal)
                .map_err(|e| e.to_string())?;
            let response: Value = serde_json::from_str(&response).map_err(|e| e.to_string())?;
            let mut loaded = 0;
            let mut failures = Vec::new();
            for (i, entry) in response
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let status = entry
                    .pointer("/response/status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if status.starts_with('2') {
                    loaded += 1;
                } else {
                    failures.push(ImportFailure {
                        line: i + 1,
                        error: crate::core::FhirError::bad_request(format!(
                            "entry {i}: {status} {}",
                            entry
                                .pointer("/response/outcome/issue/0/diagnostics")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                        )),
                    });
                }
            }
            (loaded, failures)
        }
        "collection" => {
            let items = bundle
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, e)| {
                    e.get("resource").map(|r| ImportItem {
                        line: i + 1,
                        json: r.to_string().into_bytes(),
                    })
                })
                .collect();
            fhir.import_chunk(ctx, items, threads)
        }
        other => {
            return Err(format!(
                "Bundle type '{other}' cannot be imported (transaction, batch or collection)"
            ))
        }
    };
    bar.inc(1 + entries as u64);
    Ok(result)
}

/// The first issue's diagnostics: for a validation failure it says what is wrong, where the
/// error's own text only says that validation failed.
fn diagnostics_of(outcome: &Value) -> Option<String> {
    outcome
        .pointer("/issue/0/diagnostics")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn expression_of(outcome: &Value) -> Option<String> {
    outcome
        .pointer("/issue/0/expression/0")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The report: one JSON object per failed line (no resource content).
fn write_report(path: &Path, failures: &[Failed]) -> Result<(), String> {
    let mut out =
        File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    for f in failures {
        let line = serde_json::json!({
            "file": f.file,
            "line": f.line,
            "reason": f.reason,
            "expression": f.expression,
        });
        writeln!(out, "{line}").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
