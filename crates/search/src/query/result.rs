//! Result parameters: `_include`, `_revinclude`, `_sort`, `_count`, `_summary`, `_elements`,
//! `_total`, `_contained`, `_containedType`.

use crate::registry::{Registry, SearchParamType};

use super::ast::{
    Contained, ContainedType, Include, SearchQuery, SortKey, Summary, Total, MAX_COUNT,
};
use super::error::QueryError;
use super::value::allows_target;

/// Names that control the result rather than select resources.
pub(crate) fn is_result_param(name: &str) -> bool {
    let base = name.split(':').next().unwrap_or(name);
    matches!(
        base,
        "_include"
            | "_revinclude"
            | "_sort"
            | "_count"
            | "_summary"
            | "_elements"
            | "_total"
            | "_contained"
            | "_containedType"
    )
}

/// Applies one result parameter to `query`.
pub(crate) fn apply(
    registry: &Registry,
    query: &mut SearchQuery,
    name: &str,
    value: &str,
) -> Result<(), QueryError> {
    let invalid = |reason: &str| QueryError::InvalidValue {
        param: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let once = |already: bool| {
        if already {
            Err(QueryError::Repeated {
                param: name.to_owned(),
            })
        } else {
            Ok(())
        }
    };
    let (base, modifier) = match name.split_once(':') {
        Some((b, m)) => (b, Some(m)),
        None => (name, None),
    };
    if modifier.is_some() && !matches!(base, "_include" | "_revinclude") {
        return Err(QueryError::UnknownModifier {
            param: name.to_owned(),
            modifier: modifier.unwrap_or_default().to_owned(),
        });
    }
    match base {
        "_include" | "_revinclude" => {
            let iterate = match modifier {
                None => false,
                Some("iterate" | "recurse") => true,
                Some(m) => {
                    return Err(QueryError::UnknownModifier {
                        param: name.to_owned(),
                        modifier: m.to_owned(),
                    })
                }
            };
            let include = include(
                registry,
                &query.resource_type,
                base == "_revinclude",
                iterate,
                value,
            )
            .map_err(|r| invalid(&r))?;
            if base == "_include" {
                query.includes.push(include);
            } else {
                query.revincludes.push(include);
            }
        }
        "_sort" => {
            once(!query.sort.is_empty())?;
            let mut keys = Vec::new();
            for key in value.split(',') {
                let (code, descending) = match key.strip_prefix('-') {
                    Some(c) => (c, true),
                    None => (key, false),
                };
                let def = registry.param(&query.resource_type, code).ok_or_else(|| {
                    invalid(&format!(
                        "`{code}` is not a search parameter of {}",
                        query.resource_type
                    ))
                })?;
                if matches!(
                    def.param_type,
                    SearchParamType::Composite | SearchParamType::Special
                ) {
                    return Err(invalid(&format!(
                        "cannot sort by the {} parameter `{code}`",
                        def.param_type.as_str()
                    )));
                }
                keys.push(SortKey {
                    code: def.index_code.clone(),
                    part_codes: registry.part_codes(&query.resource_type, def),
                    param_type: def.param_type,
                    descending,
                });
            }
            query.sort = keys;
        }
        "_count" => {
            once(query.applied.iter().any(|(n, _)| n == "_count"))?;
            let n: usize = value
                .parse()
                .map_err(|_| invalid("expected a non-negative integer"))?;
            query.count = n.min(MAX_COUNT);
        }
        "_summary" => {
            once(query.summary.is_some())?;
            query.summary = Some(match value {
                "true" => Summary::True,
                "text" => Summary::Text,
                "data" => Summary::Data,
                "count" => Summary::Count,
                "false" => Summary::False,
                _ => return Err(invalid("expected true, text, data, count or false")),
            });
        }
        "_elements" => {
            let mut elements = Vec::new();
            for element in value.split(',') {
                let Some(name) = base_element_name(&query.resource_type, element) else {
                    return Err(invalid(
                        "expected comma-separated base element names such as name,birthDate \
                         (elements at the root of the resource)",
                    ));
                };
                elements.push(name.to_owned());
            }
            query.elements.extend(elements);
        }
        "_total" => {
            once(query.total.is_some())?;
            query.total = Some(match value {
                "none" => Total::None,
                "estimate" => Total::Estimate,
                "accurate" => Total::Accurate,
                _ => return Err(invalid("expected none, estimate or accurate")),
            });
        }
        "_contained" => {
            once(query.contained.is_some())?;
            query.contained = Some(match value {
                "true" => Contained::True,
                "false" => Contained::False,
                "both" => Contained::Both,
                _ => return Err(invalid("expected true, false or both")),
            });
        }
        "_containedType" => {
            once(query.contained_type.is_some())?;
            query.contained_type = Some(match value {
                "container" => ContainedType::Container,
                "contained" => ContainedType::Contained,
                _ => return Err(invalid("expected container or contained")),
            });
        }
        _ => {
            return Err(QueryError::UnknownParameter {
                param: name.to_owned(),
                resource_type: query.resource_type.clone(),
            })
        }
    }
    Ok(())
}

/// `Source:param[:Target]` or `*`. For `_include` the source is the searched type (any type
/// with `:iterate`); for `_revinclude` the parameter must be able to point at it.
fn include(
    registry: &Registry,
    resource_type: &str,
    reverse: bool,
    iterate: bool,
    value: &str,
) -> Result<Include, String> {
    if value == "*" {
        return Ok(Include {
            source_type: resource_type.to_owned(),
            param: None,
            target_type: None,
            iterate,
        });
    }
    let mut parts = value.split(':');
    let (Some(source), Some(param), target, None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected Type:parameter[:TargetType] or *".to_owned());
    };
    if !registry.is_resource_type(source) {
        return Err(format!("unknown resource type `{source}`"));
    }
    if !reverse && !iterate && source != resource_type {
        return Err(format!(
            "_include must start from {resource_type} (or use :iterate)"
        ));
    }
    if param == "*" {
        return Ok(Include {
            source_type: source.to_owned(),
            param: None,
            target_type: target.map(str::to_owned),
            iterate,
        });
    }
    let def = registry
        .param(source, param)
        .ok_or_else(|| format!("`{param}` is not a search parameter of {source}"))?;
    if def.param_type != SearchParamType::Reference {
        return Err(format!("`{source}:{param}` is not a reference parameter"));
    }
    if let Some(t) = target {
        if !registry.is_resource_type(t) || !allows_target(def, t) {
            return Err(format!("{t} is not a target of `{source}:{param}`"));
        }
    }
    if reverse && !iterate && !allows_target(def, resource_type) {
        return Err(format!(
            "`{source}:{param}` cannot point at {resource_type}"
        ));
    }
    Ok(Include {
        source_type: source.to_owned(),
        param: Some(def.index_code.clone()),
        target_type: target.map(str::to_owned),
        iterate,
    })
}

/// An `_elements` entry of a `resource_type` as the base element name it selects: `name`, or
/// `Patient.name` with that type before it. `None` for anything else: R4 selects root
/// elements only, so a nested path (`name.family`) or another type's element is refused
/// rather than silently treated as something else.
pub fn base_element_name<'e>(resource_type: &str, element: &'e str) -> Option<&'e str> {
    let element = element.trim();
    let name = match element.split_once('.') {
        Some((ty, name)) if ty == resource_type => name,
        Some(_) => return None,
        None => element,
    };
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}
