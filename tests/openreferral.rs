//! The Open Referral UK feed: every answer for every demo provider validates against the
//! standard's own JSON Schemas (standards/oruk, with formats such as uuid and uri checked),
//! filters agree with the database, and nothing private is published.

mod common;

use common::TestApp;
use rocket::http::Status;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn schema_file(name: &str) -> Value {
    let path = format!("{}/standards/oruk/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles")
}

/// A paginated answer as the standard's OpenAPI description defines it: the `Page` envelope
/// with `contents` holding items of `item`.
fn page_of(openapi: &Value, mut item: Value) -> jsonschema::Validator {
    let page = openapi["components"]["schemas"]["Page"].clone();
    // References inside the item resolve from the document's root: keep its definitions there.
    let definitions = item
        .as_object_mut()
        .and_then(|m| m.remove("definitions"))
        .unwrap_or(json!({}));
    validator(&json!({
        "definitions": definitions,
        "allOf": [page],
        "required": ["contents"],
        "properties": {"contents": {"type": "array", "items": item}},
    }))
}

/// One of the definitions in `service_with_definitions.json` (taxonomy, taxonomy_term).
fn definition(name: &str) -> jsonschema::Validator {
    let with = schema_file("compiled/service_with_definitions.json");
    validator(&json!({
        "definitions": with["definitions"],
        "$ref": format!("#/definitions/{name}"),
    }))
}

fn check(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what} does not validate: {errors:#?}");
}

async fn get_json(app: &TestApp, path: &str) -> (Status, Value) {
    let (status, body) = app.get(path).await;
    let v = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: not JSON: {body}"));
    (status, v)
}

