//! What every handler needs from a request: who asks, the public base URL, the query, how to
//! answer; and running the core off the async workers (diesel is synchronous).

use super::negotiate::{self, Output, Prefer};
use super::response;
use super::AppState;
use crate::core::{FhirError, RequestContext};
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;

/// The request id the logging middleware assigned.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub struct Call {
    pub ctx: RequestContext,
    pub query: Vec<(String, String)>,
    pub output: Output,
    pub prefer: Prefer,
}

impl Call {
    /// Reads the common parts; `Err` is the finished error response.
    pub fn new(req: &HttpRequest, state: &AppState) -> Result<Call, Box<HttpResponse>> {
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let base_url = match &state.base_url {
            Some(b) => b.clone(),
            None => {
                let info = req.connection_info();
                format!("{}://{}{}", info.scheme(), info.host(), state.base_path)
            }
        };
        let ctx = RequestContext {
            request_id,
            client: req.peer_addr().map(|a| a.ip().to_string()),
            base_url,
        };
        let query = match web::Query::<Vec<(String, String)>>::from_query(req.query_string()) {
            Ok(q) => q.into_inner(),
            Err(e) => {
                let err = FhirError::bad_request(format!("malformed query string: {e}"));
                return Err(Box::new(response::error(&ctx, &err, Output::default())));
            }
        };
        let output = match negotiate::output(req, &query) {
            Ok(o) => o,
            Err(e) => return Err(Box::new(response::error(&ctx, &e, Output::default()))),
        };
        Ok(Call {
            ctx,
            query,
            output,
            prefer: negotiate::prefer(req),
        })
    }

    pub fn fail(&self, e: &FhirError) -> HttpResponse {
        response::error(&self.ctx, e, self.output)
    }
}

/// Runs blocking core work on actix's blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, FhirError>
where
    F: FnOnce() -> Result<T, FhirError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f)
        .await
        .map_err(|e| FhirError::Internal(format!("worker failed: {e}")))?
}

/// Reads the body up to `limit` bytes (413 beyond).
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Bytes, FhirError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| FhirError::bad_request(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(FhirError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(FhirError::bad_request("the request has no body"));
    }
    Ok(body.freeze())
}
