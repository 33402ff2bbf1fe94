//! Parameter names: `code[:modifier]`, chains `code[:Type].code...`, and `_has:Type:param:...`.

use crate::registry::{Lookup, Registry, SearchParamDef, SearchParamType};

use super::ast::{Chain, Condition, Filter, Has, Modifier, MAX_CHAIN_DEPTH};
use super::error::QueryError;
use super::value::{allows_target, parse_values};

/// The modifiers this parser applies for a parameter type, as the CapabilityStatement should
/// list them (`[type]` stands for any allowed target type). Others are refused: `:of-type` as
/// not supported, the rest as not allowed. Token `:in`/`:not-in` (a value set's URL) and
/// `:above`/`:below` (a `system|code` in a hierarchy) are expanded by the server into plain
/// tokens before the store runs the query.
pub fn supported_modifiers(param_type: SearchParamType) -> &'static [&'static str] {
    match param_type {
        SearchParamType::String => &["missing", "exact", "contains"],
        SearchParamType::Token => &["missing", "not", "text", "in", "not-in", "above", "below"],
        SearchParamType::Reference => &["missing", "identifier", "[type]"],
        SearchParamType::Uri => &["missing", "above", "below"],
        SearchParamType::Date
        | SearchParamType::Number
        | SearchParamType::Quantity
        | SearchParamType::Composite => &["missing"],
        SearchParamType::Special => &[],
    }
}

/// Parses one search parameter occurrence (`name=value`) on `resource_type`.
pub(crate) fn parse_filter(
    registry: &Registry,
    resource_type: &str,
    name: &str,
    value: &str,
) -> Result<Filter, QueryError> {
    Parser {
        registry,
        param: name,
        value,
    }
    .filter(resource_type, name, 0)
}

struct Parser<'a> {
    registry: &'a Registry,
    /// The whole parameter name, for errors.
    param: &'a str,
    value: &'a str,
}

