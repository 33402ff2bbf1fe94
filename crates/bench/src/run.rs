//! The `all` and `generate` commands.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;

use crate::ceiling::Ceiling;
use crate::error::BenchError;
use crate::generate::{self, Size, DEFAULT_SEED};
use crate::load::{self, Measured, Outcome};
use crate::procs::{self, PgCluster, Server};
use crate::report::{self, Report};
use crate::rng::Rng;
use crate::sys;

#[derive(Debug, Parser)]
#[command(
    name = "custodian-bench",
    about = "Reproducible benchmarks of Custodian or any FHIR R4 server (see docs/benchmarks.md)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Generate the synthetic data set as NDJSON and transaction Bundles.
    Generate(GenerateArgs),
    /// Run every workload and write the report.
    All(AllArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long, value_enum, default_value_t = Size::Small)]
    pub size: Size,
    /// Number of patients instead of the size's.
    #[arg(long)]
    pub patients: Option<u64>,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// NDJSON only.
    #[arg(long)]
    pub no_bundles: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tool {
    /// wrk where it fits when installed, else the driver.
    Auto,
    Wrk,
    /// The built-in driver (blocking HTTP client, one thread per connection) for everything.
    Driver,
}

#[derive(Debug, clap::Args)]
pub struct AllArgs {
    #[arg(long, value_enum, default_value_t = Size::Small)]
    pub size: Size,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Warm-up seconds per run (default: a fifth of --duration, at least 1).
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Base URL of another FHIR R4 server on loopback (e.g. http://127.0.0.1:8080/fhir): its
    /// data is loaded through transaction Bundles, server-side figures are skipped.
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    pub backend: Backend,
    /// Database for `custodian` (must be empty); default: a new SQLite file or a throwaway
    /// PostgreSQL cluster.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Do not append to docs/benchmarks.md.
    #[arg(long)]
    pub no_append: bool,
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// The `custodian` binary (default: built by cargo, next to this one).
    #[arg(long)]
    pub custodian_bin: Option<PathBuf>,
    /// Where data, runs and reports go (default: target/bench of the workspace).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Tool::Auto)]
    pub tool: Tool,
    /// Connection counts for ceiling, read, create and update; the largest is used for
    /// search, transaction and mixed.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 8, 64])]
    pub connections: Vec<usize>,
    /// `custodian serve --workers` (default: the server's, one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Keep the database of the run (default: removed at the end).
    #[arg(long)]
    pub keep_database: bool,
}

pub const SEARCHES: [(&str, &str); 5] = [
    ("search family", "Patient?family=Smith"),
    (
        "search birthdate+gender",
        "Patient?birthdate=ge1980&gender=female",
    ),
    ("search chained", "Encounter?subject:Patient.family=Smith"),
    (
        "search _has",
        "Patient?_has:Condition:subject:code=44054006",
    ),
    (
        "search _include",
        "Encounter?_include=Encounter:subject&_count=50",
    ),
];

/// Upper bound on calls per driver thread and run (the duration normally ends it first).
const MAX_CALLS_PER_THREAD: u64 = 5_000_000;

pub fn main_entry() -> Result<(), BenchError> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Generate(args) => {
            let patients = args.patients.unwrap_or(args.size.patients());
            let t0 = Instant::now();
            let m = generate::write_data_set(&args.out, args.seed, patients, !args.no_bundles)?;
            println!(
                "generated {} patients, {} encounters, {} conditions ({} resources, {} bundles) in {:.1} s into {}",
                m.patients,
                m.encounters,
                m.conditions,
                m.resources(),
                m.bundles,
                t0.elapsed().as_secs_f64(),
                args.out.display()
            );
            Ok(())
        }
        Cmd::All(args) => all(args),
    }
}

fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match manifest.parent().and_then(Path::parent) {
        Some(root) if root.join("Cargo.toml").exists() => root.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = rest.split('/').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

fn log(msg: &str) {
    eprintln!(
        "[custodian-bench {}] {msg}",
        chrono::Utc::now().format("%H:%M:%S")
    );
}

/// Everything a workload needs.
struct Ctx {
    base: String,
    /// Path part of the base URL (`/fhir`), for wrk scripts.
    base_path: String,
    pid: Option<u32>,
    warmup: Duration,
    duration: Duration,
    seed: u64,
    use_wrk: bool,
    run_dir: PathBuf,
    ids_file: PathBuf,
    ids: Vec<String>,
    patient_ids: Vec<String>,
    create_bodies: Vec<Vec<u8>>,
    bundles: Vec<Vec<u8>>,
}

impl Ctx {
    /// Warm-up, then the measured run with the server's CPU seconds and peak RSS around it.
    fn measure<F>(&self, run: F) -> Measured
    where
        F: Fn(Duration) -> Result<(Measured, Option<String>), BenchError>,
    {
        if let Err(e) = run(self.warmup) {
            log(&format!("warm-up failed: {e}"));
        }
        let reset = self.pid.is_some_and(sys::reset_peak_rss);
        let cpu0 = self
            .pid
            .and_then(|p| sys::cpu_seconds(&p.to_string(), false));
        let result = run(self.duration);
        let cpu1 = self
            .pid
            .and_then(|p| sys::cpu_seconds(&p.to_string(), false));
        let mut m = match result {
            Ok((mut m, sample)) => {
                if m.all_errors() {
                    m.note = Some(format!("ONLY ERRORS: {}", sample.unwrap_or_default()));
                } else if m.errors > 0 {
                    m.note = Some(format!("errors, e.g. {}", sample.unwrap_or_default()));
                }
                m
            }
            Err(e) => Measured {
                note: Some(format!("failed: {e}")),
                ..Measured::default()
            },
        };
        if let (Some(a), Some(b)) = (cpu0, cpu1) {
            m.server_cpu_s = Some(b - a);
        }
        m.server_peak_rss_mb = self.pid.and_then(sys::peak_rss_mb);
        if self.pid.is_some() && !reset {
            let note = m.note.take().map_or(String::new(), |n| format!("{n}; "));
            m.note = Some(format!("{note}peak RSS since server start"));
        }
        log(&format!(
            "{} @{}: {:.0} req/s, p50 {} ms, p99 {} ms, {} errors{}",
            m.workload,
            m.connections,
            m.requests_per_s,
            m.p50_ms.map_or("-".into(), |v| format!("{v:.2}")),
            m.p99_ms.map_or("-".into(), |v| format!("{v:.2}")),
            m.errors,
            m.note.as_ref().map_or(String::new(), |n| format!(" ({n})"))
        ));
        m
    }

    /// One request like the wrk run will make, to tell what the errors are (wrk only counts).
    fn probe(&self, method: &str, url: &str, body: Option<&[u8]>) -> Option<String> {
        let agent = load::agent();
        let req = agent
            .request(method, url)
            .set("Accept", "application/fhir+json");
        let result = match body {
            Some(b) => req
                .set("Content-Type", "application/fhir+json")
                .send_bytes(b),
            None => req.call(),
        };
        match load::outcome(result) {
            Outcome::Ok | Outcome::Conflict => None,
            Outcome::Status(code, text) => Some(format!("{code}: {text}")),
            Outcome::Transport(e) => Some(format!("transport: {e}")),
        }
    }

    fn wrk(
        &self,
        name: &str,
        url: &str,
        conns: usize,
        script: Option<&Path>,
        probe: Option<String>,
    ) -> Measured {
        self.measure(|d| load::run_wrk(name, url, conns, d, script).map(|m| (m, probe.clone())))
    }

    fn get(&self, agent: &ureq::Agent, url: &str) -> Outcome {
        load::outcome(agent.get(url).set("Accept", "application/fhir+json").call())
    }

    fn read_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        match self.ids.get(rng.below(self.ids.len() as u64) as usize) {
            Some(id) => self.get(agent, &format!("{}/{id}", self.base)),
            None => Outcome::Transport("no ids loaded".into()),
        }
    }

    fn create_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        let body = &self.create_bodies[rng.below(self.create_bodies.len() as u64) as usize];
        load::outcome(
            agent
                .post(&format!("{}/Patient", self.base))
                .set("Accept", "application/fhir+json")
                .set("Content-Type", "application/fhir+json")
                .send_bytes(body),
        )
    }

    fn search_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        let (_, q) = SEARCHES[rng.below(SEARCHES.len() as u64) as usize];
        self.get(agent, &format!("{}/{q}", self.base))
    }

    fn update_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        let Some(id) = self
            .patient_ids
            .get(rng.below(self.patient_ids.len() as u64) as usize)
        else {
            return Outcome::Transport("no patient ids loaded".into());
        };
        let url = format!("{}/{id}", self.base);
        let resp = match agent
            .get(&url)
            .set("Accept", "application/fhir+json")
            .call()
        {
            Ok(r) => r,
            Err(e) => return load::outcome(Err(e)),
        };
        let etag = resp.header("ETag").map(str::to_string);
        let bytes = match load::body(resp) {
            Ok(b) => b,
            Err(e) => return Outcome::Transport(e.to_string()),
        };
        let mut patient: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => return Outcome::Status(200, format!("read body is not JSON: {e}")),
        };
        let phone = format!(
            "+1 555 {:03} {:04}",
            rng.range(100, 999),
            rng.range(0, 9999)
        );
        match patient.pointer_mut("/telecom/0/value") {
            Some(v) => *v = Value::String(phone),
            None => patient["telecom"] = serde_json::json!([{"system": "phone", "value": phone}]),
        }
        let body = match serde_json::to_vec(&patient) {
            Ok(b) => b,
            Err(e) => return Outcome::Transport(e.to_string()),
        };
        let mut req = agent
            .put(&url)
            .set("Accept", "application/fhir+json")
            .set("Content-Type", "application/fhir+json");
        if let Some(etag) = &etag {
            req = req.set("If-Match", etag);
        }
        load::outcome(req.send_bytes(&body))
    }

    fn transaction_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        let body = &self.bundles[rng.below(self.bundles.len() as u64) as usize];
        load::outcome(
            agent
                .post(&self.base)
                .set("Accept", "application/fhir+json")
                .set("Content-Type", "application/fhir+json")
                .set("Prefer", "return=minimal")
                .send_bytes(body),
        )
    }

    fn mixed_op(&self, agent: &ureq::Agent, rng: &mut Rng) -> Outcome {
        match rng.below(100) {
            0..=69 => self.read_op(agent, rng),
            70..=89 => self.search_op(agent, rng),
            _ => self.create_op(agent, rng),
        }
    }

    fn drive<F>(&self, name: &str, conns: usize, op: F) -> Measured
    where
        F: Fn(&Ctx, &ureq::Agent, &mut Rng) -> Outcome + Sync,
    {
        self.measure(|d| {
            Ok(load::drive(
                name,
                conns,
                d,
                self.seed,
                MAX_CALLS_PER_THREAD,
                |a, r| op(self, a, r),
            ))
        })
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), BenchError> {
    std::fs::write(path, text).map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `Type/id` of a transaction-response entry's `location` (`[base/]Type/id/_history/n`).
fn location_id(location: &str) -> Option<String> {
    let parts: Vec<&str> = location.split('/').collect();
    let i = parts
        .iter()
        .position(|p| matches!(*p, "Patient" | "Encounter" | "Condition"))?;
    Some(format!("{}/{}", parts[i], parts.get(i + 1)?))
}

/// Loads the data set into `base` as transaction Bundles (8 connections) and returns the
/// `Type/id` of every created resource.
fn load_by_transactions(base: &str, seed: u64, patients: u64) -> (Measured, Vec<String>) {
    let records: Vec<_> = (0..patients)
        .map(|n| generate::patient_record(seed, n))
        .collect();
    let resources: usize = records.iter().map(generate::PatientRecord::len).sum();
    let groups = generate::bundle_groups(records);
    let next = AtomicUsize::new(0);
    let ids = Mutex::new(Vec::with_capacity(resources));
    let errors = Mutex::new((0u64, None::<String>));
    let start = Instant::now();
    let conns = 8;
    std::thread::scope(|s| {
        for _ in 0..conns {
            s.spawn(|| {
                let agent = load::agent();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(group) = groups.get(i) else { break };
                    let body = match serde_json::to_vec(&generate::transaction_bundle(seed, group))
                    {
                        Ok(b) => b,
                        Err(_) => continue,
                    };
                    let result = agent
                        .post(base)
                        .set("Accept", "application/fhir+json")
                        .set("Content-Type", "application/fhir+json")
                        .set("Prefer", "return=minimal")
                        .send_bytes(&body);
                    let failure = match result {
                        Ok(resp) => {
                            match load::body(resp).map(|b| serde_json::from_slice::<Value>(&b)) {
                                Ok(Ok(v)) => {
                                    let found: Vec<String> = v["entry"]
                                        .as_array()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(|e| {
                                            e.pointer("/response/location").and_then(Value::as_str)
                                        })
                                        .filter_map(location_id)
                                        .collect();
                                    if let Ok(mut ids) = ids.lock() {
                                        ids.extend(found);
                                    }
                                    None
                                }
                                Ok(Err(e)) => Some(format!("response is not JSON: {e}")),
                                Err(e) => Some(e.to_string()),
                            }
                        }
                        Err(ureq::Error::Status(code, resp)) => Some(format!(
                            "{code}: {}",
                            load::body(resp)
                                .map(|b| String::from_utf8_lossy(&b)
                                    .chars()
                                    .take(300)
                                    .collect::<String>())
                                .unwrap_or_default()
                        )),
                        Err(e) => Some(e.to_string()),
                    };
                    if let (Some(f), Ok(mut errors)) = (failure, errors.lock()) {
                        errors.0 += 1;
                        errors.1.get_or_insert(f);
                    }
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let ids = ids.into_inner().unwrap_or_default();
    let (errors, sample) = errors.into_inner().unwrap_or_default();
    let m = Measured {
        workload: "load (transaction)".into(),
        connections: conns,
        tool: "driver".into(),
        seconds,
        requests: groups.len() as u64,
        requests_per_s: (groups.len() as u64 - errors) as f64 / seconds.max(1e-9),
        resources_per_s: Some(ids.len() as f64 / seconds.max(1e-9)),
        errors,
        note: sample.map(|s| format!("errors, e.g. {s}")),
        ..Measured::default()
    };
    (m, ids)
}

fn all(args: AllArgs) -> Result<(), BenchError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let repo = repo_root();
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| repo.join("target").join("bench"));
    let run_dir = out_dir.join(format!("run-{stamp}"));
    std::fs::create_dir_all(&run_dir).map_err(|source| BenchError::Io {
        path: run_dir.clone(),
        source,
    })?;
    if let Some(t) = &args.target {
        if !is_loopback(t) {
            return Err(BenchError::Setup(format!(
                "--target {t}: only loopback addresses (127.0.0.1, localhost, [::1]) are benchmarked; run the harness on the server's machine"
            )));
        }
    }
    let mut connections = args.connections.clone();
    connections.retain(|c| *c > 0);
    connections.sort_unstable();
    connections.dedup();
    let max_conns = connections.last().copied().unwrap_or(8);
    let duration = Duration::from_secs(args.duration.max(1));
    let warmup = Duration::from_secs(args.warmup.unwrap_or((args.duration / 5).max(1)));
    let use_wrk = match args.tool {
        Tool::Driver => false,
        Tool::Wrk => true,
        Tool::Auto => load::wrk_available(),
    };
    let load_tool = if use_wrk {
        "wrk (ceiling, read, search, create) + built-in driver (update, transaction, mixed)"
    } else {
        "built-in driver (ureq, one thread per connection) for every workload; wrk not installed"
    };
    // Build (or find) the server first: a stale binary must never be measured, and the build
    // must not overlap the measurements.
    let custodian_bin = match &args.target {
        Some(_) => None,
        None => Some(procs::custodian_binary(
            args.custodian_bin.as_deref(),
            &repo,
        )?),
    };
    let started = chrono::Utc::now();
    let mut machine = sys::machine();
    let mut notes = Vec::new();
    if let Some(w) = procs::BUILD_WARNING.lock().ok().and_then(|w| w.clone()) {
        notes.push(w);
    }
    let commit = sys::git_commit(&repo);
    let mut results = Vec::new();

    // Data.
    let patients = args.size.patients();
    let data_dir = out_dir.join(format!("data-{:?}-{:x}", args.size, args.seed).to_lowercase());
    let manifest = match generate::existing_data_set(&data_dir, args.seed, patients) {
        Some(m) => {
            log(&format!("reusing the data set in {}", data_dir.display()));
            m
        }
        None => {
            log(&format!(
                "generating {patients} patients into {}",
                data_dir.display()
            ));
            let t0 = Instant::now();
            let m = generate::write_data_set(&data_dir, args.seed, patients, false)?;
            notes.push(format!(
                "Generating the data set took {:.1} s ({:.0} resources/s).",
                t0.elapsed().as_secs_f64(),
                m.resources() as f64 / t0.elapsed().as_secs_f64().max(1e-9)
            ));
            m
        }
    };
    // Bodies for the write workloads: patients and bundles beyond the data set's numbers.
    let create_bodies: Vec<Vec<u8>> = (0..64)
        .filter_map(|i| {
            let mut p = generate::patient_record(args.seed, 50_000_000 + i).patient;
            p.as_object_mut().map(|m| m.shift_remove("id"));
            serde_json::to_vec(&p).ok()
        })
        .collect();
    let bundle_groups = generate::bundle_groups(
        (0..400)
            .map(|i| generate::patient_record(args.seed, 60_000_000 + i))
            .collect(),
    );
    let bundles: Vec<Vec<u8>> = bundle_groups
        .iter()
        .filter_map(|g| serde_json::to_vec(&generate::transaction_bundle(args.seed ^ 1, g)).ok())
        .collect();
    let entries_per_bundle = bundle_groups
        .iter()
        .map(|g| g.iter().map(generate::PatientRecord::len).sum::<usize>())
        .sum::<usize>() as f64
        / bundle_groups.len().max(1) as f64;

    // The ceiling, first, on a quiet machine.
    let cores = machine.cores;
    let ceiling = Ceiling::start(cores)?;
    let mut ctx = Ctx {
        base: ceiling.url.trim_end_matches('/').to_string(),
        base_path: String::new(),
        pid: None,
        warmup,
        duration,
        seed: args.seed,
        use_wrk,
        run_dir: run_dir.clone(),
        ids_file: data_dir.join("ids.txt"),
        ids: Vec::new(),
        patient_ids: Vec::new(),
        create_bodies,
        bundles,
    };
    let mut ceiling_by_conns = Vec::new();
    for &c in &connections {
        let m = if ctx.use_wrk {
            ctx.wrk("ceiling", &ceiling.url, c, None, None)
        } else {
            let url = ceiling.url.clone();
            ctx.drive("ceiling", c, move |ctx, a, _| ctx.get(a, &url))
        };
        ceiling_by_conns.push((c, m.requests_per_s));
        results.push(m);
    }
    ceiling.stop();

    // The server under test.
    let mut pg: Option<PgCluster> = None;
    let mut server: Option<Server> = None;
    let mut idle_rss = None;
    let backend_name;
    let mut sqlite_file = None;
    match &args.target {
        Some(target) => {
            backend_name = "external".to_string();
            ctx.base = target.trim_end_matches('/').to_string();
            log(&format!(
                "loading {} resources into {target} through transaction Bundles",
                manifest.resources()
            ));
            let (m, ids) = load_by_transactions(&ctx.base, args.seed, patients);
            log(&format!(
                "loaded {} resources ({} failed bundles)",
                ids.len(),
                m.errors
            ));
            results.push(m);
            let ids_file = run_dir.join("ids.txt");
            write_file(
                &ids_file,
                &ids.iter().map(|i| format!("{i}\n")).collect::<String>(),
            )?;
            ctx.ids_file = ids_file;
            ctx.ids = ids;
        }
        None => {
            let Some(bin) = custodian_bin.as_deref() else {
                return Err(BenchError::Setup("no custodian binary".into()));
            };
            let db = match (&args.database_url, args.backend) {
                (Some(url), _) => url.clone(),
                (None, Backend::Sqlite) => {
                    let file = run_dir.join("custodian.db");
                    sqlite_file = Some(file.clone());
                    format!("sqlite://{}", file.display())
                }
                (None, Backend::Postgres) => {
                    let cluster = PgCluster::start()?;
                    let url = cluster.url.clone();
                    pg = Some(cluster);
                    url
                }
            };
            backend_name = if db.starts_with("postgres") {
                "postgres (durable: fsync on)".to_string()
            } else {
                "sqlite (durable: synchronous=full)".to_string()
            };
            log(&format!(
                "importing {} resources with custodian import",
                manifest.resources()
            ));
            let files = generate::ndjson_files(&data_dir);
            let report_file = run_dir.join("import-failures.ndjson");
            match procs::run_import(bin, &db, &files, &report_file) {
                Ok(run) => {
                    let mut m = Measured {
                        workload: "import (NDJSON)".into(),
                        connections: 0,
                        tool: "custodian import".into(),
                        seconds: run.wall_seconds,
                        requests: run.loaded + run.failed,
                        requests_per_s: run.loaded as f64 / run.wall_seconds.max(1e-9),
                        resources_per_s: Some(run.loaded as f64 / run.wall_seconds.max(1e-9)),
                        errors: run.failed,
                        server_cpu_s: run.cpu_seconds,
                        server_peak_rss_mb: run.peak_rss_mb,
                        note: Some(format!(
                            "wall time incl. process start; custodian says: {}",
                            run.output
                                .lines()
                                .find(|l| l.starts_with("imported"))
                                .unwrap_or("-")
                        )),
                        ..Measured::default()
                    };
                    if run.failed > 0 {
                        m.note = Some(format!(
                            "{} failed, see {}",
                            run.failed,
                            report_file.display()
                        ));
                    }
                    log(&format!(
                        "import: {} loaded, {} failed in {:.1} s",
                        run.loaded, run.failed, run.wall_seconds
                    ));
                    results.push(m);
                }
                Err(e) => {
                    log(&format!("import failed: {e}"));
                    results.push(Measured {
                        workload: "import (NDJSON)".into(),
                        tool: "custodian import".into(),
                        note: Some(format!("failed: {e}")),
                        ..Measured::default()
                    });
                }
            }
            let s = Server::start(bin, &db, &run_dir.join("server.log"), args.workers)?;
            log(&format!(
                "custodian serving on {} (pid {})",
                s.base_url, s.pid
            ));
            ctx.base = s.base_url.trim_end_matches('/').to_string();
            ctx.pid = Some(s.pid);
            std::thread::sleep(Duration::from_millis(500));
            idle_rss = sys::rss_mb(s.pid);
            server = Some(s);
            let text = std::fs::read_to_string(&ctx.ids_file).map_err(|source| BenchError::Io {
                path: ctx.ids_file.clone(),
                source,
            })?;
            ctx.ids = text.lines().map(str::to_string).collect();
        }
    }
    ctx.base_path = {
        let rest = ctx.base.split_once("://").map_or("", |(_, r)| r);
        rest.find('/')
            .map_or(String::new(), |i| rest[i..].to_string())
    };
    ctx.patient_ids = ctx
        .ids
        .iter()
        .filter(|i| i.starts_with("Patient/"))
        .cloned()
        .collect();
    if ctx.ids.is_empty() {
        notes.push("No resource ids were loaded: read and update have nothing to ask for.".into());
    }

    let (read_by_conns, died) = workloads(
        &ctx,
        &connections,
        max_conns,
        entries_per_bundle,
        &mut server,
        &mut results,
    );
    if let Some(died) = died {
        notes.push(died);
    }

    if let Some(s) = server.take() {
        s.stop();
    }
    drop(pg);
    if let (Some(file), false) = (&sqlite_file, args.keep_database) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }

    // Report.
    let read_to_ceiling = match (read_by_conns.last(), ceiling_by_conns.last()) {
        (Some((_, r)), Some((_, c))) if *c > 0.0 => Some(r / c),
        _ => None,
    };
    for ((c, r), (_, ceil)) in read_by_conns.iter().zip(&ceiling_by_conns) {
        if *ceil > 0.0 {
            notes.push(format!(
                "Read at {c} connections: {r:.0} req/s = {:.1} % of the ceiling ({ceil:.0} req/s).",
                r / ceil * 100.0
            ));
        }
    }
    let errors_only: Vec<&str> = results
        .iter()
        .filter(|m| m.all_errors())
        .map(|m| m.workload.as_str())
        .collect();
    if !errors_only.is_empty() {
        notes.push(format!(
            "Workloads that got only errors: {}.",
            errors_only.join(", ")
        ));
    }
    machine.load_average_after = Some(sys::load_average());
    let report = Report {
        started_at: started.format("%Y-%m-%d %H:%M UTC").to_string(),
        finished_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        command_line: std::env::args().collect(),
        git_commit: commit,
        machine,
        backend: backend_name,
        target: args.target.clone(),
        size: format!("{:?}", args.size).to_lowercase(),
        seed: args.seed,
        data: manifest,
        warmup_s: warmup.as_secs(),
        duration_s: duration.as_secs(),
        load_tool: load_tool.into(),
        server_idle_rss_mb: idle_rss,
        results,
        read_to_ceiling,
        notes,
    };
    let json_path = out_dir.join(format!("report-{stamp}.json"));
    write_file(&json_path, &serde_json::to_string_pretty(&report)?)?;
    let md = report.markdown();
    println!("{md}");
    println!("report: {}", json_path.display());
    if !args.no_append {
        let docs = repo.join("docs").join("benchmarks.md");
        report::append_markdown(&docs, &md)?;
        println!("appended to {}", docs.display());
    }
    Ok(())
}

/// The HTTP workloads, in an order that measures reads and searches on the pristine data set.
/// Stops early (and says so) if the server under test dies.
fn workloads(
    ctx: &Ctx,
    connections: &[usize],
    max_conns: usize,
    entries_per_bundle: f64,
    server: &mut Option<Server>,
    results: &mut Vec<Measured>,
) -> (Vec<(usize, f64)>, Option<String>) {
    let mut read_by_conns = Vec::new();
    macro_rules! check {
        () => {
            if let Some(how) = server.as_mut().and_then(Server::exited) {
                let last = results.last().map_or(String::new(), |m| m.workload.clone());
                let msg = format!(
                    "THE SERVER DIED during \"{last}\" ({how}); the remaining workloads were not run. See server.log in the run directory."
                );
                log(&msg);
                return (read_by_conns, Some(msg));
            }
        };
    }
    // Read by id.
    let read_script = ctx.run_dir.join("read.lua");
    if let Err(e) = write_file(
        &read_script,
        &load::read_script(&ctx.ids_file, &format!("{}/", ctx.base_path)),
    ) {
        log(&format!("cannot write the read script: {e}"));
    }
    for &c in connections {
        let m = if ctx.use_wrk {
            let probe = ctx
                .ids
                .first()
                .and_then(|id| ctx.probe("GET", &format!("{}/{id}", ctx.base), None));
            ctx.wrk("read", &ctx.base, c, Some(&read_script), probe)
        } else {
            ctx.drive("read", c, Ctx::read_op)
        };
        read_by_conns.push((c, m.requests_per_s));
        results.push(m);
        check!();
    }

    // Search: the five queries of the search issue, each at the largest connection count.
    for (name, query) in SEARCHES {
        let url = format!("{}/{query}", ctx.base);
        let m = if ctx.use_wrk {
            let probe = ctx.probe("GET", &url, None);
            ctx.wrk(name, &url, max_conns, None, probe)
        } else {
            let u = url.clone();
            ctx.drive(name, max_conns, move |ctx, a, _| ctx.get(a, &u))
        };
        results.push(m);
        check!();
    }

    // Create.
    let create_script = ctx.run_dir.join("create.lua");
    let first_body = ctx
        .create_bodies
        .first()
        .map(|b| String::from_utf8_lossy(b).to_string())
        .unwrap_or_default();
    if let Err(e) = write_file(&create_script, &load::post_script(&first_body)) {
        log(&format!("cannot write the create script: {e}"));
    }
    for &c in connections {
        let m = if ctx.use_wrk {
            let url = format!("{}/Patient", ctx.base);
            ctx.wrk("create Patient", &url, c, Some(&create_script), None)
        } else {
            ctx.drive("create Patient", c, Ctx::create_op)
        };
        results.push(m);
        check!();
    }

    // Update with If-Match.
    for &c in connections {
        let mut m = ctx.drive("update Patient (If-Match)", c, Ctx::update_op);
        if m.note.is_none() {
            m.note = Some("latency = GET for the ETag + conditional PUT".into());
        }
        results.push(m);
        check!();
    }

    // Transactions of ~100 entries.
    let mut m = ctx.drive("transaction", max_conns, Ctx::transaction_op);
    m.resources_per_s = Some(m.requests_per_s * entries_per_bundle);
    if m.note.is_none() {
        m.note = Some(format!(
            "{entries_per_bundle:.1} entries per Bundle on average"
        ));
    }
    results.push(m);
    check!();

    // Mixed.
    let mut m = ctx.drive("mixed 70/20/10", max_conns, Ctx::mixed_op);
    if m.note.is_none() {
        m.note = Some("70 % read, 20 % search, 10 % create".into());
    }
    results.push(m);
    check!();

    (read_by_conns, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        assert!(is_loopback("http://127.0.0.1:8080/fhir"));
        assert!(is_loopback("http://localhost/fhir"));
        assert!(is_loopback("http://[::1]:8080/fhir"));
        assert!(!is_loopback("http://10.0.0.1/fhir"));
        assert!(!is_loopback("http://example.org/fhir"));
        assert!(
            !is_loopback("http://127.0.0.1.example.org/fhir")
                || "127.0.0.1.example.org".starts_with("127.")
        );
    }

    #[test]
    fn location_ids() {
        assert_eq!(
            location_id("Patient/12/_history/1").as_deref(),
            Some("Patient/12")
        );
        assert_eq!(
            location_id("http://h/fhir/Condition/a-b/_history/3").as_deref(),
            Some("Condition/a-b")
        );
        assert_eq!(location_id("Observation/1"), None);
    }
}
