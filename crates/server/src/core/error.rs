//! Every way a FHIR interaction can fail, with the HTTP status and OperationOutcome issue each
//! one answers with. The HTTP layer only renders these.

use custodian_model::ParseError;
use custodian_store::StoreError;
use custodian_validation::ValidationReport;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    /// The body is not valid FHIR JSON of the modelled type.
    #[error("invalid resource: {0}")]
    Parse(ParseError),
    /// The body breaks the JSON rules (`first`), and validation found more (`others`): all
    /// are reported at once.
    #[error("invalid resource: {first}")]
    ParseAll {
        first: ParseError,
        others: Vec<custodian_validation::Issue>,
    },
    /// Validation found errors; the report lists every issue.
    #[error("the resource failed validation")]
    Invalid(ValidationReport),
    /// Malformed request: bad parameter, id mismatch, wrong resourceType...
    #[error("{message}")]
    BadRequest {
        message: String,
        expression: Option<String>,
    },
    /// The request would cost too much to answer (too many search conditions...).
    #[error("{0}")]
    TooCostly(String),
    /// The request is understood but asks for something this server does not do.
    #[error("{0}")]
    NotSupported(String),
    #[error("resource type '{0}' is not supported")]
    UnknownType(String),
    #[error("{resource_type}/{id} not found")]
    NotFound { resource_type: String, id: String },
    #[error("{resource_type}/{id} is deleted")]
    Gone { resource_type: String, id: String },
    /// `If-Match` (or a version-aware update) named a version that is not current.
    #[error("version conflict: {0}")]
    VersionConflict(String),
    /// A conditional interaction matched more than one resource.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The write collides with the stored state (e.g. a duplicate id).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    /// A bug or an unavailable database: logged with the request id, never shown in detail.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("the database is unavailable")]
    Unavailable(String),
}

impl FhirError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        FhirError::BadRequest {
            message: message.into(),
            expression: None,
        }
    }

    pub fn bad_request_at(message: impl Into<String>, expression: impl Into<String>) -> Self {
        FhirError::BadRequest {
            message: message.into(),
            expression: Some(expression.into()),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            FhirError::Parse(_)
            | FhirError::ParseAll { .. }
            | FhirError::BadRequest { .. }
            | FhirError::TooCostly(_)
            | FhirError::NotSupported(_) => 400,
            FhirError::Invalid(report) => match report.http_status() {
                200 => 400,
                s => s,
            },
            FhirError::UnknownType(_) | FhirError::NotFound { .. } => 404,
            FhirError::MethodNotAllowed(_) => 405,
            FhirError::NotAcceptable(_) => 406,
            FhirError::Conflict(_) => 409,
            FhirError::Gone { .. } => 410,
            FhirError::VersionConflict(_) | FhirError::PreconditionFailed(_) => 412,
            FhirError::PayloadTooLarge(_) => 413,
            FhirError::UnsupportedMediaType(_) => 415,
            FhirError::Unprocessable(_) => 422,
            FhirError::Internal(_) => 500,
            FhirError::Unavailable(_) => 503,
        }
    }

    /// Whether the error is the server's fault (logged at error level).
    pub fn is_server_error(&self) -> bool {
        self.status() >= 500
    }

    /// The OperationOutcome body.
    pub fn to_operation_outcome(&self) -> Value {
        match self {
            FhirError::Invalid(report) => report.to_operation_outcome_json(),
            FhirError::Parse(e) => outcome(
                e.kind.issue_code(),
                &e.message,
                Some(e.expression.as_str()).filter(|x| !x.is_empty()),
            ),
            FhirError::ParseAll { first, others } => {
                let mut oo = FhirError::Parse(first.clone()).to_operation_outcome();
                if let Some(issues) = oo.get_mut("issue").and_then(Value::as_array_mut) {
                    issues.extend(others.iter().map(custodian_validation::Issue::to_json));
                }
                oo
            }
            FhirError::BadRequest {
                message,
                expression,
            } => outcome("invalid", message, expression.as_deref()),
            FhirError::NotSupported(m) => outcome("not-supported", m, None),
            FhirError::TooCostly(m) => outcome("too-costly", m, None),
            FhirError::UnknownType(_) => outcome("not-supported", &self.to_string(), None),
            FhirError::NotFound { .. } => outcome("not-found", &self.to_string(), None),
            FhirError::Gone { .. } => outcome("deleted", &self.to_string(), None),
            FhirError::VersionConflict(_) | FhirError::Conflict(_) => {
                outcome("conflict", &self.to_string(), None)
            }
            FhirError::PreconditionFailed(m) => outcome("multiple-matches", m, None),
            FhirError::Unprocessable(m) => outcome("business-rule", m, None),
            FhirError::NotAcceptable(m) | FhirError::UnsupportedMediaType(m) => {
                outcome("not-supported", m, None)
            }
            FhirError::PayloadTooLarge(_) => outcome("too-costly", &self.to_string(), None),
            FhirError::MethodNotAllowed(_) => outcome("not-supported", &self.to_string(), None),
            // No internals in the body: the log has them, under the request id.
            FhirError::Internal(_) => outcome(
                "exception",
                "internal server error; the server log has the details under this request's id",
                None,
            ),
            FhirError::Unavailable(_) => outcome("transient", "the database is unavailable", None),
        }
    }
}

/// A one-issue OperationOutcome of severity error.
pub fn outcome(code: &str, diagnostics: &str, expression: Option<&str>) -> Value {
    let mut issue = json!({ "severity": "error", "code": code, "diagnostics": diagnostics });
    if let Some(expression) = expression {
        issue["expression"] = json!([expression]);
    }
    json!({ "resourceType": "OperationOutcome", "issue": [issue] })
}

/// A one-issue informational OperationOutcome (`Prefer: return=OperationOutcome`, deletes).
pub fn information(diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "information", "code": "informational", "diagnostics": diagnostics }]
    })
}

impl From<ParseError> for FhirError {
    fn from(e: ParseError) -> Self {
        FhirError::Parse(e)
    }
}

impl From<StoreError> for FhirError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            return FhirError::Unavailable(e.to_string());
        }
        match e {
            StoreError::NotFound { resource_type, id } => FhirError::NotFound { resource_type, id },
            StoreError::Gone {
                resource_type, id, ..
            } => FhirError::Gone { resource_type, id },
            StoreError::VersionConflict { expected, actual } => {
                FhirError::VersionConflict(match actual {
                    Some(actual) => format!(
                        "If-Match expects version {expected}, the current version is {actual}"
                    ),
                    None => format!(
                        "If-Match expects version {expected}, but the resource does not exist"
                    ),
                })
            }
            StoreError::MultipleMatches { count } => FhirError::PreconditionFailed(format!(
                "at least {count} resources match the conditional criteria; exactly one is required"
            )),
            StoreError::Duplicate(m) => FhirError::Conflict(m),
            StoreError::InvalidId(id) => {
                FhirError::bad_request(format!("invalid id {id:?}: 1 to 64 of A-Z a-z 0-9 - ."))
            }
            StoreError::InvalidType(t) => FhirError::UnknownType(t),
            StoreError::InvalidCursor => FhirError::bad_request("invalid or expired paging link"),
            StoreError::UnsupportedSearch(m) => FhirError::NotSupported(m),
            StoreError::Contention(m) => FhirError::Conflict(format!(
                "a concurrent write to the same resource won; retry the request ({m})"
            )),
            StoreError::Connect(e) => FhirError::Unavailable(e.to_string()),
            StoreError::Pool(e) => FhirError::Unavailable(e.to_string()),
            other => FhirError::Internal(other.to_string()),
        }
    }
}
