//! The end-to-end harness: starts the real `custodian` binary on a free port against a temp
//! SQLite file or a fresh PostgreSQL database, talks HTTP(S) to it with a small blocking client,
//! and kills it (and removes its files) on drop.
//!
//! Adding tests for a new interaction (search, conditional, bundles, `$validate`): write
//! `fn my_test(s: &Server)` in a test file and list it in that file's `backends!` call; it then
//! runs once on SQLite and once on PostgreSQL.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The throwaway-PostgreSQL harness is the store tests' own (one copy, shared by path, as the
/// store benches share it).
#[path = "../../crates/store/tests/common/pg.rs"]
pub mod pg;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_custodian");

/// How long the server may take to print its "listening on" line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Generates one `#[test]` per backend for each listed `fn name(s: &Server)`:
/// `sqlite::name` always runs; `postgres::name` runs when PostgreSQL is available (see
/// [`pg`]). Attributes such as `#[ignore = "bug: ..."]` are passed on to both.
#[macro_export]
macro_rules! backends {
    ($( $(#[$meta:meta])* $name:ident ),* $(,)?) => {
        mod sqlite {
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    let server = $crate::common::Server::sqlite();
                    super::$name(&server);
                }
            )*
        }
        mod postgres {
            $(
                $(#[$meta])*
                #[test]
                fn $name() {
                    let Some(server) = $crate::common::Server::postgres() else {
                        return;
                    };
                    super::$name(&server);
                }
            )*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What to start: backend, extra flags, TLS.
#[derive(Debug, Clone)]
pub struct Options {
    pub backend: Backend,
    pub args: Vec<String>,
    pub listen: String,
    pub tls: bool,
    /// An existing database (e.g. the one a stopped server used) instead of a fresh one.
    pub database_url: Option<String>,
    /// Extra environment variables for the process.
    pub env: Vec<(String, String)>,
}

impl Options {
    pub fn new(backend: Backend) -> Self {
        Options {
            backend,
            args: Vec::new(),
            listen: "127.0.0.1:0".into(),
            tls: false,
            database_url: None,
            env: Vec::new(),
        }
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_owned());
        self
    }

    pub fn listen(mut self, addr: &str) -> Self {
        self.listen = addr.to_owned();
        self
    }

    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    pub fn database(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_owned());
        self
    }
}

/// A self-signed certificate for `127.0.0.1` and `localhost`, written as PEM files.
pub struct TestCert {
    pub cert_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestCert {
    pub fn generate(dir: &Path) -> Self {
        let certified = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        let cert_pem = certified.cert.pem();
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, &cert_pem).unwrap();
        std::fs::write(&key_path, certified.key_pair.serialize_pem()).unwrap();
        TestCert {
            cert_pem,
            cert_path,
            key_path,
        }
    }

    /// A rustls client configuration trusting only this certificate, offering `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        let der = rustls_pemfile::certs(&mut self.cert_pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        roots.add(der).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}

/// A running `custodian serve`.
pub struct Server {
    child: Child,
    /// The FHIR base, e.g. `http://127.0.0.1:41234/fhir`.
    pub base: String,
    /// Scheme, host and port, e.g. `http://127.0.0.1:41234` (for `/healthz`).
    pub root: String,
    pub port: u16,
    pub backend: Backend,
    pub database_url: String,
    pub cert: Option<TestCert>,
    agent: ureq::Agent,
    log_path: PathBuf,
    dir: tempfile::TempDir,
    /// Set by tests that provoke server-side errors on purpose.
    pub allow_error_log: bool,
}

/// A fresh database URL for `backend` (`None`: PostgreSQL unavailable, already announced),
/// and the temp dir holding the SQLite file and the logs.
pub fn fresh_database(backend: Backend) -> Option<(String, tempfile::TempDir)> {
    let dir = tempfile::Builder::new()
        .prefix("custodian-e2e-")
        .tempdir()
        .unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/data/custodian.db", dir.path().display()),
        Backend::Postgres => pg::fresh_database()?,
    };
    Some((url, dir))
}

impl Server {
    pub fn sqlite() -> Server {
        Server::start(Options::new(Backend::Sqlite)).unwrap()
    }

    /// `None` when PostgreSQL is unavailable outside CI (a loud message says so).
    pub fn postgres() -> Option<Server> {
        Server::start(Options::new(Backend::Postgres))
    }

    pub fn start(options: Options) -> Option<Server> {
        let (database_url, dir) = match &options.database_url {
            Some(url) => (
                url.clone(),
                tempfile::Builder::new()
                    .prefix("custodian-e2e-")
                    .tempdir()
                    .unwrap(),
            ),
            None => fresh_database(options.backend)?,
        };
        let cert = options.tls.then(|| TestCert::generate(dir.path()));
        let log_path = dir.path().join("server.log");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(["--listen", &options.listen])
            .args(["--database-url", &database_url])
            // Tests commit thousands of times; durability is not what they check.
            .args(["--sqlite-synchronous", "normal"])
            .args(["--workers", "2"])
            .args(&options.args)
            .env_remove("CUSTODIAN_BASE_URL")
            .env_remove("CUSTODIAN_LISTEN")
            .env_remove("CUSTODIAN_DATABASE_URL")
            .env("RUST_LOG", "info")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log_path).unwrap());
        if let Some(cert) = &cert {
            cmd.arg("--tls-cert")
                .arg(&cert.cert_path)
                .arg("--tls-key")
                .arg(&cert.key_path);
        }
        let child = cmd.spawn().expect("cannot start the custodian binary");
        let mut agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0);
        if let Some(cert) = &cert {
            agent = agent.tls_config(Arc::new(cert.client_config(&[b"http/1.1"])));
        }
        // Owned by a Server from here on, so any panic below still kills the process.
        let mut server = Server {
            child,
            base: String::new(),
            root: String::new(),
            port: 0,
            backend: options.backend,
            database_url,
            cert,
            agent: agent.build(),
            log_path,
            dir,
            allow_error_log: false,
        };
        let base = match wait_for_listening(&mut server.child) {
            Ok(b) => b,
            Err(why) => panic!("custodian did not start: {why}"),
        };
        // `--listen 0.0.0.0:0` prints the wildcard address: talk to it over loopback.
        let base = base.replace("://0.0.0.0:", "://127.0.0.1:");
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let root = match base[scheme_end..].find('/') {
            Some(i) => base[..scheme_end + i].to_owned(),
            None => base.clone(),
        };
        server.port = root
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the listening line");
        server.base = base;
        server.root = root;
        Some(server)
    }

    /// The server's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. "TERM") and waits up to `timeout` for the process to exit.
    pub fn signal_and_wait(&mut self, signal: &str, timeout: Duration) -> Option<ExitStatus> {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{signal} failed");
        wait_timeout(&mut self.child, timeout)
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_timeout(&mut self.child, timeout)
    }

    /// A URL for `path`: absolute URLs pass; `/x` is under the root; anything else under the
    /// FHIR base.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if path.starts_with('/') {
            format!("{}{path}", self.root)
        } else if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        }
    }

    pub fn req(&self, method: &str, path: &str) -> Req {
        Req {
            inner: self.agent.request(method, &self.url(path)),
            method: method.to_owned(),
            url: self.url(path),
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.req("GET", path).send()
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.req("DELETE", path).send()
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.req("POST", path).json(body).send()
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.req("PUT", path).json(body).send()
    }

    /// Creates `resource`, asserting 201; returns the stored resource.
    pub fn create(&self, resource: &Value) -> Value {
        let t = resource["resourceType"].as_str().unwrap();
        let r = self.post(t, resource);
        r.assert_status(201);
        r.json()
    }

    /// Updates `resource` (which has its id), asserting 200 or 201; returns the stored one.
    pub fn update(&self, resource: &Value) -> Value {
        let t = resource["resourceType"].as_str().unwrap();
        let id = resource["id"].as_str().unwrap();
        let r = self.put(&format!("{t}/{id}"), resource);
        assert!(
            r.status == 200 || r.status == 201,
            "update {t}/{id}: {} {}",
            r.status,
            r.body
        );
        r.json()
    }

    /// All entries of a history (following `next` links), as returned.
    pub fn history_all(&self, path: &str) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut url = self.url(path);
        for _ in 0..10_000 {
            let r = self.get(&url);
            r.assert_status(200);
            let bundle = r.json();
            assert_eq!(bundle["resourceType"], "Bundle");
            assert_eq!(bundle["type"], "history");
            entries.extend(bundle["entry"].as_array().cloned().unwrap_or_default());
            match link(&bundle, "next") {
                Some(next) => url = next,
                None => return entries,
            }
        }
        panic!("history paging did not end after 10,000 pages");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "--- custodian log ({:?}, last {} lines) ---",
                self.backend,
                tail.len()
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        // `dir` (SQLite file, certificate, log) is removed when it drops after this.
        let _ = &self.dir;
        if !std::thread::panicking() && !self.allow_error_log {
            // 500s are bugs and are logged at ERROR: a test that caused one fails.
            let log = self.log();
            let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
            assert!(
                errors.is_empty(),
                "custodian ({:?}) logged errors:\n{}",
                self.backend,
                errors.join("\n")
            );
        }
    }
}

