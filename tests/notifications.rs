//! Notifications end to end: raised by the product, into the inbox, by preference to email
//! (over a real SMTP conversation) or the daily digest; one-click unsubscribe; the durable
//! outbox across a restart; the job runner's schedule in Europe/London.

mod common;

use apdir::db::{self, outbox};
use apdir::notify::mail::Transport;
use apdir::notify::runner;
use chrono::{TimeZone, Utc};
use common::smtp::SmtpSink;
use common::TestApp;
use rocket::http::Status;

async fn smtp_app(sink: &SmtpSink) -> TestApp {
    let port = sink.port;
    TestApp::with_demo_config(move |c| {
        c.mail_transport = "smtp".into();
        c.smtp_host = "127.0.0.1".into();
        c.smtp_port = port;
        c.smtp_tls = "none".into();
        c.public_url = "https://ap.example.gov.uk".into();
        c.mail_from = "Sheffield AP Directory <ap-directory@sheffield.example.gov.uk>".into();
    })
    .await
}

async fn send(app: &TestApp) -> usize {
    let transport = Transport::from_config(&app.config).expect("transport");
    runner::send_due(&app.pool, &app.config, &transport, db::now())
        .await
        .expect("send")
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn inbox_count(app: &TestApp, email: &str) -> i64 {
    let id = user_id(app, email).await;
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

const PROFILE: [(&str, &str); 2] = [
    ("name", "Steel City Vocational Hub"),
    ("summary", "A changed summary, sent for approval."),
];

#[rocket::async_test]
async fn a_profile_submission_reaches_the_inbox_and_arrives_by_smtp() {
    let sink = SmtpSink::start();
    let app = smtp_app(&sink).await;
    app.login("provider@demo.test").await;
    let r = app.post_csrf("/provider/profile", &PROFILE).await;
    assert_eq!(r.status(), Status::SeeOther);
    app.logout().await;

    assert_eq!(inbox_count(&app, "progressions@demo.test").await, 1);
    assert_eq!(inbox_count(&app, "provider@demo.test").await, 0);
    app.login("progressions@demo.test").await;
    let (_, home) = app.get("/").await;
    assert!(
        home.contains("count-badge\">1<"),
        "unread count in the header"
    );
    let (status, inbox) = app.get("/notifications").await;
    assert_eq!(status, Status::Ok);
    assert!(inbox.contains("Steel City Vocational Hub has sent changes to its profile"));

    assert_eq!(send(&app).await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.to, vec!["progressions@demo.test".to_string()]);
    assert!(m.from.contains("ap-directory@sheffield.example.gov.uk"));
    let subject = m.header("Subject").unwrap();
    assert!(
        subject.contains("Profile changes waiting for approval"),
        "{subject}"
    );
    let stored: String = sqlx::query_scalar("SELECT message_id FROM mail_outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(m.header("Message-ID").as_deref(), Some(stored.as_str()));
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    assert!(m
        .header("List-Unsubscribe")
        .unwrap()
        .starts_with("<https://ap.example.gov.uk/unsubscribe/"));
    assert_eq!(
        m.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        m.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert!(m.data.contains("https://ap.example.gov.uk/approvals"));
    assert!(m.data.contains("Sheffield City Council"));
    assert!(
        m.data.contains("text/html"),
        "an HTML part as well as plain text"
    );
    // The mail says there is something to see, not what it is.
    assert!(!m.data.contains("A changed summary"));
    let status: String = sqlx::query_scalar("SELECT status FROM mail_outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");

    // Opening marks it read and goes to the queue.
    let id: i64 = sqlx::query_scalar("SELECT id FROM notifications")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app
        .post_csrf(&format!("/notifications/{id}/open"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(r.headers().get_one("Location"), Some("/approvals"));
    let (_, home) = app.get("/").await;
    assert!(!home.contains("count-badge"));
}

#[rocket::async_test]
async fn emails_never_carry_pupil_data() {
    let sink = SmtpSink::start();
    let app = smtp_app(&sink).await;
    let (school_id, first, last, upn): (i64, String, String, String) = sqlx::query_as(
        "SELECT p.home_school_id, p.legal_forename, p.legal_surname, p.upn FROM pupils p \
         JOIN users u ON u.school_id = p.home_school_id WHERE u.email = 'school@demo.test' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A capability may name a pupil in the inbox (the recipients may see the pupil)...
    let notice = apdir::notify::Notice::new(
        apdir::domain::NoticeKind::CouncilNotice,
        apdir::db::notifications::Recipient::School(school_id),
        &format!("{first} {last} ({upn}) was absent this morning."),
        "/pupils",
    )
    .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let raised = apdir::notify::raise(&mut tx, &app.config, &notice)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(raised.emailed >= 1);
    assert_eq!(send(&app).await, raised.emailed);
    // ...but no email says it.
    for m in sink.received() {
        for secret in [&first, &last, &upn] {
            assert!(
                !m.data.contains(secret.as_str()),
                "{secret} leaked into an email"
            );
        }
    }
}

#[rocket::async_test]
async fn preferences_route_to_the_digest_or_nowhere_and_safeguarding_cannot_be_turned_off() {
    let sink = SmtpSink::start();
    let app = smtp_app(&sink).await;
    app.login("progressions@demo.test").await;
    let (status, page) = app.get("/notifications/preferences").await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("Profile changes waiting for approval"));
    assert!(
        !page.contains("Decisions on your profile changes"),
        "only the role's kinds"
    );
    assert!(
        !page.contains("id=\"mode-safeguarding_notice-3\""),
        "no 'off' for safeguarding"
    );

    // Off for safeguarding is refused, and nothing else in the form is saved either.
    let r = app
        .post_csrf(
            "/notifications/preferences",
            &[
                ("mode[profile_submitted]", "digest"),
                ("mode[safeguarding_notice]", "off"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r
        .into_string()
        .await
        .unwrap()
        .contains("Safeguarding notices cannot be turned off"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notification_prefs").await,
        0
    );
    for (field, value) in [
        ("mode[profile_submitted]", "sometimes"),
        ("mode[nonsense]", "digest"),
        ("mode[profile_decided]", "digest"),
    ] {
        let r = app
            .post_csrf("/notifications/preferences", &[(field, value)])
            .await;
        assert!(
            r.status().code >= 400 && r.status().code < 500,
            "{field}={value}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notification_prefs").await,
        0
    );

    let r = app
        .post_csrf(
            "/notifications/preferences",
            &[
                ("mode[profile_submitted]", "digest"),
                ("mode[council_notice]", "off"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    // A council notice (off) and a safeguarding notice (cannot be off) to the team.
    for (safeguarding, text) in [
        ("", "Training on Friday."),
        ("true", "A safeguarding alert."),
    ] {
        let r = app
            .post_csrf(
                "/notices",
                &[
                    ("audience", "progressions"),
                    ("message", text),
                    ("safeguarding", safeguarding),
                ],
            )
            .await;
        assert_eq!(r.status(), Status::SeeOther, "{text}");
    }
    app.logout().await;
    app.login("provider@demo.test").await;
    assert_eq!(
        app.post_csrf("/provider/profile", &PROFILE).await.status(),
        Status::SeeOther
    );
    app.logout().await;

    assert_eq!(
        inbox_count(&app, "progressions@demo.test").await,
        3,
        "all three in the inbox"
    );
    assert_eq!(
        send(&app).await,
        1,
        "only the safeguarding notice is emailed now"
    );
    let subjects: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|m| m.header("Subject"))
        .collect();
    assert!(subjects[0].contains("Safeguarding notices"), "{subjects:?}");
    assert!(sink.received()[0].header("List-Unsubscribe").is_none());

    // The digest job: not before its time (07:00 London), then once that day.
    let morning = |h, m| Utc.with_ymd_and_hms(2026, 7, 1, h, m, 0).unwrap();
    // 05:59 UTC is 06:59 in London (BST).
    let ran = runner::run_due_jobs(&app.pool, &app.config, morning(5, 59))
        .await
        .unwrap();
    assert!(ran.iter().all(|(j, _)| j != "daily-digest"), "{ran:?}");
    let ran = runner::run_due_jobs(&app.pool, &app.config, morning(6, 1))
        .await
        .unwrap();
    assert!(
        ran.iter()
            .any(|(j, o)| j == "daily-digest" && o == "1 digest email queued"),
        "{ran:?}"
    );
    // 08:00 UTC is 09:00 in London: before the registers' 10:00 cut-off.
    let again = runner::run_due_jobs(&app.pool, &app.config, morning(8, 0))
        .await
        .unwrap();
    assert!(again.is_empty(), "a job runs once a day: {again:?}");
    // The digest, and (from the nightly due-diligence job) expiry reminders for the demo's
    // expiring providers.
    assert!(send(&app).await >= 1);
    let digests: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("Your daily summary"))
        })
        .collect();
    assert_eq!(digests.len(), 1);
    let digest = digests[0].clone();
    assert!(digest
        .header("Subject")
        .unwrap()
        .contains("Your daily summary: 1 new notification"));
    assert!(digest
        .data
        .contains("Profile changes waiting for approval: 1"));
    assert!(
        !digest.data.contains("Training on Friday"),
        "off means the inbox only"
    );
    // Listed once: the next day's digest has nothing for this user.
    assert_eq!(
        apdir::notify::send_digests(&app.pool, &app.config)
            .await
            .unwrap(),
        0
    );
}

#[rocket::async_test]
async fn winter_time_moves_the_job_with_london() {
    let app = TestApp::with_demo_config(|_| {}).await;
    // In January London is on GMT: 06:59 UTC is 06:59 local, before the 07:00 digest.
    let jan = |h, m| Utc.with_ymd_and_hms(2027, 1, 15, h, m, 0).unwrap();
    let ran = runner::run_due_jobs(&app.pool, &app.config, jan(6, 59))
        .await
        .unwrap();
    assert!(ran.iter().all(|(j, _)| j != "daily-digest"));
    let ran = runner::run_due_jobs(&app.pool, &app.config, jan(7, 0))
        .await
        .unwrap();
    assert!(ran.iter().any(|(j, _)| j == "daily-digest"));
    let day: String =
        sqlx::query_scalar("SELECT run_date FROM job_runs WHERE job = 'daily-digest'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(day, "2027-01-15");
}

#[rocket::async_test]
async fn one_click_unsubscribe_turns_off_one_kind_without_signing_in() {
    let sink = SmtpSink::start();
    let app = smtp_app(&sink).await;
    app.login("progressions@demo.test").await;
    let r = app
        .post_csrf(
            "/notices",
            &[
                ("audience", "providers"),
                ("message", "Forum opens next week."),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    app.logout().await;
    assert!(send(&app).await >= 1);
    let m = sink
        .received()
        .into_iter()
        .find(|m| m.to == vec!["provider@demo.test".to_string()])
        .unwrap();
    let url = m.header("List-Unsubscribe").unwrap();
    let path = url
        .trim_matches(|c| c == '<' || c == '>')
        .trim_start_matches("https://ap.example.gov.uk")
        .to_string();
    assert!(path.starts_with("/unsubscribe/"));
    let (status, page) = app.get(&path).await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("Stop emails about “Notices from the council”?"));
    // What a mail client sends for one click: no cookie, no CSRF token.
    let r = app
        .client
        .post(path.as_str())
        .header(rocket::http::ContentType::Form)
        .body("List-Unsubscribe=One-Click")
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Ok);
    let provider = user_id(&app, "provider@demo.test").await;
    let mode: String = sqlx::query_scalar(
        "SELECT mode FROM notification_prefs WHERE user_id = $1 AND kind = 'council_notice'",
    )
    .bind(provider)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mode, "off");
    assert_eq!(app.audit_count("unsubscribe").await, 1);
    for bad in [
        "/unsubscribe/not-a-token",
        "/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(app.get(bad).await.0, Status::NotFound, "{bad}");
    }
}

#[rocket::async_test]
async fn a_restart_mid_send_loses_nothing_and_records_each_mail_once() {
    let sink = SmtpSink::start();
    let app = smtp_app(&sink).await;
    app.login("progressions@demo.test").await;
    for i in 0..2 {
        let r = app
            .post_csrf(
                "/notices",
                &[
                    ("audience", "everyone"),
                    ("message", &format!("Notice {i}")),
                ],
            )
            .await;
        assert_eq!(r.status(), Status::SeeOther);
    }
    let queued = app.count("SELECT COUNT(*) FROM mail_outbox").await;
    assert!(queued >= 8, "{queued}");
    let transport = Transport::from_config(&app.config).unwrap();
    let now = db::now();
    // The sender claims three mails and dies: two before sending, one after sending but
    // before recording it.
    let a = outbox::claim(&app.pool, now).await.unwrap().unwrap();
    let b = outbox::claim(&app.pool, now).await.unwrap().unwrap();
    let c = outbox::claim(&app.pool, now).await.unwrap().unwrap();
    let message = apdir::notify::mail::build(&app.config, &c).unwrap();
    transport.send(c.id, &message).await.unwrap();
    assert_eq!(sink.received().len(), 1);
    let _ = (a, b);

    // Restarted before the lease is up: the abandoned claims wait; the rest go.
    let sent = runner::send_due(&app.pool, &app.config, &transport, now)
        .await
        .unwrap();
    assert_eq!(sent as i64, queued - 3);
    // After the lease, the three are taken again.
    let later = now + outbox::lease() + chrono::Duration::seconds(1);
    let sent = runner::send_due(&app.pool, &app.config, &transport, later)
        .await
        .unwrap();
    assert_eq!(sent, 3);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM mail_outbox").await,
        queued,
        "recorded once each"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mail_outbox WHERE status = 'sent'")
            .await,
        queued
    );
    let ids: Vec<String> = sqlx::query_scalar("SELECT message_id FROM mail_outbox")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let received: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .collect();
    for id in &ids {
        assert!(received.contains(id), "{id} lost");
    }
    // At least once: the one sent just before the crash arrived twice, as the same message.
    assert_eq!(received.len() as i64, queued + 1);
    let mut distinct = received.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len() as i64, queued);
}

#[rocket::async_test]
async fn failed_sends_back_off_then_wait_for_an_admin() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::with_demo_config(move |c| {
        c.mail_transport = "smtp".into();
        c.smtp_host = "127.0.0.1".into();
        c.smtp_port = closed;
        c.smtp_tls = "none".into();
    })
    .await;
    app.login("progressions@demo.test").await;
    app.post_csrf(
        "/notices",
        &[("audience", "taskforce"), ("message", "Report ready.")],
    )
    .await;
    app.logout().await;
    let transport = Transport::from_config(&app.config).unwrap();
    let mut now = db::now();
    for attempt in 1..=outbox::MAX_ATTEMPTS {
        let sent = runner::send_due(&app.pool, &app.config, &transport, now)
            .await
            .unwrap();
        assert_eq!(sent, 0);
        let (status, attempts, next): (String, i64, chrono::DateTime<Utc>) =
            sqlx::query_as("SELECT status, attempts, next_attempt_at FROM mail_outbox")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(attempts, attempt);
        if attempt < outbox::MAX_ATTEMPTS {
            assert_eq!(status, "queued");
            assert!(next > now, "backs off");
            // Not retried before its time.
            assert_eq!(
                runner::send_due(&app.pool, &app.config, &transport, now)
                    .await
                    .unwrap(),
                0
            );
            let after: i64 = app.count("SELECT attempts FROM mail_outbox").await;
            assert_eq!(after, attempt);
            now = next;
        } else {
            assert_eq!(status, "failed");
        }
    }
    app.login("admin@demo.test").await;
    let (status, page) = app.get("/admin/mail?status=failed").await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("taskforce@demo.test"));
    assert_eq!(
        app.get("/admin/mail?status=bogus").await.0,
        Status::BadRequest
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM mail_outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app.post_csrf(&format!("/admin/mail/{id}/retry"), &[]).await;
    assert_eq!(r.status(), Status::SeeOther);
    let (status, attempts): (String, i64) =
        sqlx::query_as("SELECT status, attempts FROM mail_outbox")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 0));
}

#[rocket::async_test]
async fn in_demo_mode_mail_is_written_to_the_outbox_folder() {
    let app = TestApp::with_demo_config(|_| {}).await;
    assert_eq!(app.config.mail_transport, "folder");
    app.login("progressions@demo.test").await;
    app.post_csrf(
        "/notices",
        &[("audience", "schools"), ("message", "Hello schools.")],
    )
    .await;
    let queued = app.count("SELECT COUNT(*) FROM mail_outbox").await;
    assert!(queued >= 1);
    assert_eq!(send(&app).await as i64, queued);
    let files: Vec<_> = std::fs::read_dir(app.config.data_dir.join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len() as i64, queued);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("Notices from the council"));
    app.logout().await;
    app.login("admin@demo.test").await;
    let (_, page) = app.get("/admin/mail").await;
    assert!(page.contains("Written as files to"));
    assert!(page.contains("school@demo.test"));
}

#[rocket::async_test]
async fn the_inbox_is_each_users_own() {
    let app = TestApp::with_demo_config(|_| {}).await;
    app.login("progressions@demo.test").await;
    app.post_csrf(
        "/notices",
        &[("audience", "schools"), ("message", "For schools only.")],
    )
    .await;
    let (_, own) = app.get("/notifications").await;
    assert!(!own.contains("For schools only."));
    let theirs: i64 = sqlx::query_scalar("SELECT MIN(id) FROM notifications")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app
        .post_csrf(&format!("/notifications/{theirs}/open"), &[])
        .await;
    assert_eq!(r.status(), Status::NotFound, "another user's notification");
    app.logout().await;
    app.login("school@demo.test").await;
    let (_, inbox) = app.get("/notifications").await;
    assert!(inbox.contains("For schools only."));
    assert!(inbox.contains("Mark all as read"));
    let r = app.post_csrf("/notifications/read-all", &[]).await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, inbox) = app.get("/notifications").await;
    assert!(!inbox.contains("Mark all as read"));
    assert_eq!(app.get("/notifications?page=9").await.0, Status::BadRequest);
    // Only council staff send notices.
    assert_eq!(app.get("/notices/new").await.0, Status::Forbidden);
    let r = app
        .post_csrf("/notices", &[("audience", "everyone"), ("message", "Hi")])
        .await;
    assert_eq!(r.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_notice_with_problems_is_refused_whole() {
    let app = TestApp::with_demo_config(|_| {}).await;
    app.login("admin@demo.test").await;
    let (status, _) = app.get("/notices/new").await;
    assert_eq!(status, Status::Ok);
    let r = app
        .post_csrf("/notices", &[("audience", "aliens"), ("message", "")])
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap();
    assert!(html.contains("href=\"#audience-1\""));
    assert!(html.contains("href=\"#message\""));
    let r = app
        .post_csrf(
            "/notices",
            &[
                ("audience", "everyone"),
                ("message", "x"),
                ("safeguarding", "maybe"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::BadRequest);
    assert_eq!(app.count("SELECT COUNT(*) FROM notifications").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_outbox").await, 0);
}
