//! The canonical query string of the applied parameters, for `self` and paging links.

use super::ast::SearchQuery;

impl SearchQuery {
    /// `name=value&...` of the parameters that were applied, in the order given (`_count`
    /// normalized), percent-encoded. Ignored parameters are left out.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.applied {
            if !out.is_empty() {
                out.push('&');
            }
            encode(name, &mut out);
            out.push('=');
            if name == "_count" {
                out.push_str(&self.count.to_string());
            } else {
                encode(value, &mut out);
            }
        }
        out
    }

    /// The applied parameters as (name, value) pairs, decoded.
    pub fn applied(&self) -> &[(String, String)] {
        &self.applied
    }
}

fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/|,$@*!".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}
