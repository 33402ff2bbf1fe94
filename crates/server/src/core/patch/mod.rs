//! `PATCH [base]/[type]/[id]` with a JSON Patch (RFC 6902) or a FHIRPath Patch (a
//! `Parameters` resource, fhirpatch.html) body.

mod fhirpath;

pub use fhirpath::FhirPathPatch;

use super::error::FhirError;
use super::write::{IdRule, Prepared, WriteOptions, Written};
use super::{Fhir, RequestContext};
use custodian_model::{json, Resource};
use custodian_store::StoreError;
use serde_json::Value;

/// How often a patch is re-applied when another writer changed the resource in between
/// (only without `If-Match`; with it, the client asked for exactly one version).
const ATTEMPTS: usize = 3;

/// The two kinds of patch document.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchDocument {
    Json(json_patch::Patch),
    FhirPath(FhirPathPatch),
}

/// The media type a PATCH body came as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json`
    Json,
    /// `application/fhir+json` (or `application/json`): a `Parameters` resource.
    FhirPath,
}

impl PatchDocument {
    /// Parses a PATCH body of `kind`; a malformed one is a 400.
    pub fn parse(kind: PatchKind, body: &[u8]) -> Result<PatchDocument, FhirError> {
        match kind {
            PatchKind::Json => serde_json::from_slice(body)
                .map(PatchDocument::Json)
                .map_err(|e| FhirError::bad_request(format!("not a JSON Patch document: {e}"))),
            PatchKind::FhirPath => {
                let parameters: Value = serde_json::from_slice(body).map_err(|e| {
                    FhirError::bad_request(format!("a FHIRPath Patch body is not JSON: {e}"))
                })?;
                FhirPathPatch::from_parameters(&parameters).map(PatchDocument::FhirPath)
            }
        }
    }
}

impl Fhir {
    /// `PATCH [base]/[type]/[id]`: the patch applied to the current version, validated and
    /// written as the next version (re-applied if another writer got there first).
    pub fn patch(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        (kind, body): (PatchKind, &[u8]),
        options: &WriteOptions,
    ) -> Result<Written, FhirError> {
        self.check_type(resource_type)?;
        let patch = PatchDocument::parse(kind, body)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (document, version) = self.patched(resource_type, id, &patch, options.if_match)?;
            let resource: Resource = json::from_value(document)?;
            let Prepared {
                mut resource,
                index,
                warnings,
            } = self.prepare_parsed(resource_type, resource, IdRule::Equals(id))?;
            match self.store_update(
                ctx,
                resource_type,
                id,
                &mut resource,
                &index,
                Some(version),
                warnings,
            ) {
                Err(FhirError::VersionConflict(_))
                    if options.if_match.is_none() && attempt < ATTEMPTS =>
                {
                    continue
                }
                other => return other,
            }
        }
    }

    /// The current version of `resource_type/id` with `patch` applied, and that version's
    /// number, to be written only if it is still current. `if_match`, when given, must name
    /// it.
    pub(crate) fn patched(
        &self,
        resource_type: &str,
        id: &str,
        patch: &PatchDocument,
        if_match: Option<i64>,
    ) -> Result<(Value, i64), FhirError> {
        let current = self.store.read(resource_type, id)?;
        if let Some(expected) = if_match {
            if expected != current.version {
                return Err(StoreError::VersionConflict {
                    expected,
                    actual: Some(current.version),
                }
                .into());
            }
        }
        let mut document: Value = serde_json::from_str(&current.body)
            .map_err(|e| FhirError::Internal(format!("stored body is not JSON: {e}")))?;
        match patch {
            PatchDocument::Json(patch) => json_patch::patch(&mut document, patch).map_err(|e| {
                FhirError::Unprocessable(format!("the patch cannot be applied: {e}"))
            })?,
            PatchDocument::FhirPath(patch) => {
                let repeats = |keys: &[&str]| self.validator.element_repeats(resource_type, keys);
                patch.apply(&mut document, &repeats)?;
            }
        }
        Ok((document, current.version))
    }
}
