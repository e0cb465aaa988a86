//! Signing in and out, sessions, the rate limit and CSRF.

mod common;

use common::{TestApp, PASSWORD};
use rocket::http::{Header, Status};

#[rocket::async_test]
async fn every_demo_account_signs_in_to_its_own_home() {
    let app = TestApp::with_demo().await;
    let homes = [
        ("admin@demo.test", "Administration"),
        (
            "progressions@demo.test",
            "Placements, provider checks and pupils",
        ),
        (
            "taskforce@demo.test",
            "Sufficiency and quality across the city",
        ),
        ("school@demo.test", "Your school's alternative provision"),
        ("provider@demo.test", "Your provider account"),
    ];
    for (email, heading) in homes {
        app.login(email).await;
        let (status, html) = app.get("/").await;
        assert_eq!(status, Status::Ok);
        assert!(
            html.contains(heading),
            "{email} home should show {heading:?}"
        );
        assert!(html.contains("Sign out"));
        app.logout().await;
        let (_, html) = app.get("/").await;
        assert!(
            html.contains("Alternative provision for children and young people"),
            "public home after sign-out"
        );
    }
    assert_eq!(app.audit_count("login").await, 5);
    assert_eq!(app.audit_count("logout").await, 5);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "sign-out deletes the session"
    );
}

