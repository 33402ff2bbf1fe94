//! custodian-validation
