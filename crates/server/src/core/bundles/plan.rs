//! Reading a batch/transaction Bundle into planned entries: what each asks for, with ids
//! assigned up front so references between entries can be rewritten before anything is
//! written.

use crate::core::error::FhirError;
use crate::core::patch::{FhirPathPatch, PatchDocument};
use serde_json::Value;

/// What an entry's `request` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// POST `Type` (new id assigned in `target`).
    Create,
    /// PUT `Type/id`.
    Update,
    /// PATCH `Type/id` with a JSON Patch (`Planned::patch`): turned into an `Update` of the
    /// current version before anything else is planned (`Fhir::resolve_patch`).
    Patch,
    /// DELETE `Type/id`.
    Delete,
    /// GET/HEAD `Type/id` or `Type/id/_history/vid`.
    Read {
        version: Option<String>,
    },
    /// GET `Type?params`: a search, answered with a searchset Bundle.
    Search {
        params: String,
    },
    /// Nothing to write: `ifNoneExist` matched `id` (200), or a conditional delete matched
    /// nothing (204).
    Existing,
    NothingToDelete,
}

#[derive(Debug, Clone)]
pub struct Planned {
    /// Position in the request Bundle.
    pub index: usize,
    pub full_url: Option<String>,
    pub action: Action,
    pub resource_type: String,
    /// The id the entry writes or reads.
    pub id: String,
    pub resource: Option<Value>,
    pub if_match: Option<i64>,
    pub if_none_match: Option<String>,
    /// `ifModifiedSince` of a read, in microseconds since the epoch.
    pub if_modified_since: Option<i64>,
    /// Search criteria still to resolve: `ifNoneExist` of a create, or the query of a
    /// conditional update or delete. `id` is known only once they are resolved.
    pub criteria: Option<String>,
    /// `ifNoneExist` as parsed: checked again inside the write transaction.
    pub if_none_exist: Option<custodian_search::query::SearchQuery>,
    /// A conditional update or delete as resolved: checked again inside the write
    /// transaction, so that concurrent Bundles cannot act on a stale answer.
    pub conditional: Option<Conditional>,
    /// The JSON Patch of a PATCH entry.
    pub patch: Option<PatchDocument>,
    /// `if_match` is the version a PATCH was applied to, not one the client sent: losing it
    /// to a concurrent write is a 409 to retry, not a 412.
    pub implied_if_match: bool,
    /// A HEAD entry: answered like GET, without the resource.
    pub head: bool,
}

/// What the criteria of a conditional update or delete matched when the Bundle was planned.
#[derive(Debug, Clone)]
pub struct Conditional {
    pub query: custodian_search::query::SearchQuery,
    /// The one resource they matched; `None` when they matched none.
    pub matched: Option<String>,
    /// No match, and the entry's resource carries its own id: update-as-create of that id.
    pub client_id: bool,
}

impl Planned {
    /// Processing order of http.html#transaction: DELETE, POST, PUT/PATCH, GET/HEAD.
    pub fn phase(&self) -> u8 {
        match self.action {
            Action::Delete => 0,
            Action::Create => 1,
            Action::Update | Action::Patch => 2,
            Action::Read { .. } | Action::Search { .. } => 3,
            Action::Existing | Action::NothingToDelete => 4,
        }
    }

    /// A search over several types (`GET ?_type=...`), which has no type of its own.
    pub fn is_system_search(&self) -> bool {
        matches!(self.action, Action::Search { .. }) && self.resource_type.is_empty()
    }

    /// `Type/id`, the local reference other entries use once ids are known.
    pub fn local_reference(&self) -> String {
        format!("{}/{}", self.resource_type, self.id)
    }
}

