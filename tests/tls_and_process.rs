//! The `custodian` process itself: HTTPS (HTTP/1.1 and HTTP/2 by ALPN), the refusal to serve
//! plain HTTP beyond loopback, graceful shutdown on SIGTERM/SIGINT, `migrate`, `--help`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{patient, run_binary, Backend, Options, Server, TestCert};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

backends!(
    https_serves_the_api,
    sigterm_exits_zero,
    sigterm_lets_an_in_flight_request_finish,
    migrate_then_serve,
);

fn https_serves_the_api(_plain: &Server) {
    // The plain server the macro started only chose the backend; start a TLS one on it too.
    let s = Server::start(Options::new(_plain.backend).tls()).unwrap();
    assert!(s.base.starts_with("https://127.0.0.1:"), "{}", s.base);
    let r = s.get("metadata");
    r.assert_status(200).assert_fhir_json();
    assert_eq!(r.json()["resourceType"], "CapabilityStatement");
    let created = s.create(&patient("Tls"));
    let id = created["id"].as_str().unwrap();
    let r = s.get(&format!("Patient/{id}"));
    r.assert_status(200);
    assert_eq!(r.json(), created);
    // Location and paging links name the https scheme.
    let r = s.post("Patient", &patient("TlsLocation"));
    assert!(
        r.h("location").starts_with("https://"),
        "{}",
        r.h("location")
    );
    s.get("/readyz").assert_status(200);
}

#[test]
fn https_negotiates_h2_and_http11_by_alpn() {
    let s = Server::start(Options::new(Backend::Sqlite).tls()).unwrap();
    let cert = s.cert.as_ref().unwrap();

    // HTTP/2: ALPN picks h2; after the client preface the server's first frame is SETTINGS.
    let mut tls = connect(&s, cert, &[b"h2", b"http/1.1"]);
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"h2"[..]));
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    // An empty SETTINGS frame: length 0, type 4, flags 0, stream 0.
    tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
    tls.flush().unwrap();
    let (kind, _, _, _) = read_frame(&mut tls);
    assert_eq!(kind, 4, "the server's first HTTP/2 frame is SETTINGS");
    tls.write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).unwrap(); // SETTINGS ACK
                                                          // GET /healthz on stream 1, headers in HPACK without Huffman coding or indexing.
    let mut block = vec![0x82, 0x87]; // :method GET, :scheme https
    for (index, value) in [(4u8, "/healthz"), (1u8, "127.0.0.1")] {
        block.push(index); // literal, name from the static table (:path, :authority)
        block.push(u8::try_from(value.len()).unwrap());
        block.extend_from_slice(value.as_bytes());
    }
    let mut frame = vec![0, 0, u8::try_from(block.len()).unwrap(), 1, 0x5, 0, 0, 0, 1];
    frame.extend_from_slice(&block);
    tls.write_all(&frame).unwrap();
    tls.flush().unwrap();
    let mut status_200 = false;
    let mut body = Vec::new();
    for _ in 0..20 {
        let (kind, flags, stream, payload) = read_frame(&mut tls);
        if stream != 1 {
            continue;
        }
        match kind {
            // HEADERS: `:status: 200` is static-table entry 8.
            1 => status_200 = payload.first() == Some(&0x88),
            0 => body.extend_from_slice(&payload),
            _ => {}
        }
        if flags & 1 == 1 {
            break; // END_STREAM
        }
    }
    assert!(status_200, "no :status 200 on the HTTP/2 stream");
    assert_eq!(body, b"ok");

    // HTTP/1.1 by ALPN, by hand.
    let mut tls = connect(&s, cert, &[b"http/1.1"]);
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let _ = plain.read_to_end(&mut buf);
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "plain HTTP was served on the TLS port"
    );
}

/// One HTTP/2 frame: type, flags, stream id, payload.
fn read_frame(r: &mut impl Read) -> (u8, u8, u32, Vec<u8>) {
    let mut header = [0u8; 9];
    r.read_exact(&mut header).unwrap();
    let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
    let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload).unwrap();
    (header[3], header[4], stream, payload)
}

