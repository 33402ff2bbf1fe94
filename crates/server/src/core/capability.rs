//! The CapabilityStatement (`GET /metadata`), built from what the server really does: the
//! types it serves, the interactions wired for them, and the search parameters the registry
//! has for each type.

use super::Fhir;
use serde_json::{json, Value};

/// What is implemented, in one place, so the statement cannot claim more than the code does.
pub struct Features {
    pub search: bool,
    pub conditional_create: bool,
    pub conditional_update: bool,
    pub conditional_delete: bool,
    pub patch: bool,
    pub batch: bool,
    pub transaction: bool,
}

pub const FEATURES: Features = Features {
    search: true,
    conditional_create: true,
    conditional_update: true,
    conditional_delete: true,
    patch: true,
    batch: true,
    transaction: true,
};

impl Fhir {
    /// The server's CapabilityStatement for `base_url`.
    pub fn capability_statement(&self, base_url: &str) -> Value {
        let f = &FEATURES;
        let resources: Vec<Value> = self
            .supported_types()
            .map(|t| self.resource_capability(t, f))
            .collect();
        let mut system_interactions = vec![json!({"code": "history-system"})];
        if f.transaction {
            system_interactions.push(json!({"code": "transaction"}));
        }
        if f.batch {
            system_interactions.push(json!({"code": "batch"}));
        }
        json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": self.started_at,
            "publisher": "Custodian",
            "kind": "instance",
            "software": { "name": "Custodian", "version": env!("CARGO_PKG_VERSION") },
            "implementation": {
                "description": "Custodian FHIR R4 server",
                "url": base_url
            },
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "patchFormat": ["application/json-patch+json"],
            "rest": [{
                "mode": "server",
                "documentation": "Prefer: handling=strict is the default: unknown or malformed search parameters are refused with 400 (handling=lenient ignores them and reports them in an outcome entry). Not supported yet, answered with 400 not-supported: the :in, :not-in and :of-type modifiers (no terminology service), token :above/:below, composite parameters, _text, _content, _query, _list, _filter. Search paging is forward-only (keyset cursors): links are self, first and next.",
                "resource": resources,
                "interaction": system_interactions,
                "operation": [{
                    "name": "validate",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"
                }]
            }]
        })
    }

    fn resource_capability(&self, resource_type: &str, f: &Features) -> Value {
        let mut interactions = vec![
            "read",
            "vread",
            "update",
            "delete",
            "history-instance",
            "history-type",
            "create",
        ];
        if f.patch {
            interactions.push("patch");
        }
        if f.search {
            interactions.push("search-type");
        }
        let mut resource = json!({
            "type": resource_type,
            "profile": format!("http://hl7.org/fhir/StructureDefinition/{resource_type}"),
            "interaction": interactions.iter().map(|c| json!({"code": c})).collect::<Vec<_>>(),
            "versioning": "versioned-update",
            "readHistory": true,
            "updateCreate": true,
            "conditionalCreate": f.conditional_create,
            // If-None-Match and If-Modified-Since both answer 304 on read.
            "conditionalRead": "full-support",
            "conditionalUpdate": f.conditional_update,
            "conditionalDelete": if f.conditional_delete { "single" } else { "not-supported" },
            "referencePolicy": ["literal", "local"],
            "operation": [{
                "name": "validate",
                "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"
            }]
        });
        if f.search {
            let params: Vec<Value> = self
                .registry
                .params(resource_type)
                .map(
                    |p| json!({"name": p.code, "definition": p.url, "type": p.param_type.as_str()}),
                )
                .collect();
            resource["searchParam"] = Value::Array(params);
        }
        resource
    }
}
