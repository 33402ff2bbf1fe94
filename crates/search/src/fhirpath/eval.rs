use serde_json::Value;

use super::ast::{BinOp, Expr, Literal, TypeOp};
use super::error::FhirPathError;

/// One item of an evaluation result.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// A node of the resource. `type_name` is the type suffix of a choice element
    /// (`Quantity` for `valueQuantity`), when the member was found through its choice name.
    Node {
        value: &'a Value,
        type_name: Option<&'a str>,
    },
    Bool(bool),
    String(String),
    Number(String),
    /// What `resolve()` knows of a reference without a database: the target's type.
    Resolved {
        type_name: Option<String>,
    },
}

impl Item<'_> {
    fn as_bool(&self) -> Option<bool> {
        match self {
            Item::Bool(b) => Some(*b),
            Item::Node {
                value: Value::Bool(b),
                ..
            } => Some(*b),
            _ => None,
        }
    }
}

/// Evaluates `expr` against `resource` (the root, also the initial input and `$this`).
pub fn evaluate<'a>(expr: &Expr, resource: &'a Value) -> Result<Vec<Item<'a>>, FhirPathError> {
    let input = [Item::Node {
        value: resource,
        type_name: None,
    }];
    eval(expr, &input, resource)
}

fn eval<'a>(
    expr: &Expr,
    input: &[Item<'a>],
    root: &'a Value,
) -> Result<Vec<Item<'a>>, FhirPathError> {
    Ok(match expr {
        Expr::This => input.to_vec(),
        Expr::Literal(Literal::Bool(b)) => vec![Item::Bool(*b)],
        Expr::Literal(Literal::String(s)) => vec![Item::String(s.clone())],
        Expr::Literal(Literal::Number(n)) => vec![Item::Number(n.clone())],
        Expr::Member { base, name } => {
            let mut out = Vec::new();
            match base {
                Some(b) => eval(b, input, root)?
                    .iter()
                    .for_each(|item| member(item, name, &mut out)),
                None => input.iter().for_each(|item| member(item, name, &mut out)),
            }
            out
        }
        Expr::Call { base, name, args } => {
            let base = eval_base(base.as_deref(), input, root)?;
            call(name, &base, args, root)?
        }
        Expr::Type {
            op,
            expr,
            type_name,
        } => {
            let items = eval(expr, input, root)?;
            match op {
                TypeOp::As => items
                    .into_iter()
                    .filter(|i| is_type(i, type_name))
                    .collect(),
                TypeOp::Is => match items.as_slice() {
                    [one] => vec![Item::Bool(is_type(one, type_name))],
                    _ => Vec::new(),
                },
            }
        }
        Expr::Index { base, index } => eval(base, input, root)?
            .into_iter()
            .nth(*index)
            .into_iter()
            .collect(),
        Expr::Binary { op, left, right } => {
            let l = eval(left, input, root)?;
            let r = eval(right, input, root)?;
            binary(*op, l, r)
        }
    })
}

fn eval_base<'a>(
    base: Option<&Expr>,
    input: &[Item<'a>],
    root: &'a Value,
) -> Result<Vec<Item<'a>>, FhirPathError> {
    match base {
        Some(b) => eval(b, input, root),
        None => Ok(input.to_vec()),
    }
}

/// Member access, flattening arrays. A name that is the item's own `resourceType` (or
/// `Resource`/`DomainResource`) selects the item itself, so `Patient.name` works on a Patient.
/// A missing member is looked up as a choice element: `value` finds `valueQuantity`.
fn member<'a>(item: &Item<'a>, name: &str, out: &mut Vec<Item<'a>>) {
    let Item::Node {
        value: Value::Object(map),
        ..
    } = item
    else {
        return;
    };
    // Element names start lower case, type names upper case: only the latter select the item.
    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        if let Some(Value::String(rt)) = map.get("resourceType") {
            if rt == name || name == "Resource" || name == "DomainResource" {
                out.push(item.clone());
            }
        }
        return;
    }
    let mut push = |value: &'a Value, type_name: Option<&'a str>| match value {
        Value::Array(items) => out.extend(
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(|value| Item::Node { value, type_name }),
        ),
        Value::Null => {}
        value => out.push(Item::Node { value, type_name }),
    };
    if let Some(value) = map.get(name) {
        push(value, None);
        return;
    }
    for (key, value) in map {
        if let Some(suffix) = key.strip_prefix(name) {
            if CHOICE_TYPES.contains(&suffix) {
                push(value, Some(suffix));
            }
        }
    }
}

