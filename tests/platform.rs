//! Health, headers, error pages, the audit log's immutability, migrations and bad input.

mod common;

use common::TestApp;
use rocket::http::{ContentType, Status};

#[rocket::async_test]
async fn healthz_reports_the_database() {
    let app = TestApp::empty().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, Status::Ok);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "ok");
    app.pool.close().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(body.contains("unavailable"));
}

#[rocket::async_test]
async fn pages_carry_security_headers_and_a_request_id() {
    let app = TestApp::with_demo().await;
    let r = app.get_response("/").await;
    let h = r.headers();
    let csp = h.get_one("Content-Security-Policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h.get_one("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(h.get_one("Referrer-Policy"), Some("same-origin"));
    assert_eq!(h.get_one("Cache-Control"), Some("no-store"));
    assert_eq!(h.get_one("X-Request-Id").map(str::len), Some(16));
    let r = app.get_response("/static/app.css").await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(r.content_type(), Some(ContentType::CSS));
    assert!(r
        .headers()
        .get_one("Cache-Control")
        .unwrap()
        .contains("max-age"));
}

#[rocket::async_test]
async fn errors_are_html_pages_or_json_under_api() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/no/such/page").await;
    assert_eq!(status, Status::NotFound);
    assert!(html.contains("Page not found") && html.contains("<h1"));
    let r = app.get_response("/api/v1/nothing").await;
    assert_eq!(r.status(), Status::NotFound);
    assert_eq!(r.content_type(), Some(ContentType::JSON));
    let v: serde_json::Value = serde_json::from_str(&r.into_string().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], 404);
    assert!(v["error"]["message"].as_str().unwrap().len() > 10);
    let (status, body) = app.get("/api/v1/me").await;
    assert_eq!(status, Status::Unauthorized);
    assert!(body.contains("\"error\""));
}

#[rocket::get("/boom")]
fn boom() -> &'static str {
    panic!("deliberate panic in a handler")
}

#[rocket::async_test]
async fn a_panicking_handler_gives_a_500_page_with_a_reference() {
    let app = TestApp::build(|r| r.mount("/test", rocket::routes![boom])).await;
    let r = app.get_response("/test/boom").await;
    assert_eq!(r.status(), Status::InternalServerError);
    let id = r.headers().get_one("X-Request-Id").unwrap().to_string();
    let html = r.into_string().await.unwrap();
    assert!(html.contains("quote reference"));
    assert!(
        html.contains(&id),
        "the page shows the request id that the log line carries"
    );
    // The server carries on.
    assert_eq!(app.get("/healthz").await.0, Status::Ok);
}

