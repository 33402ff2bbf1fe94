//! Decimal values with the range implied by their written precision: `100` covers
//! [99.5, 100.5), `5.40` covers [5.395, 5.405), `1e2` covers [50, 150).

use thiserror::Error;

/// A decimal as written, with its value and precision range: `low` inclusive, `high`
/// exclusive (search.html#number), which the comparisons in `query::semantics` apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecimalRange {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a decimal number")]
pub struct DecimalError(pub String);

/// Parses a FHIR decimal (`-12`, `5.40`, `1.5e3`) and derives its precision range.
pub fn parse_decimal(text: &str) -> Result<DecimalRange, DecimalError> {
    let err = || DecimalError(text.to_owned());
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => {
            let exp: i32 = text
                .get(at + 1..)
                .ok_or_else(err)?
                .parse()
                .map_err(|_| err())?;
            (text.get(..at).ok_or_else(err)?, exp)
        }
        None => (text, 0),
    };
    let digits = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(err());
    }
    if digits.contains('.') && frac_part.is_empty() {
        return Err(err());
    }
    let value: f64 = text.parse().map_err(|_| err())?;
    if !value.is_finite() {
        return Err(err());
    }
    let decimals = i32::try_from(frac_part.len()).map_err(|_| err())?;
    let half = 0.5 * 10f64.powi(exponent.saturating_sub(decimals));
    Ok(DecimalRange {
        value,
        low: value - half,
        high: value + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn precision_ranges() {
        let r = parse_decimal("100").unwrap();
        assert!(close(r.low, 99.5) && close(r.high, 100.5));
        let r = parse_decimal("5.4").unwrap();
        assert!(close(r.low, 5.35) && close(r.high, 5.45));
        let r = parse_decimal("5.40").unwrap();
        assert!(close(r.low, 5.395) && close(r.high, 5.405));
        let r = parse_decimal("1e2").unwrap();
        assert!(close(r.low, 50.0) && close(r.high, 150.0));
        let r = parse_decimal("-2.5").unwrap();
        assert!(close(r.value, -2.5) && close(r.low, -2.55));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "", "abc", "1.", ".5", "1e", "1,5", "--1", "NaN", "inf", "1e999",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
    }
}
