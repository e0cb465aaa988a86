//! The OpenAPI document of `/api/v1`: every mounted API route is in it with its method, and
//! real answers validate against the schemas it publishes.

mod common;

use common::TestApp;
use rocket::http::Status;
use serde_json::{json, Value};

async fn document(app: &TestApp) -> Value {
    let (status, body) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, Status::Ok);
    serde_json::from_str(&body).expect("JSON")
}

/// A validator for one of the document's component schemas (references resolve inside it).
fn schema(doc: &Value, name: &str) -> jsonschema::Validator {
    assert!(
        doc["components"]["schemas"][name].is_object(),
        "{name} is not in the document"
    );
    jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({
            "$ref": format!("#/components/schemas/{name}"),
            "components": doc["components"],
        }))
        .expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[rocket::async_test]
async fn every_api_route_is_in_the_openapi_document() {
    let app = TestApp::empty().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let mut checked = 0;
    for route in app.client.rocket().routes() {
        let path = route.uri.path().to_string();
        if !path.starts_with("/api/v1") {
            continue;
        }
        // Rocket's `<id>` is OpenAPI's `{id}`.
        let openapi_path = path.replace('<', "{").replace('>', "}");
        let method = route.method.as_str().to_ascii_lowercase();
        let op = &doc["paths"][&openapi_path][&method];
        assert!(
            op.is_object(),
            "{method} {openapi_path} is not in the document"
        );
        assert!(
            op["responses"]["200"].is_object(),
            "{method} {openapi_path} has no 200"
        );
        for segment in openapi_path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path"),
                "{openapi_path}: path parameter {name} is not described"
            );
        }
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} API routes");
    // Parameters come from the handlers: the search's filters, the list's status.
    let names = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    for p in ["q", "tier", "locality", "near", "page"] {
        assert!(names("/api/v1/providers").contains(&p.to_string()), "{p}");
    }
    assert!(names("/api/v1/placements").contains(&"status".to_string()));
    // Pupil data needs a session; attendance a token.
    assert_eq!(
        doc["paths"]["/api/v1/pupils"]["get"]["security"][0]["session"],
        json!([])
    );
    assert_eq!(
        doc["paths"]["/api/v1/attendance"]["get"]["security"][0]["token"],
        json!([])
    );
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
}

#[rocket::async_test]
async fn real_answers_validate_against_the_published_schemas() {
    let app = TestApp::with_demo().await;
    let doc = document(&app).await;

    let (status, body) = app.get("/api/v1/providers?tier=2").await;
    assert_eq!(status, Status::Ok);
    let search: Value = serde_json::from_str(&body).expect("JSON");
    assert!(search["total"].as_u64().is_some_and(|n| n > 0));
    assert_valid(&schema(&doc, "SearchAnswer"), &search, "provider search");

    let (status, body) = app.get("/api/v1/providers?tier=9").await;
    assert_eq!(status, Status::BadRequest);
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_valid(&schema(&doc, "ErrorBody"), &error, "error");
    // The check can fail: a body without its message is refused.
    let mut broken = error.clone();
    broken["error"]
        .as_object_mut()
        .expect("error object")
        .remove("message");
    assert!(!schema(&doc, "ErrorBody").is_valid(&broken));

    app.login("progressions@demo.test").await;
    let (status, body) = app.get("/api/v1/placements?status=all").await;
    assert_eq!(status, Status::Ok);
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_valid(&schema(&doc, "ApiPage"), &list, "placements");
    let id = list["placements"][0]["id"].as_i64().expect("a placement");
    let (status, body) = app.get(&format!("/api/v1/placements/{id}")).await;
    assert_eq!(status, Status::Ok);
    let one: Value = serde_json::from_str(&body).expect("JSON");
    assert_valid(&schema(&doc, "PlacementRow"), &one, "placement");
}
