//! Rust names for FHIR names.

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// `birthDate` -> `birth_date`; keywords become raw identifiers (`r#type`).
pub fn field_name(fhir: &str) -> String {
    let mut out = String::new();
    for (i, c) in fhir.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if KEYWORDS.contains(&out.as_str()) {
        format!("r#{out}")
    } else {
        out
    }
}

/// `contact` -> `Contact`, `dateTime` -> `DateTime`.
pub fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A Rust variant name for a code: `entered-in-error` -> `EnteredInError`, `4.0.1` ->
/// `V4_0_1`, `<=` (no letters) -> from its display (`LessOrEqualTo`).
pub fn variant_name(code: &str, display: Option<&str>) -> String {
    let source = if code.chars().any(|c| c.is_ascii_alphanumeric()) {
        code
    } else {
        display.unwrap_or(code)
    };
    let mut out = String::new();
    let mut upper = true;
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            if out.is_empty() && c.is_ascii_digit() {
                out.push('V');
            }
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            if c == '.' && out.ends_with(|d: char| d.is_ascii_digit()) {
                out.push('_');
            }
            upper = true;
        }
    }
    if out.is_empty() {
        out.push_str("Code");
    }
    out
}
