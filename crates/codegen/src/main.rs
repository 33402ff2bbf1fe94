//! `cargo run -p custodian-codegen [-- SCHEMAS_DIR OUT_DIR]`: regenerates the model types.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let schemas = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(custodian_codegen::default_schemas_dir);
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(custodian_codegen::default_out_dir);
    match custodian_codegen::generate(&schemas, &out) {
        Ok(files) => {
            println!("wrote {} files to {}", files.len(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("custodian-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
