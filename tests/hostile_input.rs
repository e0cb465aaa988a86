//! Hostile input on every form, query and API route: oversize fields, wrong types, missing
//! fields, unicode edge cases, SQL and script injection, malformed dates and identifiers.
//! Each gets a 4xx with a message (or, for free text, is stored and shown safely), never a 5xx,
//! and refused input changes no stored data.

mod common;

use common::TestApp;
use rocket::http::{ContentType, Header, Status};

fn payloads() -> Vec<String> {
    vec![
        String::new(),
        "x".repeat(5_000),
        "' OR '1'='1' --".into(),
        "1; DROP TABLE users; --".into(),
        "<script>alert(1)</script>".into(),
        "\"><img src=x onerror=alert(1)>".into(),
        "\u{202E}gnp.exe".into(),
        "e\u{301}\u{301}\u{301}\u{301}".into(),
        "😀👩‍👩‍👧‍👦".into(),
        "nul\0byte".into(),
        "-1".into(),
        "99999999999999999999".into(),
        "1.5".into(),
        "NaN".into(),
        "2026-13-45".into(),
        "B80120000500I".into(),
        "../../etc/passwd".into(),
        "%00%ff".into(),
    ]
}

const RAW_SCRIPT: &str = "<script>alert(1)</script>";
const RAW_IMG: &str = "<img src=x onerror";

/// Business data that refused input must leave untouched.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    let users: Vec<(String, String, String, bool, String)> = sqlx::query_as(
        "SELECT email, display_name, role, active, password_hash FROM users ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    out.extend(users.into_iter().map(|u| format!("{u:?}")));
    let providers: Vec<(String, String, i64, String)> =
        sqlx::query_as("SELECT slug, name, places_free, dd_status FROM providers ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    out.extend(providers.into_iter().map(|p| format!("{p:?}")));
    for t in [
        "schools",
        "pupils",
        "provider_sites",
        "localities",
        "provider_tiers",
    ] {
        out.push(format!(
            "{t}: {}",
            app.count(&format!("SELECT COUNT(*) FROM {t}")).await
        ));
    }
    out
}

fn check_body(what: &str, status: Status, body: &str, failures: &mut Vec<String>) {
    if status.code >= 500 {
        failures.push(format!("{what}: {status}"));
    }
    if body.contains(RAW_SCRIPT) || body.contains(RAW_IMG) {
        failures.push(format!("{what}: input reflected unescaped"));
    }
}

/// `base` with one field's value replaced.
fn with_field<'a>(
    base: &[(&'a str, &'a str)],
    field: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, if *k == field { value } else { *v }))
        .collect()
}

/// A refused request: a 4xx, and nothing reflected unescaped.
fn expect_4xx(what: &str, status: Status, body: &str, failures: &mut Vec<String>) {
    check_body(what, status, body, failures);
    if !(400..500).contains(&status.code) {
        failures.push(format!("{what}: got {status}, want a 4xx"));
    }
}

fn enc(s: &str) -> String {
    common::encode(&[("v", s)])
        .trim_start_matches("v=")
        .to_string()
}

