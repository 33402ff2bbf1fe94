//! The search parameter registry, built once from the official SearchParameter definitions
//! (`fhir-schemas/SearchParameter/search-parameters.json`), never hand-written per resource.
//!
//! Entries marked `experimental` in the package are skipped: they are the spec's examples and
//! extension-based parameters (`example`, `patient-extensions-Patient-age`, ...), several of
//! which would otherwise shadow the core definitions (`Condition.subject`, `_id`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;
use thiserror::Error;

use crate::fhirpath::{self, Expr};

const DEFINITIONS: &str =
    include_str!("../../../fhir-schemas/SearchParameter/search-parameters.json");

/// Resource-level parameters the server recognises but does not implement, with the reason.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "_text",
        "full-text search on the narrative is not supported",
    ),
    (
        "_content",
        "full-text search on the content is not supported",
    ),
    ("_query", "named queries are not supported"),
    ("_list", "list-based search is not supported"),
    (
        "_filter",
        "the _filter expression language is not supported",
    ),
    (
        "_has",
        "reverse chaining must name a type, parameter and target: _has:Type:param:target",
    ),
];

/// A SearchParameter's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchParamType {
    Number,
    Date,
    String,
    Token,
    Reference,
    Composite,
    Quantity,
    Uri,
    Special,
}

impl SearchParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchParamType::Number => "number",
            SearchParamType::Date => "date",
            SearchParamType::String => "string",
            SearchParamType::Token => "token",
            SearchParamType::Reference => "reference",
            SearchParamType::Composite => "composite",
            SearchParamType::Quantity => "quantity",
            SearchParamType::Uri => "uri",
            SearchParamType::Special => "special",
        }
    }
}

/// One component of a composite parameter: the component parameter's canonical URL and the
/// expression, relative to the composite's own expression.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Component {
    pub definition: String,
    pub expression: String,
}

/// One search parameter as it applies to one resource type.
#[derive(Debug, Clone)]
pub struct SearchParamDef {
    pub code: String,
    /// The parameter whose index rows hold this one's values: its own code, or the first
    /// (by code) of the type's parameters with the same expression and type, whose rows are
    /// identical (Patient's `phonetic` is `Patient.name`, like `name`: it uses `name`'s
    /// rows, three fewer per Patient). Queries and extraction use it, never `code`.
    pub index_code: String,
    /// For a string parameter over HumanName or Address: the parts whose values another
    /// parameter's rows already hold, as (field, that parameter's code). Patient's `name` is
    /// `Patient.name` and `family` is `Patient.name.family`: `name` does not write its family
    /// and given values again, and a `name` search reads `family`'s and `given`'s rows too
    /// (five string rows fewer for a Patient with one name and one address). Empty for a
    /// parameter with `index_code` not its own (it reads its `index_code`'s parts).
    pub parts: Vec<(String, String)>,
    pub url: String,
    pub param_type: SearchParamType,
    /// The definition's human description (for the CapabilityStatement).
    pub description: Option<String>,
    /// The type this entry applies to (`Patient`), or `Resource` for resource-level ones.
    pub base: String,
    /// The FHIRPath expression restricted to the branches for `base`.
    pub expression: Option<String>,
    /// `expression` parsed; `None` when absent or unparseable (see `expression_error`).
    pub compiled: Option<Expr>,
    pub expression_error: Option<fhirpath::FhirPathError>,
    /// Target resource types of a reference parameter.
    pub targets: Vec<String>,
    /// Modifiers the definition lists (the package rarely lists any; the query parser applies
    /// the modifiers search.html allows per type).
    pub modifiers: Vec<String>,
    pub comparators: Vec<String>,
    pub components: Vec<Component>,
}

/// How a parameter code resolves for a resource type.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'r> {
    Found(&'r SearchParamDef),
    /// Recognised but not supported, with the reason.
    Unsupported(&'static str),
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error("the SearchParameter bundle is not valid JSON: {0}")]
    Json(String),
}

