//! Daily attendance end to end: the provider takes a register, the school sees the marks and the
//! code to copy the same minute, absences are raised, corrections keep history (and need
//! approval once locked), missing registers are raised at the cut-off, and the token API
//! reads and submits registers all or nothing and idempotently.

mod common;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use common::TestApp;
use rocket::http::{ContentType, Header, Status};

const PROVIDER: &str = "provider@demo.test";
const SCHOOL: &str = "school@demo.test";
const PROGRESSIONS: &str = "progressions@demo.test";

fn today() -> NaiveDate {
    apdir::attendance::today()
}

/// The latest weekday on or before `d`.
fn weekday_on_or_before(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d -= Duration::days(1);
    }
    d
}

/// One term around today and no closures, and no registers on `d`, so the test does not
/// depend on the calendar or the demo's history.
async fn clear_day(app: &TestApp, d: NaiveDate) {
    for sql in ["DELETE FROM closures", "DELETE FROM term_dates"] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    sqlx::query("INSERT INTO term_dates (name, starts_on, ends_on) VALUES ('Test term', $1, $2)")
        .bind(today() - Duration::days(200))
        .bind(today() + Duration::days(200))
        .execute(&app.pool)
        .await
        .unwrap();
    for sql in [
        "DELETE FROM mark_changes WHERE on_date = $1",
        "DELETE FROM attendance_marks WHERE on_date = $1",
        "DELETE FROM registers WHERE on_date = $1",
        "DELETE FROM attendance_counts WHERE on_date = $1",
    ] {
        sqlx::query(sql).bind(d).execute(&app.pool).await.unwrap();
    }
    // The monthly totals follow the daily counts.
    let mut tx = apdir::db::write(&app.pool).await.unwrap();
    apdir::db::attendance::recount_all(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// id, UPN, school, pattern, start, end, status.
type PlanRow = (
    i64,
    String,
    i64,
    String,
    NaiveDate,
    Option<NaiveDate>,
    String,
);

/// The demo provider's placements due on its morning register for `d`, worked out here from
/// the plans (independently of the service's query): (placement id, UPN, school id).
async fn due_am(app: &TestApp, d: NaiveDate) -> Vec<(i64, String, i64)> {
    let rows: Vec<PlanRow> = sqlx::query_as(
        "SELECT pl.id, p.upn, pl.school_id, pp.pattern, pl.start_date, pl.end_date, pl.status FROM placements pl \
         JOIN pupils p ON p.id = pl.pupil_id JOIN placement_plans pp ON pp.placement_id = pl.id \
         JOIN users u ON u.provider_id = pl.provider_id WHERE u.email = 'provider@demo.test' AND pl.start_date IS NOT NULL",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let idx = d.weekday().num_days_from_monday() as usize * 2;
    rows.into_iter()
        .filter(|r| {
            ["active", "ended"].contains(&r.6.as_str())
                && r.4 <= d
                && r.5.is_none_or(|e| e >= d)
                && r.3.as_bytes()[idx] == b'1'
        })
        .map(|r| (r.0, r.1, r.2))
        .collect()
}

/// The per-provider daily counts agree with the marks, worked out again here.
async fn counts_agree(app: &TestApp) {
    type Count = (i64, NaiveDate, i64, i64, i64);
    let kept: Vec<Count> = sqlx::query_as(
        "SELECT provider_id, on_date, tier, attended, possible FROM attendance_counts ORDER BY 1, 2, 3",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let marks: Vec<(i64, NaiveDate, i64, String)> = sqlx::query_as(
        "SELECT m.provider_id, m.on_date, pl.tier, m.code FROM attendance_marks m JOIN placements pl ON pl.id = m.placement_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut by: std::collections::BTreeMap<(i64, NaiveDate, i64), (i64, i64)> = Default::default();
    for (p, d, t, code) in marks {
        let e = by.entry((p, d, t)).or_default();
        if !code.starts_with('Y') {
            e.1 += 1;
            if code == "/" || code == "L" {
                e.0 += 1;
            }
        }
    }
    let recounted: Vec<Count> = by
        .into_iter()
        .map(|((p, d, t), (a, n))| (p, d, t, a, n))
        .collect();
    assert_eq!(
        kept.len(),
        recounted.len(),
        "one count row per provider, day and tier"
    );
    assert!(kept == recounted, "the daily counts match the marks");

    // The monthly totals are the daily counts summed by month (rows of nothing aside).
    let mut by_month: std::collections::BTreeMap<(NaiveDate, i64, i64), (i64, i64)> =
        Default::default();
    for (p, d, t, a, n) in &kept {
        let e = by_month
            .entry((d.with_day(1).unwrap(), *p, *t))
            .or_default();
        e.0 += a;
        e.1 += n;
    }
    by_month.retain(|_, v| *v != (0, 0));
    let monthly: Vec<(NaiveDate, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT month, provider_id, tier, attended, possible FROM attendance_counts_monthly \
         WHERE attended <> 0 OR possible <> 0 ORDER BY 1, 2, 3",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let summed: Vec<_> = by_month
        .into_iter()
        .map(|((m, p, t), (a, n))| (m, p, t, a, n))
        .collect();
    assert!(
        monthly == summed,
        "the monthly totals match the daily counts"
    );

    // Rates over periods that start and end mid-month, on a month's edge, or inside one month
    // agree with the daily counts summed directly.
    let first = kept.iter().map(|k| k.1).min();
    let last = kept.iter().map(|k| k.1).max();
    if let (Some(first), Some(last)) = (first, last) {
        let mid = first + (last - first) / 2;
        for (from, to) in [
            (first, last),
            (first, mid),
            (mid, last),
            (first.with_day(1).unwrap(), last),
            (mid, mid + Duration::days(3)),
        ] {
            let direct = kept
                .iter()
                .filter(|k| k.1 >= from && k.1 <= to)
                .fold((0, 0), |acc, k| (acc.0 + k.3, acc.1 + k.4));
            let rated = apdir::db::attendance::rates(
                &app.pool,
                apdir::db::attendance::Grouping::City,
                from,
                to,
            )
            .await
            .unwrap()
            .into_iter()
            .fold((0, 0), |acc, r| (acc.0 + r.1, acc.1 + r.2));
            assert_eq!(rated, direct, "city rate for {from}..{to}");
        }
    }
}

async fn code_of(app: &TestApp, placement: i64, d: NaiveDate) -> Option<String> {
    sqlx::query_scalar("SELECT code FROM attendance_marks WHERE placement_id = $1 AND on_date = $2 AND session = 'am'")
        .bind(placement)
        .bind(d)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

#[rocket::async_test]
async fn the_provider_takes_a_register_and_the_school_sees_it_at_once() {
    let app = TestApp::with_demo().await;
    let d = weekday_on_or_before(today());
    clear_day(&app, d).await;
    let due = due_am(&app, d).await;
    assert!(
        due.len() >= 3,
        "the demo provider has pupils on its register: {due:?}"
    );
    app.login(PROVIDER).await;
    let (s, page) = app.get(&format!("/registers/{d}/am")).await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Everyone present"));
    // Marks for someone not on the register, or missing someone, refuse the whole register.
    let mut fields: Vec<(String, String)> = due
        .iter()
        .map(|(id, _, _)| (format!("mark[{id}]"), "/".to_string()))
        .collect();
    fields.push(("mark[999999]".into(), "/".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_csrf(&format!("/registers/{d}/am"), &refs).await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r
        .into_string()
        .await
        .unwrap()
        .contains("placement 999999 is not placed with you"));
    let r = app
        .post_csrf(&format!("/registers/{d}/am"), &refs[..1])
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM registers WHERE on_date = '{d}'"
        ))
        .await,
        0
    );
    // Everyone present in one action, then one exception as a correction.
    let r = app
        .post_csrf(&format!("/registers/{d}/am/present"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    for (id, _, _) in &due {
        assert_eq!(code_of(&app, *id, d).await.as_deref(), Some("/"));
    }
    let r = app
        .post_csrf(&format!("/registers/{d}/am/present"), &[])
        .await;
    assert_eq!(
        r.status(),
        Status::Conflict,
        "a taken register is corrected, not retaken"
    );
    let first = due[0].0.to_string();
    let date = d.to_string();
    let r = app
        .post_csrf(
            "/attendance/corrections",
            &[
                ("placement", &first),
                ("date", &date),
                ("session", "am"),
                ("code", "N"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        Status::UnprocessableEntity,
        "a correction needs a reason"
    );
    let r = app
        .post_csrf(
            "/attendance/corrections",
            &[
                ("placement", &first),
                ("date", &date),
                ("session", "am"),
                ("code", "I"),
                ("reason", "Mother rang at 9:40"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(code_of(&app, due[0].0, d).await.as_deref(), Some("I"));
    let history: Vec<(String, String, String)> =
        sqlx::query_as("SELECT old_code, new_code, status FROM mark_changes WHERE placement_id = $1 AND on_date = $2")
            .bind(due[0].0)
            .bind(d)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(history, vec![("/".into(), "I".into(), "applied".into())]);
    app.logout().await;

    // The demo school sees its pupils' marks with the code to copy; never another school's.
    app.login(SCHOOL).await;
    let school: i64 = app
        .count("SELECT school_id FROM users WHERE email = 'school@demo.test'")
        .await;
    let (s, page) = app.get(&format!("/attendance?date={d}")).await;
    assert_eq!(s, Status::Ok);
    let ours: Vec<_> = due.iter().filter(|x| x.2 == school).collect();
    assert!(!ours.is_empty());
    // The demo provider is not a registered school and these places were matched by the
    // council or arranged by the school: the code is K or B (or D if dual registered).
    assert!(
        page.contains("<strong>K</strong>")
            || page.contains("<strong>B</strong>")
            || page.contains("<strong>D</strong>")
    );
    let (s, csv) = app.get(&format!("/attendance.csv?from={d}&to={d}")).await;
    assert_eq!(s, Status::Ok);
    for (_, upn, sch) in &due {
        assert_eq!(
            csv.contains(upn.as_str()),
            *sch == school,
            "{upn} in the CSV only if the school's"
        );
    }
    let r = app
        .post_csrf(
            "/attendance/corrections",
            &[
                ("placement", &first),
                ("date", &date),
                ("session", "am"),
                ("code", "/"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        Status::Forbidden,
        "schools do not change a provider's register"
    );
    counts_agree(&app).await;
}

#[rocket::async_test]
async fn absences_are_raised_with_the_school_and_locked_registers_need_approval() {
    let app = TestApp::with_demo().await;
    let d = weekday_on_or_before(today());
    clear_day(&app, d).await;
    let due = due_am(&app, d).await;
    app.login(PROVIDER).await;
    let mut fields: Vec<(String, String)> = due
        .iter()
        .map(|(id, _, _)| (format!("mark[{id}]"), "/".to_string()))
        .collect();
    fields[0].1 = "N".into();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let before = app
        .count("SELECT COUNT(*) FROM notifications WHERE kind = 'attendance_alert'")
        .await;
    let r = app.post_csrf(&format!("/registers/{d}/am"), &refs).await;
    assert_eq!(r.status(), Status::SeeOther);
    let school = due[0].2;
    let alerts: Vec<String> = sqlx::query_scalar(
        "SELECT n.body FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'attendance_alert' AND u.school_id = $1",
    )
    .bind(school)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        app.count("SELECT COUNT(*) FROM notifications WHERE kind = 'attendance_alert'")
            .await
            > before
    );
    assert!(
        alerts
            .iter()
            .any(|b| b.contains("absent with no reason given")),
        "{alerts:?}"
    );

    // A mark ten days back is locked: the provider's correction waits for Progressions.
    let old = weekday_on_or_before(today() - Duration::days(10));
    let placement: Option<(i64, String)> = sqlx::query_as(
        "SELECT m.placement_id, m.code FROM attendance_marks m JOIN users u ON u.provider_id = m.provider_id \
         WHERE u.email = 'provider@demo.test' AND m.on_date = $1 AND m.session = 'am' LIMIT 1",
    )
    .bind(old)
    .fetch_optional(&app.pool)
    .await
    .unwrap();
    let Some((placement, was)) = placement else {
        panic!("the demo has a register history on {old}");
    };
    let new = if was == "/" { "M" } else { "/" };
    let (p, date) = (placement.to_string(), old.to_string());
    let r = app
        .post_csrf(
            "/attendance/corrections",
            &[
                ("placement", &p),
                ("date", &date),
                ("session", "am"),
                ("code", new),
                ("reason", "Register error found in audit"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        code_of(&app, placement, old).await.as_deref(),
        Some(was.as_str()),
        "not changed yet"
    );
    app.logout().await;
    app.login(PROGRESSIONS).await;
    let (_, page) = app.get("/attendance/corrections").await;
    assert!(page.contains("Register error found in audit"));
    let id: i64 = app
        .count("SELECT MAX(id) FROM mark_changes WHERE status = 'pending'")
        .await;
    let r = app
        .post_csrf(
            &format!("/attendance/corrections/{id}"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(code_of(&app, placement, old).await.as_deref(), Some(new));
    let r = app
        .post_csrf(
            &format!("/attendance/corrections/{id}"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), Status::Conflict, "decided once");
    counts_agree(&app).await;
}

#[rocket::async_test]
async fn missing_registers_are_raised_at_the_cut_off_then_escalated_once() {
    let app = TestApp::with_demo().await;
    let d = weekday_on_or_before(today());
    clear_day(&app, d).await;
    let provider_notices = || async {
        app.count("SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'missing_register' AND u.role = 'provider'").await
    };
    let council_notices = || async {
        app.count("SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'missing_register' AND u.role = 'progressions'").await
    };
    use apdir::domain::attendance::Session;
    let first =
        apdir::attendance::jobs::check_missing(&app.pool, &app.config, d, Session::Am, false)
            .await
            .unwrap();
    assert!(provider_notices().await >= 1, "{first}");
    assert_eq!(
        council_notices().await,
        0,
        "the council hears only on escalation"
    );
    let again =
        apdir::attendance::jobs::check_missing(&app.pool, &app.config, d, Session::Am, false)
            .await
            .unwrap();
    assert!(again.starts_with("0 missing"), "{again}");
    let escalated =
        apdir::attendance::jobs::check_missing(&app.pool, &app.config, d, Session::Am, true)
            .await
            .unwrap();
    assert!(council_notices().await >= 1, "{escalated}");
    // The dashboard lists the demo provider until it takes the register.
    app.login(PROGRESSIONS).await;
    if d == today() {
        let (_, page) = app.get("/attendance/missing").await;
        assert!(page.contains("Steel City Vocational Hub"));
    }
    // Weekends have no registers.
    let saturday = d + Duration::days(6 - d.weekday().num_days_from_monday() as i64 - 1);
    assert_eq!(saturday.weekday(), Weekday::Sat);
    let none = apdir::attendance::jobs::check_missing(
        &app.pool,
        &app.config,
        saturday,
        Session::Am,
        false,
    )
    .await
    .unwrap();
    assert_eq!(none, "not a school day");
}

async fn token_for(app: &TestApp, organisation: &str) -> String {
    app.login("admin@demo.test").await;
    let r = app
        .post_csrf(
            "/admin/tokens",
            &[("name", "Test system"), ("organisation", organisation)],
        )
        .await;
    assert_eq!(r.status(), Status::Ok);
    let page = r.into_string().await.unwrap();
    app.logout().await;
    let start = page.find("apdir_").expect("token shown once");
    page[start..]
        .split(['<', ' ', '"'])
        .next()
        .unwrap()
        .to_string()
}

async fn submit(
    app: &TestApp,
    token: &str,
    body: &serde_json::Value,
) -> (Status, serde_json::Value) {
    let r = app
        .client
        .post("/api/v1/registers")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(body.to_string())
        .dispatch()
        .await;
    let s = r.status();
    (
        s,
        serde_json::from_str(&r.into_string().await.unwrap_or_default()).unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn the_api_takes_whole_registers_idempotently_with_organisation_tokens() {
    let app = TestApp::with_demo().await;
    let d = weekday_on_or_before(today());
    clear_day(&app, d).await;
    let due = due_am(&app, d).await;
    let provider_token = token_for(&app, "steel-city-vocational-hub").await;
    let school_urn: String = sqlx::query_scalar("SELECT s.urn FROM schools s JOIN users u ON u.school_id = s.id WHERE u.email = 'school@demo.test'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let school_token = token_for(&app, &school_urn).await;
    let stranger: String = sqlx::query_scalar(
        "SELECT p.upn FROM pupils p WHERE NOT EXISTS (SELECT 1 FROM placements pl JOIN users u ON u.provider_id = pl.provider_id \
         WHERE pl.pupil_id = p.id AND u.email = 'provider@demo.test') LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let marks: Vec<serde_json::Value> = due
        .iter()
        .map(|(_, upn, _)| serde_json::json!({ "upn": upn, "code": "/" }))
        .collect();
    // A pupil not placed with the provider refuses the whole register, with the reason.
    let mut bad = marks.clone();
    bad.push(serde_json::json!({ "upn": stranger, "code": "/" }));
    let (s, body) = submit(
        &app,
        &provider_token,
        &serde_json::json!({ "date": d, "session": "am", "marks": bad }),
    )
    .await;
    assert_eq!(s, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("is not placed with you"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM attendance_marks WHERE on_date = '{d}'"
        ))
        .await,
        0
    );
    // The same register twice: the same state.
    let good = serde_json::json!({ "date": d, "session": "am", "marks": marks });
    let (s, first) = submit(&app, &provider_token, &good).await;
    assert_eq!(s, Status::Ok, "{first}");
    assert_eq!(first["recorded"].as_u64(), Some(due.len() as u64));
    let snapshot = || async {
        sqlx::query_as::<_, (i64, String)>(&format!("SELECT placement_id, code FROM attendance_marks WHERE on_date = '{d}' ORDER BY placement_id"))
            .fetch_all(&app.pool)
            .await
            .unwrap()
    };
    let state = snapshot().await;
    let (s, second) = submit(&app, &provider_token, &good).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(second["unchanged"].as_u64(), Some(due.len() as u64));
    assert_eq!(second["recorded"].as_u64(), Some(0));
    assert_eq!(snapshot().await, state);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM registers WHERE on_date = '{d}'"
        ))
        .await,
        1
    );
    // Bad codes, a school's token, a missing or revoked token.
    let (s, _) = submit(&app, &provider_token, &serde_json::json!({ "date": d, "session": "am", "marks": [{ "upn": due[0].1, "code": "B" }] })).await;
    assert_eq!(s, Status::UnprocessableEntity);
    let (s, _) = submit(&app, &school_token, &good).await;
    assert_eq!(s, Status::Forbidden);
    let (s, _) = submit(&app, "apdir_not-a-token", &good).await;
    assert_eq!(s, Status::Unauthorized);
    // The school's token reads its own pupils' marks only, with the code to copy.
    let r = app
        .client
        .get(format!("/api/v1/attendance?from={d}&to={d}"))
        .header(Header::new(
            "Authorization",
            format!("Bearer {school_token}"),
        ))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Ok);
    let v: serde_json::Value = serde_json::from_str(&r.into_string().await.unwrap()).unwrap();
    let school: i64 = app
        .count("SELECT school_id FROM users WHERE email = 'school@demo.test'")
        .await;
    let mine: Vec<&String> = due.iter().filter(|x| x.2 == school).map(|x| &x.1).collect();
    let got: Vec<&str> = v["marks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["upn"].as_str().unwrap())
        .collect();
    assert_eq!(got.len(), mine.len());
    assert!(got.iter().all(|u| mine.iter().any(|m| m.as_str() == *u)));
    assert!(v["marks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| ["K", "B", "D"].contains(&m["school_code"].as_str().unwrap())));
    // Revoking stops the token at once.
    app.login("admin@demo.test").await;
    let id = app.count("SELECT MIN(id) FROM api_tokens").await;
    let r = app
        .post_csrf(&format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (s, _) = submit(&app, &provider_token, &good).await;
    assert_eq!(s, Status::Unauthorized);
    counts_agree(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE 'apdir_%'")
            .await,
        0,
        "only hashes are stored"
    );
}

#[rocket::async_test]
async fn rates_by_provider_and_prior_attendance_on_the_placement() {
    let app = TestApp::with_demo().await;
    app.login(PROGRESSIONS).await;
    let (s, page) = app.get("/attendance/rates?by=provider").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Steel City Vocational Hub"));
    let (s, _) = app.get("/attendance/rates?by=pupil").await;
    assert_eq!(s, Status::BadRequest);
    app.logout().await;
    // Each pupil's rate for the provider: its own placements only.
    app.login(PROVIDER).await;
    let from = (today() - Duration::days(60)).to_string();
    let (s, page) = app.get(&format!("/attendance/summary?from={from}")).await;
    assert_eq!(s, Status::Ok);
    let links = page.matches("#attendance\">").count() as i64;
    let expected = app
        .count(&format!(
            "SELECT COUNT(DISTINCT m.placement_id) FROM attendance_marks m JOIN users u ON u.provider_id = m.provider_id \
             WHERE u.email = 'provider@demo.test' AND m.on_date >= '{from}'"
        ))
        .await;
    assert!(expected > 0);
    assert_eq!(
        links, expected,
        "one row per placement with marks in the period"
    );
    app.logout().await;
    app.login(SCHOOL).await;
    let r = app
        .post_csrf(
            "/placements/1/prior",
            &[("possible", "100"), ("attended", "120")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(
            "/placements/1/prior",
            &[("possible", "100"), ("attended", "62")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, page) = app.get("/placements/1").await;
    assert!(
        page.contains("62.0% (62 of 100 sessions"),
        "prior attendance shown"
    );
    assert!(page.contains("During the placement"));
}

/// A past school day at least `back` days ago (the test term covers it; see `clear_day`).
fn past_weekday(back: i64) -> NaiveDate {
    weekday_on_or_before(today() - Duration::days(back))
}

#[rocket::async_test]
async fn historical_marks_import_whole_files_only_and_keep_registers_and_counts() {
    use apdir::attendance::import::import_marks;
    let app = TestApp::with_demo().await;
    let (d1, d2) = (past_weekday(7), past_weekday(8));
    let d2 = if d2 == d1 {
        weekday_on_or_before(d1 - Duration::days(1))
    } else {
        d2
    };
    clear_day(&app, d1).await;
    clear_day(&app, d2).await;
    let (placement, provider): (i64, i64) = sqlx::query_as(
        "SELECT id, provider_id FROM placements WHERE status = 'active' AND start_date <= $1 ORDER BY id LIMIT 1",
    )
    .bind(d2)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let marks_before = app.count("SELECT COUNT(*) FROM attendance_marks").await;

    // A good file: written with its registers (taken via import) and counts, and audited.
    let good = format!(
        "placement,date,session,code\n{placement},{d1},am,/\n{placement},{d1},PM,N\n{placement},{d2},am,I\n"
    );
    let report = import_marks(&app.pool, good.as_bytes()).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.rows, report.written), (3, 3));
    assert_eq!(code_of(&app, placement, d1).await.as_deref(), Some("/"));
    assert_eq!(code_of(&app, placement, d2).await.as_deref(), Some("I"));
    let regs: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "SELECT on_date, session, via FROM registers WHERE provider_id = $1 AND on_date IN ($2, $3) ORDER BY 1, 2",
    )
    .bind(provider)
    .bind(d1)
    .bind(d2)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut expected = vec![
        (d1, "am".to_string(), "import".to_string()),
        (d1, "pm".into(), "import".into()),
        (d2, "am".into(), "import".into()),
    ];
    expected.sort();
    assert_eq!(regs, expected);
    counts_agree(&app).await;
    assert_eq!(app.audit_count("attendance.import").await, 1);

    // The same file again: every row is already held, so it is a correction, not an import.
    let again = import_marks(&app.pool, good.as_bytes()).await.unwrap();
    assert_eq!(again.written, 0);
    assert_eq!(again.problems.len(), 3, "{:?}", again.problems);
    assert!(again.problems[0].message.contains("correction"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attendance_marks").await,
        marks_before + 3
    );

    // Bad rows are each reported with their line, and the good row among them is not written.
    let saturday = {
        let mut d = d1;
        while d.weekday() != Weekday::Sat {
            d -= Duration::days(1);
        }
        d
    };
    let (late_placement, late_start): (i64, NaiveDate) = sqlx::query_as(
        "SELECT id, start_date FROM placements WHERE status IN ('active', 'ended') AND start_date IS NOT NULL ORDER BY start_date DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let before_start = weekday_on_or_before(late_start - Duration::days(1));
    let tomorrow = today() + Duration::days(1);
    let bad = format!(
        "placement,date,session,code\n\
         abc,{d1},am,/\n\
         999999,{d1},am,/\n\
         {placement},{tomorrow},am,/\n\
         {placement},{saturday},am,/\n\
         {placement},{d1},evening,/\n\
         {placement},{d1},am,Z\n\
         {late_placement},{before_start},am,/\n\
         {placement},2026-13-01,am,/\n\
         {placement},{d2},pm,/\n\
         {placement},{d2},pm,L\n"
    );
    let report = import_marks(&app.pool, bad.as_bytes()).await.unwrap();
    assert_eq!(report.written, 0);
    let found: Vec<(usize, &str)> = report
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "placement"),
            (3, "placement"),
            (4, "date"),
            (5, "date"),
            (6, "session"),
            (7, "code"),
            (8, "date"),
            (9, "date"),
            (11, "-"),
        ],
        "{:?}",
        report.problems
    );
    assert!(report.problems[8].message.contains("line 10"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attendance_marks").await,
        marks_before + 3,
        "nothing from a file with problems is written"
    );
    counts_agree(&app).await;

    // A file without the columns is refused as a whole.
    let err = import_marks(&app.pool, b"pupil,day\n1,2\n")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("placement"), "{err}");
}