impl Parser<'_> {
    fn chain_error(&self, reason: String) -> QueryError {
        QueryError::InvalidChain {
            param: self.param.to_owned(),
            reason,
        }
    }

    fn filter(&self, resource_type: &str, name: &str, depth: usize) -> Result<Filter, QueryError> {
        if depth > MAX_CHAIN_DEPTH {
            return Err(self.chain_error(format!("more than {MAX_CHAIN_DEPTH} levels")));
        }
        if let Some(rest) = name.strip_prefix("_has:") {
            return self.has(resource_type, rest, depth);
        }
        let (head, rest) = match name.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (name, None),
        };
        let (code, modifier_text) = match head.split_once(':') {
            Some((c, m)) => (c, Some(m)),
            None => (head, None),
        };
        let def = self.lookup(resource_type, code)?;
        let modifier = modifier_text.map(|m| self.modifier(m)).transpose()?;
        match rest {
            Some(rest) => self.chain(def, modifier, rest, depth),
            None => {
                if let Some(m) = &modifier {
                    self.check_modifier(def, m)?;
                }
                let values = parse_values(def, modifier.as_ref(), self.param, self.value)?;
                Ok(Filter::Condition(Condition {
                    code: def.index_code.clone(),
                    part_codes: self.registry.part_codes(resource_type, def),
                    param_type: def.param_type,
                    modifier,
                    values,
                }))
            }
        }
    }

    fn lookup(&self, resource_type: &str, code: &str) -> Result<&SearchParamDef, QueryError> {
        match self.registry.lookup(resource_type, code) {
            Lookup::Found(def) => Ok(def),
            Lookup::Unsupported(reason) => Err(QueryError::NotSupported {
                param: self.param.to_owned(),
                reason: reason.to_owned(),
            }),
            Lookup::Unknown => Err(QueryError::UnknownParameter {
                param: self.param.to_owned(),
                resource_type: resource_type.to_owned(),
            }),
        }
    }

    fn modifier(&self, text: &str) -> Result<Modifier, QueryError> {
        let unknown = || QueryError::UnknownModifier {
            param: self.param.to_owned(),
            modifier: text.to_owned(),
        };
        Ok(match text {
            "missing" => Modifier::Missing,
            "exact" => Modifier::Exact,
            "contains" => Modifier::Contains,
            "not" => Modifier::Not,
            "text" => Modifier::Text,
            "identifier" => Modifier::Identifier,
            "above" => Modifier::Above,
            "below" => Modifier::Below,
            "in" => Modifier::In,
            "not-in" => Modifier::NotIn,
            "of-type" => {
                return Err(QueryError::ModifierNotSupported {
                    param: self.param.to_owned(),
                    modifier: text.to_owned(),
                })
            }
            t if self.registry.is_resource_type(t) => Modifier::Type(t.to_owned()),
            _ => return Err(unknown()),
        })
    }

    /// Modifiers search.html allows per parameter type.
    fn check_modifier(&self, def: &SearchParamDef, modifier: &Modifier) -> Result<(), QueryError> {
        use SearchParamType as T;
        let allowed = match (def.param_type, modifier) {
            (_, Modifier::Missing) => true,
            (T::String, Modifier::Exact | Modifier::Contains) => true,
            (
                T::Token,
                Modifier::Not
                | Modifier::Text
                | Modifier::In
                | Modifier::NotIn
                | Modifier::Above
                | Modifier::Below,
            ) => true,
            (T::Reference, Modifier::Identifier) => true,
            (T::Reference, Modifier::Type(t)) => {
                if !allows_target(def, t) {
                    return Err(self.chain_error(format!("{t} is not a target of `{}`", def.code)));
                }
                true
            }
            (T::Uri, Modifier::Above | Modifier::Below) => true,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(QueryError::ModifierNotAllowed {
                param: self.param.to_owned(),
                modifier: modifier.as_str().to_owned(),
                param_type: def.param_type.as_str(),
            })
        }
    }

    /// `code[:Type].rest`: the target type is the modifier's, or the only target type that
    /// has the next parameter.
    fn chain(
        &self,
        def: &SearchParamDef,
        modifier: Option<Modifier>,
        rest: &str,
        depth: usize,
    ) -> Result<Filter, QueryError> {
        if def.param_type != SearchParamType::Reference {
            return Err(self.chain_error(format!("`{}` is not a reference parameter", def.code)));
        }
        let next_code = rest.split(['.', ':']).next().unwrap_or(rest);
        let target_type = match modifier {
            Some(Modifier::Type(t)) => {
                if !allows_target(def, &t) {
                    return Err(self.chain_error(format!("{t} is not a target of `{}`", def.code)));
                }
                t
            }
            Some(other) => {
                return Err(
                    self.chain_error(format!("modifier :{} cannot start a chain", other.as_str()))
                )
            }
            None => {
                let candidates: Vec<&String> = def
                    .targets
                    .iter()
                    .filter(|t| !matches!(self.registry.lookup(t, next_code), Lookup::Unknown))
                    .collect();
                match candidates.as_slice() {
                    [one] => (*one).clone(),
                    [] => {
                        return Err(self.chain_error(format!(
                            "no target of `{}` has a parameter `{next_code}`",
                            def.code
                        )))
                    }
                    many => {
                        let names: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
                        return Err(self.chain_error(format!(
                            "`{}` may point at {}; name one, e.g. `{}:{}.{rest}`",
                            def.code,
                            names.join(", "),
                            def.code,
                            names.first().copied().unwrap_or_default()
                        )));
                    }
                }
            }
        };
        let filter = self.filter(&target_type, rest, depth + 1)?;
        Ok(Filter::Chain(Chain {
            code: def.index_code.clone(),
            target_type,
            filter: Box::new(filter),
        }))
    }

    /// `Type:param:rest` after `_has:`: `Type` resources whose reference `param` points at
    /// `resource_type`, filtered by `rest` (itself possibly another `_has:` or a chain).
    fn has(&self, resource_type: &str, spec: &str, depth: usize) -> Result<Filter, QueryError> {
        let mut parts = spec.splitn(3, ':');
        let (Some(source), Some(reference), Some(rest)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(self.chain_error("expected _has:Type:reference:parameter".to_owned()));
        };
        if !self.registry.is_resource_type(source) {
            return Err(self.chain_error(format!("unknown resource type `{source}`")));
        }
        let def = self.lookup(source, reference)?;
        if def.param_type != SearchParamType::Reference {
            return Err(self.chain_error(format!(
                "`{source}.{reference}` is not a reference parameter"
            )));
        }
        if !allows_target(def, resource_type) {
            return Err(self.chain_error(format!(
                "`{source}.{reference}` cannot point at {resource_type}"
            )));
        }
        let filter = self.filter(source, rest, depth + 1)?;
        Ok(Filter::Has(Has {
            source_type: source.to_owned(),
            reference_param: def.index_code.clone(),
            filter: Box::new(filter),
        }))
    }
}