/// Search parameters per resource type, plus the resource-level ones shared by every type.
#[derive(Debug, Default)]
pub struct Registry {
    by_type: BTreeMap<String, BTreeMap<String, SearchParamDef>>,
    common: BTreeMap<String, SearchParamDef>,
    resource_types: BTreeSet<String>,
    /// Per type, every supported parameter (own and resource-level) in code order, so that
    /// extraction walks a slice.
    combined: BTreeMap<String, Vec<SearchParamDef>>,
    /// The supported resource-level parameters, for types without parameters of their own.
    common_list: Vec<SearchParamDef>,
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    resource: RawParam,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawParam {
    url: String,
    code: String,
    description: Option<String>,
    #[serde(rename = "type")]
    param_type: SearchParamType,
    #[serde(default)]
    base: Vec<String>,
    expression: Option<String>,
    #[serde(default)]
    target: Vec<String>,
    #[serde(default)]
    modifier: Vec<String>,
    #[serde(default)]
    comparator: Vec<String>,
    #[serde(default)]
    component: Vec<Component>,
    #[serde(default)]
    experimental: bool,
}

/// The registry built from the official definitions, parsed once per process.
pub fn registry() -> Result<&'static Registry, RegistryError> {
    static REGISTRY: OnceLock<Result<Registry, RegistryError>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Registry::from_bundle_json(DEFINITIONS))
        .as_ref()
        .map_err(Clone::clone)
}

impl Registry {
    /// Builds a registry from a Bundle of SearchParameter resources.
    pub fn from_bundle_json(json: &str) -> Result<Registry, RegistryError> {
        let bundle: Bundle =
            serde_json::from_str(json).map_err(|e| RegistryError::Json(e.to_string()))?;
        let mut reg = Registry::default();
        for Entry { resource: raw } in bundle.entry {
            if raw.experimental {
                continue;
            }
            reg.resource_types
                .extend(raw.target.iter().filter(|t| is_concrete(t)).cloned());
            for base in &raw.base {
                if is_concrete(base) {
                    reg.resource_types.insert(base.clone());
                }
                let def = definition(&raw, base);
                match base.as_str() {
                    "Resource" | "DomainResource" => reg.common.insert(raw.code.clone(), def),
                    _ => reg
                        .by_type
                        .entry(base.clone())
                        .or_default()
                        .insert(raw.code.clone(), def),
                };
            }
        }
        for params in reg.by_type.values_mut() {
            share_identical_rows(params);
            share_part_rows(params);
        }
        let supported = |d: &&SearchParamDef| !UNSUPPORTED.iter().any(|(c, _)| *c == d.code);
        reg.common_list = reg.common.values().filter(supported).cloned().collect();
        for t in &reg.resource_types {
            let own = reg.by_type.get(t);
            let mut all: BTreeMap<&str, &SearchParamDef> =
                reg.common.iter().map(|(c, d)| (c.as_str(), d)).collect();
            all.extend(own.into_iter().flatten().map(|(c, d)| (c.as_str(), d)));
            let list = all.into_values().filter(supported).cloned().collect();
            reg.combined.insert(t.clone(), list);
        }
        Ok(reg)
    }

    /// The codes whose rows a search of `def` (of `resource_type`) reads besides its
    /// `index_code`'s: the parameters holding its HumanName/Address parts.
    pub fn part_codes(&self, resource_type: &str, def: &SearchParamDef) -> Vec<String> {
        let owner = if def.index_code == def.code {
            Some(def)
        } else {
            self.param(resource_type, &def.index_code)
        };
        owner
            .map(|d| d.parts.iter().map(|(_, code)| code.clone()).collect())
            .unwrap_or_default()
    }

