//! custodian-server
