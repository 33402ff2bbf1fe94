//! Writes: parse, check, validate, index, then store with `meta` set by the store's version.

use super::error::FhirError;
use super::resolver::{RefScope, StoreResolver};
use super::{Fhir, RequestContext};
use custodian_model::{json, Element, Instant, Resource};
use custodian_search::index::ResourceIndex;
use custodian_store::{BoxError, DeleteOutcome, Meta, StoredResource};
use custodian_validation::{Issue, ValidateOptions};
use serde_json::Value;

/// How a write is asked for.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `If-Match`: the version the client expects to replace.
    pub if_match: Option<i64>,
}

/// A stored write and what the client may want to hear about it.
#[derive(Debug)]
pub struct Written {
    pub resource: StoredResource,
    /// True when the write created the resource (201).
    pub created: bool,
    /// Validation warnings (returned with `Prefer: return=OperationOutcome`).
    pub warnings: Vec<Issue>,
}

/// A resource ready to store.
pub(crate) struct Prepared {
    pub resource: Resource,
    pub index: ResourceIndex,
    pub warnings: Vec<Issue>,
}

/// What the body's `id` must be.
pub(crate) enum IdRule<'a> {
    /// Create: the server assigns the id; one in the body is ignored (http.html#create).
    Assigned,
    /// Update: the body's id must equal the URL's.
    Equals(&'a str),
}

