//! FHIRPath Patch (fhirpatch.html): a `Parameters` resource of `operation`s, each naming its
//! target with a FHIRPath expression: `add`, `insert`, `delete`, `replace` and `move`.
//!
//! The expression is evaluated with the search crate's FHIRPath evaluator, which returns
//! references into the document; each is turned into its place in the document (object keys
//! and array positions) by finding it there, and the operation then edits that place.
//! Whether a new element is a JSON array comes from the StructureDefinitions (`repeats`).

use custodian_search::fhirpath::{self, Expr, Item};
use serde_json::{Map, Value};

use crate::core::error::FhirError;

/// A parsed FHIRPath Patch document.
#[derive(Debug, Clone, PartialEq)]
pub struct FhirPathPatch {
    operations: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq)]
struct Operation {
    /// Position in `Parameters.parameter`, for error expressions.
    at: usize,
    path_text: String,
    path: Expr,
    kind: Kind,
}

/// The value part stays unbuilt until it is applied: its shape (which children are arrays)
/// depends on where it lands.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Add { name: String, value: Value },
    Insert { value: Value, index: usize },
    Delete,
    Replace { value: Value },
    Move { source: usize, destination: usize },
}

/// One step from a node to its child.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Whether the element reached by these JSON keys from the resource root is an array
/// (`None`: not an element), see `Validator::element_repeats`.
pub trait Repeats {
    fn repeats(&self, keys: &[&str]) -> Option<bool>;
}

impl<F: Fn(&[&str]) -> Option<bool>> Repeats for F {
    fn repeats(&self, keys: &[&str]) -> Option<bool> {
        self(keys)
    }
}

impl FhirPathPatch {
    /// Reads the operations of a `Parameters` resource. Malformed operations are a 400 that
    /// names the parameter.
    pub fn from_parameters(body: &Value) -> Result<FhirPathPatch, FhirError> {
        if body.get("resourceType").and_then(Value::as_str) != Some("Parameters") {
            return Err(FhirError::bad_request_at(
                "a FHIRPath Patch is a Parameters resource",
                "Parameters",
            ));
        }
        let parameters = body
            .get("parameter")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if parameters.is_empty() {
            return Err(FhirError::bad_request_at(
                "a FHIRPath Patch needs at least one operation",
                "Parameters.parameter",
            ));
        }
        let operations = parameters
            .iter()
            .enumerate()
            .map(|(at, p)| Operation::parse(at, p))
            .collect::<Result<_, _>>()?;
        Ok(FhirPathPatch { operations })
    }

    /// Applies every operation in order to `document` (a `resource_type` resource). An
    /// operation whose path does not find what it needs is a 422 naming it.
    pub fn apply(&self, document: &mut Value, repeats: &dyn Repeats) -> Result<(), FhirError> {
        for op in &self.operations {
            op.apply(document, repeats)?;
        }
        Ok(())
    }
}

