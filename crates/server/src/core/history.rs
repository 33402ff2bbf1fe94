//! History: instance, type and system, newest first, as `history` Bundles with paging links.

use super::bundle::{BundleWriter, Entry, Response};
use super::error::FhirError;
use super::{Fhir, RequestContext};
use custodian_search::datetime::parse_date_range;
use custodian_store::{format_instant, HistoryQuery, HistoryScope};

/// The query of a history request.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    pub since: Option<String>,
    pub at: Option<String>,
    pub count: Option<String>,
    pub cursor: Option<String>,
}

impl HistoryRequest {
    /// Reads the parameters; anything else is an error (strict handling).
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, FhirError> {
        let mut request = HistoryRequest::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "_since" => &mut request.since,
                "_at" => &mut request.at,
                "_count" => &mut request.count,
                "_cursor" => &mut request.cursor,
                "_format" | "_pretty" => continue,
                other => {
                    return Err(FhirError::bad_request(format!(
                        "unknown history parameter '{other}' (supported: _since, _at, _count)"
                    )))
                }
            };
            if slot.replace(value.clone()).is_some() {
                return Err(FhirError::bad_request(format!("'{name}' given twice")));
            }
        }
        Ok(request)
    }
}

impl Fhir {
    /// `GET [base]/_history`, `[base]/[type]/_history`, `[base]/[type]/[id]/_history`.
    pub fn history(
        &self,
        ctx: &RequestContext,
        resource_type: Option<&str>,
        id: Option<&str>,
        request: &HistoryRequest,
    ) -> Result<String, FhirError> {
        if let Some(t) = resource_type {
            self.check_type(t)?;
        }
        let scope = match (resource_type, id) {
            (Some(resource_type), Some(id)) => HistoryScope::Instance { resource_type, id },
            (Some(t), None) => HistoryScope::Type(t),
            _ => HistoryScope::System,
        };
        let query = HistoryQuery {
            since: request
                .since
                .as_deref()
                .map(|s| instant_micros(s, "_since"))
                .transpose()?,
            at: request
                .at
                .as_deref()
                .map(|s| {
                    parse_date_range(s).map(|r| (r.low, r.high)).map_err(|_| {
                        FhirError::bad_request(format!("_at: '{s}' is not a FHIR date or dateTime"))
                    })
                })
                .transpose()?,
            count: request
                .count
                .as_deref()
                .map(|c| {
                    c.parse::<u32>().map_err(|_| {
                        FhirError::bad_request(format!(
                            "_count: '{c}' is not a non-negative integer"
                        ))
                    })
                })
                .transpose()?,
            cursor: request.cursor.clone(),
        };
        let page = self.store.history(scope, &query)?;

        let path = match (resource_type, id) {
            (Some(t), Some(id)) => format!("{}/{t}/{id}/_history", ctx.base_url),
            (Some(t), None) => format!("{}/{t}/_history", ctx.base_url),
            _ => format!("{}/_history", ctx.base_url),
        };
        let mut params = Vec::new();
        for (name, value) in [
            ("_since", &request.since),
            ("_at", &request.at),
            ("_count", &request.count),
        ] {
            if let Some(v) = value {
                params.push(format!("{name}={}", encode(v)));
            }
        }
        let self_url = with_query(&path, &params, request.cursor.as_deref());
        let next_url = page
            .next
            .as_deref()
            .map(|c| with_query(&path, &params, Some(c)));
        let first_url = with_query(&path, &params, None);
        let mut links = vec![("self", self_url.as_str()), ("first", first_url.as_str())];
        if let Some(next) = &next_url {
            links.push(("next", next.as_str()));
        }
        let mut bundle = BundleWriter::new("history", None, &links);
        for e in &page.entries {
            let full_url = format!("{}/{}/{}", ctx.base_url, e.resource_type, e.id);
            let request_url = if e.method() == "POST" {
                e.resource_type.clone()
            } else {
                format!("{}/{}", e.resource_type, e.id)
            };
            let etag = format!("W/\"{}\"", e.version);
            let last_modified = format_instant(e.last_updated);
            // A PUT that wrote version 1 created the resource (update-as-create).
            let status = match e.method() {
                "POST" => "201 Created",
                "PUT" if e.version == 1 => "201 Created",
                "DELETE" => "204 No Content",
                _ => "200 OK",
            };
            bundle.entry(&Entry {
                full_url: Some(&full_url),
                resource: e.body.as_deref(),
                request: Some((e.method(), &request_url)),
                response: Some(Response {
                    status,
                    etag: Some(&etag),
                    last_modified: Some(&last_modified),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        Ok(bundle.finish())
    }
}

fn with_query(path: &str, params: &[String], cursor: Option<&str>) -> String {
    let mut all: Vec<String> = params.to_vec();
    if let Some(c) = cursor {
        all.push(format!("_cursor={}", encode(c)));
    }
    if all.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", all.join("&"))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `_since` is an instant: a full date-time with zone.
pub(crate) fn instant_micros(text: &str, name: &str) -> Result<i64, FhirError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_micros())
        .map_err(|_| {
            FhirError::bad_request(format!(
                "{name}: '{text}' is not an instant (YYYY-MM-DDThh:mm:ss with a time zone)"
            ))
        })
}
