//! Placements end to end: a school's request through the Progressions match, the provider's
//! answer and the start, to the plan, a review and the end; with the placement gate, the
//! registration threshold, the sixth-day rule, reviews and deadlines, direct commissioning,
//! census export, subject access and retention.

mod common;

use apdir::domain::Upn;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use common::TestApp;
use rocket::http::Status;

/// Today in London, as the service counts it.
fn today() -> NaiveDate {
    apdir::placements::today()
}

fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

fn weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The `n`th weekday after `from`, skipping `closed`: worked out here by hand, not by the
/// service's calendar code.
fn nth_weekday_after(from: NaiveDate, n: usize, closed: &[NaiveDate]) -> NaiveDate {
    (1..)
        .map(|i| from + Duration::days(i))
        .filter(|d| weekday(*d) && !closed.contains(d))
        .nth(n - 1)
        .unwrap()
}

/// An exclusion about two weeks ago, on a weekday.
fn exclusion_date() -> NaiveDate {
    let mut d = today() - Duration::days(14);
    while !weekday(d) {
        d -= Duration::days(1);
    }
    d
}

/// Replaces the seeded calendar with one term around today and no closures, so the dates
/// below do not depend on when the tests run.
async fn one_long_term(app: &TestApp) {
    sqlx::query("DELETE FROM closures")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM term_dates")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO term_dates (name, starts_on, ends_on) VALUES ('Test term', $1, $2)")
        .bind(today() - Duration::days(200))
        .bind(today() + Duration::days(200))
        .execute(&app.pool)
        .await
        .unwrap();
}

const SCHOOL: &str = "school@demo.test";
const PROVIDER: &str = "provider@demo.test";
const PROGRESSIONS: &str = "progressions@demo.test";
const DEMO_PROVIDER: &str = "steel-city-vocational-hub";

fn upn(serial: u16) -> String {
    Upn::from_parts(373, 4999, 12, serial)
        .expect("valid upn")
        .as_str()
        .to_string()
}

fn location(r: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    r.headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string()
}

