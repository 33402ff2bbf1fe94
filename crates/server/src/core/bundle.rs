//! Writes Bundles as JSON text around stored resource bodies, which go in byte for byte:
//! a searchset or history page never parses and re-serializes what it returns.

use serde_json::Value;
use std::fmt::Write as _;

/// One `Bundle.entry` to write.
#[derive(Debug, Default)]
pub struct Entry<'a> {
    pub full_url: Option<&'a str>,
    /// Raw resource JSON (a stored body) or `None`.
    pub resource: Option<&'a str>,
    /// `search.mode`: match, include or outcome.
    pub search_mode: Option<&'a str>,
    /// `request.method` and `request.url` (history).
    pub request: Option<(&'a str, &'a str)>,
    /// `response`: status, location, etag, lastModified (history, batch/transaction).
    pub response: Option<Response<'a>>,
    /// `response.outcome`: an OperationOutcome.
    pub outcome: Option<&'a Value>,
}

#[derive(Debug, Default)]
pub struct Response<'a> {
    pub status: &'a str,
    pub location: Option<&'a str>,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

/// Builds the text of a Bundle, elements in the specification's order.
pub struct BundleWriter {
    out: String,
    entries: usize,
}

impl BundleWriter {
    /// Starts a Bundle of `kind` (searchset, history, batch-response, transaction-response).
    pub fn new(kind: &str, total: Option<u64>, links: &[(&str, &str)]) -> Self {
        let mut out = String::with_capacity(4096);
        out.push_str("{\"resourceType\":\"Bundle\",\"id\":");
        push_str(&mut out, &uuid::Uuid::new_v4().to_string());
        out.push_str(",\"meta\":{\"lastUpdated\":");
        push_str(&mut out, &now_instant());
        out.push_str("},\"type\":");
        push_str(&mut out, kind);
        if let Some(total) = total {
            let _ = write!(out, ",\"total\":{total}");
        }
        if !links.is_empty() {
            out.push_str(",\"link\":[");
            for (i, (relation, url)) in links.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"relation\":");
                push_str(&mut out, relation);
                out.push_str(",\"url\":");
                push_str(&mut out, url);
                out.push('}');
            }
            out.push(']');
        }
        BundleWriter { out, entries: 0 }
    }

    pub fn entry(&mut self, entry: &Entry<'_>) {
        self.out.push_str(if self.entries == 0 {
            ",\"entry\":[{"
        } else {
            ",{"
        });
        self.entries += 1;
        let mut first = true;
        let mut key = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
        };
        if let Some(url) = entry.full_url {
            key(&mut self.out, "fullUrl");
            push_str(&mut self.out, url);
        }
        if let Some(resource) = entry.resource {
            key(&mut self.out, "resource");
            self.out.push_str(resource);
        }
        if let Some(mode) = entry.search_mode {
            key(&mut self.out, "search");
            self.out.push_str("{\"mode\":");
            push_str(&mut self.out, mode);
            self.out.push('}');
        }
        if let Some((method, url)) = entry.request {
            key(&mut self.out, "request");
            self.out.push_str("{\"method\":");
            push_str(&mut self.out, method);
            self.out.push_str(",\"url\":");
            push_str(&mut self.out, url);
            self.out.push('}');
        }
        if let Some(response) = &entry.response {
            key(&mut self.out, "response");
            self.out.push_str("{\"status\":");
            push_str(&mut self.out, response.status);
            for (name, value) in [
                ("location", response.location),
                ("etag", response.etag),
                ("lastModified", response.last_modified),
            ] {
                if let Some(value) = value {
                    let _ = write!(self.out, ",\"{name}\":");
                    push_str(&mut self.out, value);
                }
            }
            if let Some(outcome) = entry.outcome {
                self.out.push_str(",\"outcome\":");
                self.out.push_str(&outcome.to_string());
            }
            self.out.push('}');
        }
        self.out.push('}');
    }

    pub fn finish(mut self) -> String {
        if self.entries > 0 {
            self.out.push(']');
        }
        self.out.push('}');
        self.out
    }
}

/// A JSON string literal, escaped.
fn push_str(out: &mut String, s: &str) {
    out.push_str(&Value::from(s).to_string());
}

/// Now as a FHIR instant (UTC, milliseconds).
pub fn now_instant() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_bundle_the_model_accepts() {
        let mut w = BundleWriter::new(
            "history",
            Some(2),
            &[("self", "http://x/fhir/Patient/_history")],
        );
        w.entry(&Entry {
            full_url: Some("http://x/fhir/Patient/a"),
            resource: Some(r#"{"resourceType":"Patient","id":"a"}"#),
            request: Some(("PUT", "Patient/a")),
            response: Some(Response {
                status: "200 OK",
                etag: Some("W/\"2\""),
                ..Default::default()
            }),
            ..Default::default()
        });
        w.entry(&Entry {
            full_url: Some("http://x/fhir/Patient/a"),
            request: Some(("DELETE", "Patient/a")),
            response: Some(Response {
                status: "204 No Content",
                ..Default::default()
            }),
            ..Default::default()
        });
        let text = w.finish();
        let bundle: custodian_model::Bundle =
            custodian_model::json::from_str(&text).expect("valid Bundle");
        assert_eq!(bundle.entry.len(), 2);
    }
}
