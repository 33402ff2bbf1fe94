use super::error::FhirPathError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// `$this` and friends.
    Special(String),
    Str(String),
    Num(String),
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Pipe,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Special(s) | Tok::Num(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Dot => ".".into(),
            Tok::Comma => ",".into(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Pipe => "|".into(),
            Tok::Eq => "=".into(),
            Tok::Ne => "!=".into(),
            Tok::Lt => "<".into(),
            Tok::Gt => ">".into(),
            Tok::Le => "<=".into(),
            Tok::Ge => ">=".into(),
        }
    }
}

/// Splits an expression into tokens, each with its byte offset.
pub(crate) fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, FhirPathError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    while let Some(&(at, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|&(_, c)| c);
        let single = match c {
            '.' => Some(Tok::Dot),
            ',' => Some(Tok::Comma),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            '|' => Some(Tok::Pipe),
            '=' => Some(Tok::Eq),
            _ => None,
        };
        if let Some(tok) = single {
            out.push((tok, at));
            i += 1;
            continue;
        }
        match c {
            c if c.is_whitespace() => i += 1,
            '!' if next == Some('=') => {
                out.push((Tok::Ne, at));
                i += 2;
            }
            '<' | '>' => {
                let eq = next == Some('=');
                let tok = match (c, eq) {
                    ('<', true) => Tok::Le,
                    ('<', false) => Tok::Lt,
                    (_, true) => Tok::Ge,
                    _ => Tok::Gt,
                };
                out.push((tok, at));
                i += if eq { 2 } else { 1 };
            }
            '\'' | '`' => {
                let (text, end) = quoted(&chars, i, c)?;
                out.push((
                    if c == '\'' {
                        Tok::Str(text)
                    } else {
                        Tok::Ident(text)
                    },
                    at,
                ));
                i = end;
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|&(_, c)| c.is_ascii_digit() || c == '.')
                {
                    i += 1;
                }
                out.push((
                    Tok::Num(chars[start..i].iter().map(|&(_, c)| c).collect()),
                    at,
                ));
            }
            c if c.is_alphabetic() || c == '_' || c == '$' || c == '%' => {
                let start = i;
                i += 1;
                while chars
                    .get(i)
                    .is_some_and(|&(_, c)| c.is_alphanumeric() || c == '_')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().map(|&(_, c)| c).collect();
                out.push((
                    if c == '$' || c == '%' {
                        Tok::Special(text)
                    } else {
                        Tok::Ident(text)
                    },
                    at,
                ));
            }
            other => return Err(FhirPathError::UnexpectedChar { ch: other, at }),
        }
    }
    Ok(out)
}

/// Reads a `'...'` string or `` `...` `` identifier with backslash escapes; returns the text
/// and the index after the closing quote.
fn quoted(
    chars: &[(usize, char)],
    open: usize,
    quote: char,
) -> Result<(String, usize), FhirPathError> {
    let at = chars.get(open).map_or(0, |&(at, _)| at);
    let mut text = String::new();
    let mut i = open + 1;
    loop {
        let Some(&(_, c)) = chars.get(i) else {
            return Err(FhirPathError::Unterminated { at });
        };
        if c == quote {
            return Ok((text, i + 1));
        }
        if c == '\\' {
            let Some(&(_, e)) = chars.get(i + 1) else {
                return Err(FhirPathError::Unterminated { at });
            };
            text.push(match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            i += 2;
        } else {
            text.push(c);
            i += 1;
        }
    }
}
