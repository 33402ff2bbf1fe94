//! `POST [base]` with a batch or transaction Bundle (http.html#transaction).
//!
//! A transaction is all or nothing: every entry is parsed, rewritten and validated before the
//! one database transaction that writes them all, in the specification's order (DELETE, POST,
//! PUT, GET); any failure rolls everything back and names the entry. A batch runs each entry
//! on its own and reports failures per entry.

pub(crate) mod gate;
mod plan;
mod rewrite;

use super::bundle::{BundleWriter, Entry, Response};
use super::error::FhirError;
use super::resolver::{BundleRefs, RefScope};
use super::search::{Found, SearchPlan};
use super::write::{render, IdRule, Prepared};
use super::{Fhir, RequestContext};
use custodian_model::{json, Bundle, BundleType, Resource};
use custodian_store::{
    format_instant, BatchItem, ConditionalCreate, Meta, StoreError, StoredResource, Tx,
};
use plan::{entry_error, Action, Conditional, Planned};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What to put in each response entry (`Prefer: return=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryReturn {
    Minimal,
    Representation,
    OperationOutcome,
}

/// The result of one entry.
enum Outcome {
    Written {
        resource: StoredResource,
        created: bool,
    },
    Deleted,
    /// `head`: a HEAD entry, answered without the resource.
    Read {
        resource: StoredResource,
        head: bool,
    },
    NotModified(StoredResource),
    /// A search entry's searchset Bundle.
    Searched(String),
    /// `ifNoneExist` matched: the existing resource, unchanged.
    Existing(StoredResource),
}

impl Fhir {
    /// Processes a batch or transaction Bundle; returns the response Bundle's JSON.
    pub fn process_bundle(
        &self,
        ctx: &RequestContext,
        body: &[u8],
        entry_return: EntryReturn,
    ) -> Result<String, FhirError> {
        let _permit = self.bundle_gate.enter();
        let bundle: Value = serde_json::from_slice(body)
            .map_err(|e| FhirError::bad_request(format!("the body is not JSON: {e}")))?;
        // The Bundle itself is parsed as its envelope (everything but the entries'
        // resources) and validated without descending into the entries' resources. Each
        // write entry's resource is parsed and validated once, on its own, after its
        // references are rewritten (`prepare_entry`); entries that write nothing carry no
        // resource that matters. (Parsing and validating the whole Bundle as well made a
        // 100-entry transaction cost 14.3 instead of 11.3 ms of server CPU.)
        let parsed: Bundle = json::from_value::<Bundle>(envelope(&bundle)).map_err(|mut e| {
            if let Some(index) = entry_index(&e.expression) {
                let full_url = bundle
                    .pointer(&format!("/entry/{index}/fullUrl"))
                    .and_then(Value::as_str);
                e.message = match full_url {
                    Some(u) => format!("entry {index} ({u}): {}", e.message),
                    None => format!("entry {index}: {}", e.message),
                };
            }
            FhirError::Parse(e)
        })?;
        let kind = parsed.r#type.as_ref().and_then(|t| t.value);
        match kind {
            Some(BundleType::Transaction) => {
                self.check_bundle(&bundle)?;
                self.transaction(ctx, bundle, entry_return)
            }
            Some(BundleType::Batch) => {
                self.check_bundle(&bundle)?;
                Ok(self.batch(ctx, &bundle, entry_return))
            }
            Some(other) => Err(FhirError::bad_request_at(
                format!(
                    "POST to the base accepts batch and transaction Bundles; this one is '{other}'. \
                     To store a {other} Bundle as a record, POST it to [base]/Bundle (not supported yet)."
                ),
                "Bundle.type",
            )),
            None => Err(FhirError::bad_request_at("Bundle.type is required", "Bundle.type")),
        }
    }

    /// The Bundle's own rules (bdl invariants, entry structure); entries' resources and their
    /// references are checked per entry once the bundle's ids are known.
    fn check_bundle(&self, bundle: &Value) -> Result<(), FhirError> {
        let none = HashSet::new();
        let refs = BundleRefs {
            written: &none,
            deleted: &none,
        };
        match self.validate_with(bundle, RefScope::Bundle(refs), false) {
            Ok(_) => Ok(()),
            Err(FhirError::Invalid(mut report)) => {
                // References are resolved later against the bundle's own entries.
                report.issues.retain(|i| {
                    !(i.severity.is_error() && i.code == custodian_validation::IssueType::NotFound)
                });
                for issue in &mut report.issues {
                    if let Some(index) = entry_index(&issue.expression) {
                        let full_url = bundle
                            .pointer(&format!("/entry/{index}/fullUrl"))
                            .and_then(Value::as_str);
                        issue.diagnostics = match full_url {
                            Some(u) => format!("entry {index} ({u}): {}", issue.diagnostics),
                            None => format!("entry {index}: {}", issue.diagnostics),
                        };
                    }
                }
                if report.has_errors() {
                    Err(FhirError::Invalid(report))
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(e),
        }
    }

    fn transaction(
        &self,
        ctx: &RequestContext,
        bundle: Value,
        entry_return: EntryReturn,
    ) -> Result<String, FhirError> {
        let mut planned = plan::plan(bundle, &ctx.base_url)?;
        for p in &mut planned {
            self.resolve_patch(p)
                .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e))?;
        }
        // Deletes run first, so the other entries' conditions are judged without what they
        // delete, and references to it fail.
        let no_exclusions = HashSet::new();
        for p in planned.iter_mut().filter(|p| p.action == Action::Delete) {
            self.resolve_criteria(p, &no_exclusions)
                .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e))?;
        }
        let deleted: HashSet<String> = planned
            .iter()
            .filter(|p| p.action == Action::Delete)
            .map(Planned::local_reference)
            .collect();
        for p in planned.iter_mut().filter(|p| p.action != Action::Delete) {
            self.resolve_criteria(p, &deleted)
                .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e))?;
        }
        plan::check_unique(&planned)?;
        refuse_repeated_criteria(&planned)?;
        let identities: HashMap<String, String> = planned
            .iter()
            .filter(|p| matches!(p.action, Action::Create | Action::Update | Action::Existing))
            .filter_map(|p| p.full_url.clone().map(|u| (u, p.local_reference())))
            .collect();
        let targets: HashSet<String> = planned
            .iter()
            .filter(|p| matches!(p.action, Action::Create | Action::Update))
            .map(Planned::local_reference)
            .collect();
        let mut prepared = Vec::with_capacity(planned.len());
        for p in &mut planned {
            let refs = BundleRefs {
                written: &targets,
                deleted: &deleted,
            };
            let ready = self
                .prepare_entry(p, &identities, refs)
                .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e))?;
            prepared.push(ready);
        }
        // Search entries are parsed before anything is written (a bad one fails the Bundle
        // with nothing stored) and run inside the transaction, after its writes.
        let searches = planned
            .iter()
            .map(|p| match &p.action {
                Action::Search { params } => self
                    .plan_search_entry(ctx, &p.resource_type, params)
                    .and_then(|plan| self.for_transaction(plan))
                    .map(Some)
                    .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e)),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut found: Vec<Option<Found>> = Vec::new();
        let mut order: Vec<usize> = (0..planned.len()).collect();
        order.sort_by_key(|&i| planned[i].phase());
        let mut failed_at = None;
        let mut outcomes = Vec::new();
        // Plain creates (no ifNoneExist) go in together with the store's multi-row INSERTs,
        // after the deletes; everything else runs one entry at a time in the spec's order.
        let bulk: Vec<bool> = planned
            .iter()
            .map(|p| p.action == Action::Create && p.if_none_exist.is_none())
            .collect();
        let result = self.store.transaction(&ctx.audit(), |tx| {
            outcomes.clear();
            outcomes.resize_with(planned.len(), || None);
            // What the Bundle has written so far: not a concurrent change to the answers its
            // later conditions got at planning.
            let mut written: HashSet<String> = HashSet::new();
            found.clear();
            found.resize_with(planned.len(), || None);
            for &i in order.iter().filter(|&&i| planned[i].phase() == 0) {
                failed_at = Some(i);
                outcomes[i] = Some(execute(tx, &planned[i], &mut prepared[i], &written)?);
            }
            failed_at = bulk.iter().position(|b| *b);
            let mut indices = Vec::new();
            let mut items = Vec::new();
            for (i, slot) in prepared.iter_mut().enumerate() {
                if let (
                    true,
                    Some(Prepared {
                        resource, index, ..
                    }),
                ) = (bulk[i], slot.as_mut())
                {
                    indices.push(i);
                    items.push(BatchItem {
                        resource_type: planned[i].resource_type.as_str(),
                        id: Some(planned[i].id.as_str()),
                        index: &*index,
                        render: move |meta: &Meta<'_>| render(resource, meta),
                    });
                }
            }
            if !items.is_empty() {
                for (i, resource) in indices.into_iter().zip(tx.create_many(items)?) {
                    written.insert(planned[i].local_reference());
                    outcomes[i] = Some(Outcome::Written {
                        resource,
                        created: true,
                    });
                }
            }
            for &i in order
                .iter()
                .filter(|&&i| planned[i].phase() > 0 && !bulk[i])
            {
                failed_at = Some(i);
                if let Some(search) = &searches[i] {
                    found[i] = Some(search.run_in(tx)?);
                    continue;
                }
                outcomes[i] = Some(execute(tx, &planned[i], &mut prepared[i], &written)?);
                if matches!(planned[i].action, Action::Create | Action::Update) {
                    written.insert(planned[i].local_reference());
                }
            }
            failed_at = None;
            Ok(())
        });
        if let Err(e) = result {
            let p = failed_at.and_then(|i| planned.get(i));
            return Err(match p {
                Some(p) => entry_error(p.index, p.full_url.as_deref(), FhirError::from(e)),
                None => FhirError::from(e),
            });
        }
        // Rendering a page cannot fail for what the store found, but says so if it does.
        for (i, result) in found.into_iter().enumerate() {
            if let (Some(search), Some(result), Some(p)) = (&searches[i], result, planned.get(i)) {
                let bundle = self
                    .render_search(ctx, search, result)
                    .map_err(|e| entry_error(p.index, p.full_url.as_deref(), e))?;
                outcomes[i] = Some(Outcome::Searched(bundle));
            }
        }
        let mut writer = BundleWriter::new("transaction-response", None, &[]);
        for outcome in outcomes.iter().flatten() {
            write_outcome(&mut writer, ctx, outcome, entry_return);
        }
        Ok(writer.finish())
    }

    fn batch(&self, ctx: &RequestContext, bundle: &Value, entry_return: EntryReturn) -> String {
        let entries = bundle
            .get("entry")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut writer = BundleWriter::new("batch-response", None, &[]);
        for (index, entry) in entries.iter().enumerate() {
            let single = serde_json::json!({ "entry": [entry] });
            let result = self.batch_entry(ctx, &single).map_err(|e| {
                let full_url = entry.get("fullUrl").and_then(Value::as_str);
                entry_error(index, full_url, e)
            });
            match result {
                Ok(outcome) => write_outcome(&mut writer, ctx, &outcome, entry_return),
                Err(e) => {
                    let status = format!("{} {}", e.status(), reason(e.status()));
                    let outcome = e.to_operation_outcome();
                    writer.entry(&Entry {
                        response: Some(Response {
                            status: &status,
                            ..Default::default()
                        }),
                        outcome: Some(&outcome),
                        ..Default::default()
                    });
                }
            }
        }
        writer.finish()
    }

    /// One batch entry, in its own transaction. Batch entries may not refer to each other.
    fn batch_entry(&self, ctx: &RequestContext, single: &Value) -> Result<Outcome, FhirError> {
        let entry = single
            .get("entry")
            .and_then(|e| e.get(0))
            .ok_or_else(|| FhirError::bad_request("empty entry"))?;
        let full_url = entry
            .get("fullUrl")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let resource = entry.get("resource").cloned();
        let mut planned = plan::plan_entry(0, entry, resource, full_url, &ctx.base_url)?;
        self.resolve_patch(&mut planned)?;
        self.resolve_criteria(&mut planned, &HashSet::new())?;
        if let Action::Search { params } = &planned.action {
            return self
                .search_entry(ctx, &planned.resource_type, params)
                .map(Outcome::Searched);
        }
        let targets: HashSet<String> = [planned.local_reference()].into();
        let none = HashSet::new();
        let refs = BundleRefs {
            written: &targets,
            deleted: &none,
        };
        let mut prepared = self.prepare_entry(&mut planned, &HashMap::new(), refs)?;
        Ok(self.store.write_one(&ctx.audit(), |tx| {
            execute(tx, &planned, &mut prepared, &HashSet::new())
        })?)
    }

    /// A PATCH entry as the update it is: the current version with the patch applied,
    /// written only if that version is still current when the Bundle runs (a concurrent
    /// change fails it with a version conflict; its `ifMatch`, if any, must name that
    /// version). Processed with the PUTs, as http.html orders PATCH.
    fn resolve_patch(&self, p: &mut Planned) -> Result<(), FhirError> {
        let Some(patch) = p.patch.take() else {
            return Ok(());
        };
        self.check_type(&p.resource_type)?;
        let (document, version) = self.patched(&p.resource_type, &p.id, &patch, p.if_match)?;
        // As on `PATCH [type]/[id]`: the result must still be this resource.
        let same = document.get("resourceType").and_then(Value::as_str)
            == Some(p.resource_type.as_str())
            && document.get("id").and_then(Value::as_str) == Some(p.id.as_str());
        if !same {
            return Err(FhirError::bad_request(
                "a patch may not change the resource's type or id",
            ));
        }
        p.resource = Some(document);
        p.action = Action::Update;
        p.implied_if_match = p.if_match.is_none();
        p.if_match = Some(version);
        Ok(())
    }

    /// Turns an entry's conditions (`ifNoneExist`, `PUT/DELETE Type?criteria`) into a
    /// concrete target, against the stored state before the bundle runs.
    fn resolve_criteria(
        &self,
        p: &mut Planned,
        deleted: &HashSet<String>,
    ) -> Result<(), FhirError> {
        let Some(criteria) = p.criteria.clone() else {
            return Ok(());
        };
        self.check_type(&p.resource_type)?;
        let query = self.criteria(&p.resource_type, &criteria)?;
        let ids: Vec<String> = self
            .store
            .search_ids(&query, 2 + deleted.len())?
            .into_iter()
            .filter(|id| !deleted.contains(&format!("{}/{id}", p.resource_type)))
            .collect();
        let body_id = p
            .resource
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match (&p.action, ids.as_slice()) {
            (_, [_, _, ..]) => {
                return Err(FhirError::PreconditionFailed(format!(
                    "the criteria '{criteria}' match several resources; exactly one is required"
                )))
            }
            (Action::Create, []) => p.if_none_exist = Some(query),
            (Action::Create, [one]) => {
                p.action = Action::Existing;
                p.id = one.clone();
            }
            (Action::Update, []) => {
                p.conditional = Some(Conditional {
                    query,
                    matched: None,
                    client_id: body_id.is_some(),
                });
                p.id = body_id.unwrap_or_else(custodian_store::new_id);
            }
            (Action::Update, [one]) => {
                if body_id.as_deref().is_some_and(|b| b != one) {
                    return Err(FhirError::bad_request(format!(
                        "the criteria match {}/{one} but the resource's id differs",
                        p.resource_type
                    )));
                }
                p.id = one.clone();
                p.conditional = Some(Conditional {
                    query,
                    matched: Some(one.clone()),
                    client_id: false,
                });
            }
            (Action::Delete, []) => p.action = Action::NothingToDelete,
            (Action::Delete, [one]) => {
                p.id = one.clone();
                p.conditional = Some(Conditional {
                    query,
                    matched: Some(one.clone()),
                    client_id: false,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// The query of a search entry (`GET Type?params`, or `GET ?_type=...` when
    /// `resource_type` is empty), parsed (strict handling).
    fn plan_search_entry(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        params: &str,
    ) -> Result<SearchPlan, FhirError> {
        let pairs = search_pairs(params)?;
        let strict = custodian_search::query::Handling::Strict;
        if resource_type.is_empty() {
            return self.plan_system_search(ctx, &pairs, strict);
        }
        self.plan_search(ctx, resource_type, &pairs, strict)
    }

    /// A search entry of a batch: on its own, like `GET Type?params`.
    fn search_entry(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        params: &str,
    ) -> Result<String, FhirError> {
        let plan = self.plan_search_entry(ctx, resource_type, params)?;
        let found = self.run_search(&plan)?;
        self.render_search(ctx, &plan, found)
    }

    /// Rewrites references, sets the id, parses, validates and indexes a write entry.
    fn prepare_entry(
        &self,
        p: &mut Planned,
        identities: &HashMap<String, String>,
        refs: BundleRefs<'_>,
    ) -> Result<Option<Prepared>, FhirError> {
        if !p.is_system_search() {
            self.check_type(&p.resource_type)?;
        }
        if !matches!(p.action, Action::Create | Action::Update) {
            return Ok(None);
        }
        // Planning and criteria are done with it: the typed resource replaces it.
        let Some(mut resource) = p.resource.take() else {
            return Ok(None);
        };
        let ids = rewrite::Identities::new(identities, p.full_url.as_deref());
        rewrite::rewrite(&mut resource, &ids).map_err(|urn| {
            FhirError::bad_request(format!("the reference {urn} names no entry of this bundle"))
        })?;
        rewrite::conditional_references(&mut resource, &mut |resource_type, criteria| {
            let query = self.criteria(resource_type, criteria)?;
            match self.store.search_ids(&query, 2)?.as_slice() {
                [one] => Ok(format!("{resource_type}/{one}")),
                [] => Err(FhirError::PreconditionFailed(format!(
                    "the conditional reference {resource_type}?{criteria} matches no resource"
                ))),
                _ => Err(FhirError::PreconditionFailed(format!(
                    "the conditional reference {resource_type}?{criteria} matches several resources"
                ))),
            }
        })?;
        if let Some(object) = resource.as_object_mut() {
            object.insert("id".to_owned(), Value::String(p.id.clone()));
        }
        let parsed: Resource = json::from_value(resource)?;
        self.prepare_in(
            &p.resource_type,
            parsed,
            IdRule::Equals(&p.id),
            RefScope::Bundle(refs),
        )
        .map(Some)
    }
}

/// Creates the entry's resource under its planned id while claiming `query`'s criteria key in
/// the same transaction; `lost` is the error when a concurrent writer's matching resource
/// got there first.
fn create_claiming(
    tx: &mut Tx<'_>,
    p: &Planned,
    prepared: &mut Prepared,
    query: &custodian_search::query::SearchQuery,
    written: &HashSet<String>,
    lost: impl FnOnce() -> StoreError,
) -> Result<Outcome, StoreError> {
    let key = crate::core::conditional::criteria_key(query);
    let created = tx.create_conditional_as(
        &p.resource_type,
        &p.id,
        &key,
        |tx| others_matching(tx, p, query, written),
        &prepared.index,
        |meta| render(&mut prepared.resource, meta),
    )?;
    match created {
        ConditionalCreate::Created(resource) => Ok(Outcome::Written {
            resource,
            created: true,
        }),
        ConditionalCreate::Existing(_) => Err(lost()),
    }
}

/// Checks inside the write transaction that a conditional update's or delete's criteria
/// still match what they matched when the Bundle was planned (deletes of this Bundle have
/// run by then, so what they removed no longer matches, as in planning).
fn still_matches(
    tx: &mut Tx<'_>,
    p: &Planned,
    c: &Conditional,
    written: &HashSet<String>,
) -> Result<(), StoreError> {
    if let Some(id) = &c.matched {
        // Held until commit: a concurrent writer cannot change it between check and write.
        tx.lock(&p.resource_type, id)?;
    }
    // The matched resource is never among what the Bundle wrote before this entry: no two
    // entries touch one resource (`check_unique`).
    let now = others_matching(tx, p, &c.query, written)?;
    let same = match (&c.matched, now.as_slice()) {
        (None, []) => true,
        (Some(id), [one]) => one == id,
        // What a conditional delete matched was deleted meanwhile: deleting it again is a
        // no-op, like any delete of a deleted resource.
        (Some(_), []) => p.action == Action::Delete,
        _ => false,
    };
    match (same, now.len()) {
        (true, _) => Ok(()),
        (false, count @ 2..) => Err(StoreError::MultipleMatches { count }),
        (false, _) => Err(changed_concurrently(p)),
    }
}

/// Up to two resources matching `query` now, leaving out those the Bundle has written.
fn others_matching(
    tx: &mut Tx<'_>,
    p: &Planned,
    query: &custodian_search::query::SearchQuery,
    written: &HashSet<String>,
) -> Result<Vec<String>, StoreError> {
    let mut ids = tx.search_ids(query, 2 + written.len())?;
    ids.retain(|id| !written.contains(&format!("{}/{id}", p.resource_type)));
    ids.truncate(2);
    Ok(ids)
}

fn changed_concurrently(p: &Planned) -> StoreError {
    let method = match (&p.action, p.implied_if_match) {
        (Action::Delete, _) => "DELETE",
        (_, true) => "PATCH",
        _ => "PUT",
    };
    StoreError::Duplicate(format!(
        "what this {method} entry was planned on changed while the bundle was processed; \
         retry the bundle"
    ))
}

/// Two entries that may each create a resource under the same criteria (`ifNoneExist`, a
/// conditional update that matched nothing) would create two: refused, naming both.
fn refuse_repeated_criteria(planned: &[Planned]) -> Result<(), FhirError> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for p in planned {
        let query = match (&p.action, &p.if_none_exist, &p.conditional) {
            (Action::Create, Some(query), _) => query,
            (Action::Update, _, Some(c)) if c.matched.is_none() => &c.query,
            _ => continue,
        };
        let key = (
            p.resource_type.clone(),
            crate::core::conditional::criteria_key(query),
        );
        if let Some(first) = seen.insert(key, p.index) {
            return Err(entry_error(
                p.index,
                p.full_url.as_deref(),
                FhirError::bad_request(format!(
                    "entries {first} and {} would each create a {} for the same criteria; \
                     a bundle may do that once",
                    p.index, p.resource_type
                )),
            ));
        }
    }
    Ok(())
}

/// A search entry's query string as name/value pairs.
fn search_pairs(params: &str) -> Result<Vec<(String, String)>, FhirError> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(params)
        .map(actix_web::web::Query::into_inner)
        .map_err(|e| FhirError::bad_request(format!("malformed search '{params}': {e}")))
}

/// Runs one planned entry inside the write transaction. `written` holds the `Type/id` of
/// what the Bundle has written so far: not a concurrent change to the answers its conditions
/// got when it was planned.
fn execute(
    tx: &mut Tx<'_>,
    p: &Planned,
    prepared: &mut Option<Prepared>,
    written: &HashSet<String>,
) -> Result<Outcome, StoreError> {
    match &p.action {
        Action::Delete => {
            if let Some(c) = &p.conditional {
                still_matches(tx, p, c, written)?;
            }
            // Deleting what is already gone (or never was) succeeds: delete is idempotent.
            tx.delete(&p.resource_type, &p.id, p.if_match)?;
            Ok(Outcome::Deleted)
        }
        Action::Create | Action::Update => {
            let Some(prepared) = prepared.as_mut() else {
                return Err(StoreError::Render("entry was not prepared".into()));
            };
            // A conditional update that matched nothing creates: it claims its criteria's key,
            // as the REST interaction does, and the search after the claim (which waits out a
            // concurrent claimant) is its re-check. One that matched is re-checked as such.
            match &p.conditional {
                Some(c) if c.matched.is_some() => still_matches(tx, p, c, written)?,
                Some(c) if c.client_id => {
                    // Update-as-create of the resource's own id, below.
                    let key = crate::core::conditional::criteria_key(&c.query);
                    let others = tx.claim_criteria(&p.resource_type, &p.id, &key, |tx| {
                        others_matching(tx, p, &c.query, written)
                    })?;
                    if !others.is_empty() {
                        return Err(changed_concurrently(p));
                    }
                    crate::core::conditional::refuse_existing(tx, &p.resource_type, &p.id)?;
                }
                Some(_) if p.if_match.is_some() => {
                    // Nothing matched, so no version can be the one ifMatch expects.
                    return Err(StoreError::VersionConflict {
                        expected: p.if_match.unwrap_or_default(),
                        actual: None,
                    });
                }
                Some(c) => {
                    return create_claiming(tx, p, prepared, &c.query, written, || {
                        changed_concurrently(p)
                    })
                }
                None => {}
            }
            if let Some(query) = &p.if_none_exist {
                // Claim the criteria key with the id the bundle assigned: a concurrent
                // transaction with the same ifNoneExist waits for this one, then finds its
                // resource, and fails rather than create a second one.
                return create_claiming(tx, p, prepared, query, written, || {
                    StoreError::Duplicate(format!(
                        "a {} matching ifNoneExist was created concurrently; retry the bundle",
                        p.resource_type
                    ))
                });
            }
            let if_match = if p.action == Action::Update {
                p.if_match
            } else {
                None
            };
            let out = tx
                .update(&p.resource_type, &p.id, if_match, &prepared.index, |meta| {
                    render(&mut prepared.resource, meta)
                })
                .map_err(|e| match e {
                    // A PATCH's version was read at planning, not sent by the client.
                    StoreError::VersionConflict { .. } if p.implied_if_match => {
                        changed_concurrently(p)
                    }
                    e => e,
                })?;
            Ok(Outcome::Written {
                resource: out.resource,
                created: out.created,
            })
        }
        Action::Search { .. } | Action::NothingToDelete => Ok(Outcome::Deleted),
        // `resolve_patch` turned every PATCH into an update before execution.
        Action::Patch => Err(StoreError::Render("PATCH entry was not resolved".into())),
        Action::Existing => Ok(Outcome::Existing(tx.read(&p.resource_type, &p.id)?)),
        Action::Read { version } => {
            let stored = match version {
                Some(v) => {
                    let v = v.parse().map_err(|_| StoreError::NotFound {
                        resource_type: p.resource_type.clone(),
                        id: format!("{}/_history/{v}", p.id),
                    })?;
                    tx.vread(&p.resource_type, &p.id, v)?
                }
                None => tx.read(&p.resource_type, &p.id)?,
            };
            // As in HTTP (RFC 9110 13.2.2), ifNoneMatch decides when both are given.
            let hit = match (p.if_none_match.as_deref(), p.if_modified_since) {
                (Some(tags), _) => crate::http::negotiate::none_match_hits(tags, stored.version),
                (None, Some(since)) => stored.last_updated <= since,
                (None, None) => false,
            };
            Ok(if hit {
                Outcome::NotModified(stored)
            } else {
                Outcome::Read {
                    resource: stored,
                    head: p.head,
                }
            })
        }
    }
}

fn write_outcome(
    writer: &mut BundleWriter,
    ctx: &RequestContext,
    outcome: &Outcome,
    entry_return: EntryReturn,
) {
    match outcome {
        Outcome::Written { resource, .. }
        | Outcome::Read { resource, .. }
        | Outcome::NotModified(resource) => {
            let (status, body) = match outcome {
                Outcome::Written { created: true, .. } => {
                    ("201 Created", entry_return == EntryReturn::Representation)
                }
                Outcome::Written { .. } => ("200 OK", entry_return == EntryReturn::Representation),
                Outcome::NotModified(_) => ("304 Not Modified", false),
                Outcome::Read { head, .. } => ("200 OK", !head),
                _ => ("200 OK", true),
            };
            let full_url = format!(
                "{}/{}/{}",
                ctx.base_url, resource.resource_type, resource.id
            );
            let location = format!(
                "{}/{}/_history/{}",
                resource.resource_type, resource.id, resource.version
            );
            let etag = format!("W/\"{}\"", resource.version);
            let last_modified = format_instant(resource.last_updated);
            let info = (entry_return == EntryReturn::OperationOutcome).then(|| {
                super::error::information(&format!("{} version {}", location, resource.version))
            });
            writer.entry(&Entry {
                full_url: Some(&full_url),
                resource: body.then_some(resource.body.as_str()),
                response: Some(Response {
                    status,
                    location: matches!(outcome, Outcome::Written { .. })
                        .then_some(location.as_str()),
                    etag: Some(&etag),
                    last_modified: Some(&last_modified),
                }),
                outcome: info.as_ref(),
                ..Default::default()
            });
        }
        Outcome::Searched(bundle) => writer.entry(&Entry {
            resource: Some(bundle),
            response: Some(Response {
                status: "200 OK",
                ..Default::default()
            }),
            ..Default::default()
        }),
        Outcome::Existing(resource) => {
            let full_url = format!(
                "{}/{}/{}",
                ctx.base_url, resource.resource_type, resource.id
            );
            let location = format!(
                "{}/{}/_history/{}",
                resource.resource_type, resource.id, resource.version
            );
            let etag = format!("W/\"{}\"", resource.version);
            writer.entry(&Entry {
                full_url: Some(&full_url),
                resource: (entry_return == EntryReturn::Representation)
                    .then_some(resource.body.as_str()),
                response: Some(Response {
                    status: "200 OK",
                    location: Some(&location),
                    etag: Some(&etag),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        Outcome::Deleted => writer.entry(&Entry {
            response: Some(Response {
                status: "204 No Content",
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

/// `N` of an expression `Bundle.entry[N]...`.
fn entry_index(expression: &str) -> Option<usize> {
    expression
        .strip_prefix("Bundle.entry[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
}

/// A copy of the Bundle without its entries' resources (which are not copied).
fn envelope(bundle: &Value) -> Value {
    let Some(fields) = bundle.as_object() else {
        return bundle.clone();
    };
    let copy = fields
        .iter()
        .map(|(name, value)| {
            let value = match (name.as_str(), value) {
                ("entry", Value::Array(entries)) => Value::Array(
                    entries
                        .iter()
                        .map(|entry| match entry.as_object() {
                            Some(entry) => Value::Object(
                                entry
                                    .iter()
                                    .filter(|(name, _)| name.as_str() != "resource")
                                    .map(|(name, value)| (name.clone(), value.clone()))
                                    .collect(),
                            ),
                            None => entry.clone(),
                        })
                        .collect(),
                ),
                _ => value.clone(),
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(copy)
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}