fn ids(page: &Value) -> Vec<String> {
    page["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// No JSON `null` anywhere, and no empty strings or lists in optional fields: the profile says
/// to omit empty optional fields. (`state_province` and `city` are required, so may be empty.)
fn assert_no_empty_optionals(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("null at {at}"),
        Value::Array(a) => {
            assert!(!a.is_empty(), "empty list at {at}");
            for (i, x) in a.iter().enumerate() {
                assert_no_empty_optionals(x, &format!("{at}[{i}]"));
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                if let Value::String(s) = x {
                    if s.is_empty() {
                        assert!(k == "state_province" || k == "city", "empty {k} at {at}");
                    }
                }
                // `contents` of an empty page is the one list allowed to be empty.
                if k == "contents" {
                    continue;
                }
                assert_no_empty_optionals(x, &format!("{at}.{k}"));
            }
        }
        _ => {}
    }
}

#[rocket::async_test]
async fn every_feed_answer_validates_for_every_demo_provider() {
    let app = TestApp::with_demo().await;
    let openapi = schema_file("openapi.json");

    // API metadata, against the OpenAPI description's own response schema.
    let (status, meta) = get_json(&app, "/openreferral/").await;
    assert_eq!(status, Status::Ok);
    let meta_schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]
        .clone();
    check(&validator(&meta_schema), &meta, "metadata");
    assert_eq!(meta["version"], "3.0");

    let service_list = page_of(&openapi, schema_file("compiled/service_list.json"));
    let service = validator(&schema_file("compiled/service.json"));
    let sal_list = page_of(
        &openapi,
        schema_file("compiled/service_at_location_list.json"),
    );
    let sal = validator(&schema_file("compiled/service_at_location.json"));
    let with = schema_file("compiled/service_with_definitions.json");
    let taxonomy_list = page_of(
        &openapi,
        json!({"definitions": with["definitions"], "$ref": "#/definitions/taxonomy"}),
    );
    let term_list = page_of(
        &openapi,
        json!({"definitions": with["definitions"], "$ref": "#/definitions/taxonomy_term"}),
    );
    let taxonomy = definition("taxonomy");
    let term = definition("taxonomy_term");

    let providers = app.count("SELECT COUNT(*) FROM providers").await;
    let sites = app.count("SELECT COUNT(*) FROM provider_sites").await;
    assert!(providers > 30 && sites > providers);

    let (status, list) = get_json(&app, "/openreferral/services?per_page=500").await;
    assert_eq!(status, Status::Ok);
    check(&service_list, &list, "/services");
    // The check can fail: an id that is not a UUID is caught (formats are validated).
    let mut broken = list.clone();
    broken["contents"][0]["id"] = json!("provider-1");
    assert!(!service_list.is_valid(&broken));
    assert_no_empty_optionals(&list, "/services");
    assert_eq!(list["total_items"], providers);
    let service_ids = ids(&list);
    assert_eq!(service_ids.len() as i64, providers);
    let mut with_attributes = 0;
    for id in &service_ids {
        let (status, doc) = get_json(&app, &format!("/openreferral/services/{id}")).await;
        assert_eq!(status, Status::Ok, "/services/{id}");
        check(&service, &doc, &format!("/services/{id}"));
        assert_no_empty_optionals(&doc, id);
        assert_eq!(doc["id"], json!(id));
        with_attributes += usize::from(doc["attributes"].as_array().is_some_and(|a| a.len() >= 4));
    }
    // Every provider is tagged with at least a tier, a place type, a key stage and a need.
    assert_eq!(with_attributes as i64, providers);

    let (status, list) = get_json(&app, "/openreferral/service_at_locations?per_page=500").await;
    assert_eq!(status, Status::Ok);
    check(&sal_list, &list, "/service_at_locations");
    assert_no_empty_optionals(&list, "/service_at_locations");
    assert_eq!(list["total_items"], sites);
    for id in ids(&list) {
        let (status, doc) =
            get_json(&app, &format!("/openreferral/service_at_locations/{id}")).await;
        assert_eq!(status, Status::Ok);
        check(&sal, &doc, &format!("/service_at_locations/{id}"));
        assert_no_empty_optionals(&doc, &id);
        assert!(service_ids.contains(&doc["service_id"].as_str().unwrap_or("").to_string()));
    }

    let (_, list) = get_json(&app, "/openreferral/taxonomies").await;
    check(&taxonomy_list, &list, "/taxonomies");
    assert_eq!(list["total_items"], 5);
    for id in ids(&list) {
        let (status, doc) = get_json(&app, &format!("/openreferral/taxonomies/{id}")).await;
        assert_eq!(status, Status::Ok);
        check(&taxonomy, &doc, "taxonomy");
    }
    let (_, list) = get_json(&app, "/openreferral/taxonomy_terms?per_page=500").await;
    check(&term_list, &list, "/taxonomy_terms");
    let terms = app.count("SELECT (SELECT COUNT(*) FROM tiers) + (SELECT COUNT(*) FROM place_types) + (SELECT COUNT(*) FROM key_stages) + (SELECT COUNT(*) FROM needs) + (SELECT COUNT(*) FROM localities)").await;
    assert_eq!(list["total_items"], terms);
    for id in ids(&list) {
        let (status, doc) = get_json(&app, &format!("/openreferral/taxonomy_terms/{id}")).await;
        assert_eq!(status, Status::Ok);
        check(&term, &doc, "taxonomy term");
    }
}

/// A term's id, found by its taxonomy's name and its own key.
async fn term_id(app: &TestApp, taxonomy: &str, key: &str) -> String {
    let (_, list) = get_json(app, "/openreferral/taxonomy_terms?per_page=500").await;
    list["contents"]
        .as_array()
        .expect("terms")
        .iter()
        .find(|t| t["taxonomy"] == taxonomy && t["term"] == key)
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("no term {taxonomy}/{key}"))
        .to_string()
}

