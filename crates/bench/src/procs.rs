//! Processes the harness starts: the `custodian` server, `custodian import`, and a throwaway
//! PostgreSQL cluster. Each is stopped when its guard is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// Set when the server could not be rebuilt and an existing binary is measured.
pub static BUILD_WARNING: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn spawn_err(program: &Path) -> impl Fn(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Spawn {
        program: program.display().to_string(),
        source,
    }
}

/// The `custodian` binary: `--custodian-bin`, else next to this executable. Under `cargo run`
/// it is (re)built first so a stale binary is never measured.
pub fn custodian_binary(explicit: Option<&Path>, repo: &Path) -> Result<PathBuf, BenchError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Ok(cargo) = std::env::var("CARGO") {
        eprintln!("building custodian (cargo build --release -p custodian-server) ...");
        let status = Command::new(&cargo)
            .args([
                "build",
                "--release",
                "-p",
                "custodian-server",
                "--bin",
                "custodian",
            ])
            .current_dir(repo)
            .status()
            .map_err(spawn_err(Path::new(&cargo)))?;
        if !status.success() {
            eprintln!(
                "warning: building custodian failed (another change in progress?); using the existing binary if there is one"
            );
            *BUILD_WARNING.lock().map_err(|_| BenchError::Setup("lock".into()))? = Some(
                "`cargo build -p custodian-server` failed during the run: the existing release binary was measured"
                    .into(),
            );
        }
    }
    let exe =
        std::env::current_exe().map_err(|e| BenchError::Setup(format!("current_exe: {e}")))?;
    let bin = exe.with_file_name("custodian");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(BenchError::Setup(format!(
            "{} not found: build it (cargo build --release -p custodian-server) or pass --custodian-bin",
            bin.display()
        )))
    }
}

/// Sends SIGTERM (graceful shutdown), waits up to `grace`, then kills.
fn terminate(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let end = Instant::now() + grace;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A running `custodian serve`.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub pid: u32,
}

impl Server {
    /// Starts `custodian serve` on a free loopback port and waits for its "listening" line.
    /// Request logs (stderr) go to `log`; `RUST_LOG` is `warn` unless set in the environment.
    pub fn start(
        bin: &Path,
        database_url: &str,
        log: &Path,
        workers: Option<usize>,
    ) -> Result<Server, BenchError> {
        let log_file = std::fs::File::create(log).map_err(|source| BenchError::Io {
            path: log.to_path_buf(),
            source,
        })?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file));
        if let Some(w) = workers {
            cmd.args(["--workers", &w.to_string()]);
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd.spawn().map_err(spawn_err(bin))?;
        let pid = child.id();
        let Some(stdout) = child.stdout.take() else {
            terminate(&mut child, Duration::from_secs(1));
            return Err(BenchError::Setup("no stdout from custodian".into()));
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("custodian listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base_url) => Ok(Server {
                child,
                base_url,
                pid,
            }),
            Err(_) => {
                terminate(&mut child, Duration::from_secs(2));
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: String = tail
                    .chars()
                    .rev()
                    .take(2000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                Err(BenchError::Setup(format!(
                    "custodian serve did not start:\n{tail}"
                )))
            }
        }
    }

    /// How the server ended, if it is no longer running (it should run until `stop`).
    pub fn exited(&mut self) -> Option<String> {
        use std::os::unix::process::ExitStatusExt;
        match self.child.try_wait() {
            Ok(Some(status)) => Some(match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with status {code}"),
                (None, Some(sig)) => format!(
                    "killed by signal {sig}{}",
                    if status.core_dumped() {
                        " (core dumped)"
                    } else {
                        ""
                    }
                ),
                _ => format!("ended: {status}"),
            }),
            _ => None,
        }
    }

    pub fn stop(mut self) {
        terminate(&mut self.child, Duration::from_secs(15));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child, Duration::from_secs(5));
        }
    }
}

/// What `custodian import` printed and what it cost.
#[derive(Debug, Clone)]
pub struct ImportRun {
    pub loaded: u64,
    pub failed: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub peak_rss_mb: Option<f64>,
    pub output: String,
}