impl Operation {
    fn parse(at: usize, parameter: &Value) -> Result<Operation, FhirError> {
        let here = format!("Parameters.parameter[{at}]");
        let bad = |message: String| FhirError::bad_request_at(message, here.clone());
        if parameter.get("name").and_then(Value::as_str) != Some("operation") {
            return Err(bad(
                "each parameter of a FHIRPath Patch is an 'operation'".into()
            ));
        }
        let parts = parameter
            .get("part")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let part = |name: &str| {
            parts
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        };
        let text = |name: &str| -> Option<&str> {
            let p = part(name)?;
            ["valueString", "valueCode", "valueUri"]
                .iter()
                .find_map(|k| p.get(*k).and_then(Value::as_str))
        };
        let index = |name: &str| -> Result<usize, FhirError> {
            part(name)
                .and_then(|p| p.get("valueInteger"))
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "the operation needs a non-negative integer '{name}'"
                    ))
                })
        };
        let value = || -> Result<Value, FhirError> {
            part("value")
                .cloned()
                .ok_or_else(|| bad("the operation needs a 'value'".into()))
        };
        let path_text = text("path")
            .ok_or_else(|| bad("the operation needs a 'path'".into()))?
            .to_owned();
        let path = fhirpath::parse(&path_text).map_err(|e| {
            bad(format!(
                "path '{path_text}' is not a FHIRPath expression: {e}"
            ))
        })?;
        let kind = match text("type") {
            Some("add") => Kind::Add {
                name: text("name")
                    .ok_or_else(|| bad("an add needs a 'name'".into()))?
                    .to_owned(),
                value: value()?,
            },
            Some("insert") => Kind::Insert {
                value: value()?,
                index: index("index")?,
            },
            Some("delete") => Kind::Delete,
            Some("replace") => Kind::Replace { value: value()? },
            Some("move") => Kind::Move {
                source: index("source")?,
                destination: index("destination")?,
            },
            Some(other) => {
                return Err(bad(format!(
                    "unknown operation type '{other}' (add, insert, delete, replace, move)"
                )))
            }
            None => return Err(bad("the operation needs a 'type'".into())),
        };
        Ok(Operation {
            at,
            path_text,
            path,
            kind,
        })
    }

    fn apply(&self, document: &mut Value, repeats: &dyn Repeats) -> Result<(), FhirError> {
        match &self.kind {
            Kind::Add { name, value } => {
                let target = self.one(&self.path, document)?;
                let container_keys = keys_of(&target);
                let name = &json_key(name, value, &container_keys, repeats);
                let mut keys = container_keys;
                keys.push(name.as_str());
                let repeated = repeats.repeats(&keys).ok_or_else(|| {
                    self.unprocessable(format!("'{name}' is not an element there"))
                })?;
                let value = build(value, &keys, repeats).map_err(|m| self.unprocessable(m))?;
                let Some(Value::Object(container)) = place_mut(document, &target) else {
                    return Err(self.unprocessable(
                        "the path does not name an element that can hold children".into(),
                    ));
                };
                match container.get_mut(name.as_str()) {
                    Some(Value::Array(items)) if repeated => items.push(value),
                    Some(_) => {
                        return Err(self
                            .unprocessable(format!("'{name}' already has a value; use replace")))
                    }
                    None if repeated => {
                        container.insert(name.clone(), Value::Array(vec![value]));
                    }
                    None => {
                        container.insert(name.clone(), value);
                    }
                }
            }
            Kind::Insert { value, index } => {
                let (parent, name) = self.list_place(document)?;
                let mut keys = keys_of(&parent);
                keys.push(name.as_str());
                if repeats.repeats(&keys) != Some(true) {
                    return Err(self.unprocessable(format!("'{name}' is not a list")));
                }
                let value = build(value, &keys, repeats).map_err(|m| self.unprocessable(m))?;
                let list = list_mut(document, &parent, &name)
                    .ok_or_else(|| self.unprocessable("the path does not name a list".into()))?;
                if *index > list.len() {
                    return Err(self.unprocessable(format!(
                        "index {index} is beyond the list's {} items",
                        list.len()
                    )));
                }
                list.insert(*index, value);
                edit_siblings(document, &parent, &name, |ext| {
                    if *index <= ext.len() {
                        ext.insert(*index, Value::Null);
                    }
                });
            }
            Kind::Delete => {
                let found = self.places(&self.path, document, 1)?;
                match found.as_slice() {
                    [] => {}
                    [root] if root.is_empty() => {
                        return Err(
                            self.unprocessable("the resource itself cannot be deleted".into())
                        );
                    }
                    [one] => remove(document, one),
                    _ => return Err(self.unprocessable("the path finds several elements".into())),
                }
            }
            Kind::Replace { value } => {
                let target = self.one(&self.path, document)?;
                let key = self.replaced_key(&target, value, repeats);
                let mut place = target.clone();
                if let (Some(Step::Key(old)), Some(new)) = (place.last_mut(), &key) {
                    *old = new.clone();
                }
                let value =
                    build(value, &keys_of(&place), repeats).map_err(|m| self.unprocessable(m))?;
                match (key, target.split_last()) {
                    // A choice element given a value of another type: its key changes (and
                    // the old key's `_` sibling goes with it).
                    (Some(new), Some((Step::Key(old), parent))) => {
                        if let Some(Value::Object(container)) = place_mut(document, parent) {
                            container.remove(old.as_str());
                            container.remove(&format!("_{old}"));
                            container.insert(new, value);
                        }
                    }
                    _ => {
                        if let Some(slot) = place_mut(document, &target) {
                            *slot = value;
                        }
                    }
                }
            }
            Kind::Move {
                source,
                destination,
            } => {
                let (parent, name) = self.list_place(document)?;
                let list = list_mut(document, &parent, &name)
                    .ok_or_else(|| self.unprocessable("the path does not name a list".into()))?;
                if *source >= list.len() || *destination >= list.len() {
                    return Err(self.unprocessable(format!(
                        "source {source} or destination {destination} is beyond the list's {} \
                         items",
                        list.len()
                    )));
                }
                let item = list.remove(*source);
                list.insert(*destination, item);
                edit_siblings(document, &parent, &name, |ext| {
                    if *source < ext.len() && *destination < ext.len() {
                        let item = ext.remove(*source);
                        ext.insert(*destination, item);
                    }
                });
            }
        }
        Ok(())
    }

    /// For a replace of a choice element (`Patient.deceased` found as `deceasedBoolean`) by a
    /// value of another type (`valueDateTime`): the new key (`deceasedDateTime`).
    fn replaced_key(
        &self,
        target: &[Step],
        value: &Value,
        repeats: &dyn Repeats,
    ) -> Option<String> {
        let (Some(Step::Key(found)), Expr::Member { name, .. }) = (target.last(), &self.path)
        else {
            return None;
        };
        if found == name || !found.starts_with(name.as_str()) {
            return None;
        }
        let parent = target
            .get(..target.len().saturating_sub(1))
            .unwrap_or_default();
        let key = json_key(name, value, &keys_of(parent), repeats);
        (key != *found && key != *name).then_some(key)
    }

    /// The places of the nodes `expr` (the path, or a part of it) finds; more than `at_most`
    /// is an error, found before any is located (locating walks the document).
    fn places(
        &self,
        expr: &Expr,
        document: &Value,
        at_most: usize,
    ) -> Result<Vec<Vec<Step>>, FhirError> {
        let items = fhirpath::evaluate(expr, document)
            .map_err(|e| self.unprocessable(format!("cannot be evaluated: {e}")))?;
        if items.len() > at_most {
            return Err(self.unprocessable(format!(
                "the path finds {} elements; at most {at_most} can be patched",
                items.len()
            )));
        }
        items
            .iter()
            .map(|item| match item {
                Item::Node { value, .. } => locate(document, value).ok_or_else(|| {
                    self.unprocessable("finds a value that is not an element".into())
                }),
                _ => Err(self.unprocessable("finds a value that is not an element".into())),
            })
            .collect()
    }

    /// `expr` must find exactly one element.
    fn one(&self, expr: &Expr, document: &Value) -> Result<Vec<Step>, FhirError> {
        let mut found = self.places(expr, document, 1)?;
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(self.unprocessable(format!("the path finds {n} elements; one is needed"))),
        }
    }

    /// For `insert` and `move`: the path is `<element>.<list name>`; the element must be
    /// found once. (A list that is not there yet is taken as empty: an insert at 0 starts it.)
    fn list_place(&self, document: &Value) -> Result<(Vec<Step>, String), FhirError> {
        let Expr::Member {
            base: Some(base),
            name,
        } = &self.path
        else {
            return Err(self.unprocessable(
                "the path of an insert or move must end in the list's name".into(),
            ));
        };
        Ok((self.one(base, document)?, name.clone()))
    }

    fn unprocessable(&self, message: String) -> FhirError {
        FhirError::Unprocessable(format!(
            "FHIRPath Patch operation {} (path '{}'): {message}",
            self.at, self.path_text
        ))
    }
}