/// A failure that names the entry (index and fullUrl) it concerns.
pub fn entry_error(index: usize, full_url: Option<&str>, e: FhirError) -> FhirError {
    let at = match full_url {
        Some(u) => format!("entry {index} ({u})"),
        None => format!("entry {index}"),
    };
    match e {
        FhirError::Parse(mut p) => {
            p.message = format!("{at}: {}", p.message);
            p.expression = prefix_expression(index, &p.expression);
            FhirError::Parse(p)
        }
        FhirError::ParseAll {
            mut first,
            mut others,
        } => {
            first.message = format!("{at}: {}", first.message);
            first.expression = prefix_expression(index, &first.expression);
            for issue in &mut others {
                issue.diagnostics = format!("{at}: {}", issue.diagnostics);
                issue.expression = prefix_expression(index, &issue.expression);
            }
            FhirError::ParseAll { first, others }
        }
        FhirError::Invalid(mut report) => {
            for issue in &mut report.issues {
                issue.diagnostics = format!("{at}: {}", issue.diagnostics);
                issue.expression = prefix_expression(index, &issue.expression);
            }
            FhirError::Invalid(report)
        }
        FhirError::BadRequest {
            message,
            expression,
        } => FhirError::BadRequest {
            message: format!("{at}: {message}"),
            expression: Some(match expression {
                Some(x) => prefix_expression(index, &x),
                None => format!("Bundle.entry[{index}]"),
            }),
        },
        FhirError::NotSupported(m) => FhirError::NotSupported(format!("{at}: {m}")),
        FhirError::UnknownType(t) => FhirError::bad_request_at(
            format!("{at}: resource type '{t}' is not supported by this server"),
            format!("Bundle.entry[{index}]"),
        ),
        FhirError::NotFound { resource_type, id } => FhirError::NotFound {
            resource_type,
            id: format!("{id} (needed by {at})"),
        },
        FhirError::Gone { resource_type, id } => FhirError::Gone {
            resource_type,
            id: format!("{id} (needed by {at})"),
        },
        FhirError::VersionConflict(m) => FhirError::VersionConflict(format!("{at}: {m}")),
        FhirError::PreconditionFailed(m) => FhirError::PreconditionFailed(format!("{at}: {m}")),
        FhirError::Conflict(m) => FhirError::Conflict(format!("{at}: {m}")),
        FhirError::Unprocessable(m) => FhirError::Unprocessable(format!("{at}: {m}")),
        other => other,
    }
}

/// `Patient.name[0]` inside entry 3 is `Bundle.entry[3].resource.name[0]`.
fn prefix_expression(index: usize, expression: &str) -> String {
    let rest = expression.split_once('.').map(|(_, r)| r);
    match rest {
        Some(rest) if !expression.starts_with("Bundle.") => {
            format!("Bundle.entry[{index}].resource.{rest}")
        }
        _ if expression.is_empty() => format!("Bundle.entry[{index}]"),
        _ if expression.starts_with("Bundle.") => expression.to_owned(),
        _ => format!("Bundle.entry[{index}].resource"),
    }
}

/// Reads every entry's request; assigns ids to creates. Each entry's resource moves into
/// its `Planned` (no copy of the Bundle's largest part).
pub fn plan(mut bundle: Value, base_url: &str) -> Result<Vec<Planned>, FhirError> {
    let entries = bundle
        .get_mut("entry")
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut planned = Vec::with_capacity(entries.len());
    for (index, mut entry) in entries.into_iter().enumerate() {
        let full_url = entry
            .get("fullUrl")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let resource = entry.as_object_mut().and_then(|e| e.remove("resource"));
        let p = plan_entry(index, &entry, resource, full_url.clone(), base_url)
            .map_err(|e| entry_error(index, full_url.as_deref(), e))?;
        planned.push(p);
    }
    Ok(planned)
}