fn id_from(loc: &str, prefix: &str) -> i64 {
    loc.trim_start_matches(prefix)
        .split(['?', '/'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {loc}"))
}

/// Adds a pupil as the signed-in school user.
async fn add_pupil(app: &TestApp, serial: u16, sen: &str) -> i64 {
    let u = upn(serial);
    let r = app
        .post_csrf(
            "/pupils",
            &[
                ("upn", &u),
                ("legal_forename", "Kai"),
                ("legal_surname", "Testpupil"),
                ("date_of_birth", "2012-05-14"),
                ("sen_status", sen),
                ("needs_summary", "Needs a small group."),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther, "pupil added");
    let loc = location(&r);
    loc.split("pupil=")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("pupil id in {loc}"))
}

const REQUEST: &[(&str, &str)] = &[
    ("route", "request"),
    ("tier", "2"),
    ("place_type", "vocational"),
    ("reason", "permanent_exclusion"),
    ("sessions_per_week", "10"),
    ("max_travel_km", "20"),
    ("needs", "A practical setting with a key worker."),
    (
        "wanted_outcome",
        "A vocational course and a route to college.",
    ),
];

/// Asks for a placement for `pupil` as the signed-in school user; returns its id.
async fn request(app: &TestApp, pupil: i64, extra: &[(&str, &str)]) -> i64 {
    let p = pupil.to_string();
    let excl = exclusion_date().to_string();
    let start = day(1);
    let mut fields: Vec<(&str, &str)> = vec![("pupil", &p)];
    for (k, v) in [
        ("exclusion_date", excl.as_str()),
        ("preferred_start", start.as_str()),
    ]
    .iter()
    .chain(REQUEST)
    {
        if !extra.iter().any(|(ek, _)| ek == k) {
            fields.push((k, v));
        }
    }
    fields.extend_from_slice(extra);
    let r = app.post_csrf("/placements", &fields).await;
    let status = r.status();
    let loc = location(&r);
    let body = r.into_string().await.unwrap_or_default();
    assert_eq!(status, Status::SeeOther, "request made: {body:.2000}");
    id_from(&loc, "/placements/")
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM placements WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn notices(app: &TestApp, email: &str, kind: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = $1 AND n.kind = $2",
    )
    .bind(email)
    .bind(kind)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[rocket::async_test]
async fn a_request_goes_from_school_to_an_active_placement_and_its_end() {
    let app = TestApp::with_demo().await;
    one_long_term(&app).await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 901, "ehc_plan").await;
    let id = request(&app, pupil, &[]).await;
    assert_eq!(status_of(&app, id).await, "requested");
    let expected_sixth = nth_weekday_after(exclusion_date(), 6, &[]);
    let start = expected_sixth.to_string();
    let sixth: chrono::NaiveDate =
        sqlx::query_scalar("SELECT sixth_day FROM placements WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(sixth, expected_sixth);
    assert_eq!(notices(&app, PROGRESSIONS, "placement_request").await, 1);
    // The provider cannot see the pupil before an offer.
    app.logout().await;
    app.login(PROVIDER).await;
    let (s, _) = app.get(&format!("/placements/{id}")).await;
    assert_eq!(s, Status::NotFound);
    let (s, _) = app.get(&format!("/pupils/{pupil}")).await;
    assert_eq!(s, Status::NotFound);
    app.logout().await;

    // Progressions sees a shortlist; a lapsed provider is refused with the gate's reason and
    // nothing is written.
    app.login(PROGRESSIONS).await;
    let (s, page) = app.get(&format!("/placements/{id}")).await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Shortlist"), "shortlist shown");
    assert!(
        page.contains("Steel City Vocational Hub"),
        "the demo provider fits the request"
    );
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[("provider", "forge-construction-skills")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let body = r.into_string().await.unwrap();
    assert!(
        body.contains("due diligence has lapsed"),
        "gate reason shown"
    );
    assert_eq!(status_of(&app, id).await, "requested");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM placement_offers WHERE placement_id = {id}"
        ))
        .await,
        0
    );
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[
                ("provider", DEMO_PROVIDER),
                ("note", "A good fit for motor skills."),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, id).await, "offered");
    assert_eq!(notices(&app, PROVIDER, "placement_update").await, 1);
    app.logout().await;

    // The provider now sees the pupil, and must give a reason to decline; it accepts.
    app.login(PROVIDER).await;
    let (s, page) = app.get(&format!("/pupils/{pupil}")).await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains(&upn(901)));
    let r = app
        .post_csrf(
            &format!("/placements/{id}/respond"),
            &[("decision", "decline")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(
            &format!("/placements/{id}/respond"),
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, id).await, "accepted");
    // A provider cannot start or end a placement.
    let r = app
        .post_csrf(
            &format!("/placements/{id}/start"),
            &[("start_date", &start), ("hours_per_week", "25")],
        )
        .await;
    assert_eq!(r.status(), Status::Forbidden);
    app.logout().await;

    // The start: the pupil has an EHC plan and the provider is unregistered, so the
    // registration threshold warning must be confirmed first.
    app.login(PROGRESSIONS).await;
    let r = app
        .post_csrf(
            &format!("/placements/{id}/start"),
            &[("start_date", &start), ("hours_per_week", "25")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let body = r.into_string().await.unwrap();
    assert!(
        body.contains("a pupil with an EHC plan"),
        "threshold warning shown"
    );
    assert_eq!(
        status_of(&app, id).await,
        "accepted",
        "not started without confirming"
    );
    let r = app
        .post_csrf(
            &format!("/placements/{id}/start"),
            &[
                ("start_date", &start),
                ("hours_per_week", "25"),
                ("confirm_threshold", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, id).await, "active");
    let (_, page) = app.get(&format!("/placements/{id}")).await;
    assert!(
        !page.contains("Sixth day missed"),
        "started on the sixth day at the latest"
    );
    // A day later would have been a breach.
    sqlx::query("UPDATE placements SET start_date = $2 WHERE id = $1")
        .bind(id)
        .bind(expected_sixth + Duration::days(1))
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, page) = app.get(&format!("/placements/{id}")).await;
    assert!(
        page.contains("Sixth day missed"),
        "a start after the sixth day is flagged"
    );
    sqlx::query("UPDATE placements SET start_date = $2 WHERE id = $1")
        .bind(id)
        .bind(expected_sixth)
        .execute(&app.pool)
        .await
        .unwrap();
    app.logout().await;

    // The school writes the plan: under 18 hours needs a reason; then a review and the end.
    app.login(SCHOOL).await;
    let target = day(60);
    let plan = |hours: &'static str, reason: &'static str| {
        vec![
            ("next_step", "home_school"),
            ("session", "0"),
            ("session", "1"),
            ("session", "2"),
            ("hours_per_week", hours),
            ("part_time_reason", reason),
            ("max_weeks", "12"),
            ("objectives[0].objective", "Attend every session"),
            ("objectives[0].measure", "90% attendance"),
            ("objectives[0].target_date", target.as_str()),
        ]
    };
    let r = app
        .post_csrf(&format!("/placements/{id}/plan"), &plan("12", ""))
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r.into_string().await.unwrap().contains("Section 19"));
    let r = app
        .post_csrf(
            &format!("/placements/{id}/plan"),
            &plan("12", "Phased return after a long absence."),
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, page) = app.get(&format!("/placements/{id}")).await;
    assert!(page.contains("Part time"), "part time flagged");
    assert!(page.contains("Attend every session"));
    let r = app
        .post_csrf(
            &format!("/placements/{id}/review"),
            &[
                ("held_on", &day(0)),
                ("attendance_summary", "All sessions attended."),
                ("progress", "Good start."),
                ("pupil_voice", "Enjoys the workshop."),
                ("decision", "continue"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let r = app
        .post_csrf(
            &format!("/placements/{id}/end"),
            &[("end_date", &day(0)), ("destination", "home_school")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, id).await, "ended");
    let dest: String = sqlx::query_scalar("SELECT destination FROM placements WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(dest, "home_school");
    // Every change is in the history and the audit log.
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT status FROM placement_events WHERE placement_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            "requested",
            "offered",
            "accepted",
            "active",
            "active",
            "active",
            "ended"
        ]
    );
    for action in [
        "request", "offer", "accepted", "start", "plan", "review", "end",
    ] {
        assert!(app.audit_count(action).await >= 1, "audited: {action}");
    }
    // Notifications never name the child.
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM notifications WHERE link = $1")
        .bind(format!("/placements/{id}"))
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(bodies.len() >= 6, "each step notified: {bodies:?}");
    assert!(bodies
        .iter()
        .all(|b| !b.contains("Testpupil") && !b.contains(&upn(901))));
}

#[rocket::async_test]
async fn a_decline_returns_the_request_to_the_queue_and_hides_the_pupil_again() {
    let app = TestApp::with_demo().await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 902, "none").await;
    let id = request(&app, pupil, &[]).await;
    app.logout().await;
    app.login(PROGRESSIONS).await;
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[("provider", DEMO_PROVIDER)],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    // A suspended provider is refused by the gate too.
    app.logout().await;
    app.login(PROVIDER).await;
    let r = app
        .post_csrf(
            &format!("/placements/{id}/respond"),
            &[
                ("decision", "decline"),
                ("reason", "No places until January."),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, id).await, "requested");
    let (s, _) = app.get(&format!("/placements/{id}")).await;
    assert_eq!(
        s,
        Status::NotFound,
        "a declined offer is no longer the provider's"
    );
    let (s, _) = app.get(&format!("/pupils/{pupil}")).await;
    assert_eq!(s, Status::NotFound);
    app.logout().await;
    app.login(PROGRESSIONS).await;
    let (_, page) = app.get(&format!("/placements/{id}")).await;
    assert!(
        page.contains("No places until January."),
        "the reason is shown"
    );
    assert!(
        page.contains("Declined this placement before"),
        "the shortlist marks it"
    );
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[("provider", "tinsley-sports-futures")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r.into_string().await.unwrap().contains("suspended"));
    // Offering twice (a stale page) is refused without a second offer row.
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[("provider", "don-valley-motor-skills")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let r = app
        .post_csrf(
            &format!("/placements/{id}/offer"),
            &[("provider", "don-valley-motor-skills")],
        )
        .await;
    assert_eq!(r.status(), Status::Conflict);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM placement_offers WHERE placement_id = {id}"
        ))
        .await,
        2
    );
}

