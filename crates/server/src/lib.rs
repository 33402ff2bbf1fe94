//! custodian-server: the FHIR R4 REST API on actix-web and the `custodian` binary.
//!
//! [`core`] holds the interactions (testable without HTTP); [`http`] translates requests and
//! responses; [`config`] is the command line.

pub mod config;
pub mod core;
pub mod http;
pub mod import;
pub mod tls;

use config::{DatabaseArgs, ServeArgs, SyncMode};
use custodian_store::{Store, StoreOptions, Synchronous};
use std::sync::Arc;

/// Opens the store the arguments name (running migrations).
pub fn open_store(args: &DatabaseArgs) -> Result<Store, String> {
    open_store_migrating(args, true)
}

/// [`open_store`]; `migrate: false` leaves pending migrations to the caller
/// (`custodian migrate` runs them itself to report how many ran).
pub fn open_store_migrating(args: &DatabaseArgs, migrate: bool) -> Result<Store, String> {
    open_store_with(
        args,
        StoreOptions {
            migrate,
            ..StoreOptions::default()
        },
    )
}

/// The store for `custodian import`: its writer has a 64 MiB page cache (the server's has
/// 8, which keeps the server's resident set small), so that batches of a thousand resources
/// spill fewer pages midway (30,000 Patients: +5-12 % resources/s).
pub fn open_store_for_import(args: &DatabaseArgs) -> Result<Store, String> {
    open_store_with(
        args,
        StoreOptions {
            writer_cache_mib: 64,
            ..StoreOptions::default()
        },
    )
}

fn open_store_with(args: &DatabaseArgs, options: StoreOptions) -> Result<Store, String> {
    let options = StoreOptions {
        sqlite_synchronous: match args.sqlite_synchronous {
            SyncMode::Full => Synchronous::Full,
            SyncMode::Normal => Synchronous::Normal,
        },
        reader_cache_mib: args.sqlite_reader_cache_mib,
        ..options
    };
    Store::open(&args.database_url, options).map_err(|e| e.to_string())
}

/// Serves until SIGINT/SIGTERM; in-flight requests finish first.
pub async fn serve(args: ServeArgs) -> Result<(), String> {
    args.check()?;
    let store = open_store(&args.database)?;
    let core = core::Fhir::new(
        store,
        core::CoreConfig {
            referential_integrity: !args.no_referential_integrity,
            local_base: args.base_url.clone(),
        },
    )
    .map_err(|e| e.to_string())?;
    let fhir = Arc::new(core);
    let base_path = args.base_path();
    let state = actix_web::web::Data::new(http::AppState {
        fhir,
        base_url: args.base_url.clone(),
        base_path: base_path.clone(),
        max_body_bytes: args.max_body_bytes,
    });
    let server = actix_web::HttpServer::new(move || {
        let base_path = base_path.clone();
        actix_web::App::new()
            .app_data(state.clone())
            .wrap(actix_web::middleware::from_fn(http::request_log))
            .configure(move |cfg| http::configure(cfg, &base_path))
    })
    .shutdown_timeout(30);
    let server = match args.workers {
        Some(n) => server.workers(n),
        None => server,
    };
    let server = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let config = tls::server_config(cert, key)?;
            server
                .bind_rustls_0_23(args.listen, config)
                .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?
        }
        _ => server
            .bind(args.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?,
    };
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    for addr in server.addrs() {
        // Tests and scripts read this line to learn the port when listening on :0.
        tracing::info!("listening on {scheme}://{addr}{}", args.base_path());
        println!(
            "custodian listening on {scheme}://{addr}{}",
            args.base_path()
        );
    }
    server.run().await.map_err(|e| e.to_string())
}
