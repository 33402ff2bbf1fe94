//! Invariants of datatypes: per-1, ref-1, cpt-2, qty-3, att-1, ext-1, sqty-1, rat-1, rng-2 and
//! the Timing rules tim-*.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{has, has_choice, Context, InvariantKey};
use crate::datetime;

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// Does the element satisfy the datatype invariant `key`?
pub(super) fn holds(key: InvariantKey, obj: &Map<String, Value>, ctx: &Context<'_>) -> bool {
    use InvariantKey as K;
    let s = |name: &str| obj.get(name).and_then(Value::as_str);
    match key {
        K::Per1 => match (s("start"), s("end")) {
            (Some(start), Some(end)) => datetime::compare(start, end) != Some(Ordering::Greater),
            _ => true,
        },
        K::Ref1 => match s("reference").and_then(|r| r.strip_prefix('#')) {
            None => true,
            Some("") => ctx.in_contained,
            Some(id) => ctx.root_contained.iter().any(|(cid, _)| *cid == id),
        },
        K::Cpt2 => !has(obj, "value") || has(obj, "system"),
        K::Qty3 => !has(obj, "code") || has(obj, "system"),
        K::Att1 => !has(obj, "data") || has(obj, "contentType"),
        K::Ext1 => has(obj, "extension") != has_choice(obj, "value"),
        K::Sqty1 => !has(obj, "comparator"),
        K::Rat1 => {
            let (n, d) = (has(obj, "numerator"), has(obj, "denominator"));
            n == d && (n || has(obj, "extension"))
        }
        K::Rng2 => {
            let bound = |name: &str| obj.get(name);
            match (bound("low"), bound("high")) {
                (Some(low), Some(high))
                    if low.get("code") == high.get("code")
                        && low.get("unit") == high.get("unit") =>
                {
                    match (number(low.get("value")), number(high.get("value"))) {
                        (Some(l), Some(h)) => l <= h,
                        _ => true,
                    }
                }
                _ => true,
            }
        }
        K::Tim1 => !has(obj, "duration") || has(obj, "durationUnit"),
        K::Tim2 => !has(obj, "period") || has(obj, "periodUnit"),
        K::Tim4 => number(obj.get("duration")).is_none_or(|d| d >= 0.0),
        K::Tim5 => number(obj.get("period")).is_none_or(|p| p >= 0.0),
        K::Tim6 => !has(obj, "periodMax") || has(obj, "period"),
        K::Tim7 => !has(obj, "durationMax") || has(obj, "duration"),
        K::Tim8 => !has(obj, "countMax") || has(obj, "count"),
        K::Tim9 => {
            let when: Vec<&str> = obj
                .get("when")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            !has(obj, "offset")
                || (!when.is_empty() && !when.iter().any(|w| ["C", "CM", "CD", "CV"].contains(w)))
        }
        K::Tim10 => !has(obj, "timeOfDay") || !has(obj, "when"),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(key: InvariantKey, v: Value) -> bool {
        holds(
            key,
            v.as_object().unwrap_or(&Map::new()),
            &Context::default(),
        )
    }

    #[test]
    fn per_1() {
        assert!(!ok(
            InvariantKey::Per1,
            json!({"start": "2020-02-01", "end": "2020-01-01"})
        ));
        assert!(ok(
            InvariantKey::Per1,
            json!({"start": "2020", "end": "2020-01-01"})
        ));
        assert!(ok(InvariantKey::Per1, json!({"start": "2020-01-01"})));
    }

    #[test]
    fn ref_1() {
        let contained = [("p1", "Patient")];
        let ctx = Context {
            root_contained: &contained,
            in_contained: false,
            has_contained: true,
        };
        let r = |v: Value| {
            holds(
                InvariantKey::Ref1,
                v.as_object().unwrap_or(&Map::new()),
                &ctx,
            )
        };
        assert!(r(json!({"reference": "#p1"})));
        assert!(!r(json!({"reference": "#p2"})));
        assert!(!r(json!({"reference": "#"})));
        assert!(r(json!({"reference": "Patient/1"})));
    }

    #[test]
    fn cpt_2_qty_3_att_1() {
        assert!(!ok(InvariantKey::Cpt2, json!({"value": "555"})));
        assert!(ok(
            InvariantKey::Cpt2,
            json!({"value": "555", "system": "phone"})
        ));
        assert!(!ok(InvariantKey::Qty3, json!({"code": "mg"})));
        assert!(!ok(InvariantKey::Att1, json!({"data": "AAAA"})));
        assert!(ok(InvariantKey::Att1, json!({"url": "http://x"})));
    }

    #[test]
    fn ext_1_sqty_1_rat_1_rng_2() {
        assert!(!ok(InvariantKey::Ext1, json!({"url": "u"})));
        assert!(!ok(
            InvariantKey::Ext1,
            json!({"url": "u", "valueString": "a", "extension": [{}]})
        ));
        assert!(ok(
            InvariantKey::Ext1,
            json!({"url": "u", "valueString": "a"})
        ));
        assert!(!ok(InvariantKey::Sqty1, json!({"comparator": "<"})));
        assert!(!ok(InvariantKey::Rat1, json!({"numerator": {"value": 1}})));
        assert!(ok(
            InvariantKey::Rat1,
            json!({"numerator": {"value": 1}, "denominator": {"value": 2}})
        ));
        assert!(!ok(
            InvariantKey::Rng2,
            json!({"low": {"value": 5}, "high": {"value": 2}})
        ));
        assert!(ok(
            InvariantKey::Rng2,
            json!({"low": {"value": 1}, "high": {"value": 2}})
        ));
    }

    #[test]
    fn timing() {
        assert!(!ok(InvariantKey::Tim1, json!({"duration": 1})));
        assert!(!ok(InvariantKey::Tim2, json!({"period": 1})));
        assert!(!ok(
            InvariantKey::Tim4,
            json!({"duration": -1, "durationUnit": "h"})
        ));
        assert!(!ok(InvariantKey::Tim5, json!({"period": -1})));
        assert!(!ok(InvariantKey::Tim6, json!({"periodMax": 2})));
        assert!(!ok(InvariantKey::Tim7, json!({"durationMax": 2})));
        assert!(!ok(InvariantKey::Tim8, json!({"countMax": 2})));
        assert!(!ok(InvariantKey::Tim9, json!({"offset": 2, "when": ["C"]})));
        assert!(ok(
            InvariantKey::Tim9,
            json!({"offset": 2, "when": ["ACM"]})
        ));
        assert!(!ok(
            InvariantKey::Tim10,
            json!({"timeOfDay": ["08:00:00"], "when": ["ACM"]})
        ));
    }
}