impl Fhir {
    /// Parses and checks a resource body for a write to `resource_type`.
    pub(crate) fn prepare(
        &self,
        resource_type: &str,
        body: &[u8],
        id_rule: IdRule<'_>,
    ) -> Result<Prepared, FhirError> {
        let resource: Resource = match json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return Err(self.parse_failure(e, body)),
        };
        self.prepare_parsed(resource_type, resource, id_rule)
    }

    /// A body the model refuses: its first broken JSON rule, with whatever else validation
    /// finds in it, so the client hears about every problem at once.
    pub(crate) fn parse_failure(
        &self,
        first: custodian_model::ParseError,
        body: &[u8],
    ) -> FhirError {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return FhirError::Parse(first);
        };
        let options = ValidateOptions::default().check_references_exist(false);
        let others: Vec<Issue> = self
            .validator
            .validate(&value, &options)
            .issues
            .into_iter()
            .filter(|i| i.severity.is_error() && i.expression != first.expression)
            .collect();
        if others.is_empty() {
            FhirError::Parse(first)
        } else {
            FhirError::ParseAll { first, others }
        }
    }

    pub(crate) fn prepare_parsed(
        &self,
        resource_type: &str,
        resource: Resource,
        id_rule: IdRule<'_>,
    ) -> Result<Prepared, FhirError> {
        self.prepare_in(resource_type, resource, id_rule, RefScope::Alone)
    }

    /// Like `prepare_parsed`, for a resource written with others (`scope`: a bundle's
    /// entries or an import chunk's lines).
    pub(crate) fn prepare_in(
        &self,
        resource_type: &str,
        mut resource: Resource,
        id_rule: IdRule<'_>,
        scope: RefScope<'_>,
    ) -> Result<Prepared, FhirError> {
        if resource.resource_type() != resource_type {
            return Err(FhirError::bad_request_at(
                format!(
                    "the body is a {} but the URL is for {resource_type}",
                    resource.resource_type()
                ),
                resource.resource_type(),
            ));
        }
        match id_rule {
            IdRule::Assigned => resource.set_id(None),
            IdRule::Equals(id) => match resource.id() {
                Some(body_id) if body_id == id => {}
                Some(body_id) => {
                    return Err(FhirError::bad_request_at(
                        format!("the body's id '{body_id}' differs from the URL's id '{id}'"),
                        format!("{resource_type}.id"),
                    ))
                }
                None => {
                    return Err(FhirError::bad_request_at(
                        "an update needs the resource's id in the body",
                        format!("{resource_type}.id"),
                    ))
                }
            },
        }
        let value = json::to_value(&resource).map_err(|e| FhirError::Internal(e.to_string()))?;
        let warnings = self.validate_value(&value, scope)?;
        let index = self.extract(resource_type, &value);
        Ok(Prepared {
            resource,
            index,
            warnings,
        })
    }

    /// The index rows of `value`, with references under the configured base made local.
    pub(crate) fn extract(
        &self,
        resource_type: &str,
        value: &Value,
    ) -> custodian_search::index::ResourceIndex {
        let mut index = custodian_search::extract::extract_stored(
            self.registry,
            resource_type,
            value,
            &self.served,
        );
        if let Some(base) = &self.config.local_base {
            custodian_search::extract::localize_references(&mut index, base);
        }
        index
    }

    /// Runs validation; errors fail the write, warnings are returned.
    pub(crate) fn validate_value(
        &self,
        value: &Value,
        scope: RefScope<'_>,
    ) -> Result<Vec<Issue>, FhirError> {
        self.validate_with(value, scope, true)
    }

    /// `validate_value`; `entry_resources: false` judges a Bundle without its entries'
    /// resources (see `ValidateOptions::entry_resources`).
    pub(crate) fn validate_with(
        &self,
        value: &Value,
        scope: RefScope<'_>,
        entry_resources: bool,
    ) -> Result<Vec<Issue>, FhirError> {
        let resolver = StoreResolver {
            store: &self.store,
            stored_types: &self.served,
            scope,
        };
        let options = ValidateOptions::default()
            .in_bundle(matches!(scope, RefScope::Bundle(_)))
            .check_references_exist(self.config.referential_integrity)
            .entry_resources(entry_resources)
            .with_resolver(&resolver);
        let report = self.validator.validate(value, &options);
        if report.has_errors() {
            return Err(FhirError::Invalid(report));
        }
        Ok(report.issues)
    }

    /// `POST [base]/[type]`.
    pub fn create(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        body: &[u8],
    ) -> Result<Written, FhirError> {
        self.check_type(resource_type)?;
        let Prepared {
            mut resource,
            index,
            warnings,
        } = self.prepare(resource_type, body, IdRule::Assigned)?;
        let stored = self.store.write_one(&ctx.audit(), |tx| {
            tx.create(resource_type, &index, |meta| render(&mut resource, meta))
        })?;
        Ok(Written {
            resource: stored,
            created: true,
            warnings,
        })
    }

    /// `PUT [base]/[type]/[id]`: update, or create with the client's id.
    pub fn update(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        body: &[u8],
        options: &WriteOptions,
    ) -> Result<Written, FhirError> {
        self.check_type(resource_type)?;
        let Prepared {
            mut resource,
            index,
            warnings,
        } = self.prepare(resource_type, body, IdRule::Equals(id))?;
        self.store_update(
            ctx,
            resource_type,
            id,
            &mut resource,
            &index,
            options.if_match,
            warnings,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store_update(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        resource: &mut Resource,
        index: &ResourceIndex,
        if_match: Option<i64>,
        warnings: Vec<Issue>,
    ) -> Result<Written, FhirError> {
        let outcome = self.store.write_one(&ctx.audit(), |tx| {
            tx.update(resource_type, id, if_match, index, |meta| {
                render(resource, meta)
            })
        })?;
        Ok(Written {
            resource: outcome.resource,
            created: outcome.created,
            warnings,
        })
    }

    /// `DELETE [base]/[type]/[id]`. Deleting a missing or deleted resource succeeds
    /// (http.html#delete: idempotent).
    pub fn delete(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        options: &WriteOptions,
    ) -> Result<DeleteOutcome, FhirError> {
        self.check_type(resource_type)?;
        Ok(self.store.write_one(&ctx.audit(), |tx| {
            tx.delete(resource_type, id, options.if_match)
        })?)
    }
}

/// Puts the store's id, version and time into the resource and writes its JSON.
pub(crate) fn render(resource: &mut Resource, meta: &Meta<'_>) -> Result<Vec<u8>, BoxError> {
    resource.set_id(Some(meta.id.to_owned()));
    let last_updated: Instant = meta.last_updated.parse()?;
    if let Some(m) = resource.meta_mut() {
        m.version_id = Some(Element::new(meta.version_id.to_owned()));
        m.last_updated = Some(Element::new(last_updated));
    }
    Ok(json::to_vec(resource)?)
}
