//! Role guards and pupil-data scoping. (The full route × role matrix is the quality-gates issue.)

mod common;

use common::TestApp;
use rocket::http::Status;

const ROLES: [&str; 5] = [
    "admin@demo.test",
    "progressions@demo.test",
    "taskforce@demo.test",
    "school@demo.test",
    "provider@demo.test",
];

/// (path, expected status for anonymous, admin, progressions, taskforce, school, provider).
/// 303 for anonymous means "sent to sign in".
const MATRIX: &[(&str, [u16; 6])] = &[
    ("/", [200, 200, 200, 200, 200, 200]),
    ("/providers", [200, 200, 200, 200, 200, 200]),
    ("/accessibility", [200, 200, 200, 200, 200, 200]),
    ("/pupils", [303, 403, 200, 403, 200, 200]),
    ("/admin/users", [303, 200, 403, 403, 403, 403]),
    ("/admin/audit", [303, 200, 403, 403, 403, 403]),
    ("/api/v1/me", [401, 200, 200, 200, 200, 200]),
    ("/api/v1/providers", [200, 200, 200, 200, 200, 200]),
];

#[rocket::async_test]
async fn each_role_is_refused_where_it_does_not_belong() {
    let app = TestApp::with_demo().await;
    for (path, expected) in MATRIX {
        assert_eq!(app.get(path).await.0.code, expected[0], "anonymous {path}");
    }
    for (i, email) in ROLES.iter().enumerate() {
        app.login(email).await;
        for (path, expected) in MATRIX {
            let (status, body) = app.get(path).await;
            assert_eq!(status.code, expected[i + 1], "{email} {path}");
            if status == Status::Forbidden {
                assert!(
                    body.contains("does not give you access"),
                    "refusal explains itself"
                );
            }
        }
        app.logout().await;
    }
}

#[rocket::async_test]
async fn a_school_sees_only_its_own_pupils() {
    let app = TestApp::with_demo().await;
    let school_id: i64 =
        sqlx::query_scalar("SELECT school_id FROM users WHERE email = 'school@demo.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let own: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, upn FROM pupils WHERE home_school_id = $1")
            .bind(school_id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let other: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, upn FROM pupils WHERE home_school_id <> $1")
            .bind(school_id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(own.len(), 12);
    assert!(!other.is_empty());

    app.login("school@demo.test").await;
    let (status, html) = app.get("/pupils").await;
    assert_eq!(status, Status::Ok);
    for (_, upn) in &own {
        assert!(html.contains(upn.as_str()), "own pupil listed");
    }
    for (_, upn) in &other {
        assert!(
            !html.contains(upn.as_str()),
            "another school's pupil is never listed"
        );
    }
    let (status, html) = app.get(&format!("/pupils/{}", own[0].0)).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(own[0].1.as_str()));
    // Another school's pupil and a missing id look the same: 404.
    assert_eq!(
        app.get(&format!("/pupils/{}", other[0].0)).await.0,
        Status::NotFound
    );
    assert_eq!(app.get("/pupils/999999").await.0, Status::NotFound);
    // Reads of pupil data are audited (list and record), the refused one is not a read.
    assert_eq!(app.audit_count("view_list").await, 1);
    assert_eq!(app.audit_count("view").await, 1);
}

#[rocket::async_test]
async fn a_provider_sees_only_pupils_offered_or_placed_with_it_and_progressions_sees_all() {
    let app = TestApp::with_demo().await;
    let provider: i64 =
        sqlx::query_scalar("SELECT provider_id FROM users WHERE email = 'provider@demo.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // Worked out here from the placements, independently of the scope's own SQL.
    let rows: Vec<(i64, String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT p.id, p.upn, pl.provider_id, pl.status FROM pupils p LEFT JOIN placements pl ON pl.pupil_id = p.id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mine: std::collections::BTreeSet<(i64, String)> = rows
        .iter()
        .filter(|r| {
            r.2 == Some(provider)
                && ["offered", "accepted", "active", "ended"]
                    .contains(&r.3.as_deref().unwrap_or(""))
        })
        .map(|r| (r.0, r.1.clone()))
        .collect();
    let not_mine: Vec<&(i64, String, Option<i64>, Option<String>)> = rows
        .iter()
        .filter(|r| !mine.iter().any(|m| m.0 == r.0))
        .collect();
    assert!(
        mine.len() >= 5 && !not_mine.is_empty(),
        "the demo places pupils with the provider"
    );
    app.login("provider@demo.test").await;
    let (status, html) = app.get("/pupils").await;
    assert_eq!(status, Status::Ok);
    for (_, upn) in &mine {
        assert!(html.contains(upn.as_str()), "placed pupil {upn} listed");
    }
    for r in &not_mine {
        assert!(
            !html.contains(r.1.as_str()),
            "pupil {} not placed here is hidden",
            r.1
        );
    }
    let first = mine.iter().next().unwrap().0;
    assert_eq!(app.get(&format!("/pupils/{first}")).await.0, Status::Ok);
    assert_eq!(
        app.get(&format!("/pupils/{}", not_mine[0].0)).await.0,
        Status::NotFound
    );
    app.logout().await;

    app.login("progressions@demo.test").await;
    // Progressions sees every pupil, 50 to a page.
    let total = app.count("SELECT COUNT(*) FROM pupils").await;
    let pages = (total + 49) / 50;
    let mut seen = 0;
    for page in 1..=pages {
        let (_, html) = app.get(&format!("/pupils?page={page}")).await;
        seen += html.matches("<a href=\"/pupils/").count() as i64;
    }
    assert_eq!(seen, total);
    let any_pupil = not_mine[0].0;
    let (_, body) = app.get("/api/v1/pupils?page=2").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"].as_i64(), Some(total));
    assert_eq!(v["page"].as_i64(), Some(2));
    assert_eq!(v["count"].as_i64(), Some(50));
    assert_eq!(app.get(&format!("/pupils/{any_pupil}")).await.0, Status::Ok);
}

#[rocket::async_test]
async fn the_taskforce_never_sees_pupil_rows() {
    let app = TestApp::with_demo().await;
    let upn: String = sqlx::query_scalar("SELECT MIN(upn) FROM pupils")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.login("taskforce@demo.test").await;
    for path in ["/", "/pupils", "/pupils/1", "/providers"] {
        let (_, html) = app.get(path).await;
        assert!(!html.contains(&upn), "{path} shows no UPN");
    }
}

#[rocket::async_test]
async fn public_api_hides_due_diligence_reasons() {
    let app = TestApp::with_demo().await;
    let (status, body) = app.get("/api/v1/providers?per_page=100").await;
    assert_eq!(status, Status::Ok);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"].as_i64(), Some(33));
    assert!(!body.contains("safeguarding concern is investigated"));
    assert!(!body.contains("dd_reason"));
}
