//! `custodian import`: NDJSON and Bundle files loaded straight into the database, with a
//! report of the lines that failed, then served by a server started on the same database.
//! On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod helpers;

use common::{fresh_database, patient, run_binary, Backend, Options, Server};
use helpers::{count, search_ids};
use serde_json::{json, Value};
use std::path::Path;

/// One `#[test]` per backend for each `fn name(backend: Backend)`.
macro_rules! import_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name(super::Backend::Postgres) })*
        }
    };
}

import_backends!(
    good_and_bad_ndjson_lines,
    clean_ndjson_exits_zero_without_a_report,
    bundle_files_are_imported,
    reimport_keeps_one_resource_per_id,
    missing_file_fails_clearly,
    failures_across_chunk_boundaries_are_reported_exactly,
    referential_integrity_sees_earlier_chunks_and_its_own,
    reindex_rebuilds_the_rows_of_every_served_type,
);

/// Runs `custodian import` on `files` into `database_url`; returns status and output.
fn import(database_url: &str, report: &Path, files: &[&Path]) -> (bool, String, String) {
    import_with(database_url, report, files, &[])
}

/// [`import`] with `extra` options.
fn import_with(
    database_url: &str,
    report: &Path,
    files: &[&Path],
    extra: &[&str],
) -> (bool, String, String) {
    let mut args: Vec<String> = vec![
        "import".into(),
        "--database-url".into(),
        database_url.into(),
        "--report".into(),
        report.display().to_string(),
        "--quiet".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(files.iter().map(|f| f.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, out, err) = run_binary(&refs);
    (status.success(), out, err)
}

/// A fresh database and a scratch directory, or `None` without PostgreSQL.
fn setup(backend: Backend) -> Option<(String, tempfile::TempDir, tempfile::TempDir)> {
    let (url, db_dir) = fresh_database(backend)?;
    let work = tempfile::Builder::new()
        .prefix("custodian-import-")
        .tempdir()
        .unwrap();
    Some((url, db_dir, work))
}

fn serve(backend: Backend, url: &str) -> Server {
    Server::start(Options::new(backend).database(url)).expect("server on the imported database")
}

fn with_id(family: &str, id: &str) -> Value {
    let mut p = patient(family);
    p["id"] = json!(id);
    p["identifier"] = json!([{"system": "http://example.org/mrn", "value": id}]);
    p
}

fn ndjson(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// `Patient.ndjson` in `dir` with `n` Patients `{prefix}{i % families}` (ids
/// `{prefix lowercase}-{i}`).
fn patients_file(dir: &Path, prefix: &str, n: usize, families: usize) -> std::path::PathBuf {
    let id_prefix = prefix.to_lowercase();
    let lines: Vec<String> = (0..n)
        .map(|i| {
            with_id(
                &format!("{prefix}{}", i % families),
                &format!("{id_prefix}-{i}"),
            )
            .to_string()
        })
        .collect();
    let file = dir.join("Patient.ndjson");
    std::fs::write(&file, ndjson(&lines)).unwrap();
    file
}

fn read_report(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("report line {l}: {e}")))
        .collect()
}

fn good_and_bad_ndjson_lines(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let mut bad_gender = with_id("BadGender", "imp-bad");
    bad_gender["gender"] = json!("x");
    let mut enc = common::encounter("imp-1");
    enc["id"] = json!("imp-enc-1");
    let lines = vec![
        with_id("Imported", "imp-1").to_string(),
        "{not json".to_owned(),
        with_id("Imported", "imp-2").to_string(),
        String::new(),
        bad_gender.to_string(),
        enc.to_string(),
        json!({"resourceType": "Observation", "id": "obs-1", "status": "final",
               "code": {"text": "x"}})
        .to_string(),
        patient("NoIdGiven").to_string(),
    ];
    let file = work.path().join("Patient.ndjson");
    std::fs::write(&file, ndjson(&lines)).unwrap();
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import(&url, &report, &[&file]);
    assert!(!ok, "import with bad lines must fail: {out} {err}");
    assert!(out.contains("imported 4 resources"), "stdout: {out}");
    assert!(err.contains("3 resources failed"), "stderr: {err}");
    let failures = read_report(&report);
    let lines_failed: Vec<u64> = failures
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_failed, [2, 5, 7], "{failures:?}");
    for f in &failures {
        assert!(
            f["file"].as_str().unwrap().ends_with("Patient.ndjson"),
            "{f}"
        );
        assert!(!f["reason"].as_str().unwrap().is_empty(), "{f}");
    }
    assert_eq!(failures[1]["expression"], "Patient.gender", "{failures:?}");
    assert!(failures[1]["reason"].as_str().unwrap().contains("'x'"));
    assert!(
        failures[2]["reason"]
            .as_str()
            .unwrap()
            .contains("Observation"),
        "{failures:?}"
    );
    // The report names lines and reasons, never the content.
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains("BadGender"), "{text}");

    // The good lines are served.
    let s = serve(backend, &url);
    let p = s.get("Patient/imp-1");
    p.assert_status(200);
    assert_eq!(p.json()["name"][0]["family"], "Imported");
    s.get("Patient/imp-2").assert_status(200);
    s.get("Patient/imp-bad").assert_status(404);
    s.get("Encounter/imp-enc-1").assert_status(200);
    assert_eq!(count(&s, "Patient"), 3);
    assert_eq!(count(&s, "Patient?family=imported"), 2);
    assert_eq!(
        count(&s, "Patient?identifier=http://example.org/mrn|imp-2"),
        1
    );
    assert_eq!(
        search_ids(&s, "Encounter?subject=Patient/imp-1"),
        ["imp-enc-1"]
    );
    assert_eq!(count(&s, "Patient?family=NoIdGiven"), 1);
    assert_eq!(
        count(&s, "Patient?_has:Encounter:subject:status=finished"),
        1
    );
    // Imported resources have a history like any other.
    assert_eq!(s.history_all("Patient/imp-1/_history").len(), 1);
}

