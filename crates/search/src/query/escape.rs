//! FHIR search value escaping: `\,` `\|` `\$` and `\\` stand for the literal characters.

/// Splits on every `sep` not preceded by a backslash, leaving escapes in place.
pub(crate) fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(s.get(start..i).unwrap_or(""));
            start = i + c.len_utf8();
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}

/// Replaces `\,` `\|` `\$` `\\` by the character; any other backslash stays as written.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if matches!(next, ',' | '|' | '$' | '\\') {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unescapes() {
        assert_eq!(split_unescaped(r"a,b\,c,d", ','), ["a", r"b\,c", "d"]);
        assert_eq!(split_unescaped(r"a\\,b", ','), [r"a\\", "b"]);
        assert_eq!(split_unescaped("", ','), [""]);
        assert_eq!(split_unescaped(r"s\|x|c", '|'), [r"s\|x", "c"]);
        assert_eq!(unescape(r"b\,c\|d\$e\\f\g"), r"b,c|d$e\f\g");
    }
}