#[rocket::async_test]
async fn wrong_password_is_refused_with_a_message_and_no_session() {
    let app = TestApp::with_demo().await;
    let token = app.csrf().await;
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "school@demo.test"),
                ("password", "not-the-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::Unauthorized);
    let html = r.into_string().await.unwrap();
    assert!(html.contains("Enter a correct email address and password"));
    assert!(
        html.contains("<title>Error: Sign in"),
        "page title says there is an error"
    );
    assert!(
        html.contains("href=\"#email\""),
        "error summary links to the field"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(app.audit_count("login_failed").await, 1);
    // Unknown accounts get the same answer.
    assert_eq!(
        app.try_login("nobody@demo.test", PASSWORD).await,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn empty_and_malformed_sign_in_fields_get_422_with_messages() {
    let app = TestApp::with_demo().await;
    let token = app.csrf().await;
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "not an email"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap();
    assert!(html.contains("Enter an email address in the correct format"));
    assert!(html.contains("Enter your password"));
    assert!(
        html.contains("value=\"not an email\""),
        "what was typed is kept"
    );
}

#[rocket::async_test]
async fn eleventh_failed_attempt_for_an_account_is_refused() {
    let app = TestApp::with_demo().await;
    for i in 0..10 {
        // Different addresses: only the account limit applies.
        let status = app
            .post_from(
                "/login",
                &[
                    ("csrf_token", &app.csrf().await),
                    ("email", "school@demo.test"),
                    ("password", "wrong-password"),
                ],
                &format!("192.0.2.{}:4000", i + 1),
            )
            .await
            .status();
        assert_eq!(status, Status::Unauthorized, "attempt {}", i + 1);
    }
    // The 11th is refused even with the right password.
    let r = app
        .post_from(
            "/login",
            &[
                ("csrf_token", &app.csrf().await),
                ("email", "school@demo.test"),
                ("password", PASSWORD),
            ],
            "192.0.2.99:4000",
        )
        .await;
    assert_eq!(r.status(), Status::TooManyRequests);
    let html = r.into_string().await.unwrap();
    assert!(
        html.contains("too many failed attempts"),
        "clear message: {html}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // Another account is not affected.
    app.login("admin@demo.test").await;
}

#[rocket::async_test]
async fn eleventh_failed_attempt_from_an_address_is_refused() {
    let app = TestApp::with_demo().await;
    let addr = "198.51.100.7:5555";
    for i in 0..10 {
        let email = format!("guess{i}@demo.test");
        let status = app
            .post_from(
                "/login",
                &[
                    ("csrf_token", &app.csrf().await),
                    ("email", &email),
                    ("password", "x"),
                ],
                addr,
            )
            .await
            .status();
        assert_eq!(status, Status::Unauthorized);
    }
    let status = app
        .post_from(
            "/login",
            &[
                ("csrf_token", &app.csrf().await),
                ("email", "admin@demo.test"),
                ("password", PASSWORD),
            ],
            addr,
        )
        .await
        .status();
    assert_eq!(status, Status::TooManyRequests);
    // From elsewhere, the account still works.
    let status = app
        .post_from(
            "/login",
            &[
                ("csrf_token", &app.csrf().await),
                ("email", "admin@demo.test"),
                ("password", PASSWORD),
            ],
            "198.51.100.8:5555",
        )
        .await
        .status();
    assert_eq!(status, Status::SeeOther);
}

#[rocket::async_test]
async fn attempts_older_than_five_minutes_do_not_count() {
    let app = TestApp::with_demo().await;
    let old = apdir::db::now() - chrono::Duration::minutes(6);
    for _ in 0..10 {
        apdir::db::sessions::record_attempt(&app.pool, "school@demo.test", "unknown", old, false)
            .await
            .unwrap();
    }
    app.login("school@demo.test").await;
}

#[rocket::async_test]
async fn sign_in_without_or_with_a_wrong_csrf_token_changes_nothing() {
    let app = TestApp::with_demo().await;
    let _ = app.csrf().await; // the visitor has a token cookie
    let r = app
        .post(
            "/login",
            &[("email", "admin@demo.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), Status::Forbidden);
    assert!(r
        .into_string()
        .await
        .unwrap()
        .contains("This form has expired"));
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", "forged"),
                ("email", "admin@demo.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_attempts").await, 0);
}

#[rocket::async_test]
async fn state_changes_need_the_session_token_and_a_same_site_request() {
    let app = TestApp::with_demo().await;
    let anon_token = app.csrf().await;
    app.login("admin@demo.test").await;
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    let fields = [
        ("email", "new.person@demo.test"),
        ("display_name", "New Person"),
        ("role", "taskforce"),
        ("password", "a-long-enough-password"),
    ];
    // The pre-sign-in token no longer works once signed in.
    let mut with_old = vec![("csrf_token", anon_token.as_str())];
    with_old.extend_from_slice(&fields);
    assert_eq!(
        app.post("/admin/users", &with_old).await.status(),
        Status::Forbidden
    );
    // No token.
    assert_eq!(
        app.post("/admin/users", &fields).await.status(),
        Status::Forbidden
    );
    // Right token, but the browser says the request came from another site.
    let token = app.csrf().await;
    let mut good = vec![("csrf_token", token.as_str())];
    good.extend_from_slice(&fields);
    let r = app
        .client
        .post("/admin/users")
        .header(rocket::http::ContentType::Form)
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .body(common::encode(&good))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Forbidden);
    let r = app
        .client
        .post("/admin/users")
        .header(rocket::http::ContentType::Form)
        .header(Header::new("Origin", "https://evil.example"))
        .header(Header::new("Host", "127.0.0.1:8000"))
        .body(common::encode(&good))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Forbidden);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        users_before,
        "nothing was created"
    );
    // Logout with a wrong token leaves the session in place.
    assert_eq!(
        app.post("/logout", &[("csrf_token", "wrong")])
            .await
            .status(),
        Status::Forbidden
    );
    assert_eq!(app.get("/admin/users").await.0, Status::Ok);
    // And the real thing works.
    assert_eq!(
        app.post_csrf("/admin/users", &fields).await.status(),
        Status::SeeOther
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        users_before + 1
    );
}

#[rocket::async_test]
async fn sessions_time_out_when_idle_and_absolutely() {
    let app = TestApp::with_demo().await;
    app.login("school@demo.test").await;
    assert_eq!(app.get("/pupils").await.0, Status::Ok);
    // Idle for 31 minutes.
    let idle = apdir::db::now() - chrono::Duration::minutes(31);
    sqlx::query("UPDATE sessions SET last_seen_at = $1")
        .bind(idle)
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app.get_response("/pupils").await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        r.headers().get_one("Location"),
        Some("/login?next=%2Fpupils")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the expired session is removed"
    );

    // Active all along, but signed in more than 12 hours ago.
    app.login("school@demo.test").await;
    let created = apdir::db::now() - chrono::Duration::hours(12) - chrono::Duration::minutes(1);
    sqlx::query("UPDATE sessions SET created_at = $1")
        .bind(created)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/pupils").await.0, Status::SeeOther);

    // 29 idle minutes are fine.
    app.login("school@demo.test").await;
    let recent = apdir::db::now() - chrono::Duration::minutes(29);
    sqlx::query("UPDATE sessions SET last_seen_at = $1")
        .bind(recent)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/pupils").await.0, Status::Ok);
}

#[rocket::async_test]
async fn session_cookie_is_private_httponly_and_lax() {
    let app = TestApp::with_demo().await;
    let token = app.csrf().await;
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "admin@demo.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let set: Vec<&str> = r.headers().get("Set-Cookie").collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("apdir_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Lax"));
    assert!(session.contains("Secure"));
    assert!(session.contains("Path=/"));
    // The cookie value is encrypted: the stored hash is not derivable from it, and the raw value
    // is not a session id in the database.
    let value = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("apdir_session=");
    let hash = apdir::auth::token_hash(value);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id = $1")
        .bind(&hash)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
}

#[rocket::async_test]
async fn a_deactivated_account_is_signed_out_and_cannot_sign_in() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let school_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'school@demo.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // The school user has a session of their own somewhere.
    apdir::db::sessions::create(
        &app.pool,
        "somehash",
        school_id,
        "tok",
        apdir::db::now(),
        None,
    )
    .await
    .unwrap();
    let r = app
        .post_csrf(
            &format!("/admin/users/{school_id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(school_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(app.audit_count("deactivate").await, 1);
    app.logout().await;
    assert_eq!(
        app.try_login("school@demo.test", PASSWORD).await,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn sign_in_returns_to_a_local_page_only() {
    let app = TestApp::with_demo().await;
    let token = app.csrf().await;
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "school@demo.test"),
                ("password", PASSWORD),
                ("next", "/pupils"),
            ],
        )
        .await;
    assert_eq!(r.headers().get_one("Location"), Some("/pupils"));
    app.logout().await;
    let token = app.csrf().await;
    let r = app
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "school@demo.test"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.headers().get_one("Location"), Some("/"));
}
