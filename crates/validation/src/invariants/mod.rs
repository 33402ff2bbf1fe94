//! The `constraint`s of the StructureDefinitions, as hand-written checks named after their keys
//! (no general FHIRPath engine). Which check runs where comes from the definitions: each element
//! table lists the constraints of its element that are implemented here, with the definition's
//! severity and human text. `ele-1` is checked generically by the walker and `txt-1`/`txt-2` by
//! the narrative module.
//!
//! Not implemented (no check, no issue): the `cpb-*` (CapabilityStatement), `eld-*`
//! (ElementDefinition), `drq-*`, `trd-*`, `exp-1`, and the unit rules of `age-1`, `cnt-3`,
//! `dis-1`, `drt-1`, `mqty-1`.

mod bundle;
mod datatypes;
mod resources;

use serde_json::{Map, Value};

use crate::issue::Severity;

/// An implemented invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum InvariantKey {
    Dom2,
    Dom3,
    Dom4,
    Dom5,
    Dom6,
    Pat1,
    Con1,
    Con2,
    Con3,
    Con4,
    Con5,
    Per1,
    Ref1,
    Cpt2,
    Qty3,
    Att1,
    Ext1,
    Sqty1,
    Rat1,
    Rng2,
    Inv1,
    Tim1,
    Tim2,
    Tim4,
    Tim5,
    Tim6,
    Tim7,
    Tim8,
    Tim9,
    Tim10,
    Bdl1,
    Bdl2,
    Bdl3,
    Bdl4,
    Bdl5,
    Bdl7,
    Bdl8,
    Bdl9,
    Bdl10,
    Bdl11,
    Bdl12,
}

const KEYS: &[(&str, InvariantKey)] = &[
    ("dom-2", InvariantKey::Dom2),
    ("dom-3", InvariantKey::Dom3),
    ("dom-4", InvariantKey::Dom4),
    ("dom-5", InvariantKey::Dom5),
    ("dom-6", InvariantKey::Dom6),
    ("pat-1", InvariantKey::Pat1),
    ("con-1", InvariantKey::Con1),
    ("con-2", InvariantKey::Con2),
    ("con-3", InvariantKey::Con3),
    ("con-4", InvariantKey::Con4),
    ("con-5", InvariantKey::Con5),
    ("per-1", InvariantKey::Per1),
    ("ref-1", InvariantKey::Ref1),
    ("cpt-2", InvariantKey::Cpt2),
    ("qty-3", InvariantKey::Qty3),
    ("att-1", InvariantKey::Att1),
    ("ext-1", InvariantKey::Ext1),
    ("sqty-1", InvariantKey::Sqty1),
    ("rat-1", InvariantKey::Rat1),
    ("rng-2", InvariantKey::Rng2),
    ("inv-1", InvariantKey::Inv1),
    ("tim-1", InvariantKey::Tim1),
    ("tim-2", InvariantKey::Tim2),
    ("tim-4", InvariantKey::Tim4),
    ("tim-5", InvariantKey::Tim5),
    ("tim-6", InvariantKey::Tim6),
    ("tim-7", InvariantKey::Tim7),
    ("tim-8", InvariantKey::Tim8),
    ("tim-9", InvariantKey::Tim9),
    ("tim-10", InvariantKey::Tim10),
    ("bdl-1", InvariantKey::Bdl1),
    ("bdl-2", InvariantKey::Bdl2),
    ("bdl-3", InvariantKey::Bdl3),
    ("bdl-4", InvariantKey::Bdl4),
    ("bdl-5", InvariantKey::Bdl5),
    ("bdl-7", InvariantKey::Bdl7),
    ("bdl-8", InvariantKey::Bdl8),
    ("bdl-9", InvariantKey::Bdl9),
    ("bdl-10", InvariantKey::Bdl10),
    ("bdl-11", InvariantKey::Bdl11),
    ("bdl-12", InvariantKey::Bdl12),
];

impl InvariantKey {
    /// The key as written in the definitions, e.g. `pat-1`.
    pub fn as_str(self) -> &'static str {
        KEYS.iter()
            .find(|(_, k)| *k == self)
            .map(|(s, _)| *s)
            .unwrap_or("unknown")
    }

    /// The implemented invariant with this key.
    pub fn from_key(key: &str) -> Option<Self> {
        KEYS.iter().find(|(s, _)| *s == key).map(|(_, k)| *k)
    }
}

/// A constraint of an element, as the definitions state it.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub key: InvariantKey,
    pub severity: Severity,
    pub human: String,
}

/// What a check may need beyond the element itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// (id, type) of the resources contained in `%rootResource`.
    pub root_contained: &'a [(&'a str, &'a str)],
    /// The element belongs to a contained resource.
    pub in_contained: bool,
    /// The current resource has contained resources (dom-2..dom-5 have work to do).
    pub has_contained: bool,
}

/// Runs the check `key` on the element `obj`. Returns the FHIRPath suffixes (relative to the
/// element, `""` for the element itself) of each violation.
pub(crate) fn check(key: InvariantKey, obj: &Map<String, Value>, ctx: &Context<'_>) -> Vec<String> {
    use InvariantKey as K;
    match key {
        K::Dom2 | K::Dom3 | K::Dom4 | K::Dom5 | K::Dom6 => resources::domain(key, obj, ctx),
        K::Pat1 | K::Con1 | K::Con2 | K::Con3 | K::Con4 | K::Con5 => {
            self_if(!resources::holds(key, obj))
        }
        K::Bdl1 | K::Bdl2 | K::Bdl3 | K::Bdl4 | K::Bdl5 | K::Bdl7 | K::Bdl8 | K::Bdl9 => {
            bundle::check(key, obj)
        }
        K::Bdl10 | K::Bdl11 | K::Bdl12 | K::Inv1 => bundle::check(key, obj),
        _ => self_if(!datatypes::holds(key, obj, ctx)),
    }
}

fn self_if(violated: bool) -> Vec<String> {
    if violated {
        vec![String::new()]
    } else {
        Vec::new()
    }
}

/// Is the element present (as a value or as a primitive's `_name` extension)?
pub(crate) fn has(obj: &Map<String, Value>, name: &str) -> bool {
    if obj.contains_key(name) {
        return true;
    }
    obj.keys()
        .any(|k| k.strip_prefix('_').is_some_and(|base| base == name))
}

/// Is any variant of the choice element `name[x]` present?
pub(crate) fn has_choice(obj: &Map<String, Value>, name: &str) -> bool {
    obj.keys().any(|k| {
        let k = k.strip_prefix('_').unwrap_or(k);
        k.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// The codings of a CodeableConcept.
pub(crate) fn codings(cc: Option<&Value>) -> impl Iterator<Item = (Option<&str>, Option<&str>)> {
    cc.and_then(|c| c.get("coding"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c.get("system").and_then(Value::as_str),
                c.get("code").and_then(Value::as_str),
            )
        })
}
