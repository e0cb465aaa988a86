//! Per-request plumbing: a request id, a structured log line, and the security headers.

use super::RequestId;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use std::time::Instant;

struct Started(Instant);

pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request id and log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| RequestId(uuid::Uuid::new_v4().simple().to_string()[..16].to_string()));
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let id = super::request_id(req);
        let elapsed = req.local_cache(|| Started(Instant::now())).0.elapsed();
        let user = crate::auth::session::Viewer::cached(req)
            .user()
            .map(|u| u.user_id);
        // The path only: query strings can carry search terms typed by families.
        tracing::info!(
            target: "apdir::request",
            request_id = %id,
            method = %req.method(),
            path = %req.uri().path(),
            status = res.status().code,
            ms = elapsed.as_secs_f64() * 1000.0,
            user_id = user,
        );
        res.set_header(Header::new("X-Request-Id", id));
    }
}

pub struct SecurityHeaders;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
    object-src 'none'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("Content-Security-Policy", CSP));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        res.set_header(Header::new(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        // Pages can hold pupil data: never store them in shared or browser caches.
        let path = req.uri().path();
        if path.starts_with("/static/") {
            res.set_header(Header::new("Cache-Control", "public, max-age=3600"));
        } else if super::is_open_data(path.as_str()) {
            // Open data, for any site to read (the ORUK profile requires it); nothing private.
            res.set_header(Header::new("Access-Control-Allow-Origin", "*"));
            res.set_header(Header::new("Cache-Control", "public, max-age=300"));
        } else {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
