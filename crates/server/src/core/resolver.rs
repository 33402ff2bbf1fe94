//! Referential integrity for validation: does a local reference point to a stored resource?

use custodian_store::{Store, StoreError};
use custodian_validation::{ReferenceResolver, ResolveError};
use std::collections::HashSet;

pub struct StoreResolver<'a> {
    pub store: &'a Store,
    /// Types the server stores; references to other types cannot be checked and pass.
    pub stored_types: &'a [&'a str],
    /// The bundle being processed, if any: what it writes exists for its entries, what it
    /// deletes does not.
    pub bundle: Option<BundleRefs<'a>>,
}

/// `Type/id` of the resources a bundle writes and deletes.
#[derive(Clone, Copy)]
pub struct BundleRefs<'a> {
    pub written: &'a HashSet<String>,
    pub deleted: &'a HashSet<String>,
}

impl ReferenceResolver for StoreResolver<'_> {
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        if !self.stored_types.contains(&resource_type) {
            return Ok(true);
        }
        if let Some(bundle) = self.bundle {
            let local = format!("{resource_type}/{id}");
            if bundle.written.contains(&local) {
                return Ok(true);
            }
            if bundle.deleted.contains(&local) {
                return Ok(false);
            }
        }
        match self.store.read(resource_type, id) {
            Ok(_) => Ok(true),
            Err(
                StoreError::NotFound { .. } | StoreError::Gone { .. } | StoreError::InvalidId(_),
            ) => Ok(false),
            Err(e) => Err(ResolveError(e.to_string())),
        }
    }
}
