//! The ceiling: a trivial actix-web endpoint (same framework as Custodian) answering every GET
//! with a fixed 200-byte body, so reads can be stated as a fraction of what this machine serves
//! at all with the same load tool.

use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::{web, App, HttpResponse, HttpServer};

use crate::error::BenchError;

/// The fixed body: 200 bytes of JSON.
pub fn body() -> String {
    let head = r#"{"resourceType":"Basic","id":"ceiling","text":""#;
    let tail = r#""}"#;
    let fill = 200 - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(fill))
}

pub struct Ceiling {
    pub url: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Ceiling {
    /// Serves on a free loopback port with `workers` worker threads (one per core, like
    /// `custodian serve`).
    pub fn start(workers: usize) -> Result<Ceiling, BenchError> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| BenchError::Setup(format!("ceiling bind: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| BenchError::Setup(format!("ceiling addr: {e}")))?
            .port();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let body = web::Bytes::from(body());
            let result = actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let body = body.clone();
                    App::new().default_service(web::to(move || {
                        let body = body.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/fhir+json")
                                .body(body)
                        }
                    }))
                })
                .workers(workers)
                .listen(listener)?
                .run();
                let _ = tx.send(server.handle());
                server.await
            });
            if let Err(e) = result {
                eprintln!("ceiling server: {e}");
            }
        });
        let handle = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .map_err(|_| BenchError::Setup("the ceiling server did not start".into()))?;
        Ok(Ceiling {
            url: format!("http://127.0.0.1:{port}/"),
            handle,
            thread: Some(thread),
        })
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn body_is_200_bytes() {
        assert_eq!(super::body().len(), 200);
    }
}
