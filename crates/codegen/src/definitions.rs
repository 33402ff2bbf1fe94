//! Loading the official definitions: StructureDefinitions, ValueSets and CodeSystems.

use crate::CodegenError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub struct Definitions {
    /// StructureDefinitions by type name (`Patient`, `HumanName`, `string`...).
    pub structures: BTreeMap<String, Value>,
    pub value_sets: BTreeMap<String, Value>,
    pub code_systems: BTreeMap<String, Value>,
    /// The resource types to generate, in the order of resources.txt.
    pub resources: Vec<String>,
}

impl Definitions {
    pub fn load(dir: &Path) -> Result<Self, CodegenError> {
        let mut structures = BTreeMap::new();
        for sd in read_dir_json(&dir.join("StructureDefinition"))? {
            if let Some(name) = sd.get("type").and_then(Value::as_str) {
                // Profiles (SimpleQuantity...) constrain a type; the base definition wins.
                let is_profile = sd.get("derivation").and_then(Value::as_str) == Some("constraint");
                if !is_profile {
                    structures.insert(name.to_owned(), sd);
                }
            }
        }
        let mut value_sets = BTreeMap::new();
        for vs in read_dir_json(&dir.join("ValueSet"))? {
            if let Some(url) = vs.get("url").and_then(Value::as_str) {
                value_sets.insert(url.to_owned(), vs);
            }
        }
        let mut code_systems = BTreeMap::new();
        for cs in read_dir_json(&dir.join("CodeSystem"))? {
            if let Some(url) = cs.get("url").and_then(Value::as_str) {
                code_systems.insert(url.to_owned(), cs);
            }
        }
        let list_path = dir.join("resources.txt");
        let list = std::fs::read_to_string(&list_path).map_err(|source| CodegenError::Read {
            path: list_path,
            source,
        })?;
        let resources = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        Ok(Definitions {
            structures,
            value_sets,
            code_systems,
            resources,
        })
    }

    /// Every code of a value set, in definition order, when the package enumerates it fully
    /// (no filters, no systems defined elsewhere).
    pub fn enumerate(&self, value_set_url: &str) -> Option<Vec<(String, Option<String>)>> {
        let url = value_set_url.split('|').next()?;
        let vs = self.value_sets.get(url)?;
        let compose = vs.get("compose")?;
        if compose.get("exclude").is_some() {
            return None;
        }
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for include in compose.get("include")?.as_array()? {
            if include.get("filter").is_some() {
                return None;
            }
            if let Some(sets) = include.get("valueSet").and_then(Value::as_array) {
                for set in sets {
                    out.extend(self.enumerate(set.as_str()?)?);
                }
            }
            let Some(system) = include.get("system").and_then(Value::as_str) else {
                continue;
            };
            if let Some(concepts) = include.get("concept").and_then(Value::as_array) {
                for c in concepts {
                    let code = c.get("code")?.as_str()?.to_owned();
                    let display = c.get("display").and_then(Value::as_str).map(str::to_owned);
                    out.push((code, display));
                }
            } else {
                let cs = self.code_systems.get(system)?;
                if cs.get("content").and_then(Value::as_str) != Some("complete") {
                    return None;
                }
                collect_concepts(cs.get("concept")?, &mut out);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|(code, _)| seen.insert(code.clone()));
        (!out.is_empty()).then_some(out)
    }
}

fn collect_concepts(concepts: &Value, out: &mut Vec<(String, Option<String>)>) {
    for c in concepts.as_array().into_iter().flatten() {
        if let Some(code) = c.get("code").and_then(Value::as_str) {
            let display = c.get("display").and_then(Value::as_str).map(str::to_owned);
            out.push((code.to_owned(), display));
        }
        if let Some(children) = c.get("concept") {
            collect_concepts(children, out);
        }
    }
}

fn read_dir_json(dir: &Path) -> Result<Vec<Value>, CodegenError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CodegenError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| CodegenError::Read {
            path: path.clone(),
            source,
        })?;
        let value = serde_json::from_str(&text).map_err(|source| CodegenError::Json {
            path: path.clone(),
            source,
        })?;
        out.push(value);
    }
    Ok(out)
}
