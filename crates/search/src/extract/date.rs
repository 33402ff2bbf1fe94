//! Date parameters: date, dateTime and instant by their precision; Period with open ends;
//! Timing as the outer limits of its events (or of `repeat.boundsPeriod` when it has none).

use serde_json::Value;

use super::{str_field, text};
use crate::datetime::parse_date_range;
use crate::fhirpath::Item;
use crate::index::IndexValue;

pub(super) fn values(item: &Item<'_>, out: &mut Vec<IndexValue>) {
    if let Some(s) = text(item) {
        if let Ok(r) = parse_date_range(s) {
            out.push(IndexValue::Date {
                low: r.low,
                high: r.high,
            });
        }
        return;
    }
    let Item::Node {
        value: value @ Value::Object(map),
        ..
    } = item
    else {
        return;
    };
    if map.contains_key("start") || map.contains_key("end") {
        let low = str_field(value, "start")
            .and_then(|s| parse_date_range(s).ok())
            .map_or(i64::MIN, |r| r.low);
        let high = str_field(value, "end")
            .and_then(|s| parse_date_range(s).ok())
            .map_or(i64::MAX, |r| r.high);
        if low != i64::MIN || high != i64::MAX {
            out.push(IndexValue::Date { low, high });
        }
    } else if let Some(events) = map.get("event").and_then(Value::as_array) {
        let ranges: Vec<_> = events
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|s| parse_date_range(s).ok())
            .collect();
        let low = ranges.iter().map(|r| r.low).min();
        let high = ranges.iter().map(|r| r.high).max();
        if let (Some(low), Some(high)) = (low, high) {
            out.push(IndexValue::Date { low, high });
        }
    } else if let Some(bounds) = map.get("repeat").and_then(|r| r.get("boundsPeriod")) {
        // A Timing without events: its outer limits are the repeat bounds.
        values(
            &Item::Node {
                value: bounds,
                type_name: None,
            },
            out,
        );
    }
}
