//! Keeping profiles current: submissions wait for approval, places free does not, Progressions
//! edits directly, and every version is kept with who and when.

mod common;

use common::TestApp;
use rocket::http::Status;

const FIELDS: [(&str, &str); 9] = [
    ("name", "Steel City Vocational Hub"),
    (
        "summary",
        "Steel City Vocational Hub teaches beekeeping and welding to young people.",
    ),
    ("description", "A longer description."),
    ("website", "https://steel-city-vocational-hub.example.org"),
    ("email", "enquiries@steel-city-vocational-hub.example.org"),
    ("phone", "0114 496 0100"),
    ("qualifications", "BTEC Level 1"),
    ("days_hours", "Monday to Friday, 9am to 3pm"),
    ("transport", "Bus 52"),
];

async fn api_total(app: &TestApp, q: &str) -> u64 {
    let (_, body) = app.get(&format!("/api/v1/providers?q={q}")).await;
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"]
        .as_u64()
        .unwrap()
}

#[rocket::async_test]
async fn changes_wait_for_approval_then_publish_and_are_kept() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    let (status, html) = app.get("/provider/profile").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Send changes for approval"));
    let r = app.post_csrf("/provider/profile", &FIELDS).await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, html) = app.get("/provider/profile").await;
    assert!(html.contains("waiting for approval"));
    // Not public yet.
    let (_, public) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(!public.contains("beekeeping"));
    assert_eq!(api_total(&app, "beekeeping").await, 0);
    // A provider cannot approve its own changes.
    assert_eq!(app.get("/approvals").await.0, Status::Forbidden);
    let vid: i64 = sqlx::query_scalar("SELECT id FROM provider_versions WHERE status = 'pending'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.post_csrf(&format!("/approvals/{vid}"), &[("decision", "approve")])
            .await
            .status(),
        Status::Forbidden
    );
    app.logout().await;

    app.login("progressions@demo.test").await;
    let (_, queue) = app.get("/approvals").await;
    assert!(queue.contains("Steel City Vocational Hub"));
    assert!(
        queue.contains("Summary for families") && queue.contains("beekeeping"),
        "field by field"
    );
    assert!(queue.contains("Days and hours"));
    assert!(
        !queue.contains("<th scope=\"row\">Name</th>"),
        "unchanged fields are not listed"
    );
    let r = app
        .post_csrf(
            &format!("/approvals/{vid}"),
            &[("decision", "approve"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, public) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(public.contains("beekeeping and welding"));
    // The search index follows within a second.
    let started = std::time::Instant::now();
    while api_total(&app, "beekeeping").await != 1 {
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Deciding twice is a conflict, not a second write.
    let r = app
        .post_csrf(&format!("/approvals/{vid}"), &[("decision", "approve")])
        .await;
    assert_eq!(r.status(), Status::Conflict);
    let (_, history) = app
        .get("/providers/steel-city-vocational-hub/history")
        .await;
    assert!(
        history.contains("Approved")
            && history.contains("provider@demo.test")
            && history.contains("progressions@demo.test")
    );
    assert_eq!(app.audit_count("submit").await, 1);
    assert_eq!(app.audit_count("approve").await, 1);
}

#[rocket::async_test]
async fn rejections_need_a_reason_and_newer_submissions_replace_older() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    let mut f = FIELDS;
    f[1].1 = "First try at a new summary.";
    app.post_csrf("/provider/profile", &f).await;
    f[1].1 = "Second try at a new summary.";
    app.post_csrf("/provider/profile", &f).await;
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM provider_versions ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec!["superseded", "pending"]);
    app.logout().await;
    app.login("progressions@demo.test").await;
    let vid: i64 = sqlx::query_scalar("SELECT id FROM provider_versions WHERE status = 'pending'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app
        .post_csrf(
            &format!("/approvals/{vid}"),
            &[("decision", "reject"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let r = app
        .post_csrf(&format!("/approvals/{vid}"), &[("decision", "maybe")])
        .await;
    assert_eq!(r.status(), Status::BadRequest);
    let r = app
        .post_csrf(
            &format!("/approvals/{vid}"),
            &[
                ("decision", "reject"),
                ("note", "Please keep it to one sentence"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, public) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(!public.contains("Second try"));
    let (_, history) = app
        .get("/providers/steel-city-vocational-hub/history")
        .await;
    assert!(history.contains("Rejected: Please keep it to one sentence"));
}

#[rocket::async_test]
async fn places_free_changes_at_once_with_its_own_date() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    let r = app
        .post_csrf("/provider/places", &[("places_free", "7")])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, public) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(public.contains("7 free, updated"));
    for bad in ["-1", "999", "many", ""] {
        let r = app
            .post_csrf("/provider/places", &[("places_free", bad)])
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{bad}");
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT places_free FROM providers WHERE slug = 'steel-city-vocational-hub'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(n, 7);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        0,
        "no approval needed"
    );
}

#[rocket::async_test]
async fn progressions_edits_directly_and_bad_input_is_refused() {
    let app = TestApp::with_demo().await;
    app.login("progressions@demo.test").await;
    let (status, _) = app.get("/providers/don-valley-motor-skills/edit").await;
    assert_eq!(status, Status::Ok);
    let mut f = FIELDS;
    f[0].1 = "Don Valley Motor Skills";
    f[1].1 = "Direct edit by the council.";
    let r = app
        .post_csrf("/providers/don-valley-motor-skills/edit", &f)
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, public) = app.get("/providers/don-valley-motor-skills").await;
    assert!(public.contains("Direct edit by the council."));
    let (_, history) = app.get("/providers/don-valley-motor-skills/history").await;
    assert!(history.contains("Edited by the council"));

    let before = app.count("SELECT COUNT(*) FROM provider_versions").await;
    for (field, value, message) in [
        ("name", "", "Enter the provider&#x27;s name"),
        ("summary", "", "Enter summary for families"),
        (
            "website",
            "javascript:alert(1)",
            "Enter a website address starting with https:",
        ),
        ("email", "not-an-email", "correct format"),
        ("phone", "call me", "telephone number"),
        ("summary", &"x".repeat(601), "600 characters or fewer"),
    ] {
        let mut f = FIELDS;
        for p in f.iter_mut() {
            if p.0 == field {
                p.1 = value;
            }
        }
        let r = app
            .post_csrf("/providers/don-valley-motor-skills/edit", &f)
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{field}");
        let html = r.into_string().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(html.contains(&format!("href=\"#{field}\"")));
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        before
    );
}

#[rocket::async_test]
async fn history_is_for_progressions_and_the_provider_itself() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    assert_eq!(
        app.get("/providers/steel-city-vocational-hub/history")
            .await
            .0,
        Status::Ok
    );
    assert_eq!(
        app.get("/providers/don-valley-motor-skills/history")
            .await
            .0,
        Status::NotFound
    );
    app.logout().await;
    app.login("school@demo.test").await;
    assert_eq!(
        app.get("/providers/steel-city-vocational-hub/history")
            .await
            .0,
        Status::Forbidden
    );
    assert_eq!(
        app.get("/providers/steel-city-vocational-hub/edit").await.0,
        Status::Forbidden
    );
    assert_eq!(app.get("/provider/profile").await.0, Status::Forbidden);
}

/// The offer part of the form: what the searches filter on.
fn with_offer<'a>(
    base: &[(&'a str, &'a str)],
    offer: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(offer.iter()).copied().collect()
}

async fn api_ids(app: &TestApp, q: &str) -> Vec<i64> {
    let (_, body) = app
        .get(&format!("/api/v1/providers?per_page=100&{q}"))
        .await;
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[rocket::async_test]
async fn the_offer_changes_through_approval_and_moves_the_provider_between_searches() {
    let app = TestApp::with_demo().await;
    let (id, places): (i64, i64) = sqlx::query_as(
        "SELECT id, places_free FROM providers WHERE slug = 'steel-city-vocational-hub'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(places > 1, "the demo provider has places free");
    // Nothing in the demo offers KS1 with tier 1 at this provider.
    assert!(!api_ids(&app, "tier=1&key_stage=KS1&need=PD")
        .await
        .contains(&id));

    app.login("provider@demo.test").await;
    let (_, form) = app.get("/provider/profile").await;
    assert!(form.contains("name=\"tiers\"") && form.contains("name=\"capacity\""));
    let offer = [
        ("tiers", "1"),
        ("tiers", "1"),
        ("place_types", "outreach"),
        ("key_stages", "KS1"),
        ("key_stages", "KS2"),
        ("needs", "PD"),
        ("capacity", "1"),
    ];
    let r = app
        .post_csrf("/provider/profile", &with_offer(&FIELDS, &offer))
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    // Waiting: searches still find the old offer.
    assert!(!api_ids(&app, "tier=1&key_stage=KS1&need=PD")
        .await
        .contains(&id));
    app.logout().await;

    app.login("progressions@demo.test").await;
    let (_, queue) = app.get("/approvals").await;
    for label in [
        "Tiers",
        "Types of place",
        "Key stages",
        "Needs supported",
        "Capacity",
    ] {
        assert!(queue.contains(label), "{label} listed as changed");
    }
    assert!(queue.contains("Tier 1"));
    let vid: i64 = sqlx::query_scalar("SELECT id FROM provider_versions WHERE status = 'pending'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let r = app
        .post_csrf(
            &format!("/approvals/{vid}"),
            &[("decision", "approve"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    app.flush_index();
    assert!(api_ids(&app, "tier=1&key_stage=KS1&need=PD")
        .await
        .contains(&id));
    assert!(!api_ids(&app, "tier=3").await.contains(&id));
    // Capacity went below places free, so places free followed it.
    let (capacity, free): (i64, i64) =
        sqlx::query_as("SELECT capacity, places_free FROM providers WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((capacity, free), (1, 1));
    let tiers: Vec<i64> =
        sqlx::query_scalar("SELECT tier FROM provider_tiers WHERE provider_id = $1")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(tiers, vec![1], "duplicates collapse");
    let (_, public) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(public.contains("Physical disability") || public.contains("PD"));
}

#[rocket::async_test]
async fn a_bad_offer_is_refused_whole_with_every_problem_listed() {
    let app = TestApp::with_demo().await;
    app.login("progressions@demo.test").await;
    let before = app.count("SELECT COUNT(*) FROM provider_versions").await;
    let tags_before = app.count("SELECT COUNT(*) FROM provider_tiers").await;
    let offer = [
        ("tiers", "4"),
        ("place_types", "boarding"),
        ("needs", "XYZ"),
        ("capacity", "-1"),
    ];
    let r = app
        .post_csrf(
            "/providers/don-valley-motor-skills/edit",
            &with_offer(&FIELDS, &offer),
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap();
    for (anchor, message) in [
        ("#tiers-1", "Choose tiers from the list"),
        ("#place_types-1", "Choose types of place from the list"),
        ("#key_stages-1", "Choose at least one key stage"),
        ("#needs-1", "Choose needs from the list"),
        (
            "#capacity",
            "Capacity must be a whole number from 0 to 2000",
        ),
    ] {
        assert!(html.contains(&format!("href=\"{anchor}\"")), "{anchor}");
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        before
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_tiers").await,
        tags_before
    );
}

#[rocket::async_test]
async fn sites_are_added_kept_and_removed_with_their_places_found() {
    let app = TestApp::with_demo().await;
    let slug = "don-valley-motor-skills";
    let (pid,): (i64,) = sqlx::query_as("SELECT id FROM providers WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (main_id, name, address, postcode): (i64, String, String, String) = sqlx::query_as(
        "SELECT id, name, address, postcode FROM provider_sites WHERE provider_id = $1 AND is_main = $2",
    )
    .bind(pid)
    .bind(true)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let count_sql = format!("SELECT COUNT(*) FROM provider_sites WHERE provider_id = {pid}");
    let before = app.count(&count_sql).await;
    app.login("progressions@demo.test").await;
    let (_, form) = app.get(&format!("/providers/{slug}/edit")).await;
    assert!(form.contains("name=\"sites[0].postcode\""));
    assert!(form.contains("Add a site"));
    let offer = [
        ("tiers", "2"),
        ("place_types", "vocational"),
        ("key_stages", "KS4"),
        ("capacity", "20"),
    ];
    let mut fields: Vec<(&str, &str)> = FIELDS.iter().chain(offer.iter()).copied().collect();
    fields.extend([
        ("sites[0].name", name.as_str()),
        ("sites[0].address", address.as_str()),
        ("sites[0].postcode", postcode.as_str()),
        ("sites[1].name", "Annexe"),
        ("sites[1].address", "1 New Street, Sheffield"),
        ("sites[1].postcode", "s2 4su"),
        ("sites[2].name", ""),
        ("sites[2].address", ""),
        ("sites[2].postcode", ""),
    ]);
    let r = app
        .post_csrf(&format!("/providers/{slug}/edit"), &fields)
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(app.count(&count_sql).await, 2 + before - 1);
    let kept: (i64, bool) = sqlx::query_as(
        "SELECT id, is_main FROM provider_sites WHERE provider_id = $1 AND postcode = $2",
    )
    .bind(pid)
    .bind(&postcode)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(kept, (main_id, true), "the unchanged site keeps its row");
    let (pc, lat, lon): (String, f64, f64) = sqlx::query_as(
        "SELECT postcode, latitude, longitude FROM provider_sites WHERE provider_id = $1 AND name = 'Annexe'",
    )
    .bind(pid)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(pc, "S2 4SU", "postcode normalised");
    assert!(
        (lat - 53.368).abs() < 1e-9 && (lon - -1.454).abs() < 1e-9,
        "S2 district centre"
    );
    let (_, history) = app.get(&format!("/providers/{slug}/history")).await;
    assert!(history.contains("Edited by the council"));

    // Removing the main site makes the next one main.
    let mut fields: Vec<(&str, &str)> = FIELDS.iter().chain(offer.iter()).copied().collect();
    fields.extend([
        ("sites[0].name", name.as_str()),
        ("sites[0].address", address.as_str()),
        ("sites[0].postcode", postcode.as_str()),
        ("sites[0].remove", "true"),
        ("sites[1].name", "Annexe"),
        ("sites[1].address", "1 New Street, Sheffield"),
        ("sites[1].postcode", "S2 4SU"),
    ]);
    let r = app
        .post_csrf(&format!("/providers/{slug}/edit"), &fields)
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let main: String = sqlx::query_scalar(
        "SELECT name FROM provider_sites WHERE provider_id = $1 AND is_main = $2",
    )
    .bind(pid)
    .bind(true)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(main, "Annexe");

    // Problems with a site refuse the whole form and point at the field.
    let versions = app.count("SELECT COUNT(*) FROM provider_versions").await;
    for (site, message, anchor) in [
        (
            ["Annexe", "1 New Street", "ZZ9 9ZZ"],
            "We do not know where ZZ9 9ZZ is",
            "#sites-0-postcode",
        ),
        (
            ["Annexe", "1 New Street", "nonsense"],
            "postcode",
            "#sites-0-postcode",
        ),
        (
            ["Annexe", "", "S2 4SU"],
            "Enter the site",
            "#sites-0-address",
        ),
    ] {
        let mut fields: Vec<(&str, &str)> = FIELDS.iter().chain(offer.iter()).copied().collect();
        fields.extend([
            ("sites[0].name", site[0]),
            ("sites[0].address", site[1]),
            ("sites[0].postcode", site[2]),
        ]);
        let r = app
            .post_csrf(&format!("/providers/{slug}/edit"), &fields)
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{site:?}");
        let html = r.into_string().await.unwrap();
        assert!(html.contains(message), "{site:?}: {message}");
        assert!(html.contains(&format!("href=\"{anchor}\"")), "{anchor}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM provider_versions").await,
        versions
    );
    assert_eq!(app.count(&count_sql).await, 1);
}
