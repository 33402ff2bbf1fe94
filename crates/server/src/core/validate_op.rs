//! `$validate` (resource-operation-validate): validation without storing, answered with an
//! OperationOutcome that lists everything found.

use super::error::FhirError;
use super::resolver::RefScope;
use super::Fhir;
use custodian_model::{json, Resource};
use custodian_validation::ValidationReport;
use serde_json::{json, Value};

/// `mode` of `$validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain validation (no mode given).
    General,
    Create,
    Update,
    Delete,
}

impl Fhir {
    /// `POST [base]/[type]/$validate` and `POST [base]/[type]/[id]/$validate`. The body is
    /// the resource, or a Parameters with `resource` and optionally `mode`. Returns the
    /// OperationOutcome; problems with the resource are issues in it, not HTTP errors.
    pub fn validate_operation(
        &self,
        resource_type: &str,
        id: Option<&str>,
        body: &[u8],
    ) -> Result<Value, FhirError> {
        self.check_type(resource_type)?;
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| FhirError::bad_request(format!("the body is not JSON: {e}")))?;
        let (resource, mode) = split_parameters(value)?;
        if mode == Mode::Delete {
            // Nothing in the resource decides whether it may be deleted; deletion is always
            // allowed by this server (history keeps every version).
            return Ok(ValidationReport::default().to_operation_outcome_json());
        }
        let Some(resource) = resource else {
            return Err(FhirError::bad_request(
                "Parameters for $validate need a 'resource' parameter",
            ));
        };
        let parsed: Resource = match json::from_value(resource.clone()) {
            Ok(r) => r,
            Err(e) => {
                let body = resource.to_string();
                return Ok(self
                    .parse_failure(e, body.as_bytes())
                    .to_operation_outcome());
            }
        };
        let mut extra = Vec::new();
        if parsed.resource_type() != resource_type {
            extra.push(issue(
                "invalid",
                &format!(
                    "the resource is a {} but the URL is for {resource_type}",
                    parsed.resource_type()
                ),
                parsed.resource_type(),
            ));
        }
        match (mode, id, parsed.id()) {
            (Mode::Update, _, None) => extra.push(issue(
                "required",
                "mode=update needs the resource's id",
                &format!("{resource_type}.id"),
            )),
            (_, Some(url_id), Some(body_id)) if url_id != body_id => extra.push(issue(
                "invalid",
                &format!("the resource's id '{body_id}' differs from the URL's id '{url_id}'"),
                &format!("{resource_type}.id"),
            )),
            _ => {}
        }
        let mut outcome = match self.validate_value(&resource, RefScope::Alone) {
            Ok(warnings) => ValidationReport { issues: warnings }.to_operation_outcome_json(),
            Err(FhirError::Invalid(report)) => report.to_operation_outcome_json(),
            Err(e) => return Err(e),
        };
        if !extra.is_empty() {
            if let Some(issues) = outcome.get_mut("issue").and_then(Value::as_array_mut) {
                issues.retain(|i| i.get("severity").and_then(Value::as_str) != Some("information"));
                issues.splice(0..0, extra);
            }
        }
        Ok(outcome)
    }
}

fn issue(code: &str, diagnostics: &str, expression: &str) -> Value {
    json!({"severity": "error", "code": code, "diagnostics": diagnostics, "expression": [expression]})
}

/// The resource and mode, from a Parameters body or a plain resource.
fn split_parameters(value: Value) -> Result<(Option<Value>, Mode), FhirError> {
    if value.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
        return Ok((Some(value), Mode::General));
    }
    let mut resource = None;
    let mut mode = Mode::General;
    for p in value
        .get("parameter")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match p.get("name").and_then(Value::as_str) {
            Some("resource") => resource = p.get("resource").cloned(),
            Some("mode") => {
                mode = match p.get("valueCode").and_then(Value::as_str) {
                    Some("create") => Mode::Create,
                    Some("update") => Mode::Update,
                    Some("delete") => Mode::Delete,
                    other => {
                        return Err(FhirError::bad_request_at(
                            format!("unknown $validate mode {other:?} (create, update or delete)"),
                            "Parameters.parameter.value",
                        ))
                    }
                }
            }
            Some("profile") => {
                return Err(FhirError::NotSupported(
                    "validation against a named profile is not supported yet".into(),
                ))
            }
            _ => {}
        }
    }
    Ok((resource, mode))
}