#[rocket::async_test]
async fn bad_input_gets_a_4xx_with_a_message_and_writes_nothing() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/providers?tier=9").await;
    assert_eq!(status, Status::BadRequest);
    assert!(html.contains("Tier must be 1, 2 or 3"));
    let (status, html) = app
        .get("/providers?place_type=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert_eq!(status, Status::BadRequest);
    assert!(!html.contains("<script>alert(1)"), "input is escaped");
    assert_eq!(
        app.get("/providers/no-such-provider").await.0,
        Status::NotFound
    );

    app.login("admin@demo.test").await;
    let users = app.count("SELECT COUNT(*) FROM users").await;
    let audit = app.count("SELECT COUNT(*) FROM audit_log").await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("email", "nope"),
                ("display_name", "X"),
                ("role", "taskforce"),
                ("password", "long-enough-password"),
            ],
            "Enter an email address in the correct format",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", ""),
                ("role", "taskforce"),
                ("password", "long-enough-password"),
            ],
            "Enter the person&#x27;s name",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", "X"),
                ("role", "root"),
                ("password", "long-enough-password"),
            ],
            "Choose a role",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", "X"),
                ("role", "school"),
                ("school_urn", "12"),
                ("password", "long-enough-password"),
            ],
            "A URN is 6 digits",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", "X"),
                ("role", "school"),
                ("school_urn", "999999"),
                ("password", "long-enough-password"),
            ],
            "No school with URN 999999",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", "X"),
                ("role", "provider"),
                ("provider_slug", "' OR 1=1 --"),
                ("password", "long-enough-password"),
            ],
            "Choose the provider",
        ),
        (
            vec![
                ("email", "a@b.test"),
                ("display_name", "X"),
                ("role", "taskforce"),
                ("password", "short"),
            ],
            "Password must be 12 characters or more",
        ),
    ];
    for (fields, message) in cases {
        let r = app.post_csrf("/admin/users", &fields).await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{message}");
        let html = r.into_string().await.unwrap();
        assert!(html.contains(message), "expected {message:?}");
        assert!(html.contains("There is a problem"));
    }
    // A duplicate email is a conflict.
    let r = app
        .post_csrf(
            "/admin/users",
            &[
                ("email", "SCHOOL@demo.test"),
                ("display_name", "X"),
                ("role", "taskforce"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::Conflict);
    assert!(r.into_string().await.unwrap().contains("already exists"));
    // A body far over the form limit.
    let huge = "x".repeat(200_000);
    let r = app
        .post_csrf("/admin/users", &[("display_name", &huge)])
        .await;
    assert_eq!(r.status(), Status::PayloadTooLarge);
    // Not a form at all.
    let r = app
        .client
        .post("/admin/users")
        .header(ContentType::JSON)
        .body("{}")
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::UnsupportedMediaType);
    // Activation flag that is neither true nor false.
    let r = app
        .post_csrf("/admin/users/1/active", &[("active", "maybe")])
        .await;
    assert_eq!(r.status(), Status::BadRequest);
    let r = app
        .post_csrf("/admin/users/424242/active", &[("active", "false")])
        .await;
    assert_eq!(r.status(), Status::NotFound);
    let (status, _) = app.get("/admin/audit?entity=%27%3B%20DROP").await;
    assert_eq!(status, Status::BadRequest);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        users,
        "no account was created"
    );
    // Only the sign-in was audited; refused input writes nothing.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit);
}

#[rocket::async_test]
async fn creating_an_account_is_audited_and_the_account_works() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let r = app
        .post_csrf(
            "/admin/users",
            &[
                ("email", "Head@School.test"),
                ("display_name", "A Head"),
                ("role", "school"),
                ("school_urn", "107101"),
                ("password", "a-long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, html) = app.get("/admin/users").await;
    assert!(html.contains("Account created for head@school.test"));
    let (action, entity): (String, String) =
        sqlx::query_as("SELECT action, entity FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((action.as_str(), entity.as_str()), ("create", "user"));
    app.logout().await;
    assert_eq!(
        app.try_login("head@school.test", "a-long-enough-password")
            .await,
        Status::SeeOther
    );
    let (_, html) = app.get("/").await;
    assert!(html.contains("URN 107101"));
}

#[rocket::async_test]
async fn the_audit_log_cannot_be_changed_or_deleted() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    assert!(app.count("SELECT COUNT(*) FROM audit_log").await >= 2);
    assert!(sqlx::query("UPDATE audit_log SET detail = 'tampered'")
        .execute(&app.pool)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(&app.pool)
        .await
        .is_err());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE detail = 'tampered'")
            .await,
        0
    );
    let (status, html) = app.get("/admin/audit").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("load_demo") && html.contains("admin@demo.test"));
}

#[test]
fn migrations_for_both_backends_have_matching_names() {
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[test]
fn backend_under_test() {
    use std::io::Write;
    // Written past the test harness's capture, so `cargo test` shows which suite ran.
    let msg = if cfg!(feature = "postgres") {
        "apdir: integration suite running on PostgreSQL\n".to_string()
    } else {
        "apdir: integration suite ran on SQLite; the PostgreSQL suite was not run \
         (cargo test --no-default-features --features postgres, with PostgreSQL on 127.0.0.1:5432)\n"
            .to_string()
    };
    let _ = std::io::stderr().write_all(msg.as_bytes());
    assert_eq!(
        apdir::db::BACKEND,
        if cfg!(feature = "postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    );
}