/// Runs `custodian import --quiet` over `files`, sampling the child's VmHWM while it runs.
pub fn run_import(
    bin: &Path,
    database_url: &str,
    files: &[PathBuf],
    report: &Path,
) -> Result<ImportRun, BenchError> {
    let cpu_before = crate::sys::cpu_seconds("self", true);
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args([
            "import",
            "--quiet",
            "--database-url",
            database_url,
            "--report",
        ])
        .arg(report)
        .args(files)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .spawn()
        .map_err(spawn_err(bin))?;
    let pid = child.id();
    let mut peak: Option<f64> = None;
    // Bounded: a stuck import is killed after an hour.
    let deadline = Instant::now() + Duration::from_secs(3600);
    let status = loop {
        if let Some(hwm) = crate::sys::peak_rss_mb(pid) {
            peak = Some(peak.map_or(hwm, |p: f64| p.max(hwm)));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > deadline => {
                terminate(&mut child, Duration::from_secs(5));
                return Err(BenchError::Setup(
                    "custodian import ran over an hour; killed".into(),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(BenchError::Setup(format!("waiting for import: {e}"))),
        }
    };
    let wall_seconds = start.elapsed().as_secs_f64();
    let mut output = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut output);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut err, &mut output);
    }
    let cpu_seconds = match (cpu_before, crate::sys::cpu_seconds("self", true)) {
        (Some(a), Some(b)) => {
            // Our own time is in there too; it is tiny while we sleep-poll.
            Some(b - a)
        }
        _ => None,
    };
    // "imported N resources in S s (R resources/s); F failed"
    let line = output
        .lines()
        .find(|l| l.starts_with("imported "))
        .unwrap_or_default();
    let words: Vec<&str> = line.split_whitespace().collect();
    let loaded = words.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let failed = line
        .rsplit_once("; ")
        .and_then(|(_, f)| f.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if line.is_empty() && !status.success() {
        return Err(BenchError::Setup(format!(
            "custodian import failed: {output}"
        )));
    }
    Ok(ImportRun {
        loaded,
        failed,
        wall_seconds,
        cpu_seconds,
        peak_rss_mb: peak,
        output,
    })
}

/// A throwaway PostgreSQL cluster (initdb + pg_ctl from /usr/lib/postgresql/*/bin) on a free
/// loopback port in a temp directory, run as `postgres` when we are root; durable (fsync on).
pub struct PgCluster {
    pub url: String,
    pg_ctl: PathBuf,
    data: PathBuf,
    dir: PathBuf,
    root: bool,
}

fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn pg_command(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub fn free_port() -> Result<u16, BenchError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BenchError::Setup(format!("no free port: {e}")))
}

impl PgCluster {
    pub fn start() -> Result<PgCluster, BenchError> {
        let bin = pg_bin_dir().ok_or_else(|| {
            BenchError::Setup(
                "no /usr/lib/postgresql/*/bin/initdb: install PostgreSQL or pass --database-url"
                    .into(),
            )
        })?;
        let root = is_root();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("custodian-bench-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| BenchError::Io {
            path: dir.clone(),
            source,
        })?;
        if root {
            let ok = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(BenchError::Setup(
                    "cannot chown the cluster directory to postgres".into(),
                ));
            }
        }
        let data = dir.join("data");
        let initdb = bin.join("initdb");
        let out = pg_command(&initdb, root)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ])
            .output()
            .map_err(spawn_err(&initdb))?;
        if !out.status.success() {
            return Err(BenchError::Setup(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let port = free_port()?;
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=300 -c shared_buffers=256MB",
            dir.display()
        );
        let pg_ctl = bin.join("pg_ctl");
        let status = pg_command(&pg_ctl, root)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-o", &opts, "start"])
            .stdout(Stdio::null())
            .status()
            .map_err(spawn_err(&pg_ctl))?;
        if !status.success() {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(BenchError::Setup(format!("pg_ctl start failed: {log}")));
        }
        // A watcher stops the cluster if this process dies without dropping the guard.
        let runas = if root { "runuser -u postgres -- " } else { "" };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             if [ -d '{data}' ]; then {runas}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'; fi",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            data = data.display(),
            dir = dir.display(),
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        eprintln!(
            "started throwaway PostgreSQL on 127.0.0.1:{port} in {}",
            dir.display()
        );
        Ok(PgCluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            pg_ctl,
            data,
            dir,
            root,
        })
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = pg_command(&self.pg_ctl, self.root)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
