//! Bulk loading: many resources prepared in parallel and written in large transactions.
//! Used by `custodian import`; not reachable over HTTP.

use super::error::FhirError;
use super::resolver::{ImportRefs, RefScope};
use super::write::{render, IdRule, Prepared};
use super::{Fhir, RequestContext};
use custodian_model::{json, Resource};
use custodian_store::{new_id, BatchItem, Meta, StoreError};
use custodian_validation::{Issue, IssueType, Severity, ValidationReport};
use std::collections::HashSet;
use std::sync::Mutex;

/// One resource to load, with where it came from (for the failure report).
pub struct ImportItem {
    pub line: usize,
    pub json: Vec<u8>,
}

/// Why an item was not loaded.
#[derive(Debug)]
pub struct ImportFailure {
    pub line: usize,
    pub error: FhirError,
}

/// A chunk parsed, validated and indexed, ready to be written ([`Fhir::write_prepared`]).
pub struct PreparedChunk {
    /// Lines of the items, in input order (failures of the write name them all).
    lines: Vec<usize>,
    ready: Vec<(String, String, Prepared)>,
    failures: Vec<ImportFailure>,
}

impl ImportFailure {
    /// True when the line failed only because resources it references are not stored (yet):
    /// it may load once they are.
    pub fn waits_for_references(&self) -> bool {
        match &self.error {
            FhirError::Invalid(report) => report
                .issues
                .iter()
                .filter(|i| i.severity.is_error())
                .all(|i| i.code == IssueType::NotFound),
            _ => false,
        }
    }
}

impl PreparedChunk {
    /// How many items the chunk came from.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl Fhir {
    /// Loads `items`: [`Fhir::prepare_chunk`] then [`Fhir::write_prepared`].
    pub fn import_chunk(
        &self,
        ctx: &RequestContext,
        items: Vec<ImportItem>,
        threads: usize,
    ) -> (usize, Vec<ImportFailure>) {
        self.write_prepared(ctx, self.prepare_chunk(items, threads))
    }

    /// Parses, validates and indexes `items` on `threads` threads. Resources keep their ids
    /// (Bulk Data exports reference each other by them); those without one get a new id.
    /// Nothing is written, so a caller can prepare the next chunk while one is written, except
    /// under referential integrity: references resolve against the store and the chunk itself,
    /// so the chunks before must be in the store (see [`Fhir::referential_integrity`]).
    pub fn prepare_chunk(&self, items: Vec<ImportItem>, threads: usize) -> PreparedChunk {
        let threads = threads.max(1);
        let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
        let parsed = in_parallel(items, threads, |item| self.parse_import(&item.json));
        let mut failures = Vec::new();
        let mut chunk = Vec::with_capacity(parsed.len());
        for (&line, result) in lines.iter().zip(parsed) {
            match result.unwrap_or_else(|| Err(worker_failed())) {
                Ok(p) => chunk.push((line, p)),
                Err(error) => failures.push(ImportFailure { line, error }),
            }
        }
        // Only references that are checked need the chunk's ids.
        let ids: HashSet<String> = if self.config.referential_integrity {
            chunk
                .iter()
                .map(|(_, (resource_type, id, _))| format!("{resource_type}/{id}"))
                .collect()
        } else {
            HashSet::new()
        };
        let chunk_lines: Vec<usize> = chunk.iter().map(|(line, _)| *line).collect();
        let validated = in_parallel(chunk, threads, |(line, (resource_type, id, resource))| {
            let relied_on = Mutex::new(Vec::new());
            let scope = RefScope::Import(ImportRefs {
                chunk: &ids,
                relied_on: &relied_on,
            });
            let prepared = self.prepare_in(&resource_type, resource, IdRule::Equals(&id), scope);
            prepared.map(|prepared| Ready {
                line,
                resource_type,
                id,
                prepared,
                relied_on: relied_on
                    .into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            })
        });
        let mut ready = Vec::with_capacity(validated.len());
        for (line, result) in chunk_lines.into_iter().zip(validated) {
            match result.unwrap_or_else(|| Err(worker_failed())) {
                Ok(r) => ready.push(r),
                Err(error) => failures.push(ImportFailure { line, error }),
            }
        }
        if !ids.is_empty() {
            fail_dangling(&mut ready, &mut failures, &ids);
        }
        failures.sort_by_key(|f| f.line);
        PreparedChunk {
            lines,
            ready: ready
                .into_iter()
                .map(|r| (r.resource_type, r.id, r.prepared))
                .collect(),
            failures,
        }
    }