    /// Looks `code` up for `resource_type`: its own parameters first, then resource-level ones.
    pub fn lookup(&self, resource_type: &str, code: &str) -> Lookup<'_> {
        if let Some(reason) = UNSUPPORTED
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, r)| *r)
        {
            return Lookup::Unsupported(reason);
        }
        match self
            .by_type
            .get(resource_type)
            .and_then(|m| m.get(code))
            .or_else(|| self.common.get(code))
        {
            Some(def) => Lookup::Found(def),
            None => Lookup::Unknown,
        }
    }

    /// The parameter `code` of `resource_type`, if it exists and is supported.
    pub fn param(&self, resource_type: &str, code: &str) -> Option<&SearchParamDef> {
        match self.lookup(resource_type, code) {
            Lookup::Found(def) => Some(def),
            _ => None,
        }
    }

    /// Every supported parameter of `resource_type`, resource-level ones included, by code.
    pub fn params(&self, resource_type: &str) -> std::slice::Iter<'_, SearchParamDef> {
        self.combined
            .get(resource_type)
            .unwrap_or(&self.common_list)
            .iter()
    }

    /// Whether `name` is a resource type the definitions mention (as a base or a target).
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.resource_types.contains(name)
    }

    pub fn resource_types(&self) -> impl Iterator<Item = &str> {
        self.resource_types.iter().map(String::as_str)
    }
}

fn is_concrete(t: &str) -> bool {
    !matches!(t, "Resource" | "DomainResource")
}

