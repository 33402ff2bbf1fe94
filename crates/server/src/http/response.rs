//! FHIR responses: resources with their version headers, Bundles, and OperationOutcomes.

use super::negotiate::{Output, Prefer, Return, FHIR_JSON};
use crate::core::error::information;
use crate::core::{FhirError, RequestContext};
use actix_web::http::header::{self, HttpDate};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use custodian_store::StoredResource;
use custodian_validation::Issue;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// JSON text as the client asked for it: as stored, or indented for `_pretty=true`.
pub fn body_text(text: String, output: Output) -> String {
    if !output.pretty {
        return text;
    }
    match serde_json::from_str::<Value>(&text).and_then(|v| serde_json::to_string_pretty(&v)) {
        Ok(pretty) => pretty,
        Err(_) => text,
    }
}

pub fn json(status: StatusCode, text: String, output: Output) -> HttpResponse {
    HttpResponseBuilder::new(status)
        .content_type(FHIR_JSON)
        .body(body_text(text, output))
}

pub fn value(status: StatusCode, v: &Value, output: Output) -> HttpResponse {
    json(status, v.to_string(), output)
}

/// The `Last-Modified` value of a version.
pub fn http_date(micros: i64) -> HttpDate {
    let since_epoch = Duration::from_micros(u64::try_from(micros).unwrap_or(0));
    HttpDate::from(SystemTime::UNIX_EPOCH + since_epoch)
}

/// ETag, Last-Modified and Content-Location of a stored version.
fn version_headers(builder: &mut HttpResponseBuilder, ctx: &RequestContext, r: &StoredResource) {
    builder.insert_header((header::ETAG, format!("W/\"{}\"", r.version)));
    builder.insert_header((header::LAST_MODIFIED, http_date(r.last_updated)));
    builder.insert_header((header::CONTENT_LOCATION, version_url(ctx, r)));
}

fn version_url(ctx: &RequestContext, r: &StoredResource) -> String {
    format!(
        "{}/{}/{}/_history/{}",
        ctx.base_url, r.resource_type, r.id, r.version
    )
}

/// A read or vread; `body` is the stored body or a `_summary`/`_elements` subset of it.
pub fn read(
    ctx: &RequestContext,
    r: &StoredResource,
    body: String,
    output: Output,
) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    version_headers(&mut builder, ctx, r);
    builder
        .content_type(FHIR_JSON)
        .body(body_text(body, output))
}

/// 304 for a conditional read that matched.
pub fn not_modified(ctx: &RequestContext, r: &StoredResource) -> HttpResponse {
    let mut builder = HttpResponse::NotModified();
    version_headers(&mut builder, ctx, r);
    builder.finish()
}

/// What a write did, for its status and its `Prefer: return=OperationOutcome` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    /// A conditional create whose criteria matched: nothing was written.
    Matched,
}

/// A create or update: 201 with Location, or 200; the body as `Prefer: return` asks.
pub fn written(
    ctx: &RequestContext,
    r: &StoredResource,
    outcome: WriteOutcome,
    warnings: &[Issue],
    prefer: Prefer,
    output: Output,
) -> HttpResponse {
    let created = outcome == WriteOutcome::Created;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    version_headers(&mut builder, ctx, r);
    if created {
        builder.insert_header((header::LOCATION, version_url(ctx, r)));
    }
    match prefer.return_ {
        Return::Minimal => builder.finish(),
        Return::Representation => builder
            .content_type(FHIR_JSON)
            .body(body_text(r.body.clone(), output)),
        Return::OperationOutcome => {
            let (t, id, v) = (&r.resource_type, &r.id, r.version);
            let mut oo = information(&match outcome {
                WriteOutcome::Created => format!("{t}/{id} created as version {v}"),
                WriteOutcome::Updated => format!("{t}/{id} updated as version {v}"),
                WriteOutcome::Matched => format!(
                    "{t}/{id} (version {v}) matches the If-None-Exist criteria; nothing was written"
                ),
            });
            if let Some(issues) = oo.get_mut("issue").and_then(Value::as_array_mut) {
                issues.extend(warnings.iter().map(Issue::to_json));
            }
            builder
                .content_type(FHIR_JSON)
                .body(body_text(oo.to_string(), output))
        }
    }
}

/// An error as an OperationOutcome; server errors are logged with the request id.
pub fn error(ctx: &RequestContext, e: &FhirError, output: Output) -> HttpResponse {
    if e.status() == 503 {
        tracing::warn!(request_id = %ctx.request_id, error = %e, "database unavailable");
    } else if e.is_server_error() {
        tracing::error!(request_id = %ctx.request_id, error = %e, "request failed");
    } else {
        tracing::debug!(request_id = %ctx.request_id, error = %e, "request refused");
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    value(status, &e.to_operation_outcome(), output)
}
