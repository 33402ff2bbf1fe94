//! Where a parse error happened, recorded for free on the success path.
//!
//! serde errors carry no location. Instead of pushing a path segment for every element we
//! visit, each level records its own segment only while an error unwinds through it
//! (innermost first); the entry point reverses the record into `Patient.name[0].given[1]`.
//! The record is thread-local because a parse runs on one thread from start to end.

use crate::error::ParseErrorKind;
use std::cell::RefCell;

#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Field(&'static str),
    Unknown(String),
    Index(usize),
}

#[derive(Default)]
struct Record {
    segments: Vec<Segment>,
    kind: Option<ParseErrorKind>,
    /// The `resourceType` of the outermost resource, which starts every expression.
    root: Option<String>,
    /// How many resources deep the parser is (contained and bundled resources nest).
    depth: usize,
}

thread_local! {
    static RECORD: RefCell<Record> = RefCell::new(Record::default());
}

/// Forgets any earlier record: called when a top-level parse starts.
pub(crate) fn reset() {
    RECORD.with(|r| {
        let mut r = r.borrow_mut();
        r.segments.clear();
        r.kind = None;
        r.root = None;
        r.depth = 0;
    });
}

/// A resource object starts; the outermost one names the root of every expression.
pub(crate) fn resource_started(resource_type: &str) {
    RECORD.with(|r| {
        let mut r = r.borrow_mut();
        if r.depth == 0 {
            r.root = Some(resource_type.to_owned());
        }
        r.depth += 1;
    });
}

/// A resource object ended without error.
pub(crate) fn resource_finished() {
    RECORD.with(|r| {
        let mut r = r.borrow_mut();
        r.depth = r.depth.saturating_sub(1);
    });
}

/// Records that the error now unwinding passed through `segment`.
pub(crate) fn push(segment: Segment) {
    RECORD.with(|r| r.borrow_mut().segments.push(segment));
}

/// Adds the field name to an unwinding error.
pub(crate) fn field<E>(error: E, name: &'static str) -> E {
    push(Segment::Field(name));
    error
}

/// Adds an array index to an unwinding error.
pub(crate) fn index<E>(error: E, i: usize) -> E {
    push(Segment::Index(i));
    error
}

/// Notes the kind of the error being raised (errors raised by serde_json itself are `Syntax`).
pub(crate) fn set_kind(kind: ParseErrorKind) {
    RECORD.with(|r| {
        let mut r = r.borrow_mut();
        if r.kind.is_none() {
            r.kind = Some(kind);
        }
    });
}

/// Takes the record of the error that reached the entry point.
pub(crate) fn take() -> (String, ParseErrorKind) {
    RECORD.with(|r| {
        let mut r = r.borrow_mut();
        let kind = r.kind.take().unwrap_or(ParseErrorKind::Syntax);
        // A finished top-level resource with nothing recorded: the error is after it.
        let root = r.root.take().unwrap_or_default();
        let finished = r.segments.is_empty() && r.depth == 0;
        let mut out = if finished { String::new() } else { root };
        for segment in r.segments.drain(..).rev() {
            match segment {
                Segment::Field(name) => push_field(&mut out, name),
                Segment::Unknown(name) => push_field(&mut out, &name),
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        (out, kind)
    })
}

fn push_field(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(name);
}
