//! Ordering of FHIR date, dateTime and instant values with partial precision and time zones,
//! as FHIRPath compares them (per-1): `None` when precision makes the order unknown.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Parsed {
    /// year, month, day; missing parts are `None`.
    date: [Option<i64>; 3],
    /// Seconds since midnight and the zone offset in seconds, when a time is given.
    time: Option<(f64, i64)>,
}

fn number(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse(value: &str) -> Option<Parsed> {
    let (date, time) = match value.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let mut parts = date.split('-');
    let year = number(parts.next()?)?;
    let month = parts
        .next()
        .map(number)
        .map(|m| m.filter(|m| (1..=12).contains(m)));
    let day = parts
        .next()
        .map(number)
        .map(|d| d.filter(|d| (1..=31).contains(d)));
    if parts.next().is_some() || month == Some(None) || day == Some(None) {
        return None;
    }
    let time = match time {
        None => None,
        Some(t) => {
            let (clock, offset) = if let Some(c) = t.strip_suffix('Z') {
                (c, 0)
            } else if let Some(pos) = t.rfind(['+', '-']) {
                let (c, zone) = t.split_at(pos);
                let sign = if zone.starts_with('-') { -1 } else { 1 };
                let (h, m) = zone.get(1..)?.split_once(':')?;
                (c, sign * (number(h)? * 3600 + number(m)? * 60))
            } else {
                (t, 0)
            };
            let mut fields = clock.split(':');
            let h = number(fields.next()?)?;
            let m = number(fields.next()?)?;
            let s: f64 = fields.next().unwrap_or("0").parse().ok()?;
            Some(((h * 3600 + m * 60) as f64 + s, offset))
        }
    };
    Some(Parsed {
        date: [Some(year), month.flatten(), day.flatten()],
        time,
    })
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Compares two FHIR date/time values; `None` when either is malformed or when they are equal
/// up to the precision of the less precise one.
pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    if let (
        Some((ta, za)),
        Some((tb, zb)),
        [Some(ya), Some(ma), Some(da)],
        [Some(yb), Some(mb), Some(db)],
    ) = (a.time, b.time, a.date, b.date)
    {
        let ia = days_from_civil(ya, ma, da) as f64 * 86_400.0 + ta - za as f64;
        let ib = days_from_civil(yb, mb, db) as f64 * 86_400.0 + tb - zb as f64;
        return ia.partial_cmp(&ib);
    }
    for (x, y) in a.date.iter().zip(b.date.iter()) {
        match (x, y) {
            (Some(x), Some(y)) if x != y => return Some(x.cmp(y)),
            (Some(_), Some(_)) => continue,
            (None, None) => return Some(Ordering::Equal),
            _ => return None,
        }
    }
    match (a.time, b.time) {
        (None, None) => Some(Ordering::Equal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_dates_and_date_times() {
        assert_eq!(compare("2020-01-01", "2020-01-02"), Some(Ordering::Less));
        assert_eq!(compare("2021", "2020-05"), Some(Ordering::Greater));
        assert_eq!(compare("2020", "2020-05"), None);
        assert_eq!(
            compare("2013-04-02T10:00:00+01:00", "2013-04-02T09:30:00Z"),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare("2013-04-02T09:30:10.5Z", "2013-04-02T09:30:10.5Z"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare("2013-04-03", "2013-04-02T09:30:00Z"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare("not a date", "2020"), None);
    }
}
