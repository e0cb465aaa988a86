//! The public provider list and profiles (the directory issue grows these).

mod common;

use common::TestApp;
use rocket::http::Status;

#[rocket::async_test]
async fn filters_narrow_the_list_and_keywords_match_prefixes() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/providers").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("33 providers found; showing page 1 of 2"));
    assert_eq!(html.matches("<li class=\"result\">").count(), 20);
    let (_, html) = app.get("/providers?page=2").await;
    assert_eq!(html.matches("<li class=\"result\">").count(), 13);
    assert!(html.contains("href=\"/providers?page=1\""));
    let (_, html) = app.get("/providers?page=99").await;
    assert!(
        html.contains("showing page 2 of 2"),
        "past the end shows the last page"
    );
    let (_, html) = app.get("/providers?q=school&page=1").await;
    assert!(
        !html.contains("Next page") || html.contains("q=school&amp;page=2"),
        "links keep the filters"
    );
    let (_, html) = app.get("/providers?q=moto").await;
    assert!(html.contains("1 provider found") && html.contains("Don Valley Motor Skills"));
    let (_, html) = app.get("/providers?place_type=medical").await;
    assert!(html.contains("Becton School") && html.contains("Sheffield Online Tuition Service"));
    assert!(!html.contains("Don Valley Motor Skills"));
    let (_, html) = app.get("/providers?tier=1&locality=a").await;
    assert!(html.contains("Firth Park Primary Outreach"));
    assert!(
        !html.contains("Sheffield Inclusion Centre"),
        "tier 2/3 only"
    );
    let (status, html) = app.get("/providers?locality=zz").await;
    assert_eq!(status, Status::BadRequest);
    assert!(html.contains("Choose a locality from the list"));
}

#[rocket::async_test]
async fn a_profile_shows_offer_checks_and_contacts_in_plain_words() {
    let app = TestApp::with_demo().await;
    let (status, html) = app.get("/providers/sheffield-inclusion-centre").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Registered school (URN 139876)"));
    assert!(html.contains("Requires improvement"));
    assert!(html.contains("Checks complete and current"));
    assert!(html.contains("Exclusion (6th-day)"));
    let (_, html) = app.get("/providers/tinsley-sports-futures").await;
    assert!(html.contains("Suspended"));
}
