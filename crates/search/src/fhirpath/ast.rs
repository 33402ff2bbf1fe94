/// A parsed FHIRPath expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `$this`: the current item.
    This,
    Literal(Literal),
    /// A member (or leading type name, which filters the input by `resourceType`) applied to
    /// `base`, or to the current input when `base` is `None`.
    Member {
        base: Option<Box<Expr>>,
        name: String,
    },
    /// A function call applied to `base`, or to the current input when `base` is `None`.
    Call {
        base: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    /// `base[index]`.
    Index {
        base: Box<Expr>,
        index: usize,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `expr is Type` / `expr as Type`.
    Type {
        op: TypeOp,
        expr: Box<Expr>,
        type_name: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    String(String),
    /// A number as written.
    Number(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Union,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    And,
    Or,
    Xor,
    Implies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeOp {
    Is,
    As,
}
