//! The same suite on SQLite and PostgreSQL (`sqlite::*`, `postgres::*`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use common::TestDb;
use custodian_search::index::{IndexEntry, IndexValue, ResourceIndex};
use custodian_store::*;
use serde_json::{json, Value};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::TestDb::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = super::TestDb::postgres() { super::$name(&db) }
            } )*
        }
    };
}

both_backends!(
    crud_gone_recreate,
    read_returns_stored_bytes,
    if_match_conflicts,
    history_order_since_at_count_paging,
    history_paging_while_writing,
    lost_updates_two_pools,
    conditional_create_16_concurrent,
    index_rows_replaced_and_removed,
    audit_rows_in_same_transaction,
    failed_writes_leave_nothing,
    bundle_like_transaction_commits_together,
    hostile_input_changes_nothing,
    migrate_is_idempotent,
    concurrent_writes_some_failing,
    grouped_writes_some_failing,
    grouped_transactions_some_failing,
    create_many_batches,
);

fn ctx() -> AuditContext {
    AuditContext {
        request_id: Some("req-1".into()),
        client: Some("test-client".into()),
    }
}

/// A renderer that sets id and meta on `body`.
fn render(body: Value) -> impl FnMut(&Meta<'_>) -> Result<Vec<u8>, BoxError> {
    move |m| {
        let mut v = body.clone();
        v["id"] = json!(m.id);
        v["meta"] = json!({"versionId": m.version_id, "lastUpdated": m.last_updated});
        Ok(serde_json::to_vec(&v)?)
    }
}

fn patient(family: &str) -> Value {
    json!({"resourceType": "Patient", "name": [{"family": family}]})
}

fn index(family: &str, identifier: &str) -> ResourceIndex {
    ResourceIndex {
        entries: vec![
            IndexEntry {
                param: "family".into(),
                value: IndexValue::String {
                    normalized: family.to_lowercase(),
                    exact: family.into(),
                },
            },
            IndexEntry {
                param: "identifier".into(),
                value: IndexValue::Token {
                    system: Some("urn:sys".into()),
                    code: Some(identifier.into()),
                    display: None,
                },
            },
            IndexEntry {
                param: "birthdate".into(),
                value: IndexValue::Date {
                    low: 315_532_800_000_000,
                    high: 347_155_199_999_999,
                },
            },
        ],
        contained: Vec::new(),
    }
}

fn json_of(r: &StoredResource) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

