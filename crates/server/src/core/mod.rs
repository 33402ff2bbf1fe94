//! The FHIR interactions, free of HTTP: parse, validate, index, store, and answer in FHIR
//! terms. The HTTP layer (`crate::http`) only translates requests and responses.

pub mod bundle;
pub mod bundles;
pub mod capability;
pub mod conditional;
pub mod error;
mod history;
pub mod import;
mod patch;
mod read;
mod reindex;
pub mod resolver;
mod search;
pub mod subset;
mod validate_op;
mod write;

pub use error::FhirError;
pub use history::HistoryRequest;
pub use patch::{FhirPathPatch, PatchDocument, PatchKind};
pub use write::{WriteOptions, Written};

use custodian_search::registry::Registry;
use custodian_store::{AuditContext, Store};
use custodian_validation::Validator;

/// Resource types of the model that are infrastructure, not records: they are exchanged but
/// not stored through the type endpoints.
const NOT_STORED: &[&str] = &[
    "Bundle",
    "OperationOutcome",
    "CapabilityStatement",
    "Parameters",
];

/// Settings of the core.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Check that local references point to stored resources (off for out-of-order loads).
    pub referential_integrity: bool,
    /// This server's public base URL, when configured: references under it are indexed as
    /// local `Type/id` references; any other absolute reference is another server's.
    pub local_base: Option<String>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            referential_integrity: true,
            local_base: None,
        }
    }
}

/// Who asks, and under which public base URL (for `fullUrl`, `Location` and links).
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub client: Option<String>,
    /// e.g. `https://fhir.example.org/fhir`, without a trailing slash.
    pub base_url: String,
}

impl RequestContext {
    fn audit(&self) -> AuditContext {
        AuditContext {
            request_id: Some(self.request_id.clone()),
            client: self.client.clone(),
        }
    }
}

/// The server's core: one per process, shared by every worker.
pub struct Fhir {
    store: Store,
    validator: Validator,
    registry: &'static Registry,
    config: CoreConfig,
    /// When this process started: the CapabilityStatement's `date`.
    started_at: String,
    /// Bundles processed at once (see `bundles/gate.rs`).
    bundle_gate: bundles::gate::Gate,
    /// The resource types the REST API serves (`supported_types`), listed once.
    served: Vec<&'static str>,
}

impl Fhir {
    pub fn new(store: Store, config: CoreConfig) -> Result<Self, FhirError> {
        let validator = Validator::new().map_err(|e| FhirError::Internal(e.to_string()))?;
        let registry = custodian_search::registry::registry()
            .map_err(|e| FhirError::Internal(e.to_string()))?;
        Ok(Fhir {
            store,
            validator,
            registry,
            config,
            started_at: bundle::now_instant(),
            // Four per core keep the cores and the writer busy while others wait: more
            // Bundles share each group commit (at 64 connections, 100-entry Bundles: 103 with
            // two per core, 108 with four, +6 MB peak RSS; docs/benchmarks.md, session 6).
            bundle_gate: bundles::gate::Gate::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) * 4,
            ),
            served: custodian_model::MODELLED_RESOURCE_TYPES
                .iter()
                .copied()
                .filter(|t| !NOT_STORED.contains(t))
                .collect(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether local references must point to existing resources.
    pub fn referential_integrity(&self) -> bool {
        self.config.referential_integrity
    }

    /// The resource types the REST API serves.
    pub fn supported_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.served.iter().copied()
    }

    /// Refuses types the server does not serve (404, as http.html asks for unknown types).
    pub fn check_type(&self, resource_type: &str) -> Result<(), FhirError> {
        if self.supported_types().any(|t| t == resource_type) {
            Ok(())
        } else {
            Err(FhirError::UnknownType(resource_type.to_owned()))
        }
    }

    /// Whether the database answers (for `/readyz`).
    pub fn ready(&self) -> Result<(), FhirError> {
        // Any answer from the database will do; a missing row is an answer.
        match self
            .store
            .with_reader(|tx| tx.read("Patient", "readiness-probe"))
        {
            Ok(_)
            | Err(custodian_store::StoreError::NotFound { .. })
            | Err(custodian_store::StoreError::Gone { .. }) => Ok(()),
            Err(e) => Err(FhirError::from(e)),
        }
    }
}
