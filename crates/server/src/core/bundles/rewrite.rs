//! Replacing the `fullUrl` identities of a Bundle (`urn:uuid:`, `urn:oid:`, absolute URLs) with
//! the `Type/id` the server assigned, everywhere they are referenced: in `reference` elements
//! at any depth (extensions and contained resources included) and in narrative links.

use serde_json::Value;
use std::collections::HashMap;

/// Rewrites `value` in place; returns the first `urn:` reference that names no entry.
pub fn rewrite(value: &mut Value, map: &HashMap<String, String>) -> Result<(), String> {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                match (key.as_str(), item) {
                    ("reference", Value::String(reference)) => {
                        if let Some(local) = map.get(reference.as_str()) {
                            *reference = local.clone();
                        } else if reference.starts_with("urn:uuid:")
                            || reference.starts_with("urn:oid:")
                        {
                            return Err(reference.clone());
                        }
                    }
                    // Narratives rarely link to other entries: one scan for "urn:" spares
                    // the attribute scan in every other div.
                    ("div", Value::String(div)) if div.contains("urn:") => {
                        if let Some(rewritten) = rewrite_narrative_links(div, map) {
                            *div = rewritten;
                        }
                    }
                    (_, item) => rewrite(item, map)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, map)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The narrative with every attribute value (`href="urn:uuid:..."`, `src='...'`) that is
/// exactly an entry's `urn:` identity replaced by its `Type/id`; `None` when there is none.
/// Only whole attribute values are links: `urn:oid:1.2.3` must not change inside
/// `urn:oid:1.2.3.4`, nor in the text.
fn rewrite_narrative_links(div: &str, map: &HashMap<String, String>) -> Option<String> {
    // Where the next attribute value starting with `urn:` opens (at its quote), either quote.
    let next_value = |from: usize| {
        [div[from..].find("=\"urn:"), div[from..].find("='urn:")]
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
        rewrite(&mut v, &map).unwrap();
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
    fn unknown_urn_is_an_error() {
        let mut v = json!({"subject": {"reference": "urn:uuid:2"}});
        assert_eq!(
            rewrite(&mut v, &HashMap::new()),
            Err("urn:uuid:2".to_owned())
        );
    }
}
