fn main() {
    for arg in std::env::args().skip(1) {
        let bytes = std::fs::read(&arg).unwrap_or_else(|_| arg.clone().into_bytes());
        match custodian_model::json::from_slice::<custodian_model::Resource>(&bytes) {
            Ok(r) => println!(
                "OK {}",
                String::from_utf8_lossy(&custodian_model::json::to_vec(&r).unwrap_or_default())
            ),
            Err(e) => println!("ERR {:?} expr={} msg={}", e.kind, e.expression, e.message),
        }
    }
}
