//! The typed search query. Every leaf is a [`Condition`]: one parameter (code and type), an
//! optional modifier and OR'ed typed values, which the store compiles against the index table
//! of that type (see `crate::index`) with bound parameters. [`Filter`]s in
//! [`SearchQuery::filters`] are AND'ed; chains and `_has` nest filters on other types.

use crate::datetime::DatePrecision;
use crate::registry::SearchParamType;

use super::error::QueryError;

/// What to do with unknown or malformed parameters (`Prefer: handling=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handling {
    /// An unknown or malformed parameter is an error naming it (the default).
    #[default]
    Strict,
    /// Such parameters are ignored and listed in [`SearchQuery::ignored`].
    Lenient,
}

impl Handling {
    /// Reads `handling=strict|lenient` from a `Prefer` header value (preferences are comma- or
    /// semicolon-separated); anything else means the default, strict.
    pub fn from_prefer(header: &str) -> Handling {
        let lenient = header.split([',', ';']).any(|pref| {
            let (key, value) = pref.split_once('=').unwrap_or((pref, ""));
            key.trim().eq_ignore_ascii_case("handling")
                && value
                    .trim()
                    .trim_matches('"')
                    .eq_ignore_ascii_case("lenient")
        });
        if lenient {
            Handling::Lenient
        } else {
            Handling::Strict
        }
    }
}

/// The page size used when `_count` is absent.
pub const DEFAULT_COUNT: usize = 20;
/// The largest page size; larger `_count` values are lowered to it.
pub const MAX_COUNT: usize = 1000;
/// The most reference hops a chain (or nested `_has`) may take.
pub const MAX_CHAIN_DEPTH: usize = 4;

/// A parsed search on one resource type, or on several (a system search).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The type searched; for a system search the first of [`SearchQuery::system_types`].
    pub resource_type: String,
    /// A system search (`GET [base]?_type=A,B`): every type searched, `resource_type` first.
    /// Empty for a search on one type.
    pub system_types: Vec<String>,
    /// AND'ed filters (one per applied parameter occurrence).
    pub filters: Vec<Filter>,
    pub includes: Vec<Include>,
    pub revincludes: Vec<Include>,
    /// Sort keys in order of precedence.
    pub sort: Vec<SortKey>,
    /// Page size, at most [`MAX_COUNT`]; `0` asks for no entries (a count only).
    pub count: usize,
    pub summary: Option<Summary>,
    /// `_elements`, as given.
    pub elements: Vec<String>,
    pub total: Option<Total>,
    pub contained: Option<Contained>,
    pub contained_type: Option<ContainedType>,
    /// Parameters ignored under [`Handling::Lenient`], with the reason.
    pub ignored: Vec<IgnoredParam>,
    /// The applied parameters as (name, value), for the `self` link.
    pub(crate) applied: Vec<(String, String)>,
}

/// A parameter that was not applied, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoredParam {
    pub name: String,
    pub value: String,
    pub reason: QueryError,
}

impl SearchQuery {
    /// The types this query searches: `system_types`, or `resource_type` alone.
    pub fn types(&self) -> Vec<&str> {
        if self.system_types.is_empty() {
            vec![self.resource_type.as_str()]
        } else {
            self.system_types.iter().map(String::as_str).collect()
        }
    }

    /// Whether this is a system search (several types, links on the base URL).
    pub fn is_system(&self) -> bool {
        !self.system_types.is_empty()
    }
}

/// One AND'ed part of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// A parameter of the type being searched.
    Condition(Condition),
    /// `code[:Type].rest`: resources whose reference parameter `code` points at a
    /// `target_type` resource matching `filter` (a filter on `target_type`).
    Chain(Chain),
    /// `_has:Type:param:rest`: resources referenced through `reference_param` by some
    /// `source_type` resource matching `filter` (a filter on `source_type`).
    Has(Has),
    /// A compartment search (`GET Patient/123/Encounter`): resources whose reference
    /// parameters `params` point at the compartment's resource (and that resource itself
    /// when the searched type is the compartment's type).
    Compartment(Compartment),
}

/// The compartment of one resource, as a filter (see [`Filter::Compartment`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Compartment {
    /// `Patient`.
    pub compartment_type: String,
    /// The compartment resource's id.
    pub id: String,
    /// The searched type's parameters that link it (`compartment_params`), never empty.
    pub params: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The parameter's code (the store keys index rows by type and code).
    pub code: String,
    /// Codes whose rows hold parts of its values (`name`: `family`, `given`;
    /// `SearchParamDef::parts`): matched as if they were `code`'s.
    pub part_codes: Vec<String>,
    /// Which index table holds it.
    pub param_type: SearchParamType,
    pub modifier: Option<Modifier>,
    /// OR'ed values (never empty). Their variant follows `param_type` and `modifier`:
    /// `:missing` gives [`SearchValue::Missing`], token `:text` gives [`SearchValue::Text`],
    /// reference `:identifier` gives [`SearchValue::Identifier`].
    pub values: Vec<SearchValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub code: String,
    pub target_type: String,
    pub filter: Box<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Has {
    pub source_type: String,
    pub reference_param: String,
    pub filter: Box<Filter>,
}