#[rocket::async_test]
async fn bad_requests_are_refused_with_messages_and_nothing_written() {
    let app = TestApp::with_demo().await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 903, "none").await;
    let before = app.count("SELECT COUNT(*) FROM placements").await;
    let p = pupil.to_string();
    let excl = exclusion_date().to_string();
    let soon = day(6);
    let start = day(1);
    for (fields, message) in [
        (
            vec![("reason", "permanent_exclusion"), ("exclusion_date", "")],
            "date of the exclusion",
        ),
        (
            vec![("reason", "semh_needs"), ("exclusion_date", excl.as_str())],
            "Leave the exclusion date empty",
        ),
        (vec![("sessions_per_week", "11")], "from 1 to 10"),
        (vec![("tier", "4")], "Choose a tier"),
        (vec![("place_type", "holiday")], "Choose the type of place"),
        (vec![("needs", "")], "Enter pupil"),
        (
            vec![
                ("route", "direct"),
                ("provider", "sheffield-inclusion-centre"),
                ("start_date", soon.as_str()),
                ("hours_per_week", "25"),
            ],
            "not on the council",
        ),
        (
            vec![
                ("route", "direct"),
                ("provider", "forge-construction-skills"),
                ("start_date", soon.as_str()),
                ("hours_per_week", "25"),
            ],
            "lapsed",
        ),
    ] {
        let mut all: Vec<(&str, &str)> = vec![("pupil", &p)];
        for (k, v) in [
            ("exclusion_date", excl.as_str()),
            ("preferred_start", start.as_str()),
        ]
        .iter()
        .chain(REQUEST)
        {
            if !fields.iter().any(|(fk, _)| fk == k) {
                all.push((k, v));
            }
        }
        all.extend(fields.iter().copied());
        let r = app.post_csrf("/placements", &all).await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{fields:?}");
        let body = r.into_string().await.unwrap();
        assert!(body.contains(message), "{fields:?}: wanted {message:?}");
    }
    // Another school's pupil is not in this school's list.
    let other: i64 = app
        .count("SELECT MIN(p.id) FROM pupils p JOIN users u ON u.email = 'school@demo.test' WHERE p.home_school_id <> u.school_id")
        .await;
    let o = other.to_string();
    let mut all: Vec<(&str, &str)> = vec![
        ("pupil", &o),
        ("exclusion_date", &excl),
        ("preferred_start", &start),
    ];
    all.extend_from_slice(REQUEST);
    let r = app.post_csrf("/placements", &all).await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT COUNT(*) FROM placements").await, before);
    // A duplicate UPN and a bad check letter.
    let dup = upn(903);
    for (u, message) in [
        (dup.as_str(), "already recorded"),
        ("B373499912904", "check letter"),
    ] {
        let r = app
            .post_csrf(
                "/pupils",
                &[
                    ("upn", u),
                    ("legal_forename", "A"),
                    ("legal_surname", "B"),
                    ("date_of_birth", "2012-01-01"),
                    ("sen_status", "none"),
                ],
            )
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity);
        assert!(
            r.into_string().await.unwrap().contains(message),
            "{message}"
        );
    }
}