/// Plans one entry; `resource` is the entry's resource, taken out of it.
pub fn plan_entry(
    index: usize,
    entry: &Value,
    resource: Option<Value>,
    full_url: Option<String>,
    base_url: &str,
) -> Result<Planned, FhirError> {
    let request = entry.get("request").ok_or_else(|| {
        FhirError::bad_request_at(
            "every entry of a batch or transaction needs a request (bdl-3)",
            format!("Bundle.entry[{index}]"),
        )
    })?;
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let url = request
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let url = url
        .strip_prefix(base_url)
        .map(|u| u.trim_start_matches('/'))
        .unwrap_or(url);
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(FhirError::bad_request_at(
            format!("request.url '{url}' is not on this server"),
            format!("Bundle.entry[{index}].request.url"),
        ));
    }
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let header = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
    let if_match = match header("ifMatch") {
        Some(v) => Some(crate::http::negotiate::parse_etag(&v).ok_or_else(|| {
            FhirError::bad_request_at(
                format!("ifMatch '{v}' is not a version ETag such as W/\"3\""),
                format!("Bundle.entry[{index}].request.ifMatch"),
            )
        })?),
        None => None,
    };
    // ifNoneExist belongs to a create (Bundle.entry.request.ifNoneExist); on any other entry
    // it would turn the write towards whatever its criteria match.
    let mut criteria = match (header("ifNoneExist"), method.as_str(), query) {
        (Some(_), m, q) if m != "POST" || q.is_some() => {
            return Err(FhirError::bad_request_at(
                "ifNoneExist applies to creates (POST Type) only",
                format!("Bundle.entry[{index}].request.ifNoneExist"),
            ))
        }
        (c, _, _) => c,
    };
    let url_error = |m: &str| {
        FhirError::bad_request_at(
            format!("{method} {url}: {m}"),
            format!("Bundle.entry[{index}].request.url"),
        )
    };
    let (action, resource_type, id) = match (method.as_str(), segments.as_slice(), query) {
        ("POST", [t], None) => (Action::Create, *t, custodian_store::new_id()),
        ("PUT", [t, id], None) => (Action::Update, *t, (*id).to_owned()),
        ("DELETE", [t, id], None) => (Action::Delete, *t, (*id).to_owned()),
        ("GET" | "HEAD", [t, id], None) => (Action::Read { version: None }, *t, (*id).to_owned()),
        ("GET" | "HEAD", [t, id, "_history", v], None) => (
            Action::Read {
                version: Some((*v).to_owned()),
            },
            *t,
            (*id).to_owned(),
        ),
        ("PUT", [t], Some(q)) => {
            criteria = Some(q.to_owned());
            (Action::Update, *t, String::new())
        }
        ("DELETE", [t], Some(q)) => {
            criteria = Some(q.to_owned());
            (Action::Delete, *t, String::new())
        }
        ("GET" | "HEAD", [t], q) => (
            Action::Search {
                params: q.unwrap_or_default().to_owned(),
            },
            *t,
            String::new(),
        ),
        // A system search (`?_type=Patient,Encounter&...`): no type of its own.
        ("GET" | "HEAD", [], Some(q)) => (
            Action::Search {
                params: q.to_owned(),
            },
            "",
            String::new(),
        ),
        ("PATCH", [t, id], None) => (Action::Patch, *t, (*id).to_owned()),
        ("PATCH", _, _) => return Err(url_error("needs the url 'Type/id'")),
        ("POST", _, _) => return Err(url_error("a create needs the url 'Type'")),
        ("PUT" | "DELETE", _, _) => return Err(url_error("needs the url 'Type/id'")),
        ("GET" | "HEAD", _, _) => return Err(url_error("not a read of 'Type/id'")),
        _ => return Err(url_error("unknown request method")),
    };
    let if_modified_since = match header("ifModifiedSince") {
        Some(_) if !matches!(action, Action::Read { .. }) => {
            return Err(FhirError::bad_request_at(
                "ifModifiedSince applies to reads (GET Type/id) only",
                format!("Bundle.entry[{index}].request.ifModifiedSince"),
            ))
        }
        Some(v) => Some(
            crate::core::history::instant_micros(&v, "ifModifiedSince").map_err(|_| {
                FhirError::bad_request_at(
                    format!("ifModifiedSince '{v}' is not an instant (YYYY-MM-DDThh:mm:ssZ)"),
                    format!("Bundle.entry[{index}].request.ifModifiedSince"),
                )
            })?,
        ),
        None => None,
    };
    let patch = match action {
        Action::Patch => Some(patch_document(resource.as_ref(), index)?),
        _ => None,
    };
    if matches!(action, Action::Create | Action::Update) {
        let Some(r) = &resource else {
            return Err(FhirError::bad_request_at(
                format!("{method} needs a resource"),
                format!("Bundle.entry[{index}].resource"),
            ));
        };
        let body_type = r
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if body_type != resource_type {
            return Err(FhirError::bad_request_at(
                format!("the resource is a {body_type} but request.url is for {resource_type}"),
                format!("Bundle.entry[{index}].request.url"),
            ));
        }
        // As for `PUT Type/id` (http.html#update): the body's id must be the url's.
        if action == Action::Update && !id.is_empty() {
            match r.get("id").and_then(Value::as_str) {
                Some(body_id) if body_id == id => {}
                Some(body_id) => {
                    return Err(FhirError::bad_request_at(
                        format!("the resource's id '{body_id}' differs from request.url's '{id}'"),
                        format!("Bundle.entry[{index}].resource.id"),
                    ))
                }
                None => {
                    return Err(FhirError::bad_request_at(
                        format!("an update needs the resource's id ('{id}', as in request.url)"),
                        format!("Bundle.entry[{index}].resource.id"),
                    ))
                }
            }
        }
    }
    Ok(Planned {
        index,
        full_url,
        action,
        resource_type: resource_type.to_owned(),
        id,
        resource,
        if_match,
        if_none_match: header("ifNoneMatch"),
        if_modified_since,
        criteria,
        if_none_exist: None,
        conditional: None,
        patch,
        implied_if_match: false,
        head: method == "HEAD",
    })
}