fn connect(
    s: &Server,
    cert: &TestCert,
    alpn: &[&[u8]],
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let config = Arc::new(cert.client_config(alpn));
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    // Drive the handshake so the ALPN result is known.
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock).unwrap();
    }
    stream
}

#[test]
fn a_certificate_the_client_does_not_trust_is_refused() {
    let s = Server::start(Options::new(Backend::Sqlite).tls()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other = TestCert::generate(dir.path());
    let config = Arc::new(other.client_config(&[b"http/1.1"]));
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut failed = false;
    while conn.is_handshaking() {
        if conn.complete_io(&mut tcp).is_err() {
            failed = true;
            break;
        }
    }
    assert!(
        failed,
        "the handshake succeeded with an untrusted certificate"
    );
}

#[test]
fn plain_http_beyond_loopback_is_refused_without_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/db.sqlite", dir.path().display());
    let (status, stdout, stderr) =
        run_binary(&["serve", "--listen", "0.0.0.0:0", "--database-url", &db]);
    assert!(!status.success(), "it started: {stdout}");
    assert!(
        stderr.contains("refusing to serve plain HTTP on 0.0.0.0:0"),
        "{stderr}"
    );
    assert!(stderr.contains("--insecure"), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    // The same for IPv6 unspecified.
    let (status, _, stderr) = run_binary(&["serve", "--listen", "[::]:0", "--database-url", &db]);
    assert!(!status.success());
    assert!(stderr.contains("refusing to serve plain HTTP"), "{stderr}");
}

#[test]
fn plain_http_beyond_loopback_with_insecure_starts() {
    let s = Server::start(
        Options::new(Backend::Sqlite)
            .listen("0.0.0.0:0")
            .arg("--insecure"),
    )
    .unwrap();
    s.get("/healthz").assert_status(200);
    s.create(&patient("Insecure"));
}

#[test]
fn tls_beyond_loopback_starts_without_insecure() {
    let s = Server::start(Options::new(Backend::Sqlite).listen("0.0.0.0:0").tls()).unwrap();
    assert!(s.base.starts_with("https://"));
    s.get("metadata").assert_status(200);
}

#[test]
fn bad_configuration_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/db.sqlite", dir.path().display());
    let cert = TestCert::generate(dir.path());
    let cert_path = cert.cert_path.to_str().unwrap();
    let key_path = cert.key_path.to_str().unwrap();
    let base = ["serve", "--listen", "127.0.0.1:0", "--database-url", &db];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--tls-cert", cert_path], "--tls-cert and --tls-key"),
        (vec!["--tls-key", key_path], "--tls-cert and --tls-key"),
        (vec!["--tls-cert", cert_path, "--tls-key", cert_path], "key"),
        (
            vec!["--tls-cert", "/nonexistent/cert.pem", "--tls-key", key_path],
            "/nonexistent/cert.pem",
        ),
        (vec!["--max-body-bytes", "10"], "max_body_bytes"),
        (vec!["--base-url", "https://x.org/fhir/"], "trailing slash"),
        (
            vec!["--sqlite-reader-cache-mib", "0"],
            "--sqlite-reader-cache-mib",
        ),
    ];
    for (extra, expected) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra.iter().copied());
        let (status, stdout, stderr) = run_binary(&args);
        assert!(!status.success(), "{extra:?} started: {stdout}");
        assert!(
            stderr.contains(expected),
            "{extra:?}: expected '{expected}' in: {stderr}"
        );
    }
    let (status, _, stderr) = run_binary(&["serve", "--database-url", "mysql://x/y"]);
    assert!(!status.success());
    assert!(!stderr.is_empty());
}