fn counts(store: &Store, t: &str, id: &str) -> Vec<(&'static str, i64)> {
    store
        .with_reader(|tx| tx.index_row_counts(t, id))
        .unwrap()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn crud_gone_recreate(db: &TestDb) {
    let store = db.open();
    let created = store
        .create(
            &ctx(),
            "Patient",
            &index("Smith", "1"),
            render(patient("Smith")),
        )
        .unwrap();
    assert_eq!(created.version, 1);
    validate_id(&created.id).unwrap();
    let v = json_of(&created);
    assert_eq!(v["id"], json!(created.id));
    assert_eq!(v["meta"]["versionId"], json!("1"));
    assert_eq!(
        v["meta"]["lastUpdated"],
        json!(created.last_updated_instant())
    );

    let read = store.read("Patient", &created.id).unwrap();
    assert_eq!(read, created);

    let upd = store
        .update(
            &ctx(),
            "Patient",
            &created.id,
            None,
            &index("Jones", "1"),
            render(patient("Jones")),
        )
        .unwrap();
    assert!(!upd.created);
    assert_eq!(upd.resource.version, 2);
    assert!(upd.resource.last_updated > created.last_updated);
    assert_eq!(store.read("Patient", &created.id).unwrap(), upd.resource);
    assert_eq!(store.vread("Patient", &created.id, 1).unwrap(), created);

    let del = store.delete(&ctx(), "Patient", &created.id, None).unwrap();
    assert!(matches!(del, DeleteOutcome::Deleted { version: 3, .. }));
    assert!(matches!(
        store.read("Patient", &created.id),
        Err(StoreError::Gone { version: 3, .. })
    ));
    assert!(matches!(
        store.vread("Patient", &created.id, 3),
        Err(StoreError::Gone { .. })
    ));
    assert_eq!(
        store.vread("Patient", &created.id, 2).unwrap(),
        upd.resource
    );
    assert!(matches!(
        store.delete(&ctx(), "Patient", &created.id, None).unwrap(),
        DeleteOutcome::AlreadyDeleted { version: 3 }
    ));
    assert!(matches!(
        store.vread("Patient", &created.id, 4),
        Err(StoreError::NotFound { .. })
    ));

    // Update after delete re-creates with the next version number.
    let again = store
        .update(
            &ctx(),
            "Patient",
            &created.id,
            None,
            &index("Back", "1"),
            render(patient("Back")),
        )
        .unwrap();
    assert_eq!(again.resource.version, 4);
    // (`created` for a re-create is the server's call: 200 or 201.)
    assert_eq!(store.read("Patient", &created.id).unwrap(), again.resource);

    // Update-as-create with a client id.
    let client = store
        .update(
            &ctx(),
            "Patient",
            "client-id.1",
            None,
            &index("C", "2"),
            render(patient("C")),
        )
        .unwrap();
    assert!(client.created);
    assert_eq!(client.resource.version, 1);
    assert_eq!(json_of(&client.resource)["id"], json!("client-id.1"));

    // Unknown resources.
    assert!(matches!(
        store.read("Patient", "nope"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store.delete(&ctx(), "Patient", "nope", None).unwrap(),
        DeleteOutcome::NotFound
    );
    // Same id, other type: independent.
    assert!(matches!(
        store.read("Observation", "client-id.1"),
        Err(StoreError::NotFound { .. })
    ));
}

fn read_returns_stored_bytes(db: &TestDb) {
    let store = db.open();
    let odd = "{ \"resourceType\":\"Patient\",\n  \"x\": 1.50, \"ü\": \"\\u00fc\" }";
    let r = store
        .create(
            &ctx(),
            "Patient",
            &ResourceIndex::default(),
            |_m: &Meta<'_>| Ok(odd.as_bytes().to_vec()),
        )
        .unwrap();
    assert_eq!(
        store.read("Patient", &r.id).unwrap().body.as_bytes(),
        odd.as_bytes()
    );
    // Non-UTF-8 bodies are refused and nothing is written.
    let err = store
        .create(
            &ctx(),
            "Patient",
            &ResourceIndex::default(),
            |_m: &Meta<'_>| Ok(vec![0xff, 0xfe]),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::BodyNotUtf8));
}

fn if_match_conflicts(db: &TestDb) {
    let store = db.open();
    let r = store
        .create(&ctx(), "Patient", &index("A", "1"), render(patient("A")))
        .unwrap();
    let ok = store
        .update(
            &ctx(),
            "Patient",
            &r.id,
            Some(1),
            &index("B", "1"),
            render(patient("B")),
        )
        .unwrap();
    assert_eq!(ok.resource.version, 2);
    let err = store
        .update(
            &ctx(),
            "Patient",
            &r.id,
            Some(1),
            &index("C", "1"),
            render(patient("C")),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::VersionConflict {
            expected: 1,
            actual: Some(2)
        }
    ));
    let err = store
        .update(
            &ctx(),
            "Patient",
            "missing",
            Some(1),
            &index("C", "1"),
            render(patient("C")),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::VersionConflict {
            expected: 1,
            actual: None
        }
    ));
    assert!(matches!(
        store.delete(&ctx(), "Patient", &r.id, Some(7)),
        Err(StoreError::VersionConflict { expected: 7, .. })
    ));
    assert_eq!(store.read("Patient", &r.id).unwrap().version, 2);
    assert!(matches!(
        store.read("Patient", "missing"),
        Err(StoreError::NotFound { .. })
    ));
}

fn all_history(store: &Store, scope: HistoryScope<'_>, mut q: HistoryQuery) -> Vec<HistoryEntry> {
    let mut out = Vec::new();
    loop {
        let page = store.history(scope, &q).unwrap();
        out.extend(page.entries);
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => return out,
        }
    }
}

fn history_order_since_at_count_paging(db: &TestDb) {
    let store = db.open();
    let a = store
        .create(&ctx(), "Patient", &index("A", "1"), render(patient("A")))
        .unwrap();
    let b = store
        .create(&ctx(), "Patient", &index("B", "2"), render(patient("B")))
        .unwrap();
    let a2 = store
        .update(
            &ctx(),
            "Patient",
            &a.id,
            None,
            &index("A2", "1"),
            render(patient("A2")),
        )
        .unwrap()
        .resource;
    let o = store
        .create(
            &ctx(),
            "Observation",
            &ResourceIndex::default(),
            render(json!({"resourceType": "Observation"})),
        )
        .unwrap();
    store.delete(&ctx(), "Patient", &b.id, None).unwrap();

    let sys = all_history(&store, HistoryScope::System, HistoryQuery::default());
    let got: Vec<(String, i64)> = sys.iter().map(|e| (e.id.clone(), e.version)).collect();
    assert_eq!(
        got,
        vec![
            (b.id.clone(), 2),
            (o.id.clone(), 1),
            (a.id.clone(), 2),
            (b.id.clone(), 1),
            (a.id.clone(), 1)
        ]
    );
    assert!(sys[0].deleted && sys[0].body.is_none() && sys[0].method() == "DELETE");
    assert_eq!(sys[2].method(), "PUT");
    assert_eq!(sys[4].method(), "POST");
    assert_eq!(sys[2].body.as_deref(), Some(a2.body.as_str()));

    let ty = all_history(
        &store,
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    assert_eq!(ty.len(), 4);
    let inst = all_history(
        &store,
        HistoryScope::Instance {
            resource_type: "Patient",
            id: &a.id,
        },
        HistoryQuery::default(),
    );
    assert_eq!(
        inst.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![2, 1]
    );

    // _since: at or after a2's instant.
    let since = all_history(
        &store,
        HistoryScope::System,
        HistoryQuery {
            since: Some(a2.last_updated),
            ..Default::default()
        },
    );
    assert_eq!(since.len(), 3);

    // _count and paging.
    let page = store
        .history(
            HistoryScope::System,
            &HistoryQuery {
                count: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.entries.len(), 2);
    assert!(page.next.is_some());
    let paged = all_history(
        &store,
        HistoryScope::System,
        HistoryQuery {
            count: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(paged, sys);
    let zero = store
        .history(
            HistoryScope::System,
            &HistoryQuery {
                count: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(zero.entries.is_empty() && zero.next.is_none());
    let huge = store
        .history(
            HistoryScope::System,
            &HistoryQuery {
                count: Some(u32::MAX),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(huge.entries.len(), 5);

    // _at: the versions of `a` current at an instant between v1 and v2 is v1 only; at v2's
    // instant, v2 (v1 ended exactly then); over a range covering both, both.
    let mid = (a.last_updated + a2.last_updated) / 2;
    let at = |low: i64, high: i64| {
        all_history(
            &store,
            HistoryScope::Instance {
                resource_type: "Patient",
                id: &a.id,
            },
            HistoryQuery {
                at: Some((low, high)),
                ..Default::default()
            },
        )
        .iter()
        .map(|e| e.version)
        .collect::<Vec<_>>()
    };
    assert_eq!(at(a.last_updated, a.last_updated), vec![1]);
    assert_eq!(at(a2.last_updated, a2.last_updated), vec![2]);
    assert_eq!(at(a.last_updated - 10, mid), vec![1]);
    assert_eq!(at(a.last_updated, a2.last_updated + 1), vec![2, 1]);
    assert_eq!(
        at(a.last_updated - 1000, a.last_updated - 1),
        Vec::<i64>::new()
    );
}

fn history_paging_while_writing(db: &TestDb) {
    let store = db.open();
    let r = store
        .create(&ctx(), "Patient", &index("A", "1"), render(patient("A")))
        .unwrap();
    for i in 0..20 {
        store
            .update(
                &ctx(),
                "Patient",
                &r.id,
                None,
                &index(&format!("A{i}"), "1"),
                render(patient("A")),
            )
            .unwrap();
    }
    // Page through 21 versions 5 at a time while another version is written between pages.
    let scope = HistoryScope::Instance {
        resource_type: "Patient",
        id: &r.id,
    };
    let mut q = HistoryQuery {
        count: Some(5),
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = store.history(scope, &q).unwrap();
        seen.extend(page.entries.iter().map(|e| e.version));
        store
            .update(
                &ctx(),
                "Patient",
                &r.id,
                None,
                &index("B", "1"),
                render(patient("B")),
            )
            .unwrap();
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (1..=21).rev().collect::<Vec<i64>>(),
        "no skips, no repeats"
    );
}

fn lost_updates_two_pools(db: &TestDb) {
    let pools = [db.open(), db.open()];
    let r = pools[0]
        .create(&ctx(), "Patient", &index("A", "1"), render(patient("A")))
        .unwrap();
    let successes = Arc::new(AtomicUsize::new(0));
    let conflicts = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = pools[t % 2].clone();
            let id = r.id.clone();
            let (successes, conflicts, barrier) =
                (successes.clone(), conflicts.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..200 {
                    // Half the threads do read-modify-write with If-Match, half plain PUTs.
                    let expected = if t % 4 < 2 {
                        Some(store.read("Patient", &id).unwrap().version)
                    } else {
                        None
                    };
                    let family = format!("t{t}-{i}");
                    match store.update(
                        &ctx(),
                        "Patient",
                        &id,
                        expected,
                        &index(&family, "1"),
                        render(patient(&family)),
                    ) {
                        Ok(_) => successes.fetch_add(1, Ordering::SeqCst),
                        Err(StoreError::VersionConflict { .. }) if expected.is_some() => {
                            conflicts.fetch_add(1, Ordering::SeqCst)
                        }
                        Err(e) => panic!("unexpected error: {e}"),
                    };
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let successes = successes.load(Ordering::SeqCst);
    let conflicts = conflicts.load(Ordering::SeqCst);
    assert_eq!(successes + conflicts, 1600);
    let current = pools[1].read("Patient", &r.id).unwrap();
    assert_eq!(current.version as usize, successes + 1);
    let versions = all_history(
        &pools[0],
        HistoryScope::Instance {
            resource_type: "Patient",
            id: &r.id,
        },
        HistoryQuery {
            count: Some(1000),
            ..Default::default()
        },
    );
    let list: Vec<i64> = versions.iter().map(|e| e.version).collect();
    assert_eq!(
        list,
        (1..=current.version).rev().collect::<Vec<_>>(),
        "each version exactly once"
    );
    for e in &versions {
        let body: Value = serde_json::from_str(e.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["meta"]["versionId"], json!(e.version.to_string()));
    }
    // Exactly one current index row set.
    assert_eq!(
        counts(&pools[0], "Patient", &r.id),
        vec![("string", 1), ("token", 1), ("date", 1)]
    );
    eprintln!("lost-update test: {successes} successful updates, {conflicts} If-Match conflicts");
}

fn conditional_create_16_concurrent(db: &TestDb) {
    let pools = [db.open(), db.open()];
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let store = pools[t % 2].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                store
                    .create_conditional(
                        &ctx(),
                        "Patient",
                        "identifier=urn:sys|MRN-42",
                        |tx| {
                            tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), "MRN-42")
                        },
                        &index("Cond", "MRN-42"),
                        render(patient("Cond")),
                    )
                    .unwrap()
            })
        })
        .collect();
    let results: Vec<ConditionalCreate> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let created: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            ConditionalCreate::Created(r) => Some(r.id.clone()),
            ConditionalCreate::Existing(_) => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "exactly one create");
    let ids: BTreeSet<_> = results
        .iter()
        .map(|r| match r {
            ConditionalCreate::Created(r) | ConditionalCreate::Existing(r) => r.id.clone(),
        })
        .collect();
    assert_eq!(ids.len(), 1, "everyone sees the same resource");
    let found = pools[0]
        .with_reader(|tx| tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), "MRN-42"))
        .unwrap();
    assert_eq!(found, created);
    let all = all_history(
        &pools[0],
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    assert_eq!(all.len(), 1);

    // Stale key: once the match is deleted, a new conditional create creates again.
    pools[0]
        .delete(&ctx(), "Patient", &created[0], None)
        .unwrap();
    let again = pools[1]
        .create_conditional(
            &ctx(),
            "Patient",
            "identifier=urn:sys|MRN-42",
            |tx| tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), "MRN-42"),
            &index("Cond", "MRN-42"),
            render(patient("Cond")),
        )
        .unwrap();
    assert!(matches!(again, ConditionalCreate::Created(_)));
    // Two matches: refused.
    pools[0]
        .create(
            &ctx(),
            "Patient",
            &index("Dup", "MRN-42"),
            render(patient("Dup")),
        )
        .unwrap();
    let err = pools[0]
        .create_conditional(
            &ctx(),
            "Patient",
            "identifier=urn:sys|MRN-42",
            |tx| tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), "MRN-42"),
            &index("Cond", "MRN-42"),
            render(patient("Cond")),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::MultipleMatches { count: 2 }));
}

