//! The Chromium accessibility run visits the pages listed in tests/browser/pages.json. This test
//! fails when a mounted route is neither visited there nor listed as "not a page" with a reason.

mod common;

use common::TestApp;
use std::collections::BTreeSet;

#[rocket::async_test]
async fn every_mounted_route_is_in_the_browser_page_list() {
    let app = TestApp::empty().await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/browser/pages.json"
    ))
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut listed = BTreeSet::new();
    for p in manifest["pages"].as_array().unwrap() {
        let visits = p["visits"].as_array().unwrap();
        assert!(!visits.is_empty(), "{} has no visits", p["route"]);
        listed.insert(p["route"].as_str().unwrap().to_string());
    }
    for (route, reason) in manifest["not_pages"].as_object().unwrap() {
        assert!(
            reason.as_str().is_some_and(|r| r.len() > 3),
            "{route} needs a reason"
        );
        assert!(listed.insert(route.clone()), "{route} is listed twice");
    }
    let mounted = app.mounted_routes();
    let missing: Vec<_> = mounted.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from tests/browser/pages.json: {missing:?}"
    );
    let stale: Vec<_> = listed
        .iter()
        .filter(|r| !mounted.contains(*r) && *r != "error pages")
        .collect();
    assert!(
        stale.is_empty(),
        "pages.json lists routes that are not mounted: {stale:?}"
    );
}