#[rocket::async_test]
async fn query_strings_and_path_ids() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let mut failures = Vec::new();
    // (path template, role, must be 4xx for non-empty hostile values)
    let targets: &[(&str, Option<&str>, bool)] = &[
        ("/providers?q={}", None, false),
        ("/providers?tier={}", None, true),
        ("/providers?place_type={}", None, true),
        ("/providers?locality={}", None, true),
        ("/providers?page={}", None, true),
        ("/providers?near={}", None, true),
        ("/providers?radius_km={}&near=S1", None, false),
        ("/providers?sort={}", None, true),
        ("/providers?key_stage={}", None, true),
        ("/providers?need={}", None, true),
        ("/providers?registration={}", None, true),
        ("/providers?has_places={}", None, true),
        ("/api/v1/providers?q={}", None, false),
        ("/api/v1/providers?tier={}", None, true),
        ("/api/v1/providers?near={}", None, true),
        ("/api/v1/providers?per_page={}", None, true),
        ("/api/v1/providers/{}", None, true),
        ("/providers/{}", None, true),
        ("/login?next={}", None, false),
        ("/pupils/{}", Some("school@demo.test"), true),
        ("/pupils?page={}", Some("school@demo.test"), true),
        ("/api/v1/pupils?page={}", Some("school@demo.test"), true),
        ("/api/v1/pupils/{}", Some("school@demo.test"), true),
        ("/admin/audit?entity={}", Some("admin@demo.test"), true),
        ("/admin/audit?page={}", Some("admin@demo.test"), true),
        ("/notifications?page={}", Some("school@demo.test"), true),
        ("/admin/mail?status={}", Some("admin@demo.test"), true),
        ("/admin/mail/{}", Some("admin@demo.test"), true),
        ("/unsubscribe/{}", None, true),
        ("/providers?near={}&q=x", Some("school@demo.test"), true),
        ("/placements?status={}", Some("school@demo.test"), true),
        ("/placements?page={}", Some("school@demo.test"), true),
        ("/placements/{}", Some("school@demo.test"), true),
        ("/placements/{}/plan", Some("school@demo.test"), true),
        ("/placements/new?pupil={}", Some("school@demo.test"), false),
        (
            "/placements/census.csv?from={}",
            Some("school@demo.test"),
            true,
        ),
        (
            "/placements/census.csv?to={}",
            Some("school@demo.test"),
            true,
        ),
        (
            "/api/v1/placements?status={}",
            Some("provider@demo.test"),
            true,
        ),
        ("/api/v1/placements/{}", Some("provider@demo.test"), true),
        ("/pupils/{}/record", Some("progressions@demo.test"), true),
        (
            "/pupils/{}/record.json",
            Some("progressions@demo.test"),
            true,
        ),
        ("/registers?date={}", Some("provider@demo.test"), true),
        (
            "/attendance/summary?from={}",
            Some("provider@demo.test"),
            true,
        ),
        ("/registers/{}/am", Some("provider@demo.test"), true),
        ("/registers/2026-11-24/{}", Some("provider@demo.test"), true),
        ("/attendance?date={}", Some("school@demo.test"), true),
        ("/attendance.csv?from={}", Some("school@demo.test"), true),
        ("/attendance.csv?to={}", Some("school@demo.test"), true),
        (
            "/attendance/rates?by={}",
            Some("progressions@demo.test"),
            true,
        ),
        (
            "/attendance/rates?from={}",
            Some("progressions@demo.test"),
            true,
        ),
        (
            "/reports/outcomes?tier={}",
            Some("taskforce@demo.test"),
            true,
        ),
        (
            "/reports/outcomes?from={}",
            Some("taskforce@demo.test"),
            true,
        ),
        (
            "/reports/outcomes?place_type={}",
            Some("taskforce@demo.test"),
            true,
        ),
        (
            "/reports/outcomes?registration={}",
            Some("taskforce@demo.test"),
            true,
        ),
        (
            "/reports/outcomes?route={}",
            Some("taskforce@demo.test"),
            true,
        ),
        // Ids that parse ("-1") are refused as no such provider; names are only searched for.
        (
            "/reports/outcomes?provider={}",
            Some("taskforce@demo.test"),
            false,
        ),
        (
            "/reports/outcomes?provider_name={}",
            Some("taskforce@demo.test"),
            false,
        ),
        ("/reports/outcomes/{}", Some("taskforce@demo.test"), true),
        // The open-data feed: numbers and ids are checked; search text is only searched for.
        ("/openreferral/services?search={}", None, false),
        ("/openreferral/services?page={}", None, true),
        ("/openreferral/services?per_page={}", None, true),
        ("/openreferral/services?taxonomy_term_id={}", None, true),
        ("/openreferral/services?taxonomy_id={}", None, true),
        // "1.5" is an age and a distance.
        ("/openreferral/services?minimum_age={}", None, false),
        ("/openreferral/services?maximum_age={}", None, false),
        ("/openreferral/services/{}", None, true),
        ("/openreferral/service_at_locations?postcode={}", None, true),
        (
            "/openreferral/service_at_locations?postcode=S1&proximity={}",
            None,
            false,
        ),
        ("/openreferral/service_at_locations/{}", None, true),
        ("/openreferral/taxonomies/{}", None, true),
        ("/openreferral/taxonomy_terms/{}", None, true),
        ("/openreferral/taxonomy_terms?taxonomy_id={}", None, true),
        ("/forum/{}", Some("school@demo.test"), true),
        ("/forum/threads/{}", Some("school@demo.test"), true),
        ("/forum/{}/new", Some("provider@demo.test"), true),
        // Any text is a search; only an over-long one is refused.
        ("/forum/search?q={}", Some("school@demo.test"), false),
        ("/forum/posts/{}/edit", Some("provider@demo.test"), true),
        ("/forum/attachments/{}", Some("school@demo.test"), true),
        ("/admin/forum/{}", Some("admin@demo.test"), true),
        ("/forum/posts/{}/history", Some("provider@demo.test"), true),
        ("/forum/posts/{}/flag", Some("school@demo.test"), true),
        // A reply or quote link to something that is not a post here is ignored.
        (
            "/forum/threads/2?reply_to={}",
            Some("provider@demo.test"),
            false,
        ),
        (
            "/forum/threads/2?quote={}",
            Some("provider@demo.test"),
            false,
        ),
    ];
    for (template, role, strict) in targets {
        if let Some(email) = role {
            app.login(email).await;
        }
        for p in payloads() {
            let path = template.replace("{}", &enc(&p));
            let r = app.get_response(&path).await;
            let status = r.status();
            let is_json = r.content_type() == Some(ContentType::JSON);
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "GET {template} with {:?}",
                p.chars().take(30).collect::<String>()
            );
            check_body(&what, status, &body, &mut failures);
            // Empty values mean "no filter"; "-1" style ids are simply not found.
            if *strict && !p.is_empty() && !(400..500).contains(&status.code) {
                failures.push(format!("{what}: got {status}, want a 4xx"));
            }
            if status.code >= 400 && !is_json && !body.contains("<h1") {
                failures.push(format!("{what}: error without a page"));
            }
            if template.starts_with("/api/") && status.code >= 400 && !is_json {
                failures.push(format!("{what}: API error is not JSON"));
            }
        }
        if role.is_some() {
            app.logout().await;
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "GET requests changed stored data"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rocket::async_test]
async fn sign_in_form() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let mut failures = Vec::new();
    for field in ["email", "password", "next"] {
        for p in payloads() {
            let fields = with_field(
                &[
                    ("email", "school@demo.test"),
                    ("password", "wrong-password"),
                    ("next", "/"),
                ],
                field,
                p.as_str(),
            );
            let r = app.post_csrf("/login", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST /login {field}={:?}",
                p.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
    }
    // Missing fields altogether, and bodies that are not valid form encoding.
    let token = app.csrf().await;
    for body in [
        format!("csrf_token={token}"),
        format!("csrf_token={token}&email=%FF%FE&password=%"),
        format!("csrf_token={token}&email[]=a&email[]=b"),
        format!("csrf_token={token}&&&==&email"),
    ] {
        let r = app
            .client
            .post("/login")
            .header(ContentType::Form)
            .header(Header::new("Sec-Fetch-Site", "same-origin"))
            .body(body.clone())
            .dispatch()
            .await;
        let status = r.status();
        if !(400..500).contains(&status.code) {
            failures.push(format!("POST /login body {body:?}: got {status}"));
        }
    }
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rocket::async_test]
async fn account_forms() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let before = snapshot(&app).await;
    let mut failures = Vec::new();
    // Constrained fields: every hostile value is refused with a message.
    for field in ["email", "role", "school_urn", "password"] {
        for p in payloads() {
            let fields = with_field(
                &[
                    ("email", "valid.person@demo.test"),
                    ("display_name", "Valid Person"),
                    ("role", "school"),
                    ("school_urn", "107101"),
                    ("password", "a-long-enough-password"),
                ],
                field,
                p.as_str(),
            );
            // A payload that happens to be valid for this field is not hostile here.
            if field == "password" && p.chars().count() >= 12 && p.chars().count() <= 128 {
                continue;
            }
            let r = app.post_csrf("/admin/users", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST /admin/users {field}={:?}",
                p.chars().take(30).collect::<String>()
            );
            check_body(&what, status, &body, &mut failures);
            if p.contains('\0') {
                // NUL is refused for the whole form before any field is read.
                if status != Status::BadRequest || !body.contains("not allowed") {
                    failures.push(format!("{what}: got {status}, want 400 saying why"));
                }
            } else if status != Status::UnprocessableEntity {
                failures.push(format!("{what}: got {status}, want 422"));
            } else if !body.contains("There is a problem") {
                failures.push(format!("{what}: no error summary"));
            }
        }
    }
    for p in payloads() {
        for path in [
            format!("/admin/users/{}/active", enc(&p)),
            "/admin/users/1/active".to_string(),
        ] {
            let r = app.post_csrf(&path, &[("active", p.as_str())]).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST {path} active={:?}",
                p.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused input changed stored data"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rocket::async_test]
async fn free_text_is_stored_exactly_and_shown_escaped() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let mut failures = Vec::new();
    for (i, p) in payloads().into_iter().enumerate() {
        let email = format!("free{i}@demo.test");
        let r = app
            .post_csrf(
                "/admin/users",
                &[
                    ("email", &email),
                    ("display_name", &p),
                    ("role", "taskforce"),
                    ("password", "a-long-enough-password"),
                ],
            )
            .await;
        let status = r.status();
        let trimmed = p.trim();
        let acceptable = !trimmed.is_empty()
            && trimmed.chars().count() <= 120
            && !trimmed.chars().any(char::is_control);
        let what = format!("display_name {:?}", p.chars().take(30).collect::<String>());
        if acceptable {
            if status != Status::SeeOther {
                failures.push(format!("{what}: got {status}, want it accepted"));
                continue;
            }
            let stored: String =
                sqlx::query_scalar("SELECT display_name FROM users WHERE email = $1")
                    .bind(&email)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            if stored != trimmed {
                failures.push(format!("{what}: stored as {stored:?}"));
            }
        } else if !(400..500).contains(&status.code) {
            failures.push(format!("{what}: got {status}, want a 4xx"));
        }
    }
    let (status, html) = app.get("/admin/users").await;
    check_body("GET /admin/users", status, &html, &mut failures);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "script shown as text"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rocket::async_test]
async fn profile_forms() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let versions = app.count("SELECT COUNT(*) FROM provider_versions").await;
    let mut failures = Vec::new();
    app.login("progressions@demo.test").await;
    for field in ["name", "website", "email", "phone"] {
        for p in payloads() {
            let fields = with_field(
                &[
                    ("name", "Don Valley Motor Skills"),
                    ("summary", "A summary."),
                    ("website", "https://example.org"),
                    ("email", "a@example.org"),
                    ("phone", "0114 496 0000"),
                ],
                field,
                p.as_str(),
            );
            // Values that are valid for a free-text name are not hostile here.
            if field == "name"
                && !p.trim().is_empty()
                && p.trim().chars().count() <= 120
                && !p.contains('\0')
            {
                continue;
            }
            if matches!(field, "website" | "email" | "phone") && p.is_empty() {
                continue; // optional fields may be blank
            }
            let r = app
                .post_csrf("/providers/don-valley-motor-skills/edit", &fields)
                .await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST edit {field}={:?}",
                p.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
    }
    app.logout().await;
    app.login("provider@demo.test").await;
    for p in payloads() {
        let r = app
            .post_csrf("/provider/places", &[("places_free", p.as_str())])
            .await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        let what = format!("POST places {:?}", p.chars().take(30).collect::<String>());
        expect_4xx(&what, status, &body, &mut failures);
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused input changed stored data"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        versions
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[rocket::async_test]
async fn offer_notice_and_notification_forms() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let versions = app.count("SELECT COUNT(*) FROM provider_versions").await;
    let mut failures = Vec::new();
    app.login("progressions@demo.test").await;
    let base = [
        ("name", "Don Valley Motor Skills"),
        ("summary", "A summary."),
        ("tiers", "2"),
        ("place_types", "vocational"),
        ("key_stages", "KS4"),
        ("needs", "SEMH"),
        ("capacity", "12"),
    ];
    for field in ["tiers", "place_types", "key_stages", "needs", "capacity"] {
        for p in payloads() {
            if field == "needs" && p.is_empty() {
                continue; // no needs listed is allowed
            }
            let fields = with_field(&base, field, p.as_str());
            let r = app
                .post_csrf("/providers/don-valley-motor-skills/edit", &fields)
                .await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST offer {field}={:?}",
                p.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
    }
    let notices = app.count("SELECT COUNT(*) FROM notifications").await;
    for field in ["audience", "message", "safeguarding"] {
        for p in payloads() {
            // A message may be any non-empty text of up to 1,000 characters.
            if field == "message"
                && !p.trim().is_empty()
                && p.chars().count() <= 1000
                && !p.contains('\0')
            {
                continue;
            }
            let fields = with_field(
                &[
                    ("audience", "providers"),
                    ("message", "A notice."),
                    ("safeguarding", ""),
                ],
                field,
                p.as_str(),
            );
            if field == "safeguarding" && p.is_empty() {
                continue;
            }
            let r = app.post_csrf("/notices", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST notice {field}={:?}",
                p.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
    }
    for p in payloads() {
        for (k, v) in [("mode[council_notice]", p.as_str()), (p.as_str(), "digest")] {
            if k == "mode[council_notice]" && v.is_empty() {
                continue;
            }
            let r = app.post_csrf("/notifications/preferences", &[(k, v)]).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            // An unknown field name is ignored by the form (nothing to save): 303 is fine then.
            if k != "mode[council_notice]" && status == Status::SeeOther {
                continue;
            }
            let what = format!(
                "POST preferences {k:?}={:?}",
                v.chars().take(30).collect::<String>()
            );
            expect_4xx(&what, status, &body, &mut failures);
        }
        let r = app
            .post_csrf(&format!("/notifications/{}/open", enc(&p)), &[])
            .await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        expect_4xx(&format!("POST open {p:?}"), status, &body, &mut failures);
        let (status, body) = app.get(&format!("/unsubscribe/{}", enc(&p))).await;
        expect_4xx(
            &format!("GET unsubscribe {p:?}"),
            status,
            &body,
            &mut failures,
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications").await,
        notices
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notification_prefs").await,
        0
    );
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused input changed stored data"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        versions
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (path, base fields, fields that must refuse every hostile value)
type FormCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

async fn framework_counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "provider_checks",
        "concerns",
        "quality_visits",
        "visit_actions",
        "framework_rounds",
        "framework_members",
        "check_types",
    ] {
        out.push(app.count(&format!("SELECT COUNT(*) FROM {t}")).await);
    }
    out
}

#[rocket::async_test]
async fn framework_forms() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let tables = framework_counts(&app).await;
    let mut failures = Vec::new();
    app.login("progressions@demo.test").await;
    let slug = "loxley-farm-school";
    // (path, base fields, fields that must refuse every hostile value)
    let forms: &[FormCase] = &[
        (
            "/providers/loxley-farm-school/checks",
            &[
                ("check_type", "1"),
                ("checked_on", "2026-11-01"),
                ("result", "passed"),
            ],
            &["check_type", "checked_on", "result"],
        ),
        (
            "/providers/loxley-farm-school/visits",
            &[
                ("kind", "annual_qa"),
                ("visit_date", "2026-11-01"),
                ("score_safeguarding", "3"),
                ("score_health_safety", "3"),
                ("score_admissions", "3"),
                ("score_education", "3"),
            ],
            &[
                "kind",
                "visit_date",
                "score_safeguarding",
                "score_education",
            ],
        ),
        (
            "/concerns",
            &[
                ("provider", "loxley-farm-school"),
                ("category", "quality"),
                ("details", "Late"),
            ],
            &["provider", "category"],
        ),
        (
            "/framework/rounds/1/members",
            &[("provider", "loxley-farm-school"), ("lot", "both")],
            &["provider", "lot"],
        ),
        (
            "/framework/rounds",
            &[
                ("name", "R"),
                ("starts_on", "2030-01-01"),
                ("ends_on", "2031-01-01"),
            ],
            &["starts_on", "ends_on"],
        ),
    ];
    for (path, base, strict) in forms {
        for field in strict.iter() {
            for p in payloads() {
                let fields = with_field(base, field, p.as_str());
                let r = app.post_csrf(path, &fields).await;
                let status = r.status();
                let body = r.into_string().await.unwrap_or_default();
                let what = format!(
                    "POST {path} {field}={:?}",
                    p.chars().take(30).collect::<String>()
                );
                expect_4xx(&what, status, &body, &mut failures);
            }
        }
    }
    for p in payloads() {
        // A suspension needs a reason: only blank and NUL are refused; free text is fine, so
        // suspend with refused values only.
        if p.trim().is_empty() || p.contains('\0') {
            let r = app
                .post_csrf(
                    &format!("/providers/{slug}/suspend"),
                    &[("reason", p.as_str())],
                )
                .await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            expect_4xx(&format!("suspend {p:?}"), status, &body, &mut failures);
        }
        let r = app
            .post_csrf(
                &format!("/concerns/{}", enc(&p)),
                &[("status", "open"), ("severity", "low")],
            )
            .await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        expect_4xx(&format!("concern id {p:?}"), status, &body, &mut failures);
        let (status, body) = app.get(&format!("/evidence/{}", enc(&p))).await;
        expect_4xx(&format!("evidence {p:?}"), status, &body, &mut failures);
    }
    app.logout().await;
    app.login("admin@demo.test").await;
    for field in ["theme", "validity_months", "id"] {
        for p in payloads() {
            if field == "validity_months" && p.is_empty() || field == "id" && p.is_empty() {
                continue; // blank validity and a blank id (a new type) are meaningful
            }
            let fields = with_field(
                &[
                    ("id", "1"),
                    ("name", "Legal status"),
                    ("theme", "governance"),
                    ("evidence", "E"),
                    ("validity_months", "4"),
                ],
                field,
                p.as_str(),
            );
            let r = app.post_csrf("/admin/check-types", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            expect_4xx(
                &format!("check type {field}={p:?}"),
                status,
                &body,
                &mut failures,
            );
        }
    }
    assert_eq!(
        framework_counts(&app).await,
        tables,
        "refused input wrote rows"
    );
    assert_eq!(
        snapshot(&app).await,
        before,
        "refused input changed stored data"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn placement_counts(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for t in [
        "placements",
        "placement_offers",
        "placement_events",
        "placement_plans",
        "plan_objectives",
        "placement_reviews",
        "term_dates",
        "closures",
    ] {
        out.push(format!(
            "{t}: {}",
            app.count(&format!("SELECT COUNT(*) FROM {t}")).await
        ));
    }
    let statuses: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM placements ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    out.push(format!("{statuses:?}"));
    out
}

#[rocket::async_test]
async fn placement_forms() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let counts = placement_counts(&app).await;
    let mut failures = Vec::new();
    let soon = (apdir::placements::today() + chrono::Duration::days(3)).to_string();
    let today = apdir::placements::today().to_string();
    let pupil: i64 = app
        .count("SELECT MIN(p.id) FROM pupils p JOIN users u ON u.email = 'school@demo.test' WHERE p.home_school_id = u.school_id")
        .await;
    let pupil = pupil.to_string();
    // The demo's fixed placements: 1 active, 2 requested, 3 offered, 4 accepted.
    let by_role: &[(&str, &[FormCase])] = &[
        (
            "school@demo.test",
            &[
                (
                    "/pupils",
                    &[
                        ("upn", "A373499912001"),
                        ("legal_forename", "A"),
                        ("legal_surname", "B"),
                        ("date_of_birth", "2012-01-01"),
                        ("sen_status", "none"),
                    ],
                    &["upn", "legal_forename", "date_of_birth", "sen_status"],
                ),
                (
                    "/placements",
                    &[
                        ("pupil", "PUPIL"),
                        ("route", "request"),
                        ("tier", "2"),
                        ("place_type", "vocational"),
                        ("reason", "semh_needs"),
                        ("preferred_start", "SOON"),
                        ("sessions_per_week", "10"),
                        ("needs", "A small group"),
                        ("wanted_outcome", "Back to school"),
                    ],
                    &[
                        "pupil",
                        "route",
                        "tier",
                        "place_type",
                        "reason",
                        "preferred_start",
                        "sessions_per_week",
                        "needs",
                    ],
                ),
                (
                    "/placements/1/plan",
                    &[
                        ("next_step", "home_school"),
                        ("session", "0"),
                        ("hours_per_week", "25"),
                        ("max_weeks", "12"),
                        ("objectives[0].objective", "Attend"),
                        ("objectives[0].measure", "90%"),
                        ("objectives[0].target_date", "SOON"),
                    ],
                    &[
                        "next_step",
                        "session",
                        "hours_per_week",
                        "max_weeks",
                        "objectives[0].target_date",
                    ],
                ),
                (
                    "/placements/1/review",
                    &[
                        ("held_on", "TODAY"),
                        ("attendance_summary", "Good"),
                        ("pupil_voice", "Fine"),
                        ("decision", "continue"),
                    ],
                    &["held_on", "decision", "attendance_summary"],
                ),
                (
                    "/placements/1/end",
                    &[("end_date", "TODAY"), ("destination", "home_school")],
                    &["end_date", "destination"],
                ),
                ("/placements/2/withdraw", &[("reason", "x")], &["reason"]),
            ],
        ),
        (
            "provider@demo.test",
            &[(
                "/placements/3/respond",
                &[("decision", "accept")],
                &["decision"],
            )],
        ),
        (
            "progressions@demo.test",
            &[
                (
                    "/placements/2/offer",
                    &[("provider", "steel-city-vocational-hub")],
                    &["provider"],
                ),
                (
                    "/placements/4/start",
                    &[("start_date", "SOON"), ("hours_per_week", "25")],
                    &["start_date"],
                ),
            ],
        ),
        (
            "admin@demo.test",
            &[
                (
                    "/admin/calendar/terms",
                    &[
                        ("name", "Extra"),
                        ("starts_on", "2031-09-01"),
                        ("ends_on", "2031-10-20"),
                    ],
                    &["starts_on", "ends_on", "name"],
                ),
                (
                    "/admin/calendar/closures",
                    &[("on_date", "2031-05-05"), ("reason", "Bank holiday")],
                    &["on_date"],
                ),
            ],
        ),
    ];
    for (email, forms) in by_role {
        app.login(email).await;
        for (path, base, strict) in forms.iter() {
            // Free text that is valid ("x" as a withdrawal reason, a long name) is not what this
            // test is about: each strict field is refused for every hostile value except where
            // the field takes any text, when only blank, control characters and oversize count.
            let free_text = [
                "reason",
                "needs",
                "attendance_summary",
                "name",
                "legal_forename",
            ];
            let base: Vec<(&str, String)> = base
                .iter()
                .map(|(k, v)| {
                    (
                        *k,
                        v.replace("PUPIL", &pupil)
                            .replace("SOON", &soon)
                            .replace("TODAY", &today),
                    )
                })
                .collect();
            for field in strict.iter() {
                for p in payloads() {
                    if free_text.contains(field) {
                        let refused =
                            p.trim().is_empty() || p.contains('\0') || p.chars().count() > 1000;
                        if !refused {
                            continue;
                        }
                    }
                    // Every base form is valid: only the hostile value can make it a 4xx.
                    let fields: Vec<(&str, &str)> = base
                        .iter()
                        .map(|(k, v)| (*k, if k == field { p.as_str() } else { v.as_str() }))
                        .collect();
                    let r = app.post_csrf(path, &fields).await;
                    let status = r.status();
                    let body = r.into_string().await.unwrap_or_default();
                    let what = format!(
                        "{email} POST {path} {field}={:?}",
                        p.chars().take(30).collect::<String>()
                    );
                    expect_4xx(&what, status, &body, &mut failures);
                }
            }
        }
        app.logout().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&app).await, before, "refused input changed data");
    assert_eq!(
        placement_counts(&app).await,
        counts,
        "refused input changed placements"
    );
}

#[rocket::async_test]
async fn attendance_forms_and_api() {
    let app = TestApp::with_demo().await;
    let before = snapshot(&app).await;
    let marks = app.count("SELECT COUNT(*) FROM attendance_marks").await;
    let changes = app.count("SELECT COUNT(*) FROM mark_changes").await;
    let mut failures = Vec::new();
    // A taken register of the demo provider, and one of its marks.
    let (placement, on): (i64, chrono::NaiveDate) = sqlx::query_as(
        "SELECT m.placement_id, m.on_date FROM attendance_marks m JOIN users u ON u.provider_id = m.provider_id \
         WHERE u.email = 'provider@demo.test' AND m.session = 'am' ORDER BY m.on_date DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (placement, on) = (placement.to_string(), on.to_string());
    app.login("provider@demo.test").await;
    let base: Vec<(&str, &str)> = vec![
        ("placement", &placement),
        ("date", &on),
        ("session", "am"),
        ("code", "M"),
        ("reason", ""),
    ];
    for field in ["placement", "date", "session", "code", "reason"] {
        for p in payloads() {
            // Any real text is a valid reason; only blank, NUL and oversize ones are refused.
            if field == "reason"
                && !(p.trim().is_empty() || p.contains('\0') || p.chars().count() > 500)
            {
                continue;
            }
            // The base has no reason, so every case must be refused.
            let fields = with_field(&base, field, p.as_str());
            let r = app.post_csrf("/attendance/corrections", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            expect_4xx(
                &format!(
                    "correction {field}={:?}",
                    p.chars().take(20).collect::<String>()
                ),
                status,
                &body,
                &mut failures,
            );
        }
    }
    // Register marks with hostile keys and codes.
    for p in payloads() {
        for (k, v) in [
            (format!("mark[{placement}]"), p.clone()),
            (format!("mark[{p}]"), "/".to_string()),
        ] {
            let r = app
                .post_csrf(&format!("/registers/{on}/am"), &[(k.as_str(), v.as_str())])
                .await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            expect_4xx(
                &format!("register {k}={:?}", v.chars().take(20).collect::<String>()),
                status,
                &body,
                &mut failures,
            );
        }
    }
    app.logout().await;
    // The API: hostile tokens, bodies and fields.
    let token = "apdir_hostile-test-token";
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, name, provider_id, created_at) \
         SELECT $1, 'hostile', provider_id, $2 FROM users WHERE email = 'provider@demo.test'",
    )
    .bind(apdir::auth::token_hash(token))
    .bind(apdir::db::now())
    .execute(&app.pool)
    .await
    .unwrap();
    for p in payloads() {
        let bodies = [
            serde_json::json!({ "date": p, "session": "am", "marks": [] }).to_string(),
            serde_json::json!({ "date": on, "session": p, "marks": [] }).to_string(),
            serde_json::json!({ "date": on, "session": "am", "marks": [{ "upn": p, "code": "/" }] })
                .to_string(),
            serde_json::json!({ "date": on, "session": "am", "marks": [{ "placement_id": 1, "code": p }] })
                .to_string(),
            p.clone(),
        ];
        for body in bodies {
            let r = app
                .client
                .post("/api/v1/registers")
                .header(ContentType::JSON)
                .header(Header::new("Authorization", format!("Bearer {token}")))
                .body(body.clone())
                .dispatch()
                .await;
            let status = r.status();
            let is_json = r.content_type() == Some(ContentType::JSON);
            let out = r.into_string().await.unwrap_or_default();
            let what = format!(
                "POST /api/v1/registers {:?}",
                body.chars().take(60).collect::<String>()
            );
            expect_4xx(&what, status, &out, &mut failures);
            if !is_json {
                failures.push(format!("{what}: API error is not JSON"));
            }
        }
        let r = app
            .client
            .get(format!("/api/v1/attendance?from={}", enc(&p)))
            .header(Header::new("Authorization", format!("Bearer {p}")))
            .dispatch()
            .await;
        let status = r.status();
        let out = r.into_string().await.unwrap_or_default();
        expect_4xx(
            &format!(
                "GET /api/v1/attendance bearer {:?}",
                p.chars().take(20).collect::<String>()
            ),
            status,
            &out,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attendance_marks").await,
        marks
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mark_changes").await,
        changes
    );
}

/// Forum posts: every payload is refused with a 4xx or stored as typed, and the thread page
/// never shows it as markup (the post is rendered from Markdown and sanitised).
#[rocket::async_test]
async fn forum_posts() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    let mut failures = Vec::new();
    for field in ["title", "body"] {
        for p in payloads() {
            let fields = with_field(&[("title", "A title"), ("body", "A post")], field, &p);
            let r = app.post_csrf("/forum/questions/new", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!("{field} {:?}", p.chars().take(30).collect::<String>());
            check_body(&what, status, &body, &mut failures);
            if status.code >= 500 {
                continue;
            }
            let trimmed = p.trim();
            let fine = !trimmed.is_empty()
                && !trimmed
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                && (field == "body" || trimmed.chars().count() <= 120);
            if fine != (status == Status::SeeOther) {
                failures.push(format!("{what}: got {status}"));
            }
        }
    }
    // The post a reply answers, an edit and a flag's reason: refused with a 4xx or taken as
    // typed, never a 500.
    let posts_before = app.count("SELECT COUNT(*) FROM forum_posts").await;
    for p in payloads() {
        let what = format!("reply_to {:?}", p.chars().take(30).collect::<String>());
        let r = app
            .post_csrf(
                "/forum/threads/2/reply",
                &[("body", "A reply"), ("reply_to", &p)],
            )
            .await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        check_body(&what, status, &body, &mut failures);
        if !p.trim().is_empty() && !(400..500).contains(&status.code) {
            failures.push(format!("{what}: got {status}, want a 4xx"));
        }
    }
    let blank_replies = payloads().iter().filter(|p| p.trim().is_empty()).count() as i64;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM forum_posts").await,
        posts_before + blank_replies,
        "only replies with no reply_to were stored"
    );
    for p in payloads() {
        let what = format!("edit {:?}", p.chars().take(30).collect::<String>());
        let r = app.post_csrf("/forum/posts/2/edit", &[("body", &p)]).await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        check_body(&what, status, &body, &mut failures);
    }
    app.logout().await;
    app.login("school@demo.test").await;
    for p in payloads() {
        let what = format!("flag reason {:?}", p.chars().take(30).collect::<String>());
        let r = app
            .post_csrf("/forum/posts/6/flag", &[("reason", &p)])
            .await;
        let status = r.status();
        let body = r.into_string().await.unwrap_or_default();
        check_body(&what, status, &body, &mut failures);
        if status.code >= 500 {
            failures.push(format!("{what}: got {status}"));
        }
    }
    // An administrator's category form: refused with a 4xx or stored as typed.
    app.logout().await;
    app.login("admin@demo.test").await;
    let category = [
        ("key", "hostile-checks"),
        ("name", "Hostile checks"),
        ("description", "Made by the hostile-input test."),
        ("sort_order", "9"),
        ("access[school]", "read"),
        ("access[provider]", "post"),
        ("access[progressions]", "post"),
        ("access[taskforce]", "read"),
        ("access[admin]", "post"),
    ];
    for field in ["key", "name", "description", "sort_order", "access[school]"] {
        for p in payloads() {
            let fields = with_field(&category, field, &p);
            let r = app.post_csrf("/admin/forum", &fields).await;
            let status = r.status();
            let body = r.into_string().await.unwrap_or_default();
            let what = format!(
                "category {field} {:?}",
                p.chars().take(30).collect::<String>()
            );
            check_body(&what, status, &body, &mut failures);
            if status.code >= 500 {
                failures.push(format!("{what}: got {status}"));
            }
        }
    }
    // Every thread shows its posts without running anything.
    let threads: Vec<i64> = sqlx::query_scalar("SELECT id FROM forum_threads")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for t in threads {
        let (status, html) = app.get(&format!("/forum/threads/{t}")).await;
        check_body(&format!("thread {t}"), status, &html, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
