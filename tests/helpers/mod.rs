//! Helpers shared by the search, conditional, bundle, `$validate` and import suites: query
//! encoding, searches that follow every `next` link, and Bundle builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{link, Server};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// Percent-encodes a query value (everything but unreserved characters).
pub fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Type?a=1&b=2` with each value percent-encoded.
pub fn query(resource_type: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(n, v)| format!("{}={}", n, enc(v)))
        .collect();
    format!("{resource_type}?{}", q.join("&"))
}

/// A searchset Bundle (asserting 200 and its shape).
pub fn search(s: &Server, path: &str) -> Value {
    let r = s.get(path);
    r.assert_status(200).assert_fhir_json();
    let bundle = r.json();
    assert_eq!(bundle["resourceType"], "Bundle", "{path}: {}", r.body);
    assert_eq!(bundle["type"], "searchset", "{path}");
    bundle
}

/// Entries of `bundle` whose `search.mode` is `mode`.
pub fn entries_in_mode(bundle: &Value, mode: &str) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"] == mode)
        .cloned()
        .collect()
}

/// Every matching resource of a search, following `next` links; panics on a page loop.
pub fn search_all(s: &Server, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut url = path.to_owned();
    for _ in 0..1000 {
        let bundle = search(s, &url);
        for e in entries_in_mode(&bundle, "match") {
            out.push(e["resource"].clone());
        }
        match link(&bundle, "next") {
            Some(next) => url = next,
            None => return out,
        }
    }
    panic!("{path}: paging did not end after 1,000 pages");
}

/// Pages `path` forward by `next` links, then back from the last page by `previous` links:
/// each page read backwards must equal the forward page, the first page has no `previous`
/// link and every later one has. Returns the forward pages' match ids.
pub fn assert_previous_links_mirror_next(s: &Server, path: &str) -> Vec<Vec<String>> {
    let ids = |bundle: &Value| -> Vec<String> {
        entries_in_mode(bundle, "match")
            .iter()
            .map(|e| e["resource"]["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let mut pages = Vec::new();
    let mut bundle = search(s, path);
    loop {
        assert_eq!(
            link(&bundle, "previous").is_none(),
            pages.is_empty(),
            "{path}: previous link on page {}: {bundle}",
            pages.len()
        );
        pages.push(ids(&bundle));
        match link(&bundle, "next") {
            Some(next) => bundle = search(s, &next),
            None => break,
        }
        assert!(pages.len() < 1000, "{path}: paging did not end");
    }
    for k in (0..pages.len().saturating_sub(1)).rev() {
        let previous = link(&bundle, "previous")
            .unwrap_or_else(|| panic!("{path}: no previous link to page {k}: {bundle}"));
        bundle = search(s, &previous);
        assert_eq!(
            ids(&bundle),
            pages[k],
            "{path}: page {k} by its previous link"
        );
    }
    assert!(link(&bundle, "previous").is_none(), "{path}: {bundle}");
    pages
}

/// The ids of the matches of a search (all pages).
pub fn search_ids(s: &Server, path: &str) -> Vec<String> {
    search_all(s, path)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `_summary=count` of a search.
pub fn count(s: &Server, path: &str) -> u64 {
    let sep = if path.contains('?') { '&' } else { '?' };
    let bundle = search(s, &format!("{path}{sep}_summary=count"));
    bundle["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("{path}: no total in {bundle}"))
}

/// Named resources with known ids, to compare search results by name.
#[derive(Default)]
pub struct Population {
    pub ids: HashMap<String, String>,
}

impl Population {
    pub fn add(&mut self, key: &str, stored: &Value) {
        self.ids
            .insert(key.to_owned(), stored["id"].as_str().unwrap().to_owned());
    }

    pub fn id(&self, key: &str) -> &str {
        self.ids
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in the population"))
    }

    /// The keys of `ids` (unknown ids are kept as `?id`).
    pub fn keys(&self, ids: &[String]) -> BTreeSet<String> {
        ids.iter()
            .map(|id| {
                self.ids
                    .iter()
                    .find(|(_, v)| *v == id)
                    .map(|(k, _)| k.clone())
                    .unwrap_or_else(|| format!("?{id}"))
            })
            .collect()
    }

    /// Asserts that the search matches exactly `expected` (by key), each once.
    pub fn expect(&self, s: &Server, path: &str, expected: &[&str]) {
        let ids = search_ids(s, path);
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{path}: repeated matches {ids:?}");
        let got = self.keys(&ids);
        let want: BTreeSet<String> = expected.iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(got, want, "{path}");
    }

    /// Asserts that the matches include every `yes` and none of `no`.
    pub fn expect_some(&self, s: &Server, path: &str, yes: &[&str], no: &[&str]) {
        let got = self.keys(&search_ids(s, path));
        for k in yes {
            assert!(got.contains(*k), "{path}: {k} missing from {got:?}");
        }
        for k in no {
            assert!(!got.contains(*k), "{path}: {k} should not match ({got:?})");
        }
    }
}

/// A Bundle of `kind` with `entries`.
pub fn bundle(kind: &str, entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": kind, "entry": entries})
}

/// A `POST Type` entry.
pub fn post_entry(full_url: &str, resource: Value) -> Value {
    let t = resource["resourceType"].as_str().unwrap().to_owned();
    json!({"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": t}})
}

/// A `PUT url` entry.
pub fn put_entry(url: &str, resource: Value) -> Value {
    json!({"resource": resource, "request": {"method": "PUT", "url": url}})
}

/// A request-only entry (`DELETE`, `GET`).
pub fn request_entry(method: &str, url: &str) -> Value {
    json!({"request": {"method": method, "url": url}})
}

/// `Type/id` of a response entry's `location` (`Type/id/_history/n`, maybe absolute).
pub fn location_ref(entry: &Value) -> String {
    let location = entry["response"]["location"]
        .as_str()
        .unwrap_or_else(|| panic!("no response.location in {entry}"));
    let parts: Vec<&str> = location.split('/').collect();
    let i = parts
        .iter()
        .position(|p| *p == "_history")
        .unwrap_or_else(|| panic!("location {location} has no _history"));
    format!("{}/{}", parts[i - 2], parts[i - 1])
}

/// The concatenated diagnostics of an OperationOutcome.
pub fn diagnostics(outcome: &Value) -> String {
    outcome["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["diagnostics"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}
