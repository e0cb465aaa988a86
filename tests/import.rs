//! `apdir import providers`: whole-file validation, all-or-nothing, --skip-invalid, idempotence.

mod common;

use apdir::directory::import::import_providers;
use common::TestApp;

const HEADER: &str = "name,summary,description,website,email,phone,address,postcode,latitude,longitude,locality,tiers,place_types,key_stages,needs,registration,urn,ukprn,capacity,places_free";

fn file(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.into_bytes()
}

const GOOD1: &str = "Riverside Welding Academy,Teaches welding to young people.,Longer text,https://riverside.example.org,hello@riverside.example.org,0114 496 0999,1 River Lane,S9 3XY,,,b,2;3,vocational,KS4,SEMH;ASD,non_school,,10087654,12,4";
const GOOD2: &str = "Hillside School,A registered school for pupils with SEMH needs.,,,,,2 Hill Road,S6 2AB,53.41,-1.52,Locality G,3,ks4_full_time;engagement,KS3;KS4,SEMH,registered_school,148001,,30,0";
const BAD: &str = "Broken Provider,,,ftp://nope,not-an-email,12,3 Lane,ZZ9 9ZZ,,,nowhere,4,boarding,KS9,XYZ,school,12,20000000,-1,5";

#[rocket::async_test]
async fn a_valid_file_loads_and_reimporting_changes_nothing() {
    let app = TestApp::with_demo().await;
    let before = app.count("SELECT COUNT(*) FROM providers").await;
    let r = import_providers(&app.pool, &file(&[GOOD1, GOOD2]), false)
        .await
        .unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        (r.inserted, r.updated, r.unchanged, r.written),
        (2, 0, 0, true)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM providers").await,
        before + 2
    );
    // Blank coordinates come from the postcode district.
    let (lat, lon): (f64, f64) = sqlx::query_as(
        "SELECT s.latitude, s.longitude FROM provider_sites s JOIN providers p ON p.id = s.provider_id WHERE p.ukprn = '10087654'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((lat, lon), (53.399, -1.411));
    let tiers: Vec<i64> = sqlx::query_scalar(
        "SELECT t.tier FROM provider_tiers t JOIN providers p ON p.id = t.provider_id WHERE p.ukprn = '10087654' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(tiers, vec![2, 3]);
    let audit = app.count("SELECT COUNT(*) FROM audit_log").await;

    let r = import_providers(&app.pool, &file(&[GOOD1, GOOD2]), false)
        .await
        .unwrap();
    assert_eq!(
        (r.inserted, r.updated, r.unchanged),
        (0, 0, 2),
        "the same file changes nothing"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit);

    // A changed row updates the provider it matches (by URN here).
    let changed = GOOD2.replace(",30,0", ",32,2");
    let r = import_providers(&app.pool, &file(&[GOOD1, &changed]), false)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (0, 1, 1));
    let cap: i64 = sqlx::query_scalar("SELECT capacity FROM providers WHERE urn = '148001'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(cap, 32);
}

#[rocket::async_test]
async fn every_bad_row_and_column_is_reported_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let before = app.count("SELECT COUNT(*) FROM providers").await;
    let r = import_providers(&app.pool, &file(&[GOOD1, BAD, GOOD2]), false)
        .await
        .unwrap();
    assert!(!r.written);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM providers").await,
        before,
        "all or nothing"
    );
    let cols: Vec<(usize, &str)> = r
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    for c in [
        "summary",
        "website",
        "email",
        "phone",
        "postcode",
        "locality",
        "tiers",
        "place_types",
        "key_stages",
        "needs",
        "registration",
        "urn",
        "ukprn",
        "capacity",
    ] {
        assert!(
            cols.contains(&(3, c)),
            "line 3 column {c} reported: {cols:?}"
        );
    }
    assert!(r.problems.iter().all(|p| p.line == 3), "only the bad line");

    let r = import_providers(&app.pool, &file(&[GOOD1, BAD, GOOD2]), true)
        .await
        .unwrap();
    assert!(r.written);
    assert_eq!(r.inserted, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM providers").await,
        before + 2
    );
}

#[rocket::async_test]
async fn duplicate_rows_and_bad_headers_are_refused() {
    let app = TestApp::with_demo().await;
    let r = import_providers(&app.pool, &file(&[GOOD1, GOOD1]), false)
        .await
        .unwrap();
    assert_eq!(r.problems.len(), 1);
    assert_eq!(r.problems[0].line, 3);
    assert!(!r.written);
    let err = import_providers(&app.pool, b"name,summary\nA,B", false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("missing columns"), "{err}");
}

#[test]
fn the_cli_reports_problems_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (url, db) = rt.block_on(common::fresh_database_url(dir.path()));
    let run = |args: &[&str]| common::apdir_cli(dir.path(), &url, args);
    assert!(run(&["demo"]).status.success());
    let path = dir.path().join("providers.csv");
    std::fs::write(&path, file(&[GOOD1, BAD])).unwrap();
    let out = run(&["import", "providers", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("line 3, column postcode") && text.contains("Nothing was written"),
        "{text}"
    );
    let out = run(&[
        "import",
        "providers",
        path.to_str().unwrap(),
        "--skip-invalid",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 added"));
    let out = run(&[
        "import",
        "providers",
        path.to_str().unwrap(),
        "--skip-invalid",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 added, 0 updated, 1 unchanged"));
    let _ = db;
}

#[test]
fn the_cli_imports_marks_only_from_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (url, db) = rt.block_on(common::fresh_database_url(dir.path()));
    let run = |args: &[&str]| common::apdir_cli(dir.path(), &url, args);
    assert!(run(&["demo"]).status.success());
    let path = dir.path().join("marks.csv");
    std::fs::write(
        &path,
        "placement,date,session,code
999999,2025-10-01,am,/
",
    )
    .unwrap();
    let out = run(&["import", "marks", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("line 2, column placement: placement 999999 does not exist")
            && text.contains("Nothing was written"),
        "{text}"
    );
    std::fs::write(
        &path,
        "pupil,when
1,2
",
    )
    .unwrap();
    let out = run(&["import", "marks", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("missing columns: placement, date, session, code"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = db;
}

/// Property: any file, however malformed, gives a report or a clear error; never a panic, and
/// nothing is written when any row is bad.
#[rocket::async_test]
async fn arbitrary_files_never_panic_or_half_write() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};
    let app = TestApp::with_demo().await;
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let cell = proptest::string::string_regex("[ -~éü;,\"\\n]{0,12}").unwrap();
    let row = proptest::collection::vec(cell, 0..24).prop_map(|cells| cells.join(","));
    let file_strategy = proptest::collection::vec(row, 0..6);
    for _ in 0..cases {
        let rows = file_strategy.new_tree(&mut runner).unwrap().current();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let before = app.count("SELECT COUNT(*) FROM providers").await;
        match import_providers(&app.pool, &file(&refs), false).await {
            Ok(r) => {
                if !r.problems.is_empty() {
                    assert!(!r.written);
                    assert_eq!(app.count("SELECT COUNT(*) FROM providers").await, before);
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        // Raw bytes too.
        let bytes: Vec<u8> = rows.join("\n").bytes().rev().collect();
        let _ = import_providers(&app.pool, &bytes, false).await;
    }
}
