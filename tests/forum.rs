//! The forum's rules below its pages: who may read and post in each category (in SQL), the
//! pupil-data guard holding posts, new accounts' first posts held, and moderation. Lists,
//! threads and posts agree on what each reader may see.

mod common;

use apdir::auth::guards::Actor;
use apdir::db::forum::{self, Reader};
use apdir::domain::{Role, Upn};
use apdir::forum::posts;
use chrono::NaiveDate;
use common::TestApp;
use rocket::http::Status;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}

async fn user(app: &TestApp, email: &str) -> (i64, Role) {
    let (id, role): (i64, String) = sqlx::query_as("SELECT id, role FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .expect("user");
    (id, Role::parse(&role).expect("role"))
}

fn actor(u: (i64, Role)) -> Actor {
    Actor {
        user_id: Some(u.0),
        role: Some(u.1),
        ip: None,
        request_id: "test".into(),
    }
}

fn reader(u: (i64, Role)) -> Reader<'static> {
    Reader {
        role: u.1.key(),
        user_id: u.0,
        moderator: posts::moderates(u.1),
    }
}

/// The demo's threads removed, so a test starts from an empty forum.
async fn empty_forum(app: &TestApp) {
    for table in [
        "forum_post_revisions",
        "forum_flags",
        "forum_reads",
        "forum_thread_watches",
        "forum_attachments",
        "forum_posts",
        "forum_threads",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&app.pool)
            .await
            .expect("clear");
    }
}

async fn category_id(app: &TestApp, key: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM forum_categories WHERE key = $1")
        .bind(key)
        .fetch_one(&app.pool)
        .await
        .expect("category")
}