fn index_rows_replaced_and_removed(db: &TestDb) {
    let store = db.open();
    let r = store
        .create(
            &ctx(),
            "Patient",
            &index("Smith", "1"),
            render(patient("Smith")),
        )
        .unwrap();
    assert_eq!(
        counts(&store, "Patient", &r.id),
        vec![("string", 1), ("token", 1), ("date", 1)]
    );
    let mut big = index("Jones", "2");
    big.entries.push(IndexEntry {
        param: "general-practitioner".into(),
        value: IndexValue::Reference {
            target_type: Some("Practitioner".into()),
            target_id: Some("p1".into()),
            url: None,
            identifier_system: None,
            identifier_value: None,
        },
    });
    big.entries.push(IndexEntry {
        param: "weight".into(),
        value: IndexValue::Quantity {
            value: 5.4,
            low: 5.35,
            high: 5.45,
            system: Some("http://unitsofmeasure.org".into()),
            code: Some("kg".into()),
            unit: None,
        },
    });
    big.entries.push(IndexEntry {
        param: "n".into(),
        value: IndexValue::Number {
            value: 2.0,
            low: 1.5,
            high: 2.5,
        },
    });
    big.entries.push(IndexEntry {
        param: "url".into(),
        value: IndexValue::Uri {
            uri: "http://x".into(),
        },
    });
    big.entries.push(IndexEntry {
        param: "given".into(),
        value: IndexValue::String {
            normalized: "ann".into(),
            exact: "Ann".into(),
        },
    });
    store
        .update(
            &ctx(),
            "Patient",
            &r.id,
            None,
            &big,
            render(patient("Jones")),
        )
        .unwrap();
    assert_eq!(
        counts(&store, "Patient", &r.id),
        vec![
            ("string", 2),
            ("token", 1),
            ("date", 1),
            ("reference", 1),
            ("quantity", 1),
            ("number", 1),
            ("uri", 1)
        ]
    );
    let find = |code: &str| {
        store
            .with_reader(|tx| tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), code))
            .unwrap()
    };
    assert!(find("1").is_empty(), "old token rows are gone");
    assert_eq!(find("2"), vec![r.id.clone()]);
    store
        .update(
            &ctx(),
            "Patient",
            &r.id,
            None,
            &index("Small", "3"),
            render(patient("Small")),
        )
        .unwrap();
    assert_eq!(
        counts(&store, "Patient", &r.id),
        vec![("string", 1), ("token", 1), ("date", 1)]
    );
    store.delete(&ctx(), "Patient", &r.id, None).unwrap();
    assert_eq!(counts(&store, "Patient", &r.id), vec![]);
    assert!(find("3").is_empty());
    // Recreate indexes again.
    store
        .update(
            &ctx(),
            "Patient",
            &r.id,
            None,
            &index("Back", "4"),
            render(patient("Back")),
        )
        .unwrap();
    assert_eq!(find("4"), vec![r.id.clone()]);
}

