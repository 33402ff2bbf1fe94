//! `cargo run --release -p custodian-validation --example profile -- FILE [N]`: validates FILE
//! N times in a loop and prints the mean time (a profiling aid for `perf record`).

use custodian_validation::{ValidateOptions, Validator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: profile FILE [N]")?;
    let n: u32 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let validator = Validator::new()?;
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let opts = ValidateOptions::default();
    let start = std::time::Instant::now();
    let mut issues = 0;
    for _ in 0..n {
        issues += validator
            .validate(std::hint::black_box(&value), &opts)
            .issues
            .len();
    }
    let elapsed = start.elapsed();
    println!(
        "{path}: {:?} per validation ({issues} issues in total)",
        elapsed / n
    );
    Ok(())
}