fn clean_ndjson_exits_zero_without_a_report(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let file = patients_file(work.path(), "Clean", 250, 5);
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import(&url, &report, &[&file]);
    assert!(ok, "{out} {err}");
    assert!(out.contains("imported 250 resources"), "{out}");
    assert!(out.contains("0 failed"), "{out}");
    assert!(!report.exists(), "no report when nothing failed");
    if backend == Backend::Postgres {
        assert!(
            analyzed(&url, "idx_string"),
            "the import leaves fresh statistics"
        );
    }
    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient"), 250);
    assert_eq!(count(&s, "Patient?family=clean3"), 50);
}

fn bundle_files_are_imported(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let transaction = json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
             "resource": patient("FromTransaction"),
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
             "resource": {
                "resourceType": "Encounter", "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"}},
             "request": {"method": "POST", "url": "Encounter"}}
        ]
    });
    let collection = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "http://example.org/fhir/Patient/col-1", "resource": with_id("FromCollection", "col-1")},
            {"fullUrl": "http://example.org/fhir/Patient/col-2", "resource": with_id("FromCollection", "col-2")}
        ]
    });
    let document = json!({"resourceType": "Bundle", "type": "document"});
    let t = work.path().join("transaction.json");
    let c = work.path().join("collection.json");
    let d = work.path().join("document.json");
    std::fs::write(&t, transaction.to_string()).unwrap();
    std::fs::write(&c, collection.to_string()).unwrap();
    std::fs::write(&d, document.to_string()).unwrap();
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import(&url, &report, &[&t, &c, &d]);
    // The document Bundle cannot be imported: reported, the rest loads.
    assert!(!ok, "{out} {err}");
    let failures = read_report(&report);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("document.json"));
    assert!(
        failures[0]["reason"].as_str().unwrap().contains("document"),
        "{failures:?}"
    );
    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient?family=FromTransaction"), 1);
    assert_eq!(count(&s, "Patient?family=FromCollection"), 2);
    s.get("Patient/col-1").assert_status(200);
    assert_eq!(
        count(&s, "Encounter?subject:Patient.family=FromTransaction"),
        1,
        "the urn:uuid reference was rewritten"
    );
}

fn reimport_keeps_one_resource_per_id(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let file = work.path().join("Patient.ndjson");
    let report = work.path().join("report.ndjson");
    let lines: Vec<String> = (0..10)
        .map(|i| with_id("Again", &format!("again-{i}")).to_string())
        .collect();
    std::fs::write(&file, ndjson(&lines)).unwrap();
    for _ in 0..2 {
        let (ok, out, err) = import(&url, &report, &[&file]);
        assert!(ok, "{out} {err}");
    }
    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient"), 10);
    let r = s.get("Patient/again-3");
    r.assert_status(200);
    assert!(r.etag_version() >= 1);
}

fn missing_file_fails_clearly(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let missing = work.path().join("nope.ndjson");
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import(&url, &report, &[&missing]);
    assert!(!ok, "{out} {err}");
    assert!(err.contains("nope.ndjson"), "stderr: {err}");
}