fn names(page: &Value) -> BTreeSet<String> {
    page["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn db_names(app: &TestApp, sql: &str) -> BTreeSet<String> {
    let rows: Vec<(String,)> = sqlx::query_as(sql)
        .fetch_all(&app.pool)
        .await
        .expect("names");
    rows.into_iter().map(|r| r.0).collect()
}

#[rocket::async_test]
async fn filters_and_pages_agree_with_the_database() {
    let app = TestApp::with_demo().await;
    let tier1 = term_id(&app, "Alternative provision tiers", "1").await;
    let (_, page) = get_json(
        &app,
        &format!("/openreferral/services?per_page=500&taxonomy_term_id={tier1}"),
    )
    .await;
    let expected = db_names(
        &app,
        "SELECT p.name FROM providers p JOIN provider_tiers t ON t.provider_id = p.id WHERE t.tier = 1",
    )
    .await;
    assert!(!expected.is_empty());
    assert_eq!(names(&page), expected);

    let medical = term_id(&app, "Alternative provision place types", "medical").await;
    let (_, page) = get_json(
        &app,
        &format!("/openreferral/services?per_page=500&taxonomy_term_id={medical}"),
    )
    .await;
    let expected = db_names(&app, "SELECT p.name FROM providers p JOIN provider_place_types t ON t.provider_id = p.id WHERE t.place_type_key = 'medical'").await;
    assert!(!expected.is_empty());
    assert_eq!(names(&page), expected);

    // A taxonomy: every provider has a need, so all are in; the id of a term is not a taxonomy.
    let (_, taxonomies) = get_json(&app, "/openreferral/taxonomies").await;
    let needs = taxonomies["contents"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "Special educational needs"))
        .and_then(|t| t["id"].as_str())
        .expect("needs taxonomy")
        .to_string();
    let (_, page) = get_json(&app, &format!("/openreferral/services?taxonomy_id={needs}")).await;
    assert_eq!(
        page["total_items"],
        app.count("SELECT COUNT(*) FROM providers").await
    );
    let (_, page) = get_json(&app, &format!("/openreferral/services?taxonomy_id={tier1}")).await;
    assert_eq!(page["total_items"], 0);
    assert_eq!(page["empty"], true);

    // Ages, as the standard words them: minimum age at least 11 means no primary key stages.
    let (_, page) = get_json(&app, "/openreferral/services?per_page=500&minimum_age=11").await;
    let expected = db_names(&app, "SELECT name FROM providers p WHERE EXISTS (SELECT 1 FROM provider_key_stages k WHERE k.provider_id = p.id) AND NOT EXISTS (SELECT 1 FROM provider_key_stages k WHERE k.provider_id = p.id AND k.key_stage_key IN ('KS1', 'KS2'))").await;
    assert!(!expected.is_empty());
    assert_eq!(names(&page), expected);
    let (_, page) = get_json(&app, "/openreferral/services?per_page=500&maximum_age=11").await;
    let expected = db_names(&app, "SELECT name FROM providers p WHERE EXISTS (SELECT 1 FROM provider_key_stages k WHERE k.provider_id = p.id) AND NOT EXISTS (SELECT 1 FROM provider_key_stages k WHERE k.provider_id = p.id AND k.key_stage_key IN ('KS3', 'KS4', 'KS5'))").await;
    assert!(!expected.is_empty());
    assert_eq!(names(&page), expected);

    // Parameters of the standard that the directory has no data for (opening times) are
    // ignored, not refused.
    let (status, page) = get_json(&app, "/openreferral/services?day=monday&start_time=09:00").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        page["total_items"],
        app.count("SELECT COUNT(*) FROM providers").await
    );

    // Full-text search goes through the directory's own index.
    let (_, page) = get_json(&app, "/openreferral/services?search=motor").await;
    assert_eq!(
        names(&page),
        BTreeSet::from(["Don Valley Motor Skills".to_string()])
    );

    // Pages: 33 providers in pages of 10.
    let total = app.count("SELECT COUNT(*) FROM providers").await;
    let last = (total + 9) / 10;
    let (_, first) = get_json(&app, "/openreferral/services?per_page=10").await;
    assert_eq!(first["size"], 10);
    assert_eq!(first["total_pages"], last);
    assert_eq!(first["first_page"], true);
    assert_eq!(first["last_page"], false);
    let (_, end) = get_json(
        &app,
        &format!("/openreferral/services?per_page=10&page={last}"),
    )
    .await;
    assert_eq!(end["size"], total - (last - 1) * 10);
    assert_eq!(end["last_page"], true);
    let mut seen = BTreeSet::new();
    for p in 1..=last {
        let (_, page) = get_json(
            &app,
            &format!("/openreferral/services?per_page=10&page={p}"),
        )
        .await;
        seen.extend(ids(&page));
    }
    assert_eq!(seen.len() as i64, total, "pages neither repeat nor skip");
    let (_, beyond) = get_json(
        &app,
        &format!("/openreferral/services?per_page=10&page={}", last + 1),
    )
    .await;
    assert_eq!(beyond["empty"], true);
}

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

