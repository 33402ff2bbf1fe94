//! What each prefix means on the index columns, as data the store can turn into SQL
//! mechanically (and a reference `holds` implementation to test the SQL against).
//!
//! Dates compare the indexed range `[low, high]` with the search range (search.html §2.1.1.4):
//! `eq` the search range contains the indexed range, `ne` it does not, `gt`/`lt` the indexed
//! range reaches past the search range's end/start, `ge`/`le` likewise including it, `sa`/`eb`
//! the indexed range lies wholly after/before, `ap` the ranges overlap once the search range is
//! widened by 10% of its distance from now (at least one day).
//!
//! Numbers and quantities compare the indexed `value`: `eq`/`ne`/`ap` against the search
//! value's precision range (`ap` widened by 10% of the value), `gt`/`lt`/`ge`/`le` against the
//! search value itself, `sa`/`eb` against the precision range's end/start.

use super::ast::Prefix;

/// An index column of the date, number or quantity tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Low,
    High,
    Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// `column cmp value`, e.g. `high >= 315532800000000`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound<T> {
    pub column: Column,
    pub cmp: Cmp,
    pub value: T,
}

/// A conjunction of bounds, possibly negated (for `ne`).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeMatch<T> {
    pub negated: bool,
    pub all: Vec<Bound<T>>,
}

impl<T: PartialOrd + Copy> RangeMatch<T> {
    fn all(bounds: Vec<Bound<T>>) -> Self {
        RangeMatch {
            negated: false,
            all: bounds,
        }
    }

    /// Whether an index row with these columns matches (the reference semantics).
    pub fn holds(&self, low: T, high: T, value: T) -> bool {
        let each = self.all.iter().all(|b| {
            let x = match b.column {
                Column::Low => low,
                Column::High => high,
                Column::Value => value,
            };
            match b.cmp {
                Cmp::Lt => x < b.value,
                Cmp::Le => x <= b.value,
                Cmp::Gt => x > b.value,
                Cmp::Ge => x >= b.value,
            }
        });
        each != self.negated
    }
}

fn bound<T>(column: Column, cmp: Cmp, value: T) -> Bound<T> {
    Bound { column, cmp, value }
}

const DAY_MICROS: i64 = 86_400_000_000;

/// The bounds a date search value `prefix[low, high]` puts on the `low`/`high` columns.
/// `now` (microseconds since the epoch) only matters for `ap`.
pub fn date_match(prefix: Prefix, low: i64, high: i64, now: i64) -> RangeMatch<i64> {
    use {Cmp::*, Column::*};
    match prefix {
        Prefix::Eq => RangeMatch::all(vec![bound(Low, Ge, low), bound(High, Le, high)]),
        Prefix::Ne => RangeMatch {
            negated: true,
            all: vec![bound(Low, Ge, low), bound(High, Le, high)],
        },
        Prefix::Gt => RangeMatch::all(vec![bound(High, Gt, high)]),
        Prefix::Lt => RangeMatch::all(vec![bound(Low, Lt, low)]),
        Prefix::Ge => RangeMatch::all(vec![bound(High, Ge, low)]),
        Prefix::Le => RangeMatch::all(vec![bound(Low, Le, high)]),
        Prefix::Sa => RangeMatch::all(vec![bound(Low, Gt, high)]),
        Prefix::Eb => RangeMatch::all(vec![bound(High, Lt, low)]),
        Prefix::Ap => {
            let distance = now
                .saturating_sub(low)
                .unsigned_abs()
                .max(now.saturating_sub(high).unsigned_abs());
            let slack = i64::try_from(distance / 10)
                .unwrap_or(i64::MAX)
                .max(DAY_MICROS);
            RangeMatch::all(vec![
                bound(Low, Le, high.saturating_add(slack)),
                bound(High, Ge, low.saturating_sub(slack)),
            ])
        }
    }
}