fn audit_rows_in_same_transaction(db: &TestDb) {
    let store = db.open();
    let r = store
        .create(&ctx(), "Patient", &index("A", "1"), render(patient("A")))
        .unwrap();
    let other = AuditContext {
        request_id: Some("req-2".into()),
        client: None,
    };
    store
        .update(
            &other,
            "Patient",
            &r.id,
            None,
            &index("B", "1"),
            render(patient("B")),
        )
        .unwrap();
    store.delete(&ctx(), "Patient", &r.id, None).unwrap();
    let rows = store.audit_for("Patient", &r.id).unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|a| {
            (
                a.action.as_str(),
                a.version,
                a.request_id.as_deref(),
                a.client.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("create", 1, Some("req-1"), Some("test-client")),
            ("update", 2, Some("req-2"), None),
            ("delete", 3, Some("req-1"), Some("test-client")),
        ]
    );
    assert_eq!(rows[0].at, r.last_updated);
    // A rolled-back write leaves no audit row.
    let _ = store.transaction(&ctx(), |tx| {
        tx.update(
            "Patient",
            &r.id,
            None,
            &index("C", "1"),
            render(patient("C")),
        )?;
        Err::<(), _>(StoreError::InvalidCursor)
    });
    assert_eq!(store.audit_for("Patient", &r.id).unwrap().len(), 3);
}

