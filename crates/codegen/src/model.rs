//! From StructureDefinitions to the shapes to emit: structs, fields, choice and code enums.

use crate::definitions::Definitions;
use crate::names::{field_name, upper_first, variant_name};
use crate::CodegenError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub struct Model {
    /// Grouped by the file they go to (the top-level type's snake-case name), in order.
    pub files: Vec<TypeFile>,
    pub codes: Vec<CodeEnum>,
    /// The modelled resource types (resources.txt).
    pub resources: Vec<String>,
    /// Every R4 resource type (the resource-types CodeSystem), modelled or not.
    pub all_resource_types: Vec<String>,
}

pub struct TypeFile {
    pub type_name: String,
    pub description: String,
    pub structs: Vec<StructDef>,
}

pub struct StructDef {
    pub name: String,
    /// `Patient` or `Patient.contact`.
    pub path: String,
    /// Set on the resource's own struct: its `resourceType`.
    pub resource: Option<String>,
    pub fields: Vec<Field>,
}

pub struct Field {
    /// The JSON name (without `[x]`).
    pub json: String,
    pub rust: String,
    pub many: bool,
    pub ty: FieldType,
    pub short: String,
    /// `isSummary`: part of `_summary=true`.
    pub summary: bool,
    /// `min > 0`: kept by every `_summary`/`_elements` subset.
    pub mandatory: bool,
}

#[derive(Clone)]
pub enum FieldType {
    /// A JSON string that is not a FHIR primitive element (`id` of elements, `Extension.url`,
    /// narrative `div`): no `_name` sibling.
    Plain {
        kind: String,
    },
    /// A FHIR primitive: `kind` names its rule, `value` the Rust value type.
    Primitive {
        kind: String,
        value: String,
    },
    Complex(String),
    Resource,
    Choice {
        name: String,
        variants: Vec<Variant>,
    },
}

#[derive(Clone)]
pub struct Variant {
    /// `DateTime` for `deceasedDateTime`.
    pub suffix: String,
    pub ty: FieldType,
}

pub struct CodeEnum {
    pub name: String,
    pub url: String,
    /// (code, Rust variant, display)
    pub codes: Vec<(String, String, Option<String>)>,
}

const PRIMITIVES: &[&str] = &[
    "base64Binary",
    "boolean",
    "canonical",
    "code",
    "date",
    "dateTime",
    "decimal",
    "id",
    "instant",
    "integer",
    "markdown",
    "oid",
    "positiveInt",
    "string",
    "time",
    "unsignedInt",
    "uri",
    "url",
    "uuid",
];

fn value_type(code: &str) -> &'static str {
    match code {
        "boolean" => "bool",
        "integer" => "i32",
        "unsignedInt" | "positiveInt" => "u32",
        "decimal" => "Decimal",
        "date" => "Date",
        "dateTime" => "DateTime",
        "instant" => "Instant",
        "time" => "Time",
        _ => "String",
    }
}