#[test]
fn help_documents_the_flags() {
    let (status, stdout, _) = run_binary(&["serve", "--help"]);
    assert!(status.success());
    for flag in [
        "--listen",
        "--database-url",
        "--base-url",
        "--tls-cert",
        "--tls-key",
        "--max-body-bytes",
        "--workers",
        "--insecure",
        "CUSTODIAN_DATABASE_URL",
        "CUSTODIAN_LISTEN",
    ] {
        assert!(
            stdout.contains(flag),
            "serve --help lacks {flag}:\n{stdout}"
        );
    }
    let (status, stdout, _) = run_binary(&["--help"]);
    assert!(status.success());
    assert!(
        stdout.contains("serve") && stdout.contains("migrate"),
        "{stdout}"
    );
}

fn sigterm_exits_zero(s: &Server) {
    // A fresh server we own (the macro's one is borrowed).
    let mut s = Server::start(Options::new(s.backend)).unwrap();
    s.create(&patient("BeforeShutdown"));
    let status = s
        .signal_and_wait("TERM", Duration::from_secs(40))
        .expect("custodian did not exit within 40 s of SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// The `MALLOC_ARENA_MAX` the serving process (by its id) runs with, if any.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn arena_max_of(s: &Server) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{}/environ", s.pid())).unwrap();
    environ
        .split(|b| *b == 0)
        .filter_map(|v| std::str::from_utf8(v).ok())
        .find_map(|v| v.strip_prefix("MALLOC_ARENA_MAX=").map(str::to_owned))
}

/// `serve` restarts itself once, in the same process, with glibc's malloc arenas limited to
/// two per core (resident memory under load; src/main.rs), and keeps an operator's own value.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn serve_limits_malloc_arenas_unless_told_otherwise() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let s = Server::start(Options::new(Backend::Sqlite)).unwrap();
    s.get("/healthz").assert_status(200);
    let inherited = std::env::var("MALLOC_ARENA_MAX").ok();
    assert_eq!(
        arena_max_of(&s),
        Some(inherited.unwrap_or_else(|| (2 * cores).to_string()))
    );
    let s = Server::start(Options::new(Backend::Sqlite).env("MALLOC_ARENA_MAX", "7")).unwrap();
    s.get("/healthz").assert_status(200);
    assert_eq!(arena_max_of(&s).as_deref(), Some("7"));
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let tunables = "glibc.malloc.arena_max=3";
        let s =
            Server::start(Options::new(Backend::Sqlite).env("GLIBC_TUNABLES", tunables)).unwrap();
        s.get("/healthz").assert_status(200);
        assert_eq!(arena_max_of(&s), None);
    }
}

#[test]
fn sigint_exits_zero() {
    let mut s = Server::sqlite();
    s.get("/healthz").assert_status(200);
    let status = s
        .signal_and_wait("INT", Duration::from_secs(40))
        .expect("custodian did not exit within 40 s of SIGINT");
    assert!(status.success(), "exit status after SIGINT: {status}");
}

/// A create whose body is still arriving when SIGTERM comes is completed and answered, and
/// the process then exits 0; the resource is stored.
fn sigterm_lets_an_in_flight_request_finish(s: &Server) {
    let mut s = Server::start(Options::new(s.backend)).unwrap();
    let body = patient("InFlight").to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut tcp = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
    write!(
        tcp,
        "POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    tcp.write_all(first).unwrap();
    tcp.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &s.pid().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    tcp.write_all(rest).unwrap();
    let mut response = String::new();
    let _ = tcp.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "in-flight create after SIGTERM: {response:?}"
    );
    let status = s
        .wait(Duration::from_secs(40))
        .expect("custodian did not exit after SIGTERM");
    assert!(status.success(), "{status}");
    // The write was committed: a new server on the same database reads it.
    let location = response
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("a Location header")
        .trim();
    let path = location
        .split("/fhir/")
        .nth(1)
        .and_then(|p| p.split("/_history").next())
        .unwrap()
        .to_owned();
    let again = Server::start(Options::new(s.backend).database(&s.database_url)).unwrap();
    let r = again.get(&path);
    r.assert_status(200);
    assert_eq!(r.json()["name"][0]["family"], "InFlight");
}

