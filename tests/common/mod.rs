//! `TestApp`: the whole application in-process, on its own database (a temp SQLite file, or a
//! fresh PostgreSQL database in the `postgres` build) and its own data directory.
#![allow(dead_code)]

pub mod http;
pub mod smtp;

use apdir::config::Config;
use apdir::db::{self, Pool};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use std::net::SocketAddr;

pub const PASSWORD: &str = "demo-password-2026";

pub struct TestApp {
    pub client: Client,
    pub pool: Pool,
    pub config: Config,
    pub dir: tempfile::TempDir,
    pg_db: Option<String>,
}

/// Base URL of the PostgreSQL server for the `postgres` build.
pub fn pg_base() -> String {
    std::env::var("APDIR_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database URL of its own for one test.
#[cfg(feature = "postgres")]
pub async fn fresh_database_url(_dir: &std::path::Path) -> (String, Option<String>) {
    {
        use sqlx::Connection;
        let name = format!("apdir_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::postgres::PgConnection::connect(&format!("{}/postgres", pg_base()))
            .await
            .expect("PostgreSQL at APDIR_TEST_PG_URL (default 127.0.0.1:5432, user postgres)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        (format!("{}/{name}", pg_base()), Some(name))
    }
}

#[cfg(not(feature = "postgres"))]
pub async fn fresh_database_url(dir: &std::path::Path) -> (String, Option<String>) {
    (format!("sqlite://{}", dir.join("apdir.db").display()), None)
}

impl TestApp {
    /// The app with the Sheffield demo data loaded.
    pub async fn with_demo() -> TestApp {
        let app = TestApp::empty().await;
        apdir::demo::load(&app.pool).await.expect("demo loads");
        // The app started on an empty database: index the demo now, as `serve --demo` does.
        let search = app
            .client
            .rocket()
            .state::<apdir::directory::index::Search>()
            .expect("search");
        apdir::directory::index::rebuild(&app.pool, search)
            .await
            .expect("index");
        app
    }

    /// The app with an empty (migrated) database.
    pub async fn empty() -> TestApp {
        TestApp::build(|r| r).await
    }

    /// The app with the demo data and the configuration changed by `configure`.
    pub async fn with_demo_config(configure: impl FnOnce(&mut Config)) -> TestApp {
        let app = TestApp::build_with(configure, |r| r).await;
        apdir::demo::load(&app.pool).await.expect("demo loads");
        app
    }

    /// The app with extra routes or state mounted by a test.
    pub async fn build(
        extra: impl FnOnce(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>,
    ) -> TestApp {
        TestApp::build_with(|_| {}, extra).await
    }

    pub async fn build_with(
        configure: impl FnOnce(&mut Config),
        extra: impl FnOnce(rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg_db) = fresh_database_url(dir.path()).await;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: Some(url.clone()),
            // Tests drive the sender and the jobs step by step (the local client runs liftoff).
            background_jobs: false,
            ..Config::default()
        };
        configure(&mut config);
        let pool = db::connect(&url).await.expect("connect");
        db::migrate(&pool).await.expect("migrate");
        let figment = rocket::Config::figment()
            .merge(("secret_key", secret()))
            .merge(("log_level", "off"));
        let rocket =
            extra(apdir::assemble(config.clone(), pool.clone(), figment).expect("assemble"));
        let client = Client::tracked(rocket).await.expect("valid rocket");
        TestApp {
            client,
            pool,
            config,
            dir,
            pg_db,
        }
    }

    pub async fn get(&self, path: &str) -> (Status, String) {
        let r = self.client.get(path.to_string()).dispatch().await;
        let s = r.status();
        (s, r.into_string().await.unwrap_or_default())
    }

    pub async fn get_response(&self, path: &str) -> LocalResponse<'_> {
        self.client.get(path.to_string()).dispatch().await
    }

    /// A form post as a browser sends it. The caller supplies any `csrf_token`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> LocalResponse<'_> {
        self.client
            .post(path.to_string())
            .header(ContentType::Form)
            .body(encode(fields))
            .dispatch()
            .await
    }

    pub async fn post_from(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        remote: &str,
    ) -> LocalResponse<'_> {
        let addr: SocketAddr = remote.parse().expect("socket address");
        self.client
            .post(path.to_string())
            .header(ContentType::Form)
            .remote(addr)
            .body(encode(fields))
            .dispatch()
            .await
    }

    /// Posts with this page's CSRF token added.
    pub async fn post_csrf(&self, path: &str, fields: &[(&str, &str)]) -> LocalResponse<'_> {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let body = encode(&all);
        self.client
            .post(path.to_string())
            .header(ContentType::Form)
            .header(Header::new("Sec-Fetch-Site", "same-origin"))
            .body(body)
            .dispatch()
            .await
    }

    /// The CSRF token the current visitor's forms carry.
    /// Posts a multipart form (with the CSRF token added) and, optionally, one file as
    /// `(field, file name, bytes)`, as a browser on this site would.
    pub async fn post_upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> (Status, String) {
        const BOUNDARY: &str = "apdirTestBoundary7MA4YWxkTrZu0gW";
        let token = self.csrf().await;
        let mut body = Vec::new();
        for (k, v) in std::iter::once(("csrf_token", token.as_str())).chain(fields.iter().copied())
        {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let r = self
            .client
            .post(path.to_string())
            .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
            .header(Header::new("Sec-Fetch-Site", "same-origin"))
            .body(body)
            .dispatch()
            .await;
        let status = r.status();
        (status, r.into_string().await.unwrap_or_default())
    }

    pub async fn csrf(&self) -> String {
        let (_, html) = self.get("/login").await;
        if let Some(t) = extract_csrf(&html) {
            return t;
        }
        let (_, html) = self.get("/").await;
        extract_csrf(&html).expect("a page with a csrf_token")
    }

    /// Signs in; panics unless the service redirects (success).
    pub async fn login(&self, email: &str) {
        let status = self.try_login(email, PASSWORD).await;
        assert_eq!(
            status,
            Status::SeeOther,
            "sign-in as {email} should succeed"
        );
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Status {
        let token = self.csrf().await;
        self.post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
            ],
        )
        .await
        .status()
    }

    pub async fn logout(&self) {
        let r = self.post_csrf("/logout", &[]).await;
        assert_eq!(r.status(), Status::SeeOther);
    }

    /// Waits until every queued index change is searchable.
    pub fn flush_index(&self) {
        if let Some(search) = self
            .client
            .rocket()
            .state::<apdir::directory::index::Search>()
        {
            search.0.flush();
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect(sql)
    }

    /// Every mounted route as `METHOD /path`, for tests that must cover them all.
    pub fn mounted_routes(&self) -> std::collections::BTreeSet<String> {
        self.client
            .rocket()
            .routes()
            .map(|r| format!("{} {}", r.method, r.uri.path()))
            .collect()
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(&self.pool)
            .await
            .expect("audit count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        #[cfg(feature = "postgres")]
        if let Some(name) = self.pg_db.take() {
            // Drop the per-test database from a thread of its own: Drop cannot await.
            let base = pg_base();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) =
                        sqlx::postgres::PgConnection::connect(&format!("{base}/postgres")).await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs the `apdir` binary against a data directory and database.
pub fn apdir_cli(dir: &std::path::Path, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_apdir"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("APDIR_LOG", "error")
        .output()
        .expect("the apdir binary runs")
}

pub fn secret() -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..64).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}
