//! Value set expansion from the ValueSets and CodeSystems of `fhir-schemas/`, done once at load
//! time, and the binding check on code, Coding, CodeableConcept and Quantity values.
//!
//! Supported `compose` features: `include`/`exclude` of a whole CodeSystem (hierarchical
//! concepts flattened), of an explicit `concept` list, of `is-a` / `descendent-of` /
//! `is-not-a` filters on the concept hierarchy, and of nested `valueSet`s. A value set that
//! needs anything else (a CodeSystem absent from fhir-schemas or not `complete`, such as SNOMED
//! CT, UCUM, BCP-47, ISO 3166/4217, MIME types; or another filter) is *incomplete*: its
//! bindings are skipped silently, since the server cannot tell right from wrong there.

use std::collections::{HashMap, HashSet};

use crate::fast_hash::{FastMap, FastSet};

use serde_json::Value;

/// A code system's codes and its is-a hierarchy (parent code -> child codes).
#[derive(Debug, Default)]
struct CodeSystem {
    complete: bool,
    codes: Vec<String>,
    children: HashMap<String, Vec<String>>,
}

impl CodeSystem {
    fn from_json(cs: &Value) -> Self {
        let mut out = CodeSystem {
            complete: cs.get("content").and_then(Value::as_str) == Some("complete"),
            ..CodeSystem::default()
        };
        if let Some(concepts) = cs.get("concept").and_then(Value::as_array) {
            out.add(concepts, None);
        }
        out
    }

    fn add(&mut self, concepts: &[Value], parent: Option<&str>) {
        for concept in concepts {
            let Some(code) = concept.get("code").and_then(Value::as_str) else {
                continue;
            };
            self.codes.push(code.to_owned());
            if let Some(parent) = parent {
                self.children
                    .entry(parent.to_owned())
                    .or_default()
                    .push(code.to_owned());
            }
            if let Some(nested) = concept.get("concept").and_then(Value::as_array) {
                self.add(nested, Some(code));
            }
        }
    }

    /// `code` and every code above it (a code may have several parents).
    fn ancestors(&self, code: &str, out: &mut HashSet<String>) {
        if out.insert(code.to_owned()) {
            for (parent, children) in &self.children {
                if children.iter().any(|c| c == code) {
                    self.ancestors(parent, out);
                }
            }
        }
    }

    /// `code` and every code below it.
    fn subtree(&self, code: &str, out: &mut HashSet<String>) {
        if out.insert(code.to_owned()) {
            for child in self.children.get(code).into_iter().flatten() {
                self.subtree(child, out);
            }
        }
    }
}

/// The expansion of one value set.
#[derive(Debug, Default, Clone)]
pub(crate) struct Expansion {
    /// False when some part could not be expanded: the binding is then not checked.
    pub complete: bool,
    by_system: FastMap<String, FastSet<String>>,
    codes: FastSet<String>,
}

impl Expansion {
    /// Is `code` (of `system`, or of any system when `None`) in the value set?
    pub fn contains(&self, system: Option<&str>, code: &str) -> bool {
        match system {
            Some(system) => self
                .by_system
                .get(system)
                .is_some_and(|codes| codes.contains(code)),
            None => self.codes.contains(code),
        }
    }

    /// The one code system a completely expanded value set draws from, if there is one.
    pub fn single_system(&self) -> Option<&str> {
        let mut systems = self.by_system.keys();
        match (self.complete, systems.next(), systems.next()) {
            (true, Some(system), None) => Some(system),
            _ => None,
        }
    }

    /// Every `(system, code)` of a completely expanded value set, sorted; `None` when some
    /// part could not be expanded.
    pub fn codes(&self) -> Option<Vec<(String, String)>> {
        if !self.complete {
            return None;
        }
        let mut codes: Vec<(String, String)> = self
            .by_system
            .iter()
            .flat_map(|(system, codes)| codes.iter().map(|c| (system.clone(), c.clone())))
            .collect();
        codes.sort();
        Some(codes)
    }

    /// Does the value set draw codes from `system`?
    pub fn has_system(&self, system: &str) -> bool {
        self.by_system.contains_key(system)
    }

    fn insert(&mut self, system: &str, code: &str) {
        self.by_system
            .entry(system.to_owned())
            .or_default()
            .insert(code.to_owned());
    }

    fn remove(&mut self, system: &str, code: &str) {
        if let Some(codes) = self.by_system.get_mut(system) {
            codes.remove(code);
        }
    }

    fn finish(mut self) -> Self {
        self.by_system.retain(|_, codes| !codes.is_empty());
        self.codes = self.by_system.values().flatten().cloned().collect();
        self
    }
}

/// All value sets of fhir-schemas, expanded.
#[derive(Debug, Default)]
pub(crate) struct Terminology {
    expansions: Vec<Expansion>,
    by_url: HashMap<String, usize>,
    /// The code systems by URL, with their is-a hierarchies (search's `:above`/`:below`).
    systems: HashMap<String, CodeSystem>,
}

