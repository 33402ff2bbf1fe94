//! `custodian reindex`: the search index rows of stored resources rebuilt from their bodies
//! with today's extraction (after an upgrade that changes what is indexed).

use super::error::FhirError;
use super::Fhir;
use serde_json::Value;

impl Fhir {
    /// Rewrites the index rows of every current resource of `types` (every served type when
    /// empty), calling `progress` with the type and the count done so far. Returns the count
    /// per type. Versions and bodies stay as they are; the server may run meanwhile.
    pub fn reindex(
        &self,
        types: &[String],
        mut progress: impl FnMut(&str, u64),
    ) -> Result<Vec<(String, u64)>, FhirError> {
        let types: Vec<String> = if types.is_empty() {
            self.supported_types().map(str::to_owned).collect()
        } else {
            for t in types {
                self.check_type(t)?;
            }
            types.to_vec()
        };
        let mut done = Vec::new();
        for t in &types {
            let n = self.store.reindex(
                t,
                |body| {
                    let value: Value = serde_json::from_str(body)?;
                    Ok(self.extract(t, &value))
                },
                |n| progress(t, n),
            )?;
            done.push((t.clone(), n));
        }
        Ok(done)
    }
}
