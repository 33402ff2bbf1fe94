//! A PostgreSQL server for the store's tests and benches and the end-to-end tests in `tests/`: `CUSTODIAN_TEST_POSTGRES_URL` when set, otherwise
//! a throwaway cluster (initdb + pg_ctl from /usr/lib/postgresql/*/bin, temp dir, free loopback
//! port, run as the `postgres` user when we are root) started once per process. A detached
//! watcher stops it and removes its directory when this process exits, however it exits.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use diesel::{Connection, PgConnection, RunQueryDsl};

static SERVER: OnceLock<Option<String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);
/// Benches set this before the first `server()` call: keep fsync on so durable figures mean
/// something. Tests leave it off.
pub static DURABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn unavailable(why: &str) -> Option<String> {
    if ci() {
        panic!("PostgreSQL tests cannot run under CI=true: {why}");
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!! SKIPPING PostgreSQL tests: {why}\n\
         !!! Set CUSTODIAN_TEST_POSTGRES_URL or install PostgreSQL.\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    None
}

/// Admin URL of the test server (connects to its `postgres` database).
pub fn server() -> Option<&'static str> {
    SERVER
        .get_or_init(|| match std::env::var("CUSTODIAN_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => start_cluster(),
        })
        .as_deref()
}

/// A new empty database on the test server; returns its URL.
pub fn fresh_database() -> Option<String> {
    let admin = server()?;
    let name = format!(
        "custodian_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = PgConnection::establish(admin).unwrap();
    // An identifier made from our pid and a counter, not from input: no bind needed (and
    // CREATE DATABASE takes none).
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .unwrap();
    Some(with_database(admin, &name))
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

fn bin_dir() -> Option<PathBuf> {
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

/// A command run as `postgres` when we are root.
fn pg_command(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn start_cluster() -> Option<String> {
    let Some(bin) = bin_dir() else {
        return unavailable("no /usr/lib/postgresql/*/bin/initdb");
    };
    let root = is_root();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("custodian-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if root {
        let ok = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return unavailable("cannot chown the cluster directory to postgres");
        }
    }
    let data = dir.join("data");
    let out = pg_command(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return unavailable(&format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ))
        }
        Err(e) => return unavailable(&format!("initdb: {e}")),
    }
    let port = free_port();
    // Tests want speed, not durability: fsync off unless DURABLE.
    let sync = if DURABLE.load(Ordering::SeqCst) {
        ""
    } else {
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    };
    let opts = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
         {sync} -c max_connections=300 -c shared_buffers=256MB",
        dir.display()
    );
    let status = pg_command(&bin.join("pg_ctl"), root)
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .args(["-w", "-o", &opts, "start"])
        .stdout(Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        return unavailable(&format!("pg_ctl start failed: {log}"));
    }
    // The watcher: stop the cluster and remove it once this process is gone.
    let runas = if root { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         {runas}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    let spawned = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("warning: cannot start the cluster watcher ({e}); stop {data:?} by hand");
    }
    eprintln!(
        "started throwaway PostgreSQL on 127.0.0.1:{port} in {}",
        dir.display()
    );
    Some(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