/// Reads stdout until the "listening on" line; returns the URL it names. Keeps draining stdout
/// afterwards so the server never blocks on a full pipe.
fn wait_for_listening(child: &mut Child) -> Result<String, String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut sent = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if !sent {
                        if let Some(i) = line.find("listening on ") {
                            let url = line[i + "listening on ".len()..].trim().to_owned();
                            let _ = tx.send(url);
                            sent = true;
                        }
                    }
                }
            }
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(url) => return Ok(url),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stdout closed without the line: the process is exiting.
                let status = wait_timeout(child, Duration::from_secs(10));
                return Err(format!("exited before listening ({status:?})"));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited before listening ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!("no 'listening on' line after {START_TIMEOUT:?}"));
        }
    }
}

pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary with `args` to completion (at most 60 s); returns status, stdout, stderr.
pub fn run_binary(args: &[&str]) -> (ExitStatus, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("CUSTODIAN_INSECURE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let Some(status) = wait_timeout(&mut child, Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("custodian {args:?} did not exit within 60 s");
    };
    (
        status,
        out_thread.join().unwrap(),
        err_thread.join().unwrap(),
    )
}

/// A request being built.
pub struct Req {
    inner: ureq::Request,
    method: String,
    url: String,
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.set(name, value);
        self
    }

    /// Sends with a JSON body (`application/fhir+json` unless a Content-Type is set).
    pub fn json(self, body: &Value) -> Body {
        self.body("application/fhir+json", &body.to_string())
    }

    /// Sends `text` as the body (with `content_type` unless one is set already).
    pub fn body(mut self, content_type: &str, text: &str) -> Body {
        if self.inner.header("content-type").is_none() {
            self.inner = self.inner.set("Content-Type", content_type);
        }
        Body {
            req: self,
            text: text.to_owned(),
        }
    }

    /// Sends the body as-is with no Content-Type header.
    pub fn raw_body(self, text: &str) -> Body {
        Body {
            req: self,
            text: text.to_owned(),
        }
    }

    pub fn send(self) -> Resp {
        let (method, url) = (self.method.clone(), self.url.clone());
        Resp::from(self.inner.call(), &method, &url)
    }
}

