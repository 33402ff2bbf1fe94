//! The handlers: extract, call the core, answer. One per interaction.

use super::call::{blocking, read_body, Call};
use super::negotiate::{self, Output};
use super::response::{self, WriteOutcome};
use super::AppState;
use crate::core::conditional::Created;
use crate::core::subset::Subset;
use crate::core::{FhirError, HistoryRequest, WriteOptions, Written};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Payload};
use actix_web::{HttpRequest, HttpResponse};
use custodian_search::query::Handling;
use custodian_store::DeleteOutcome;

/// Unwraps `Call::new`, returning its error response.
macro_rules! call {
    ($req:expr, $state:expr) => {
        match Call::new(&$req, &$state) {
            Ok(c) => c,
            Err(response) => return *response,
        }
    };
}

pub async fn metadata(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let call = call!(req, state);
    let statement = state.fhir.capability_statement(&call.ctx.base_url);
    response::value(StatusCode::OK, &statement, call.output)
}

pub async fn read(req: HttpRequest, state: Data<AppState>, path: (String, String)) -> HttpResponse {
    let call = call!(req, state);
    let (resource_type, id) = path;
    let result = match state.fhir.read_here(&resource_type, &id) {
        Some(result) => result,
        None => {
            let fhir = state.fhir.clone();
            blocking(move || fhir.read(&resource_type, &id)).await
        }
    };
    match result {
        Ok(r) => {
            // If-None-Match decides when present; If-Modified-Since is then ignored
            // (RFC 9110 13.2.2), as in a Bundle's read entries.
            let not_modified = match negotiate::if_none_match(&req) {
                Some(tags) => negotiate::none_match_hits(&tags, r.version),
                None => negotiate::header_str(req.headers(), header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.parse::<header::HttpDate>().ok())
                    // HTTP dates have whole seconds; the stored time has microseconds.
                    .is_some_and(|since| {
                        response::http_date(r.last_updated.div_euclid(1_000_000) * 1_000_000)
                            <= since
                    }),
            };
            if not_modified {
                return response::not_modified(&call.ctx, &r);
            }
            respond_read(&call, r)
        }
        Err(e) => call.fail(&e),
    }
}

/// A read's answer, subsetted when `_summary`/`_elements` ask for it.
fn respond_read(call: &Call, mut r: custodian_store::StoredResource) -> HttpResponse {
    let body = std::mem::take(&mut r.body);
    match Subset::from_query(&r.resource_type, &call.query)
        .and_then(|s| s.apply(&r.resource_type, body))
    {
        Ok(body) => response::read(&call.ctx, &r, body, call.output),
        Err(e) => call.fail(&e),
    }
}

pub async fn vread(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String, String),
) -> HttpResponse {
    let call = call!(req, state);
    let (resource_type, id, version) = path;
    let result = match state.fhir.vread_here(&resource_type, &id, &version) {
        Some(result) => result,
        None => {
            let fhir = state.fhir.clone();
            blocking(move || fhir.vread(&resource_type, &id, &version)).await
        }
    };
    match result {
        Ok(r) => respond_read(&call, r),
        Err(e) => call.fail(&e),
    }
}

pub async fn create(
    req: HttpRequest,
    state: Data<AppState>,
    path: String,
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    if let Err(e) = negotiate::check_json_body(&req) {
        return call.fail(&e);
    }
    let criteria = req
        .headers()
        .get("if-none-exist")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let resource_type = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    let Some(criteria) = criteria else {
        return match blocking(move || fhir.create(&ctx, &resource_type, &body)).await {
            Ok(w) => written(&call, &w, true),
            Err(e) => call.fail(&e),
        };
    };
    match blocking(move || fhir.create_if_none_exist(&ctx, &resource_type, &body, &criteria)).await
    {
        Ok(Created::New(w)) => written(&call, &w, true),
        Ok(Created::Existing(r)) => response::written(
            &call.ctx,
            &r,
            WriteOutcome::Matched,
            &[],
            call.prefer,
            call.output,
        ),
        Err(e) => call.fail(&e),
    }
}

/// `GET [base]/[type]?...`
pub async fn search(req: HttpRequest, state: Data<AppState>, path: String) -> HttpResponse {
    let call = call!(req, state);
    let params = call.query.clone();
    run_search(call, state, Searched::Type(path), params).await
}

/// `GET [base]?_type=...` (a system search).
pub async fn search_system(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let call = call!(req, state);
    let params = call.query.clone();
    run_search(call, state, Searched::System, params).await
}

/// `POST [base]/_search` with a form body.
pub async fn search_system_post(
    req: HttpRequest,
    state: Data<AppState>,
    payload: Payload,
) -> HttpResponse {
    search_form(req, state, Searched::System, payload).await
}

/// `GET [base]/[compartment]/[id]/[type]?...`
pub async fn search_compartment(
    req: HttpRequest,
    state: Data<AppState>,
    (compartment, id, resource_type): (String, String, String),
) -> HttpResponse {
    let call = call!(req, state);
    let params = call.query.clone();
    let searched = Searched::Compartment(compartment, id, resource_type);
    run_search(call, state, searched, params).await
}