fn failed_writes_leave_nothing(db: &TestDb) {
    let store = db.open();
    // Renderer failure.
    let err = store
        .update(
            &ctx(),
            "Patient",
            "fails",
            None,
            &index("A", "1"),
            |_m: &Meta<'_>| Err("boom".into()),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Render(_)));
    assert!(matches!(
        store.read("Patient", "fails"),
        Err(StoreError::NotFound { .. })
    ));
    // A later error rolls back earlier writes in the same transaction.
    let mut ids = Vec::new();
    let err = store
        .transaction(&ctx(), |tx| {
            let a = tx.create("Patient", &index("A", "10"), render(patient("A")))?;
            ids.push(a.id);
            tx.update(
                "Patient",
                "tx-b",
                None,
                &index("B", "11"),
                render(patient("B")),
            )?;
            tx.update(
                "Patient",
                "tx-b",
                Some(5),
                &index("B", "11"),
                render(patient("B")),
            )
        })
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::VersionConflict {
            expected: 5,
            actual: Some(1)
        }
    ));
    for id in ids.iter().map(String::as_str).chain(["tx-b"]) {
        assert!(
            matches!(store.read("Patient", id), Err(StoreError::NotFound { .. })),
            "{id}"
        );
        assert!(store.audit_for("Patient", id).unwrap().is_empty());
    }
    assert!(store
        .with_reader(|tx| tx.find_ids_by_token("Patient", "identifier", None, "10"))
        .unwrap()
        .is_empty());
    assert!(all_history(&store, HistoryScope::System, HistoryQuery::default()).is_empty());
}

fn bundle_like_transaction_commits_together(db: &TestDb) {
    let store = db.open();
    let (a, b) = store
        .transaction(&ctx(), |tx| {
            let a = tx.create("Patient", &index("A", "1"), render(patient("A")))?;
            let b = tx.update("Encounter", "enc-1", None, &ResourceIndex::default(), render(json!({"resourceType": "Encounter", "subject": {"reference": format!("Patient/{}", a.id)}})))?;
            // Reads inside the transaction see its own writes.
            assert_eq!(tx.read("Patient", &a.id)?, a);
            let a2 = tx.update("Patient", &a.id, Some(1), &index("A2", "1"), render(patient("A2")))?;
            Ok((a2.resource, b.resource))
        })
        .unwrap();
    assert_eq!(store.read("Patient", &a.id).unwrap(), a);
    assert_eq!(a.version, 2);
    assert_eq!(store.read("Encounter", "enc-1").unwrap(), b);
}

fn hostile_input_changes_nothing(db: &TestDb) {
    let store = db.open();
    let hostile = [
        "'; DROP TABLE resources; --",
        "\" OR 1=1 --",
        "%",
        "_",
        "a%b_c\\d",
        "\\",
        "Robert'); DELETE FROM resource_versions; --",
        "SELECT * FROM audit_log",
    ];
    let mut ids = Vec::new();
    for h in hostile {
        let body = json!({"resourceType": "Patient", "name": [{"family": h}]});
        let r = store
            .create(&ctx(), "Patient", &index(h, h), render(body))
            .unwrap();
        assert_eq!(
            json_of(&store.read("Patient", &r.id).unwrap())["name"][0]["family"],
            json!(h)
        );
        ids.push(r.id);
    }
    for (h, id) in hostile.iter().zip(&ids) {
        let found = store
            .with_reader(|tx| tx.find_ids_by_token("Patient", "identifier", Some("urn:sys"), h))
            .unwrap();
        assert_eq!(found, vec![id.clone()], "exact match only for {h:?}");
    }
    for bad in hostile
        .iter()
        .chain(&["", "a b", "x/../y", &"x".repeat(65)])
    {
        assert!(matches!(
            store.read("Patient", bad),
            Err(StoreError::InvalidId(_))
        ));
        assert!(matches!(
            store.update(
                &ctx(),
                "Patient",
                bad,
                None,
                &index("x", "x"),
                render(patient("x"))
            ),
            Err(StoreError::InvalidId(_))
        ));
        assert!(matches!(
            store.delete(&ctx(), "Patient", bad, None),
            Err(StoreError::InvalidId(_))
        ));
        assert!(matches!(
            store.read(bad, "abc"),
            Err(StoreError::InvalidType(_))
        ));
        assert!(matches!(
            store.history(
                HistoryScope::System,
                &HistoryQuery {
                    cursor: Some(bad.to_string()),
                    ..Default::default()
                }
            ),
            Err(StoreError::InvalidCursor)
        ));
    }
    // Everything is still there, nothing else.
    let all = all_history(&store, HistoryScope::System, HistoryQuery::default());
    assert_eq!(all.len(), hostile.len());
    for id in &ids {
        assert_eq!(store.read("Patient", id).unwrap().version, 1);
    }
}

