//! The report: JSON under target/bench/ and a markdown section appended to docs/benchmarks.md.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::BenchError;
use crate::generate::Manifest;
use crate::load::Measured;
use crate::sys::Machine;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub finished_at: String,
    pub command_line: Vec<String>,
    pub git_commit: String,
    pub machine: Machine,
    /// `sqlite`, `postgres`, or `external` for `--target`.
    pub backend: String,
    pub target: Option<String>,
    pub size: String,
    pub seed: u64,
    pub data: Manifest,
    pub warmup_s: u64,
    pub duration_s: u64,
    pub load_tool: String,
    pub server_idle_rss_mb: Option<f64>,
    pub results: Vec<Measured>,
    /// Read by id at the largest connection count, divided by the ceiling at the same count.
    pub read_to_ceiling: Option<f64>,
    pub notes: Vec<String>,
}

fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => {
            if decimals == 0 {
                group(v.round() as i64)
            } else {
                format!("{v:.decimals$}")
            }
        }
        _ => "–".into(),
    }
}

fn group(v: i64) -> String {
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn cell(s: &str) -> String {
    let s: String = s.replace('|', "\\|").replace('\n', " ");
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(90).collect::<String>())
    } else {
        s
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let what = match &self.target {
            Some(t) => format!("external server {t}"),
            None => format!("custodian on {}", self.backend),
        };
        md.push_str(&format!(
            "\n## {} — {what}, size {}\n\n",
            self.started_at, self.size
        ));
        let m = &self.machine;
        md.push_str(&format!(
            "- Machine: {} × {} cores, {} GB RAM, Linux {}; 1-min load average {:.2} before the run, {} after{}\n",
            m.cpu_model,
            m.cores,
            m.memory_gb,
            m.kernel,
            m.load_average_before,
            num(m.load_average_after, 2),
            if m.load_average_before > 0.5 {
                " (other work was sharing the cores: figures are lower bounds)"
            } else {
                ""
            }
        ));
        md.push_str(&format!("- Commit: `{}`\n", self.git_commit));
        md.push_str(&format!(
            "- Data: {} patients, {} encounters, {} conditions ({} resources), seed {:#x}\n",
            group(self.data.patients as i64),
            group(self.data.encounters as i64),
            group(self.data.conditions as i64),
            group(self.data.resources() as i64),
            self.seed
        ));
        md.push_str(&format!(
            "- Each run: {} s warm-up, then {} s measured; load tool: {}\n",
            self.warmup_s, self.duration_s, self.load_tool
        ));
        if let Some(rss) = self.server_idle_rss_mb {
            md.push_str(&format!(
                "- Server RSS when idle after loading: {rss:.1} MB\n"
            ));
        }
        md.push_str(&format!("- Command: `{}`\n", self.command_line.join(" ")));
        md.push_str("\n| Workload | Conns | Tool | Req/s | Resources/s | p50 ms | p90 ms | p99 ms | Errors | 412 | Server CPU s | Peak RSS MB | Note |\n");
        md.push_str("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for r in &self.results {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&r.workload),
                r.connections,
                r.tool,
                num(Some(r.requests_per_s), 0),
                num(r.resources_per_s, 0),
                num(r.p50_ms, 2),
                num(r.p90_ms, 2),
                num(r.p99_ms, 2),
                group(r.errors as i64),
                r.conflicts_412.map_or("–".into(), |c| group(c as i64)),
                num(r.server_cpu_s, 1),
                num(r.server_peak_rss_mb, 1),
                cell(r.note.as_deref().unwrap_or(""))
            ));
        }
        if let Some(ratio) = self.read_to_ceiling {
            md.push_str(&format!(
                "\nRead by id reaches **{:.1} %** of the ceiling (a fixed 200-byte actix-web response, same tool, same connections).\n",
                ratio * 100.0
            ));
        }
        for n in &self.notes {
            md.push_str(&format!("\n- {n}"));
        }
        if !self.notes.is_empty() {
            md.push('\n');
        }
        md
    }
}

pub const INTRO: &str = r#"# Benchmarks

Every performance figure about Custodian comes from one harness, `crates/bench`
(`custodian-bench`), so anyone can reproduce it — and run the same workloads against another
FHIR R4 server on the same hardware.

