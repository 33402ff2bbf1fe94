//! Bundle invariants bdl-1..bdl-12 (bdl-6 does not exist in R4) and Parameters inv-1.

use serde_json::{Map, Value};

use super::{has, has_choice, InvariantKey};
use crate::fast_hash::FastSet;

fn entries(obj: &Map<String, Value>) -> &[Value] {
    obj.get("entry")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Which parts an entry has, found in one pass over its keys (cheaper than several look-ups
/// in large bundles).
#[derive(Default)]
struct EntryParts<'a> {
    search: bool,
    request: bool,
    response: bool,
    full_url: Option<&'a str>,
    resource: Option<&'a Value>,
}

fn parts(entry: &Value) -> EntryParts<'_> {
    let mut parts = EntryParts::default();
    for (key, value) in entry.as_object().into_iter().flatten() {
        match key.as_str() {
            "search" => parts.search = true,
            "request" => parts.request = true,
            "response" => parts.response = true,
            "fullUrl" => parts.full_url = value.as_str(),
            "resource" => parts.resource = Some(value),
            _ => {}
        }
    }
    parts
}

fn first_resource_type(obj: &Map<String, Value>) -> Option<&str> {
    entries(obj)
        .first()?
        .get("resource")?
        .get("resourceType")?
        .as_str()
}

/// Suffixes of the violations of `key` on a Bundle (or Bundle.entry, Parameters.parameter).
pub(super) fn check(key: InvariantKey, obj: &Map<String, Value>) -> Vec<String> {
    use InvariantKey as K;
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    let whole = |violated: bool| {
        if violated {
            vec![String::new()]
        } else {
            Vec::new()
        }
    };
    let per_entry = |bad: &dyn Fn(&EntryParts<'_>) -> bool, tail: &str| -> Vec<String> {
        entries(obj)
            .iter()
            .enumerate()
            .filter(|(_, e)| bad(&parts(e)))
            .map(|(i, _)| format!(".entry[{i}]{tail}"))
            .collect()
    };
    match key {
        K::Bdl1 => whole(has(obj, "total") && ty != "searchset" && ty != "history"),
        K::Bdl2 if ty != "searchset" => per_entry(&|e| e.search, ".search"),
        K::Bdl3 => {
            let wanted = matches!(ty, "batch" | "transaction" | "history");
            per_entry(&|e| e.request != wanted, "")
        }
        K::Bdl4 => {
            let wanted = matches!(ty, "batch-response" | "transaction-response" | "history");
            per_entry(&|e| e.response != wanted, "")
        }
        K::Bdl5 => whole(
            !["resource", "request", "response"]
                .iter()
                .any(|n| has(obj, n)),
        ),
        K::Bdl7 if ty != "history" => {
            let mut seen =
                FastSet::with_capacity_and_hasher(entries(obj).len(), Default::default());
            entries(obj)
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    let parts = parts(e);
                    let url = parts.full_url?;
                    let version = parts
                        .resource
                        .and_then(|r| r.get("meta"))
                        .and_then(|m| m.get("versionId"))
                        .and_then(Value::as_str);
                    (!seen.insert((url, version))).then(|| format!(".entry[{i}]"))
                })
                .collect()
        }
        K::Bdl8 => whole(
            obj.get("fullUrl")
                .and_then(Value::as_str)
                .is_some_and(|u| u.contains("/_history/")),
        ),
        K::Bdl9 => whole(
            ty == "document"
                && !obj
                    .get("identifier")
                    .is_some_and(|i| i.get("system").is_some() && i.get("value").is_some()),
        ),
        K::Bdl10 => whole(ty == "document" && !has(obj, "timestamp")),
        K::Bdl11 => whole(ty == "document" && first_resource_type(obj) != Some("Composition")),
        K::Bdl12 => whole(ty == "message" && first_resource_type(obj) != Some("MessageHeader")),
        K::Inv1 => {
            let (part, value, resource) = (
                has(obj, "part"),
                has_choice(obj, "value"),
                has(obj, "resource"),
            );
            whole(!((part && !value && !resource) || (!part && (value != resource))))
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(key: InvariantKey, v: Value) -> Vec<String> {
        check(key, v.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn bdl_1_2() {
        assert_eq!(
            run(
                InvariantKey::Bdl1,
                json!({"type": "collection", "total": 1})
            ),
            vec![""]
        );
        assert!(run(InvariantKey::Bdl1, json!({"type": "searchset", "total": 1})).is_empty());
        assert_eq!(
            run(
                InvariantKey::Bdl2,
                json!({"type": "collection", "entry": [{}, {"search": {}}]})
            ),
            vec![".entry[1].search"]
        );
    }

    #[test]
    fn bdl_3_4_5() {
        let t = json!({"type": "transaction", "entry": [{"request": {}}, {"resource": {}}]});
        assert_eq!(run(InvariantKey::Bdl3, t), vec![".entry[1]"]);
        let c = json!({"type": "collection", "entry": [{"request": {}}]});
        assert_eq!(run(InvariantKey::Bdl3, c), vec![".entry[0]"]);
        let r = json!({"type": "transaction-response", "entry": [{}]});
        assert_eq!(run(InvariantKey::Bdl4, r), vec![".entry[0]"]);
        assert_eq!(run(InvariantKey::Bdl5, json!({"fullUrl": "x"})), vec![""]);
    }

    #[test]
    fn bdl_7_8() {
        let b = json!({"type": "collection", "entry": [{"fullUrl": "urn:uuid:1"}, {"fullUrl": "urn:uuid:1"}]});
        assert_eq!(run(InvariantKey::Bdl7, b), vec![".entry[1]"]);
        assert_eq!(
            run(
                InvariantKey::Bdl8,
                json!({"fullUrl": "http://x/Patient/1/_history/2"})
            ),
            vec![""]
        );
    }

    #[test]
    fn bdl_9_to_12() {
        let doc = json!({"type": "document", "entry": [{"resource": {"resourceType": "Patient"}}]});
        assert_eq!(run(InvariantKey::Bdl9, doc.clone()), vec![""]);
        assert_eq!(run(InvariantKey::Bdl10, doc.clone()), vec![""]);
        assert_eq!(run(InvariantKey::Bdl11, doc), vec![""]);
        let msg =
            json!({"type": "message", "entry": [{"resource": {"resourceType": "MessageHeader"}}]});
        assert!(run(InvariantKey::Bdl12, msg).is_empty());
    }

    #[test]
    fn inv_1() {
        assert_eq!(run(InvariantKey::Inv1, json!({"name": "a"})), vec![""]);
        assert!(run(InvariantKey::Inv1, json!({"name": "a", "valueString": "x"})).is_empty());
        assert_eq!(
            run(
                InvariantKey::Inv1,
                json!({"name": "a", "valueString": "x", "resource": {}})
            ),
            vec![""]
        );
    }
}