/// `POST [base]/[type]/_search` with a form body (and perhaps a query string too).
pub async fn search_post(
    req: HttpRequest,
    state: Data<AppState>,
    path: String,
    payload: Payload,
) -> HttpResponse {
    search_form(req, state, Searched::Type(path), payload).await
}

/// `POST [base]/[compartment]/[id]/[type]/_search`
pub async fn search_compartment_post(
    req: HttpRequest,
    state: Data<AppState>,
    (compartment, id, resource_type): (String, String, String),
    payload: Payload,
) -> HttpResponse {
    let searched = Searched::Compartment(compartment, id, resource_type);
    search_form(req, state, searched, payload).await
}

/// What a search runs over: a type, a type within one resource's compartment, or several
/// types (a system search).
enum Searched {
    Type(String),
    System,
    /// Compartment type, its resource's id, the searched type.
    Compartment(String, String, String),
}

/// A `_search` POST: parameters from the form body (and perhaps a query string too).
async fn search_form(
    req: HttpRequest,
    state: Data<AppState>,
    searched: Searched,
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    let form = negotiate::header_str(req.headers(), header::CONTENT_TYPE)
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return call.fail(&FhirError::UnsupportedMediaType(
            "POST _search needs Content-Type application/x-www-form-urlencoded".into(),
        ));
    }
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(FhirError::BadRequest { .. }) => Default::default(),
        Err(e) => return call.fail(&e),
    };
    let text = String::from_utf8_lossy(&body);
    let mut params = match actix_web::web::Query::<Vec<(String, String)>>::from_query(&text) {
        Ok(q) => q.into_inner(),
        Err(e) => return call.fail(&FhirError::bad_request(format!("malformed form body: {e}"))),
    };
    params.extend(call.query.iter().cloned());
    run_search(call, state, searched, params).await
}

async fn run_search(
    call: Call,
    state: Data<AppState>,
    searched: Searched,
    params: Vec<(String, String)>,
) -> HttpResponse {
    let handling = match call.prefer.handling {
        negotiate::Handling::Strict => Handling::Strict,
        negotiate::Handling::Lenient => Handling::Lenient,
    };
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    let run = move || match &searched {
        Searched::Type(t) => fhir.search(&ctx, t, &params, handling),
        Searched::System => fhir.search_system(&ctx, &params, handling),
        Searched::Compartment(c, id, t) => {
            fhir.search_compartment(&ctx, (c, id), t, &params, handling)
        }
    };
    match blocking(run).await {
        Ok(bundle) => response::json(StatusCode::OK, bundle, call.output),
        Err(e) => call.fail(&e),
    }
}

/// `PUT [base]/[type]?criteria`
pub async fn conditional_update(
    req: HttpRequest,
    state: Data<AppState>,
    path: String,
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    let options = match negotiate::check_json_body(&req).and_then(|_| negotiate::if_match(&req)) {
        Ok(if_match) => WriteOptions { if_match },
        Err(e) => return call.fail(&e),
    };
    let criteria = req.query_string().to_owned();
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let resource_type = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || {
        fhir.conditional_update(&ctx, &resource_type, &criteria, &body, &options)
    })
    .await
    {
        Ok(w) => written(&call, &w, w.created),
        Err(e) => call.fail(&e),
    }
}

/// `DELETE [base]/[type]?criteria`
pub async fn conditional_delete(
    req: HttpRequest,
    state: Data<AppState>,
    path: String,
) -> HttpResponse {
    let call = call!(req, state);
    let options = match negotiate::if_match(&req) {
        Ok(if_match) => WriteOptions { if_match },
        Err(e) => return call.fail(&e),
    };
    let criteria = req.query_string().to_owned();
    let resource_type = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || fhir.conditional_delete(&ctx, &resource_type, &criteria, &options)).await
    {
        Ok(outcome) => deleted(&call, outcome),
        Err(e) => call.fail(&e),
    }
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String),
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    let options = match negotiate::check_json_body(&req).and_then(|_| negotiate::if_match(&req)) {
        Ok(if_match) => WriteOptions { if_match },
        Err(e) => return call.fail(&e),
    };
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let (resource_type, id) = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || fhir.update(&ctx, &resource_type, &id, &body, &options)).await {
        Ok(w) => written(&call, &w, w.created),
        Err(e) => call.fail(&e),
    }
}

pub async fn patch(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String),
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    let (kind, options) =
        match negotiate::patch_kind(&req).and_then(|kind| Ok((kind, negotiate::if_match(&req)?))) {
            Ok((kind, if_match)) => (kind, WriteOptions { if_match }),
            Err(e) => return call.fail(&e),
        };
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let (resource_type, id) = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    let patch = move || fhir.patch(&ctx, &resource_type, &id, (kind, &body), &options);
    match blocking(patch).await {
        Ok(w) => written(&call, &w, false),
        Err(e) => call.fail(&e),
    }
}

