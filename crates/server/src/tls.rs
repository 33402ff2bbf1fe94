//! rustls 0.23 with the ring provider, HTTP/2 and HTTP/1.1 offered by ALPN.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    let certs = rustls_pemfile::certs(&mut BufReader::new(
        File::open(cert).map_err(|e| format!("cannot open {}: {e}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| format!("cannot read certificates from {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", cert.display()));
    }
    let key = rustls_pemfile::private_key(&mut BufReader::new(
        File::open(key).map_err(|e| format!("cannot open {}: {e}", key.display()))?,
    ))
    .map_err(|e| format!("cannot read the key from {}: {e}", key.display()))?
    .ok_or_else(|| format!("no private key in {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not fit: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