fn migrate_then_serve(s: &Server) {
    let (status, stdout, stderr) = run_binary(&["migrate", "--database-url", &s.database_url]);
    assert!(status.success(), "migrate: {stdout}{stderr}");
    // A second run is a no-op that still succeeds.
    let (status, _, _) = run_binary(&["migrate", "--database-url", &s.database_url]);
    assert!(status.success());
    s.get("/readyz").assert_status(200);
}

fn drop_database(s: &Server) {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut admin = PgConnection::establish(common::pg::server().unwrap()).unwrap();
    // The name is the harness's own (pid and counter), not input.
    diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", database_name(s)))
        .execute(&mut admin)
        .unwrap();
}

/// Ends every server connection to the test database, as a PostgreSQL restart or failover does.
fn terminate_connections(s: &Server) {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut admin = PgConnection::establish(common::pg::server().unwrap()).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
        database_name(s)
    ))
    .execute(&mut admin)
    .unwrap();
}

fn database_name(s: &Server) -> String {
    s.database_url
        .rsplit('/')
        .next()
        .and_then(|n| n.split('?').next())
        .unwrap()
        .to_owned()
}

/// PostgreSQL only: when the database goes away, the process stays alive (`/healthz` 200),
/// `/readyz` says 503, and FHIR requests fail with an OperationOutcome that shows no internals.
#[test]
fn database_outage_fails_requests_without_leaking_internals() {
    let Some(mut s) = Server::postgres() else {
        return;
    };
    s.allow_error_log = true;
    s.get("/readyz").assert_status(200);
    let p = s.create(&patient("Outage"));
    drop_database(&s);
    let r = s.get("/readyz");
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
    let r = s.get(&format!("Patient/{}", p["id"].as_str().unwrap()));
    assert!(r.status >= 500, "{} {}", r.status, r.body);
    assert_eq!(r.json()["resourceType"], "OperationOutcome");
    for word in ["postgres", "connection", "database \""] {
        assert!(
            !r.body.to_ascii_lowercase().contains(word),
            "internals leaked: {}",
            r.body
        );
    }
    s.get("/healthz").assert_status(200);
}

/// PostgreSQL only: a database outage is the database's fault, not a bug: 503 `transient`.
#[test]
fn database_outage_is_503_transient() {
    let Some(mut s) = Server::postgres() else {
        return;
    };
    s.allow_error_log = true;
    let p = s.create(&patient("Outage"));
    drop_database(&s);
    s.get("/readyz").assert_outcome(503, "transient");
    s.get(&format!("Patient/{}", p["id"].as_str().unwrap()))
        .assert_outcome(503, "transient");
    s.post("Patient", &patient("DuringOutage"))
        .assert_outcome(503, "transient");
}

/// PostgreSQL only: after a restart or failover ends every connection, the server recovers by
/// itself: at most a request or two fail, then reads and writes work again.
#[test]
fn recovers_after_database_connections_are_terminated() {
    let Some(mut s) = Server::postgres() else {
        return;
    };
    s.allow_error_log = true;
    let p = s.create(&patient("Failover"));
    let path = format!("Patient/{}", p["id"].as_str().unwrap());
    terminate_connections(&s);
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let r = s.get(&path);
        statuses.push(r.status);
        if r.status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(statuses.last(), Some(&200), "never recovered: {statuses:?}");
    s.create(&patient("AfterFailover"));
    s.get("/readyz").assert_status(200);
}

#[test]
fn unreachable_database_fails_fast_without_leaking_the_password() {
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://custodian:not-a-real-secret@127.0.0.1:1/custodian";
    let started = std::time::Instant::now();
    let (status, stdout, stderr) =
        run_binary(&["serve", "--listen", "127.0.0.1:0", "--database-url", url]);
    assert!(!status.success());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not-a-real-secret"),
        "password in: {stderr}"
    );
    assert!(!stdout.contains("listening"), "{stdout}");
}
