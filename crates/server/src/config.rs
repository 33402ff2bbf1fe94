//! The command line and its environment equivalents, checked before anything starts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use validator::{Validate, ValidationError};

#[derive(Debug, Parser)]
#[command(
    name = "custodian",
    version,
    about = "Custodian: a FHIR R4 (4.0.1) server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the FHIR REST API.
    Serve(ServeArgs),
    /// Run pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Load Bulk Data NDJSON files (`Type.ndjson`, one resource per line) and
    /// transaction/batch/collection Bundles straight into the database.
    Import(ImportArgs),
    /// Rebuild the search index rows of stored resources from their bodies, after an upgrade
    /// that changes what is indexed. Versions stay as they are; the server may keep running.
    Reindex(ReindexArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReindexArgs {
    /// Only this resource type (repeatable); without it, every served type.
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// This server's public base URL (as for `serve`): absolute references under it are
    /// indexed as local `Type/id` references.
    #[arg(long, env = "CUSTODIAN_BASE_URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// NDJSON files (`.ndjson`) and Bundle files (`.json`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Where to write the failed lines (file, line, reason), if any fail.
    #[arg(long, default_value = "custodian-import-report.ndjson")]
    pub report: PathBuf,

    /// Check that local references point to stored resources. Off by default: bulk files
    /// arrive in any order.
    #[arg(long)]
    pub referential_integrity: bool,

    /// Threads that parse and validate (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// No progress bar (e.g. in scripts).
    #[arg(long)]
    pub quiet: bool,

    /// This server's public base URL (as for `serve`): absolute references under it are
    /// indexed as local `Type/id` references.
    #[arg(long, env = "CUSTODIAN_BASE_URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (embedded; the directory is created) or `postgres://USER:PASS@HOST/DB`.
    #[arg(
        long,
        env = "CUSTODIAN_DATABASE_URL",
        default_value = "sqlite://./data/custodian.db"
    )]
    pub database_url: String,

    /// SQLite durability: `full` fsyncs every commit (an acknowledged write survives power
    /// loss); `normal` may lose the last commits on power loss but never corrupts.
    #[arg(long, env = "CUSTODIAN_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SyncMode::Full)]
    pub sqlite_synchronous: SyncMode,

    /// SQLite: page cache of each of the 16 reader connections, in MiB (1-1024). 2 keeps the
    /// resident set small; 8 runs large `_has` and wide searches faster for ~100 MB more.
    #[arg(
        long,
        env = "CUSTODIAN_SQLITE_READER_CACHE_MIB",
        default_value_t = 2,
        value_parser = clap::value_parser!(u32).range(1..=1024)
    )]
    pub sqlite_reader_cache_mib: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncMode {
    Full,
    Normal,
}

#[derive(Debug, Clone, Args, Validate)]
#[validate(schema(function = "check_tls_pair"))]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CUSTODIAN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Public base URL of the API (for `fullUrl`, `Location` and paging links), e.g.
    /// `https://fhir.example.org/fhir`. Derived from each request when not set.
    #[arg(long, env = "CUSTODIAN_BASE_URL")]
    #[validate(url, custom(function = "check_base_url"))]
    pub base_url: Option<String>,

    /// PEM certificate chain: serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN).
    #[arg(long, env = "CUSTODIAN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of the certificate.
    #[arg(long, env = "CUSTODIAN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Largest accepted request body; larger ones get 413.
    #[arg(long, env = "CUSTODIAN_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    #[validate(range(min = 1024, max = 1_073_741_824))]
    pub max_body_bytes: usize,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CUSTODIAN_WORKERS")]
    #[validate(range(min = 1, max = 512))]
    pub workers: Option<usize>,

    /// Allow plain HTTP on a non-loopback address (e.g. behind a TLS-terminating proxy).
    #[arg(long, env = "CUSTODIAN_INSECURE")]
    pub insecure: bool,

    /// Do not check that local references point to stored resources (bulk loads that
    /// arrive out of order).
    #[arg(long, env = "CUSTODIAN_NO_REFERENTIAL_INTEGRITY")]
    pub no_referential_integrity: bool,

    /// Log lines as JSON instead of text.
    #[arg(long, env = "CUSTODIAN_LOG_JSON")]
    pub log_json: bool,
}

fn check_tls_pair(args: &ServeArgs) -> Result<(), ValidationError> {
    if args.tls_cert.is_some() != args.tls_key.is_some() {
        let mut e = ValidationError::new("tls_pair");
        e.message = Some("--tls-cert and --tls-key must be given together".into());
        return Err(e);
    }
    Ok(())
}

fn check_base_url(url: &str) -> Result<(), ValidationError> {
    if url.ends_with('/') || !(url.starts_with("http://") || url.starts_with("https://")) {
        let mut e = ValidationError::new("base_url");
        e.message = Some("--base-url must be an http(s) URL without a trailing slash".into());
        return Err(e);
    }
    Ok(())
}

impl ServeArgs {
    /// Checks the rules, including the refusal to expose plain HTTP beyond loopback.
    pub fn check(&self) -> Result<(), String> {
        self.validate().map_err(|e| e.to_string())?;
        let tls = self.tls_cert.is_some();
        if !tls && !self.listen.ip().is_loopback() && !self.insecure {
            return Err(format!(
                "refusing to serve plain HTTP on {}: patient data would cross the network \
                 unencrypted. Give --tls-cert and --tls-key, or --insecure when a TLS proxy \
                 sits in front.",
                self.listen
            ));
        }
        Ok(())
    }

    /// The path the API is mounted at: the base URL's path, or `/fhir`.
    pub fn base_path(&self) -> String {
        self.base_url
            .as_deref()
            .and_then(|u| u.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/fhir".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ServeArgs {
        let mut full = vec!["custodian", "serve"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full) {
            Ok(Cli {
                command: Command::Serve(s),
            }) => s,
            other => panic!("unexpected parse: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_safe_and_valid() {
        let s = parse(&[]);
        assert!(s.check().is_ok());
        assert_eq!(s.base_path(), "/fhir");
    }

    #[test]
    fn plain_http_beyond_loopback_needs_insecure() {
        assert!(parse(&["--listen", "0.0.0.0:8080"]).check().is_err());
        assert!(parse(&["--listen", "0.0.0.0:8080", "--insecure"])
            .check()
            .is_ok());
    }

    #[test]
    fn rules_are_checked() {
        assert!(parse(&["--tls-cert", "a.pem"]).check().is_err());
        assert!(parse(&["--max-body-bytes", "10"]).check().is_err());
        assert!(parse(&["--base-url", "https://x.org/fhir/"])
            .check()
            .is_err());
        let s = parse(&["--base-url", "https://x.org/api/fhir"]);
        assert!(s.check().is_ok());
        assert_eq!(s.base_path(), "/api/fhir");
    }
}
