//! Referential integrity for validation: does a local reference point to a stored resource?

use custodian_store::{Store, StoreError};
use custodian_validation::{ReferenceResolver, ResolveError};
use std::collections::HashSet;
use std::sync::Mutex;

pub struct StoreResolver<'a> {
    pub store: &'a Store,
    /// Types the server stores; references to other types cannot be checked and pass.
    pub stored_types: &'a [&'a str],
    /// What the references may point to besides stored resources.
    pub scope: RefScope<'a>,
}

/// Where a resource is written, for its references: alone, as an entry of a Bundle, or as a
/// line of an import chunk.
#[derive(Clone, Copy, Default)]
pub enum RefScope<'a> {
    #[default]
    Alone,
    Bundle(BundleRefs<'a>),
    Import(ImportRefs<'a>),
}

/// `Type/id` of the resources a bundle writes and deletes.
#[derive(Clone, Copy)]
pub struct BundleRefs<'a> {
    pub written: &'a HashSet<String>,
    pub deleted: &'a HashSet<String>,
}

/// `Type/id` of the resources of an import chunk, which is written in one transaction: they
/// exist for each other's references. Those a resource relied on (not already stored) are
/// recorded, so that it can fail with them when they fail.
#[derive(Clone, Copy)]
pub struct ImportRefs<'a> {
    pub chunk: &'a HashSet<String>,
    pub relied_on: &'a Mutex<Vec<String>>,
}

impl ReferenceResolver for StoreResolver<'_> {
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        if !self.stored_types.contains(&resource_type) {
            return Ok(true);
        }
        match self.scope {
            RefScope::Alone => {}
            RefScope::Bundle(bundle) => {
                let local = format!("{resource_type}/{id}");
                if bundle.written.contains(&local) {
                    return Ok(true);
                }
                if bundle.deleted.contains(&local) {
                    return Ok(false);
                }
            }
            RefScope::Import(import) => {
                if self.stored(resource_type, id)? {
                    return Ok(true);
                }
                let local = format!("{resource_type}/{id}");
                let in_chunk = import.chunk.contains(&local);
                if in_chunk {
                    import
                        .relied_on
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(local);
                }
                return Ok(in_chunk);
            }
        }
        self.stored(resource_type, id)
    }
}

impl StoreResolver<'_> {
    fn stored(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError> {
        match self.store.read(resource_type, id) {
            Ok(_) => Ok(true),
            Err(
                StoreError::NotFound { .. } | StoreError::Gone { .. } | StoreError::InvalidId(_),
            ) => Ok(false),
            Err(e) => Err(ResolveError(e.to_string())),
        }
    }
}