#[rocket::async_test]
async fn a_school_records_a_direct_placement_and_the_council_is_told() {
    let app = TestApp::with_demo().await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 904, "none").await;
    let id = request(
        &app,
        pupil,
        &[
            ("route", "direct"),
            ("provider", "don-valley-motor-skills"),
            ("start_date", &day(6)),
            ("hours_per_week", "25"),
            ("reason", "at_risk_of_exclusion"),
            ("exclusion_date", ""),
            ("confirm_threshold", "true"),
        ],
    )
    .await;
    assert_eq!(status_of(&app, id).await, "active");
    let route: String = sqlx::query_scalar("SELECT route FROM placements WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(route, "direct");
    assert_eq!(notices(&app, PROGRESSIONS, "placement_request").await, 1);
    // Census: the school's return lists it with the provider's UKPRN or setting type.
    let (s, csv) = app
        .get(&format!(
            "/placements/census.csv?from={}&to={}",
            day(-60),
            day(60)
        ))
        .await;
    assert_eq!(s, Status::Ok);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("UPN,Surname,Forename"));
    let row = csv
        .lines()
        .find(|l| l.contains(&upn(904)))
        .expect("the placement is in the return");
    assert!(row.contains("Don Valley Motor Skills"));
    let (urn, ukprn): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT urn, ukprn FROM providers WHERE slug = 'don-valley-motor-skills'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    let expected = match (urn, ukprn) {
        (Some(u), _) => [u, String::new(), String::new()],
        (None, Some(k)) => [String::new(), k, String::new()],
        // A vocational place with an unregistered provider is a work-based placement.
        (None, None) => [String::new(), String::new(), "WBP".into()],
    };
    assert_eq!(
        &cells[5..8],
        &expected.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert!(row.contains("At risk of exclusion"));
    // Only this school's pupils are in it.
    let other_upns: Vec<String> = sqlx::query_scalar(
        "SELECT p.upn FROM pupils p JOIN users u ON u.email = 'school@demo.test' WHERE p.home_school_id <> u.school_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(other_upns.iter().all(|u| !csv.contains(u.as_str())));
    let (s, _) = app
        .get(&format!(
            "/placements/census.csv?from={}&to={}",
            day(60),
            day(-60)
        ))
        .await;
    assert_eq!(s, Status::BadRequest);
    let (s, _) = app.get("/placements/census.csv?from=yesterday").await;
    assert_eq!(s, Status::BadRequest);
}

#[rocket::async_test]
async fn step_out_places_last_at_most_six_weeks() {
    let app = TestApp::with_demo().await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 905, "none").await;
    let id = request(
        &app,
        pupil,
        &[
            ("route", "direct"),
            ("provider", "ecclesall-road-step-out-centre"),
            ("place_type", "step_out"),
            ("start_date", &day(6)),
            ("hours_per_week", "25"),
            ("reason", "at_risk_of_exclusion"),
            ("exclusion_date", ""),
            ("confirm_threshold", "true"),
        ],
    )
    .await;
    let target = day(30);
    let base = |weeks: &'static str| {
        vec![
            ("next_step", "home_school"),
            ("session", "0"),
            ("hours_per_week", "25"),
            ("max_weeks", weeks),
            ("objectives[0].objective", "Settle"),
            ("objectives[0].measure", "Calm"),
            ("objectives[0].target_date", target.as_str()),
        ]
    };
    let r = app
        .post_csrf(&format!("/placements/{id}/plan"), &base("7"))
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r.into_string().await.unwrap().contains("at most 6 weeks"));
    let r = app
        .post_csrf(&format!("/placements/{id}/plan"), &base("6"))
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let end: chrono::NaiveDate =
        sqlx::query_scalar("SELECT planned_end FROM placements WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        end,
        today() + Duration::days(6 + 42),
        "six weeks after the start"
    );
}

