//! System search (`GET [base]?_type=Encounter,Condition&patient=123`, http.html#search):
//! one query over several resource types.
//!
//! search.html allows the parameters common to every type searched. Here a parameter is
//! common when it parses, for every type, to the same filter (same code, same index table,
//! same values): `patient` on Encounter and Condition is; `date` on Encounter (a date) and
//! a string parameter of the same name elsewhere would not be. `_include`/`_revinclude` name
//! their own source type, so each needs only one type that accepts it; `_elements` likewise
//! per element.

use super::ast::{Filter, Handling, IgnoredParam, SearchQuery};
use super::error::QueryError;
use super::{parse_query_with, NON_SEARCH};
use crate::registry::Registry;

/// Parses a system search over `served` types. `_type` (comma-separated, may repeat)
/// narrows the search to some of them; without it every served type is searched. A type
/// that is not served is an [`QueryError::UnknownResourceType`] in strict and lenient mode
/// alike: searching fewer types than asked would silently drop results.
pub fn parse_system_query_with<I, K, V>(
    registry: &Registry,
    served: &[&str],
    pairs: I,
    handling: Handling,
) -> Result<SearchQuery, QueryError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .filter(|(k, _)| !NON_SEARCH.contains(&k.as_str()))
        .collect();
    let types = requested_types(served, &pairs)?;
    let Some(first) = types.first() else {
        return Err(QueryError::InvalidValue {
            param: "_type".to_owned(),
            value: String::new(),
            reason: "expected at least one resource type".to_owned(),
        });
    };

    let mut kept = vec![false; pairs.len()];
    let mut ignored = Vec::new();
    let mut query_pairs = Vec::new();
    let mut includes = (Vec::new(), Vec::new());
    let mut elements = Vec::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        // Empty parameters are ignored (search.html#errors), as for a type's search.
        if value.is_empty() && name != "_type" {
            continue;
        }
        let outcome = if name == "_type" {
            Ok(())
        } else if name.starts_with("_include") || name.starts_with("_revinclude") {
            every_type_that_takes(registry, &types, name, value).map(|found| {
                for q in found {
                    includes.0.extend(q.includes);
                    includes.1.extend(q.revincludes);
                }
                includes.0.dedup();
                includes.1.dedup();
            })
        } else if name == "_elements" {
            base_elements(registry, first, value).map(|e| elements.extend(e))
        } else {
            common_to_all(registry, &types, name, value).map(|()| query_pairs.push(i))
        };
        match (outcome, handling) {
            (Ok(()), _) => kept[i] = true,
            (Err(e), Handling::Strict) => return Err(e),
            (Err(e), Handling::Lenient) if e.is_modifier_error() => return Err(e),
            (Err(reason), Handling::Lenient) => ignored.push(IgnoredParam {
                name: name.clone(),
                value: value.clone(),
                reason,
            }),
        }
    }

    // The common parameters together, on the first type (each means the same on all): this
    // applies the rules about the whole query, such as `_sort` given once.
    let together = query_pairs.iter().filter_map(|i| pairs.get(*i));
    let mut query = parse_query_with(registry, first, together.cloned(), handling)?;
    for dropped in &query.ignored {
        if let Some(i) = pairs
            .iter()
            .position(|(n, v)| n == &dropped.name && v == &dropped.value)
        {
            kept[i] = false;
        }
    }
    ignored.append(&mut query.ignored);
    for t in types.iter().skip(1) {
        let together = query_pairs.iter().filter_map(|i| pairs.get(*i));
        if let Ok(other) = parse_query_with(registry, t, together.cloned(), handling) {
            merge_part_codes(&mut query, &other);
        }
    }
    query.ignored = ignored;
    query.includes = includes.0;
    query.revincludes = includes.1;
    query.elements = elements;
    query.system_types = types;
    query.applied = pairs
        .iter()
        .zip(kept)
        .filter(|(_, kept)| *kept)
        .map(|(pair, _)| pair.clone())
        .collect();
    Ok(query)
}

/// The types named by `_type`, in order and once each, or every served type.
fn requested_types(served: &[&str], pairs: &[(String, String)]) -> Result<Vec<String>, QueryError> {
    let mut types: Vec<String> = Vec::new();
    let mut named = false;
    for (_, value) in pairs.iter().filter(|(n, _)| n == "_type") {
        named = true;
        for t in value.split(',').map(str::trim) {
            if !served.contains(&t) {
                return Err(QueryError::UnknownResourceType {
                    resource_type: t.to_owned(),
                });
            }
            if !types.iter().any(|known| known == t) {
                types.push(t.to_owned());
            }
        }
    }
    if !named {
        types = served.iter().map(|t| (*t).to_owned()).collect();
    }
    Ok(types)
}

