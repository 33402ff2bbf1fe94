//! Replacing the `fullUrl` identities of a Bundle (`urn:uuid:`, `urn:oid:`, absolute URLs) with
//! the `Type/id` the server assigned, everywhere they are referenced (http.html#trules): in
//! `reference` elements at any depth (extensions and contained resources included), with a
//! version suffix kept (`.../Patient/1/_history/2` -> `Patient/abc/_history/2`), relative
//! references resolved against the entry's own RESTful `fullUrl` (bundle.html#references), in
//! uri-typed values (`valueUri`, `valueUrl`, `valueOid`, `valueUuid`, `valueCanonical`,
//! `meta.source`) and in narrative links (`href`, `src`).

use serde_json::Value;
use std::collections::HashMap;

/// The identities of a Bundle's entries and where the entry being rewritten sits.
pub struct Identities<'a> {
    /// `fullUrl` -> assigned `Type/id`.
    pub map: &'a HashMap<String, String>,
    /// The entry's own `fullUrl` base when it is a RESTful URL
    /// (`http://example.org/fhir/Condition/c1` -> `http://example.org/fhir/`): a relative
    /// reference in it means that base + the reference.
    pub base: Option<&'a str>,
    /// The schemes of the identities (`urn:`, `http:`): a narrative without any of them
    /// links to no entry and is not scanned.
    schemes: Vec<&'a str>,
}

impl<'a> Identities<'a> {
    pub fn new(map: &'a HashMap<String, String>, full_url: Option<&'a str>) -> Self {
        let mut schemes: Vec<&str> = map
            .keys()
            .filter_map(|k| k.find(':').map(|at| &k[..=at]))
            .collect();
        schemes.sort_unstable();
        schemes.dedup();
        Identities {
            map,
            base: full_url.and_then(restful_base),
            schemes,
        }
    }

    fn may_link(&self, div: &str) -> bool {
        self.schemes.iter().any(|s| div.contains(s))
    }

    /// The assigned `Type/id` (with the version suffix kept) that `reference` names.
    fn resolve(&self, reference: &str) -> Option<String> {
        let (identity, version) = match reference.split_once("/_history/") {
            Some((identity, version)) => (identity, Some(version)),
            None => (reference, None),
        };
        let local = self.map.get(identity).or_else(|| {
            let relative = !identity.contains(':') && !identity.starts_with('#');
            let base = self.base.filter(|_| relative)?;
            self.map.get(&format!("{base}{identity}"))
        })?;
        Some(match version {
            Some(v) => format!("{local}/_history/{v}"),
            None => local.clone(),
        })
    }
}

/// `http://host/fhir/` of `http://host/fhir/Type/id` (a RESTful URL); `None` otherwise.
fn restful_base(full_url: &str) -> Option<&str> {
    if !(full_url.starts_with("http://") || full_url.starts_with("https://")) {
        return None;
    }
    let path = full_url.split("/_history/").next().unwrap_or(full_url);
    let id_at = path.rfind('/')?;
    let type_at = path[..id_at].rfind('/')?;
    let resource_type = &path[type_at + 1..id_at];
    let is_type = resource_type
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
        && resource_type.chars().all(|c| c.is_ascii_alphanumeric());
    is_type.then(|| &path[..=type_at])
}

/// Keys whose string values are uri-typed elements that may name an entry.
fn is_uri_element(key: &str) -> bool {
    matches!(
        key,
        "valueUri" | "valueUrl" | "valueOid" | "valueUuid" | "valueCanonical" | "source"
    )
}

/// Rewrites `value` in place; returns the first `urn:` reference that names no entry.
pub fn rewrite(value: &mut Value, ids: &Identities<'_>) -> Result<(), String> {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                match (key.as_str(), item) {
                    ("reference", Value::String(reference)) => {
                        if let Some(local) = ids.resolve(reference) {
                            *reference = local;
                        } else if reference.starts_with("urn:uuid:")
                            || reference.starts_with("urn:oid:")
                        {
                            return Err(reference.clone());
                        }
                    }
                    (key, Value::String(uri)) if is_uri_element(key) => {
                        if let Some(local) = ids.map.get(uri.as_str()) {
                            *uri = local.clone();
                        }
                    }
                    ("div", Value::String(div)) if ids.may_link(div) => {
                        if let Some(rewritten) = rewrite_narrative_links(div, ids.map) {
                            *div = rewritten;
                        }
                    }
                    (_, item) => rewrite(item, ids)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, ids)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The narrative with every attribute value (`href="urn:uuid:..."`, `src='http://...'`)
/// that is exactly an entry's identity replaced by its `Type/id`; `None` when there is none.
/// Only whole attribute values are links: `urn:oid:1.2.3` must not change inside
/// `urn:oid:1.2.3.4`, nor in the text.
fn rewrite_narrative_links(div: &str, map: &HashMap<String, String>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    // Where the next attribute value opens (at its quote), either quote.
    let next_value = |from: usize| {
        [div[from..].find("=\""), div[from..].find("='")]
            .into_iter()
            .flatten()
            .min()
            .map(|at| from + at + 1)
    };
    let mut out = String::new();
    let (mut copied, mut from) = (0, 0);
    while let Some(quote_at) = next_value(from) {
        let quote = &div[quote_at..=quote_at];
        let start = quote_at + 1;
        let Some(len) = div[start..].find(quote) else {
            break;
        };
        if let Some(to) = map.get(&div[start..start + len]) {
            out.push_str(&div[copied..start]);
            out.push_str(to);
            copied = start + len;
        }
        from = start + len;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&div[copied..]);
    Some(out)
}

