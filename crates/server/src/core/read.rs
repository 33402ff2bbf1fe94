//! Reads: the stored bytes, from one indexed lookup.

use super::error::FhirError;
use super::Fhir;
use custodian_store::StoredResource;

impl Fhir {
    /// `GET [base]/[type]/[id]`.
    pub fn read(&self, resource_type: &str, id: &str) -> Result<StoredResource, FhirError> {
        self.check_type(resource_type)?;
        Ok(self.store.read(resource_type, id)?)
    }

    /// `GET [base]/[type]/[id]/_history/[vid]`.
    pub fn vread(
        &self,
        resource_type: &str,
        id: &str,
        version: &str,
    ) -> Result<StoredResource, FhirError> {
        self.check_type(resource_type)?;
        let version: i64 =
            version
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| FhirError::NotFound {
                    resource_type: resource_type.to_owned(),
                    id: format!("{id}/_history/{version}"),
                })?;
        Ok(self.store.vread(resource_type, id, version)?)
    }
}