#[rocket::async_test]
async fn the_nightly_job_notifies_each_deadline_once() {
    let app = TestApp::with_demo().await;
    let first = apdir::placements::deadlines::nightly(&app.pool, &app.config)
        .await
        .unwrap();
    let n1 = app
        .count("SELECT COUNT(*) FROM notifications WHERE kind = 'placement_review'")
        .await;
    assert!(n1 > 0, "the demo has overdue reviews: {first}");
    let second = apdir::placements::deadlines::nightly(&app.pool, &app.config)
        .await
        .unwrap();
    let n2 = app
        .count("SELECT COUNT(*) FROM notifications WHERE kind = 'placement_review'")
        .await;
    assert_eq!(n1, n2, "nothing repeated: {second}");
    assert!(
        second.starts_with("0 reviews due soon, 0 overdue, 0"),
        "{second}"
    );
    // The deadlines page lists the overdue review for the school, and its home page counts.
    app.login(SCHOOL).await;
    let active = app
        .count("SELECT COUNT(*) FROM placements pl JOIN users u ON u.email = 'school@demo.test' WHERE pl.school_id = u.school_id AND pl.status = 'active'")
        .await;
    let (_, home) = app.get("/").await;
    assert!(
        home.contains(&format!(
            "<dt class=\"summary-list__key\">Active</dt><dd class=\"summary-list__value\">{active}</dd>"
        )),
        "home counts {active} active placements"
    );
    assert!(home.contains(
        "Reviews overdue</dt><dd class=\"summary-list__value\"><strong class=\"tag tag--lapsed\">"
    ));
    let (s, page) = app.get("/placements/deadlines").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Overdue"));
}

