//! The forms a `Reference.reference` may take, parsed without allocation.

/// A parsed reference string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefForm<'a> {
    /// `#id` (or `#`, the containing resource).
    Contained(&'a str),
    /// `Type/id` or `Type/id/_history/vid`.
    Relative { ty: &'a str, id: &'a str },
    /// `Type?search` (a conditional reference, transaction bundles only).
    Conditional { ty: &'a str },
    /// `http(s)://...`; `ty`/`id` when the URL ends in a RESTful `Type/id`.
    Absolute {
        ty: Option<&'a str>,
        id: Option<&'a str>,
    },
    /// `urn:uuid:...` or `urn:oid:...`.
    Urn,
}

/// Is `id` a valid FHIR id (`[A-Za-z0-9\-\.]{1,64}`)?
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn valid_type_name(ty: &str) -> bool {
    ty.starts_with(|c: char| c.is_ascii_uppercase())
        && ty.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Parses a reference; `Err` explains what is wrong with its form.
pub(crate) fn parse(reference: &str) -> Result<RefForm<'_>, String> {
    if reference.trim() != reference || reference.is_empty() {
        return Err("a reference must not be empty or have leading or trailing whitespace".into());
    }
    if let Some(id) = reference.strip_prefix('#') {
        return if id.is_empty() || valid_id(id) {
            Ok(RefForm::Contained(id))
        } else {
            Err(format!("'{id}' is not a valid id of a contained resource"))
        };
    }
    if let Some(uuid) = reference.strip_prefix("urn:uuid:") {
        let ok = uuid.len() == 36
            && uuid.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        return if ok {
            Ok(RefForm::Urn)
        } else {
            Err(format!("'{uuid}' is not a UUID"))
        };
    }
    if let Some(oid) = reference.strip_prefix("urn:oid:") {
        let ok = !oid.is_empty() && oid.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        return if ok {
            Ok(RefForm::Urn)
        } else {
            Err(format!("'{oid}' is not an OID"))
        };
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        let without_query = reference.split(['?', '#']).next().unwrap_or(reference);
        // The last four path segments: `Type/id` or `Type/id/_history/vid` at the end.
        let mut last = without_query.rsplit('/');
        let (d, c, b, a) = (last.next(), last.next(), last.next(), last.next());
        let (ty, id) = if c == Some("_history") {
            (a, b)
        } else {
            (c, d)
        };
        let tail = match (ty, id) {
            (Some(ty), Some(id)) if valid_type_name(ty) && valid_id(id) => Some((ty, id)),
            _ => None,
        };
        return Ok(RefForm::Absolute {
            ty: tail.map(|(t, _)| t),
            id: tail.map(|(_, i)| i),
        });
    }
    if let Some((ty, _query)) = reference.split_once('?') {
        return if valid_type_name(ty) {
            Ok(RefForm::Conditional { ty })
        } else {
            Err(format!("'{ty}' is not a resource type"))
        };
    }
    let mut segments = reference.split('/');
    let (ty, id, history, version, more) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    );
    let shape_ok = more.is_none()
        && matches!(
            (history, version),
            (None, None) | (Some("_history"), Some(_))
        );
    match (shape_ok, ty, id) {
        (true, Some(ty), Some(id)) if valid_type_name(ty) => {
            if !valid_id(id) {
                return Err(format!("'{id}' is not a valid id"));
            }
            if version.is_some_and(|v| !valid_id(v)) {
                return Err("the version id is not valid".into());
            }
            Ok(RefForm::Relative { ty, id })
        }
        _ => Err("expected Type/id, an absolute URL, #id or urn:uuid:".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse("Patient/123"),
            Ok(RefForm::Relative {
                ty: "Patient",
                id: "123"
            })
        );
        assert_eq!(
            parse("Patient/1/_history/2"),
            Ok(RefForm::Relative {
                ty: "Patient",
                id: "1"
            })
        );
        assert_eq!(parse("#p1"), Ok(RefForm::Contained("p1")));
        assert_eq!(parse("#"), Ok(RefForm::Contained("")));
        assert_eq!(
            parse("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"),
            Ok(RefForm::Urn)
        );
        assert_eq!(
            parse("http://example.org/fhir/Patient/1/_history/3"),
            Ok(RefForm::Absolute {
                ty: Some("Patient"),
                id: Some("1")
            })
        );
        assert_eq!(
            parse("http://example.org/fhir"),
            Ok(RefForm::Absolute { ty: None, id: None })
        );
        assert_eq!(
            parse("http://example.org/fhir/Patient/1"),
            Ok(RefForm::Absolute {
                ty: Some("Patient"),
                id: Some("1")
            })
        );
        assert_eq!(
            parse("Patient?identifier=x|1"),
            Ok(RefForm::Conditional { ty: "Patient" })
        );
    }

    #[test]
    fn rejects_malformed_references() {
        assert!(parse("Patient").is_err());
        assert!(parse("Patient/").is_err());
        assert!(parse("Patient/a b").is_err());
        assert!(parse("patient/1").is_err());
        assert!(parse("urn:uuid:xyz").is_err());
        assert!(parse(" Patient/1").is_err());
        assert!(parse("Patient/1/2").is_err());
    }
}
