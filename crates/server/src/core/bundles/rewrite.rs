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
                    // a search per entry in every other div.
                    ("div", Value::String(div)) if div.contains("urn:") => {
                        for (from, to) in map {
                            if from.starts_with("urn:") && div.contains(from.as_str()) {
                                *div = div.replace(from.as_str(), to);
                            }
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
    fn unknown_urn_is_an_error() {
        let mut v = json!({"subject": {"reference": "urn:uuid:2"}});
        assert_eq!(
            rewrite(&mut v, &HashMap::new()),
            Err("urn:uuid:2".to_owned())
        );
    }
}
