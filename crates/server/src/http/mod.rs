//! The HTTP face of the core: routes, the per-request log line, and thin handlers.

mod call;
mod handlers;
pub mod negotiate;
mod response;

use crate::core::Fhir;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{Data, Payload};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
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
    cfg.route("/healthz", web::get().to(handlers::healthz))
        .route("/readyz", web::get().to(handlers::readyz))
        // Everything under the base path goes to `dispatch` as the scope's default service: no
        // per-request pattern (a `{tail:.*}` pattern cost a regex match per request).
        .service(web::scope(base_path).default_service(web::to(dispatch)))
        .default_service(web::route().to(handlers::not_found));
}

/// The interaction a request asks for, by its path's shape and method (http.html). One match
/// instead of a pattern per route.
async fn dispatch(req: HttpRequest, state: Data<AppState>, payload: Payload) -> HttpResponse {
    use handlers::*;
    // The path after the base path, percent-decoded like any matched segment.
    let tail = req.match_info().unprocessed().to_owned();
    let segments: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
    let owned = |i: usize| segments.get(i).map(|s| (*s).to_owned()).unwrap_or_default();
    let method = req.method().clone();
    let get = method == Method::GET || method == Method::HEAD;
    let (route, allow): (&'static str, &'static str) = match segments.as_slice() {
        [] => ("[base]", "GET, HEAD, POST"),
        ["metadata"] => ("metadata", "GET, HEAD"),
        ["_history"] => ("[base]/_history", "GET, HEAD"),
        ["_search"] => ("[base]/_search", "POST"),
        [_] => ("[type]", "GET, HEAD, POST, PUT, DELETE"),
        [_, "_search"] => ("[type]/_search", "POST"),
        [_, "_history"] => ("[type]/_history", "GET, HEAD"),
        [_, "$validate"] => ("[type]/$validate", "POST"),
        [_, _] => ("[type]/[id]", "GET, HEAD, PUT, PATCH, DELETE"),
        [_, _, "_history"] => ("[type]/[id]/_history", "GET, HEAD"),
        [_, _, "$validate"] => ("[type]/[id]/$validate", "POST"),
        [_, _, "_history", _] => ("[type]/[id]/_history/[vid]", "GET, HEAD"),
        // A type name, never an operation (`$everything`) or a reserved `_` segment.
        [_, _, t] if !t.starts_with(['$', '_']) => ("[compartment]/[id]/[type]", "GET, HEAD"),
        [_, _, t, "_search"] if !t.starts_with(['$', '_']) => {
            ("[compartment]/[id]/[type]/_search", "POST")
        }
        _ => return not_found(req, state).await,
    };
    req.extensions_mut().insert(Route(route));
    match (route, method.as_str()) {
        ("[base]", "POST") => bundle(req, state, payload).await,
        ("[base]", _) if get => search_system(req, state).await,
        ("[base]/_search", "POST") => search_system_post(req, state, payload).await,
        ("metadata", _) if get => metadata(req, state).await,
        ("[base]/_history", _) if get => history_system(req, state).await,
        ("[type]", _) if get => search(req, state, owned(0)).await,
        ("[type]", "POST") => create(req, state, owned(0), payload).await,
        ("[type]", "PUT") => conditional_update(req, state, owned(0), payload).await,
        ("[type]", "DELETE") => conditional_delete(req, state, owned(0)).await,
        ("[type]/_search", "POST") => search_post(req, state, owned(0), payload).await,
        ("[type]/_history", _) if get => history_type(req, state, owned(0)).await,
        ("[type]/$validate", "POST") => validate_type(req, state, owned(0), payload).await,
        ("[type]/[id]", _) if get => read(req, state, (owned(0), owned(1))).await,
        ("[type]/[id]", "PUT") => update(req, state, (owned(0), owned(1)), payload).await,
        ("[type]/[id]", "PATCH") => patch(req, state, (owned(0), owned(1)), payload).await,
        ("[type]/[id]", "DELETE") => delete(req, state, (owned(0), owned(1))).await,
        ("[type]/[id]/_history", _) if get => {
            history_instance(req, state, (owned(0), owned(1))).await
        }
        ("[type]/[id]/$validate", "POST") => {
            validate_instance(req, state, (owned(0), owned(1)), payload).await
        }
        ("[type]/[id]/_history/[vid]", _) if get => {
            vread(req, state, (owned(0), owned(1), owned(3))).await
        }
        ("[compartment]/[id]/[type]", _) if get => {
            search_compartment(req, state, (owned(0), owned(1), owned(2))).await
        }
        ("[compartment]/[id]/[type]/_search", "POST") => {
            search_compartment_post(req, state, (owned(0), owned(1), owned(2)), payload).await
        }
        _ => method_not_allowed(req, state, allow).await,
    }
}

/// The FHIR interaction a request was routed to, for the log line.
#[derive(Debug, Clone, Copy)]
struct Route(&'static str);

/// A request id unique to this process run: a random prefix drawn once, and a counter. A
/// random UUID per request would cost a getrandom system call each time.
fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
    format!("{prefix}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
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
        .unwrap_or_else(next_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let started = Instant::now();
    let mut res = next.call(req).await?;
    let route = res
        .request()
        .extensions()
        .get::<Route>()
        .map_or("(none)", |r| r.0);
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
