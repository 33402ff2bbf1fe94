//! Typed values of one parameter occurrence: OR'ed on unescaped commas, then parsed by the
//! parameter's type and modifier.

use crate::datetime::parse_date_range;
use crate::decimal::parse_decimal;
use crate::fhirpath::reference_type;
use crate::normalize::normalize;
use crate::registry::{SearchParamDef, SearchParamType};

use super::ast::{Modifier, Prefix, SearchValue, TokenSystem};
use super::error::QueryError;
use super::escape::{split_unescaped, unescape};

/// Parses `raw` (one occurrence's value) into OR'ed values.
pub(crate) fn parse_values(
    def: &SearchParamDef,
    modifier: Option<&Modifier>,
    param: &str,
    raw: &str,
) -> Result<Vec<SearchValue>, QueryError> {
    let invalid = |value: &str, reason: &str| QueryError::InvalidValue {
        param: param.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let mut values = Vec::new();
    for part in split_unescaped(raw, ',') {
        if part.is_empty() {
            return Err(invalid(raw, "empty value"));
        }
        let value = match (modifier, def.param_type) {
            (Some(Modifier::Missing), _) => match part {
                "true" => SearchValue::Missing(true),
                "false" => SearchValue::Missing(false),
                _ => return Err(invalid(part, ":missing takes true or false")),
            },
            (_, SearchParamType::String) => {
                let value = unescape(part);
                SearchValue::String {
                    normalized: normalize(&value),
                    value,
                }
            }
            (Some(Modifier::In | Modifier::NotIn), SearchParamType::Token) => {
                SearchValue::Uri(unescape(part))
            }
            (Some(Modifier::Text), SearchParamType::Token) => {
                let value = unescape(part);
                SearchValue::Text {
                    normalized: normalize(&value),
                    value,
                }
            }
            (_, SearchParamType::Token) => {
                let (system, code) = token(part)
                    .ok_or_else(|| invalid(part, "expected code, system|code, |code or system|"))?;
                SearchValue::Token { system, code }
            }
            (Some(Modifier::Identifier), SearchParamType::Reference) => {
                let (system, value) =
                    token(part).ok_or_else(|| invalid(part, "expected system|value or value"))?;
                SearchValue::Identifier { system, value }
            }
            (_, SearchParamType::Reference) => {
                reference(def, modifier, &unescape(part)).map_err(|r| invalid(part, &r))?
            }
            (_, SearchParamType::Date) => {
                let (prefix, rest) = prefix(part);
                let r = parse_date_range(rest).map_err(|e| invalid(part, &e.to_string()))?;
                SearchValue::Date {
                    prefix,
                    low: r.low,
                    high: r.high,
                    precision: r.precision,
                }
            }
            (_, SearchParamType::Number) => {
                let (prefix, rest) = prefix(part);
                let d = parse_decimal(rest).map_err(|e| invalid(part, &e.to_string()))?;
                SearchValue::Number {
                    prefix,
                    value: d.value,
                    low: d.low,
                    high: d.high,
                }
            }
            (_, SearchParamType::Quantity) => quantity(part).map_err(|r| invalid(part, &r))?,
            (_, SearchParamType::Uri) => SearchValue::Uri(unescape(part)),
            (_, SearchParamType::Composite | SearchParamType::Special) => {
                return Err(QueryError::NotSupported {
                    param: param.to_owned(),
                    reason: format!("{} parameters are not supported", def.param_type.as_str()),
                })
            }
        };
        values.push(value);
    }
    Ok(values)
}

/// Splits a recognised two-letter prefix off a number, date or quantity value.
fn prefix(value: &str) -> (Prefix, &str) {
    for (text, p) in Prefix::ALL {
        if let Some(rest) = value.strip_prefix(text) {
            return (p, rest);
        }
    }
    (Prefix::Eq, value)
}

/// `code`, `system|code`, `|code` or `system|`.
fn token(part: &str) -> Option<(TokenSystem, Option<String>)> {
    let pieces = split_unescaped(part, '|');
    match pieces.as_slice() {
        [code] => Some((TokenSystem::Any, Some(unescape(code)))),
        ["", ""] => None,
        ["", code] => Some((TokenSystem::NoSystem, Some(unescape(code)))),
        [system, ""] => Some((TokenSystem::Is(unescape(system)), None)),
        [system, code] => Some((TokenSystem::Is(unescape(system)), Some(unescape(code)))),
        _ => None,
    }
}

/// `number`, `number|system|code`, `number||code`.
fn quantity(part: &str) -> Result<SearchValue, String> {
    let pieces = split_unescaped(part, '|');
    let (number, system, code) = match pieces.as_slice() {
        [n] => (*n, None, None),
        [n, s, c] => {
            let opt = |s: &str| (!s.is_empty()).then(|| unescape(s));
            (*n, opt(s), opt(c))
        }
        _ => return Err("expected number, number|system|code or number||code".to_owned()),
    };
    let (prefix, rest) = prefix(number);
    let d = parse_decimal(rest).map_err(|e| e.to_string())?;
    Ok(SearchValue::Quantity {
        prefix,
        value: d.value,
        low: d.low,
        high: d.high,
        system,
        code,
    })
}

/// `Type/id[/_history/v]`, a bare `id`, or an absolute URL.
fn reference(
    def: &SearchParamDef,
    modifier: Option<&Modifier>,
    value: &str,
) -> Result<SearchValue, String> {
    let modifier_type = match modifier {
        Some(Modifier::Type(t)) => Some(t.as_str()),
        _ => None,
    };
    let (path, version) = match value.split_once("/_history/") {
        Some((p, v)) if !v.is_empty() => (p, Some(v.to_owned())),
        _ => (value, None),
    };
    let absolute = value.contains("://") || value.starts_with("urn:");
    let typed = reference_type(path);
    let (target_type, id) = match typed {
        Some(t) => (
            Some(t.to_owned()),
            path.rsplit('/').next().map(str::to_owned),
        ),
        None if absolute => (None, None),
        None if value.contains('/') => {
            return Err("expected Type/id, an id or an absolute URL".to_owned())
        }
        None => {
            let single = match def.targets.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            };
            (
                modifier_type.map(str::to_owned).or(single),
                Some(value.to_owned()),
            )
        }
    };
    if let (Some(m), Some(t)) = (modifier_type, target_type.as_deref()) {
        if m != t {
            return Err(format!(
                "the value's type {t} contradicts the modifier :{m}"
            ));
        }
    }
    if let Some(t) = target_type.as_deref() {
        if !absolute && !allows_target(def, t) {
            return Err(format!("{t} is not a target of this parameter"));
        }
    }
    Ok(SearchValue::Reference {
        target_type,
        id,
        version,
        url: absolute.then(|| value.to_owned()),
    })
}

/// Whether a reference parameter may point at `target` (any type when no targets are listed).
pub(crate) fn allows_target(def: &SearchParamDef, target: &str) -> bool {
    def.targets.is_empty() || def.targets.iter().any(|t| t == target || t == "Resource")
}