/// The JSON key an `add` writes: `name`, or for a choice element (`deceased`) the name with
/// the type of the value given (`deceasedBoolean` for a `valueBoolean`).
fn json_key(name: &str, value: &Value, container: &[&str], repeats: &dyn Repeats) -> String {
    let is_element = |key: &str| {
        let mut keys = container.to_vec();
        keys.push(key);
        repeats.repeats(&keys).is_some()
    };
    if is_element(name) {
        return name.to_owned();
    }
    value
        .as_object()
        .and_then(|m| m.keys().find_map(|k| k.strip_prefix("value")))
        .map(|type_name| format!("{name}{type_name}"))
        .filter(|typed| is_element(typed))
        .unwrap_or_else(|| name.to_owned())
}

/// The JSON keys of a place (array positions left out), as `Repeats` takes them.
fn keys_of(place: &[Step]) -> Vec<&str> {
    place
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .collect()
}

/// Where `target` (a reference into `root`) is, by identity.
fn locate(root: &Value, target: &Value) -> Option<Vec<Step>> {
    if std::ptr::eq(root, target) {
        return Some(Vec::new());
    }
    let (step, child) = match root {
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| locate(v, target).map(|rest| (Step::Key(k.clone()), rest)))?,
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| locate(v, target).map(|rest| (Step::Index(i), rest)))?,
        _ => return None,
    };
    let mut path = vec![step];
    path.extend(child);
    Some(path)
}

