//! The entry point: [`Validator`].

use serde_json::Value;

use crate::definitions::{self, Definitions};
use crate::error::ValidationError;
use crate::issue::ValidationReport;
use crate::options::ValidateOptions;
use crate::walker::Walker;

/// Validates resources against the official R4 definitions embedded from `fhir-schemas/`.
/// Cheap to create and to copy: the definitions are parsed once per process and shared.
#[derive(Debug, Clone, Copy)]
pub struct Validator {
    defs: &'static Definitions,
}

impl Validator {
    /// Loads the definitions (once per process; later calls reuse them).
    pub fn new() -> Result<Self, ValidationError> {
        Ok(Validator {
            defs: definitions::get()?,
        })
    }

    /// Validates `resource` and reports every issue found. A failure of the reference resolver
    /// shows as a `fatal` issue of type `exception` (HTTP 500, see
    /// [`ValidationReport::http_status`]); use [`Validator::try_validate`] to get it as an error.
    pub fn validate(&self, resource: &Value, options: &ValidateOptions<'_>) -> ValidationReport {
        let mut walker = Walker::new(self.defs, options);
        walker.validate_top(resource);
        ValidationReport {
            issues: walker.issues,
        }
    }

    /// Like [`Validator::validate`], but a failure of the reference resolver is an error.
    pub fn try_validate(
        &self,
        resource: &Value,
        options: &ValidateOptions<'_>,
    ) -> Result<ValidationReport, ValidationError> {
        let mut walker = Walker::new(self.defs, options);
        walker.validate_top(resource);
        match walker.failure {
            Some(failure) => Err(failure),
            None => Ok(ValidationReport {
                issues: walker.issues,
            }),
        }
    }

    /// The code system implied for a `code` element with a required binding to a value set of
    /// one code system, by element path: `Patient.gender` gives
    /// `http://hl7.org/fhir/administrative-gender` (search uses it for `system|code` tokens).
    pub fn implied_code_system(&self, path: &str) -> Option<&'static str> {
        self.defs.implied_code_system(path)
    }

    /// Whether the element the JSON keys reach from a `resource_type` root is a JSON array
    /// (`["name"]` of Patient: yes; `["birthDate"]`: no), for FHIRPath Patch's `add`.
    /// `None` when the keys name no element.
    pub fn element_repeats(&self, resource_type: &str, keys: &[&str]) -> Option<bool> {
        self.defs.element_repeats(resource_type, keys)
    }

    /// The `(system, code)` pairs of a value set the server has (fhir-schemas/ValueSet),
    /// sorted, for search's `:in`/`:not-in` (its `|version`, if any, is ignored). `None` when
    /// the server does not have it or cannot expand it completely.
    pub fn value_set_codes(&self, url: &str) -> Option<Vec<(String, String)>> {
        self.defs.terminology.expansion(url)?.codes()
    }

    /// For search's token `:below` / `:above`: `code` and the codes below (or above) it in
    /// the is-a hierarchy of `system`, sorted. `None` when the server does not have the code
    /// system completely (fhir-schemas/CodeSystem) or the code is not in it.
    pub fn subsumed_codes(&self, system: &str, code: &str, below: bool) -> Option<Vec<String>> {
        self.defs.terminology.subsumption(system, code, below)
    }

    /// Does the server have a definition to validate this resource type with?
    pub fn supports_resource_type(&self, resource_type: &str) -> bool {
        self.defs.resource(resource_type).is_some()
    }

    /// Is `url` (a StructureDefinition canonical URL) a profile the server knows?
    pub fn knows_profile(&self, url: &str) -> bool {
        self.defs
            .profiles
            .contains(url.split('|').next().unwrap_or(url))
    }
}
