//! The walk of a resource's JSON against the element tables: unknown elements, JSON shapes,
//! cardinality, `_name` siblings, choice elements, nested datatypes, backbone elements,
//! contained and bundled resources; it calls the binding, invariant, narrative and reference
//! checks at the elements they apply to, and collects every issue.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::bindings;
use crate::definitions::schema::{ElemType, KeyInfo, Node};
use crate::definitions::{Definitions, ElemKind, JsonKind, TypeDef};
use crate::error::ValidationError;
use crate::fast_hash::{FastMap, FastSet};
use crate::invariants::{self, Constraint, Context};
use crate::issue::{Issue, IssueType, Severity};
use crate::narrative;
use crate::options::ValidateOptions;
use crate::reference::{self, RefForm};

const TXT_1: &str = "The narrative SHALL contain only the basic html formatting elements and attributes described in chapters 7-11 (except section 4 of chapter 9) and 15 of the HTML 4.0 standard, <a> elements (either name or href), images and internally contained style attributes";
/// Deeper JSON than this is refused rather than walked (guards the stack; serde_json's parser
/// already stops at 128 levels).
const MAX_DEPTH: usize = 100;

const TXT_2: &str = "The narrative SHALL have some non-whitespace content";

/// One resource being walked (a top-level, bundled or contained resource).
struct Frame<'a> {
    /// Ids and types of the resources in its `contained`.
    contained: Vec<(&'a str, &'a str)>,
    /// This resource sits in some resource's `contained`.
    in_contained: bool,
}

/// The entries of a Bundle being walked, for references between them.
#[derive(Default)]
struct BundleIndex<'a> {
    /// fullUrl -> resource type.
    full_urls: FastMap<&'a str, &'a str>,
    /// (type, id) of the entries' resources.
    local: FastSet<(&'a str, &'a str)>,
}

/// The state of one validation run.
pub(crate) struct Walker<'a, 'o> {
    defs: &'a Definitions,
    opts: &'o ValidateOptions<'o>,
    pub issues: Vec<Issue>,
    /// Set when the reference resolver failed.
    pub failure: Option<ValidationError>,
    path: String,
    frames: Vec<Frame<'a>>,
    bundles: Vec<BundleIndex<'a>>,
    depth: usize,
}

impl<'a, 'o> Walker<'a, 'o> {
    pub fn new(defs: &'a Definitions, opts: &'o ValidateOptions<'o>) -> Self {
        Walker {
            defs,
            opts,
            issues: Vec::new(),
            failure: None,
            path: String::with_capacity(64),
            frames: Vec::new(),
            bundles: Vec::new(),
            depth: 0,
        }
    }

    fn error(&mut self, code: IssueType, diagnostics: impl Into<String>) {
        self.issues
            .push(Issue::error(code, self.path.clone(), diagnostics));
    }

    fn error_at(&mut self, code: IssueType, suffix: &str, diagnostics: impl Into<String>) {
        let expression = format!("{}{suffix}", self.path);
        self.issues
            .push(Issue::error(code, expression, diagnostics));
    }

    /// Validates a top-level resource.
    pub fn validate_top(&mut self, value: &'a Value) {
        let ty = value
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.path.clear();
        self.path.push_str(ty);
        self.validate_resource(value, false, true);
    }

