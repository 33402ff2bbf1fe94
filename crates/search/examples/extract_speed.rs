//! Rough timing of extraction and query parsing: `cargo run --release -p custodian-search --example extract_speed`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let patient: serde_json::Value = serde_json::from_str(
        r#"{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2024-03-01T10:00:00Z"},
        "identifier":[{"system":"http://example.org/mrn","value":"12345"}],"active":true,
        "name":[{"use":"official","family":"Müller","given":["Jürgen","Émile"]}],
        "telecom":[{"system":"phone","value":"+49 30 1234"},{"system":"email","value":"jm@example.org"}],
        "gender":"male","birthDate":"1980-04-02",
        "address":[{"line":["Hauptstraße 5"],"city":"Köln","postalCode":"50667","country":"DE"}],
        "managingOrganization":{"reference":"Organization/o1"}}"#,
    )?;
    custodian_search::extract::extract("Patient", &patient)?;
    let n = 100_000;
    let start = Instant::now();
    let mut entries = 0;
    for _ in 0..n {
        entries += custodian_search::extract::extract("Patient", &patient)?
            .entries
            .len();
    }
    let per = start.elapsed() / n;
    println!(
        "extract Patient: {per:?} per resource, {} entries each",
        entries / n as usize
    );
    let pairs = [
        ("birthdate", "ge1980"),
        ("gender", "female"),
        ("_count", "50"),
    ];
    let start = Instant::now();
    for _ in 0..n {
        custodian_search::query::parse_query(
            "Patient",
            pairs,
            custodian_search::query::Handling::Strict,
        )?;
    }
    println!(
        "parse Patient?birthdate=ge1980&gender=female&_count=50: {:?}",
        start.elapsed() / n
    );
    Ok(())
}
