//! `PATCH [base]/[type]/[id]` with a JSON Patch (RFC 6902) body.

use super::error::FhirError;
use super::write::{IdRule, Prepared, WriteOptions, Written};
use super::{Fhir, RequestContext};
use custodian_model::{json, Resource};
use custodian_store::StoreError;
use serde_json::Value;

/// How often a patch is re-applied when another writer changed the resource in between
/// (only without `If-Match`; with it, the client asked for exactly one version).
const ATTEMPTS: usize = 3;

impl Fhir {
    pub fn patch_json(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        body: &[u8],
        options: &WriteOptions,
    ) -> Result<Written, FhirError> {
        self.check_type(resource_type)?;
        let patch: json_patch::Patch = serde_json::from_slice(body)
            .map_err(|e| FhirError::bad_request(format!("not a JSON Patch document: {e}")))?;
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
        patch: &json_patch::Patch,
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
        json_patch::patch(&mut document, patch)
            .map_err(|e| FhirError::Unprocessable(format!("the patch cannot be applied: {e}")))?;
        Ok((document, current.version))
    }
}
