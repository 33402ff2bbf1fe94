use thiserror::Error;

/// A FHIRPath expression that could not be parsed (or uses a function this subset lacks).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FhirPathError {
    #[error("unexpected character `{ch}` at offset {at}")]
    UnexpectedChar { ch: char, at: usize },
    #[error("unterminated string or identifier starting at offset {at}")]
    Unterminated { at: usize },
    #[error("unexpected token `{found}` at offset {at}, expected {expected}")]
    UnexpectedToken {
        found: String,
        at: usize,
        expected: &'static str,
    },
    #[error("unexpected end of expression, expected {expected}")]
    UnexpectedEnd { expected: &'static str },
    #[error("function `{name}` is not supported")]
    UnknownFunction { name: String },
    #[error("expression nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("expression longer than {limit} tokens")]
    TooLong { limit: usize },
    #[error("function `{name}` takes {expected} argument(s), got {got}")]
    Arity {
        name: String,
        expected: &'static str,
        got: usize,
    },
}