/// The bounds a number or quantity search value puts on the `value` column.
pub fn number_match(prefix: Prefix, value: f64, low: f64, high: f64) -> RangeMatch<f64> {
    use {Cmp::*, Column::*};
    // The implicit range of the written precision excludes its upper end (search.html#number:
    // `100` is 99.5 <= value < 100.5).
    let implicit = |lo: f64, hi: f64| vec![bound(Value, Ge, lo), bound(Value, Lt, hi)];
    let within = |lo: f64, hi: f64| vec![bound(Value, Ge, lo), bound(Value, Le, hi)];
    match prefix {
        Prefix::Eq => RangeMatch::all(implicit(low, high)),
        Prefix::Ne => RangeMatch {
            negated: true,
            all: implicit(low, high),
        },
        Prefix::Gt => RangeMatch::all(vec![bound(Value, Gt, value)]),
        Prefix::Lt => RangeMatch::all(vec![bound(Value, Lt, value)]),
        Prefix::Ge => RangeMatch::all(vec![bound(Value, Ge, value)]),
        Prefix::Le => RangeMatch::all(vec![bound(Value, Le, value)]),
        Prefix::Sa => RangeMatch::all(vec![bound(Value, Ge, high)]),
        Prefix::Eb => RangeMatch::all(vec![bound(Value, Lt, low)]),
        Prefix::Ap => {
            let slack = (value.abs() * 0.1).max(high - low);
            RangeMatch::all(within(value - slack, value + slack))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::parse_date_range;

    fn r(s: &str) -> (i64, i64) {
        let r = parse_date_range(s).unwrap();
        (r.low, r.high)
    }

    /// Whether the indexed date `indexed` matches `prefix search`.
    fn date(prefix: Prefix, search: &str, indexed: &str) -> bool {
        let (sl, sh) = r(search);
        let (il, ih) = r(indexed);
        date_match(prefix, sl, sh, r("2025-01-01").0).holds(il, ih, il)
    }

    #[test]
    fn date_prefix_boundaries() {
        use Prefix::*;
        // eq: contained in the search range, at both precision edges.
        assert!(date(Eq, "1980", "1980-01-01"));
        assert!(date(Eq, "1980", "1980-12-31T23:59:59Z"));
        assert!(!date(Eq, "1980", "1981-01-01"));
        assert!(
            !date(Eq, "1980-06-01", "1980"),
            "a year is not within a day"
        );
        assert!(date(Ne, "1980", "1981-01-01") && !date(Ne, "1980", "1980-05"));
        assert!(date(Gt, "1980", "1981-01-01") && !date(Gt, "1980", "1980-12-31"));
        assert!(date(Lt, "1980", "1979-12-31") && !date(Lt, "1980", "1980-01-01"));
        assert!(
            date(Ge, "1980", "1980-01-01")
                && date(Ge, "1980", "1990")
                && !date(Ge, "1980", "1979-12-31")
        );
        assert!(date(Le, "1980", "1980-12-31") && !date(Le, "1980", "1981-01-01"));
        // sa/eb: wholly after/before; an overlapping range is neither.
        assert!(date(Sa, "1980", "1981") && !date(Sa, "1980-12-31", "1980"));
        assert!(date(Eb, "1980", "1979") && !date(Eb, "1980-01-01", "1980"));
        assert!(date(Ap, "2024-12-25", "2024-12-24"));
        assert!(!date(Ap, "2024-12-25", "2020"));
    }

    #[test]
    fn open_periods() {
        let (sl, sh) = r("2024");
        let m = date_match(Prefix::Ge, sl, sh, 0);
        assert!(
            m.holds(i64::MIN, i64::MAX, 0),
            "an open period reaches every date"
        );
        assert!(!date_match(Prefix::Eq, sl, sh, 0).holds(sl, i64::MAX, 0));
    }

    #[test]
    fn number_prefix_boundaries() {
        use Prefix::*;
        let m = |p, v| number_match(p, 100.0, 99.5, 100.5).holds(v, v, v);
        // [99.5, 100.5): the upper end is excluded (search.html#number).
        assert!(m(Eq, 99.5) && m(Eq, 100.49) && !m(Eq, 100.5) && !m(Eq, 99.4));
        assert!(m(Ne, 101.0) && m(Ne, 100.5) && !m(Ne, 100.2));
        assert!(m(Gt, 100.1) && !m(Gt, 100.0));
        assert!(m(Ge, 100.0) && !m(Ge, 99.9));
        assert!(m(Lt, 99.9) && !m(Lt, 100.0));
        assert!(m(Le, 100.0) && !m(Le, 100.1));
        assert!(m(Sa, 100.6) && m(Sa, 100.5) && !m(Sa, 100.4));
        assert!(m(Eb, 99.4) && !m(Eb, 99.5));
        assert!(m(Ap, 109.0) && !m(Ap, 111.0));
    }
}
