//! Bulk loading: many resources prepared in parallel and written in large transactions.
//! Used by `custodian import`; not reachable over HTTP.

use super::error::FhirError;
use super::write::{render, IdRule, Prepared};
use super::{Fhir, RequestContext};
use custodian_model::{json, Resource};
use custodian_store::{new_id, BatchItem, Meta, StoreError};

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
    /// Nothing is written, so a caller can prepare the next chunk while one is written.
    pub fn prepare_chunk(&self, items: Vec<ImportItem>, threads: usize) -> PreparedChunk {
        let results = self.prepare_all(&items, threads.max(1));
        let mut failures = Vec::new();
        let mut ready = Vec::with_capacity(items.len());
        for (item, result) in items.iter().zip(results) {
            match result {
                Ok(r) => ready.push(r),
                Err(error) => failures.push(ImportFailure {
                    line: item.line,
                    error,
                }),
            }
        }
        PreparedChunk {
            lines: items.iter().map(|i| i.line).collect(),
            ready,
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

    fn prepare_all(
        &self,
        items: &[ImportItem],
        threads: usize,
    ) -> Vec<Result<(String, String, Prepared), FhirError>> {
        let size = items.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(size)
                .map(|chunk| {
                    let handle = scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|i| self.prepare_import(&i.json))
                            .collect::<Vec<_>>()
                    });
                    (chunk.len(), handle)
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(len, h)| {
                    h.join().unwrap_or_else(|_| {
                        (0..len)
                            .map(|_| Err(FhirError::Internal("import worker failed".into())))
                            .collect()
                    })
                })
                .collect()
        })
    }

    fn prepare_import(&self, bytes: &[u8]) -> Result<(String, String, Prepared), FhirError> {
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
        let prepared = self.prepare_in(&resource_type, resource, IdRule::Equals(&id), None)?;
        Ok((resource_type, id, prepared))
    }
}