#[rocket::async_test]
async fn subject_access_export_holds_the_whole_record_for_progressions_only() {
    let app = TestApp::with_demo().await;
    let (pupil, upn): (i64, String) = sqlx::query_as(
        "SELECT p.id, p.upn FROM pupils p JOIN placements pl ON pl.pupil_id = p.id WHERE pl.status = 'ended' ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    app.login(SCHOOL).await;
    let (s, _) = app.get(&format!("/pupils/{pupil}/record.json")).await;
    assert_eq!(s, Status::Forbidden);
    app.logout().await;
    app.login(PROGRESSIONS).await;
    let r = app
        .get_response(&format!("/pupils/{pupil}/record.json"))
        .await;
    assert_eq!(r.status(), Status::Ok);
    assert!(r
        .headers()
        .get_one("Content-Disposition")
        .unwrap_or_default()
        .starts_with("attachment"));
    let json: serde_json::Value = serde_json::from_str(&r.into_string().await.unwrap()).unwrap();
    assert_eq!(json["pupil"]["upn"], upn);
    let placements = json["placements"].as_array().unwrap();
    assert!(!placements.is_empty());
    assert!(placements[0]["history"]
        .as_array()
        .is_some_and(|h| !h.is_empty()));
    assert!(placements[0]["destination"].is_string());
    let (s, page) = app.get(&format!("/pupils/{pupil}/record")).await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains(&upn));
    assert!(
        page.contains("subject_access_export"),
        "the access log shows the export"
    );
}

