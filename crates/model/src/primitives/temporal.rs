//! date, dateTime, instant and time: kept as written (partial dates such as `2020` or
//! `2020-05` are legal and meaningful), checked against the spec's patterns and the calendar.

use std::fmt;

/// Text that is not a valid date, dateTime, instant or time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a valid {type_name}")]
pub struct InvalidTemporal {
    pub type_name: &'static str,
    pub text: String,
}

/// How much of a date or dateTime was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    /// A time of day to the second or finer, always with a time zone.
    Time,
}

macro_rules! temporal_type {
    ($name:ident, $check:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub(crate) fn new_unchecked(text: String) -> Self {
                $name(text)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidTemporal;

            /// Checks the text against the type's pattern and the calendar.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                if $check(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(InvalidTemporal {
                        type_name: stringify!($name),
                        text: text.to_owned(),
                    })
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

temporal_type!(
    Date,
    check_date,
    "A FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."
);
temporal_type!(
    DateTime,
    check_date_time,
    "A FHIR `dateTime`: a partial date, or a full date and time with zone."
);
temporal_type!(
    Instant,
    check_instant,
    "A FHIR `instant`: a date and time to the second, with zone."
);
temporal_type!(
    Time,
    check_time,
    "A FHIR `time` of day: `hh:mm:ss` with optional fraction."
);

impl Date {
    pub fn precision(&self) -> Precision {
        date_precision(&self.0)
    }
}

impl DateTime {
    pub fn precision(&self) -> Precision {
        if self.0.len() > 10 {
            Precision::Time
        } else {
            date_precision(&self.0)
        }
    }
}

fn date_precision(text: &str) -> Precision {
    match text.len() {
        4 => Precision::Year,
        7 => Precision::Month,
        _ => Precision::Day,
    }
}

/// `YYYY(-MM(-DD)?)?`, year 0001..9999, month and day real.
pub(crate) fn check_date(text: &str) -> bool {
    let b = text.as_bytes();
    match b.len() {
        4 => year(b).is_some(),
        7 => year(b).is_some() && b[4] == b'-' && month(&b[5..7]).is_some(),
        10 => full_date(b),
        _ => false,
    }
}

/// A date, or a full date with `Thh:mm:ss(.f+)?` and a mandatory zone.
pub(crate) fn check_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() <= 10 {
        return check_date(text);
    }
    full_date(&b[..10]) && b[10] == b'T' && time_with_zone(&b[11..])
}

/// A full date and time with a mandatory zone.
pub(crate) fn check_instant(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 10 && full_date(&b[..10]) && b[10] == b'T' && time_with_zone(&b[11..])
}

/// `hh:mm:ss(.f+)?` without zone.
pub(crate) fn check_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 8 && clock(&b[..8]) && fraction(&b[8..])
}

fn full_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (year(b), month(&b[5..7]), two_digits(&b[8..10])) else {
        return false;
    };
    d >= 1 && d <= days_in_month(y, m)
}

fn time_with_zone(b: &[u8]) -> bool {
    if b.len() < 9 || !clock(&b[..8]) {
        return false;
    }
    let rest = &b[8..];
    let zone_at = rest
        .iter()
        .position(|&c| c == b'Z' || c == b'+' || c == b'-')
        .unwrap_or(rest.len());
    fraction(&rest[..zone_at]) && zone(&rest[zone_at..])
}

/// `hh:mm:ss` with hours 00-23, minutes 00-59, seconds 00-60 (leap second).
fn clock(b: &[u8]) -> bool {
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && matches!(two_digits(&b[0..2]), Some(h) if h <= 23)
        && matches!(two_digits(&b[3..5]), Some(m) if m <= 59)
        && matches!(two_digits(&b[6..8]), Some(s) if s <= 60)
}

/// Empty, or `.` and at least one digit.
fn fraction(b: &[u8]) -> bool {
    b.is_empty() || (b.len() > 1 && b[0] == b'.' && b[1..].iter().all(u8::is_ascii_digit))
}

/// `Z` or `(+|-)hh:mm` with hh 00-13 (any minute) or exactly 14:00.
fn zone(b: &[u8]) -> bool {
    if b == b"Z" {
        return true;
    }
    if b.len() != 6 || !(b[0] == b'+' || b[0] == b'-') || b[3] != b':' {
        return false;
    }
    match (two_digits(&b[1..3]), two_digits(&b[4..6])) {
        (Some(h), Some(m)) => (h <= 13 && m <= 59) || (h == 14 && m == 0),
        _ => false,
    }
}

fn year(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let y = digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    (y > 0).then_some(y)
}

fn month(b: &[u8]) -> Option<u32> {
    two_digits(b).filter(|m| (1..=12).contains(m))
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_calendar() {
        for ok in [
            "2020",
            "2020-05",
            "2020-05-01",
            "2024-02-29",
            "2000-02-29",
            "0001",
        ] {
            assert!(check_date(ok), "{ok}");
        }
        for bad in [
            "0000",
            "1980-13-45",
            "2021-02-29",
            "1900-02-29",
            "2020-5",
            "20",
            "2020-04-31",
        ] {
            assert!(!check_date(bad), "{bad}");
        }
    }

    #[test]
    fn date_times_need_a_zone_with_a_time() {
        for ok in [
            "2020",
            "2020-05-01T10:00:00+02:00",
            "2020-05-01T10:00:00Z",
            "2020-05-01T23:59:60.123-14:00",
            "2020-05-01T10:00:00.5+13:59",
        ] {
            assert!(check_date_time(ok), "{ok}");
        }
        for bad in [
            "2020-05-01T10:00:00",
            "2020-05-01T10:00+02:00",
            "2020-05-01T24:00:00Z",
            "2020-05-01T10:00:00.+02:00",
            "2020-05-01T10:00:00+14:30",
            "2020-05-01 10:00:00Z",
        ] {
            assert!(!check_date_time(bad), "{bad}");
        }
        assert!(!check_instant("2020-05-01"));
        assert!(check_instant("2020-05-01T10:00:00.000Z"));
        assert!(check_time("10:00:00") && check_time("23:59:59.999"));
        assert!(!check_time("10:00") && !check_time("10:00:00Z"));
    }
}