#[rocket::async_test]
async fn each_role_reads_and_posts_where_its_category_allows() {
    let app = TestApp::with_demo().await;
    let keys = |cats: Vec<forum::CategoryRow>, posting: bool| -> Vec<String> {
        cats.into_iter()
            .filter(|c| !posting || c.can_post)
            .map(|c| c.key)
            .collect()
    };
    let all = [
        "notices",
        "safeguarding",
        "curriculum",
        "reintegration",
        "training",
        "questions",
    ];
    for role in ["school", "provider", "progressions", "taskforce", "admin"] {
        let cats = forum::categories(&app.pool, role)
            .await
            .expect("categories");
        assert_eq!(keys(cats, false), all, "{role} reads every category");
    }
    // Schools read only; providers post everywhere but the council's notices.
    let school = forum::categories(&app.pool, "school")
        .await
        .expect("categories");
    assert!(keys(school, true).is_empty());
    let provider = forum::categories(&app.pool, "provider")
        .await
        .expect("categories");
    assert_eq!(keys(provider, true), &all[1..]);
    // A role the rule does not name (or a role key that merely contains one) reads nothing.
    for role in ["", "anonymous", "schoo", "%", "school,provider"] {
        let cats = forum::categories(&app.pool, role)
            .await
            .expect("categories");
        assert!(cats.is_empty(), "{role:?}");
    }

    empty_forum(&app).await;
    let provider = user(&app, "provider@demo.test").await;
    let notices = category_id(&app, "notices").await;
    let err = posts::start_thread(
        &app.pool,
        &app.config,
        &actor(provider),
        provider,
        notices,
        "Hello",
        ("Text", None),
        today(),
    )
    .await
    .expect_err("providers cannot post notices");
    assert!(err.to_string().contains("cannot start threads"), "{err}");
    let school = user(&app, "school@demo.test").await;
    let questions = category_id(&app, "questions").await;
    assert!(posts::start_thread(
        &app.pool,
        &app.config,
        &actor(school),
        school,
        questions,
        "Hi",
        ("Text", None),
        today()
    )
    .await
    .is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM forum_posts").await, 0);
}

#[rocket::async_test]
async fn held_posts_are_seen_only_by_their_author_and_moderators_until_approved() {
    let app = TestApp::with_demo().await;
    empty_forum(&app).await;
    let provider = user(&app, "provider@demo.test").await;
    let school = user(&app, "school@demo.test").await;
    let progressions = user(&app, "progressions@demo.test").await;
    let questions = category_id(&app, "questions").await;

    // A moderator's post is published at once.
    let first = posts::start_thread(
        &app.pool,
        &app.config,
        &actor(progressions),
        progressions,
        questions,
        "Phased returns",
        ("How do you plan **phased returns**?", None),
        today(),
    )
    .await
    .expect("posted");
    assert_eq!(first.held, None);

    // A post with a real UPN is held, with the reason for its author.
    let upn = Upn::from_parts(373, 2001, 14, 5).expect("upn");
    let held = posts::reply(
        &app.pool,
        &app.config,
        &actor(provider),
        provider,
        first.thread_id,
        Some(first.post_id),
        (&format!("We had {} last term", upn.as_str()), None),
        today(),
    )
    .await
    .expect("posted");
    let reason = held.held.clone().expect("held");
    assert!(
        reason.contains("UPN") && !reason.contains(upn.as_str()),
        "{reason}"
    );

    let visible = |u: (i64, Role)| {
        let pool = app.pool.clone();
        let thread = first.thread_id;
        async move {
            let r = reader(u);
            let list = forum::threads(&pool, r, questions).await.expect("threads");
            let posts = forum::posts(&pool, r, thread).await.expect("posts");
            let one = forum::thread(&pool, r, thread).await.expect("thread");
            // The list, the thread and its posts agree.
            assert_eq!(list.len(), 1);
            assert_eq!(one.as_ref().map(|t| t.posts), Some(posts.len() as i64));
            assert_eq!(list[0].posts, posts.len() as i64);
            posts.into_iter().map(|p| p.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(visible(school).await, vec![first.post_id]);
    assert_eq!(visible(provider).await, vec![first.post_id, held.post_id]);
    assert_eq!(
        visible(progressions).await,
        vec![first.post_id, held.post_id]
    );
    let queue = forum::held(&app.pool).await.expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].id, held.post_id);

    // Only moderators decide; then everyone who may read sees it.
    assert!(posts::decide(
        &app.pool,
        &app.config,
        &actor(provider),
        provider.1,
        held.post_id,
        true
    )
    .await
    .is_err());
    posts::decide(
        &app.pool,
        &app.config,
        &actor(progressions),
        progressions.1,
        held.post_id,
        true,
    )
    .await
    .expect("approved");
    assert_eq!(visible(school).await, vec![first.post_id, held.post_id]);
    assert!(forum::held(&app.pool).await.expect("queue").is_empty());
    // Deciding again finds nothing held.
    assert!(posts::decide(
        &app.pool,
        &app.config,
        &actor(progressions),
        progressions.1,
        held.post_id,
        false
    )
    .await
    .is_err());
    assert_eq!(app.audit_count("approve").await, 1);
    assert_eq!(app.audit_count("post_held").await, 1);
}

#[rocket::async_test]
async fn a_new_accounts_first_three_posts_wait_for_a_moderator() {
    let app = TestApp::with_demo().await;
    empty_forum(&app).await;
    let provider = user(&app, "provider@demo.test").await;
    let progressions = user(&app, "progressions@demo.test").await;
    let curriculum = category_id(&app, "curriculum").await;
    let mut thread = None;
    for i in 0..3 {
        let p = match thread {
            None => {
                posts::start_thread(
                    &app.pool,
                    &app.config,
                    &actor(provider),
                    provider,
                    curriculum,
                    "Entry Level maths",
                    ("Which board do you use?", None),
                    today(),
                )
                .await
            }
            Some(t) => {
                posts::reply(
                    &app.pool,
                    &app.config,
                    &actor(provider),
                    provider,
                    t,
                    None,
                    (&format!("Follow-up {i}"), None),
                    today(),
                )
                .await
            }
        }
        .expect("posted");
        assert!(
            p.held.as_deref().is_some_and(|r| r.contains("new account")),
            "{p:?}"
        );
        thread = Some(p.thread_id);
        posts::decide(
            &app.pool,
            &app.config,
            &actor(progressions),
            progressions.1,
            p.post_id,
            true,
        )
        .await
        .expect("approved");
    }
    let fourth = posts::reply(
        &app.pool,
        &app.config,
        &actor(provider),
        provider,
        thread.expect("thread"),
        None,
        ("Thanks all", None),
        today(),
    )
    .await
    .expect("posted");
    assert_eq!(fourth.held, None);
    // Bad input is refused before anything is written.
    let before = app.count("SELECT COUNT(*) FROM forum_posts").await;
    for (title, body) in [
        ("", "text"),
        ("Title", ""),
        ("Title", "nul\0byte"),
        ("Bad\u{7}title", "text"),
    ] {
        assert!(posts::start_thread(
            &app.pool,
            &app.config,
            &actor(provider),
            provider,
            curriculum,
            title,
            (body, None),
            today()
        )
        .await
        .is_err());
    }
    assert!(posts::reply(
        &app.pool,
        &app.config,
        &actor(provider),
        provider,
        999_999,
        None,
        ("text", None),
        today()
    )
    .await
    .is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM forum_posts").await, before);
}

#[rocket::async_test]
async fn the_demo_forum_has_threads_and_a_held_post() {
    let app = TestApp::with_demo().await;
    assert!(app.count("SELECT COUNT(*) FROM forum_threads").await >= 4);
    let held = forum::held(&app.pool).await.expect("queue");
    assert_eq!(held.len(), 1);
    assert!(held[0].held_reason.contains("date of birth"));
}

#[rocket::async_test]
async fn the_pages_post_hold_moderate_and_show_by_permission() {
    let app = TestApp::with_demo().await;
    // A school reads but cannot post.
    app.login("school@demo.test").await;
    let (status, html) = app.get("/forum").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Reintegration practice") && !html.contains("Phased returns"));
    let (status, html) = app.get("/forum/reintegration").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Phased returns that worked") && !html.contains("Start a thread"));
    assert_eq!(
        app.get("/forum/reintegration/new").await.0,
        Status::Forbidden
    );
    assert_eq!(app.get("/forum/nowhere").await.0, Status::NotFound);
    app.logout().await;

    // A provider's post with a child's name and birth date waits, and says why.
    app.login("provider@demo.test").await;
    let r = app
        .post_csrf("/forum/questions/new", &[("title", ""), ("body", "")])
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap_or_default();
    assert!(
        html.contains("Enter a title") && html.contains("Write your post"),
        "{html}"
    );
    let r = app
        .post_csrf(
            "/forum/questions/new",
            &[
                ("title", "A place after Easter"),
                ("body", "Amelia Jones, born 03/03/2012, needs a place"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let to = r
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string();
    let thread = to
        .trim_start_matches("/forum/threads/")
        .split('#')
        .next()
        .unwrap_or_default()
        .to_string();
    let (status, html) = app.get(&format!("/forum/threads/{thread}")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Waiting for a moderator") && html.contains("date of birth"),
        "{html}"
    );
    app.logout().await;

    // Nobody else sees it until a moderator publishes it.
    app.login("school@demo.test").await;
    assert_eq!(
        app.get(&format!("/forum/threads/{thread}")).await.0,
        Status::NotFound
    );
    let (_, html) = app.get("/forum/questions").await;
    assert!(!html.contains("A place after Easter"));
    app.logout().await;

    app.login("progressions@demo.test").await;
    let (status, html) = app.get("/forum/moderation").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("A place after Easter"));
    let post: i64 = sqlx::query_scalar("SELECT id FROM forum_posts WHERE thread_id = $1")
        .bind(thread.parse::<i64>().unwrap_or_default())
        .fetch_one(&app.pool)
        .await
        .expect("post");
    let r = app
        .post_csrf(&format!("/forum/posts/{post}/approve"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    app.logout().await;
    app.login("school@demo.test").await;
    let (status, html) = app.get(&format!("/forum/threads/{thread}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("A place after Easter") && !html.contains("Waiting for a moderator"));
    // Markdown arrives as sanitised HTML: the only script is the page's own quoting helper.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/static/forum.js\" defer>")
            .count()
    );
}
