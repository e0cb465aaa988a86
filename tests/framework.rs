//! The provider framework end to end: recording checks with evidence (checked by content,
//! size-limited, readable only by the council and the provider itself), the status they give,
//! suspension and what the public sees, concerns and their triage, and the nightly job.

mod common;

use apdir::framework;
use common::TestApp;
use rocket::http::{ContentType, Header, Status};

async fn post_check(
    app: &TestApp,
    slug: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (Status, String) {
    app.post_upload(
        &format!("/providers/{slug}/checks"),
        fields,
        file.map(|(name, bytes)| ("evidence", name, bytes)),
    )
    .await
}

async fn status_of(app: &TestApp, slug: &str) -> (String, String) {
    sqlx::query_as("SELECT dd_status, dd_reason FROM providers WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn type_id(app: &TestApp, key: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM check_types WHERE key = $1")
        .bind(key)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    id.to_string()
}

const PENDING: &str = "meadowhall-retail-and-enterprise-skills";

#[rocket::async_test]
async fn recording_the_missing_checks_approves_a_pending_provider() {
    let app = TestApp::with_demo().await;
    let (status, reason) = status_of(&app, PENDING).await;
    assert_eq!(status, "pending");
    assert!(reason.contains("4 of 11 checks are complete"), "{reason}");
    app.login("progressions@demo.test").await;
    let (s, page) = app.get(&format!("/providers/{PENDING}/checks")).await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Not yet checked"));
    let today = framework::today();
    let on = (today - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let cert_expiry = (today + chrono::Duration::days(200))
        .format("%Y-%m-%d")
        .to_string();
    let types: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT t.id, t.key, t.validity_months FROM check_types t WHERE t.required_non_school = $1 \
         AND NOT EXISTS (SELECT 1 FROM provider_checks c JOIN providers p ON p.id = c.provider_id \
         WHERE p.slug = $2 AND c.check_type_id = t.id) ORDER BY t.sort_order",
    )
    .bind(true)
    .bind(PENDING)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(types.len(), 7);
    let audit_before = app.audit_count("record").await;
    for (n, (id, key, validity)) in types.iter().enumerate() {
        let id = id.to_string();
        let mut fields = vec![
            ("check_type", id.as_str()),
            ("checked_on", on.as_str()),
            ("result", "passed"),
            ("notes", "Seen on a visit."),
        ];
        if validity.is_none() {
            fields.push(("expires_on", cert_expiry.as_str()));
        }
        let file = (n == 0).then_some((
            "DBS summary.pdf",
            b"%PDF-1.7\n%fake but well formed".as_slice(),
        ));
        let (s, body) = post_check(&app, PENDING, &fields, file).await;
        assert_eq!(s, Status::SeeOther, "{key}: {body}");
    }
    let (status, reason) = status_of(&app, PENDING).await;
    assert_eq!(status, "approved", "{reason}");
    assert_eq!(reason, "All required checks are passed and in date.");
    assert_eq!(app.audit_count("record").await, audit_before + 7);
    // Expiry from the type's validity: 12 months after the check.
    let expiry: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT c.expires_on FROM provider_checks c JOIN check_types t ON t.id = c.check_type_id \
         JOIN providers p ON p.id = c.provider_id WHERE p.slug = $1 AND t.key = 'policies'",
    )
    .bind(PENDING)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        expiry,
        (today - chrono::Duration::days(3))
            .checked_add_months(chrono::Months::new(12))
            .unwrap()
    );
    // The search index follows: "checks complete" now finds it.
    app.flush_index();
    let (_, body) = app
        .get("/api/v1/providers?approved=true&per_page=100")
        .await;
    assert!(body.contains("Meadowhall Retail"), "approved filter");

    // A failed check lapses it at once, with the reason.
    let vetting = type_id(&app, "staff_vetting").await;
    let (s, _) = post_check(
        &app,
        PENDING,
        &[
            ("check_type", &vetting),
            ("checked_on", &on),
            ("result", "failed"),
        ],
        None,
    )
    .await;
    assert_eq!(s, Status::SeeOther);
    let (status, reason) = status_of(&app, PENDING).await;
    assert_eq!(status, "lapsed");
    assert!(reason.starts_with("Staff vetting"), "{reason}");
}