/// Replaces conditional references (`Patient?identifier=sys|val`) with the `Type/id` that
/// `resolve` finds; its error (no match, several matches) fails the entry.
pub fn conditional_references<F>(
    value: &mut Value,
    resolve: &mut F,
) -> Result<(), crate::core::FhirError>
where
    F: FnMut(&str, &str) -> Result<String, crate::core::FhirError>,
{
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                match (key.as_str(), item) {
                    ("reference", Value::String(reference)) => {
                        if let Some((resource_type, criteria)) = reference.split_once('?') {
                            let is_type = resource_type
                                .chars()
                                .next()
                                .is_some_and(|c| c.is_ascii_uppercase())
                                && resource_type.chars().all(|c| c.is_ascii_alphanumeric());
                            if is_type {
                                *reference = resolve(resource_type, criteria)?;
                            }
                        }
                    }
                    (_, item) => conditional_references(item, resolve)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                conditional_references(item, resolve)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rewrites_nested_references_and_narrative() {
        let map: HashMap<String, String> =
            [("urn:uuid:1".to_owned(), "Patient/abc".to_owned())].into();
        let mut v = json!({
            "resourceType": "Encounter",
            "text": {"div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:1\">p</a></div>"},
            "subject": {"reference": "urn:uuid:1"},
            "extension": [{"url": "http://x", "valueReference": {"reference": "urn:uuid:1"}}],
            "participant": [{"individual": {"reference": "Practitioner/p1"}}]
        });
        rewrite(&mut v, &Identities::new(&map, None)).unwrap();
        assert_eq!(v["subject"]["reference"], "Patient/abc");
        assert_eq!(
            v["extension"][0]["valueReference"]["reference"],
            "Patient/abc"
        );
        assert!(v["text"]["div"]
            .as_str()
            .unwrap()
            .contains("href=\"Patient/abc\""));
        assert_eq!(
            v["participant"][0]["individual"]["reference"],
            "Practitioner/p1"
        );
    }

    #[test]
    fn narrative_links_are_rewritten_as_whole_attribute_values() {
        let map: HashMap<String, String> = [
            ("urn:oid:1.2.3".to_owned(), "Patient/p".to_owned()),
            ("urn:uuid:9".to_owned(), "Encounter/e".to_owned()),
        ]
        .into();
        let div = "<div><a href=\"urn:oid:1.2.3.4\">other</a> <a href='urn:oid:1.2.3'>p</a> \
                   urn:oid:1.2.3 in text <img src=\"urn:uuid:9\"/><a href=\"urn:uuid:8\">x</a></div>";
        assert_eq!(
            rewrite_narrative_links(div, &map).as_deref(),
            Some(
                "<div><a href=\"urn:oid:1.2.3.4\">other</a> <a href='Patient/p'>p</a> \
                 urn:oid:1.2.3 in text <img src=\"Encounter/e\"/><a href=\"urn:uuid:8\">x</a></div>"
            )
        );
        assert_eq!(
            rewrite_narrative_links("<div>urn:oid:1.2.3</div>", &map),
            None
        );
        assert_eq!(
            rewrite_narrative_links("<div><a href=\"urn:oid:1.2.3", &map),
            None
        );
    }

    #[test]
    fn versions_relative_references_uri_values_and_absolute_links() {
        let map: HashMap<String, String> = [
            (
                "http://example.org/fhir/Patient/tmp1".to_owned(),
                "Patient/a".to_owned(),
            ),
            ("urn:uuid:2".to_owned(), "Condition/b".to_owned()),
        ]
        .into();
        let ids = Identities::new(&map, Some("http://example.org/fhir/Condition/c1"));
        let mut v = json!({
            "subject": {"reference": "Patient/tmp1"},
            "asserter": {"reference": "http://example.org/fhir/Patient/tmp1/_history/1"},
            "evidence": [{"detail": [{"reference": "Patient/other"}]}],
            "meta": {"source": "urn:uuid:2"},
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:2"}],
            "extension": [
                {"url": "http://x", "valueUri": "http://example.org/fhir/Patient/tmp1"},
                {"url": "http://y", "valueUrl": "urn:uuid:2"}
            ],
            "text": {"div": "<div><a href=\"http://example.org/fhir/Patient/tmp1\">p</a></div>"}
        });
        rewrite(&mut v, &ids).unwrap();
        assert_eq!(v["subject"]["reference"], "Patient/a");
        assert_eq!(v["asserter"]["reference"], "Patient/a/_history/1");
        assert_eq!(v["evidence"][0]["detail"][0]["reference"], "Patient/other");
        assert_eq!(v["meta"]["source"], "Condition/b");
        // An identifier's value is a string, not a link: it stays.
        assert_eq!(v["identifier"][0]["value"], "urn:uuid:2");
        assert_eq!(v["extension"][0]["valueUri"], "Patient/a");
        assert_eq!(v["extension"][1]["valueUrl"], "Condition/b");
        assert_eq!(v["extension"][0]["url"], "http://x");
        assert!(v["text"]["div"]
            .as_str()
            .unwrap()
            .contains("href=\"Patient/a\""));
        // Without a RESTful fullUrl a relative reference is just that.
        let mut w = json!({"subject": {"reference": "Patient/tmp1"}});
        rewrite(&mut w, &Identities::new(&map, Some("urn:uuid:9"))).unwrap();
        assert_eq!(w["subject"]["reference"], "Patient/tmp1");
    }

    #[test]
    fn unknown_urn_is_an_error() {
        let mut v = json!({"subject": {"reference": "urn:uuid:2"}});
        assert_eq!(
            rewrite(&mut v, &Identities::new(&HashMap::new(), None)),
            Err("urn:uuid:2".to_owned())
        );
    }
}