/// Search modifiers (search.html §2.1.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    Missing,
    /// string: exact, case- and accent-sensitive match of the whole value.
    Exact,
    /// string: the normalized value contains the search text anywhere.
    Contains,
    /// token: none of the values match (including resources without the element).
    Not,
    /// token: the normalized display/text starts with the search text.
    Text,
    /// reference: match `Reference.identifier`.
    Identifier,
    /// reference: the target must be of this type.
    Type(String),
    /// uri: the indexed uri is a prefix of the search value; token: the code or one that
    /// subsumes it (the server expands it by the code system's hierarchy).
    Above,
    /// uri: the search value is a prefix of the indexed uri; token: the code or one it
    /// subsumes (expanded by the server likewise).
    Below,
    /// token: the code is in the value set whose URL is the value ([`SearchValue::Uri`]).
    /// The server expands it into plain tokens before the store sees the query.
    In,
    /// token: the code is not in the value set (resources without one included).
    NotIn,
}

impl Modifier {
    pub fn as_str(&self) -> &str {
        match self {
            Modifier::Missing => "missing",
            Modifier::Exact => "exact",
            Modifier::Contains => "contains",
            Modifier::Not => "not",
            Modifier::Text => "text",
            Modifier::Identifier => "identifier",
            Modifier::Type(t) => t,
            Modifier::Above => "above",
            Modifier::Below => "below",
            Modifier::In => "in",
            Modifier::NotIn => "not-in",
        }
    }
}

/// Comparison prefixes for number, date and quantity values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefix {
    #[default]
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// Starts after: the indexed range begins after the search range ends.
    Sa,
    /// Ends before: the indexed range ends before the search range begins.
    Eb,
    /// Approximately: the store chooses the tolerance (search.html suggests 10%).
    Ap,
}

impl Prefix {
    pub const ALL: [(&'static str, Prefix); 9] = [
        ("eq", Prefix::Eq),
        ("ne", Prefix::Ne),
        ("gt", Prefix::Gt),
        ("lt", Prefix::Lt),
        ("ge", Prefix::Ge),
        ("le", Prefix::Le),
        ("sa", Prefix::Sa),
        ("eb", Prefix::Eb),
        ("ap", Prefix::Ap),
    ];
}

/// The system part of a token search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSystem {
    /// `code`: any system (or none).
    Any,
    /// `|code`: the indexed system must be absent.
    NoSystem,
    /// `system|code` or `system|`.
    Is(String),
}

/// One typed search value. Ranges are inclusive: dates in microseconds since the epoch,
/// numbers and quantities as implied by the written precision.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    /// string: `normalized` for the default starts-with and `:contains`, `value` for `:exact`.
    String {
        value: String,
        normalized: String,
    },
    /// token: `code` is `None` for `system|` (any code in the system).
    Token {
        system: TokenSystem,
        code: Option<String>,
    },
    /// token `:text`: starts-with on the normalized display/text.
    Text {
        value: String,
        normalized: String,
    },
    Date {
        prefix: Prefix,
        low: i64,
        high: i64,
        precision: DatePrecision,
    },
    Number {
        prefix: Prefix,
        value: f64,
        low: f64,
        high: f64,
    },
    /// quantity: `system`/`code` are `None` when not given (`5.4`, `5.4||mg`).
    Quantity {
        prefix: Prefix,
        value: f64,
        low: f64,
        high: f64,
        system: Option<String>,
        code: Option<String>,
    },
    /// reference: `Type/id`, a bare `id` (type from the `:Type` modifier or a single target),
    /// or an absolute URL (`url`, plus type and id when it ends in `Type/id`).
    Reference {
        target_type: Option<String>,
        id: Option<String>,
        version: Option<String>,
        url: Option<String>,
    },
    /// reference `:identifier`: `system|value`, `|value` (`system` empty) or `value`.
    Identifier {
        system: TokenSystem,
        value: Option<String>,
    },
    Uri(String),
    /// `:missing=true|false`.
    Missing(bool),
}

/// `_include` / `_revinclude`: `source_type:param[:target_type]`, or `*` (`param` `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub source_type: String,
    pub param: Option<String>,
    pub target_type: Option<String>,
    pub iterate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub code: String,
    /// As `Condition::part_codes`.
    pub part_codes: Vec<String>,
    pub param_type: SearchParamType,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    True,
    Text,
    Data,
    Count,
    False,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    None,
    Estimate,
    Accurate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contained {
    True,
    False,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainedType {
    Container,
    Contained,
}
