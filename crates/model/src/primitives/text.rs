//! The rules of the string-valued FHIR primitives (datatypes.html#primitive), checked by hand:
//! they are simple, and these run for every string in every resource.

use super::Kind;
use crate::error::ParseErrorKind;

/// A broken rule: what kind, and the message for a person.
pub type Broken = (ParseErrorKind, String);

/// Checks `text` against the rule of the string-valued primitive `kind`.
pub fn check(kind: Kind, text: &str) -> Result<(), Broken> {
    if text.is_empty() {
        return Err((
            ParseErrorKind::Empty,
            format!("empty string is not a valid {}", kind.fhir_name()),
        ));
    }
    let ok = match kind {
        Kind::String | Kind::Markdown | Kind::Xhtml => is_string(text),
        Kind::Code => is_code(text),
        Kind::Id => is_id(text),
        Kind::Uri | Kind::Url | Kind::Canonical => has_no_whitespace(text),
        Kind::Oid => is_oid(text),
        Kind::Uuid => is_uuid(text),
        Kind::Base64Binary => is_base64(text),
        Kind::Date => super::temporal::check_date(text),
        Kind::DateTime => super::temporal::check_date_time(text),
        Kind::Instant => super::temporal::check_instant(text),
        Kind::Time => super::temporal::check_time(text),
        Kind::Boolean | Kind::Integer | Kind::UnsignedInt | Kind::PositiveInt | Kind::Decimal => {
            false
        }
    };
    if ok {
        Ok(())
    } else {
        Err((
            ParseErrorKind::InvalidValue,
            format!(
                "{:?} is not a valid {}{}",
                shorten(text),
                kind.fhir_name(),
                hint(kind)
            ),
        ))
    }
}

fn hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Id => " (1 to 64 of A-Z a-z 0-9 - .)",
        Kind::Code => " (no leading, trailing or repeated white space)",
        Kind::Date => " (YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date)",
        Kind::DateTime => {
            " (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time zone)"
        }
        Kind::Instant => " (YYYY-MM-DDThh:mm:ss[.fff] with a time zone)",
        Kind::Time => " (hh:mm:ss[.fff])",
        Kind::Oid => " (urn:oid:...)",
        Kind::Uuid => " (urn:uuid: and a lower-case UUID)",
        Kind::String | Kind::Markdown | Kind::Xhtml => " (control characters are not allowed)",
        _ => "",
    }
}

/// Long values are cut in messages: they may be large and the message only has to point.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

/// No control characters but tab, CR and LF. Works on bytes: the C0 controls and DEL are
/// single bytes, and the C1 controls (U+0080..U+009F) are 0xC2 followed by 0x80..0x9F.
fn is_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The common case, printable ASCII, in a loop the compiler vectorizes.
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    !bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x9f)),
        _ => false,
    })
}

/// No white space anywhere (uri, url, canonical): ASCII text is checked by bytes.
fn has_no_whitespace(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().all(|b| b > b' ' && b != 0x7f)
            || !text.bytes().any(|b| b.is_ascii_whitespace() || b == 0x0b)
    } else {
        !text.chars().any(char::is_whitespace)
    }
}

fn is_code(text: &str) -> bool {
    // [^\s]+(\s[^\s]+)*
    if text.is_ascii() {
        let b = text.as_bytes();
        let space = |c: &u8| c.is_ascii_whitespace() || *c == 0x0b;
        return !b.first().is_some_and(space)
            && !b.last().is_some_and(space)
            && !b.windows(2).any(|w| space(&w[0]) && space(&w[1]));
    }
    let mut previous_space = true;
    for c in text.chars() {
        let space = c.is_whitespace();
        if space && previous_space {
            return false;
        }
        previous_space = space;
    }
    !previous_space
}

pub(crate) fn is_id(text: &str) -> bool {
    text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn is_oid(text: &str) -> bool {
    // urn:oid:[0-2](\.(0|[1-9][0-9]*))+
    let Some(rest) = text.strip_prefix("urn:oid:") else {
        return false;
    };
    let mut parts = rest.split('.');
    let first_ok = matches!(parts.next(), Some("0" | "1" | "2"));
    let mut count = 0;
    for part in parts {
        count += 1;
        let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits || (part.len() > 1 && part.starts_with('0')) {
            return false;
        }
    }
    first_ok && count > 0
}

fn is_uuid(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("urn:uuid:") else {
        return false;
    };
    let bytes = rest.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn is_base64(text: &str) -> bool {
    let mut count = 0usize;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=' {
            count += 1;
        } else if !b.is_ascii_whitespace() {
            return false;
        }
    }
    count > 0 && count % 4 == 0
}

/// Whether `text` is a valid FHIR `id`.
pub fn is_id_text(text: &str) -> bool {
    !text.is_empty() && is_id(text)
}
