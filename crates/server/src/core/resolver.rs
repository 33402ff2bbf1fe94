//! Referential integrity for validation: does a local reference point to a stored resource?

use custodian_store::{Store, StoreError};
use custodian_validation::{ReferenceResolver, ResolveError};
use std::collections::HashSet;

pub struct StoreResolver<'a> {
    pub store: &'a Store,
    /// Types the server stores; references to other types cannot be checked and pass.
    pub stored_types: &'a [&'a str],
    /// `Type/id` of resources a bundle being processed writes: they exist for its entries.
    pub bundle_targets: Option<&'a HashSet<String>>,
}

impl ReferenceResolver for StoreResolver<'_> {
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        if !self.stored_types.contains(&resource_type) {
            return Ok(true);
        }
        if let Some(targets) = self.bundle_targets {
            if targets.contains(&format!("{resource_type}/{id}")) {
                return Ok(true);
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
