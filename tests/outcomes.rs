//! Reintegration outcomes: the Taskforce report publishes aggregates only (no pupil identifier
//! in any page or export), with suppression and intervals as `outcomes::stats` defines them;
//! follow-ups are scheduled when a placement ends with a return to mainstream, answered only
//! by the commissioning school or Progressions, and reminded once.

mod common;

use apdir::outcomes::stats;
use chrono::{Duration, NaiveDate};
use common::TestApp;
use rocket::http::Status;

const TASKFORCE: &str = "taskforce@demo.test";
const SCHOOL: &str = "school@demo.test";
const PROGRESSIONS: &str = "progressions@demo.test";

fn today() -> NaiveDate {
    apdir::attendance::today()
}

/// The rows of a CSV body keyed by their first cell.
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(body.as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

const TABLES: [&str; 9] = [
    "reintegration",
    "destinations",
    "providers",
    "localities",
    "trend",
    "attendance",
    "length",
    "sixth_day",
    "sufficiency",
];

#[rocket::async_test]
async fn no_pupil_identifier_reaches_any_taskforce_page_or_export() {
    let app = TestApp::with_demo().await;
    let pupils: Vec<(String, String, String, NaiveDate)> =
        sqlx::query_as("SELECT upn, legal_forename, legal_surname, date_of_birth FROM pupils")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(pupils.len() > 50, "the demo has pupils to look for");
    app.login(TASKFORCE).await;
    let year = apdir::placements::records::academic_year(today());
    let mut bodies = Vec::new();
    for q in [
        String::new(),
        format!("?from={}&to={}", year.0 - Duration::days(365), year.1),
        "?tier=3".into(),
    ] {
        for path in [
            format!("/reports/outcomes{q}"),
            format!("/reports/outcomes/board{q}"),
        ] {
            let (s, body) = app.get(&path).await;
            assert_eq!(s, Status::Ok, "{path}");
            bodies.push((path, body));
        }
        for t in TABLES.iter().chain(["quality"].iter()) {
            let path = format!("/reports/outcomes/{t}.csv{q}");
            let (s, body) = app.get(&path).await;
            assert_eq!(s, Status::Ok, "{path}");
            bodies.push((path, body));
        }
    }
    for (path, body) in &bodies {
        for (upn, forename, surname, dob) in &pupils {
            assert!(!body.contains(upn.as_str()), "{path} holds a UPN");
            assert!(
                !body.contains(&format!("{forename} {surname}")),
                "{path} holds a pupil's name"
            );
            assert!(
                !body.contains(&dob.to_string())
                    && !body.contains(&dob.format("%-d %B %Y").to_string()),
                "{path} holds a date of birth ({dob})"
            );
        }
    }
    // The page is the report (not an empty shell), with its charts described.
    let page = &bodies[0].1;
    for t in [
        "Reintegration by tier",
        "Destinations by tier",
        "Sixth-day provision",
    ] {
        assert!(page.contains(t), "{t}");
    }
    assert!(page.contains("<svg") && page.contains("<desc"));
}

#[rocket::async_test]
async fn published_figures_match_the_placements_counted_independently() {
    let app = TestApp::with_demo().await;
    let year = apdir::placements::records::academic_year(today());
    let (from, to) = (year.0 - Duration::days(365), year.1);
    let ended: Vec<(i64, String)> = sqlx::query_as(
        "SELECT tier, destination FROM placements WHERE status = 'ended' AND end_date >= $1 AND end_date <= $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(ended.len() >= 10, "the demo ends placements");
    app.login(TASKFORCE).await;
    let (s, body) = app
        .get(&format!(
            "/reports/outcomes/reintegration.csv?from={from}&to={to}"
        ))
        .await;
    assert_eq!(s, Status::Ok);
    let rows = csv_rows(&body);
    let small = |x: i64| (1..=4).contains(&x);
    let tier_counts: Vec<(i64, i64)> = (1..=3)
        .map(|t| {
            let g: Vec<_> = ended.iter().filter(|e| e.0 == t).collect();
            let k = g
                .iter()
                .filter(|e| e.1 == "home_school" || e.1 == "new_mainstream")
                .count() as i64;
            (g.len() as i64, k)
        })
        .collect();
    // Worked here, not through the report: 1 to 4 is hidden; if that leaves exactly one tier
    // hidden in a column while the all-tiers total shows, the next smallest non-zero tier is
    // hidden too (else subtraction gives it away).
    let hide_column = |values: [i64; 3], total: i64| -> [bool; 3] {
        let mut hidden = values.map(small);
        if hidden.iter().filter(|h| **h).count() == 1 && !small(total) {
            if let Some(i) = (0..3)
                .filter(|&i| !hidden[i] && values[i] > 0)
                .min_by_key(|&i| values[i])
            {
                hidden[i] = true;
            }
        }
        hidden
    };
    let n_all = ended.len() as i64;
    let k_all: i64 = tier_counts.iter().map(|t| t.1).sum();
    let n_hidden = hide_column(
        [tier_counts[0].0, tier_counts[1].0, tier_counts[2].0],
        n_all,
    );
    let k_hidden = hide_column(
        [tier_counts[0].1, tier_counts[1].1, tier_counts[2].1],
        k_all,
    );
    for (i, label) in ["Tier 1", "Tier 2", "Tier 3", "All tiers"]
        .iter()
        .enumerate()
    {
        let ((n, k), n_hid, k_hid) = if i < 3 {
            (tier_counts[i], n_hidden[i], k_hidden[i])
        } else {
            ((n_all, k_all), small(n_all), false)
        };
        let row = rows.iter().find(|r| r[0] == *label).expect(label);
        assert_eq!(
            row[1],
            if n_hid {
                "c".to_string()
            } else {
                n.to_string()
            },
            "{label} ended"
        );
        if n == 0 {
            assert_eq!(row[3], "no placements", "{label}");
        } else if n_hid || k_hid || small(k) || small(n - k) {
            assert_eq!((row[2].as_str(), row[3].as_str()), ("c", "c"), "{label}");
        } else {
            assert_eq!(row[2], k.to_string(), "{label} reintegrated");
            let pct = ((k as f64 / n as f64) * 1000.0).round() / 10.0;
            assert_eq!(row[3], format!("{pct}%"), "{label} rate");
            let (lo, hi) = stats::wilson(k, n).unwrap();
            assert!(lo <= k as f64 / n as f64 && hi >= k as f64 / n as f64);
            assert!(row[4].contains(" to "), "{label} interval");
        }
    }
    // However the cells fall, no column has exactly one hidden tier under a shown total.
    for col in [1, 2] {
        let hidden = rows[..3].iter().filter(|r| r[col] == "c").count();
        assert!(hidden != 1 || rows[3][col] == "c", "column {col}: {rows:?}");
    }
    // The destination breakdown adds up to the same total where nothing is hidden.
    let (_, body) = app
        .get(&format!(
            "/reports/outcomes/destinations.csv?from={from}&to={to}"
        ))
        .await;
    let all = csv_rows(&body)
        .into_iter()
        .find(|r| r[0] == "All tiers")
        .unwrap();
    let total = all.last().unwrap();
    assert_eq!(total, &(ended.len() as i64).to_string());
    let hidden = all.iter().filter(|c| *c == "c").count();
    assert_ne!(
        hidden, 1,
        "one hidden cell would be given away by the total"
    );

    // A filter narrows the figures: tier 3 only leaves the tier 2 row empty.
    let (_, body) = app
        .get(&format!(
            "/reports/outcomes/reintegration.csv?from={from}&to={to}&tier=3"
        ))
        .await;
    let t2 = csv_rows(&body)
        .into_iter()
        .find(|r| r[0] == "Tier 2")
        .unwrap();
    assert_eq!(t2[1], "0");

    // Bad filters are refused with a message.
    for bad in [
        "tier=9",
        "place_type=spa",
        "registration=x",
        "route=nobody",
        "from=2026-13-01",
    ] {
        let (s, body) = app.get(&format!("/reports/outcomes?{bad}")).await;
        assert_eq!(s, Status::BadRequest, "{bad}");
        assert!(body.contains("<h1"), "{bad}");
    }
    let (s, _) = app.get("/reports/outcomes/nonsense.csv").await;
    assert_eq!(s, Status::NotFound);
}

#[rocket::async_test]
async fn follow_ups_are_scheduled_answered_in_scope_and_reminded_once() {
    let app = TestApp::with_demo().await;
    // An active placement of the demo school, ended with a return to the home school 13
    // weeks ago, so both follow-ups are due.
    let (id, school_id): (i64, i64) = sqlx::query_as(
        "SELECT pl.id, pl.school_id FROM placements pl JOIN users u ON u.school_id = pl.school_id \
         WHERE u.email = 'school@demo.test' AND pl.status = 'active' AND pl.commissioner = 'school' \
         ORDER BY pl.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let end = today() - Duration::weeks(13);
    sqlx::query("UPDATE placements SET start_date = $2 WHERE id = $1")
        .bind(id)
        .bind(end - Duration::weeks(10))
        .execute(&app.pool)
        .await
        .unwrap();
    let mut tx = apdir::db::write(&app.pool).await.unwrap();
    assert!(
        apdir::db::placements::end(&mut tx, id, end, "home_school", "", apdir::db::now())
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let due: Vec<(i64, NaiveDate)> = sqlx::query_as(
        "SELECT weeks, due_on FROM placement_followups WHERE placement_id = $1 ORDER BY weeks",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        due,
        vec![
            (6, end + Duration::weeks(6)),
            (12, end + Duration::weeks(12))
        ]
    );

    // A placement ending anywhere else has none.
    let other: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM placement_followups f JOIN placements pl ON pl.id = f.placement_id \
         WHERE pl.destination NOT IN ('home_school', 'new_mainstream')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(other, 0);

    // The nightly reminder goes once each, to the school.
    let config = app.config.clone();
    let before = app.count(&format!(
        "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.school_id = {school_id} AND n.link = '/follow-ups'"
    )).await;
    let sent = apdir::outcomes::followups::remind(&app.pool, &config, today())
        .await
        .unwrap();
    assert!(sent >= 2, "{sent}");
    let after = app.count(&format!(
        "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.school_id = {school_id} AND n.link = '/follow-ups'"
    )).await;
    assert!(after >= before + 2);
    assert_eq!(
        apdir::outcomes::followups::remind(&app.pool, &config, today())
            .await
            .unwrap(),
        0,
        "never twice"
    );

    // The school sees it, answers it once; another school cannot; a provider may not.
    app.login(SCHOOL).await;
    let (s, body) = app.get("/follow-ups").await;
    assert_eq!(s, Status::Ok);
    assert!(body.contains(&format!("/follow-ups/{id}/6")));
    let r = app
        .post_csrf(&format!("/follow-ups/{id}/6"), &[("still", "maybe")])
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(
            &format!("/follow-ups/{id}/6"),
            &[("still", "yes"), ("note", "Settled in Year 9")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let r = app
        .post_csrf(&format!("/follow-ups/{id}/6"), &[("still", "no")])
        .await;
    assert_eq!(r.status(), Status::Conflict, "answered once");
    let still: Option<bool> = sqlx::query_scalar(
        "SELECT still_in_mainstream FROM placement_followups WHERE placement_id = $1 AND weeks = 6",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(still, Some(true));
    app.logout().await;

    // Another school's staff: not theirs to answer.
    let other_school: i64 =
        sqlx::query_scalar("SELECT id FROM schools WHERE id <> $1 ORDER BY id LIMIT 1")
            .bind(school_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    sqlx::query("UPDATE users SET school_id = $1 WHERE email = 'school@demo.test'")
        .bind(other_school)
        .execute(&app.pool)
        .await
        .unwrap();
    app.login(SCHOOL).await;
    let (_, body) = app.get("/follow-ups").await;
    assert!(!body.contains(&format!("/follow-ups/{id}/12")));
    let r = app
        .post_csrf(&format!("/follow-ups/{id}/12"), &[("still", "no")])
        .await;
    assert_eq!(r.status(), Status::Conflict);
    app.logout().await;

    // Progressions answers the 12-week one; the report counts it as not sustained.
    app.login(PROGRESSIONS).await;
    let r = app
        .post_csrf(&format!("/follow-ups/{id}/12"), &[("still", "no")])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(app.audit_count("answer").await, 2);
}
