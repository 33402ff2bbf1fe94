use thiserror::Error;

/// Why a search parameter could not be applied. Every variant but `UnknownResourceType`
/// names the parameter as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    #[error("unknown resource type `{resource_type}`")]
    UnknownResourceType { resource_type: String },
    #[error("unknown search parameter `{param}` for {resource_type}")]
    UnknownParameter {
        param: String,
        resource_type: String,
    },
    #[error("search parameter `{param}` is not supported: {reason}")]
    NotSupported { param: String, reason: String },
    #[error("unknown modifier `:{modifier}` on `{param}`")]
    UnknownModifier { param: String, modifier: String },
    #[error("modifier `:{modifier}` on `{param}` is not supported yet")]
    ModifierNotSupported { param: String, modifier: String },
    #[error("modifier `:{modifier}` is not allowed on the {param_type} parameter `{param}`")]
    ModifierNotAllowed {
        param: String,
        modifier: String,
        param_type: &'static str,
    },
    #[error("invalid value `{value}` for `{param}`: {reason}")]
    InvalidValue {
        param: String,
        value: String,
        reason: String,
    },
    #[error("invalid chain `{param}`: {reason}")]
    InvalidChain { param: String, reason: String },
    #[error("`{param}` may appear only once")]
    Repeated { param: String },
}

impl QueryError {
    /// A modifier the server does not know, allow there or support: refused even under
    /// `handling=lenient`, which ignores unknown parameters only (search.html#modifiers: a
    /// server "SHALL reject any search request that contains a search parameter with an
    /// unsupported modifier"; ignoring it would widen the search, e.g. to every patient).
    pub fn is_modifier_error(&self) -> bool {
        matches!(
            self,
            QueryError::UnknownModifier { .. }
                | QueryError::ModifierNotAllowed { .. }
                | QueryError::ModifierNotSupported { .. }
        )
    }

    /// The parameter at fault, as written.
    pub fn param(&self) -> Option<&str> {
        match self {
            QueryError::UnknownResourceType { .. } => None,
            QueryError::UnknownParameter { param, .. }
            | QueryError::NotSupported { param, .. }
            | QueryError::UnknownModifier { param, .. }
            | QueryError::ModifierNotSupported { param, .. }
            | QueryError::ModifierNotAllowed { param, .. }
            | QueryError::InvalidValue { param, .. }
            | QueryError::InvalidChain { param, .. }
            | QueryError::Repeated { param } => Some(param),
        }
    }
}