/// The type suffixes a choice element (`value[x]`) may carry in JSON. Other keys that merely
/// start with the name (`classHistory` for `class`) are different elements.
const CHOICE_TYPES: &[&str] = &[
    "Base64Binary",
    "Boolean",
    "Canonical",
    "Code",
    "Date",
    "DateTime",
    "Decimal",
    "Id",
    "Instant",
    "Integer",
    "Markdown",
    "Oid",
    "PositiveInt",
    "String",
    "Time",
    "UnsignedInt",
    "Uri",
    "Url",
    "Uuid",
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
    "Dosage",
    "Meta",
];

/// Whether `item` is of FHIR type `type_name`. Choice elements know their type from the key;
/// other nodes are judged by their JSON shape (primitive types start lower case).
fn is_type(item: &Item<'_>, type_name: &str) -> bool {
    let primitive = type_name.starts_with(|c: char| c.is_ascii_lowercase());
    match item {
        Item::Resolved { type_name: t } => {
            t.as_deref() == Some(type_name) || type_name == "Resource"
        }
        Item::Node {
            type_name: Some(t), ..
        } => t.eq_ignore_ascii_case(type_name),
        Item::Node {
            value: Value::Object(map),
            type_name: None,
        } => match map.get("resourceType") {
            Some(Value::String(rt)) => {
                rt == type_name || matches!(type_name, "Resource" | "DomainResource")
            }
            _ => !primitive,
        },
        Item::Node {
            value: Value::Bool(_),
            ..
        }
        | Item::Bool(_) => type_name.eq_ignore_ascii_case("boolean"),
        Item::Node {
            value: Value::Number(_),
            ..
        }
        | Item::Number(_) => {
            matches!(
                type_name,
                "decimal" | "integer" | "positiveInt" | "unsignedInt"
            )
        }
        Item::Node {
            value: Value::String(_),
            ..
        }
        | Item::String(_) => primitive && type_name != "boolean",
        Item::Node { .. } => false,
    }
}

