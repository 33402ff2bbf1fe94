use super::ast::{BinOp, Expr, Literal, TypeOp};
use super::error::FhirPathError;
use super::lexer::{tokenize, Tok};

/// Functions this subset evaluates, with their allowed argument counts.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("where", 1, 1),
    ("exists", 0, 1),
    ("empty", 0, 0),
    ("not", 0, 0),
    ("first", 0, 0),
    ("last", 0, 0),
    ("as", 1, 1),
    ("ofType", 1, 1),
    ("is", 1, 1),
    ("resolve", 0, 0),
    ("extension", 1, 1),
    ("hasValue", 0, 0),
    ("count", 0, 0),
];

/// Parses a FHIRPath expression of the supported subset.
pub fn parse(src: &str) -> Result<Expr, FhirPathError> {
    let tokens = tokenize(src)?;
    // Every node of the tree takes at least one token, so this also bounds how deep chains
    // such as `a.b.c...` or `a | b | ...` nest, which evaluation, cloning and dropping follow
    // by recursion. Paths come from clients too (FHIRPath Patch).
    if tokens.len() > MAX_TOKENS {
        return Err(FhirPathError::TooLong { limit: MAX_TOKENS });
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = p.implies()?;
    // Chains (`a.b.c`, `a | b | c`) nest one level per step without parentheses: bound the
    // tree's depth, since evaluation recurses along it.
    if tree_depth(&expr) > MAX_TREE_DEPTH {
        return Err(FhirPathError::TooDeep {
            limit: MAX_TREE_DEPTH,
        });
    }
    match p.tokens.get(p.pos) {
        None => Ok(expr),
        Some((tok, at)) => Err(FhirPathError::UnexpectedToken {
            found: tok.describe(),
            at: *at,
            expected: "end of expression",
        }),
    }
}

/// Nesting deeper than this (parentheses, arguments) is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Expressions of more tokens than this are refused (the longest official SearchParameter
/// expression has 325).
pub const MAX_TOKENS: usize = 1024;

/// The deepest expression tree accepted (the official expressions need about 40: a union of
/// some 30 paths of a few steps each).
pub const MAX_TREE_DEPTH: usize = 128;

/// The depth of `expr`'s tree, found without recursion (the tree may be deep: that is what
/// is being checked).
fn tree_depth(expr: &Expr) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(expr, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        let next = depth + 1;
        match e {
            Expr::This | Expr::Literal(_) => {}
            Expr::Member { base, .. } => stack.extend(base.as_deref().map(|b| (b, next))),
            Expr::Call { base, args, .. } => {
                stack.extend(base.as_deref().map(|b| (b, next)));
                stack.extend(args.iter().map(|a| (a, next)));
            }
            Expr::Index { base, .. } => stack.push((base, next)),
            Expr::Binary { left, right, .. } => {
                stack.push((left, next));
                stack.push((right, next));
            }
            Expr::Type { expr, .. } => stack.push((expr, next)),
        }
    }
    deepest
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn peek_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn next(&mut self, expected: &'static str) -> Result<(Tok, usize), FhirPathError> {
        let tok = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or(FhirPathError::UnexpectedEnd { expected })?;
        self.pos += 1;
        Ok(tok)
    }

    fn expect(&mut self, want: &Tok, expected: &'static str) -> Result<(), FhirPathError> {
        let (tok, at) = self.next(expected)?;
        if &tok == want {
            Ok(())
        } else {
            Err(FhirPathError::UnexpectedToken {
                found: tok.describe(),
                at,
                expected,
            })
        }
    }

    fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        }
    }

    fn implies(&mut self) -> Result<Expr, FhirPathError> {
        if self.depth >= MAX_DEPTH {
            return Err(FhirPathError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        let result = self.implies_inner();
        self.depth -= 1;
        result
    }

    fn implies_inner(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.or()?;
        while self.peek_keyword("implies") {
            self.pos += 1;
            let right = self.or()?;
            left = Self::binary(BinOp::Implies, left, right);
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.and()?;
        loop {
            let op = if self.peek_keyword("or") {
                BinOp::Or
            } else if self.peek_keyword("xor") {
                BinOp::Xor
            } else {
                return Ok(left);
            };
            self.pos += 1;
            let right = self.and()?;
            left = Self::binary(op, left, right);
        }
    }

    fn and(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.equality()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.equality()?;
            left = Self::binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.comparison()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Eq) => BinOp::Eq,
                Some(Tok::Ne) => BinOp::Ne,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.comparison()?;
            left = Self::binary(op, left, right);
        }
    }

    fn comparison(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.union()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Lt) => BinOp::Lt,
                Some(Tok::Gt) => BinOp::Gt,
                Some(Tok::Le) => BinOp::Le,
                Some(Tok::Ge) => BinOp::Ge,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.union()?;
            left = Self::binary(op, left, right);
        }
    }

    fn union(&mut self) -> Result<Expr, FhirPathError> {
        let mut left = self.type_expr()?;
        while self.peek() == Some(&Tok::Pipe) {
            self.pos += 1;
            let right = self.type_expr()?;
            left = Self::binary(BinOp::Union, left, right);
        }
        Ok(left)
    }

    fn type_expr(&mut self) -> Result<Expr, FhirPathError> {
        let mut expr = self.postfix()?;
        loop {
            let op = if self.peek_keyword("is") {
                TypeOp::Is
            } else if self.peek_keyword("as") {
                TypeOp::As
            } else {
                return Ok(expr);
            };
            self.pos += 1;
            let type_name = self.type_specifier()?;
            expr = Expr::Type {
                op,
                expr: Box::new(expr),
                type_name,
            };
        }
    }

    /// `Type` or `FHIR.Type` / `System.String`: the last identifier names the type.
    fn type_specifier(&mut self) -> Result<String, FhirPathError> {
        let mut name = self.identifier("a type name")?;
        while self.peek() == Some(&Tok::Dot) {
            self.pos += 1;
            name = self.identifier("a type name")?;
        }
        Ok(name)
    }

    fn identifier(&mut self, expected: &'static str) -> Result<String, FhirPathError> {
        match self.next(expected)? {
            (Tok::Ident(name), _) => Ok(name),
            (tok, at) => Err(FhirPathError::UnexpectedToken {
                found: tok.describe(),
                at,
                expected,
            }),
        }
    }

    fn postfix(&mut self) -> Result<Expr, FhirPathError> {
        let mut expr = self.term()?;
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    let name = self.identifier("a member or function name")?;
                    expr = self.invocation(Some(Box::new(expr)), name)?;
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let index = match self.next("an index")? {
                        (Tok::Num(n), at) => {
                            n.parse().map_err(|_| FhirPathError::UnexpectedToken {
                                found: n.clone(),
                                at,
                                expected: "an integer index",
                            })?
                        }
                        (tok, at) => {
                            return Err(FhirPathError::UnexpectedToken {
                                found: tok.describe(),
                                at,
                                expected: "an index",
                            })
                        }
                    };
                    self.expect(&Tok::RBracket, "`]`")?;
                    expr = Expr::Index {
                        base: Box::new(expr),
                        index,
                    };
                }
                _ => return Ok(expr),
            }
        }
    }

    fn term(&mut self) -> Result<Expr, FhirPathError> {
        let (tok, at) = self.next("a term")?;
        match tok {
            Tok::LParen => {
                let inner = self.implies()?;
                self.expect(&Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::Str(s) => Ok(Expr::Literal(Literal::String(s))),
            Tok::Num(n) => Ok(Expr::Literal(Literal::Number(n))),
            Tok::Ident(w) if w == "true" || w == "false" => {
                Ok(Expr::Literal(Literal::Bool(w == "true")))
            }
            Tok::Ident(name) => self.invocation(None, name),
            Tok::Special(s) if s == "$this" => Ok(Expr::This),
            other => Err(FhirPathError::UnexpectedToken {
                found: other.describe(),
                at,
                expected: "a term",
            }),
        }
    }

    /// A member access, or a function call when a `(` follows the name.
    fn invocation(&mut self, base: Option<Box<Expr>>, name: String) -> Result<Expr, FhirPathError> {
        if self.peek() != Some(&Tok::LParen) {
            return Ok(Expr::Member { base, name });
        }
        self.pos += 1;
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
        } else {
            loop {
                args.push(self.implies()?);
                match self.next("`,` or `)`")? {
                    (Tok::Comma, _) => continue,
                    (Tok::RParen, _) => break,
                    (tok, at) => {
                        return Err(FhirPathError::UnexpectedToken {
                            found: tok.describe(),
                            at,
                            expected: "`,` or `)`",
                        })
                    }
                }
            }
        }
        let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) else {
            return Err(FhirPathError::UnknownFunction { name });
        };
        if args.len() < min || args.len() > max {
            let expected = if min == max && min == 0 {
                "0"
            } else if min == max {
                "1"
            } else {
                "0 or 1"
            };
            return Err(FhirPathError::Arity {
                name,
                expected,
                got: args.len(),
            });
        }
        // `as(Type)`, `ofType(Type)` and `is(Type)` take a type name, not an expression.
        if matches!(name.as_str(), "as" | "ofType" | "is") {
            if let Some(Expr::Member {
                base: None,
                name: type_name,
            }) = args.first()
            {
                let op = if name == "is" { TypeOp::Is } else { TypeOp::As };
                let expr = match base {
                    Some(b) => *b,
                    None => Expr::This,
                };
                return Ok(Expr::Type {
                    op,
                    expr: Box::new(expr),
                    type_name: type_name.clone(),
                });
            }
            return Err(FhirPathError::UnexpectedEnd {
                expected: "a type name argument",
            });
        }
        Ok(Expr::Call { base, name, args })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let e = parse("Patient.deceased.exists() and Patient.deceased != false").unwrap();
        assert!(matches!(e, Expr::Binary { op: BinOp::And, .. }));
        let e =
            parse("(Observation.value as Quantity) | (Observation.value as SampledData)").unwrap();
        assert!(matches!(
            e,
            Expr::Binary {
                op: BinOp::Union,
                ..
            }
        ));
        let e = parse("Condition.onset.as(dateTime)").unwrap();
        assert!(matches!(e, Expr::Type { op: TypeOp::As, .. }));
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            parse("Patient.name.foo()"),
            Err(FhirPathError::UnknownFunction { .. })
        ));
        assert!(matches!(
            parse("Patient.("),
            Err(FhirPathError::UnexpectedToken { .. })
        ));
        assert!(matches!(
            parse("Patient.name.where("),
            Err(FhirPathError::UnexpectedEnd { .. })
        ));
        assert!(matches!(
            parse("a = 'x"),
            Err(FhirPathError::Unterminated { .. })
        ));
        assert!(matches!(
            parse("a # b"),
            Err(FhirPathError::UnexpectedChar { .. })
        ));
        assert!(matches!(
            parse("a.where()"),
            Err(FhirPathError::Arity { .. })
        ));
        assert!(matches!(
            parse("a b"),
            Err(FhirPathError::UnexpectedToken { .. })
        ));
        assert!(parse("").is_err());
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(parse(&deep), Err(FhirPathError::TooDeep { .. })));
        let long = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(parse(&long), Err(FhirPathError::TooLong { .. })));
    }
}
