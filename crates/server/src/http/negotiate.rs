//! Media types, `_format`, `_pretty`, `Prefer` and the conditional request headers.

use crate::core::{FhirError, PatchKind};
use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// How the client wants the answer written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    pub pretty: bool,
}

/// `Prefer: return=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Return {
    Minimal,
    #[default]
    Representation,
    OperationOutcome,
}

/// `Prefer: handling=...` (strict is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handling {
    #[default]
    Strict,
    Lenient,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Prefer {
    pub return_: Return,
    pub handling: Handling,
}

/// Checks `_format` and `Accept`: JSON is served; XML is refused with 406 until supported.
pub fn output(req: &HttpRequest, query: &[(String, String)]) -> Result<Output, FhirError> {
    let mut out = Output::default();
    for (name, value) in query {
        match name.as_str() {
            "_format" => check_format(value)?,
            "_pretty" => out.pretty = value == "true",
            _ => {}
        }
    }
    if !query.iter().any(|(n, _)| n == "_format") {
        if let Some(accept) = header_str(req.headers(), header::ACCEPT) {
            check_accept(accept)?;
        }
    }
    Ok(out)
}

fn check_format(value: &str) -> Result<(), FhirError> {
    let v = value.trim().to_ascii_lowercase();
    let base = v.split(';').next().unwrap_or_default().trim();
    match base {
        "json" | "application/json" | "application/fhir+json" => Ok(()),
        "xml" | "text/xml" | "application/xml" | "application/fhir+xml" => Err(
            FhirError::NotAcceptable("XML is not supported yet; ask for _format=json".into()),
        ),
        other => Err(FhirError::NotAcceptable(format!(
            "_format '{other}' is not supported; use json"
        ))),
    }
}

/// JSON (any flavour) or a wildcard anywhere in `Accept` is fine; XML-only is 406.
fn check_accept(accept: &str) -> Result<(), FhirError> {
    let acceptable = accept.split(',').any(|part| {
        let media = part
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        media.is_empty() || media == "*/*" || media == "application/*" || media.ends_with("json")
    });
    if acceptable {
        Ok(())
    } else {
        Err(FhirError::NotAcceptable(format!(
            "cannot answer in {accept}; this server writes application/fhir+json"
        )))
    }
}

/// The request body's media type must be FHIR JSON or JSON (415 otherwise). A body without a
/// Content-Type is read as JSON.
pub fn check_json_body(req: &HttpRequest) -> Result<(), FhirError> {
    let Some(ct) = header_str(req.headers(), header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/fhir+json" | "application/json" | "" => Ok(()),
        m if m.ends_with("xml") => Err(FhirError::UnsupportedMediaType(
            "XML bodies are not supported yet; send application/fhir+json".into(),
        )),
        m => Err(FhirError::UnsupportedMediaType(format!(
            "Content-Type '{m}' is not supported; send application/fhir+json"
        ))),
    }
}

/// The media type of a PATCH body: a JSON Patch, or a FHIRPath Patch (`Parameters`).
pub fn patch_kind(req: &HttpRequest) -> Result<PatchKind, FhirError> {
    let media = header_str(req.headers(), header::CONTENT_TYPE)
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match media.as_str() {
        "application/json-patch+json" => Ok(PatchKind::Json),
        "application/fhir+json" | "application/json" => Ok(PatchKind::FhirPath),
        m => Err(FhirError::UnsupportedMediaType(format!(
            "PATCH needs Content-Type application/json-patch+json (JSON Patch) or \
             application/fhir+json (FHIRPath Patch), not '{m}'"
        ))),
    }
}

pub fn prefer(req: &HttpRequest) -> Prefer {
    let mut p = Prefer::default();
    for value in req.headers().get_all("prefer") {
        let Ok(value) = value.to_str() else { continue };
        for token in value.split([',', ';']) {
            let token = token.trim().to_ascii_lowercase();
            match token.replace(' ', "").as_str() {
                "return=minimal" => p.return_ = Return::Minimal,
                "return=representation" => p.return_ = Return::Representation,
                "return=operationoutcome" => p.return_ = Return::OperationOutcome,
                "handling=lenient" => p.handling = Handling::Lenient,
                "handling=strict" => p.handling = Handling::Strict,
                _ => {}
            }
        }
    }
    p
}

/// `If-Match: W/"3"` → 3. A malformed value is a 400: guessing would risk a lost update.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, FhirError> {
    match header_str(req.headers(), header::IF_MATCH) {
        None => Ok(None),
        Some(v) => parse_etag(v).map(Some).ok_or_else(|| {
            FhirError::bad_request(format!(
                "If-Match '{v}' is not a version ETag such as W/\"3\""
            ))
        }),
    }
}

/// `If-None-Match` on a read: the versions the client has (`*` matches any).
pub fn if_none_match(req: &HttpRequest) -> Option<String> {
    header_str(req.headers(), header::IF_NONE_MATCH).map(str::to_owned)
}

/// Whether an `If-None-Match` value names `version`.
pub fn none_match_hits(value: &str, version: i64) -> bool {
    value
        .split(',')
        .any(|tag| tag.trim() == "*" || parse_etag(tag) == Some(version))
}

/// `W/"3"`, `"3"` or `3`.
pub fn parse_etag(value: &str) -> Option<i64> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v.trim_matches('"');
    v.parse().ok().filter(|n| *n > 0)
}

pub fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        assert_eq!(parse_etag("W/\"3\""), Some(3));
        assert_eq!(parse_etag("\"12\""), Some(12));
        assert_eq!(parse_etag("W/\"x\""), None);
        assert!(none_match_hits("W/\"1\", W/\"2\"", 2));
        assert!(none_match_hits("*", 9));
    }

    #[test]
    fn accept_and_format() {
        assert!(check_accept("application/fhir+json").is_ok());
        assert!(check_accept("text/html, */*;q=0.1").is_ok());
        assert!(check_accept("application/fhir+xml").is_err());
        assert!(check_format("xml").is_err());
        assert!(check_format("application/fhir+json").is_ok());
    }
}