/// The patch of a PATCH entry (http.html#transaction): a FHIRPath Patch (a `Parameters`
/// resource), or a JSON Patch in a Binary of `application/json-patch+json` whose `data` is
/// the patch document, base64.
fn patch_document(resource: Option<&Value>, index: usize) -> Result<PatchDocument, FhirError> {
    use base64::Engine;
    let at = |what: &str| format!("Bundle.entry[{index}].resource{what}");
    let bad = |message: &str, what: &str| FhirError::bad_request_at(message, at(what));
    let resource = resource.ok_or_else(|| {
        bad(
            "a PATCH entry needs a Parameters resource (FHIRPath Patch) or a Binary holding a \
             JSON Patch",
            "",
        )
    })?;
    match resource.get("resourceType").and_then(Value::as_str) {
        Some("Binary") => {}
        Some("Parameters") => {
            // Its errors name `Parameters.parameter[n]`: say where that is in the Bundle.
            return FhirPathPatch::from_parameters(resource)
                .map(PatchDocument::FhirPath)
                .map_err(|e| match e {
                    FhirError::BadRequest {
                        message,
                        expression: Some(x),
                    } => FhirError::bad_request_at(
                        message,
                        at(x.strip_prefix("Parameters").unwrap_or_default()),
                    ),
                    other => other,
                });
        }
        _ => {
            return Err(bad(
                "a PATCH entry's resource must be a Parameters resource (FHIRPath Patch) or a \
                 Binary holding a JSON Patch",
                "",
            ))
        }
    }
    let content_type = resource
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .map(str::trim)
        .unwrap_or_default();
    if !media_type.eq_ignore_ascii_case("application/json-patch+json") {
        return Err(bad(
            &format!(
                "the Binary's contentType is '{content_type}', not application/json-patch+json"
            ),
            ".contentType",
        ));
    }
    let data = resource
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("the Binary has no data", ".data"))?;
    // base64Binary may be wrapped over lines (white space is allowed in it).
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| bad(&format!("the Binary's data is not base64: {e}"), ".data"))?;
    serde_json::from_slice(&bytes)
        .map(PatchDocument::Json)
        .map_err(|e| {
            bad(
                &format!("the Binary's data is not a JSON Patch document: {e}"),
                ".data",
            )
        })
}

/// Two entries may not touch the same resource, nor share a fullUrl (bdl-7).
pub fn check_unique(planned: &[Planned]) -> Result<(), FhirError> {
    let mut targets = std::collections::HashMap::new();
    let mut full_urls = std::collections::HashMap::new();
    for p in planned {
        let writes = matches!(p.action, Action::Create | Action::Update | Action::Delete);
        if let Some(previous) = writes
            .then(|| targets.insert(p.local_reference(), p.index))
            .flatten()
        {
            return Err(FhirError::bad_request_at(
                format!(
                    "entries {previous} and {} both touch {}; a bundle may touch each resource once",
                    p.index,
                    p.local_reference()
                ),
                format!("Bundle.entry[{}]", p.index),
            ));
        }
        if let Some(u) = &p.full_url {
            if let Some(previous) = full_urls.insert(u.clone(), p.index) {
                return Err(FhirError::bad_request_at(
                    format!(
                        "entries {previous} and {} share the fullUrl {u} (bdl-7)",
                        p.index
                    ),
                    format!("Bundle.entry[{}].fullUrl", p.index),
                ));
            }
        }
    }
    Ok(())
}
