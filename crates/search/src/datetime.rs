//! FHIR date, dateTime and instant values as the instant range their precision covers,
//! in microseconds since the Unix epoch, both ends inclusive: `1980` is all of 1980 (UTC),
//! `2020-05-01T10:00+02:00` is the minute starting at 08:00Z.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use thiserror::Error;

/// How much of a date/time was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
    Minute,
    Second,
    /// Fractional seconds with this many digits (at most 6 count).
    Fraction(u8),
}

/// The inclusive range `[low, high]` in microseconds since the epoch, with its precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub low: i64,
    pub high: i64,
    pub precision: DatePrecision,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a FHIR date, dateTime or instant")]
pub struct DateError(pub String);

/// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm[:ss[.f+]][Z|±hh:mm]`.
/// A time without a zone is taken as UTC.
pub fn parse_date_range(text: &str) -> Result<DateRange, DateError> {
    let err = || DateError(text.to_owned());
    let (date_part, time_part) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let fields: Vec<&str> = date_part.split('-').collect();
    let num = |s: &str, len: usize| -> Result<u32, DateError> {
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        s.parse().map_err(|_| err())
    };
    let (year, month, day) = match fields.as_slice() {
        [y] => (num(y, 4)?, None, None),
        [y, m] => (num(y, 4)?, Some(num(m, 2)?), None),
        [y, m, d] => (num(y, 4)?, Some(num(m, 2)?), Some(num(d, 2)?)),
        _ => return Err(err()),
    };
    let year = i32::try_from(year).map_err(|_| err())?;
    let Some(time) = time_part else {
        return date_only(year, month, day).ok_or_else(err);
    };
    let (Some(month), Some(day)) = (month, day) else {
        return Err(err());
    };
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(err)?;
    let (clock, offset_secs) = split_zone(time).ok_or_else(err)?;
    let parts: Vec<&str> = clock.split(':').collect();
    let (hour, minute, second_text) = match parts.as_slice() {
        [h, m] => (num(h, 2)?, num(m, 2)?, None),
        [h, m, s] => (num(h, 2)?, num(m, 2)?, Some(*s)),
        _ => return Err(err()),
    };
    let (second, micros, precision, span) = match second_text {
        None => (0, 0, DatePrecision::Minute, 60_000_000),
        Some(s) => match s.split_once('.') {
            None => (num(s, 2)?, 0, DatePrecision::Second, 1_000_000),
            Some((whole, frac)) => {
                if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                let digits = frac.len().min(6);
                let kept = frac.get(..digits).ok_or_else(err)?;
                let scale = 10i64.pow(u32::try_from(6 - digits).map_err(|_| err())?);
                let micros = kept.parse::<i64>().map_err(|_| err())? * scale;
                let precision = DatePrecision::Fraction(u8::try_from(digits).map_err(|_| err())?);
                (num(whole, 2)?, micros, precision, scale)
            }
        },
    };
    // A leap second (`:60`) is folded into the last second of the minute.
    let time = NaiveTime::from_hms_opt(hour, minute, second.min(59)).ok_or_else(err)?;
    let local = NaiveDateTime::new(date, time).and_utc().timestamp_micros();
    let low = local + micros - offset_secs * 1_000_000;
    Ok(DateRange {
        low,
        high: low + span - 1,
        precision,
    })
}

/// Splits `10:00:00+02:00` into the clock and the zone offset in seconds (UTC when absent).
fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let Some(at) = time.rfind(['+', '-']) else {
        return Some((time, 0));
    };
    let clock = time.get(..at)?;
    let zone = time.get(at..)?;
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (h, m) = zone.get(1..)?.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    Some((clock, sign * (h * 3600 + m * 60)))
}

fn date_only(year: i32, month: Option<u32>, day: Option<u32>) -> Option<DateRange> {
    let micros = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
    };
    let (start, end, precision) = match (month, day) {
        (None, _) => (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
            DatePrecision::Year,
        ),
        (Some(m), None) => {
            let start = NaiveDate::from_ymd_opt(year, m, 1)?;
            let end = if m == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(start.year(), m + 1, 1)?
            };
            (start, end, DatePrecision::Month)
        }
        (Some(m), Some(d)) => {
            let start = NaiveDate::from_ymd_opt(year, m, d)?;
            (start, start.succ_opt()?, DatePrecision::Day)
        }
    };
    Some(DateRange {
        low: micros(start)?,
        high: micros(end)? - 1,
        precision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn year_month_day() {
        let r = parse_date_range("1980").unwrap();
        assert_eq!(r.low, utc("1980-01-01T00:00:00Z"));
        assert_eq!(r.high, utc("1981-01-01T00:00:00Z") - 1);
        assert_eq!(r.precision, DatePrecision::Year);
        let r = parse_date_range("2020-02").unwrap();
        assert_eq!(r.high, utc("2020-03-01T00:00:00Z") - 1);
        let r = parse_date_range("2020-12").unwrap();
        assert_eq!(r.high, utc("2021-01-01T00:00:00Z") - 1);
        let r = parse_date_range("2020-02-29").unwrap();
        assert_eq!(
            (r.low, r.high),
            (utc("2020-02-29T00:00:00Z"), utc("2020-03-01T00:00:00Z") - 1)
        );
    }

    #[test]
    fn times_and_zones() {
        let r = parse_date_range("2020-05-01T10:00+02:00").unwrap();
        assert_eq!(r.low, utc("2020-05-01T08:00:00Z"));
        assert_eq!(r.high, utc("2020-05-01T08:01:00Z") - 1);
        let r = parse_date_range("2020-05-01T10:00:05Z").unwrap();
        assert_eq!(r.high - r.low, 999_999);
        let r = parse_date_range("2020-05-01T10:00:05.12-05:00").unwrap();
        assert_eq!(r.low, utc("2020-05-01T15:00:05.12Z"));
        assert_eq!(r.high - r.low, 9_999);
        assert_eq!(r.precision, DatePrecision::Fraction(2));
        let r = parse_date_range("2020-05-01T10:00:05.123456789Z").unwrap();
        assert_eq!(r.high, r.low);
        let r = parse_date_range("2020-05-01T10:00:00").unwrap();
        assert_eq!(r.low, utc("2020-05-01T10:00:00Z"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "80",
            "1980-1",
            "1980-13",
            "1980-02-30",
            "2020-05-01T10",
            "2020-05T10:00",
            "2020-05-01T25:00",
            "2020-05-01T10:00+2",
            "2020-05-01T10:00:5",
            "abcd",
            "2020-05-01T10:00:00.",
        ] {
            assert!(parse_date_range(bad).is_err(), "{bad}");
        }
    }
}
