//! custodian-store
