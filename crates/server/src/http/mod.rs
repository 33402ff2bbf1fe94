//! The HTTP face of the core: routes, the per-request log line, and thin handlers.

mod call;
mod handlers;
pub mod negotiate;
mod response;

use crate::core::Fhir;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use call::RequestId;
use std::sync::Arc;
use std::time::Instant;

/// Shared by every worker.
pub struct AppState {
    pub fhir: Arc<Fhir>,
    /// Public base URL from the configuration; derived from the request when absent.
    pub base_url: Option<String>,
    /// Where the API is mounted, e.g. `/fhir`.
    pub base_path: String,
    pub max_body_bytes: usize,
}

/// Registers the FHIR API under `base_path` and the health endpoints at the root.
pub fn configure(cfg: &mut web::ServiceConfig, base_path: &str) {
    use handlers::*;
    let not_allowed = || web::route().to(method_not_allowed);
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .service(
            web::scope(base_path)
                .service(
                    web::resource(["", "/"])
                        .route(web::post().to(bundle))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/metadata")
                        .route(web::get().to(metadata))
                        .route(web::head().to(metadata))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/_history")
                        .route(web::get().to(history_system))
                        .route(web::head().to(history_system))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/_search")
                        .route(web::post().to(search_post))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/_history")
                        .route(web::get().to(history_type))
                        .route(web::head().to(history_type))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/{id}/_history")
                        .route(web::get().to(history_instance))
                        .route(web::head().to(history_instance))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/{id}/_history/{vid}")
                        .route(web::get().to(vread))
                        .route(web::head().to(vread))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/$validate")
                        .route(web::post().to(validate_type))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/{id}/$validate")
                        .route(web::post().to(validate_instance))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}")
                        .route(web::get().to(search))
                        .route(web::head().to(search))
                        .route(web::post().to(create))
                        .route(web::put().to(conditional_update))
                        .route(web::delete().to(conditional_delete))
                        .default_service(not_allowed()),
                )
                .service(
                    web::resource("/{type}/{id}")
                        .route(web::get().to(read))
                        .route(web::head().to(read))
                        .route(web::put().to(update))
                        .route(web::patch().to(patch))
                        .route(web::delete().to(delete))
                        .default_service(not_allowed()),
                )
                .default_service(web::route().to(not_found)),
        )
        .default_service(web::route().to(not_found));
}

/// The methods each route answers (the `Allow` header of a 405).
pub(crate) fn allowed_methods(pattern: &str) -> &'static str {
    let tail = pattern.rsplit('/').next().unwrap_or_default();
    match tail {
        "metadata" | "_history" | "{vid}" => "GET, HEAD",
        "_search" | "$validate" => "POST",
        "{type}" => "GET, HEAD, POST, PUT, DELETE",
        "{id}" => "GET, HEAD, PUT, PATCH, DELETE",
        _ => "POST",
    }
}

/// Gives each request an id (the client's `X-Request-Id` when sane) and logs one line per
/// request. The line names the route pattern, not the path: paths and queries can carry
/// identifiers and names, which stay out of info-level logs.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let started = Instant::now();
    let mut res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(no route)".to_owned());
    let status = res.status().as_u16();
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
