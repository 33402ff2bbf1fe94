//! `custodian-bench`: see docs/benchmarks.md.

use std::process::ExitCode;

fn main() -> ExitCode {
    match custodian_bench::run::main_entry() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custodian-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
