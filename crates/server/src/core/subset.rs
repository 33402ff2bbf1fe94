//! `_summary` and `_elements`: a subset of a stored resource, marked SUBSETTED (search.html).

use super::error::FhirError;
use custodian_model::{mandatory_elements, summary_elements};
use custodian_search::query::base_element_name;
use serde_json::{json, Map, Value};

/// Which part of each resource to return.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Subset {
    #[default]
    All,
    /// `_summary=true`: the elements marked isSummary.
    Summary,
    /// `_summary=text`: text, id, meta and mandatory elements.
    Text,
    /// `_summary=data`: everything but text.
    Data,
    /// `_elements=a,b`: those, plus id, meta and mandatory elements.
    Elements(Vec<String>),
}

impl Subset {
    /// Reads `_summary` and `_elements` of a read of `resource_type` (search passes them
    /// through its parser).
    pub fn from_query(
        resource_type: &str,
        pairs: &[(String, String)],
    ) -> Result<Subset, FhirError> {
        let mut subset = Subset::All;
        for (name, value) in pairs {
            match name.as_str() {
                "_summary" => {
                    subset = match value.as_str() {
                        "true" => Subset::Summary,
                        "text" => Subset::Text,
                        "data" => Subset::Data,
                        "false" => Subset::All,
                        other => {
                            return Err(FhirError::bad_request(format!(
                                "_summary '{other}' is not one of true, text, data, false (count is for searches)"
                            )))
                        }
                    }
                }
                "_elements" => {
                    let names = value
                        .split(',')
                        .map(|e| {
                            base_element_name(resource_type, e).map(str::to_owned).ok_or_else(|| {
                                FhirError::bad_request(format!(
                                    "_elements '{e}' is not a base element name such as name or birthDate"
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    subset = Subset::Elements(names);
                }
                _ => {}
            }
        }
        Ok(subset)
    }

    /// The subset of a stored body (unchanged text when nothing is removed).
    pub fn apply(&self, resource_type: &str, body: String) -> Result<String, FhirError> {
        if *self == Subset::All {
            return Ok(body);
        }
        let Value::Object(resource) = serde_json::from_str::<Value>(&body)
            .map_err(|e| FhirError::Internal(format!("stored body is not JSON: {e}")))?
        else {
            return Err(FhirError::Internal("stored body is not an object".into()));
        };
        let mandatory = mandatory_elements(resource_type).unwrap_or_default();
        let summary = summary_elements(resource_type).unwrap_or_default();
        let keep = |key: &str| -> bool {
            let base = key.strip_prefix('_').unwrap_or(key);
            if matches!(base, "resourceType" | "id" | "meta") || matches_any(base, mandatory) {
                return true;
            }
            match self {
                Subset::All => true,
                Subset::Summary => matches_any(base, summary),
                Subset::Text => base == "text",
                Subset::Data => base != "text",
                Subset::Elements(list) => list.iter().any(|e| element_matches(base, e)),
            }
        };
        let mut out = Map::new();
        for (key, value) in resource {
            if keep(&key) {
                out.insert(key, value);
            }
        }
        mark_subsetted(&mut out);
        Ok(Value::Object(out).to_string())
    }
}

fn matches_any(key: &str, names: &[&str]) -> bool {
    names.iter().any(|n| element_matches(key, n))
}

/// `deceasedBoolean` matches `deceased[x]` and `deceased`; `name` matches `name`.
fn element_matches(key: &str, name: &str) -> bool {
    let base = name.strip_suffix("[x]").unwrap_or(name);
    key == base
        || key
            .strip_prefix(base)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase())
}

fn mark_subsetted(resource: &mut Map<String, Value>) {
    let tag = json!({
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
        "display": "subsetted"
    });
    let meta = resource
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        match meta.get_mut("tag") {
            Some(Value::Array(tags)) => tags.push(tag),
            _ => {
                meta.insert("tag".to_owned(), Value::Array(vec![tag]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT: &str = r#"{"resourceType":"Patient","id":"a","meta":{"versionId":"1"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},"name":[{"family":"Ng"}],"gender":"female","photo":[{"contentType":"image/png"}],"deceasedBoolean":false,"contact":[{"gender":"male"}]}"#;

    #[test]
    fn summary_keeps_summary_elements_and_marks_the_subset() {
        let out: Value =
            serde_json::from_str(&Subset::Summary.apply("Patient", PATIENT.into()).unwrap())
                .unwrap();
        assert_eq!(out["name"][0]["family"], "Ng");
        assert_eq!(out["deceasedBoolean"], false);
        assert!(
            out.get("photo").is_none() && out.get("contact").is_none() && out.get("text").is_none()
        );
        assert_eq!(out["meta"]["tag"][0]["code"], "SUBSETTED");
    }

    #[test]
    fn elements_and_text_and_data() {
        let e = Subset::Elements(vec!["gender".into()]);
        let out: Value =
            serde_json::from_str(&e.apply("Patient", PATIENT.into()).unwrap()).unwrap();
        assert_eq!(out["gender"], "female");
        assert!(out.get("name").is_none());
        assert_eq!(out["id"], "a");
        let out: Value =
            serde_json::from_str(&Subset::Data.apply("Patient", PATIENT.into()).unwrap()).unwrap();
        assert!(out.get("text").is_none() && out.get("contact").is_some());
        let out: Value =
            serde_json::from_str(&Subset::Text.apply("Patient", PATIENT.into()).unwrap()).unwrap();
        assert!(out.get("text").is_some() && out.get("name").is_none());
    }
}
