//! Invariants of DomainResource (dom-*), Patient (pat-1) and Condition (con-*).

use serde_json::{Map, Value};

use super::{codings, has, has_choice, Context, InvariantKey};

const VER_STATUS: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";

/// dom-2..dom-6: one suffix per offending contained resource (or `""` for dom-6).
pub(super) fn domain(
    key: InvariantKey,
    obj: &Map<String, Value>,
    ctx: &Context<'_>,
) -> Vec<String> {
    if key != InvariantKey::Dom6 && !ctx.has_contained {
        return Vec::new();
    }
    let contained = obj
        .get("contained")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let meta = |c: &Value, field: &str| c.get("meta").and_then(|m| m.get(field)).is_some();
    match key {
        InvariantKey::Dom6 => {
            let has_div = obj.get("text").and_then(|t| t.get("div")).is_some();
            if has_div || ctx.in_contained {
                Vec::new()
            } else {
                vec![String::new()]
            }
        }
        InvariantKey::Dom3 => {
            if contained.is_empty() {
                return Vec::new();
            }
            let mut local_refs = Vec::new();
            obj.values()
                .for_each(|v| collect_local_refs(v, &mut local_refs));
            let mut out = Vec::new();
            for (i, c) in contained.iter().enumerate() {
                let id = c.get("id").and_then(Value::as_str).unwrap_or_default();
                let referenced = local_refs
                    .iter()
                    .any(|r| r.strip_prefix('#') == Some(id) && !id.is_empty());
                let mut own = Vec::new();
                collect_local_refs(c, &mut own);
                if !referenced && !own.iter().any(|r| r == "#") {
                    out.push(format!(".contained[{i}]"));
                }
            }
            out
        }
        _ => contained
            .iter()
            .enumerate()
            .filter(|(_, c)| match key {
                InvariantKey::Dom2 => c.get("contained").is_some(),
                InvariantKey::Dom4 => meta(c, "versionId") || meta(c, "lastUpdated"),
                InvariantKey::Dom5 => meta(c, "security"),
                _ => false,
            })
            .map(|(i, _)| format!(".contained[{i}]"))
            .collect(),
    }
}

/// Every string starting with `#` anywhere in `value` (references and canonicals).
fn collect_local_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with('#') => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_local_refs(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_local_refs(v, out)),
        _ => {}
    }
}

fn has_coding(cc: Option<&Value>, system: &str, codes: &[&str]) -> bool {
    codings(cc).any(|(s, c)| s == Some(system) && c.is_some_and(|c| codes.contains(&c)))
}

/// Does the element satisfy the resource-level invariant `key`?
pub(super) fn holds(key: InvariantKey, obj: &Map<String, Value>) -> bool {
    let entered_in_error = || {
        has_coding(
            obj.get("verificationStatus"),
            VER_STATUS,
            &["entered-in-error"],
        )
    };
    match key {
        InvariantKey::Pat1 => ["name", "telecom", "address", "organization"]
            .iter()
            .any(|n| has(obj, n)),
        InvariantKey::Con1 => has(obj, "summary") || has(obj, "assessment"),
        InvariantKey::Con2 => has(obj, "code") || has(obj, "detail"),
        // R4's expression compares a CodeableConcept with a string and so never fails; this
        // checks what the human text says.
        InvariantKey::Con3 => {
            has(obj, "clinicalStatus")
                || entered_in_error()
                || !obj
                    .get("category")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|cat| has_coding(Some(cat), CATEGORY, &["problem-list-item"]))
        }
        InvariantKey::Con4 => {
            !has_choice(obj, "abatement")
                || has_coding(
                    obj.get("clinicalStatus"),
                    CLINICAL,
                    &["resolved", "remission", "inactive"],
                )
        }
        InvariantKey::Con5 => !entered_in_error() || !has(obj, "clinicalStatus"),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn dom_2_to_6() {
        let ctx = Context {
            has_contained: true,
            ..Context::default()
        };
        let r = obj(json!({"text": {"div": "x"}, "contained": [
            {"resourceType": "Patient", "id": "a", "contained": [{"resourceType": "Patient"}]},
            {"resourceType": "Patient", "id": "b", "meta": {"versionId": "1", "security": [{"code": "R"}]}}
        ], "subject": {"reference": "#a"}}));
        assert_eq!(domain(InvariantKey::Dom2, &r, &ctx), vec![".contained[0]"]);
        assert_eq!(domain(InvariantKey::Dom3, &r, &ctx), vec![".contained[1]"]);
        assert_eq!(domain(InvariantKey::Dom4, &r, &ctx), vec![".contained[1]"]);
        assert_eq!(domain(InvariantKey::Dom5, &r, &ctx), vec![".contained[1]"]);
        assert!(domain(InvariantKey::Dom6, &r, &ctx).is_empty());
        assert_eq!(domain(InvariantKey::Dom6, &obj(json!({})), &ctx), vec![""]);
    }

    #[test]
    fn dom_3_accepts_a_contained_resource_that_refers_to_its_container() {
        let r = obj(
            json!({"contained": [{"resourceType": "Provenance", "id": "p", "target": [{"reference": "#"}]}]}),
        );
        let ctx = Context {
            has_contained: true,
            ..Context::default()
        };
        assert!(domain(InvariantKey::Dom3, &r, &ctx).is_empty());
    }

    #[test]
    fn pat_1() {
        assert!(!holds(InvariantKey::Pat1, &obj(json!({"gender": "male"}))));
        assert!(holds(
            InvariantKey::Pat1,
            &obj(json!({"telecom": [{"value": "1"}]}))
        ));
    }

    #[test]
    fn con_1_and_con_2() {
        assert!(!holds(InvariantKey::Con1, &obj(json!({"type": {}}))));
        assert!(holds(InvariantKey::Con1, &obj(json!({"summary": {}}))));
        assert!(!holds(InvariantKey::Con2, &obj(json!({}))));
        assert!(holds(InvariantKey::Con2, &obj(json!({"detail": []}))));
    }

    #[test]
    fn con_3_4_5() {
        let problem = json!([{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}]);
        assert!(!holds(
            InvariantKey::Con3,
            &obj(json!({"category": problem}))
        ));
        let active = json!({"coding": [{"system": CLINICAL, "code": "active"}]});
        let resolved = json!({"coding": [{"system": CLINICAL, "code": "resolved"}]});
        assert!(!holds(
            InvariantKey::Con4,
            &obj(json!({"abatementDateTime": "2020", "clinicalStatus": active}))
        ));
        assert!(holds(
            InvariantKey::Con4,
            &obj(json!({"abatementString": "x", "clinicalStatus": resolved}))
        ));
        let eie = json!({"coding": [{"system": VER_STATUS, "code": "entered-in-error"}]});
        assert!(!holds(
            InvariantKey::Con5,
            &obj(json!({"verificationStatus": eie, "clinicalStatus": active}))
        ));
        assert!(holds(
            InvariantKey::Con5,
            &obj(json!({"verificationStatus": eie}))
        ));
    }
}
