//! FHIR primitive types: which rules each one's JSON text must keep, and the value types that
//! keep the text exactly as written (decimals and dates carry their precision).

mod decimal;
mod kind;
mod temporal;
pub mod text;

pub use decimal::Decimal;
pub use kind::Kind;
pub use temporal::{Date, DateTime, Instant, InvalidTemporal, Precision, Time};