fn place_mut<'a>(root: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
    place.iter().try_fold(root, |node, step| match step {
        Step::Key(k) => node.get_mut(k.as_str()),
        Step::Index(i) => node.get_mut(*i),
    })
}

/// The list `name` of the element at `parent`, made (empty) if absent.
fn list_mut<'a>(root: &'a mut Value, parent: &[Step], name: &str) -> Option<&'a mut Vec<Value>> {
    let Value::Object(container) = place_mut(root, parent)? else {
        return None;
    };
    container
        .entry(name.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
}

/// Removes the node at `place` (with its `_name` sibling: a primitive's id and extensions),
/// then any object or array that removal left empty (FHIR has no empty elements), up to but
/// not including the resource.
fn remove(root: &mut Value, place: &[Step]) {
    let Some((last, parent)) = place.split_last() else {
        return;
    };
    match last {
        Step::Key(k) => {
            if let Some(Value::Object(map)) = place_mut(root, parent) {
                map.remove(k.as_str());
                map.remove(&format!("_{k}"));
            }
        }
        Step::Index(i) => {
            if let Some(Value::Array(items)) = place_mut(root, parent) {
                if *i < items.len() {
                    items.remove(*i);
                }
            }
            if let Some((Step::Key(name), owner)) = parent.split_last() {
                edit_siblings(root, owner, name, |ext| {
                    if *i < ext.len() {
                        ext.remove(*i);
                    }
                });
            }
        }
    }
    let now_empty = match place_mut(root, parent) {
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        _ => false,
    };
    if now_empty && !parent.is_empty() {
        remove(root, parent);
    }
}

/// Applies `edit` to the `_name` array beside the list `name` of the element at `owner` (the
/// ids and extensions of a list of primitives, position for position), if there is one;
/// drops it when nothing is left in it.
fn edit_siblings(root: &mut Value, owner: &[Step], name: &str, edit: impl FnOnce(&mut Vec<Value>)) {
    let Some(Value::Object(container)) = place_mut(root, owner) else {
        return;
    };
    let key = format!("_{name}");
    let Some(Value::Array(ext)) = container.get_mut(&key) else {
        return;
    };
    edit(ext);
    if ext.iter().all(Value::is_null) {
        container.remove(&key);
    }
}

/// The JSON value of an operation's `value` part, to land at `keys`: a `value[x]` as it is,
/// or an element built from its `part`s (each a child; a child the definitions call a list
/// becomes an array).
fn build(part: &Value, keys: &[&str], repeats: &dyn Repeats) -> Result<Value, String> {
    let Some(map) = part.as_object() else {
        return Err("a value part must be an object".into());
    };
    if let Some((_, v)) = map.iter().find(|(k, _)| k.starts_with("value")) {
        return Ok(v.clone());
    }
    let Some(children) = map.get("part").and_then(Value::as_array) else {
        return Err("a value part needs a value[x] or parts".into());
    };
    let mut out = Map::new();
    for child in children {
        let Some(name) = child.get("name").and_then(Value::as_str) else {
            return Err("each part of a value needs a name".into());
        };
        // A choice child (`value` of an Extension) takes its key from its value's type.
        let name = json_key(name, child, keys, repeats);
        let name = name.as_str();
        let mut child_keys = keys.to_vec();
        child_keys.push(name);
        let value = build(child, &child_keys, repeats)?;
        match (out.get_mut(name), repeats.repeats(&child_keys)) {
            (Some(Value::Array(items)), Some(true)) => items.push(value),
            (Some(_), _) => return Err(format!("'{name}' is given twice but takes one value")),
            (None, Some(true)) => {
                out.insert(name.to_owned(), Value::Array(vec![value]));
            }
            (None, Some(false)) => {
                out.insert(name.to_owned(), value);
            }
            (None, None) => return Err(format!("'{name}' is not an element there")),
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests;
