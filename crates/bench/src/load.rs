//! Load generation. `wrk` (Debian's, a well-kept C load generator) drives the workloads whose
//! requests need no per-request logic beyond a Lua script (read by random id, create, search,
//! the ceiling); a small driver on a blocking HTTP client, one thread per connection, drives
//! the ones that do (update with If-Match, transactions, mixed). Both are bounded in time and
//! count.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::BenchError;
use crate::rng::Rng;

/// One measured run of one workload at one connection count.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Measured {
    pub workload: String,
    pub connections: usize,
    /// `wrk`, `driver` or `custodian import`.
    pub tool: String,
    pub seconds: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Resources per second where a request carries several (transactions, import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources_per_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Responses that were not 2xx/3xx, plus transport errors (412s are not counted here).
    pub errors: u64,
    /// 412 Precondition Failed (update with If-Match lost a race): expected, not an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts_412: Option<u64>,
    /// Error responses by status (`"transport"` for connection failures), driver only.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub error_statuses: BTreeMap<String, u64>,
    pub server_cpu_s: Option<f64>,
    pub server_peak_rss_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Measured {
    pub fn all_errors(&self) -> bool {
        self.requests > 0 && self.errors >= self.requests
    }
}

/// What one driver call did.
pub enum Outcome {
    Ok,
    /// 412 on a conditional update.
    Conflict,
    /// An error status with the start of its body.
    Status(u16, String),
    Transport(String),
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .max_idle_connections_per_host(1)
        .build()
}

/// Reads a response body to the end (so the connection is reused).
pub fn body(resp: ureq::Response) -> Result<Vec<u8>, std::io::Error> {
    let mut buf = Vec::new();
    resp.into_reader().take(64 << 20).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Turns a ureq result into an outcome, reading the body either way.
pub fn outcome(result: Result<ureq::Response, ureq::Error>) -> Outcome {
    match result {
        Ok(resp) => match body(resp) {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Transport(e.to_string()),
        },
        Err(ureq::Error::Status(412, resp)) => {
            let _ = body(resp);
            Outcome::Conflict
        }
        Err(ureq::Error::Status(code, resp)) => {
            let text = body(resp)
                .map(|b| String::from_utf8_lossy(&b).chars().take(300).collect())
                .unwrap_or_default();
            Outcome::Status(code, text)
        }
        Err(e) => Outcome::Transport(e.to_string()),
    }
}

fn percentile(sorted: &[u32], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0)
}

/// Runs `op` on `connections` threads for `duration` (each thread at most `max_per_thread`
/// calls), one agent (one keep-alive connection) per thread. `op` gets the thread's agent and
/// a per-thread random stream.
pub fn drive<F>(
    workload: &str,
    connections: usize,
    duration: Duration,
    seed: u64,
    max_per_thread: u64,
    op: F,
) -> (Measured, Option<String>)
where
    F: Fn(&ureq::Agent, &mut Rng) -> Outcome + Sync,
{
    struct ThreadResult {
        latencies_us: Vec<u32>,
        conflicts: u64,
        errors: BTreeMap<String, u64>,
        sample: Option<String>,
    }
    let start = Instant::now();
    let end = start + duration;
    let results: Vec<ThreadResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections)
            .map(|t| {
                let op = &op;
                s.spawn(move || {
                    let agent = agent();
                    let mut rng = Rng::derive(seed, t as u64 + 1);
                    let mut r = ThreadResult {
                        latencies_us: Vec::with_capacity(4096),
                        conflicts: 0,
                        errors: BTreeMap::new(),
                        sample: None,
                    };
                    let mut n = 0;
                    while n < max_per_thread && Instant::now() < end {
                        let t0 = Instant::now();
                        let result = op(&agent, &mut rng);
                        let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                        n += 1;
                        match result {
                            Outcome::Ok => r.latencies_us.push(us),
                            Outcome::Conflict => {
                                r.latencies_us.push(us);
                                r.conflicts += 1;
                            }
                            Outcome::Status(code, text) => {
                                *r.errors.entry(code.to_string()).or_default() += 1;
                                r.sample.get_or_insert_with(|| format!("{code}: {text}"));
                            }
                            Outcome::Transport(e) => {
                                *r.errors.entry("transport".into()).or_default() += 1;
                                r.sample.get_or_insert_with(|| format!("transport: {e}"));
                                // Do not spin on a dead server.
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut latencies: Vec<u32> = Vec::new();
    let mut m = Measured {
        workload: workload.into(),
        connections,
        tool: "driver".into(),
        seconds,
        ..Measured::default()
    };
    let mut conflicts = 0;
    let mut sample = None;
    for r in results {
        latencies.extend(&r.latencies_us);
        conflicts += r.conflicts;
        for (k, v) in r.errors {
            m.errors += v;
            *m.error_statuses.entry(k).or_default() += v;
        }
        if sample.is_none() {
            sample = r.sample;
        }
    }
    latencies.sort_unstable();
    m.requests = latencies.len() as u64 + m.errors;
    m.requests_per_s = latencies.len() as f64 / seconds.max(1e-9);
    m.p50_ms = percentile(&latencies, 0.50);
    m.p90_ms = percentile(&latencies, 0.90);
    m.p99_ms = percentile(&latencies, 0.99);
    m.conflicts_412 = Some(conflicts);
    (m, sample)
}

/// Whether `wrk` is on the PATH.
pub fn wrk_available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).contains("wrk")
                || String::from_utf8_lossy(&o.stderr).contains("wrk")
        })
}

/// Parses wrk's durations: `812.00us`, `1.23ms`, `2.00s`, `1.50m`.
fn wrk_ms(text: &str) -> Option<f64> {
    let t = text.trim();
    for (suffix, factor) in [
        ("us", 0.001),
        ("ms", 1.0),
        ("s", 1000.0),
        ("m", 60_000.0),
        ("h", 3_600_000.0),
    ] {
        if let Some(v) = t.strip_suffix(suffix) {
            if let Ok(v) = v.parse::<f64>() {
                return Some(v * factor);
            }
        }
    }
    None
}

/// Parses `wrk --latency` output.
pub fn parse_wrk(workload: &str, connections: usize, output: &str) -> Measured {
    let mut m = Measured {
        workload: workload.into(),
        connections,
        tool: "wrk".into(),
        ..Measured::default()
    };
    let mut in_distribution = false;
    for line in output.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            let mut parts = t.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some("50%"), Some(v)) => m.p50_ms = wrk_ms(v),
                (Some("90%"), Some(v)) => m.p90_ms = wrk_ms(v),
                (Some("99%"), Some(v)) => {
                    m.p99_ms = wrk_ms(v);
                    in_distribution = false;
                }
                _ => {}
            }
            continue;
        }
        if let Some((n, rest)) = t.split_once(" requests in ") {
            m.requests = n.trim().parse().unwrap_or(0);
            m.seconds = rest
                .split(',')
                .next()
                .and_then(wrk_ms)
                .map_or(0.0, |ms| ms / 1000.0);
        } else if let Some(v) = t.strip_prefix("Requests/sec:") {
            m.requests_per_s = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            m.errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            m.errors += v
                .split(',')
                .filter_map(|p| p.split_whitespace().nth(1))
                .filter_map(|n| n.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    if m.requests > 0 && m.errors > 0 {
        // wrk's Requests/sec counts every response; the figure we report is successful ones.
        let ok = m.requests.saturating_sub(m.errors);
        m.requests_per_s = ok as f64 / m.seconds.max(1e-9);
    }
    m
}

/// Runs wrk: `threads` = min(connections, cores), `--latency`, a 30 s timeout, optional Lua
/// script. Bounded by `duration` (and wrk's own timeout).
pub fn run_wrk(
    workload: &str,
    url: &str,
    connections: usize,
    duration: Duration,
    script: Option<&Path>,
) -> Result<Measured, BenchError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = connections.clamp(1, cores);
    let secs = duration.as_secs().max(1);
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t",
        &threads.to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{secs}s"),
        "--timeout",
        "30s",
        "--latency",
        "-H",
        "Accept: application/fhir+json",
    ]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    cmd.arg(url);
    let out = cmd.output().map_err(|source| BenchError::Spawn {
        program: "wrk".into(),
        source,
    })?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(BenchError::Setup(format!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(parse_wrk(workload, connections, &text))
}

/// A Lua string literal for wrk scripts (long brackets whose level the text cannot close).
pub fn lua_long_string(text: &str) -> String {
    let mut level = 0;
    loop {
        let eq = "=".repeat(level);
        if !text.contains(&format!("]{eq}]")) {
            return format!("[{eq}[{text}]{eq}]");
        }
        level += 1;
    }
}

/// wrk script: GET `path_prefix` + a random line of `ids_file` per request.
pub fn read_script(ids_file: &Path, path_prefix: &str) -> String {
    format!(
        r#"-- custodian-bench: read by id, uniformly random over the whole data set
local ids = {{}}
for line in io.lines({ids}) do ids[#ids + 1] = line end
local prefix = {prefix}
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  math.randomseed((tid or 1) * 7919 + os.time())
end
function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end
"#,
        ids = lua_long_string(&ids_file.display().to_string()),
        prefix = lua_long_string(path_prefix),
    )
}

/// wrk script: POST the same JSON body to the URL given on the command line.
pub fn post_script(body: &str) -> String {
    format!(
        "-- custodian-bench: create\nwrk.method = \"POST\"\nwrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/fhir+json\"\n",
        lua_long_string(body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk_output() {
        let out = "Running 2s test @ http://127.0.0.1:1/fhir/Patient
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   251.13us  100.00us   4.00ms   90.00%
    Req/Sec    15.00k     1.00k   17.00k    70.00%
  Latency Distribution
     50%  230.00us
     75%  280.00us
     90%    1.20ms
     99%    2.00s
  30000 requests in 2.00s, 10.00MB read
  Non-2xx or 3xx responses: 100
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  15000.00
Transfer/sec:      5.00MB
";
        let m = parse_wrk("read", 8, out);
        assert_eq!(m.requests, 30000);
        assert_eq!(m.errors, 103);
        assert_eq!(m.p50_ms, Some(0.23));
        assert_eq!(m.p90_ms, Some(1.2));
        assert_eq!(m.p99_ms, Some(2000.0));
        assert!((m.requests_per_s - (30000.0 - 103.0) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn lua_strings_cannot_be_closed_early() {
        assert_eq!(lua_long_string("a]]b"), "[=[a]]b]=]");
        assert_eq!(lua_long_string("x"), "[[x]]");
    }
}