#[rocket::async_test]
async fn postcode_and_proximity_find_sites_nearest_first() {
    let app = TestApp::with_demo().await;
    let centre = apdir::geo::locate(&apdir::domain::Postcode::parse("S1 2HE").expect("postcode"))
        .expect("S1 is known");
    let sites: Vec<(Option<f64>, Option<f64>)> =
        sqlx::query_as("SELECT latitude, longitude FROM provider_sites")
            .fetch_all(&app.pool)
            .await
            .expect("sites");
    let within = sites
        .iter()
        .filter_map(|s| Some(haversine_m(centre, (s.0?, s.1?))))
        .filter(|d| *d <= 3000.0)
        .count();
    assert!(within > 0 && within < sites.len());
    let (status, page) = get_json(
        &app,
        "/openreferral/service_at_locations?postcode=S1%202HE&proximity=3000&per_page=500",
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(page["total_items"], within);
    let distances: Vec<f64> = page["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|c| {
            let l = &c["location"];
            haversine_m(
                centre,
                (
                    l["latitude"].as_f64().unwrap_or(0.0),
                    l["longitude"].as_f64().unwrap_or(0.0),
                ),
            )
        })
        .collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1] + 1.0),
        "nearest first"
    );
    // A postcode on its own orders every site by distance.
    let (_, page) = get_json(
        &app,
        "/openreferral/service_at_locations?postcode=S1%202HE&per_page=500",
    )
    .await;
    assert_eq!(page["total_items"], sites.len());
}

#[rocket::async_test]
async fn bad_requests_get_json_messages_and_every_answer_is_open_to_any_origin() {
    let app = TestApp::with_demo().await;
    for (path, status, words) in [
        ("/openreferral/services?page=0", 400, "page"),
        ("/openreferral/services?page=abc", 400, "page"),
        ("/openreferral/services?per_page=100000", 400, "per_page"),
        ("/openreferral/services?minimum_age=old", 400, "minimum_age"),
        ("/openreferral/services?maximum_age=-4", 400, "maximum_age"),
        (
            "/openreferral/services?taxonomy_term_id=tier-1",
            400,
            "UUID",
        ),
        ("/openreferral/services?search=a%00b", 400, "control"),
        (
            "/openreferral/service_at_locations?proximity=1000",
            400,
            "postcode",
        ),
        (
            "/openreferral/service_at_locations?postcode=S1%202HE&proximity=-5",
            400,
            "proximity",
        ),
        (
            "/openreferral/service_at_locations?postcode=NOT%20A%20POSTCODE",
            400,
            "postcode",
        ),
        (
            "/openreferral/service_at_locations?postcode=EH1%201YZ",
            400,
            "outside",
        ),
        ("/openreferral/services/not-a-uuid", 404, ""),
        (
            "/openreferral/services/6b1e0c5a-52f4-4d0e-9a57-0a1d17c35e01",
            404,
            "",
        ),
        (
            "/openreferral/service_at_locations/6b1e0c5a-52f4-4d0e-9a57-0a1d17c35e01",
            404,
            "",
        ),
        (
            "/openreferral/taxonomies/6b1e0c5a-52f4-4d0e-9a57-0a1d17c35e01",
            404,
            "",
        ),
        (
            "/openreferral/taxonomy_terms/6b1e0c5a-52f4-4d0e-9a57-0a1d17c35e01",
            404,
            "",
        ),
    ] {
        let res = app.get_response(path).await;
        assert_eq!(res.status().code, status, "{path}");
        assert_eq!(
            res.headers().get_one("Access-Control-Allow-Origin"),
            Some("*"),
            "{path}"
        );
        let body = res.into_string().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{path}: {message}");
    }
    let res = app.get_response("/openreferral/services").await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.headers().get_one("Access-Control-Allow-Origin"),
        Some("*")
    );
    // The rest of the site is not opened to other origins.
    let res = app.get_response("/api/v1/providers").await;
    assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), None);
}

