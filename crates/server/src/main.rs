//! The `custodian` binary.

use clap::Parser;
use custodian_server::config::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_logs = matches!(&cli.command, Command::Serve(s) if s.log_json);
    init_logging(json_logs);
    let result = match cli.command {
        Command::Serve(args) => {
            limit_malloc_arenas();
            actix_web::rt::System::new().block_on(custodian_server::serve(args))
        }
        Command::Import(args) => import(args),
        Command::Reindex(args) => reindex(args),
        Command::Migrate(args) => {
            custodian_server::open_store_migrating(&args, false).and_then(|store| {
                store
                    .migrate()
                    .map(|n| println!("migrations applied: {n} pending ran"))
                    .map_err(|e| e.to_string())
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custodian: {e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives threads that allocate at the same time arenas of their own, up to eight per
/// core, and a busy server's blocking threads keep them all resident: in the benchmark at 64
/// connections Bundles peaked at 141-176 MB and the mixed load at 175-260 MB. With two arenas
/// per core: 113-144 MB and 150 MB, at the same Bundle and search rates; with one per core
/// under 140 MB, but 10-15 % fewer Bundles and 20 % fewer searches per second
/// (docs/configuration.md). glibc reads the limit only from the environment when the process
/// starts, so `serve` starts itself again, once, with `MALLOC_ARENA_MAX` at two per core.
///
/// Not when the operator chose (`MALLOC_ARENA_MAX`, or `arena_max` in `GLIBC_TUNABLES`), not
/// twice (`CUSTODIAN_REEXEC` marks the second start, whatever glibc does with its own
/// variables), and not when the running image is not this program (started through the
/// dynamic loader). `/proc/self/exe` is the running image even after an upgrade replaced the
/// file. Same process id, arguments and `argv[0]`; if the exec fails, the server runs with
/// glibc's default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    const MARK: &str = "CUSTODIAN_REEXEC";
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || tunables.contains("arena_max")
        || std::env::var_os(MARK).is_some()
    {
        return;
    }
    let mut args = std::env::args_os();
    let Some(arg0) = args.next() else {
        return;
    };
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let program = name(std::path::Path::new(&arg0));
    // The link reads `<path> (deleted)` once an upgrade has replaced the file.
    let image = std::env::current_exe()
        .ok()
        .and_then(|p| name(&p))
        .map(|n| n.trim_end_matches(" (deleted)").to_owned());
    if program.is_none() || program != image {
        return;
    }
    let arenas = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let error = std::process::Command::new("/proc/self/exe")
        .arg0(&arg0)
        .args(args)
        .env("MALLOC_ARENA_MAX", arenas.to_string())
        .env(MARK, "1")
        .exec();
    tracing::warn!(
        "could not restart with MALLOC_ARENA_MAX={arenas} ({error}); glibc's default applies"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn reindex(args: custodian_server::config::ReindexArgs) -> Result<(), String> {
    // The import's store: a bigger writer cache for the same kind of bulk rewrite.
    let store = custodian_server::open_store_for_import(&args.database)?;
    let config = custodian_server::core::CoreConfig {
        local_base: args.base_url.clone(),
        ..Default::default()
    };
    let fhir = custodian_server::core::Fhir::new(store, config).map_err(|e| e.to_string())?;
    let done = fhir
        .reindex(&args.types, |t, n| eprint!("\rreindexing {t}: {n}"))
        .map_err(|e| e.to_string())?;
    eprintln!();
    for (t, n) in done {
        println!("reindexed {n} {t} resources");
    }
    Ok(())
}

fn import(args: custodian_server::config::ImportArgs) -> Result<(), String> {
    let store = custodian_server::open_store_for_import(&args.database)?;
    let fhir = custodian_server::core::Fhir::new(
        store,
        custodian_server::core::CoreConfig {
            referential_integrity: args.referential_integrity,
            local_base: args.base_url.clone(),
        },
    )
    .map_err(|e| e.to_string())?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let summary = custodian_server::import::run(
        &fhir,
        &custodian_server::import::ImportOptions {
            paths: args.paths.clone(),
            report: args.report.clone(),
            threads,
            progress: !args.quiet,
        },
    )?;
    println!(
        "imported {} resources in {:.1} s ({:.0} resources/s); {} failed",
        summary.loaded,
        summary.seconds,
        summary.loaded as f64 / summary.seconds.max(1e-9),
        summary.failed
    );
    if summary.failed > 0 {
        return Err(format!(
            "{} resources failed; see {}",
            summary.failed,
            args.report.display()
        ));
    }
    Ok(())
}

/// Logs go to stderr; `RUST_LOG` overrides the default `info` level.
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