#[rocket::async_test]
async fn evidence_is_checked_by_content_and_only_its_owners_may_read_it() {
    let app = TestApp::with_demo().await;
    app.login("progressions@demo.test").await;
    let slug = "steel-city-vocational-hub";
    let insurance = type_id(&app, "insurance").await;
    let today = framework::today();
    let on = today.format("%Y-%m-%d").to_string();
    let exp = (today + chrono::Duration::days(365))
        .format("%Y-%m-%d")
        .to_string();
    let fields = [
        ("check_type", insurance.as_str()),
        ("checked_on", on.as_str()),
        ("result", "passed"),
        ("expires_on", exp.as_str()),
    ];
    let checks_before = app.count("SELECT COUNT(*) FROM provider_checks").await;
    for (name, bytes, message) in [
        (
            "policy.pdf",
            b"<script>alert(1)</script>".to_vec(),
            "must be a PDF",
        ),
        ("policy.png", b"%PDF-1.4 real pdf".to_vec(), "name it .pdf"),
        ("empty.pdf", Vec::new(), ""),
    ] {
        let (s, body) = post_check(&app, slug, &fields, Some((name, &bytes))).await;
        if bytes.is_empty() {
            // An empty file input is "no file": the check is recorded without evidence.
            assert_eq!(s, Status::SeeOther);
            continue;
        }
        assert_eq!(s, Status::UnprocessableEntity, "{name}");
        assert!(body.contains(message), "{name}: {message}");
        assert!(body.contains("href=\"#evidence\""));
        assert!(!body.contains("<script>alert(1)"), "never reflected");
    }
    // Over the limit: refused before anything is written.
    let big = vec![b'%'; 10 * 1024 * 1024 + 10];
    let (s, body) = post_check(&app, slug, &fields, Some(("big.pdf", &big))).await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert!(body.contains("smaller than 10 MB"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_checks").await,
        checks_before + 1,
        "only the check without a file was written"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM check_evidence").await, 0);
    // A real PDF, stored outside the web root under a random name.
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
    let (s, _) = post_check(&app, slug, &fields, Some(("../../Insurance 2027.pdf", pdf))).await;
    assert_eq!(s, Status::SeeOther);
    let (id, name, stored): (i64, String, String) =
        sqlx::query_as("SELECT id, file_name, stored_name FROM check_evidence")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(name, "Insurance 2027.pdf", "path parts dropped");
    assert!(app.config.data_dir.join("evidence").join(&stored).exists());
    assert_eq!(
        app.get(&format!("/static/{stored}")).await.0,
        Status::NotFound
    );

    let r = app.get_response(&format!("/evidence/{id}")).await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(r.content_type(), Some(ContentType::PDF));
    assert!(r
        .headers()
        .get_one("Content-Disposition")
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.into_bytes().await.unwrap(), pdf.to_vec());
    app.logout().await;
    // The provider itself may read it; another provider's staff get "not found".
    app.login("provider@demo.test").await;
    assert_eq!(app.get(&format!("/evidence/{id}")).await.0, Status::Ok);
    app.logout().await;
    sqlx::query("UPDATE users SET provider_id = (SELECT id FROM providers WHERE slug = 'loxley-farm-school') WHERE email = 'provider@demo.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.login("provider@demo.test").await;
    assert_eq!(
        app.get(&format!("/evidence/{id}")).await.0,
        Status::NotFound
    );
    assert_eq!(
        app.get(&format!("/providers/{slug}/checks")).await.0,
        Status::NotFound
    );
    app.logout().await;
    app.login("school@demo.test").await;
    assert_eq!(
        app.get(&format!("/evidence/{id}")).await.0,
        Status::Forbidden
    );
    assert!(app.audit_count("download").await >= 2);
}

#[rocket::async_test]
async fn suspension_stops_placements_and_shows_publicly_without_the_reason() {
    let app = TestApp::with_demo().await;
    let slug = "don-valley-motor-skills";
    assert_eq!(status_of(&app, slug).await.0, "approved");
    app.login("progressions@demo.test").await;
    let r = app
        .post_csrf(&format!("/providers/{slug}/suspend"), &[("reason", "")])
        .await;
    assert_eq!(
        r.status(),
        Status::UnprocessableEntity,
        "a reason is required"
    );
    let r = app
        .post_csrf(
            &format!("/providers/{slug}/suspend"),
            &[(
                "reason",
                "Allegation about a member of staff under investigation",
            )],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, slug).await.0, "suspended");
    assert_eq!(app.audit_count("suspend").await, 1);
    // Its staff are told.
    let told = app
        .count("SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'provider@demo.test' AND n.kind = 'provider_suspension'")
        .await;
    assert_eq!(told, 0, "provider@demo.test works elsewhere");
    app.logout().await;

    app.flush_index();
    let (_, public) = app.get(&format!("/providers/{slug}")).await;
    assert!(public.contains("not taking new placements"));
    assert!(!public.contains("Allegation"), "no details in public");
    let (_, api) = app.get("/api/v1/providers?q=motor").await;
    assert!(api.contains("\"due_diligence\":\"suspended\""));
    assert!(!api.contains("Allegation"));
    let (_, approved) = app
        .get("/api/v1/providers?approved=true&per_page=100")
        .await;
    assert!(
        !approved.contains("Don Valley Motor Skills"),
        "not among approved"
    );
    // The gate refuses it, with the reason in words.
    let (reg, st, reason): (String, String, String) =
        sqlx::query_as("SELECT registration, dd_status, dd_reason FROM providers WHERE slug = $1")
            .bind(slug)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let status = apdir::domain::due_diligence::DdStatus::parse(&st).unwrap();
    let refused = apdir::domain::due_diligence::placement_gate(
        "Don Valley Motor Skills",
        &reg,
        status,
        &reason,
    )
    .unwrap_err();
    assert!(refused.contains("suspended"), "{refused}");

    app.login("progressions@demo.test").await;
    let r = app
        .post_csrf(&format!("/providers/{slug}/reinstate"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, slug).await.0, "approved");
    assert_eq!(app.audit_count("reinstate").await, 1);
}

#[rocket::async_test]
async fn a_family_raises_a_safeguarding_concern_and_the_team_triages_it() {
    let app = TestApp::with_demo().await;
    let (s, form) = app.get("/concerns/new?provider=loxley-farm-school").await;
    assert_eq!(s, Status::Ok);
    assert!(form.contains("call 999"));
    // Problems first: nothing is written.
    let r = app
        .post_csrf(
            "/concerns",
            &[("provider", "nope"), ("category", "bad"), ("details", "")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap();
    for anchor in ["#provider", "#category-1", "#details"] {
        assert!(html.contains(&format!("href=\"{anchor}\"")), "{anchor}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM concerns").await, 0);
    let r = app
        .post_csrf(
            "/concerns",
            &[
                ("provider", "loxley-farm-school"),
                ("category", "safeguarding"),
                (
                    "details",
                    "My son says a volunteer messages pupils on social media.",
                ),
                ("name", "A parent"),
                ("contact", "0114 496 0999"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::Ok);
    let html = r.into_string().await.unwrap();
    assert!(html.contains("Your reference is <strong>C1</strong>"));
    let (kind, severity, status): (String, String, String) =
        sqlx::query_as("SELECT raiser_kind, severity, status FROM concerns")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), severity.as_str(), status.as_str()),
        ("family", "high", "open")
    );
    // The team hears at once, and cannot have turned it off.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications WHERE kind = 'safeguarding_concern'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'safeguarding_concern'")
            .await,
        1
    );

    // Schools and providers cannot read concerns.
    app.login("school@demo.test").await;
    assert_eq!(app.get("/concerns").await.0, Status::Forbidden);
    assert_eq!(app.get("/concerns/1").await.0, Status::Forbidden);
    app.logout().await;

    app.login("progressions@demo.test").await;
    let (_, list) = app.get("/concerns").await;
    assert!(list.contains("Loxley Farm School"));
    let (_, page) = app.get("/concerns/1").await;
    assert!(page.contains("volunteer messages pupils"));
    assert!(page.contains("0114 496 0999"));
    let owner: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'progressions@demo.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let owner = owner.to_string();
    let r = app
        .post_csrf(
            "/concerns/1",
            &[
                ("status", "escalated"),
                ("severity", "critical"),
                ("owner", owner.as_str()),
                ("note", "Referred to the LADO."),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let r = app
        .post_csrf(
            "/concerns/1",
            &[
                ("status", "closed"),
                ("severity", "critical"),
                ("owner", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity, "unknown status");
    let (_, page) = app.get("/concerns/1").await;
    assert!(page.contains("Status open → escalated; Severity high → critical; Owner →"));
    assert!(page.contains("Referred to the LADO."));
    assert_eq!(app.count("SELECT COUNT(*) FROM concern_events").await, 2);
    assert_eq!(app.audit_count("raise").await, 1);
    assert_eq!(app.audit_count("update").await, 1);
    let (_, dash) = app.get("/due-diligence").await;
    assert!(dash.contains("critical: 1"));
}

#[rocket::async_test]
async fn the_nightly_job_lapses_expired_checks_and_reminds_once() {
    let app = TestApp::with_demo().await;
    let slug = "kelham-island-creative-arts";
    let (status, reason) = status_of(&app, slug).await;
    assert_eq!(status, "expiring", "{reason}");
    assert!(reason.starts_with("Insurance"), "{reason}");
    let first = framework::nightly(&app.pool, &app.config).await.unwrap();
    assert!(first.contains("expiry reminders sent"), "{first}");
    let reminders = app.count("SELECT COUNT(*) FROM check_reminders").await;
    assert!(reminders >= 1);
    let notes = app
        .count("SELECT COUNT(*) FROM notifications WHERE kind = 'due_diligence'")
        .await;
    // Again the same day: nothing new.
    framework::nightly(&app.pool, &app.config).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM check_reminders").await,
        reminders
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notifications WHERE kind = 'due_diligence'")
            .await,
        notes
    );
    // Time passes (the expiry date arrives): the job lapses the provider, with the reason.
    sqlx::query(
        "UPDATE provider_checks SET expires_on = $1 WHERE id = (SELECT c.id FROM provider_checks c \
         JOIN providers p ON p.id = c.provider_id JOIN check_types t ON t.id = c.check_type_id \
         WHERE p.slug = $2 AND t.key = 'insurance')",
    )
    .bind(framework::today())
    .bind(slug)
    .execute(&app.pool)
    .await
    .unwrap();
    framework::nightly(&app.pool, &app.config).await.unwrap();
    let (status, reason) = status_of(&app, slug).await;
    assert_eq!(status, "lapsed");
    assert!(reason.contains("expired on"), "{reason}");
    assert!(
        app.count("SELECT COUNT(*) FROM check_reminders WHERE stage = 'lapsed'")
            .await
            >= 1
    );
}

#[rocket::async_test]
async fn the_demo_statuses_come_from_its_checks() {
    let app = TestApp::with_demo().await;
    for (slug, want) in [
        ("steel-city-vocational-hub", "approved"),
        ("kelham-island-creative-arts", "expiring"),
        ("forge-construction-skills", "lapsed"),
        ("tinsley-sports-futures", "suspended"),
        (PENDING, "pending"),
        ("greenhill-therapeutic-school", "approved"),
    ] {
        let (status, reason) = status_of(&app, slug).await;
        assert_eq!(status, want, "{slug}: {reason}");
    }
    // A registered school needs only its legal status, insurance and contract checks.
    let n = app
        .count("SELECT COUNT(*) FROM provider_checks c JOIN providers p ON p.id = c.provider_id WHERE p.slug = 'greenhill-therapeutic-school'")
        .await;
    assert_eq!(n, 3);
}

#[rocket::async_test]
async fn a_quality_visit_is_scored_and_the_provider_answers_its_actions() {
    let app = TestApp::with_demo().await;
    let slug = "steel-city-vocational-hub";
    app.login("progressions@demo.test").await;
    let today = framework::today();
    let on = today.format("%Y-%m-%d").to_string();
    let past = (today - chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let visits_before = app.count("SELECT COUNT(*) FROM quality_visits").await;
    let actions_before = app.count("SELECT COUNT(*) FROM visit_actions").await;
    // Problems are listed field by field; nothing is written.
    let r = app
        .post_csrf(
            &format!("/providers/{slug}/visits"),
            &[
                ("kind", "picnic"),
                ("visit_date", "tomorrow"),
                ("score_safeguarding", "5"),
                ("actions[0].action", "Update the fire risk assessment"),
                ("actions[0].owner", ""),
                ("actions[0].due_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap();
    for anchor in [
        "#kind-1",
        "#visit_date",
        "#score_safeguarding-1",
        "#score_education-1",
        "#actions-0-owner",
        "#actions-0-due_on",
    ] {
        assert!(html.contains(&format!("href=\"{anchor}\"")), "{anchor}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM quality_visits").await,
        visits_before
    );
    let r = app
        .post_csrf(
            &format!("/providers/{slug}/visits"),
            &[
                ("kind", "annual_qa"),
                ("visit_date", on.as_str()),
                ("score_safeguarding", "4"),
                ("score_health_safety", "2"),
                ("score_admissions", "3"),
                ("score_education", "3"),
                ("strengths", "Warm relationships; clear routines."),
                ("improvements", "Fire drills are not logged."),
                ("pupil_voice", "Pupils said they feel listened to."),
                ("actions[0].action", "Log every fire drill"),
                ("actions[0].owner", "Centre manager"),
                ("actions[0].due_on", past.as_str()),
                ("actions[1].action", ""),
                ("actions[1].owner", ""),
                ("actions[1].due_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM visit_actions").await,
        actions_before + 1
    );
    assert_eq!(app.audit_count("record").await, 1);
    let (_, dash) = app.get("/due-diligence").await;
    assert!(
        dash.contains("Log every fire drill"),
        "overdue on the dashboard"
    );
    app.logout().await;

    app.login("provider@demo.test").await;
    let (s, page) = app.get(&format!("/providers/{slug}/visits")).await;
    assert_eq!(s, Status::Ok);
    assert!(page
        .contains("Health and safety</dt><dd class=\"summary-list__value\">Developing (2 of 4)"));
    assert!(page.contains("Overdue."));
    let action: i64 =
        sqlx::query_scalar("SELECT id FROM visit_actions WHERE action = 'Log every fire drill'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let r = app
        .post_csrf(
            &format!("/visit-actions/{action}/respond"),
            &[("response", "")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(
            &format!("/visit-actions/{action}/respond"),
            &[("response", "A log book is now by the fire panel.")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    // Providers cannot close actions, nor answer another provider's.
    assert_eq!(
        app.post_csrf(&format!("/visit-actions/{action}/complete"), &[])
            .await
            .status(),
        Status::Forbidden
    );
    app.logout().await;
    sqlx::query("UPDATE users SET provider_id = (SELECT id FROM providers WHERE slug = 'loxley-farm-school') WHERE email = 'provider@demo.test'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.login("provider@demo.test").await;
    assert_eq!(
        app.post_csrf(
            &format!("/visit-actions/{action}/respond"),
            &[("response", "Not ours")]
        )
        .await
        .status(),
        Status::NotFound
    );
    assert_eq!(
        app.get(&format!("/providers/{slug}/visits")).await.0,
        Status::NotFound
    );
    app.logout().await;

    app.login("progressions@demo.test").await;
    let (_, page) = app.get(&format!("/providers/{slug}/visits")).await;
    assert!(page.contains("A log book is now by the fire panel."));
    let r = app
        .post_csrf(&format!("/visit-actions/{action}/complete"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, dash) = app.get("/due-diligence").await;
    assert!(!dash.contains("Log every fire drill"));
    assert_eq!(app.audit_count("respond").await, 1);
    assert_eq!(app.audit_count("complete").await, 1);
}

#[rocket::async_test]
async fn framework_membership_puts_a_provider_on_the_framework() {
    let app = TestApp::with_demo().await;
    let slug = "meadowhall-retail-and-enterprise-skills";
    let on: bool =
        sqlx::query_scalar("SELECT on_framework FROM providers WHERE slug = 'loxley-farm-school'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(on, "demo framework members are on the framework");
    let outside: i64 =
        sqlx::query_scalar("SELECT id FROM providers WHERE on_framework = $1 ORDER BY id LIMIT 1")
            .bind(false)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let outside_slug: String = sqlx::query_scalar("SELECT slug FROM providers WHERE id = $1")
        .bind(outside)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.login("progressions@demo.test").await;
    let (s, page) = app.get("/framework").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Approved Provider Framework 2025 to 2028"));
    let round: i64 = sqlx::query_scalar("SELECT id FROM framework_rounds")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app
        .post_csrf(
            &format!("/framework/rounds/{round}/members"),
            &[
                ("provider", outside_slug.as_str()),
                ("lot", "both"),
                ("contract_signed_on", "2026-11-01"),
                ("contract_ends_on", "2028-08-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (on, lot): (bool, Option<String>) =
        sqlx::query_as("SELECT on_framework, framework_lot FROM providers WHERE id = $1")
            .bind(outside)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((on, lot.as_deref()), (true, Some("both")));
    app.flush_index();
    let (_, api) = app
        .get("/api/v1/providers?framework=true&per_page=100")
        .await;
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert!(v["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == outside));
    // Bad input is refused and changes nothing.
    for fields in [
        vec![("provider", "no-such-provider"), ("lot", "both")],
        vec![("provider", slug), ("lot", "middle")],
        vec![
            ("provider", slug),
            ("lot", "both"),
            ("contract_signed_on", "2027-01-01"),
            ("contract_ends_on", "2026-01-01"),
        ],
    ] {
        let r = app
            .post_csrf(&format!("/framework/rounds/{round}/members"), &fields)
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{fields:?}");
    }
    let r = app
        .post_csrf(
            &format!("/framework/rounds/{round}/members/{outside}/remove"),
            &[],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let on: bool = sqlx::query_scalar("SELECT on_framework FROM providers WHERE id = $1")
        .bind(outside)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!on);
    let r = app
        .post_csrf(
            "/framework/rounds",
            &[
                ("name", "Next round"),
                ("starts_on", "2028-09-01"),
                ("ends_on", "2028-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(
            "/framework/rounds",
            &[
                ("name", "Next round"),
                ("starts_on", "2028-09-01"),
                ("ends_on", "2031-08-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(app.audit_count("admit").await, 1);
    assert_eq!(app.audit_count("remove").await, 1);
}

#[rocket::async_test]
async fn an_admin_changes_what_is_required_and_statuses_follow() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let (s, page) = app.get("/admin/check-types").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Insurance"));
    let before = app.count("SELECT COUNT(*) FROM check_types").await;
    for (field, value) in [("validity_months", "0"), ("theme", "vibes"), ("name", "")] {
        let mut fields = vec![
            ("name", "Fire safety certificate"),
            ("theme", "health_safety"),
            ("evidence", "Certificate"),
            ("validity_months", "12"),
            ("non_school", "true"),
        ];
        for f in fields.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let r = app.post_csrf("/admin/check-types", &fields).await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{field}={value}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM check_types").await, before);
    // A new required check: non-school providers now lack it, so they are pending.
    let r = app
        .post_csrf(
            "/admin/check-types",
            &[
                ("name", "Fire safety certificate"),
                ("theme", "health_safety"),
                ("evidence", "Certificate"),
                ("validity_months", "12"),
                ("non_school", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (status, reason) = status_of(&app, "steel-city-vocational-hub").await;
    assert_eq!(status, "pending");
    assert!(reason.contains("of 12 checks"), "{reason}");
    let (status, _) = status_of(&app, "greenhill-therapeutic-school").await;
    assert_eq!(status, "approved", "not required of a registered school");
    // Retiring it restores them.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM check_types WHERE name = 'Fire safety certificate'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let id = id.to_string();
    let r = app
        .post_csrf(
            "/admin/check-types",
            &[
                ("id", id.as_str()),
                ("name", "Fire safety certificate"),
                ("theme", "health_safety"),
                ("evidence", "Certificate"),
                ("validity_months", "12"),
                ("non_school", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        status_of(&app, "steel-city-vocational-hub").await.0,
        "approved"
    );
    assert_eq!(app.audit_count("save").await, 2);
    app.logout().await;
    app.login("provider@demo.test").await;
    let r = app.get_response("/provider/checks").await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        r.headers().get_one("Location"),
        Some("/providers/steel-city-vocational-hub/checks")
    );
}

#[rocket::async_test]
async fn the_public_concern_form_is_limited_per_address() {
    let app = TestApp::with_demo().await;
    let send = |ip: &'static str| {
        let app = &app;
        async move {
            let token = app.csrf().await;
            let body = common::encode(&[
                ("csrf_token", token.as_str()),
                ("provider", "loxley-farm-school"),
                ("category", "quality"),
                ("details", "Lessons often start late."),
            ]);
            app.client
                .post("/concerns")
                .header(ContentType::Form)
                .header(Header::new("Sec-Fetch-Site", "same-origin"))
                .remote(format!("{ip}:40000").parse().unwrap())
                .body(body)
                .dispatch()
                .await
                .status()
        }
    };
    for _ in 0..5 {
        assert_eq!(send("203.0.113.9").await, Status::Ok);
    }
    assert_eq!(send("203.0.113.9").await, Status::TooManyRequests);
    assert_eq!(send("198.51.100.7").await, Status::Ok, "another address");
    assert_eq!(app.count("SELECT COUNT(*) FROM concerns").await, 6);
}
