//! The directory: search page and API (filters, facets, typos, distance), profiles, and the
//! search index kept in step with the database.

mod common;

use common::TestApp;
use rocket::http::Status;
use serde_json::Value;

async fn api(app: &TestApp, query: &str) -> (Status, Value) {
    let (status, body) = app.get(&format!("/api/v1/providers?{query}")).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn names(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[rocket::async_test]
async fn the_search_page_filters_pages_and_shows_removable_tags() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/providers").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("33 providers found; page 1 of 2"));
    assert_eq!(html.matches("<li class=\"result\">").count(), 20);
    let (_, html) = app.get("/providers?page=2").await;
    assert_eq!(html.matches("<li class=\"result\">").count(), 13);
    let (_, html) = app.get("/providers?q=motor").await;
    assert!(html.contains("1 provider found") && html.contains("Don Valley Motor Skills"));
    let (_, html) = app.get("/providers?tier=1&locality=a").await;
    assert!(html.contains("Firth Park Primary Outreach"));
    assert!(!html.contains("Sheffield Inclusion Centre"));
    // Each selected filter is a tag whose link removes just that filter.
    let html = html.replace("&#x2f;", "/");
    assert!(
        html.contains("href=\"/providers?locality=a\""),
        "removing the tier keeps the locality"
    );
    assert!(html.contains("href=\"/providers?tier=1\""));
    let (status, html) = app.get("/providers?locality=zz").await;
    assert_eq!(status, Status::BadRequest);
    assert!(html.contains("Choose a locality from the list"));
    let (status, html) = app.get("/providers?near=SW1A%201AA").await;
    assert_eq!(status, Status::BadRequest);
    assert!(html.contains("We do not know where SW1A 1AA is"));
    assert!(
        html.contains("href=\"#near\""),
        "the error summary links to the field"
    );
}

#[rocket::async_test]
async fn api_answers_with_results_facets_and_distances() {
    let app = TestApp::with_demo().await;
    let (status, v) = api(&app, "").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(v["total"], 33);
    assert_eq!(v["per_page"], 20);
    assert_eq!(v["results"].as_array().unwrap().len(), 20);
    let first = &v["results"][0];
    for key in [
        "id",
        "name",
        "summary",
        "tiers",
        "place_types",
        "locality",
        "key_stages",
        "needs",
        "registration",
        "due_diligence",
        "capacity",
        "places_free",
        "url",
    ] {
        assert!(first.get(key).is_some(), "result has {key}");
    }
    assert!(
        first.get("distance_km").is_none(),
        "distance only when near is given"
    );
    for f in ["tier", "locality", "place_type", "key_stage", "need"] {
        assert!(v["facets"][f].is_object(), "facet {f}");
    }

    // Typos: a one-letter slip in a word of five or more letters still matches.
    let (_, v) = api(&app, "q=mecanics").await;
    assert!(
        names(&v).contains(&"Don Valley Motor Skills".to_string()),
        "{:?}",
        names(&v)
    );
    let (_, v) = api(&app, "q=contruction").await;
    assert_eq!(
        names(&v)[0],
        "Forge Construction Skills",
        "name matches rank first"
    );

    // Repeated values are OR'ed; different filters AND'ed; facets drill sideways.
    let (_, one) = api(&app, "tier=1").await;
    let (_, three) = api(&app, "tier=3").await;
    let (_, both) = api(&app, "tier=1&tier=3").await;
    let (n1, n3, nb) = (
        one["total"].as_u64().unwrap(),
        three["total"].as_u64().unwrap(),
        both["total"].as_u64().unwrap(),
    );
    assert!(nb <= n1 + n3 && nb >= n1.max(n3));
    assert_eq!(
        both["facets"]["tier"]["2"], one["facets"]["tier"]["2"],
        "tier counts ignore the tier selection"
    );
    let (_, anded) = api(&app, "tier=3&place_type=vocational").await;
    for r in anded["results"].as_array().unwrap() {
        assert!(r["tiers"].as_array().unwrap().contains(&Value::from(3)));
        assert!(r["place_types"]
            .as_array()
            .unwrap()
            .contains(&Value::from("vocational")));
    }
    let (_, places) = api(&app, "has_places=true&per_page=100").await;
    assert!(places["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["places_free"].as_i64().unwrap() > 0));
    let (_, approved) = api(&app, "approved=true&per_page=100").await;
    assert!(approved["results"].as_array().unwrap().iter().all(|r| {
        matches!(
            r["due_diligence"].as_str(),
            Some("approved") | Some("expiring")
        )
    }));
    let (_, reg) = api(&app, "registration=registered_school").await;
    let mut reg_names = names(&reg);
    reg_names.sort();
    assert_eq!(
        reg_names,
        vec![
            "Becton School (Chapel House)",
            "Greenhill Therapeutic School",
            "Sheffield Inclusion Centre"
        ]
    );

    // Distance from a postcode district centroid (S1 is 53.3808, -1.4700), sorted, within a radius.
    let (_, near) = api(&app, "near=S1%201AA&sort=distance&per_page=100").await;
    let d: Vec<f64> = near["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["distance_km"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "sorted by distance");
    let (_, within) = api(&app, "near=53.3808,-1.47&radius_km=3&per_page=100").await;
    assert!(within["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["distance_km"].as_f64().unwrap() <= 3.0));
    assert!(within["total"].as_u64().unwrap() < 33);
}

#[rocket::async_test]
async fn distances_match_a_hand_computed_haversine() {
    let app = TestApp::with_demo().await;
    let (lat, lon): (f64, f64) = sqlx::query_as(
        "SELECT s.latitude, s.longitude FROM provider_sites s JOIN providers p ON p.id = s.provider_id \
         WHERE p.slug = 'don-valley-motor-skills' AND s.is_main = $1",
    )
    .bind(true)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Haversine by hand from (53.0, -1.5).
    let r = 6371.0088_f64;
    let (p1, p2) = (53.0_f64.to_radians(), lat.to_radians());
    let dl = (lon - -1.5_f64).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    let expected = 2.0 * r * h.sqrt().asin();
    let (_, v) = api(&app, "q=motor&near=53.0,-1.5").await;
    let got = v["results"][0]["distance_km"].as_f64().unwrap();
    assert!(
        (got - expected).abs() < 0.06,
        "got {got}, expected {expected}"
    );
}

#[rocket::async_test]
async fn distance_from_a_school_named_by_its_urn() {
    let app = TestApp::with_demo().await;
    let (urn, name, slat, slon): (String, String, f64, f64) = sqlx::query_as(
        "SELECT urn, name, latitude, longitude FROM schools WHERE latitude IS NOT NULL ORDER BY urn DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (plat, plon): (f64, f64) = sqlx::query_as(
        "SELECT s.latitude, s.longitude FROM provider_sites s JOIN providers p ON p.id = s.provider_id \
         WHERE p.slug = 'don-valley-motor-skills' AND s.is_main = $1",
    )
    .bind(true)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let r = 6371.0088_f64;
    let (p1, p2) = (slat.to_radians(), plat.to_radians());
    let dl = (plon - slon).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    let expected = 2.0 * r * h.sqrt().asin();
    let (status, v) = api(&app, &format!("q=motor&near={urn}")).await;
    assert_eq!(status, Status::Ok, "{v}");
    let got = v["results"][0]["distance_km"].as_f64().unwrap();
    assert!(
        (got - expected).abs() < 0.06,
        "got {got}, expected {expected}"
    );
    // The page names the school rather than the number, and the profile measures from it too.
    let (status, html) = app.get(&format!("/providers?near={urn}")).await;
    assert_eq!(status, Status::Ok);
    let escaped = name.replace('\'', "&#x27;");
    assert!(
        html.contains(&format!("Distances from {escaped}")),
        "{name}"
    );
    let (status, html) = app
        .get(&format!("/providers/don-valley-motor-skills?near={urn}"))
        .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("{expected:.1} km")) || html.contains(&format!("{got:.1} km")));
    let (status, _) = app
        .get("/providers/don-valley-motor-skills?near=999999")
        .await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn api_refuses_bad_parameters_with_400() {
    let app = TestApp::with_demo().await;
    for (q, msg) in [
        ("tier=4", "Tier must be 1, 2 or 3"),
        ("place_type=boarding", "not a place type"),
        ("key_stage=KS9", "Key stage must be"),
        ("need=XYZ", "Choose a need"),
        ("registration=maybe", "Registration must be"),
        ("has_places=perhaps", "has_places must be true or false"),
        (
            "per_page=101",
            "per_page must be a whole number from 1 to 100",
        ),
        ("page=0", "page must be"),
        ("near=SW1A%201AA", "do not know where"),
        (
            "radius_km=5",
            "Enter a postcode to search within a distance",
        ),
        ("near=S1&radius_km=-3", "Distance must be"),
        ("sort=random", "Sort by relevance, distance or name"),
        ("sort=distance", "Enter a postcode to sort by distance"),
        (
            "near=999999",
            "do not know where the school with URN 999999 is",
        ),
    ] {
        let (status, v) = api(&app, q).await;
        assert_eq!(status, Status::BadRequest, "{q}");
        let m = v["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains(msg), "{q}: {m}");
    }
}

#[rocket::async_test]
async fn profiles_as_pages_and_json() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/providers/sheffield-inclusion-centre").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Registered school (URN 139876)"));
    assert!(html.contains("Requires improvement"));
    assert!(html.contains("Checks complete and current"));
    let (_, html) = app.get("/providers/tinsley-sports-futures").await;
    assert!(html.contains("Suspended"));
    let (status, html) = app
        .get("/providers/steel-city-vocational-hub?near=S5")
        .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("km away") && html.contains("Distances are from S5"));
    // A school user sees distances from their own school by default.
    app.login("school@demo.test").await;
    let (_, html) = app.get("/providers/steel-city-vocational-hub").await;
    assert!(html.contains("Distances are from Firth Park Academy"));
    let (_, html) = app.get("/providers").await;
    assert!(html.contains("Distances from Firth Park Academy"));

    let id: i64 =
        sqlx::query_scalar("SELECT id FROM providers WHERE slug = 'sheffield-inclusion-centre'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (status, body) = app.get(&format!("/api/v1/providers/{id}")).await;
    assert_eq!(status, Status::Ok);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["urn"], "139876");
    assert_eq!(v["sites"].as_array().unwrap().len(), 2);
    assert!(
        v.get("dd_reason").is_none(),
        "no due-diligence reasons in public JSON"
    );
    assert_eq!(
        app.get("/api/v1/providers/999999").await.0,
        Status::NotFound
    );
}

#[rocket::async_test]
async fn the_index_follows_the_database_and_rebuilds_itself() {
    let app = TestApp::with_demo().await;
    let search = app
        .client
        .rocket()
        .state::<apdir::directory::index::Search>()
        .unwrap()
        .clone();
    let id: i64 = sqlx::query_scalar("SELECT id FROM providers WHERE slug = 'loxley-farm-school'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE providers SET summary = 'Now teaching beekeeping' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    apdir::directory::index::refresh(&app.pool, &search, id)
        .await
        .unwrap();
    // Searchable within a second: the writer commits each batch as it arrives.
    let started = std::time::Instant::now();
    loop {
        let (_, v) = api(&app, "q=beekeeping").await;
        if v["total"] == 1 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "update not visible within a second"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // Deleting the index directory: the next open rebuilds it from SQL.
    let dir = app.dir.path().to_path_buf();
    let other = tempfile::tempdir().unwrap();
    let fresh = apdir::directory::index::open(&app.pool, other.path())
        .await
        .unwrap();
    assert_eq!(fresh.0.len(), 33, "built from the database");
    drop(fresh);
    std::fs::remove_dir_all(other.path().join("index")).unwrap();
    let again = apdir::directory::index::open(&app.pool, other.path())
        .await
        .unwrap();
    assert_eq!(again.0.len(), 33, "rebuilt after deletion");
    drop(again);
    std::fs::write(other.path().join("index").join("apdir_schema_version"), "0").unwrap();
    let upgraded = apdir::directory::index::open(&app.pool, other.path())
        .await
        .unwrap();
    assert_eq!(
        upgraded.0.len(),
        33,
        "rebuilt after a schema version change"
    );
    assert!(
        dir.join("index").exists(),
        "the app's own index lives in its data directory"
    );
}

#[rocket::async_test]
async fn home_pages_count_providers_and_list_those_needing_attention() {
    let app = TestApp::with_demo().await;
    let (_, html) = app.get("/").await;
    assert!(html.contains("the 33 alternative provision providers"));
    let free = app
        .count("SELECT CAST(SUM(places_free) AS BIGINT) FROM providers")
        .await;
    assert!(html.contains(&format!("{free} places are currently shown as free")));
    app.login("progressions@demo.test").await;
    let (_, html) = app.get("/").await;
    assert!(html.contains("Tinsley Sports Futures") && html.contains("Forge Construction Skills"));
    assert!(
        !html.contains("Sheffield Inclusion Centre</a>"),
        "approved providers are not listed"
    );
}