/// Sets `index_code` of each parameter that has the same expression and type as one before
/// it (by code) to that one's code.
fn share_identical_rows(params: &mut BTreeMap<String, SearchParamDef>) {
    let mut first: BTreeMap<(String, &'static str), String> = BTreeMap::new();
    for def in params.values_mut() {
        let Some(expression) = def.expression.clone() else {
            continue;
        };
        let key = (expression, def.param_type.as_str());
        match first.get(&key) {
            Some(code) => def.index_code = code.clone(),
            None => {
                first.insert(key, def.code.clone());
            }
        }
    }
}

/// Sets `parts` of each string parameter whose HumanName/Address parts are another string
/// parameter's own rows (that one's expression is this one's plus `.field`).
fn share_part_rows(params: &mut BTreeMap<String, SearchParamDef>) {
    // Plain paths only: with a union (`|`) "the other's expression plus `.field`" would not
    // mean "a part of each of this one's values".
    let owners: Vec<(String, String)> = params
        .values()
        .filter(|d| d.param_type == SearchParamType::String && d.index_code == d.code)
        .filter_map(|d| Some((d.code.clone(), d.expression.clone()?)))
        .filter(|(_, expression)| !expression.contains('|'))
        .collect();
    for (code, expression) in &owners {
        let parts: Vec<(String, String)> = owners
            .iter()
            .filter_map(|(other, other_expression)| {
                let field = other_expression
                    .strip_prefix(expression.as_str())?
                    .strip_prefix('.')?;
                crate::extract::is_string_part(field).then(|| (field.to_owned(), other.clone()))
            })
            .collect();
        if let Some(def) = params.get_mut(code) {
            def.parts = parts;
        }
    }
}

fn definition(raw: &RawParam, base: &str) -> SearchParamDef {
    let expression = raw.expression.as_deref().and_then(|e| restrict(e, base));
    let (compiled, expression_error) = match expression.as_deref().map(fhirpath::parse) {
        Some(Ok(e)) => (Some(e), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    SearchParamDef {
        code: raw.code.clone(),
        index_code: raw.code.clone(),
        parts: Vec::new(),
        url: raw.url.clone(),
        param_type: raw.param_type,
        description: raw.description.clone(),
        base: if is_concrete(base) {
            base.to_owned()
        } else {
            "Resource".to_owned()
        },
        expression,
        compiled,
        expression_error,
        targets: raw.target.clone(),
        modifiers: raw.modifier.clone(),
        comparators: raw.comparator.clone(),
        components: raw.component.clone(),
    }
}

/// Keeps the top-level `|` branches of `expression` that start with `base` (or with
/// `Resource.`/`DomainResource.`), joined again with ` | `.
pub fn restrict(expression: &str, base: &str) -> Option<String> {
    let branches: Vec<&str> = split_top_level(expression)
        .into_iter()
        .map(str::trim)
        .filter(|b| {
            let head = b.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
            let first = head
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            first == base || first == "Resource" || first == "DomainResource"
        })
        .collect();
    (!branches.is_empty()).then(|| branches.join(" | "))
}

/// Splits on `|` outside parentheses and quotes.
fn split_top_level(expression: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    let mut escaped = false;
    for (i, c) in expression.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth -= 1,
            '|' if depth == 0 => {
                parts.push(expression.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(expression.get(start..).unwrap_or(""));
    parts
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn restricts_multi_base_expressions() {
        assert_eq!(
            restrict("AllergyIntolerance.code | Condition.code | (DeviceRequest.code as CodeableConcept)", "Condition")
                .as_deref(),
            Some("Condition.code")
        );
        assert_eq!(
            restrict(
                "(DeviceRequest.code as CodeableConcept) | Condition.code",
                "DeviceRequest"
            )
            .as_deref(),
            Some("(DeviceRequest.code as CodeableConcept)")
        );
        assert_eq!(
            restrict("Resource.meta.tag", "Resource").as_deref(),
            Some("Resource.meta.tag")
        );
        assert_eq!(restrict("Patient.name", "Condition"), None);
        assert_eq!(split_top_level("a.where(x = '|') | b").len(), 2);
    }

    #[test]
    fn name_and_address_parts_are_their_own_parameters_rows() {
        let reg = registry().unwrap();
        let parts = |t: &str, c: &str| {
            let def = reg.param(t, c).unwrap();
            (def.parts.clone(), reg.part_codes(t, def))
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
                .collect()
        };
        let (name, name_codes) = parts("Patient", "name");
        assert_eq!(name, pairs(&[("family", "family"), ("given", "given")]));
        assert_eq!(name_codes, ["family", "given"]);
        // `phonetic` reads `name`'s rows, and so its parts too.
        assert_eq!(parts("Patient", "phonetic").1, ["family", "given"]);
        let (address, _) = parts("Patient", "address");
        assert_eq!(
            address,
            pairs(&[
                ("city", "address-city"),
                ("country", "address-country"),
                ("postalCode", "address-postalcode"),
                ("state", "address-state"),
            ])
        );
        assert!(parts("Patient", "family").0.is_empty());
        assert!(parts("Encounter", "status").0.is_empty());
    }

    #[test]
    fn parameters_with_identical_rows_share_them() {
        let reg = registry().unwrap();
        let index_code = |t: &str, c: &str| reg.param(t, c).unwrap().index_code.clone();
        assert_eq!(index_code("Patient", "phonetic"), "name");
        assert_eq!(index_code("Patient", "name"), "name");
        assert_eq!(index_code("Practitioner", "phonetic"), "name");
        assert_eq!(index_code("Patient", "family"), "family");
        // Only Patient's (and its peers') `phonetic` shares among the served types.
        for t in ["Patient", "Encounter", "Condition"] {
            let shared: Vec<&str> = reg
                .params(t)
                .filter(|d| d.index_code != d.code)
                .map(|d| d.code.as_str())
                .collect();
            let want: &[&str] = if t == "Patient" { &["phonetic"] } else { &[] };
            assert_eq!(shared, want, "{t}");
        }
        // Extraction writes the shared rows once.
        let patient = serde_json::json!({"resourceType": "Patient",
            "name": [{"family": "Doe", "prefix": ["Dr."]}]});
        let index = crate::extract::extract_with(reg, "Patient", &patient);
        let params: Vec<&str> = index.entries.iter().map(|e| e.param.as_str()).collect();
        assert!(
            params.contains(&"name") && !params.contains(&"phonetic"),
            "{params:?}"
        );
    }

    #[test]
    fn loads_patient_encounter_condition() {
        let reg = registry().unwrap();
        let count = |t: &str| reg.params(t).count();
        // Counts from the R4 package (own parameters plus the resource-level ones).
        for (t, codes) in [
            (
                "Patient",
                &[
                    "active",
                    "address",
                    "address-city",
                    "address-country",
                    "address-postalcode",
                    "address-state",
                    "address-use",
                    "birthdate",
                    "death-date",
                    "deceased",
                    "email",
                    "family",
                    "gender",
                    "general-practitioner",
                    "given",
                    "identifier",
                    "language",
                    "link",
                    "name",
                    "organization",
                    "phone",
                    "phonetic",
                    "telecom",
                ][..],
            ),
            (
                "Encounter",
                &[
                    "account",
                    "appointment",
                    "based-on",
                    "class",
                    "date",
                    "diagnosis",
                    "episode-of-care",
                    "identifier",
                    "length",
                    "location",
                    "location-period",
                    "part-of",
                    "participant",
                    "participant-type",
                    "patient",
                    "practitioner",
                    "reason-code",
                    "reason-reference",
                    "service-provider",
                    "special-arrangement",
                    "status",
                    "subject",
                    "type",
                ][..],
            ),
            (
                "Condition",
                &[
                    "abatement-age",
                    "abatement-date",
                    "abatement-string",
                    "asserter",
                    "body-site",
                    "category",
                    "clinical-status",
                    "code",
                    "encounter",
                    "evidence",
                    "evidence-detail",
                    "identifier",
                    "onset-age",
                    "onset-date",
                    "onset-info",
                    "patient",
                    "recorded-date",
                    "severity",
                    "stage",
                    "subject",
                    "verification-status",
                ][..],
            ),
        ] {
            for code in codes {
                let def = reg
                    .param(t, code)
                    .unwrap_or_else(|| panic!("{t}.{code} missing"));
                assert!(
                    def.compiled.is_some(),
                    "{t}.{code}: {:?} {:?}",
                    def.expression,
                    def.expression_error
                );
                assert!(def.expression.as_deref().unwrap().contains(t), "{t}.{code}");
            }
            let common = [
                "_id",
                "_lastUpdated",
                "_tag",
                "_profile",
                "_security",
                "_source",
            ];
            for code in common {
                assert!(reg.param(t, code).is_some(), "{t}.{code}");
            }
            assert_eq!(count(t), codes.len() + common.len(), "{t}");
        }
        let subject = reg.param("Condition", "subject").unwrap();
        assert_eq!(subject.targets, ["Group", "Patient"]);
        assert_eq!(
            reg.param("Condition", "code")
                .unwrap()
                .expression
                .as_deref(),
            Some("Condition.code")
        );
        assert_eq!(
            reg.param("Patient", "birthdate").unwrap().param_type,
            SearchParamType::Date
        );
        assert_eq!(
            reg.param("Resource", "_id").unwrap().expression.as_deref(),
            Some("Resource.id")
        );
    }

    #[test]
    fn unsupported_and_unknown() {
        let reg = registry().unwrap();
        for code in ["_text", "_content", "_query", "_list", "_filter"] {
            assert!(
                matches!(reg.lookup("Patient", code), Lookup::Unsupported(_)),
                "{code}"
            );
        }
        assert!(matches!(reg.lookup("Patient", "nope"), Lookup::Unknown));
        assert!(matches!(
            reg.lookup("Patient", "mothersMaidenName"),
            Lookup::Unknown
        ));
        assert!(reg.is_resource_type("Practitioner"));
        assert!(!reg.is_resource_type("Resource"));
    }

    #[test]
    fn every_expression_of_every_type_parses() {
        let reg = registry().unwrap();
        let mut failures = Vec::new();
        for t in reg.resource_types() {
            for def in reg.params(t) {
                if let Some(e) = &def.expression_error {
                    failures.push(format!("{t}.{}: {e}", def.code));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }
}
