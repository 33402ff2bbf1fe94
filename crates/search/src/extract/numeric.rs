//! Quantity, number and uri parameters.

use serde_json::Value;

use super::{str_field, text};
use crate::decimal::parse_decimal;
use crate::fhirpath::Item;
use crate::index::IndexValue;

/// Quantity (and Age, Duration, Distance, Count, Money) with the range its precision implies;
/// a Range becomes one entry spanning `low`..`high` (open ends infinite), valued at its
/// midpoint or its one given end.
pub(super) fn quantities(item: &Item<'_>, out: &mut Vec<IndexValue>) {
    let Item::Node {
        value: value @ Value::Object(map),
        ..
    } = item
    else {
        return;
    };
    if let Some(v) = map
        .get("value")
        .and_then(number_text)
        .and_then(|t| parse_decimal(&t).ok())
    {
        // `comparator` (`<`, `<=`, `>=`, `>`) opens the range on that side.
        let (low, high) = match str_field(value, "comparator") {
            Some("<" | "<=") => (f64::NEG_INFINITY, v.high),
            Some(">" | ">=") => (v.low, f64::INFINITY),
            _ => (v.low, v.high),
        };
        out.push(quantity(value, v.value, low, high));
        return;
    }
    let low = map
        .get("low")
        .and_then(|q| q.get("value"))
        .and_then(number_text)
        .and_then(|t| parse_decimal(&t).ok());
    let high = map
        .get("high")
        .and_then(|q| q.get("value"))
        .and_then(number_text)
        .and_then(|t| parse_decimal(&t).ok());
    let unit_of = map.get("low").or_else(|| map.get("high")).unwrap_or(value);
    let (v, lo, hi) = match (low, high) {
        (Some(l), Some(h)) => ((l.value + h.value) / 2.0, l.low, h.high),
        (Some(l), None) => (l.value, l.low, f64::INFINITY),
        (None, Some(h)) => (h.value, f64::NEG_INFINITY, h.high),
        (None, None) => return,
    };
    out.push(quantity(unit_of, v, lo, hi));
}

fn quantity(unit_of: &Value, value: f64, low: f64, high: f64) -> IndexValue {
    IndexValue::Quantity {
        value,
        low,
        high,
        system: str_field(unit_of, "system").map(str::to_owned),
        code: str_field(unit_of, "code").map(str::to_owned),
        unit: str_field(unit_of, "unit")
            .or_else(|| str_field(unit_of, "currency"))
            .map(str::to_owned),
    }
}

/// The written text of a JSON number (serde_json keeps it with `arbitrary_precision`).
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn numbers(item: &Item<'_>, out: &mut Vec<IndexValue>) {
    let written = match item {
        Item::Node { value, .. } => number_text(value),
        Item::Number(n) => Some(n.clone()),
        _ => None,
    };
    if let Some(d) = written.and_then(|t| parse_decimal(&t).ok()) {
        out.push(IndexValue::Number {
            value: d.value,
            low: d.low,
            high: d.high,
        });
    }
}

pub(super) fn uris(item: &Item<'_>, out: &mut Vec<IndexValue>) {
    if let Some(s) = text(item) {
        out.push(IndexValue::Uri { uri: s.to_owned() });
    }
}
