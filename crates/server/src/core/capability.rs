//! The CapabilityStatement (`GET /metadata`), built from what the server really does: the
//! types it serves, the interactions wired for them, and the search parameters the registry
//! has for each type.

use super::Fhir;
use custodian_search::registry::SearchParamType;
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
        if f.search {
            system_interactions.push(json!({"code": "search-system"}));
        }
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
            "patchFormat": ["application/json-patch+json", "application/fhir+json"],
            "rest": [{
                "mode": "server",
                "documentation": "Prefer: handling=strict is the default: unknown or malformed search parameters are refused with 400 (handling=lenient ignores them and reports them in an outcome entry). Token :in and :not-in take the value sets the server validates with (those bound by the served types; others are 400 not-supported). Token :above and :below (system|code) follow the is-a hierarchies of the code systems the server has (others are 400 not-supported). Not supported yet, answered with 400 not-supported: the :of-type modifier, reference values naming a version, composite parameters, _id together with _contained=true|both, _text, _content, _query, _list, _filter. Search paging is keyset-based in both directions: links are self, first, previous (after the first page) and next. Compartment search: GET [base]/Patient/[id]/[type] by the official Patient CompartmentDefinition. System search: GET [base]?_type=A,B (or POST [base]/_search) with the parameters common to every type searched (same code and type on each); without _type every served type is searched. Contained resources of the served types are indexed: _contained=true searches them instead of the resources themselves, both searches both; _containedType=container (the default) returns each resource holding a match once, _containedType=contained returns the contained resources, fullUrl [base]/[ContainerType]/[id]#[containedId]. Chains are evaluated inside contained resources too (a reference #id to a contained resource is followed).",
                "compartment": ["http://hl7.org/fhir/CompartmentDefinition/patient"],
                "resource": resources,
                "interaction": system_interactions,
                "searchParam": self.system_search_params(),
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
            resource["searchInclude"] = json!(self.search_includes(resource_type));
            resource["searchRevInclude"] = json!(self.search_revincludes(resource_type));
        }
        resource
    }

    /// The parameters a system search without `_type` takes: those every served type has,
    /// with the same type (see `parse_system_query_with`).
    fn system_search_params(&self) -> Vec<Value> {
        let types: Vec<&str> = self.supported_types().collect();
        let Some((first, others)) = types.split_first() else {
            return Vec::new();
        };
        self.registry
            .params(first)
            .filter(|p| {
                others.iter().all(|t| {
                    self.registry
                        .param(t, &p.code)
                        .is_some_and(|o| o.param_type == p.param_type)
                })
            })
            .map(|p| json!({"name": p.code, "definition": p.url, "type": p.param_type.as_str()}))
            .collect()
    }

    /// `_include` values a search of `resource_type` takes: `*` and each of its reference
    /// parameters (`Encounter:subject`).
    fn search_includes(&self, resource_type: &str) -> Vec<String> {
        let mut includes = vec!["*".to_owned()];
        includes.extend(
            self.registry
                .params(resource_type)
                .filter(|p| p.param_type == SearchParamType::Reference)
                .map(|p| format!("{resource_type}:{}", p.code)),
        );
        includes
    }

    /// `_revinclude` values a search of `resource_type` takes: the reference parameters of
    /// every served type that may point at it (`Condition:subject` for Patient).
    fn search_revincludes(&self, resource_type: &str) -> Vec<String> {
        let mut revincludes = vec!["*".to_owned()];
        for source in self.supported_types() {
            revincludes.extend(
                self.registry
                    .params(source)
                    .filter(|p| p.param_type == SearchParamType::Reference)
                    .filter(|p| {
                        p.targets.is_empty() || p.targets.iter().any(|t| t == resource_type)
                    })
                    .map(|p| format!("{source}:{}", p.code)),
            );
        }
        revincludes
    }
}
