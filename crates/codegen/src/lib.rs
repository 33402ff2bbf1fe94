//! custodian-codegen