/// The query with its conditions' and sort keys' `part_codes` left out. Those differ by type
/// where one type has parameters for a HumanName's or Address's parts and another has not
/// (Patient's `name` reads `family`'s and `given`'s rows, RelatedPerson's has only its own):
/// the parameter still means the same, and the system search reads the union.
fn without_part_codes(mut q: SearchQuery) -> SearchQuery {
    for f in &mut q.filters {
        if let Filter::Condition(c) = f {
            c.part_codes.clear();
        }
    }
    for k in &mut q.sort {
        k.part_codes.clear();
    }
    q
}

/// Adds `other`'s `part_codes` (the same parameters parsed for another type) to `query`'s.
fn merge_part_codes(query: &mut SearchQuery, other: &SearchQuery) {
    fn union(into: &mut Vec<String>, from: &[String]) {
        for code in from {
            if !into.contains(code) {
                into.push(code.clone());
            }
        }
    }
    for (f, o) in query.filters.iter_mut().zip(&other.filters) {
        if let (Filter::Condition(c), Filter::Condition(oc)) = (f, o) {
            union(&mut c.part_codes, &oc.part_codes);
        }
    }
    for (k, o) in query.sort.iter_mut().zip(&other.sort) {
        union(&mut k.part_codes, &o.part_codes);
    }
}

