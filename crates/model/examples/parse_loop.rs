//! Parses the bench fixtures in a loop, for profilers: `cargo run --release -p custodian-model
//! --example parse_loop -- 2000`.

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let fixtures = [
        include_str!("../benches/fixtures/patient.json"),
        include_str!("../benches/fixtures/encounter.json"),
        include_str!("../benches/fixtures/condition.json"),
    ];
    let started = std::time::Instant::now();
    let mut bytes = 0usize;
    let mut ok = 0usize;
    for _ in 0..rounds {
        for f in fixtures {
            if custodian_model::json::from_str::<custodian_model::Resource>(f).is_ok() {
                ok += 1;
            }
            bytes += f.len();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{ok} resources, {:.1} MB/s, {:.0} resources/s",
        bytes as f64 / secs / 1e6,
        ok as f64 / secs
    );
}