impl Terminology {
    /// Expands every value set in `value_sets` against `code_systems` (both raw JSON).
    pub fn build(value_sets: &[Value], code_systems: &[Value]) -> Self {
        let systems: HashMap<&str, CodeSystem> = code_systems
            .iter()
            .filter_map(|cs| Some((cs.get("url")?.as_str()?, CodeSystem::from_json(cs))))
            .collect();
        let definitions: HashMap<&str, &Value> = value_sets
            .iter()
            .filter_map(|vs| Some((vs.get("url")?.as_str()?, vs)))
            .collect();
        let mut builder = Builder {
            systems,
            definitions,
            done: HashMap::new(),
            in_progress: HashSet::new(),
        };
        let urls: Vec<&str> = builder.definitions.keys().copied().collect();
        for url in urls {
            builder.expand(url);
        }
        let mut out = Terminology::default();
        for (url, expansion) in builder.done {
            out.by_url.insert(url, out.expansions.len());
            out.expansions.push(expansion);
        }
        out.systems = builder
            .systems
            .into_iter()
            .map(|(url, cs)| (url.to_owned(), cs))
            .collect();
        out
    }

    /// `code` of the complete code system `system` with every code below it (`below`) or
    /// above it in its is-a hierarchy, sorted; `None` when the server does not have that
    /// system completely or the code is not in it.
    pub fn subsumption(&self, system: &str, code: &str, below: bool) -> Option<Vec<String>> {
        let cs = self.systems.get(system).filter(|cs| cs.complete)?;
        if !cs.codes.iter().any(|c| c == code) {
            return None;
        }
        let mut found = HashSet::new();
        if below {
            cs.subtree(code, &mut found);
        } else {
            cs.ancestors(code, &mut found);
        }
        let mut codes: Vec<String> = found.into_iter().collect();
        codes.sort();
        Some(codes)
    }

    /// The index of the value set `url` (a `|version` suffix is ignored); `None` when the
    /// value set is not in fhir-schemas.
    pub fn index_of(&self, url: &str) -> Option<usize> {
        self.by_url
            .get(url.split('|').next().unwrap_or(url))
            .copied()
    }

    /// The expansion at `index` (from [`Terminology::index_of`]).
    pub fn at(&self, index: Option<usize>) -> Option<&Expansion> {
        index.and_then(|i| self.expansions.get(i))
    }

    /// The expansion of the value set `url` (a `|version` suffix is ignored).
    pub fn expansion(&self, url: &str) -> Option<&Expansion> {
        self.at(self.index_of(url))
    }
}

struct Builder<'a> {
    systems: HashMap<&'a str, CodeSystem>,
    definitions: HashMap<&'a str, &'a Value>,
    done: HashMap<String, Expansion>,
    in_progress: HashSet<String>,
}

impl Builder<'_> {
    fn expand(&mut self, url: &str) -> Expansion {
        if let Some(done) = self.done.get(url) {
            return done.clone();
        }
        let Some(vs) = self.definitions.get(url).copied() else {
            return Expansion::default(); // unknown value set: incomplete
        };
        if !self.in_progress.insert(url.to_owned()) {
            return Expansion::default(); // cycle: incomplete
        }
        let mut out = Expansion {
            complete: true,
            ..Expansion::default()
        };
        let compose = vs.get("compose");
        for include in array(compose, "include") {
            let part = self.part(include);
            out.complete &= part.complete;
            for (system, codes) in part.by_system {
                for code in codes {
                    out.insert(&system, &code);
                }
            }
        }
        for exclude in array(compose, "exclude") {
            // An exclusion we cannot compute excludes nothing: we then accept more, never less.
            let part = self.part(exclude);
            for (system, codes) in &part.by_system {
                for code in codes {
                    out.remove(system, code);
                }
            }
        }
        let out = out.finish();
        self.in_progress.remove(url);
        self.done.insert(url.to_owned(), out.clone());
        out
    }

    /// One `include` or `exclude` entry.
    fn part(&mut self, part: &Value) -> Expansion {
        let mut out = Expansion {
            complete: true,
            ..Expansion::default()
        };
        let system = part.get("system").and_then(Value::as_str);
        if let Some(system) = system {
            let concepts = array(Some(part), "concept");
            let filters = array(Some(part), "filter");
            if !concepts.is_empty() {
                for concept in concepts {
                    if let Some(code) = concept.get("code").and_then(Value::as_str) {
                        out.insert(system, code);
                    }
                }
            } else {
                match self.systems.get(system).filter(|cs| cs.complete) {
                    None => out.complete = false,
                    Some(cs) if filters.is_empty() => {
                        for code in &cs.codes {
                            out.insert(system, code);
                        }
                    }
                    Some(cs) => match filtered(cs, filters) {
                        Some(codes) => {
                            for code in codes {
                                out.insert(system, &code);
                            }
                        }
                        None => out.complete = false,
                    },
                }
            }
        }
        let nested: Vec<String> = array(Some(part), "valueSet")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for (i, url) in nested.iter().enumerate() {
            let inner = self.expand(url.split('|').next().unwrap_or(url));
            out.complete &= inner.complete;
            if system.is_some() || i > 0 {
                // `system` + `valueSet`, or several value sets: the intersection.
                let keep = |s: &str, c: &str| inner.contains(Some(s), c);
                let mut kept = Expansion {
                    complete: out.complete,
                    ..Expansion::default()
                };
                for (s, codes) in &out.by_system {
                    for c in codes.iter().filter(|c| keep(s, c)) {
                        kept.insert(s, c);
                    }
                }
                out = kept;
            } else {
                for (s, codes) in &inner.by_system {
                    for c in codes {
                        out.insert(s, c);
                    }
                }
            }
        }
        out
    }
}