pub async fn delete(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String),
) -> HttpResponse {
    let call = call!(req, state);
    let options = match negotiate::if_match(&req) {
        Ok(if_match) => WriteOptions { if_match },
        Err(e) => return call.fail(&e),
    };
    let (resource_type, id) = path;
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || fhir.delete(&ctx, &resource_type, &id, &options)).await {
        Ok(outcome) => deleted(&call, outcome),
        Err(e) => call.fail(&e),
    }
}

fn deleted(call: &Call, outcome: DeleteOutcome) -> HttpResponse {
    match outcome {
        DeleteOutcome::Deleted { version, .. } => {
            let mut builder = HttpResponse::Ok();
            builder.insert_header((header::ETAG, format!("W/\"{version}\"")));
            let oo = crate::core::error::information("deleted");
            builder
                .content_type(super::negotiate::FHIR_JSON)
                .body(response::body_text(oo.to_string(), call.output))
        }
        DeleteOutcome::AlreadyDeleted { .. } | DeleteOutcome::NotFound => {
            HttpResponse::NoContent().finish()
        }
    }
}

pub async fn history_instance(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String),
) -> HttpResponse {
    let (resource_type, id) = path;
    history(req, state, Some(resource_type), Some(id)).await
}

pub async fn history_type(req: HttpRequest, state: Data<AppState>, path: String) -> HttpResponse {
    history(req, state, Some(path), None).await
}

pub async fn history_system(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    history(req, state, None, None).await
}

async fn history(
    req: HttpRequest,
    state: Data<AppState>,
    resource_type: Option<String>,
    id: Option<String>,
) -> HttpResponse {
    let call = call!(req, state);
    let request = match HistoryRequest::from_query(&call.query) {
        Ok(r) => r,
        Err(e) => return call.fail(&e),
    };
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || fhir.history(&ctx, resource_type.as_deref(), id.as_deref(), &request))
        .await
    {
        Ok(bundle) => response::json(StatusCode::OK, bundle, call.output),
        Err(e) => call.fail(&e),
    }
}

/// Routes that exist but not for this method: 405 with `Allow` (RFC 9110).
pub async fn method_not_allowed(
    req: HttpRequest,
    state: Data<AppState>,
    allow: &'static str,
) -> HttpResponse {
    let call = call!(req, state);
    let mut response = call.fail(&FhirError::MethodNotAllowed(format!(
        "{} is not allowed on this path",
        req.method()
    )));
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

/// No such route: 404.
pub async fn not_found(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let call = call!(req, state);
    call.fail(&FhirError::NotFound {
        resource_type: "path".into(),
        id: req.path().to_owned(),
    })
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let fhir = state.fhir.clone();
    match blocking(move || fhir.ready()).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            response::value(
                StatusCode::SERVICE_UNAVAILABLE,
                &crate::core::error::outcome("transient", "the database is not reachable", None),
                Output::default(),
            )
        }
    }
}

pub async fn validate_type(
    req: HttpRequest,
    state: Data<AppState>,
    path: String,
    payload: Payload,
) -> HttpResponse {
    validate(req, state, path, None, payload).await
}

pub async fn validate_instance(
    req: HttpRequest,
    state: Data<AppState>,
    path: (String, String),
    payload: Payload,
) -> HttpResponse {
    let (resource_type, id) = path;
    validate(req, state, resource_type, Some(id), payload).await
}

async fn validate(
    req: HttpRequest,
    state: Data<AppState>,
    resource_type: String,
    id: Option<String>,
    payload: Payload,
) -> HttpResponse {
    let call = call!(req, state);
    if let Err(e) = negotiate::check_json_body(&req) {
        return call.fail(&e);
    }
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let fhir = state.fhir.clone();
    match blocking(move || fhir.validate_operation(&resource_type, id.as_deref(), &body)).await {
        Ok(outcome) => response::value(StatusCode::OK, &outcome, call.output),
        Err(e) => call.fail(&e),
    }
}

/// `POST [base]` with a batch or transaction Bundle.
pub async fn bundle(req: HttpRequest, state: Data<AppState>, payload: Payload) -> HttpResponse {
    use super::negotiate::Return;
    use crate::core::bundles::EntryReturn;
    let call = call!(req, state);
    if let Err(e) = negotiate::check_json_body(&req) {
        return call.fail(&e);
    }
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return call.fail(&e),
    };
    let entry_return = match call.prefer.return_ {
        Return::Minimal => EntryReturn::Minimal,
        Return::Representation => EntryReturn::Representation,
        Return::OperationOutcome => EntryReturn::OperationOutcome,
    };
    let (fhir, ctx) = (state.fhir.clone(), call.ctx.clone());
    match blocking(move || fhir.process_bundle(&ctx, &body, entry_return)).await {
        Ok(bundle) => response::json(StatusCode::OK, bundle, call.output),
        Err(e) => call.fail(&e),
    }
}

/// A stored write's answer (`Prefer: return=...`, with validation warnings if asked for).
fn written(call: &Call, w: &Written, created: bool) -> HttpResponse {
    let outcome = if created {
        WriteOutcome::Created
    } else {
        WriteOutcome::Updated
    };
    response::written(
        &call.ctx,
        &w.resource,
        outcome,
        &w.warnings,
        call.prefer,
        call.output,
    )
}