    /// Validates a resource at the current path.
    fn validate_resource(&mut self, value: &'a Value, contained: bool, top: bool) {
        let Some(obj) = value.as_object() else {
            self.error(IssueType::Structure, "A resource must be a JSON object");
            return;
        };
        let Some(rt) = obj.get("resourceType").and_then(Value::as_str) else {
            self.error(IssueType::Structure, "The resource has no resourceType");
            return;
        };
        let Some(td) = self.defs.resource(rt) else {
            if !self.defs.resource_types.contains(rt) {
                self.error(
                    IssueType::Structure,
                    format!("'{rt}' is not a FHIR R4 resource type"),
                );
            } else if top {
                self.error(
                    IssueType::NotSupported,
                    format!("Resource type '{rt}' is not supported by this server"),
                );
            } else {
                self.issues.push(Issue::new(
                    Severity::Information,
                    IssueType::Informational,
                    self.path.clone(),
                    format!(
                        "The {rt} resource was not validated: this server has no definition for it"
                    ),
                ));
            }
            return;
        };
        let in_contained = contained || self.frames.last().is_some_and(|f| f.in_contained);
        let contained_list = obj
            .get("contained")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c.get("id")?.as_str()?, c.get("resourceType")?.as_str()?)))
            .collect();
        self.frames.push(Frame {
            contained: contained_list,
            in_contained,
        });
        let is_bundle = rt == "Bundle";
        if is_bundle {
            self.bundles.push(bundle_index(obj));
        }
        self.walk_object(td, 0, obj, &[], true);
        if let Some(id) = obj.get("id").and_then(Value::as_str) {
            if !id.is_empty() && !reference::valid_id(id) {
                self.error_at(
                    IssueType::Value,
                    ".id",
                    format!("'{id}' is not a valid resource id ([A-Za-z0-9-.]{{1,64}})"),
                );
            }
        }
        self.check_profiles(obj);
        if is_bundle {
            self.bundles.pop();
        }
        self.frames.pop();
    }

    /// `meta.profile` entries the server does not know: a warning each.
    fn check_profiles(&mut self, obj: &'a Map<String, Value>) {
        let profiles = obj
            .get("meta")
            .and_then(|m| m.get("profile"))
            .and_then(Value::as_array);
        for (i, profile) in profiles.into_iter().flatten().enumerate() {
            let Some(url) = profile.as_str() else {
                continue;
            };
            let base = url.split('|').next().unwrap_or(url);
            if !self.defs.profiles.contains(base) {
                self.issues.push(Issue::warning(
                    IssueType::NotSupported,
                    format!("{}.meta.profile[{i}]", self.path),
                    format!("Profile '{url}' is not known to this server: the resource was validated against the base definition only"),
                ));
            }
        }
    }

    /// Walks one JSON object against node `idx` of `td`; `extra` are the constraints of the
    /// element that holds it (for datatypes).
    fn walk_object(
        &mut self,
        td: &'a TypeDef,
        idx: usize,
        obj: &'a Map<String, Value>,
        extra: &'a [Constraint],
        is_resource: bool,
    ) {
        let Some(content) = td.content(idx) else {
            return;
        };
        if self.depth >= MAX_DEPTH {
            self.error(
                IssueType::Structure,
                format!("Elements are nested more than {MAX_DEPTH} levels deep"),
            );
            return;
        }
        self.depth += 1;
        self.walk_children(td, content, obj, extra, is_resource);
        self.depth -= 1;
    }

    fn walk_children(
        &mut self,
        td: &'a TypeDef,
        content: &'a Node,
        obj: &'a Map<String, Value>,
        extra: &'a [Constraint],
        is_resource: bool,
    ) {
        if !is_resource && obj.keys().all(|k| k == "id") {
            let human = &self.defs.ele1_human;
            let mut issue = Issue::error(
                IssueType::Invariant,
                self.path.clone(),
                format!("ele-1: {human}"),
            );
            issue.invariant = Some("ele-1");
            self.issues.push(issue);
        }
        let mut stack_counts = [0u32; 48];
        let mut heap_counts = Vec::new();
        let counts: &mut [u32] = if content.children.len() <= stack_counts.len() {
            &mut stack_counts[..content.children.len()]
        } else {
            heap_counts.resize(content.children.len(), 0);
            &mut heap_counts
        };
        let has_underscore = obj.keys().any(|k| k.starts_with('_'));
        for (key, value) in obj {
            if is_resource && key == "resourceType" {
                continue;
            }
            let (base, underscore) = match key.strip_prefix('_') {
                Some(base) => (base, true),
                None => (key.as_str(), false),
            };
            let Some(info) = content.keys.get(base) else {
                self.error_at(
                    IssueType::Structure,
                    &format!(".{key}"),
                    format!("Unrecognized element '{key}' in {}", content.path),
                );
                continue;
            };
            let Some(child_idx) = content.children.get(info.child).copied() else {
                continue;
            };
            let (Some(child), Some(ty)) = (
                td.nodes.get(child_idx),
                td.nodes.get(child_idx).and_then(|c| c.types.get(info.ty)),
            ) else {
                continue;
            };
            let primitive = matches!(ty.kind, ElemKind::Primitive(_));
            let (val, ext) = if underscore {
                if !primitive {
                    self.error_at(
                        IssueType::Structure,
                        &format!(".{key}"),
                        format!("'{key}' is only allowed for primitive elements"),
                    );
                    continue;
                }
                if obj.contains_key(base) {
                    continue; // walked together with the value
                }
                (None, Some(value))
            } else if primitive && has_underscore {
                (Some(value), obj.get(&*info.ext_key))
            } else {
                (Some(value), None)
            };
            let before = counts.get(info.child).copied().unwrap_or(0);
            let n = self.visit_element(td, child_idx, child, ty, info, val, ext);
            if child.choice && before > 0 && n > 0 {
                self.error_at(
                    IssueType::Structure,
                    &format!(".{}", child.name),
                    format!("Only one of the {}[x] variants is allowed", child.name),
                );
            }
            if let Some(c) = counts.get_mut(info.child) {
                *c += n;
            }
        }
        for &pos in &content.checked {
            let child = content.children.get(pos).and_then(|&c| td.nodes.get(c));
            let (Some(child), Some(&count)) = (child, counts.get(pos)) else {
                continue;
            };
            if count < child.min {
                self.error_at(
                    IssueType::Required,
                    &format!(".{}", child.name),
                    format!(
                        "{}: minimum required = {}, but only found {count}",
                        child.path, child.min
                    ),
                );
            }
            if child.max.is_some_and(|max| count > max) {
                let max = child.max.unwrap_or_default();
                self.error_at(
                    IssueType::Structure,
                    &format!(".{}", child.name),
                    format!("{}: maximum allowed = {max}, but found {count}", child.path),
                );
            }
        }
        let own = &content.invariants;
        if own.is_empty() && extra.is_empty() {
            return;
        }
        let extra = extra.iter().filter(|e| !own.iter().any(|c| c.key == e.key));
        self.run_invariants(own.iter().chain(extra), obj);
    }

    fn run_invariants(
        &mut self,
        constraints: impl Iterator<Item = &'a Constraint>,
        obj: &'a Map<String, Value>,
    ) {
        let root = self.frames.iter().rev().find(|f| !f.in_contained);
        let ctx = Context {
            root_contained: root.map(|f| f.contained.as_slice()).unwrap_or(&[]),
            in_contained: self.frames.last().is_some_and(|f| f.in_contained),
            has_contained: self.frames.last().is_some_and(|f| !f.contained.is_empty()),
        };
        for c in constraints {
            for suffix in invariants::check(c.key, obj, &ctx) {
                let key = c.key.as_str();
                self.issues.push(Issue {
                    severity: c.severity,
                    code: IssueType::Invariant,
                    diagnostics: format!("{key}: {}", c.human),
                    expression: format!("{}{suffix}", self.path),
                    invariant: Some(key),
                });
            }
        }
    }

    /// Walks the value(s) of one element; returns how many values it has.
    #[allow(clippy::too_many_arguments)]
    fn visit_element(
        &mut self,
        td: &'a TypeDef,
        child_idx: usize,
        child: &'a Node,
        ty: &'a ElemType,
        info: &'a KeyInfo,
        val: Option<&'a Value>,
        ext: Option<&'a Value>,
    ) -> u32 {
        let mark = self.path.len();
        self.path.push('.');
        self.path.push_str(&info.segment);
        let mut count = 0;
        if child.array {
            let as_slice = |v: Option<&'a Value>| match v {
                None => Some(&[][..]),
                Some(Value::Array(items)) => Some(items.as_slice()),
                Some(_) => None,
            };
            match (as_slice(val), as_slice(ext)) {
                (Some(vals), Some(exts)) => {
                    if (val.is_some() && vals.is_empty()) || (ext.is_some() && exts.is_empty()) {
                        self.error(IssueType::Structure, "Arrays must not be empty");
                    }
                    if val.is_some() && ext.is_some() && vals.len() != exts.len() {
                        self.error(
                            IssueType::Structure,
                            format!("'{0}' and '_{0}' must have the same length", child.name),
                        );
                    }
                    for i in 0..vals.len().max(exts.len()) {
                        let v = vals.get(i).filter(|v| !v.is_null());
                        let e = exts.get(i).filter(|e| !e.is_null());
                        let item_mark = self.path.len();
                        let _ = write!(self.path, "[{i}]");
                        if v.is_none() && e.is_none() {
                            self.error(
                                IssueType::Structure,
                                "A null array item needs a value or an extension",
                            );
                        } else {
                            count += 1;
                            self.visit_item(td, child_idx, child, ty, v, e);
                        }
                        self.path.truncate(item_mark);
                    }
                }
                _ => self.error(
                    IssueType::Structure,
                    format!("'{}' must be a JSON array", child.name),
                ),
            }
        } else if val.is_some_and(Value::is_array) || ext.is_some_and(Value::is_array) {
            count = 1;
            self.error(
                IssueType::Structure,
                format!("'{}' must be a single value, not an array", child.name),
            );
        } else {
            let v = val.filter(|v| !v.is_null());
            let e = ext.filter(|e| !e.is_null());
            if v.is_none() && e.is_none() {
                self.error(IssueType::Structure, "null is not a valid value");
            } else {
                count = 1;
                self.visit_item(td, child_idx, child, ty, v, e);
            }
        }
        self.path.truncate(mark);
        count
    }

    /// One value of an element, at the current path.
    fn visit_item(
        &mut self,
        td: &'a TypeDef,
        child_idx: usize,
        child: &'a Node,
        ty: &'a ElemType,
        v: Option<&'a Value>,
        e: Option<&'a Value>,
    ) {
        match ty.kind {
            ElemKind::Primitive(json) => {
                if let Some(v) = v {
                    self.check_primitive(json, &ty.code, v);
                    if let Some(binding) = &child.binding {
                        bindings::check(
                            self.defs,
                            binding,
                            &ty.code,
                            v,
                            &self.path,
                            &mut self.issues,
                        );
                    }
                    if ty.code == "xhtml" {
                        if let Some(div) = v.as_str() {
                            self.check_narrative(div);
                        }
                    }
                }
                if let Some(e) = e {
                    match (e.as_object(), self.defs.type_at(ty.walk_idx)) {
                        (Some(obj), Some(ptd)) => self.walk_object(ptd, 0, obj, &[], false),
                        (None, _) => self.error(
                            IssueType::Structure,
                            format!("'_{}' must be a JSON object", child.name),
                        ),
                        _ => {}
                    }
                }
            }
            ElemKind::Complex => {
                let Some(obj) = v.and_then(Value::as_object) else {
                    self.error(
                        IssueType::Structure,
                        format!("'{}' must be a JSON object", child.name),
                    );
                    return;
                };
                if let Some(ctd) = self.defs.type_at(ty.walk_idx) {
                    self.walk_object(ctd, 0, obj, &child.invariants, false);
                }
                if let (Some(binding), Some(v)) = (&child.binding, v) {
                    bindings::check(
                        self.defs,
                        binding,
                        &ty.code,
                        v,
                        &self.path,
                        &mut self.issues,
                    );
                }
                if ty.code == "Reference" {
                    self.check_reference(obj, &ty.targets);
                }
            }
            ElemKind::Backbone => match v.and_then(Value::as_object) {
                Some(obj) => self.walk_object(td, child_idx, obj, &[], false),
                None => self.error(
                    IssueType::Structure,
                    format!("'{}' must be a JSON object", child.name),
                ),
            },
            ElemKind::Resource => {
                let skipped = !self.opts.entry_resources && child.path == "Bundle.entry.resource";
                if let (Some(v), false) = (v, skipped) {
                    self.validate_resource(v, child.path.ends_with(".contained"), false);
                }
            }
        }
    }

    fn check_primitive(&mut self, json: JsonKind, code: &str, v: &Value) {
        let ok = match json {
            JsonKind::Boolean => v.is_boolean(),
            JsonKind::Number => v.is_number(),
            JsonKind::String => v.is_string(),
        };
        if !ok {
            let want = match json {
                JsonKind::Boolean => "a JSON boolean",
                JsonKind::Number => "a JSON number",
                JsonKind::String => "a JSON string",
            };
            self.error(IssueType::Structure, format!("A {code} must be {want}"));
            return;
        }
        match (code, v) {
            (_, Value::String(s)) if s.is_empty() => {
                self.error(IssueType::Value, format!("A {code} must not be empty"));
            }
            ("id", Value::String(s)) if !reference::valid_id(s) => {
                self.error(
                    IssueType::Value,
                    format!("'{s}' is not a valid id ([A-Za-z0-9-.]{{1,64}})"),
                );
            }
            ("positiveInt", Value::Number(n)) if n.as_i64().is_none_or(|n| n < 1) => {
                self.error(IssueType::Value, format!("{n} is not a positive integer"));
            }
            ("unsignedInt", Value::Number(n)) if n.as_i64().is_none_or(|n| n < 0) => {
                self.error(
                    IssueType::Value,
                    format!("{n} is not a non-negative integer"),
                );
            }
            ("integer", Value::Number(n)) if n.as_i64().is_none() => {
                self.error(IssueType::Value, format!("{n} is not an integer"));
            }
            _ => {}
        }
    }

    fn check_narrative(&mut self, div: &str) {
        for p in narrative::check(div) {
            let human = if p.key == "txt-2" { TXT_2 } else { TXT_1 };
            self.issues.push(Issue {
                severity: Severity::Error,
                code: IssueType::Invariant,
                diagnostics: format!("{}: {human} ({})", p.key, p.reason),
                expression: self.path.clone(),
                invariant: Some(p.key),
            });
        }
    }

    fn check_target(&mut self, ty: &str, targets: &[String]) {
        if targets.is_empty() || targets.iter().any(|t| t == "Resource" || t == ty) {
            return;
        }
        self.error_at(
            IssueType::BusinessRule,
            ".reference",
            format!(
                "A reference to a {ty} is not allowed here; allowed: {}",
                targets.join(", ")
            ),
        );
    }

    fn check_reference(&mut self, obj: &'a Map<String, Value>, targets: &[String]) {
        let Some(r) = obj.get("reference").and_then(Value::as_str) else {
            return;
        };
        let form = match reference::parse(r) {
            Ok(form) => form,
            Err(reason) => {
                self.error_at(
                    IssueType::Value,
                    ".reference",
                    format!("Invalid reference '{r}': {reason}"),
                );
                return;
            }
        };
        let bundle_type = |walker: &Self| {
            walker
                .bundles
                .last()
                .and_then(|b| b.full_urls.get(r).copied())
        };
        match form {
            RefForm::Contained(id) => {
                let root = self.frames.iter().rev().find(|f| !f.in_contained);
                let ty = root.and_then(|f| f.contained.iter().find(|(cid, _)| *cid == id));
                if let Some((_, ty)) = ty.copied() {
                    self.check_target(ty, targets);
                }
            }
            RefForm::Relative { ty, id } => {
                if !self.defs.resource_types.contains(ty) {
                    self.error_at(
                        IssueType::Value,
                        ".reference",
                        format!("Invalid reference '{r}': '{ty}' is not a resource type"),
                    );
                    return;
                }
                self.check_target(ty, targets);
                let in_bundle = self
                    .bundles
                    .last()
                    .is_some_and(|b| b.local.contains(&(ty, id)));
                if !in_bundle {
                    self.check_exists(r, ty, id);
                }
            }
            RefForm::Conditional { ty } => {
                if !self.opts.in_bundle && self.bundles.is_empty() {
                    self.error_at(
                        IssueType::Value,
                        ".reference",
                        format!(
                            "Conditional reference '{r}' is only allowed in a transaction Bundle"
                        ),
                    );
                } else {
                    self.check_target(ty, targets);
                }
            }
            RefForm::Absolute { ty, .. } => {
                if let Some(entry_ty) = bundle_type(self) {
                    self.check_target(entry_ty, targets);
                } else if let Some(ty) = ty.filter(|t| self.defs.resource_types.contains(*t)) {
                    self.check_target(ty, targets);
                }
            }
            RefForm::Urn => {
                if let Some(entry_ty) = bundle_type(self) {
                    self.check_target(entry_ty, targets);
                } else if !self.bundles.is_empty() {
                    self.error_at(
                        IssueType::NotFound,
                        ".reference",
                        format!("'{r}' does not match the fullUrl of any entry of the Bundle"),
                    );
                } else if !self.opts.in_bundle {
                    self.error_at(
                        IssueType::Value,
                        ".reference",
                        format!("'{r}': urn:uuid: and urn:oid: references are only allowed inside a Bundle"),
                    );
                }
            }
        }
    }

    /// Referential integrity through the store's resolver.
    fn check_exists(&mut self, r: &str, ty: &str, id: &str) {
        let Some(resolver) = self
            .opts
            .resolver
            .filter(|_| self.opts.check_references_exist)
        else {
            return;
        };
        match resolver.exists(ty, id) {
            Ok(true) => {}
            Ok(false) => self.error_at(
                IssueType::NotFound,
                ".reference",
                format!("The referenced resource '{r}' does not exist"),
            ),
            Err(e) => {
                let expression = format!("{}.reference", self.path);
                self.issues.push(Issue::new(
                    Severity::Fatal,
                    IssueType::Exception,
                    expression,
                    format!("Could not check that '{r}' exists: {e}"),
                ));
                self.failure.get_or_insert(ValidationError::Resolver {
                    reference: r.to_owned(),
                    message: e.to_string(),
                });
            }
        }
    }
}

fn bundle_index(obj: &Map<String, Value>) -> BundleIndex<'_> {
    let entries = obj
        .get("entry")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut index = BundleIndex {
        full_urls: FastMap::with_capacity_and_hasher(entries.len(), Default::default()),
        local: FastSet::with_capacity_and_hasher(entries.len(), Default::default()),
    };
    for entry in entries {
        let resource = entry.get("resource");
        let ty = resource
            .and_then(|r| r.get("resourceType"))
            .and_then(Value::as_str);
        let id = resource.and_then(|r| r.get("id")).and_then(Value::as_str);
        if let (Some(url), Some(ty)) = (entry.get("fullUrl").and_then(Value::as_str), ty) {
            index.full_urls.insert(url, ty);
        }
        if let (Some(ty), Some(id)) = (ty, id) {
            index.local.insert((ty, id));
        }
    }
    index
}
