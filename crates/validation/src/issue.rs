//! The output of validation: issues, the report, and its OperationOutcome form.

use serde_json::{json, Map, Value};

/// OperationOutcome.issue.severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl Severity {
    /// The FHIR code (`fatal`, `error`, `warning`, `information`).
    pub fn code(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }

    /// `fatal` and `error` block a write.
    pub fn is_error(self) -> bool {
        matches!(self, Severity::Fatal | Severity::Error)
    }
}

/// OperationOutcome.issue.code (the FHIR `issue-type` value set), the subset validation emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueType {
    Invalid,
    Structure,
    Required,
    Value,
    Invariant,
    CodeInvalid,
    NotFound,
    NotSupported,
    BusinessRule,
    Processing,
    Exception,
    Informational,
}

impl IssueType {
    /// The FHIR code, e.g. `code-invalid`.
    pub fn code(self) -> &'static str {
        match self {
            IssueType::Invalid => "invalid",
            IssueType::Structure => "structure",
            IssueType::Required => "required",
            IssueType::Value => "value",
            IssueType::Invariant => "invariant",
            IssueType::CodeInvalid => "code-invalid",
            IssueType::NotFound => "not-found",
            IssueType::NotSupported => "not-supported",
            IssueType::BusinessRule => "business-rule",
            IssueType::Processing => "processing",
            IssueType::Exception => "exception",
            IssueType::Informational => "informational",
        }
    }
}

/// One finding about one element of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueType,
    /// What is wrong, for a person. For invariants: `key: human text`.
    pub diagnostics: String,
    /// FHIRPath of the offending element, e.g. `Patient.name[0].given[1]`.
    pub expression: String,
    /// The invariant key (`pat-1`, `bdl-3`, ...) when the issue is a broken constraint.
    pub invariant: Option<&'static str>,
}

impl Issue {
    /// An issue found outside the validator (e.g. a bulk load's own checks).
    pub fn new(
        severity: Severity,
        code: IssueType,
        expression: impl Into<String>,
        diagnostics: impl Into<String>,
    ) -> Self {
        Issue {
            severity,
            code,
            diagnostics: diagnostics.into(),
            expression: expression.into(),
            invariant: None,
        }
    }

    pub(crate) fn error(
        code: IssueType,
        expression: impl Into<String>,
        diagnostics: impl Into<String>,
    ) -> Self {
        Issue::new(Severity::Error, code, expression, diagnostics)
    }

    pub(crate) fn warning(
        code: IssueType,
        expression: impl Into<String>,
        diagnostics: impl Into<String>,
    ) -> Self {
        Issue::new(Severity::Warning, code, expression, diagnostics)
    }

    /// This issue as one `OperationOutcome.issue` entry.
    pub fn to_json(&self) -> Value {
        let mut issue = Map::new();
        issue.insert("severity".into(), Value::from(self.severity.code()));
        issue.insert("code".into(), Value::from(self.code.code()));
        if let Some(key) = self.invariant {
            issue.insert(
                "details".into(),
                json!({ "coding": [{ "system": "http://hl7.org/fhir/StructureDefinition/invariant-key", "code": key }], "text": key }),
            );
        }
        issue.insert("diagnostics".into(), Value::from(self.diagnostics.clone()));
        if !self.expression.is_empty() {
            issue.insert("expression".into(), json!([self.expression]));
        }
        Value::Object(issue)
    }
}

/// Every issue found in one resource (all of them, not only the first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    pub issues: Vec<Issue>,
}

impl ValidationReport {
    /// True when any issue is `error` or `fatal`: the write must be refused.
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity.is_error())
    }

    /// Issues of severity `error` or `fatal`.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity.is_error())
    }

    /// Issues of severity `warning`.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }

    /// The HTTP status a write should answer with: 200 when there is no error; 500 when
    /// validation itself failed (`exception`, e.g. the reference resolver); 400 when an error is
    /// structural (`structure`, `required` cardinality, `invalid`); otherwise 422 (values, codes,
    /// invariants, references: business rules).
    pub fn http_status(&self) -> u16 {
        let mut status = 200;
        for issue in self.errors() {
            let this = match issue.code {
                IssueType::Exception => 500,
                IssueType::Structure | IssueType::Required | IssueType::Invalid => 400,
                _ => 422,
            };
            status = match (status, this) {
                (500, _) | (_, 500) => 500,
                (400, _) | (_, 400) => 400,
                _ => this,
            };
        }
        status
    }

    /// The report as a FHIR OperationOutcome. A clean report gives one `information` issue
    /// ("no issues"), as `$validate` answers.
    pub fn to_operation_outcome_json(&self) -> Value {
        let issues: Vec<Value> = if self.issues.is_empty() {
            vec![json!({
                "severity": "information",
                "code": "informational",
                "diagnostics": "No issues detected during validation"
            })]
        } else {
            self.issues.iter().map(Issue::to_json).collect()
        };
        json!({ "resourceType": "OperationOutcome", "issue": issues })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_outcome_lists_every_issue_with_expression_and_key() {
        let mut issue = Issue::error(IssueType::Invariant, "Patient.contact[0]", "pat-1: text");
        issue.invariant = Some("pat-1");
        let report = ValidationReport {
            issues: vec![
                issue,
                Issue::warning(IssueType::Invariant, "Patient", "dom-6: narrative"),
            ],
        };
        let oo = report.to_operation_outcome_json();
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "invariant");
        assert_eq!(oo["issue"][0]["expression"][0], "Patient.contact[0]");
        assert_eq!(oo["issue"][0]["details"]["coding"][0]["code"], "pat-1");
        assert_eq!(oo["issue"][1]["severity"], "warning");
        assert!(report.has_errors());
        assert_eq!(report.http_status(), 422);
    }

    #[test]
    fn clean_report_says_no_issues() {
        let oo = ValidationReport::default().to_operation_outcome_json();
        assert_eq!(oo["issue"][0]["severity"], "information");
        assert_eq!(ValidationReport::default().http_status(), 200);
    }

    #[test]
    fn structure_errors_map_to_400() {
        let report = ValidationReport {
            issues: vec![
                Issue::error(IssueType::Invariant, "Patient", "x"),
                Issue::error(IssueType::Required, "Encounter.status", "y"),
            ],
        };
        assert_eq!(report.http_status(), 400);
    }
}
