//! Hostile input never panics: random FHIRPath text, random query names and values, random
//! date and number text. Deterministic (a fixed-seed generator), so failures reproduce.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodian_search::query::{parse_query, Handling};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }

    fn text(&mut self, alphabet: &[&str], max: usize) -> String {
        let n = (self.next() as usize) % (max + 1);
        (0..n).map(|_| self.pick(alphabet)).collect()
    }
}

const PIECES: &[&str] = &[
    "Patient",
    "name",
    ".",
    "(",
    ")",
    "'",
    "`",
    "|",
    "=",
    "!=",
    "where",
    "resolve()",
    " is ",
    " as ",
    "[",
    "]",
    "0",
    "1.5",
    ",",
    "$this",
    "%x",
    "exists()",
    "not()",
    "and",
    "or",
    " ",
    "\\",
    "ü",
    "Müller",
    "\u{0}",
    "<=",
    ">",
    "ofType(",
    "extension(",
    "'http://x'",
    "\u{1F600}",
];

#[test]
fn fhirpath_parser_never_panics() {
    let mut rng = Lcg(42);
    for _ in 0..20_000 {
        let src = rng.text(PIECES, 12);
        if let Ok(expr) = custodian_search::fhirpath::parse(&src) {
            let resource =
                serde_json::json!({"resourceType": "Patient", "name": [{"family": "x"}]});
            let _ = custodian_search::fhirpath::evaluate(&expr, &resource);
        }
    }
}

const NAMES: &[&str] = &[
    "family",
    "birthdate",
    "gender",
    "subject",
    "_has",
    ":",
    ".",
    "Patient",
    "Condition",
    "code",
    ":exact",
    ":missing",
    ":not",
    ":text",
    ":Patient",
    "_include",
    "_sort",
    "_count",
    "organization",
    "name",
    "identifier",
    "-",
    "*",
    "'",
    "%",
    "_",
    ";DROP TABLE x;--",
    "\\",
    "ü",
    "_id",
    "_lastUpdated",
    ":iterate",
    "general-practitioner",
];
const VALUES: &[&str] = &[
    "ge",
    "1980",
    "-",
    "01",
    "T10:00",
    "Z",
    "+02:00",
    "|",
    ",",
    "\\",
    "$",
    "http://x",
    "/",
    "Patient",
    "123",
    "e5",
    ".",
    "5",
    "' OR 1=1 --",
    "%",
    "_",
    "ü",
    "",
    "true",
    "sa",
    "ap",
    "*",
    ":",
];

#[test]
fn query_parser_never_panics() {
    let mut rng = Lcg(7);
    for _ in 0..20_000 {
        let pairs: Vec<(String, String)> = (0..3)
            .map(|_| (rng.text(NAMES, 6), rng.text(VALUES, 6)))
            .collect();
        let t = rng.pick(&["Patient", "Encounter", "Condition", "Observation", "Nope"]);
        for handling in [Handling::Strict, Handling::Lenient] {
            if let Ok(q) = parse_query(
                t,
                pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())),
                handling,
            ) {
                let _ = q.to_query_string();
            }
        }
    }
}

#[test]
fn date_and_decimal_parsers_never_panic() {
    let mut rng = Lcg(99);
    let alphabet = &[
        "1", "9", "0", "-", "T", ":", ".", "Z", "+", "e", "E", "2", "5", "x", "ü",
    ];
    for _ in 0..50_000 {
        let s = rng.text(alphabet, 30);
        let _ = custodian_search::datetime::parse_date_range(&s);
        let _ = custodian_search::decimal::parse_decimal(&s);
    }
    for s in [
        "0000",
        "9999-12-31T23:59:59.999999+14:00",
        "0001-01-01T00:00:00-14:00",
        "1e-400",
        "1e400",
        "1.5e-2147483648",
        "1.5e2147483647",
    ] {
        let _ = custodian_search::datetime::parse_date_range(s);
        let _ = custodian_search::decimal::parse_decimal(s);
    }
}