/// The codes of `cs` that pass every filter, or `None` for an unsupported filter.
fn filtered(cs: &CodeSystem, filters: &[Value]) -> Option<Vec<String>> {
    let mut result: Option<HashSet<String>> = None;
    for filter in filters {
        let property = filter.get("property").and_then(Value::as_str)?;
        let op = filter.get("op").and_then(Value::as_str)?;
        let value = filter.get("value").and_then(Value::as_str)?;
        if property != "concept" {
            return None;
        }
        let mut subtree = HashSet::new();
        cs.subtree(value, &mut subtree);
        let selected: HashSet<String> = match op {
            "is-a" => subtree,
            "descendent-of" => {
                subtree.remove(value);
                subtree
            }
            "is-not-a" => cs
                .codes
                .iter()
                .filter(|c| !subtree.contains(*c))
                .cloned()
                .collect(),
            _ => return None,
        };
        result = Some(match result {
            None => selected,
            Some(prev) => prev.intersection(&selected).cloned().collect(),
        });
    }
    Some(result.unwrap_or_default().into_iter().collect())
}

fn array<'v>(value: Option<&'v Value>, key: &str) -> &'v [Value] {
    value
        .and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn terminology() -> Terminology {
        let cs = json!({
            "url": "http://example.org/cs", "content": "complete",
            "concept": [
                {"code": "a", "concept": [{"code": "a1"}, {"code": "a2", "concept": [{"code": "a2x"}]}]},
                {"code": "b"}
            ]
        });
        let partial = json!({"url": "http://example.org/partial", "content": "fragment", "concept": [{"code": "p"}]});
        let vs = |url: &str, compose: Value| json!({"url": url, "compose": compose});
        Terminology::build(
            &[
                vs(
                    "http://vs/all",
                    json!({"include": [{"system": "http://example.org/cs"}]}),
                ),
                vs(
                    "http://vs/isa",
                    json!({"include": [{"system": "http://example.org/cs", "filter": [{"property": "concept", "op": "is-a", "value": "a2"}]}]}),
                ),
                vs(
                    "http://vs/notall",
                    json!({"include": [{"system": "http://example.org/cs"}], "exclude": [{"system": "http://example.org/cs", "concept": [{"code": "b"}]}]}),
                ),
                vs(
                    "http://vs/nested",
                    json!({"include": [{"valueSet": ["http://vs/isa"]}, {"system": "http://other", "concept": [{"code": "z"}]}]}),
                ),
                vs(
                    "http://vs/partial",
                    json!({"include": [{"system": "http://example.org/partial"}]}),
                ),
                vs(
                    "http://vs/absent",
                    json!({"include": [{"system": "http://unitsofmeasure.org"}]}),
                ),
            ],
            &[cs, partial],
        )
    }

    #[test]
    fn whole_hierarchical_code_system_is_included() {
        let t = terminology();
        let all = t.expansion("http://vs/all|4.0.1");
        assert!(all.is_some_and(|e| e.complete && e.contains(Some("http://example.org/cs"), "a2x")));
        assert!(all.is_some_and(|e| e.contains(None, "b") && !e.contains(None, "c")));
    }

    #[test]
    fn is_a_filter_exclude_and_nested_value_sets() {
        let t = terminology();
        let isa = t.expansion("http://vs/isa");
        assert!(isa.is_some_and(|e| e.contains(None, "a2") && e.contains(None, "a2x")));
        assert!(isa.is_some_and(|e| !e.contains(None, "a1")));
        assert!(t
            .expansion("http://vs/notall")
            .is_some_and(|e| !e.contains(None, "b")));
        let nested = t.expansion("http://vs/nested");
        assert!(nested.is_some_and(|e| e.complete && e.contains(Some("http://other"), "z")));
        assert!(nested.is_some_and(|e| e.contains(Some("http://example.org/cs"), "a2x")));
    }

    #[test]
    fn absent_or_partial_code_systems_make_the_expansion_incomplete() {
        let t = terminology();
        assert!(t
            .expansion("http://vs/partial")
            .is_some_and(|e| !e.complete));
        assert!(t.expansion("http://vs/absent").is_some_and(|e| !e.complete));
        assert!(t.expansion("http://vs/unknown").is_none());
    }
}