    /// Writes a prepared chunk's good resources in one transaction; returns how many were
    /// written and every failure of the chunk.
    pub fn write_prepared(
        &self,
        ctx: &RequestContext,
        chunk: PreparedChunk,
    ) -> (usize, Vec<ImportFailure>) {
        let PreparedChunk {
            lines,
            mut ready,
            mut failures,
        } = chunk;
        // New ids (the usual case) go in with multi-row INSERTs; a chunk that touches an
        // existing id is written again resource by resource, as updates.
        let mut written = self.store.transaction(&ctx.audit(), |tx| {
            let items = ready
                .iter_mut()
                .map(|(resource_type, id, prepared)| {
                    let Prepared {
                        resource, index, ..
                    } = prepared;
                    BatchItem {
                        resource_type: resource_type.as_str(),
                        id: Some(id.as_str()),
                        index: &*index,
                        render: move |meta: &Meta<'_>| render(resource, meta),
                    }
                })
                .collect();
            tx.create_many(items).map(|_| ())
        });
        if matches!(written, Err(StoreError::Duplicate(_))) {
            written = self.store.transaction(&ctx.audit(), |tx| {
                for (resource_type, id, prepared) in ready.iter_mut() {
                    tx.update(resource_type, id, None, &prepared.index, |meta| {
                        render(&mut prepared.resource, meta)
                    })?;
                }
                Ok(())
            });
        }
        match written {
            Ok(()) => (ready.len(), failures),
            Err(e) => {
                let error = FhirError::from(e);
                for &line in &lines {
                    if !failures.iter().any(|f| f.line == line) {
                        failures.push(ImportFailure {
                            line,
                            error: FhirError::Internal(error.to_string()),
                        });
                    }
                }
                failures.sort_by_key(|f| f.line);
                (0, failures)
            }
        }
    }

    /// Parses one line; a resource without an id gets a new one.
    fn parse_import(&self, bytes: &[u8]) -> Result<(String, String, Resource), FhirError> {
        let mut resource: Resource = json::from_slice(bytes)?;
        let resource_type = resource.resource_type().to_owned();
        self.check_type(&resource_type)?;
        let id = match resource.id() {
            Some(id) => id.to_owned(),
            None => {
                let id = new_id();
                resource.set_id(Some(id.clone()));
                id
            }
        };
        Ok((resource_type, id, resource))
    }
}

/// A line that passed validation, with the chunk's resources its references relied on.
struct Ready {
    line: usize,
    resource_type: String,
    id: String,
    prepared: Prepared,
    relied_on: Vec<String>,
}

/// Under referential integrity a line may rely on another line of its chunk: when that one
/// failed, the line fails too (and so on, until nothing relies on a failed line).
fn fail_dangling(
    ready: &mut Vec<Ready>,
    failures: &mut Vec<ImportFailure>,
    chunk_ids: &HashSet<String>,
) {
    loop {
        let present: HashSet<String> = ready
            .iter()
            .map(|r| format!("{}/{}", r.resource_type, r.id))
            .collect();
        let (dangling, kept): (Vec<Ready>, Vec<Ready>) =
            std::mem::take(ready).into_iter().partition(|r| {
                r.relied_on
                    .iter()
                    .any(|t| chunk_ids.contains(t) && !present.contains(t))
            });
        *ready = kept;
        if dangling.is_empty() {
            return;
        }
        for r in dangling {
            let missing = r
                .relied_on
                .iter()
                .find(|t| !present.contains(*t))
                .cloned()
                .unwrap_or_default();
            // Reported like a missing reference: it is one, and may load in a later round.
            let issue = Issue::new(
                Severity::Error,
                IssueType::NotFound,
                r.resource_type.as_str(),
                format!(
                    "the referenced resource '{missing}' failed to import, so this one cannot be \
                     imported either"
                ),
            );
            failures.push(ImportFailure {
                line: r.line,
                error: FhirError::Invalid(ValidationReport {
                    issues: vec![issue],
                }),
            });
        }
    }
}

/// `work` applied to each item on up to `threads` threads, results in input order; `None`
/// for the items of a worker that died.
fn in_parallel<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<Option<R>> {
    let size = items.len().div_ceil(threads).max(1);
    let mut batches = Vec::new();
    let mut items = items.into_iter();
    loop {
        let batch: Vec<T> = items.by_ref().take(size).collect();
        if batch.is_empty() {
            break;
        }
        batches.push(batch);
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                let len = batch.len();
                let handle = scope.spawn(move || batch.into_iter().map(work).collect::<Vec<R>>());
                (len, handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(len, h)| match h.join() {
                Ok(results) => results.into_iter().map(Some).collect::<Vec<_>>(),
                Err(_) => (0..len).map(|_| None).collect(),
            })
            .collect()
    })
}

fn worker_failed() -> FhirError {
    FhirError::Internal("import worker failed".into())
}