fn migrate_is_idempotent(db: &TestDb) {
    let store = db.open();
    assert_eq!(store.migrate().unwrap(), 0);
    let second = db.open();
    assert_eq!(second.migrate().unwrap(), 0);
}

#[test]
fn open_reports_real_errors() {
    // Unreachable PostgreSQL: the real connection error, not a SQLite fallback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Store::open(
        &format!("postgres://nobody:secret@127.0.0.1:{port}/x?connect_timeout=2"),
        StoreOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Connect(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("127.0.0.1") || msg.to_lowercase().contains("connect"),
        "{msg}"
    );
    assert!(matches!(
        Store::open("/tmp/plain-path.db", StoreOptions::default()),
        Err(StoreError::InvalidUrl(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b/c/custodian.db");
    let store = Store::open(
        &format!("sqlite://{}", deep.display()),
        StoreOptions::default(),
    )
    .unwrap();
    assert!(deep.exists());
    assert!(store.is_sqlite());
}

/// Every kept write reads back as stored; nothing of a dropped one (resource, audit) remains.
/// `work(store, t)` on `n` threads that start together; their results in thread order.
fn on_threads<T: Send>(
    store: &Store,
    n: usize,
    work: impl Fn(&Store, usize) -> T + Sync,
) -> Vec<T> {
    let barrier = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|t| {
                let (barrier, work) = (&barrier, &work);
                scope.spawn(move || {
                    barrier.wait();
                    work(store, t)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn assert_kept_and_dropped(store: &Store, kept: &[StoredResource], dropped: &[String]) {
    for r in kept {
        assert_eq!(&store.read("Patient", &r.id).unwrap(), r);
    }
    for id in dropped {
        assert!(matches!(
            store.read("Patient", id),
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.audit_for("Patient", id).unwrap().is_empty());
    }
}

/// Single writes share group commits on SQLite. A write that fails before changing anything
/// (a version conflict) and one that fails after creating a resource must each leave every
/// other write of their group intact, and leave nothing of themselves.
fn grouped_writes_some_failing(db: &TestDb) {
    let store = db.open();
    let target = store
        .create(&ctx(), "Patient", &index("T", "t"), render(patient("T")))
        .unwrap();
    let results = on_threads(&store, 16, |store, t| {
        let target = target.id.as_str();
        let (mut kept, mut dropped, mut conflicts) = (Vec::new(), Vec::new(), 0);
        for j in 0..30 {
            match (t + j) % 3 {
                // Fails before changing anything: version 99 is never current.
                0 => {
                    let r = store.update(
                        &ctx(),
                        "Patient",
                        target,
                        Some(99),
                        &index("T", "t"),
                        render(patient("T")),
                    );
                    assert!(
                        matches!(r, Err(StoreError::VersionConflict { .. })),
                        "{r:?}"
                    );
                    conflicts += 1;
                }
                // Fails after creating a resource.
                1 => {
                    let mut id = None;
                    let r = store.write_one(&ctx(), |tx| {
                        let r = tx.create(
                            "Patient",
                            &index("G", &format!("{t}-{j}")),
                            render(patient("G")),
                        )?;
                        id = Some(r.id);
                        Err::<(), _>(StoreError::InvalidCursor)
                    });
                    assert!(matches!(r, Err(StoreError::InvalidCursor)), "{r:?}");
                    dropped.push(id.unwrap());
                }
                _ => {
                    let r = store.write_one(&ctx(), |tx| {
                        tx.create(
                            "Patient",
                            &index("G", &format!("{t}-{j}")),
                            render(patient("G")),
                        )
                    });
                    kept.push(r.unwrap());
                }
            }
        }
        (kept, dropped, conflicts)
    });
    let mut kept_all = 0;
    for (kept, dropped, conflicts) in results {
        assert_eq!(conflicts, 10);
        assert_kept_and_dropped(&store, &kept, &dropped);
        kept_all += kept.len();
    }
    assert_eq!(kept_all, 16 * 10);
    let all = all_history(
        &store,
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    // The target's one version and the kept creates; the target was never updated.
    assert_eq!(all.len(), kept_all + 1);
    assert_eq!(store.read("Patient", &target.id).unwrap().version, 1);
    let rows = store
        .with_reader(|tx| tx.index_row_counts("Patient", &target.id))
        .unwrap();
    assert!(rows.iter().any(|(_, n)| *n > 0));
}

/// Multi-resource transactions (Bundles) share group commits with each other and with single
/// writes on SQLite. One that fails after writing several resources keeps none of them. The
/// first such failure rolls its group back (the group's other writes run again); for the next
/// `CAREFUL_AFTER_BUNDLE_FAILURE` (5 s) Bundles joining a group run in savepoints, so later
/// failures leave the others alone: at most one group's writes run twice per 5 s.
fn grouped_transactions_some_failing(db: &TestDb) {
    const THREADS: usize = 12;
    let store = db.open();
    let started = std::time::Instant::now();
    let results = on_threads(&store, THREADS, |store, t| {
        let (mut kept, mut dropped) = (Vec::new(), Vec::new());
        let mut runs = 0;
        for j in 0..15 {
            let name = |k: usize| format!("{t}-{j}-{k}");
            match (t + j) % 3 {
                // Five resources, all or nothing: all.
                0 => {
                    let r = store.transaction(&ctx(), |tx| {
                        runs += 1;
                        (0..5)
                            .map(|k| {
                                tx.create("Patient", &index("B", &name(k)), render(patient("B")))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    });
                    kept.extend(r.unwrap());
                }
                // Three written, then the fourth entry fails: nothing.
                1 => {
                    let mut ids = Vec::new();
                    let r = store.transaction(&ctx(), |tx| {
                        ids.clear();
                        for k in 0..3 {
                            let r =
                                tx.create("Patient", &index("F", &name(k)), render(patient("F")))?;
                            ids.push(r.id);
                        }
                        Err::<(), _>(StoreError::InvalidCursor)
                    });
                    assert!(matches!(r, Err(StoreError::InvalidCursor)), "{r:?}");
                    dropped.extend(ids);
                }
                _ => {
                    let r = store.write_one(&ctx(), |tx| {
                        runs += 1;
                        tx.create("Patient", &index("S", &name(0)), render(patient("S")))
                    });
                    kept.push(r.unwrap());
                }
            }
        }
        (kept, dropped, runs)
    });
    // A group holds at most one write per thread; its other members run again when it is
    // rolled back, which happens at most once per 5 s.
    let windows = started.elapsed().as_secs() / 5 + 1;
    let ran_again: usize = results.iter().map(|(.., runs)| runs - 10).sum();
    assert!(
        ran_again as u64 <= (THREADS as u64 - 1) * windows,
        "{ran_again} writes ran again in {windows} windows of 5 s"
    );
    let mut kept_all = 0;
    for (kept, dropped, _) in results {
        assert_kept_and_dropped(&store, &kept, &dropped);
        kept_all += kept.len();
    }
    // Per thread 5 iterations of each kind: 5 * 5 from transactions, 5 single writes.
    assert_eq!(kept_all, THREADS * (25 + 5));
    let all = all_history(
        &store,
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    assert_eq!(all.len(), kept_all);
}

fn concurrent_writes_some_failing(db: &TestDb) {
    let store = db.open();
    let results = on_threads(&store, 16, |store, t| {
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        for j in 0..25 {
            let fail = (t + j) % 3 == 0;
            let mut id = None;
            let r = store.transaction(&ctx(), |tx| {
                let r = tx.create(
                    "Patient",
                    &index("C", &format!("{t}-{j}")),
                    render(patient("C")),
                )?;
                id = Some(r.id.clone());
                if fail {
                    return Err(StoreError::InvalidCursor);
                }
                Ok(r)
            });
            match r {
                Ok(r) => kept.push(r),
                Err(StoreError::InvalidCursor) => dropped.push(id.unwrap()),
                Err(e) => panic!("{e}"),
            }
        }
        (kept, dropped)
    });
    let mut kept_all = 0;
    for (kept, dropped) in results {
        assert_kept_and_dropped(&store, &kept, &dropped);
        kept_all += kept.len();
    }
    let all = all_history(
        &store,
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    assert_eq!(all.len(), kept_all);
    assert_eq!(
        kept_all,
        (0..16)
            .flat_map(|t| (0..25).map(move |j| (t + j) % 3 != 0))
            .filter(|k| *k)
            .count()
    );
}

fn create_many_batches(db: &TestDb) {
    let store = db.open();
    let indexes: Vec<ResourceIndex> = (0..1200).map(|i| index("Bulk", &format!("b{i}"))).collect();
    let client_ids: Vec<String> = (0..1200).map(|i| format!("bulk-{i}")).collect();
    let created = store
        .transaction(&ctx(), |tx| {
            let items = indexes
                .iter()
                .enumerate()
                .map(|(i, idx)| BatchItem {
                    resource_type: if i % 2 == 0 { "Patient" } else { "Observation" },
                    id: (i % 3 == 0).then(|| client_ids[i].as_str()),
                    index: idx,
                    render: render(patient("Bulk")),
                })
                .collect();
            tx.create_many(items)
        })
        .unwrap();
    assert_eq!(created.len(), 1200);
    assert_eq!(created[3].id, "bulk-3");
    assert_eq!(created[3].resource_type, "Observation");
    for (i, r) in created.iter().enumerate().step_by(97) {
        assert_eq!(&store.read(&r.resource_type, &r.id).unwrap(), r);
        assert_eq!(json_of(r)["id"], json!(r.id));
        assert_eq!(
            counts(&store, &r.resource_type, &r.id),
            vec![("string", 1), ("token", 1), ("date", 1)]
        );
        let found = store
            .with_reader(|tx| {
                tx.find_ids_by_token(
                    &r.resource_type,
                    "identifier",
                    Some("urn:sys"),
                    &format!("b{i}"),
                )
            })
            .unwrap();
        assert_eq!(found, vec![r.id.clone()]);
        assert_eq!(store.audit_for(&r.resource_type, &r.id).unwrap().len(), 1);
    }
    // Updates after a bulk create work as usual.
    let u = store
        .update(
            &ctx(),
            "Observation",
            "bulk-3",
            Some(1),
            &index("X", "x"),
            render(patient("X")),
        )
        .unwrap();
    assert_eq!(u.resource.version, 2);
    // A duplicate id fails the whole batch; nothing of it remains.
    let idx = index("Dup", "dup");
    let err = store
        .transaction(&ctx(), |tx| {
            tx.create_many(vec![
                BatchItem {
                    resource_type: "Patient",
                    id: Some("fresh-1"),
                    index: &idx,
                    render: render(patient("D")),
                },
                BatchItem {
                    resource_type: "Patient",
                    id: Some("bulk-0"),
                    index: &idx,
                    render: render(patient("D")),
                },
            ])
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
    assert!(matches!(
        store.read("Patient", "fresh-1"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.read("Patient", "bulk-0").unwrap().version, 1);
}

#[test]
fn sqlite_without_group_commit() {
    let db = TestDb::sqlite();
    let store = Store::open(
        &db.url,
        StoreOptions {
            group_commit: false,
            ..TestDb::options()
        },
    )
    .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..20)
                    .filter(|j| {
                        let fail = (t + j) % 4 == 0;
                        store
                            .transaction(&ctx(), |tx| {
                                tx.create(
                                    "Patient",
                                    &index("G", &format!("{t}-{j}")),
                                    render(patient("G")),
                                )?;
                                if fail {
                                    return Err(StoreError::InvalidCursor);
                                }
                                Ok(())
                            })
                            .is_ok()
                    })
                    .count()
            })
        })
        .collect();
    let ok: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(ok, 120);
    let all = all_history(
        &store,
        HistoryScope::Type("Patient"),
        HistoryQuery::default(),
    );
    assert_eq!(all.len(), ok);
}

/// Commits land in the WAL; a background thread copies them into the database file, so the
/// writer never does it inside a commit (below its 32 MiB backstop).
#[test]
fn sqlite_checkpoints_in_the_background() {
    let db = TestDb::sqlite();
    let store = db.open();
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let main_size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let before = main_size();
    let filler = "x".repeat(8000);
    let mut last = None;
    for i in 0..60 {
        let body = json!({"resourceType": "Patient", "text": {"div": filler}});
        let stored = store
            .create(
                &ctx(),
                "Patient",
                &index("Wal", &i.to_string()),
                render(body),
            )
            .unwrap();
        last = Some(stored);
    }
    let last = last.unwrap();
    // ~480 KB of bodies in fewer WAL frames than SQLite's own automatic checkpoint (1,000)
    // waits for: only the background checkpoint copies them into the database file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while main_size() < before + 400_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file did not grow: {} -> {}",
            before,
            main_size()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(store.read("Patient", &last.id).unwrap().body, last.body);
}

/// On SQLite a write's `lastUpdated` is above every stored one, even one from a clock that
/// ran ahead (another process, or this one before the wall clock stepped back): `lastUpdated`
/// order must be commit order for `_sort=_lastUpdated` paging (search/page.rs).
#[test]
fn sqlite_last_updated_follows_commit_order() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let db = TestDb::sqlite();
    let store = db.open();
    let ahead = store
        .create(
            &ctx(),
            "Patient",
            &index("Ahead", "a"),
            render(patient("Ahead")),
        )
        .unwrap();
    let hour = 3_600_000_000i64;
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let mut raw = diesel::SqliteConnection::establish(&path).unwrap();
    raw.batch_execute(&format!(
        "UPDATE resource_versions SET last_updated = last_updated + {hour}; \
         UPDATE resources SET last_updated = last_updated + {hour};"
    ))
    .unwrap();
    let ahead_at = ahead.last_updated + hour;
    let created = store
        .create(
            &ctx(),
            "Patient",
            &index("Next", "n"),
            render(patient("Next")),
        )
        .unwrap();
    assert!(created.last_updated > ahead_at, "create");
    let batch = store
        .transaction(&ctx(), |tx| {
            tx.create_many(vec![BatchItem {
                resource_type: "Patient",
                id: None,
                index: &index("Batch", "b"),
                render: render(patient("Batch")),
            }])
        })
        .unwrap();
    assert!(batch[0].last_updated > created.last_updated, "create_many");
    let updated = store
        .update(
            &ctx(),
            "Patient",
            &ahead.id,
            None,
            &index("Ahead", "a"),
            render(patient("Ahead")),
        )
        .unwrap()
        .resource;
    assert!(updated.last_updated > batch[0].last_updated, "update");
}