/// `name=value` parsed alone for every type: it must parse and mean the same for each.
fn common_to_all(
    registry: &Registry,
    types: &[String],
    name: &str,
    value: &str,
) -> Result<(), QueryError> {
    let mut first: Option<(&str, SearchQuery)> = None;
    for t in types {
        let mut q = without_part_codes(parse_query_with(
            registry,
            t,
            [(name, value)],
            Handling::Strict,
        )?);
        q.resource_type.clear();
        match &first {
            None => first = Some((t, q)),
            Some((first_type, f)) if *f != q => {
                return Err(QueryError::NotSupported {
                    param: name.to_owned(),
                    reason: format!(
                        "it does not mean the same for {first_type} and {t}; a system search \
                         takes only parameters common to every type searched"
                    ),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `_include`/`_revinclude`: parsed on every type that accepts it (`*` and `:iterate` rules
/// apply to each type's matches), at least one.
fn every_type_that_takes(
    registry: &Registry,
    types: &[String],
    name: &str,
    value: &str,
) -> Result<Vec<SearchQuery>, QueryError> {
    let mut found = Vec::new();
    let mut first_error = None;
    for t in types {
        match parse_query_with(registry, t, [(name, value)], Handling::Strict) {
            Ok(q) => found.push(q),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if found.is_empty() => Err(e),
        _ => Ok(found),
    }
}

/// `_elements`: base element names. Without a type prefix a name's validity does not depend
/// on the type (`base_element_name` checks its form), so it is parsed on the first type.
fn base_elements(registry: &Registry, first: &str, value: &str) -> Result<Vec<String>, QueryError> {
    // `Patient.name` would be applied to every type as `name`.
    if value.contains('.') {
        return Err(QueryError::InvalidValue {
            param: "_elements".to_owned(),
            value: value.to_owned(),
            reason: "a system search takes base element names without a type (name, not \
                     Patient.name)"
                .to_owned(),
        });
    }
    Ok(parse_query_with(registry, first, [("_elements", value)], Handling::Strict)?.elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Filter, QueryError};
    use crate::registry::registry;

    const SERVED: &[&str] = &["Patient", "Encounter", "Condition"];

    fn parse(pairs: &[(&str, &str)], handling: Handling) -> Result<SearchQuery, QueryError> {
        let registry = registry().map_err(|e| QueryError::NotSupported {
            param: String::new(),
            reason: e.to_string(),
        })?;
        parse_system_query_with(registry, SERVED, pairs.iter().copied(), handling)
    }

    #[test]
    fn without_type_every_served_type_is_searched() -> Result<(), QueryError> {
        let q = parse(&[("_lastUpdated", "ge2020")], Handling::Strict)?;
        assert_eq!(q.types(), SERVED);
        assert!(q.is_system());
        assert_eq!(q.resource_type, "Patient");
        assert_eq!(q.filters.len(), 1);
        assert_eq!(q.to_query_string(), "_lastUpdated=ge2020");
        Ok(())
    }

    #[test]
    fn type_narrows_and_keeps_order_once_each() -> Result<(), QueryError> {
        let q = parse(
            &[("_type", "Condition,Encounter"), ("_type", "Condition")],
            Handling::Strict,
        )?;
        assert_eq!(q.types(), ["Condition", "Encounter"]);
        assert_eq!(q.resource_type, "Condition");
        assert_eq!(
            q.to_query_string(),
            "_type=Condition,Encounter&_type=Condition"
        );
        Ok(())
    }

    /// `name` reads `family`'s and `given`'s rows on Patient but has only its own on
    /// RelatedPerson: still one parameter, reading the union (and sorted by it).
    #[test]
    fn name_parts_differ_by_type_and_are_read_together() -> Result<(), QueryError> {
        let registry = registry().map_err(|e| QueryError::NotSupported {
            param: String::new(),
            reason: e.to_string(),
        })?;
        let q = parse_system_query_with(
            registry,
            &["RelatedPerson", "Patient"],
            [("name", "ngata"), ("_sort", "name")],
            Handling::Strict,
        )?;
        assert_eq!(q.types(), ["RelatedPerson", "Patient"]);
        let Some(Filter::Condition(c)) = q.filters.first() else {
            panic!("{q:?}");
        };
        assert_eq!(c.code, "name");
        assert_eq!(c.part_codes, ["family", "given"]);
        assert_eq!(q.sort[0].part_codes, ["family", "given"]);
        Ok(())
    }

    #[test]
    fn a_type_not_served_is_refused_even_when_lenient() {
        for handling in [Handling::Strict, Handling::Lenient] {
            let e = parse(&[("_type", "Patient,Observation")], handling);
            assert_eq!(
                e,
                Err(QueryError::UnknownResourceType {
                    resource_type: "Observation".to_owned()
                })
            );
        }
    }

    #[test]
    fn a_parameter_common_to_the_types_is_one_filter() -> Result<(), QueryError> {
        let q = parse(
            &[("_type", "Encounter,Condition"), ("patient", "Patient/p1")],
            Handling::Strict,
        )?;
        assert_eq!(q.filters.len(), 1);
        assert!(matches!(&q.filters[0], Filter::Condition(c) if c.code == "patient"));
        Ok(())
    }

    #[test]
    fn a_parameter_missing_on_one_type_is_refused_or_ignored() -> Result<(), QueryError> {
        let strict = parse(&[("family", "smith")], Handling::Strict);
        assert!(
            matches!(&strict, Err(QueryError::UnknownParameter { param, resource_type })
                if param == "family" && resource_type == "Encounter"),
            "{strict:?}"
        );
        let lenient = parse(&[("family", "smith"), ("_id", "a1")], Handling::Lenient)?;
        assert_eq!(lenient.filters.len(), 1);
        assert_eq!(lenient.ignored.len(), 1);
        assert_eq!(lenient.ignored[0].name, "family");
        assert_eq!(lenient.to_query_string(), "_id=a1");
        Ok(())
    }

    #[test]
    fn a_parameter_that_differs_between_types_is_refused() -> Result<(), QueryError> {
        // `contact` is a string on NamingSystem and a token on Subscription.
        let registry = registry().map_err(|e| QueryError::NotSupported {
            param: String::new(),
            reason: e.to_string(),
        })?;
        let served = ["NamingSystem", "Subscription"];
        let e = parse_system_query_with(registry, &served, [("contact", "x")], Handling::Strict);
        assert!(
            matches!(&e, Err(QueryError::NotSupported { param, reason })
                if param == "contact" && reason.contains("NamingSystem and Subscription")),
            "{e:?}"
        );
        let one = parse_system_query_with(
            registry,
            &served,
            [("_type", "Subscription"), ("contact", "x")],
            Handling::Strict,
        )?;
        assert_eq!(one.filters.len(), 1);
        Ok(())
    }

    #[test]
    fn includes_and_elements_need_one_type_that_takes_them() -> Result<(), QueryError> {
        let q = parse(
            &[
                ("_type", "Encounter,Condition"),
                ("_include", "Encounter:subject"),
                ("_revinclude", "Condition:encounter"),
                ("_elements", "subject,code"),
            ],
            Handling::Strict,
        )?;
        assert_eq!(q.includes.len(), 1);
        assert_eq!(q.includes[0].source_type, "Encounter");
        assert_eq!(q.revincludes.len(), 1);
        assert_eq!(q.elements, ["subject", "code"]);
        let qualified = parse(&[("_elements", "Patient.name")], Handling::Strict);
        assert!(
            matches!(&qualified, Err(QueryError::InvalidValue { param, .. }) if param == "_elements"),
            "{qualified:?}"
        );
        let star = parse(
            &[("_type", "Encounter,Condition"), ("_revinclude", "*")],
            Handling::Strict,
        )?;
        let sources: Vec<&str> = star
            .revincludes
            .iter()
            .map(|i| i.source_type.as_str())
            .collect();
        assert_eq!(sources, ["Encounter", "Condition"]);
        let e = parse(
            &[("_type", "Encounter"), ("_include", "Condition:subject")],
            Handling::Strict,
        );
        assert!(e.is_err(), "{e:?}");
        Ok(())
    }

    #[test]
    fn sort_must_exist_on_every_type_and_is_given_once() -> Result<(), QueryError> {
        let q = parse(
            &[("_type", "Encounter,Condition"), ("_sort", "-_lastUpdated")],
            Handling::Strict,
        )?;
        assert_eq!(q.sort.len(), 1);
        assert!(parse(&[("_sort", "family")], Handling::Strict).is_err());
        let twice = parse(&[("_sort", "_id"), ("_sort", "_id")], Handling::Strict);
        assert!(
            matches!(twice, Err(QueryError::Repeated { .. })),
            "{twice:?}"
        );
        Ok(())
    }
}
