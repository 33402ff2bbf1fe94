//! custodian-bench: the reproducible benchmark harness of Custodian (see docs/benchmarks.md):
//! a deterministic data generator, HTTP workloads driven by wrk or a small built-in driver,
//! the ceiling of a trivial actix-web endpoint, and the JSON/markdown report.

pub mod ceiling;
pub mod error;
pub mod generate;
pub mod load;
pub mod procs;
pub mod report;
pub mod rng;
pub mod run;
pub mod sys;

pub use error::BenchError;