/// More lines than one import transaction holds (2,000), with failures on both sides of the
/// boundaries, an invalid id, CRLF line ends and blank lines.
fn failures_across_chunk_boundaries_are_reported_exactly(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let bad_lines = [1usize, 1999, 2000, 2001, 4000, 4500];
    let mut text = String::new();
    for line in 1..=4500usize {
        let content = if bad_lines.contains(&line) {
            if line == 2000 {
                with_id("BadId", "not a valid id!").to_string()
            } else {
                let mut p = with_id("Bad", &format!("big-{line}"));
                p["gender"] = json!("x");
                p.to_string()
            }
        } else if line % 1000 == 500 {
            String::new()
        } else {
            with_id("Big", &format!("big-{line}")).to_string()
        };
        text.push_str(&content);
        text.push_str("\r\n");
    }
    let file = work.path().join("Patient.ndjson");
    std::fs::write(&file, text).unwrap();
    let report = work.path().join("report.ndjson");
    let started = std::time::Instant::now();
    let (ok, out, err) = import(&url, &report, &[&file]);
    println!(
        "{backend:?}: import of 4,500 lines in {:?}: {out}",
        started.elapsed()
    );
    assert!(!ok, "{out} {err}");
    let failed: Vec<usize> = read_report(&report)
        .iter()
        .map(|f| f["line"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(failed, bad_lines, "{err}");
    let blanks = (1..=4500usize)
        .filter(|l| l % 1000 == 500 && !bad_lines.contains(l))
        .count();
    let loaded = 4500 - bad_lines.len() - blanks;
    assert!(
        out.contains(&format!("imported {loaded} resources")),
        "{out}"
    );
    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient") as usize, loaded);
    s.get("Patient/big-1998").assert_status(200);
    s.get("Patient/big-2002").assert_status(200);
    s.get("Patient/big-1999").assert_status(404);
    s.get("Patient/big-4499").assert_status(200);
}

/// Under `--referential-integrity` a line may reference any line of the file that loads
/// (earlier chunks of 2,000 lines, its own, later ones, cycles); a line whose target failed
/// fails too.
fn referential_integrity_sees_earlier_chunks_and_its_own(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let links: &[(usize, &str)] = &[
        (2001, "p-2000"), // the line before, in the chunk committed just before
        (4001, "p-1"),    // two chunks back
        (10, "p-11"),     // later in the same chunk
        (1999, "p-2001"), // in the next chunk: loads in the round after the file
        (1500, "p-3600"), // a cycle across chunks...
        (3600, "p-1500"), // ...loads in that round too
        (3001, "p-3000"), // p-3000 is invalid...
        (3002, "p-3001"), // ...so this one fails through 3001
        (3500, "p-none"), // exists nowhere
    ];
    let mut lines = Vec::new();
    for line in 1..=4100usize {
        let mut p = with_id("Linked", &format!("p-{line}"));
        if line == 3000 {
            p["gender"] = json!("x");
        }
        if let Some((_, target)) = links.iter().find(|(l, _)| *l == line) {
            p["link"] =
                json!([{"other": {"reference": format!("Patient/{target}")}, "type": "seealso"}]);
        }
        lines.push(p.to_string());
    }
    let file = work.path().join("Patient.ndjson");
    std::fs::write(&file, ndjson(&lines)).unwrap();
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import_with(&url, &report, &[&file], &["--referential-integrity"]);
    assert!(!ok, "{out} {err}");
    let failures = read_report(&report);
    let failed: Vec<u64> = failures
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [3000, 3001, 3002, 3500], "{failures:?}");
    let reason = |line: u64| {
        failures.iter().find(|f| f["line"] == line).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason(3001).contains("Patient/p-3000"), "{failures:?}");
    assert!(reason(3002).contains("Patient/p-3001"), "{}", reason(3002));
    assert!(out.contains("imported 4096 resources"), "{out}");
    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient") as usize, 4096);
    for id in [
        "p-10", "p-1500", "p-1999", "p-2001", "p-3600", "p-4001", "p-4100",
    ] {
        s.get(&format!("Patient/{id}")).assert_status(200);
    }
    for id in ["p-3000", "p-3001", "p-3002", "p-3500"] {
        s.get(&format!("Patient/{id}")).assert_status(404);
    }
}

/// PostgreSQL has planner statistics for `table` (the import ran ANALYZE).
fn analyzed(url: &str, table: &str) -> bool {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel::PgConnection::establish(url).unwrap();
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE relname = $1 AND last_analyze IS NOT NULL",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .load(&mut conn)
    .unwrap();
    rows.first().is_some_and(|r| r.n == 1)
}

/// `custodian reindex` on an imported database: every current resource of each served type
/// (or of the `--type` given) gets its rows again; search answers as before; an unknown type
/// is refused with a message and a failing exit status.
fn reindex_rebuilds_the_rows_of_every_served_type(backend: Backend) {
    let Some((url, _db, work)) = setup(backend) else {
        return;
    };
    let file = patients_file(work.path(), "Reindex", 120, 4);
    let report = work.path().join("report.ndjson");
    let (ok, out, err) = import(&url, &report, &[&file]);
    assert!(ok, "{out} {err}");

    let (status, out, err) = run_binary(&["reindex", "--database-url", &url]);
    assert!(status.success(), "{out} {err}");
    assert!(out.contains("reindexed 120 Patient resources"), "{out}");
    assert!(out.contains("reindexed 0 Encounter resources"), "{out}");
    let (status, out, _) = run_binary(&["reindex", "--database-url", &url, "--type", "Patient"]);
    assert!(status.success());
    assert!(
        out.contains("reindexed 120 Patient resources") && !out.contains("Encounter"),
        "{out}"
    );
    let (status, _, err) =
        run_binary(&["reindex", "--database-url", &url, "--type", "Observation"]);
    assert!(!status.success());
    assert!(err.contains("Observation"), "{err}");

    let s = serve(backend, &url);
    assert_eq!(count(&s, "Patient?family=reindex2"), 30);
    assert_eq!(count(&s, "Patient?phonetic=reindex2"), 30);
    assert_eq!(s.get("Patient/reindex-5").json()["meta"]["versionId"], "1");
}