fn call<'a>(
    name: &str,
    base: &[Item<'a>],
    args: &[Expr],
    root: &'a Value,
) -> Result<Vec<Item<'a>>, FhirPathError> {
    let filter = |base: &[Item<'a>], criteria: &Expr| -> Result<Vec<Item<'a>>, FhirPathError> {
        let mut out = Vec::new();
        for item in base {
            let r = eval(criteria, std::slice::from_ref(item), root)?;
            if matches!(r.as_slice(), [one] if one.as_bool() == Some(true)) {
                out.push(item.clone());
            }
        }
        Ok(out)
    };
    Ok(match (name, args) {
        ("where", [criteria]) => filter(base, criteria)?,
        ("exists", []) => vec![Item::Bool(!base.is_empty())],
        ("exists", [criteria]) => vec![Item::Bool(!filter(base, criteria)?.is_empty())],
        ("empty", []) => vec![Item::Bool(base.is_empty())],
        ("hasValue", []) => vec![Item::Bool(matches!(
            base,
            [Item::Node {
                value: Value::String(_) | Value::Bool(_) | Value::Number(_),
                ..
            }]
        ))],
        ("count", []) => vec![Item::Number(base.len().to_string())],
        ("not", []) => match base {
            [one] => one
                .as_bool()
                .map(|b| vec![Item::Bool(!b)])
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        ("first", []) => base.first().cloned().into_iter().collect(),
        ("last", []) => base.last().cloned().into_iter().collect(),
        ("resolve", []) => base.iter().filter_map(|item| resolve(item, root)).collect(),
        ("extension", [url]) => {
            let urls = eval(
                url,
                &[Item::Node {
                    value: root,
                    type_name: None,
                }],
                root,
            )?;
            let Some(Item::String(url)) = urls.first() else {
                return Ok(Vec::new());
            };
            let mut exts = Vec::new();
            for item in base {
                member(item, "extension", &mut exts);
            }
            exts.retain(|e| matches!(e, Item::Node { value, .. } if value.get("url").and_then(Value::as_str) == Some(url)));
            exts
        }
        _ => {
            return Err(FhirPathError::UnknownFunction {
                name: name.to_owned(),
            })
        }
    })
}

/// `resolve()` without a database: a Reference (or canonical string) becomes its target type.
/// `#id` looks the type up among the root's contained resources.
fn resolve<'a>(item: &Item<'a>, root: &Value) -> Option<Item<'a>> {
    let text = match item {
        Item::Node {
            value: Value::Object(map),
            ..
        } => map.get("reference")?.as_str()?,
        Item::Node {
            value: Value::String(s),
            ..
        } => s.as_str(),
        _ => return None,
    };
    let type_name = match text.strip_prefix('#') {
        Some(id) => root
            .get("contained")
            .and_then(Value::as_array)
            .and_then(|c| {
                c.iter()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
            })
            .and_then(|r| r.get("resourceType"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        None => reference_type(text).map(str::to_owned),
    };
    Some(Item::Resolved { type_name })
}

/// The type part of a reference: `Patient` for `Patient/1`, `http://x/fhir/Patient/1` or
/// `Patient/1/_history/2`.
pub fn reference_type(reference: &str) -> Option<&str> {
    let path = match reference.find("/_history/") {
        Some(at) => reference.get(..at)?,
        None => reference,
    };
    let mut segments = path.rsplit('/');
    let _id = segments.next().filter(|id| !id.is_empty())?;
    let ty = segments.next()?;
    let valid = ty.starts_with(|c: char| c.is_ascii_uppercase())
        && ty.chars().all(|c| c.is_ascii_alphanumeric());
    valid.then_some(ty)
}

fn binary<'a>(op: BinOp, l: Vec<Item<'a>>, r: Vec<Item<'a>>) -> Vec<Item<'a>> {
    let single_bool = |items: &[Item<'_>]| match items {
        [one] => one.as_bool(),
        _ => None,
    };
    let logic = |v: Option<bool>| v.map(|b| vec![Item::Bool(b)]).unwrap_or_default();
    match op {
        BinOp::Union => {
            let mut out = l;
            for item in r {
                if !out.iter().any(|o| same(o, &item)) {
                    out.push(item);
                }
            }
            out
        }
        BinOp::And => logic(match (single_bool(&l), single_bool(&r)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }),
        BinOp::Or => logic(match (single_bool(&l), single_bool(&r)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }),
        BinOp::Xor => logic(match (single_bool(&l), single_bool(&r)) {
            (Some(a), Some(b)) => Some(a != b),
            _ => None,
        }),
        BinOp::Implies => logic(match (single_bool(&l), single_bool(&r)) {
            (Some(false), _) | (_, Some(true)) => Some(true),
            (Some(true), Some(false)) => Some(false),
            _ => None,
        }),
        BinOp::Eq | BinOp::Ne => match (l.as_slice(), r.as_slice()) {
            ([a], [b]) => {
                let eq = equal(a, b);
                vec![Item::Bool(if op == BinOp::Eq { eq } else { !eq })]
            }
            _ => Vec::new(),
        },
        BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => match (l.as_slice(), r.as_slice()) {
            ([a], [b]) => compare(a, b)
                .map(|ord| {
                    let ok = match op {
                        BinOp::Lt => ord.is_lt(),
                        BinOp::Gt => ord.is_gt(),
                        BinOp::Le => ord.is_le(),
                        _ => ord.is_ge(),
                    };
                    vec![Item::Bool(ok)]
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        },
    }
}

fn same(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a, b) {
        (Item::Node { value: x, .. }, Item::Node { value: y, .. }) => std::ptr::eq(*x, *y),
        _ => a == b,
    }
}

enum Scalar<'s> {
    Str(&'s str),
    Bool(bool),
    Num(f64),
    Other,
}

fn scalar<'s>(item: &'s Item<'_>) -> Scalar<'s> {
    match item {
        Item::String(s) => Scalar::Str(s),
        Item::Bool(b) => Scalar::Bool(*b),
        Item::Number(n) => n.parse().map_or(Scalar::Other, Scalar::Num),
        Item::Node {
            value: Value::String(s),
            ..
        } => Scalar::Str(s),
        Item::Node {
            value: Value::Bool(b),
            ..
        } => Scalar::Bool(*b),
        Item::Node {
            value: Value::Number(n),
            ..
        } => n.to_string().parse().map_or(Scalar::Other, Scalar::Num),
        _ => Scalar::Other,
    }
}

fn equal(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (scalar(a), scalar(b)) {
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        (Scalar::Num(x), Scalar::Num(y)) => x == y,
        (Scalar::Other, Scalar::Other) => same(a, b),
        _ => false,
    }
}

fn compare(a: &Item<'_>, b: &Item<'_>) -> Option<std::cmp::Ordering> {
    match (scalar(a), scalar(b)) {
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(&y),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
