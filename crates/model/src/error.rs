//! Parse errors that say where and what: the FHIRPath-style location of the offending element
//! and a message a person understands, ready for `OperationOutcome.issue.expression`.

use std::fmt;

/// What kind of rule the input broke; the server maps it to an OperationOutcome issue code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not JSON at all, or JSON of the wrong shape (an array where an object belongs...).
    Syntax,
    /// An element the definition does not have.
    UnknownElement,
    /// `{}`, `[]`, `""` or a `null` where FHIR forbids them.
    Empty,
    /// A primitive whose text breaks its type's rules (dates, ids, integers out of range...).
    InvalidValue,
    /// A code outside a required value set.
    InvalidCode,
    /// Two types given for one choice element, or one element given twice.
    Duplicate,
    /// `resourceType` missing, unknown or not the one expected.
    ResourceType,
}

impl ParseErrorKind {
    /// The FHIR issue-type code (http://hl7.org/fhir/issue-type) for this kind.
    pub fn issue_code(self) -> &'static str {
        match self {
            ParseErrorKind::Syntax | ParseErrorKind::UnknownElement => "structure",
            ParseErrorKind::Empty | ParseErrorKind::Duplicate => "structure",
            ParseErrorKind::InvalidValue => "value",
            ParseErrorKind::InvalidCode => "code-invalid",
            ParseErrorKind::ResourceType => "invalid",
        }
    }
}

/// A resource or datatype that is not valid FHIR R4 JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// FHIRPath-style location, e.g. `Patient.name[0].given[1]`; empty when the error concerns
    /// the document as a whole.
    pub expression: String,
    pub message: String,
    /// 1-based line and column in the input, when known (0 when not).
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.expression.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.expression, self.message)
        }
    }
}
