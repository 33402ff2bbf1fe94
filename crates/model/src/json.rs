//! Entry points: FHIR JSON in, FHIR JSON out.

use crate::error::{ParseError, ParseErrorKind};
use crate::path;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses FHIR JSON into a resource (`Resource`) or any generated type.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    // One UTF-8 check of the whole document is much cheaper than serde_json's check of each
    // string in it, which is what reading from a byte slice costs.
    match std::str::from_utf8(bytes) {
        Ok(text) => from_str(text),
        Err(e) => {
            path::reset();
            Err(ParseError {
                kind: ParseErrorKind::Syntax,
                expression: String::new(),
                message: format!("the body is not UTF-8 text ({e})"),
                line: 0,
                column: 0,
            })
        }
    }
}

/// Parses FHIR JSON text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    path::reset();
    serde_json::from_str(text).map_err(parse_error)
}

/// Reads a type from an already parsed JSON value (e.g. after a JSON Patch).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ParseError> {
    path::reset();
    serde_json::from_value(value).map_err(parse_error)
}

/// Writes compact FHIR JSON.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value)
}

/// Writes indented FHIR JSON (`_pretty=true`).
pub fn to_vec_pretty<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec_pretty(value)
}

/// Writes a FHIR JSON value tree (for callers that edit JSON generically).
pub fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(value)
}

fn parse_error(e: serde_json::Error) -> ParseError {
    let (expression, mut kind) = path::take();
    if matches!(
        e.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    ) {
        kind = ParseErrorKind::Syntax;
    }
    let (line, column) = (e.line(), e.column());
    let mut message = e.to_string();
    let suffix = format!(" at line {line} column {column}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_owned();
    }
    ParseError {
        kind,
        expression,
        message,
        line,
        column,
    }
}
