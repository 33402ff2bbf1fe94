//! Reference parameters. A relative `Type/id` (also with `/_history/v`) fills type and id;
//! an absolute URL, a `urn:` reference or a canonical keeps only the URL: it names a resource
//! on another server, which `Type/id` searches, chains, includes and compartments must not
//! take for the local resource of the same type and id. URLs under this server's own base
//! become local again through [`localize`], which the server applies with its configured base;
//! `Reference.identifier` fills the identifier pair for `:identifier`. A reference to a
//! contained resource (`#id`) becomes target type `#Type` (its type in `contained`) and
//! target id `#id`; the store completes the id to the contained resource's row
//! (`Encounter/e1#id`), so that chains follow it into the contained resource.

use serde_json::Value;

use super::{str_field, text};
use crate::fhirpath::{reference_type, Item};
use crate::index::IndexValue;

pub(super) fn values(item: &Item<'_>, root: &Value, out: &mut Vec<IndexValue>) {
    if let Some(s) = text(item) {
        if let Some(v) = from_reference(s, None).or_else(|| to_contained(s, root, None)) {
            out.push(v);
        }
        return;
    }
    let Item::Node {
        value: value @ Value::Object(_),
        ..
    } = item
    else {
        return;
    };
    let identifier = value.get("identifier");
    let ident = identifier
        .and_then(|i| str_field(i, "value"))
        .map(|v| (identifier.and_then(|i| str_field(i, "system")), v));
    // `Reference.type` names the target type when the reference string does not.
    let declared_type = str_field(value, "type");
    match str_field(value, "reference") {
        Some(r) if r.starts_with('#') => out.extend(to_contained(r, root, ident)),
        Some(r) => {
            if let Some(mut v) = from_reference(r, ident) {
                if let IndexValue::Reference {
                    target_type: t @ None,
                    ..
                } = &mut v
                {
                    *t = declared_type.map(str::to_owned);
                }
                out.push(v);
            }
        }
        None => {
            if let Some((system, value)) = ident {
                out.push(IndexValue::Reference {
                    target_type: declared_type.map(str::to_owned),
                    target_id: None,
                    url: None,
                    identifier_system: system.map(str::to_owned),
                    identifier_value: Some(value.to_owned()),
                });
            }
        }
    }
}

/// `#id`: the contained resource `id` of `root`, if it has one with a type.
fn to_contained(
    reference: &str,
    root: &Value,
    identifier: Option<(Option<&str>, &str)>,
) -> Option<IndexValue> {
    let id = reference.strip_prefix('#').filter(|id| !id.is_empty())?;
    let resource_type = root
        .get("contained")?
        .as_array()?
        .iter()
        .find(|c| str_field(c, "id") == Some(id))
        .and_then(|c| str_field(c, "resourceType"))?;
    Some(IndexValue::Reference {
        target_type: Some(format!("#{resource_type}")),
        target_id: Some(reference.to_owned()),
        url: None,
        identifier_system: identifier.and_then(|(s, _)| s).map(str::to_owned),
        identifier_value: identifier.map(|(_, v)| v.to_owned()),
    })
}

/// Splits a reference string into type, id and URL.
fn from_reference(reference: &str, identifier: Option<(Option<&str>, &str)>) -> Option<IndexValue> {
    if reference.starts_with('#') || reference.is_empty() {
        return None;
    }
    let absolute = reference.contains(':');
    let path = reference.split("/_history/").next().unwrap_or(reference);
    let target_type = reference_type(reference).filter(|_| !absolute);
    let target_id = target_type.and_then(|_| path.rsplit('/').next());
    let local = target_type.is_some() && path.matches('/').count() == 1;
    Some(IndexValue::Reference {
        target_type: target_type.map(str::to_owned),
        target_id: target_id.map(str::to_owned),
        url: (!local).then(|| reference.to_owned()),
        identifier_system: identifier.and_then(|(s, _)| s).map(str::to_owned),
        identifier_value: identifier.map(|(_, v)| v.to_owned()),
    })
}

/// Makes the reference values of `index` whose URL lies under `base` (this server's public
/// base, e.g. `https://fhir.example.org/fhir`, no trailing slash) local `Type/id` targets,
/// as if the resource had written them relative.
pub fn localize(index: &mut crate::index::ResourceIndex, base: &str) {
    let base = base.trim_end_matches('/');
    let entries = index.entries.iter_mut().chain(
        index
            .contained
            .iter_mut()
            .flat_map(|c| c.entries.iter_mut()),
    );
    for entry in entries {
        let IndexValue::Reference {
            target_type,
            target_id,
            url,
            ..
        } = &mut entry.value
        else {
            continue;
        };
        let Some(relative) = url
            .as_deref()
            .and_then(|u| u.strip_prefix(base))
            .and_then(|u| u.strip_prefix('/'))
        else {
            continue;
        };
        let Some(IndexValue::Reference {
            target_type: t @ Some(_),
            target_id: i,
            url: None,
            ..
        }) = from_reference(relative, None)
        else {
            continue;
        };
        *target_type = t;
        *target_id = i;
        *url = None;
    }
}
