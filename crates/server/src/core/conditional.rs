//! Conditional create, update and delete (http.html#ccreate, #cond-update, #cdelete).
//! The matching search runs inside the same store transaction as the write.

use super::error::FhirError;
use super::write::{render, IdRule, Prepared, WriteOptions, Written};
use super::{Fhir, RequestContext};
use custodian_store::{ConditionalCreate, DeleteOutcome, StoreError};

/// The key concurrent conditional creates serialize on: the applied criteria in canonical
/// encoding, sorted and lower-cased, so that `a=1&b=2` and `B=2&a=1` wait for each other.
/// Merging criteria that differ only in case costs nothing but waiting; whether a resource
/// matches is still decided by the search.
pub(crate) fn criteria_key(query: &custodian_search::query::SearchQuery) -> String {
    let canonical = query.to_query_string().to_lowercase();
    let mut parts: Vec<&str> = canonical.split('&').collect();
    parts.sort_unstable();
    parts.join("&")
}

/// How the message of a conditional update refused by [`refuse_existing`] begins.
const EXISTS_UNMATCHED: &str = "no resource matches the criteria, and ";

/// A conditional update that matched nothing creates the body's id, which must be new: a
/// resource of that id that the criteria did not match is not the client's to overwrite
/// (R4 says update-as-create; R5 names this case a 409).
pub(crate) fn refuse_existing(
    tx: &mut custodian_store::Tx<'_>,
    resource_type: &str,
    id: &str,
) -> Result<(), StoreError> {
    match tx.read(resource_type, id) {
        Ok(_) => Err(StoreError::Duplicate(format!(
            "{EXISTS_UNMATCHED}{resource_type}/{id}, the body's id, exists and does not match them"
        ))),
        Err(StoreError::NotFound { .. } | StoreError::Gone { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What a conditional create did.
pub enum Created {
    New(Written),
    /// One resource matched `If-None-Exist`: nothing was written (200).
    Existing(custodian_store::StoredResource),
}

impl Fhir {
    /// `POST [base]/[type]` with `If-None-Exist: criteria`. Concurrent creates with the same
    /// criteria create one resource: the store claims a unique key for the criteria in the
    /// transaction that searches and writes.
    pub fn create_if_none_exist(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        body: &[u8],
        criteria: &str,
    ) -> Result<Created, FhirError> {
        self.check_type(resource_type)?;
        let query = self.criteria(resource_type, criteria)?;
        let key = criteria_key(&query);
        let Prepared {
            mut resource,
            index,
            warnings,
        } = self.prepare(resource_type, body, IdRule::Assigned)?;
        let outcome = self.store.write_one(&ctx.audit(), |tx| {
            tx.create_conditional(
                resource_type,
                &key,
                |tx| tx.search_ids(&query, 2),
                &index,
                |meta| render(&mut resource, meta),
            )
        })?;
        Ok(match outcome {
            ConditionalCreate::Created(resource) => Created::New(Written {
                resource,
                created: true,
                warnings,
            }),
            ConditionalCreate::Existing(r) => Created::Existing(r),
        })
    }

    /// `PUT [base]/[type]?criteria`: no match creates, one match updates, several are 412.
    pub fn conditional_update(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        criteria: &str,
        body: &[u8],
        options: &WriteOptions,
    ) -> Result<Written, FhirError> {
        self.check_type(resource_type)?;
        let query = self.criteria(resource_type, criteria)?;
        let key = criteria_key(&query);
        let parsed: custodian_model::Resource = custodian_model::json::from_slice(body)?;
        let body_id = parsed.id().map(str::to_owned);
        let Prepared {
            mut resource,
            index,
            warnings,
        } = self.prepare_parsed(resource_type, parsed, IdRule::Assigned)?;
        let outcome = self.store.write_one(&ctx.audit(), |tx| {
            let matches = tx.search_ids(&query, 2)?;
            let target = match matches.as_slice() {
                [] => match &body_id {
                    // No match and an id given: update-as-create with that id, after claiming
                    // the criteria for it, so that a concurrent conditional update with
                    // another id finds this resource instead of creating a second one.
                    Some(id) => {
                        let claimed = tx.claim_criteria(resource_type, id, &key, |tx| {
                            tx.search_ids(&query, 2)
                        })?;
                        match claimed.as_slice() {
                            [one] if one != id => {
                                return Err(StoreError::Duplicate(format!(
                                    "the criteria match {resource_type}/{one} but the body's id differs"
                                )))
                            }
                            [] => {
                                refuse_existing(tx, resource_type, id)?;
                                id.clone()
                            }
                            _ => id.clone(),
                        }
                    }
                    None => {
                        if let Some(expected) = options.if_match {
                            // Nothing matched, so no version can be the expected one.
                            return Err(StoreError::VersionConflict {
                                expected,
                                actual: None,
                            });
                        }
                        String::new()
                    }
                },
                [one] => {
                    if body_id.as_deref().is_some_and(|b| b != one) {
                        return Err(StoreError::Duplicate(format!(
                            "the criteria match {resource_type}/{one} but the body's id differs"
                        )));
                    }
                    one.clone()
                }
                many => return Err(StoreError::MultipleMatches { count: many.len() }),
            };
            if target.is_empty() {
                // Race-safe: a concurrent conditional update with the same criteria waits on
                // the key, then finds this resource.
                let created = tx.create_conditional(
                    resource_type,
                    &key,
                    |tx| tx.search_ids(&query, 2),
                    &index,
                    |meta| render(&mut resource, meta),
                )?;
                return Ok(match created {
                    ConditionalCreate::Created(r) => (r, true),
                    ConditionalCreate::Existing(r) => {
                        let out =
                            tx.update(resource_type, &r.id, options.if_match, &index, |meta| {
                                render(&mut resource, meta)
                            })?;
                        (out.resource, false)
                    }
                });
            }
            let out = tx.update(resource_type, &target, options.if_match, &index, |meta| {
                render(&mut resource, meta)
            })?;
            Ok((out.resource, out.created))
        });
        let (resource, created) = outcome.map_err(|e| match e {
            StoreError::Duplicate(m) if m.starts_with(EXISTS_UNMATCHED) => FhirError::Conflict(m),
            StoreError::Duplicate(m) => FhirError::bad_request(m),
            other => FhirError::from(other),
        })?;
        Ok(Written {
            resource,
            created,
            warnings,
        })
    }

    /// `DELETE [base]/[type]?criteria`: one match is deleted (if it is the `If-Match`
    /// version); none is 404; several are 412.
    pub fn conditional_delete(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        criteria: &str,
        options: &WriteOptions,
    ) -> Result<DeleteOutcome, FhirError> {
        self.check_type(resource_type)?;
        let query = self.criteria(resource_type, criteria)?;
        let outcome = self.store.write_one(&ctx.audit(), |tx| {
            match tx.search_ids(&query, 2)?.as_slice() {
                [] => Ok(None),
                [one] => tx.delete(resource_type, one, options.if_match).map(Some),
                many => Err(StoreError::MultipleMatches { count: many.len() }),
            }
        })?;
        outcome.ok_or_else(|| FhirError::NotFound {
            resource_type: resource_type.to_owned(),
            id: format!("?{criteria} (no match)"),
        })
    }
}
