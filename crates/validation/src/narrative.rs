//! `Narrative.div`: well-formed XHTML of the subset FHIR allows (txt-1), with some text
//! (txt-2). Parsed with quick-xml; the rules follow the R4 narrative page: root `div` in the
//! XHTML namespace; no `head`/`body`, scripts, forms, frames, objects, `base`/`link`/`style`
//! elements; no event (`on*`) attributes; no `javascript:` URLs; only XML's own entities.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

const XHTML_NS: &[u8] = b"http://www.w3.org/1999/xhtml";

/// Elements narrative may use (the basic HTML formatting subset).
/// (Sorted: looked up by binary search.)
const ALLOWED: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "b",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "map",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];

/// A broken narrative rule: `txt-1` (markup) or `txt-2` (no text), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NarrativeProblem {
    pub key: &'static str,
    pub reason: String,
}

fn problem(key: &'static str, reason: impl Into<String>) -> NarrativeProblem {
    NarrativeProblem {
        key,
        reason: reason.into(),
    }
}

/// Checks one `div` value; returns every problem found (parsing stops at the first XML error).
pub(crate) fn check(div: &str) -> Vec<NarrativeProblem> {
    let mut problems = Vec::new();
    let mut reader = Reader::from_str(div);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut has_text = false;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                problems.push(problem(
                    "txt-1",
                    format!(
                        "not well-formed XHTML at byte {}: {e}",
                        reader.error_position()
                    ),
                ));
                return problems;
            }
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                if depth == 0 {
                    roots += 1;
                    check_root(start, &mut problems);
                }
                check_element(start, &mut problems);
                if matches!(start.local_name().as_ref(), b"img" | b"br" | b"hr") {
                    has_text = true;
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(text) => {
                if (!has_text || depth == 0) && text.iter().any(|b| !b.is_ascii_whitespace()) {
                    if depth == 0 {
                        problems.push(problem("txt-1", "text outside the root div"));
                    }
                    has_text = true;
                }
            }
            Event::CData(_) => has_text = true,
            Event::GeneralRef(r) => {
                let name = r.decode().map(|n| n.into_owned()).unwrap_or_default();
                if !name.starts_with('#')
                    && !matches!(name.as_str(), "lt" | "gt" | "amp" | "apos" | "quot")
                {
                    problems.push(problem(
                        "txt-1",
                        format!(
                            "entity &{name}; is not defined in XML (use a character reference)"
                        ),
                    ));
                }
                has_text = true;
            }
            Event::DocType(_) => problems.push(problem("txt-1", "a DOCTYPE is not allowed")),
            Event::PI(_) => {
                problems.push(problem("txt-1", "processing instructions are not allowed"))
            }
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        problems.push(problem("txt-1", "not well-formed XHTML: unclosed element"));
    }
    if roots != 1 {
        problems.push(problem(
            "txt-1",
            format!("the narrative must have exactly one root div element, found {roots}"),
        ));
    }
    if !has_text && problems.is_empty() {
        problems.push(problem(
            "txt-2",
            "the narrative has no non-whitespace content",
        ));
    }
    problems
}

fn check_root(start: &BytesStart<'_>, problems: &mut Vec<NarrativeProblem>) {
    if start.name().as_ref() != b"div" {
        problems.push(problem(
            "txt-1",
            format!(
                "the root element must be <div>, found <{}>",
                String::from_utf8_lossy(start.name().as_ref())
            ),
        ));
    }
    let ns_ok = start
        .attributes()
        .flatten()
        .any(|a| a.key.as_ref() == b"xmlns" && a.value.as_ref() == XHTML_NS);
    if !ns_ok {
        problems.push(problem(
            "txt-1",
            "the root div must declare xmlns=\"http://www.w3.org/1999/xhtml\"",
        ));
    }
}

fn check_element(start: &BytesStart<'_>, problems: &mut Vec<NarrativeProblem>) {
    let local = start.local_name();
    let name = local.as_ref();
    if !ALLOWED
        .iter()
        .any(|a| a.as_bytes().eq_ignore_ascii_case(name))
    {
        problems.push(problem(
            "txt-1",
            format!(
                "element <{}> is not allowed in narrative",
                String::from_utf8_lossy(name).to_ascii_lowercase()
            ),
        ));
    }
    for attr in start.attributes().with_checks(true) {
        let Ok(attr) = attr else {
            problems.push(problem(
                "txt-1",
                format!("malformed attribute in <{}>", String::from_utf8_lossy(name)),
            ));
            continue;
        };
        let key_name = attr.key.local_name();
        let key = key_name.as_ref();
        if key.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"on")) {
            problems.push(problem(
                "txt-1",
                format!(
                    "event attribute '{}' on <{}> is not allowed",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(name)
                ),
            ));
        }
        let url_attribute = [&b"href"[..], b"src", b"action", b"background"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key));
        if url_attribute {
            let value = attr.value.as_ref();
            let start_at = value
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(value.len());
            let javascript = value
                .get(start_at..start_at + 11)
                .is_some_and(|v| v.eq_ignore_ascii_case(b"javascript:"));
            if javascript {
                problems.push(problem(
                    "txt-1",
                    format!(
                        "'{}' on <{}> must not use a javascript: URL",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(div: &str) -> Vec<&'static str> {
        check(div).into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn the_allowed_list_is_sorted_for_binary_search() {
        assert!(ALLOWED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn accepts_the_allowed_subset() {
        let div = r##"<div xmlns="http://www.w3.org/1999/xhtml"><p>Peter <b>Chalmers</b> &amp; &#160;</p><table><tr><td>x</td></tr></table><img src="#a"/></div>"##;
        assert!(check(div).is_empty(), "{:?}", check(div));
    }

    #[test]
    fn rejects_scripts_events_forms_and_bad_roots() {
        let ns = r#"xmlns="http://www.w3.org/1999/xhtml""#;
        assert_eq!(
            keys(&format!("<div {ns}><script>x</script>t</div>")),
            vec!["txt-1"]
        );
        assert_eq!(
            keys(&format!("<div {ns}><p onclick=\"x()\">t</p></div>")),
            vec!["txt-1"]
        );
        assert_eq!(
            keys(&format!("<div {ns}><form>t</form></div>")),
            vec!["txt-1"]
        );
        assert_eq!(
            keys(&format!("<div {ns}><iframe>t</iframe></div>")),
            vec!["txt-1"]
        );
        assert_eq!(
            keys(&format!("<div {ns}><a href=\"javascript:x()\">t</a></div>")),
            vec!["txt-1"]
        );
        assert_eq!(keys(&format!("<p {ns}>t</p>")), vec!["txt-1"]);
        assert_eq!(keys("<div>t</div>"), vec!["txt-1"]);
        assert_eq!(keys(&format!("<div {ns}>t&nbsp;</div>")), vec!["txt-1"]);
    }

    #[test]
    fn rejects_malformed_xml_and_empty_narrative() {
        let ns = r#"xmlns="http://www.w3.org/1999/xhtml""#;
        assert_eq!(keys(&format!("<div {ns}><p>t</div>")), vec!["txt-1"]);
        assert_eq!(keys(&format!("<div {ns}><p>t</p>")), vec!["txt-1"]);
        assert_eq!(keys(&format!("<div {ns}>  </div>")), vec!["txt-2"]);
        assert_eq!(
            keys(&format!("<div {ns}>a</div><div {ns}>b</div>")),
            vec!["txt-1"]
        );
    }
}
