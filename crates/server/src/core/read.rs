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

    /// `read` on the calling thread when the store can do that cheaply (SQLite; see
    /// `Store::here`), `None` when the caller should run `read` on a blocking thread.
    pub fn read_here(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Option<Result<StoredResource, FhirError>> {
        if let Err(e) = self.check_type(resource_type) {
            return Some(Err(e));
        }
        let result = self.store.here(|tx| tx.read(resource_type, id))?;
        Some(result.map_err(FhirError::from))
    }

    /// `GET [base]/[type]/[id]/_history/[vid]`.
    pub fn vread(
        &self,
        resource_type: &str,
        id: &str,
        version: &str,
    ) -> Result<StoredResource, FhirError> {
        let version = self.check_vread(resource_type, id, version)?;
        Ok(self.store.vread(resource_type, id, version)?)
    }

    /// `vread` on the calling thread, as `read_here`.
    pub fn vread_here(
        &self,
        resource_type: &str,
        id: &str,
        version: &str,
    ) -> Option<Result<StoredResource, FhirError>> {
        let version = match self.check_vread(resource_type, id, version) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let result = self.store.here(|tx| tx.vread(resource_type, id, version))?;
        Some(result.map_err(FhirError::from))
    }

    /// The type is served and the version is a positive number (else 404).
    fn check_vread(&self, resource_type: &str, id: &str, version: &str) -> Result<i64, FhirError> {
        self.check_type(resource_type)?;
        version
            .parse()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| FhirError::NotFound {
                resource_type: resource_type.to_owned(),
                id: format!("{id}/_history/{version}"),
            })
    }
}