## How to run

```sh
apt-get install -y wrk            # the load generator (Debian); without it a built-in driver is used
cargo run --release -p custodian-bench -- all                     # small data set, SQLite, 10 s per run
cargo run --release -p custodian-bench -- all --size medium       # 100k patients, ~1M resources
cargo run --release -p custodian-bench -- all --backend postgres  # throwaway PostgreSQL cluster
cargo run --release -p custodian-bench -- all --backend postgres --database-url postgres://…  # your own (empty) database
cargo run --release -p custodian-bench -- all --target http://127.0.0.1:8080/fhir  # any FHIR R4 server on loopback
cargo run --release -p custodian-bench -- generate --size small --out /tmp/data    # data only
cargo run --release -p custodian-bench -- all --size small --duration 2 --no-append  # CI smoke (no speed assertions)
```

`all` builds `custodian` (release), generates the data set (cached under `target/bench/`),
measures the ceiling, imports the data with `custodian import`, starts `custodian serve` on a
free loopback port and runs every workload below, each for `--duration` seconds after a
warm-up. It writes `target/bench/report-<timestamp>.json` and appends a dated section to this
file (unless `--no-append`). Server request logs are at `warn` level during runs (set `RUST_LOG`
to change it); the server log is kept in `target/bench/run-<timestamp>/`.

## Data

A seeded, deterministic generator (same seed, same bytes): Patients with names carrying accents
and apostrophes (`Müller`, `O'Brien`, `Nguyễn`, `Łukasiewicz`), MRN and SSN identifiers with
systems, addresses, phone and email, birth dates over a century, about 10 % deceased; 2–10
Encounters each (v3-ActCode classes AMB/EMER/IMP/HH/VR, status, period); 1–5 Conditions each
with SNOMED CT and ICD-10-CM codings, onset, abatement, clinical and verification status that
satisfy con-3/con-4/con-5, and a generated narrative on every resource. `small` is 1,000
patients (~10,000 resources), `medium` 100,000 patients (~1,000,000 resources). Output: Bulk Data
NDJSON (`Patient.ndjson`, `Encounter.ndjson`, `Condition.ndjson`, ids that resolve) and
transaction Bundles of at most 100 entries (a patient and everything about them stay in one
Bundle, linked by `urn:uuid:`).

## Workloads

| Workload | What one request is |
|---|---|
| ceiling | `GET` of a trivial actix-web endpoint inside the harness returning a fixed 200-byte body: what this machine can serve at all with this load tool |
| import | `custodian import` of the three NDJSON files into an empty database (resources/s; not over HTTP) |
| load (transaction) | `--target` only: the data set posted as transaction Bundles before the workloads |
| read | `GET /Type/id`, the id uniformly random over every loaded resource (wrk with a Lua id list) |
| search … | each of the five queries of the search issue: `Patient?family=Smith`, `Patient?birthdate=ge1980&gender=female`, `Encounter?subject:Patient.family=Smith`, `Patient?_has:Condition:subject:code=44054006`, `Encounter?_include=Encounter:subject&_count=50` (first page) |
| create | `POST /Patient` of a generated patient |
| update | `GET /Patient/id` for its ETag, then `PUT` with `If-Match` and a changed phone number; the latency is the pair, 412s (lost races) are counted apart from errors |
| transaction | `POST /` of a transaction Bundle of ~100 new resources (resources/s = entries/s) |
| mixed | per request: 70 % read by random id, 20 % one of the five searches, 10 % create |

Columns: requests/s counts successful responses only; errors are non-2xx/3xx responses and
socket errors; server CPU seconds and peak RSS (VmHWM, reset before each run through
`/proc/PID/clear_refs`) are read from `/proc` for the server process the harness started, so
they are missing for `--target`. The load tool runs on the same cores as the server: on a
2-core machine the figures are what both together achieve.
"#;

/// Appends the section, creating the file with the introduction when it does not exist.
pub fn append_markdown(path: &Path, section: &str) -> Result<(), BenchError> {
    let io = |source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let exists = path.exists();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    if !exists {
        f.write_all(INTRO.as_bytes()).map_err(io)?;
    }
    f.write_all(section.as_bytes()).map_err(io)
}
