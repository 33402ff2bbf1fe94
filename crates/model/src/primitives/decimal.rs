use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A FHIR decimal, kept exactly as written: `1.50` stays `1.50` and `2` stays `2`, because
/// the number of digits carries the precision of a measurement (datatypes.html#decimal).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal(serde_json::Number);

impl Decimal {
    /// The decimal as written in the JSON.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The value as a binary float (for comparisons that tolerate rounding, such as search).
    pub fn to_f64(&self) -> f64 {
        self.as_str().parse().unwrap_or(f64::NAN)
    }
}

impl std::str::FromStr for Decimal {
    type Err = serde_json::Error;

    /// Reads a JSON number; anything else (`1.`, `.5`, `+1`, `NaN`) is refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str::<serde_json::Number>(s).map(Decimal)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.as_str())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Number::deserialize(deserializer).map(Decimal)
    }
}