#[rocket::async_test]
async fn retention_anonymises_records_closed_longer_than_the_rule_and_reports_first() {
    let app = TestApp::with_demo_config(|c| c.pupil_retention_years = 2).await;
    // One pupil's only placement ended three years ago.
    let (pupil, upn): (i64, String) = sqlx::query_as(
        "SELECT p.id, p.upn FROM pupils p WHERE EXISTS (SELECT 1 FROM placements pl WHERE pl.pupil_id = p.id AND pl.status = 'ended') \
         AND NOT EXISTS (SELECT 1 FROM placements pl WHERE pl.pupil_id = p.id AND pl.status <> 'ended') ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE placements SET start_date = $2, end_date = $3 WHERE pupil_id = $1")
        .bind(pupil)
        .bind(chrono::NaiveDate::from_ymd_opt(2023, 9, 4).unwrap())
        .bind(chrono::NaiveDate::from_ymd_opt(2023, 11, 10).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let dry = apdir::placements::retention::run(&app.pool, &app.config, today, false)
        .await
        .unwrap();
    assert!(
        dry.due.iter().any(|d| d.pupil_id == pupil),
        "listed in the dry run"
    );
    assert!(
        dry.due
            .iter()
            .all(|d| d.closed_on < chrono::NaiveDate::from_ymd_opt(2024, 11, 24).unwrap()),
        "only records closed before the cut-off"
    );
    assert_eq!(dry.anonymised, 0);
    let still: String = sqlx::query_scalar("SELECT upn FROM pupils WHERE id = $1")
        .bind(pupil)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(still, upn, "a dry run changes nothing");
    // The admin page is the dry run; applying it anonymises.
    app.login("admin@demo.test").await;
    let (s, page) = app.get("/admin/retention").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains(&format!("Pupil {pupil}")));
    let r = app.post_csrf("/admin/retention", &[]).await;
    assert_eq!(r.status(), Status::SeeOther);
    let (u, name, needs, anon): (
        String,
        String,
        String,
        Option<chrono::DateTime<chrono::Utc>>,
    ) = sqlx::query_as(
        "SELECT upn, legal_surname, needs_summary, anonymised_at FROM pupils WHERE id = $1",
    )
    .bind(pupil)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_ne!(u, upn);
    assert_eq!(name, "Pupil");
    assert_eq!(needs, "");
    assert!(anon.is_some());
    let placement_needs: String =
        sqlx::query_scalar("SELECT needs FROM placements WHERE pupil_id = $1")
            .bind(pupil)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(placement_needs, "", "free text about the child is gone");
    let destination: Option<String> =
        sqlx::query_scalar("SELECT destination FROM placements WHERE pupil_id = $1")
            .bind(pupil)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(destination.is_some(), "the outcome stays for the figures");
    assert!(app.audit_count("anonymise").await >= 1);
}

#[rocket::async_test]
async fn the_term_calendar_decides_the_sixth_day_and_is_kept_by_admins() {
    let app = TestApp::with_demo().await;
    one_long_term(&app).await;
    app.login("admin@demo.test").await;
    // A closure on the third school day after the exclusion moves the sixth day one later.
    let closed = nth_weekday_after(exclusion_date(), 3, &[]);
    let c = closed.to_string();
    let r = app
        .post_csrf(
            "/admin/calendar/closures",
            &[("on_date", &c), ("reason", "Training day")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let r = app
        .post_csrf(
            "/admin/calendar/closures",
            &[("on_date", &c), ("reason", "Again")],
        )
        .await;
    assert_eq!(r.status(), Status::Conflict);
    let r = app
        .post_csrf(
            "/admin/calendar/terms",
            &[
                ("name", "Overlap"),
                ("starts_on", &day(1)),
                ("ends_on", &day(10)),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    assert!(r.into_string().await.unwrap().contains("overlap Test term"));
    app.logout().await;
    app.login(SCHOOL).await;
    let pupil = add_pupil(&app, 906, "none").await;
    let id = request(&app, pupil, &[]).await;
    let sixth: chrono::NaiveDate =
        sqlx::query_scalar("SELECT sixth_day FROM placements WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(sixth, nth_weekday_after(exclusion_date(), 6, &[closed]));
    assert_eq!(sixth, nth_weekday_after(exclusion_date(), 7, &[]));
    // Everyone signed in may read the calendar; only admins see the forms.
    let (s, page) = app.get("/admin/calendar").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Training day"));
    assert!(!page.contains("Add a closure"));
}
