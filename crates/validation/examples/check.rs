//! `cargo run -p custodian-validation --example check -- FILE...`: prints the OperationOutcome
//! of each file (a development aid).

use custodian_validation::{ValidateOptions, Validator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let validator = Validator::new()?;
    for path in std::env::args().skip(1) {
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let report = validator.validate(&value, &ValidateOptions::default());
        println!("== {path}: {} issues", report.issues.len());
        for i in &report.issues {
            println!(
                "  {} {} @ {}: {}",
                i.severity.code(),
                i.code.code(),
                i.expression,
                i.diagnostics
            );
        }
    }
    Ok(())
}