pub fn build(defs: &Definitions) -> Result<Model, CodegenError> {
    let mut builder = Builder {
        defs,
        queue: VecDeque::new(),
        codes: BTreeMap::new(),
    };
    for r in &defs.resources {
        builder.queue.push_back(r.clone());
    }
    // Extension.value[x] reaches every datatype; generating Extension pulls them all in.
    builder.queue.push_back("Extension".to_owned());
    let mut done = BTreeSet::new();
    let mut files = Vec::new();
    while let Some(type_name) = builder.queue.pop_front() {
        if !done.insert(type_name.clone()) {
            continue;
        }
        files.push(builder.type_file(&type_name)?);
    }
    // Resources first in list order, then datatypes by name: a stable order for the output.
    let order: BTreeMap<&str, usize> = defs
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i))
        .collect();
    files.sort_by(|a, b| {
        let ka = order
            .get(a.type_name.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let kb = order
            .get(b.type_name.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        ka.cmp(&kb).then_with(|| a.type_name.cmp(&b.type_name))
    });

    let struct_names: BTreeSet<String> = files
        .iter()
        .flat_map(|f| f.structs.iter().map(|s| s.name.clone()))
        .collect();
    let mut codes: Vec<CodeEnum> = builder.codes.into_values().collect();
    codes.sort_by(|a, b| a.name.cmp(&b.name));
    for code in &mut codes {
        if struct_names.contains(&code.name) {
            let old = code.name.clone();
            code.name.push_str("Code");
            rename_code(&mut files, &old, &code.name);
        }
    }
    let all_resource_types = defs
        .code_systems
        .get("http://hl7.org/fhir/resource-types")
        .and_then(|cs| cs.get("concept"))
        .and_then(Value::as_array)
        .map(|concepts| {
            concepts
                .iter()
                .filter_map(|c| c.get("code").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| CodegenError::Definition("resource-types CodeSystem missing".into()))?;
    Ok(Model {
        files,
        codes,
        resources: defs.resources.clone(),
        all_resource_types,
    })
}

fn rename_code(files: &mut [TypeFile], old: &str, new: &str) {
    for file in files {
        for s in &mut file.structs {
            for f in &mut s.fields {
                if let FieldType::Primitive { value, .. } = &mut f.ty {
                    if value == old {
                        *value = new.to_owned();
                    }
                }
            }
        }
    }
}

struct Builder<'a> {
    defs: &'a Definitions,
    queue: VecDeque<String>,
    /// Code enums by value set URL.
    codes: BTreeMap<String, CodeEnum>,
}

impl Builder<'_> {
    fn type_file(&mut self, type_name: &str) -> Result<TypeFile, CodegenError> {
        let sd = self.defs.structures.get(type_name).ok_or_else(|| {
            CodegenError::Definition(format!("no StructureDefinition for {type_name}"))
        })?;
        let is_resource = sd.get("kind").and_then(Value::as_str) == Some("resource");
        let elements = sd
            .pointer("/snapshot/element")
            .and_then(Value::as_array)
            .ok_or_else(|| CodegenError::Definition(format!("{type_name} has no snapshot")))?;
        let description = sd
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();

        // Paths that have children become structs (the root and backbone elements).
        let mut parents: BTreeSet<String> = BTreeSet::new();
        for e in elements {
            if let Some(path) = e.get("path").and_then(Value::as_str) {
                if let Some((parent, _)) = path.rsplit_once('.') {
                    parents.insert(parent.to_owned());
                }
            }
        }
        let mut structs: Vec<StructDef> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for e in elements {
            let Some(path) = e.get("path").and_then(Value::as_str) else {
                continue;
            };
            if !path.contains('.') {
                index.insert(path.to_owned(), structs.len());
                structs.push(StructDef {
                    name: type_name.to_owned(),
                    path: path.to_owned(),
                    resource: is_resource.then(|| type_name.to_owned()),
                    fields: Vec::new(),
                });
                continue;
            }
            if e.get("max").and_then(Value::as_str) == Some("0") {
                continue;
            }
            let Some((parent, raw_name)) = path.rsplit_once('.') else {
                continue;
            };
            let field = self.field(type_name, is_resource, path, raw_name, e, &parents)?;
            if parents.contains(path) {
                index.insert(path.to_owned(), structs.len());
                structs.push(StructDef {
                    name: struct_name(path),
                    path: path.to_owned(),
                    resource: None,
                    fields: Vec::new(),
                });
            }
            let slot = index.get(parent).copied().ok_or_else(|| {
                CodegenError::Definition(format!("{path}: parent {parent} not seen first"))
            })?;
            structs[slot].fields.push(field);
        }
        Ok(TypeFile {
            type_name: type_name.to_owned(),
            description,
            structs,
        })
    }

    fn field(
        &mut self,
        root: &str,
        is_resource: bool,
        path: &str,
        raw_name: &str,
        e: &Value,
        parents: &BTreeSet<String>,
    ) -> Result<Field, CodegenError> {
        let many = e.get("max").and_then(Value::as_str) != Some("1");
        let short = e
            .get("short")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let types: Vec<&Value> = e
            .get("type")
            .and_then(Value::as_array)
            .map(|t| t.iter().collect())
            .unwrap_or_default();
        let json = raw_name.trim_end_matches("[x]").to_owned();
        let ty = if let Some(reference) = e.get("contentReference").and_then(Value::as_str) {
            FieldType::Complex(struct_name(reference.trim_start_matches('#')))
        } else if raw_name.ends_with("[x]") {
            let mut variants = Vec::new();
            for t in &types {
                let code = type_code(t)?;
                variants.push(Variant {
                    suffix: upper_first(code),
                    ty: self.single_type(code, t, e, path, false, parents)?,
                });
            }
            FieldType::Choice {
                name: struct_name(path.trim_end_matches("[x]")),
                variants,
            }
        } else {
            let t = types.first().ok_or_else(|| {
                CodegenError::Definition(format!("{path} has neither type nor contentReference"))
            })?;
            let code = type_code(t)?;
            let resource_id = is_resource && path == format!("{root}.id");
            self.single_type(code, t, e, path, resource_id, parents)?
        };
        Ok(Field {
            rust: field_name(&json),
            json,
            many,
            ty,
            short,
            summary: e.get("isSummary").and_then(Value::as_bool) == Some(true),
            mandatory: e.get("min").and_then(Value::as_u64).unwrap_or(0) > 0,
        })
    }

    fn single_type(
        &mut self,
        code: &str,
        t: &Value,
        e: &Value,
        path: &str,
        resource_id: bool,
        parents: &BTreeSet<String>,
    ) -> Result<FieldType, CodegenError> {
        if code == "http://hl7.org/fhirpath/System.String" {
            let fhir_type = t
                .get("extension")
                .and_then(Value::as_array)
                .and_then(|x| x.first())
                .and_then(|x| x.get("valueUrl"))
                .and_then(Value::as_str)
                .unwrap_or("string");
            let kind = if resource_id { "id" } else { fhir_type };
            return Ok(FieldType::Plain {
                kind: upper_first(kind),
            });
        }
        if code == "xhtml" {
            return Ok(FieldType::Plain {
                kind: "Xhtml".to_owned(),
            });
        }
        if PRIMITIVES.contains(&code) {
            let mut value = value_type(code).to_owned();
            if code == "code" {
                if let Some(name) = self.code_enum(e) {
                    value = name;
                }
            }
            return Ok(FieldType::Primitive {
                kind: upper_first(code),
                value,
            });
        }
        if code == "Resource" {
            return Ok(FieldType::Resource);
        }
        if code == "BackboneElement" || (code == "Element" && parents.contains(path)) {
            return Ok(FieldType::Complex(struct_name(path)));
        }
        self.queue.push_back(code.to_owned());
        Ok(FieldType::Complex(code.to_owned()))
    }

    /// The enum for a required binding on a code element, if the package enumerates it.
    fn code_enum(&mut self, e: &Value) -> Option<String> {
        let binding = e.get("binding")?;
        if binding.get("strength").and_then(Value::as_str) != Some("required") {
            return None;
        }
        let url = binding
            .get("valueSet")?
            .as_str()?
            .split('|')
            .next()?
            .to_owned();
        if let Some(existing) = self.codes.get(&url) {
            return Some(existing.name.clone());
        }
        let codes = self.defs.enumerate(&url)?;
        let base = binding
            .get("extension")
            .and_then(Value::as_array)
            .and_then(|x| {
                x.iter().find(|x| {
                    x.get("url").and_then(Value::as_str)
                        == Some(
                            "http://hl7.org/fhir/StructureDefinition/elementdefinition-bindingName",
                        )
                })
            })
            .and_then(|x| x.get("valueString"))
            .and_then(Value::as_str)
            .map(|n| variant_name(n, None))?;
        let mut name = base.clone();
        let mut n = 2;
        while self.codes.values().any(|c| c.name == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        let mut used = BTreeSet::new();
        let codes = codes
            .into_iter()
            .map(|(code, display)| {
                let base = variant_name(&code, display.as_deref());
                let mut variant = base.clone();
                let mut n = 2;
                while !used.insert(variant.clone()) {
                    variant = format!("{base}{n}");
                    n += 1;
                }
                (code, variant, display)
            })
            .collect();
        self.codes.insert(
            url.clone(),
            CodeEnum {
                name: name.clone(),
                url,
                codes,
            },
        );
        Some(name)
    }
}

fn type_code(t: &Value) -> Result<&str, CodegenError> {
    t.get("code")
        .and_then(Value::as_str)
        .ok_or_else(|| CodegenError::Definition(format!("type without code: {t}")))
}

/// `Bundle.entry.request` -> `BundleEntryRequest`.
pub fn struct_name(path: &str) -> String {
    path.split('.').map(upper_first).collect()
}