/// A request with a body, ready to send.
pub struct Body {
    req: Req,
    text: String,
}

impl Body {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.req = self.req.header(name, value);
        self
    }

    pub fn send(self) -> Resp {
        let (method, url) = (self.req.method.clone(), self.req.url.clone());
        Resp::from(self.req.inner.send_string(&self.text), &method, &url)
    }
}

/// A response: status, headers (names lowercase), body text.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// `METHOD url`, for failure messages.
    pub request: String,
}

impl Resp {
    fn from(result: Result<ureq::Response, ureq::Error>, method: &str, url: &str) -> Resp {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {url}: transport error: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.to_ascii_lowercase(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let body = response
            .into_string()
            .unwrap_or_else(|e| panic!("{method} {url}: cannot read the body: {e}"));
        Resp {
            status,
            headers,
            body,
            request: format!("{method} {url}"),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The header, which must be present.
    pub fn h(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("{}: no {name} header in {:?}", self.request, self.headers))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: body is not JSON ({e}): {:?}",
                self.request,
                self.body.chars().take(500).collect::<String>()
            )
        })
    }

    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "{}: expected {status}, got {} with body {}",
            self.request,
            self.status,
            self.body.chars().take(1000).collect::<String>()
        );
        self
    }

    /// Asserts the FHIR JSON content type.
    pub fn assert_fhir_json(&self) -> &Self {
        let ct = self.h("content-type");
        assert!(
            ct.starts_with("application/fhir+json"),
            "{}: content-type {ct}",
            self.request
        );
        self
    }

    /// Asserts `status` and an OperationOutcome body with an error issue of `code`; returns
    /// that issue.
    pub fn assert_outcome(&self, status: u16, code: &str) -> Value {
        self.assert_status(status);
        self.assert_fhir_json();
        let body = self.json();
        assert_eq!(
            body["resourceType"], "OperationOutcome",
            "{}: {}",
            self.request, self.body
        );
        let issues = body["issue"].as_array().cloned().unwrap_or_default();
        assert!(!issues.is_empty(), "{}: no issues", self.request);
        issues
            .iter()
            .find(|i| {
                i["code"] == code && matches!(i["severity"].as_str(), Some("error" | "fatal"))
            })
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "{}: no error issue with code {code} in {}",
                    self.request, self.body
                )
            })
    }

    /// Like `assert_outcome`, and the issue's `expression` contains `expression`.
    pub fn assert_outcome_at(&self, status: u16, code: &str, expression: &str) -> Value {
        let body = {
            self.assert_outcome(status, code);
            self.json()
        };
        let issue = body["issue"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| {
                i["code"] == code
                    && i["expression"]
                        .as_array()
                        .is_some_and(|e| e.iter().any(|x| x == expression))
            })
            .cloned();
        issue.unwrap_or_else(|| {
            panic!(
                "{}: no {code} issue at {expression} in {}",
                self.request, self.body
            )
        })
    }

    /// The version number of the `ETag` header (`W/"n"`).
    pub fn etag_version(&self) -> i64 {
        let etag = self.h("etag");
        etag.strip_prefix("W/\"")
            .and_then(|v| v.strip_suffix('"'))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{}: ETag {etag} is not W/\"n\"", self.request))
    }
}

/// The URL of a Bundle link.
pub fn link(bundle: &Value, relation: &str) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// A synthetic Patient (no real person).
pub fn patient(family: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "active": true,
        "name": [{"use": "official", "family": family, "given": ["Test"]}],
        "gender": "unknown",
        "birthDate": "1970-01-01"
    })
}

/// A synthetic finished ambulatory Encounter of `patient_id`.
pub fn encounter(patient_id: &str) -> Value {
    json!({
        "resourceType": "Encounter",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB"
        },
        "subject": {"reference": format!("Patient/{patient_id}")}
    })
}

/// A synthetic active Condition of `patient_id`.
pub fn condition(patient_id: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"
        }]},
        "code": {"text": "Synthetic test condition"},
        "subject": {"reference": format!("Patient/{patient_id}")}
    })
}

/// `(resourceType/id, versionId)` of each entry (deleted entries read from `request.url` and
/// the ETag).
pub fn entry_keys(entries: &[Value]) -> Vec<(String, String, String)> {
    entries
        .iter()
        .map(|e| {
            let full_url = e["fullUrl"].as_str().unwrap_or_default().to_owned();
            let etag = e["response"]["etag"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let method = e["request"]["method"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (full_url, etag, method)
        })
        .collect()
}