#[rocket::async_test]
async fn the_feed_publishes_nothing_private() {
    let app = TestApp::with_demo().await;
    // Private text a provider's record can carry: due-diligence reasons and suspension.
    sqlx::query("UPDATE providers SET dd_reason = 'PRIVATE-REASON', suspension_reason = 'PRIVATE-SUSPENSION', dd_status = 'suspended' WHERE id = (SELECT MIN(id) FROM providers)")
        .execute(&app.pool)
        .await
        .expect("update");
    let mut everything = String::new();
    let (_, list) = get_json(&app, "/openreferral/services?per_page=500").await;
    everything.push_str(&list.to_string());
    let suspended = list["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .filter(|s| s["status"] == "temporarily closed")
        .count();
    let expected = app
        .count("SELECT COUNT(*) FROM providers WHERE dd_status = 'suspended'")
        .await;
    assert!(expected >= 1);
    assert_eq!(suspended as i64, expected);
    for id in ids(&list) {
        everything.push_str(&app.get(&format!("/openreferral/services/{id}")).await.1);
    }
    let (_, sal) = get_json(&app, "/openreferral/service_at_locations?per_page=500").await;
    for id in ids(&sal) {
        everything.push_str(
            &app.get(&format!("/openreferral/service_at_locations/{id}"))
                .await
                .1,
        );
    }
    assert!(!everything.contains("PRIVATE-"));
    let upns: Vec<(String,)> = sqlx::query_as("SELECT upn FROM pupils")
        .fetch_all(&app.pool)
        .await
        .expect("pupils");
    assert!(!upns.is_empty());
    for (upn,) in upns {
        assert!(!everything.contains(&upn), "a pupil's UPN is in the feed");
    }
    // A concern raised about a provider stays with the council.
    sqlx::query(
        "INSERT INTO concerns (provider_id, raiser_kind, category, severity, status, details, created_at, updated_at) \
         SELECT MAX(id), 'family', 'quality', 'low', 'open', 'PRIVATE-CONCERN', $1, $1 FROM providers",
    )
    .bind(chrono::Utc::now())
    .execute(&app.pool)
    .await
    .expect("concern");
    for id in ids(&list) {
        assert!(!app
            .get(&format!("/openreferral/services/{id}"))
            .await
            .1
            .contains("PRIVATE-"));
    }
    // The assured date is the provider's latest passed check.
    let (id, date): (i64, String) = sqlx::query_as(
        "SELECT provider_id, CAST(MAX(checked_on) AS TEXT) FROM provider_checks WHERE result = 'passed' GROUP BY provider_id ORDER BY provider_id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a passed check");
    let name: String = sqlx::query_scalar("SELECT name FROM providers WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("name");
    let entry = list["contents"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == json!(name)))
        .expect("provider in feed");
    assert_eq!(entry["assured_date"], json!(date));
}
