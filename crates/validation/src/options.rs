//! What the caller tells the validator: context (inside a bundle?) and the store's resolver.

use crate::error::ResolveError;

/// Answers whether a resource exists; the store implements it for referential integrity.
pub trait ReferenceResolver: Send + Sync {
    /// Does the current version of `resource_type/id` exist (and is it not deleted)?
    /// Return `Ok(true)` as well for types the server does not store: it cannot check them.
    fn exists(&self, resource_type: &str, id: &str) -> Result<bool, ResolveError>;
}

/// Options of one validation run.
#[derive(Clone, Copy)]
pub struct ValidateOptions<'a> {
    /// The resource is an entry of a batch/transaction Bundle: `urn:uuid:` / `urn:oid:`
    /// references are allowed (the bundle processing resolves them).
    pub in_bundle: bool,
    /// Check that local references (`Type/id`) point to existing resources through `resolver`.
    /// Turn off for bulk loads that arrive out of order.
    pub check_references_exist: bool,
    /// The store's resolver; `None` skips referential integrity.
    pub resolver: Option<&'a dyn ReferenceResolver>,
    /// Validate the resources in a Bundle's entries. Off, a Bundle is judged by its own
    /// elements and rules (which still see its entries' resources); for callers that
    /// validate each entry's resource on its own.
    pub entry_resources: bool,
}

impl Default for ValidateOptions<'_> {
    fn default() -> Self {
        ValidateOptions {
            in_bundle: false,
            check_references_exist: true,
            resolver: None,
            entry_resources: true,
        }
    }
}

impl<'a> ValidateOptions<'a> {
    /// Options for a resource that is an entry of a bundle.
    pub fn in_bundle(mut self, in_bundle: bool) -> Self {
        self.in_bundle = in_bundle;
        self
    }

    /// Use `resolver` for referential integrity.
    pub fn with_resolver(mut self, resolver: &'a dyn ReferenceResolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Switch referential integrity on or off.
    pub fn check_references_exist(mut self, on: bool) -> Self {
        self.check_references_exist = on;
        self
    }

    /// Validate the resources of a Bundle's entries (the default), or only the Bundle.
    pub fn entry_resources(mut self, on: bool) -> Self {
        self.entry_resources = on;
        self
    }
}

impl std::fmt::Debug for ValidateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateOptions")
            .field("in_bundle", &self.in_bundle)
            .field("check_references_exist", &self.check_references_exist)
            .field("entry_resources", &self.entry_resources)
            .field("resolver", &self.resolver.is_some())
            .finish()
    }
}
