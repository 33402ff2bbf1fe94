//! custodian-codegen: reads the official FHIR R4 definitions in `fhir-schemas/` and writes the
//! Rust types of `custodian-model` (`crates/model/src/generated/`).
//!
//! The resource types to generate are the lines of `fhir-schemas/resources.txt`; every complex
//! datatype they reach (and every type `Extension.value[x]` allows) comes along. Codes of
//! required bindings that the package fully enumerates become Rust enums.

mod definitions;
mod emit;
mod model;
mod names;

use std::path::{Path, PathBuf};

/// What can stop generation.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("definition problem: {0}")]
    Definition(String),
    #[error("rustfmt failed: {0}")]
    Rustfmt(String),
}

/// The workspace's `fhir-schemas/` directory.
pub fn default_schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fhir-schemas")
}

/// The model crate's generated source directory.
pub fn default_out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/src/generated")
}

/// Generates every file into `out_dir` (which is emptied of `.rs` files first).
pub fn generate(schemas_dir: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let defs = definitions::Definitions::load(schemas_dir)?;
    let model = model::build(&defs)?;
    let files = emit::render(&model)?;
    std::fs::create_dir_all(out_dir).map_err(|source| CodegenError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    if let Ok(entries) = std::fs::read_dir(out_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                std::fs::remove_file(&path).map_err(|source| CodegenError::Write {
                    path: path.clone(),
                    source,
                })?;
            }
        }
    }
    let mut written = Vec::new();
    for (name, source) in files {
        let path = out_dir.join(name);
        let formatted = emit::rustfmt(&source)?;
        std::fs::write(&path, formatted).map_err(|source| CodegenError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
