//! custodian-model
