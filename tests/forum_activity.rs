//! The forum beyond posting: editing with history, deleting, quoting and "in reply to",
//! flags and the review queue, pin/lock/move and the moderation log, unread tracking,
//! @mentions and watching with their notifications (immediate email over SMTP and the daily
//! digest), and search that agrees with the read rule of lists and thread pages.

mod common;

use apdir::db::forum::{self, Reader};
use apdir::db::{self, outbox};
use apdir::forum::posts;
use apdir::notify::mail::Transport;
use apdir::notify::runner;
use common::smtp::SmtpSink;
use common::TestApp;
use rocket::http::Status;
use std::collections::BTreeSet;

async fn scalar(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.pool)
        .await
        .expect(sql)
}

async fn thread_id(app: &TestApp, title: &str) -> i64 {
    scalar(app, "SELECT id FROM forum_threads WHERE title = $1", title).await
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    scalar(app, "SELECT id FROM users WHERE email = $1", email).await
}

/// The first post in a thread by the user with this email.
async fn post_by(app: &TestApp, thread: i64, email: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT MIN(p.id) FROM forum_posts p JOIN users u ON u.id = p.author_id \
         WHERE p.thread_id = $1 AND u.email = $2",
    )
    .bind(thread)
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .expect("post")
}

async fn newest_post(app: &TestApp) -> i64 {
    app.count("SELECT MAX(id) FROM forum_posts").await
}

async fn status_of(app: &TestApp, post: i64) -> String {
    sqlx::query_scalar("SELECT status FROM forum_posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.pool)
        .await
        .expect("status")
}

async fn as_user(app: &TestApp, email: &str) {
    app.logout().await;
    app.login(email).await;
}

async fn post_status(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Status {
    app.post_csrf(path, fields).await.status()
}

const PHASED: &str = "Phased returns that worked";
const MATHS: &str = "Entry Level maths: which board?";

#[rocket::async_test]
async fn editing_keeps_earlier_versions_for_the_author_and_moderators() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, PHASED).await;
    let p = post_by(&app, t, "provider@demo.test").await;
    as_user(&app, "provider@demo.test").await;
    let (s, form) = app.get(&format!("/forum/posts/{p}/edit")).await;
    assert_eq!(s, Status::Ok);
    assert!(
        form.contains("four-week phased return"),
        "the form holds the source"
    );
    let edit = format!("/forum/posts/{p}/edit");
    assert_eq!(
        post_status(&app, &edit, &[("body", "  ")]).await,
        Status::UnprocessableEntity
    );
    assert_eq!(
        post_status(
            &app,
            &edit,
            &[("body", "We now use a **five-week** return.")]
        )
        .await,
        Status::SeeOther
    );
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(page.contains("<strong>five-week</strong>"));
    assert!(!page.contains("<strong>four-week phased return</strong>"));
    assert!(page.contains(&format!("/forum/posts/{p}/history")));
    let (s, history) = app.get(&format!("/forum/posts/{p}/history")).await;
    assert_eq!(s, Status::Ok);
    assert!(history.contains("five-week") && history.contains("four-week phased return"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM forum_post_revisions WHERE post_id = {p}"
        ))
        .await,
        1
    );
    assert_eq!(app.audit_count("edit").await, 1);

    // Others may read the post but not its history, nor edit it.
    as_user(&app, "school@demo.test").await;
    let (s, _) = app.get(&format!("/forum/posts/{p}/history")).await;
    assert_eq!(s, Status::Forbidden);
    let (s, _) = app.get(&format!("/forum/posts/{p}/edit")).await;
    assert_eq!(s, Status::Forbidden);
    as_user(&app, "taskforce@demo.test").await;
    assert_eq!(
        post_status(&app, &edit, &[("body", "Hijacked")]).await,
        Status::Forbidden
    );
    as_user(&app, "progressions@demo.test").await;
    let (s, history) = app.get(&format!("/forum/posts/{p}/history")).await;
    assert_eq!(s, Status::Ok);
    assert!(history.contains("four-week phased return"));

    // An edit that adds pupil data sends the post back to the moderators.
    as_user(&app, "provider@demo.test").await;
    let r = app
        .post_csrf(
            &edit,
            &[("body", "Update: Jayden Smith 12/04/2013 starts with us.")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(status_of(&app, p).await, "held");
    as_user(&app, "school@demo.test").await;
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(
        !page.contains("Jayden"),
        "a held edit is not shown to others"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM forum_post_revisions WHERE post_id = {p}"
        ))
        .await,
        2
    );
}

#[rocket::async_test]
async fn authors_delete_within_a_day_and_moderators_at_any_time() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, MATHS).await;
    as_user(&app, "provider@demo.test").await;
    let reply = format!("/forum/threads/{t}/reply");
    assert_eq!(
        post_status(&app, &reply, &[("body", "We use Pearson.")]).await,
        Status::SeeOther
    );
    let mine = newest_post(&app).await;
    assert_eq!(status_of(&app, mine).await, "published");
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{mine}/delete"), &[]).await,
        Status::SeeOther
    );
    assert_eq!(status_of(&app, mine).await, "removed");
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(!page.contains("We use Pearson."));

    assert_eq!(
        post_status(&app, &reply, &[("body", "We use AQA.")]).await,
        Status::SeeOther
    );
    let old = newest_post(&app).await;
    sqlx::query("UPDATE forum_posts SET created_at = $1 WHERE id = $2")
        .bind(db::now() - chrono::Duration::hours(posts::AUTHOR_DELETE_HOURS + 1))
        .bind(old)
        .execute(&app.pool)
        .await
        .expect("age the post");
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(
        !page.contains(&format!("/forum/posts/{old}/delete")),
        "no delete button after the window"
    );
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{old}/delete"), &[]).await,
        Status::Forbidden
    );
    assert_eq!(status_of(&app, old).await, "published");
    let theirs = post_by(&app, t, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{theirs}/delete"), &[]).await,
        Status::Forbidden
    );

    as_user(&app, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{old}/delete"), &[]).await,
        Status::SeeOther
    );
    assert_eq!(status_of(&app, old).await, "removed");
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{old}/delete"), &[]).await,
        Status::NotFound
    );
    assert_eq!(app.audit_count("delete").await, 2);
}

#[rocket::async_test]
async fn quoting_and_in_reply_to_links() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, PHASED).await;
    let q = post_by(&app, t, "progressions@demo.test").await;
    as_user(&app, "provider@demo.test").await;
    let (s, page) = app.get(&format!("/forum/threads/{t}?quote={q}")).await;
    assert_eq!(s, Status::Ok);
    assert!(
        page.contains("&gt; **Priya Shah** wrote:"),
        "the quote names its author"
    );
    assert!(page.contains("&gt; This matches what the Taskforce has seen"));
    assert!(page.contains(&format!("name=\"reply_to\" id=\"reply_to\" value=\"{q}\"")));
    // A quote of a post from another thread is ignored.
    let other = post_by(&app, thread_id(&app, MATHS).await, "progressions@demo.test").await;
    let (_, page) = app.get(&format!("/forum/threads/{t}?quote={other}")).await;
    assert!(page.contains("name=\"reply_to\" id=\"reply_to\" value=\"\""));

    let reply = format!("/forum/threads/{t}/reply");
    let to = q.to_string();
    let r = app
        .post_csrf(
            &reply,
            &[("body", "> named key worker\n\nAgreed."), ("reply_to", &to)],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let mine = newest_post(&app).await;
    let stored: Option<i64> = sqlx::query_scalar("SELECT reply_to FROM forum_posts WHERE id = $1")
        .bind(mine)
        .fetch_one(&app.pool)
        .await
        .expect("reply_to");
    assert_eq!(stored, Some(q));
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(page.contains(&format!("In reply to <a href=\"#post-{q}\">Priya Shah</a>")));

    let before = app.count("SELECT COUNT(*) FROM forum_posts").await;
    let other = other.to_string();
    for bad in [other.as_str(), "abc", "99999"] {
        let r = app
            .post_csrf(&reply, &[("body", "Misplaced"), ("reply_to", bad)])
            .await;
        assert_eq!(r.status(), Status::UnprocessableEntity, "{bad}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM forum_posts").await, before);
}

#[rocket::async_test]
async fn flags_reach_the_one_review_queue_and_the_log() {
    let app = TestApp::with_demo().await;
    // Start from no flags (the demo has one), so the queue's counts are this test's own.
    sqlx::query("DELETE FROM forum_flags")
        .execute(&app.pool)
        .await
        .expect("clear flags");
    let t = thread_id(&app, PHASED).await;
    let p = post_by(&app, t, "provider@demo.test").await;
    let flag = format!("/forum/posts/{p}/flag");
    as_user(&app, "school@demo.test").await;
    let (s, _) = app.get(&flag).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(
        post_status(&app, &flag, &[("reason", "")]).await,
        Status::UnprocessableEntity
    );
    let reason = [("reason", "This reads like advice about one child.")];
    assert_eq!(post_status(&app, &flag, &reason).await, Status::SeeOther);
    assert_eq!(post_status(&app, &flag, &reason).await, Status::Conflict);
    as_user(&app, "provider@demo.test").await;
    assert_eq!(
        post_status(&app, &flag, &reason).await,
        Status::UnprocessableEntity
    );

    as_user(&app, "progressions@demo.test").await;
    let (_, forum_home) = app.get("/forum").await;
    assert!(
        forum_home.contains("Review queue (2 waiting)"),
        "one held post and one flagged"
    );
    let (s, queue) = app.get("/forum/moderation").await;
    assert_eq!(s, Status::Ok);
    assert!(queue.contains("Flagged posts (1)"));
    assert!(queue.contains("This reads like advice about one child."));
    assert!(queue.contains("Held posts (1)"));
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{p}/keep"), &[]).await,
        Status::SeeOther
    );
    assert_eq!(status_of(&app, p).await, "published");
    let (_, queue) = app.get("/forum/moderation").await;
    assert!(queue.contains("Flagged posts (0)"));
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{p}/keep"), &[]).await,
        Status::NotFound
    );

    // Flagged again, then removed: its flag closes as removed.
    as_user(&app, "school@demo.test").await;
    assert_eq!(post_status(&app, &flag, &reason).await, Status::SeeOther);
    as_user(&app, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{p}/remove"), &[]).await,
        Status::SeeOther
    );
    assert_eq!(status_of(&app, p).await, "removed");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM forum_flags WHERE post_id = {p} AND outcome = 'removed'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM forum_flags WHERE post_id = {p} AND outcome = 'kept'"
        ))
        .await,
        1
    );
    let (s, log) = app.get("/forum/moderation/log").await;
    assert_eq!(s, Status::Ok);
    for action in ["<td>flag</td>", "<td>keep</td>", "<td>delete</td>"] {
        assert!(log.contains(action), "{action} in the log");
    }
    assert!(log.contains("Priya Shah"));
    as_user(&app, "school@demo.test").await;
    let (s, _) = app.get("/forum/moderation/log").await;
    assert_eq!(s, Status::Forbidden);
}

#[rocket::async_test]
async fn moderators_pin_lock_and_move_threads() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, MATHS).await;
    let moderate = format!("/forum/threads/{t}/moderate");
    as_user(&app, "provider@demo.test").await;
    assert_eq!(
        post_status(&app, &moderate, &[("action", "lock")]).await,
        Status::Forbidden
    );

    as_user(&app, "progressions@demo.test").await;
    for bad in [
        &[("action", "explode")][..],
        &[("action", "move"), ("category", "nowhere")][..],
    ] {
        assert_eq!(
            post_status(&app, &moderate, bad).await,
            Status::UnprocessableEntity
        );
    }
    assert_eq!(
        post_status(&app, &moderate, &[("action", "lock")]).await,
        Status::SeeOther
    );
    assert_eq!(
        post_status(&app, &moderate, &[("action", "pin")]).await,
        Status::SeeOther
    );
    let (pinned, locked): (bool, bool) =
        sqlx::query_as("SELECT pinned, locked FROM forum_threads WHERE id = $1")
            .bind(t)
            .fetch_one(&app.pool)
            .await
            .expect("marks");
    assert!(pinned && locked);
    let (_, list) = app.get("/forum/questions").await;
    assert!(list.contains("<strong class=\"tag\">Pinned</strong>"));

    as_user(&app, "provider@demo.test").await;
    let reply = format!("/forum/threads/{t}/reply");
    assert_eq!(
        post_status(&app, &reply, &[("body", "Late answer")]).await,
        Status::Forbidden
    );
    let own = post_by(&app, t, "provider@demo.test").await;
    assert_eq!(
        post_status(
            &app,
            &format!("/forum/posts/{own}/edit"),
            &[("body", "Changed")]
        )
        .await,
        Status::Forbidden
    );
    as_user(&app, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &reply, &[("body", "Closing this thread now.")]).await,
        Status::SeeOther
    );
    assert_eq!(
        post_status(&app, &moderate, &[("action", "unlock")]).await,
        Status::SeeOther
    );
    assert_eq!(
        post_status(
            &app,
            &moderate,
            &[("action", "move"), ("category", "curriculum")]
        )
        .await,
        Status::SeeOther
    );
    assert_eq!(
        post_status(
            &app,
            &moderate,
            &[("action", "move"), ("category", "curriculum")]
        )
        .await,
        Status::UnprocessableEntity,
        "already there"
    );
    let (_, list) = app.get("/forum/curriculum").await;
    assert!(list.contains(MATHS.split(':').next().expect("title")));
    let (_, log) = app.get("/forum/moderation/log").await;
    for action in [
        "<td>lock</td>",
        "<td>pin</td>",
        "<td>unlock</td>",
        "<td>move</td>",
    ] {
        assert!(log.contains(action), "{action} in the log");
    }
}

#[rocket::async_test]
async fn unread_posts_are_tracked_per_user_and_thread() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, PHASED).await;
    as_user(&app, "taskforce@demo.test").await;
    let (s, unread) = app.get("/forum/unread").await;
    assert_eq!(s, Status::Ok);
    for title in [PHASED, "Spring term placement panel dates"] {
        assert!(
            unread.contains(title),
            "{title} is new to a first-time reader"
        );
    }
    app.get(&format!("/forum/threads/{t}")).await;
    let (_, unread) = app.get("/forum/unread").await;
    assert!(!unread.contains(PHASED), "read once opened");

    as_user(&app, "provider@demo.test").await;
    let r = app
        .post_csrf(
            &format!("/forum/threads/{t}/reply"),
            &[("body", "One more idea.")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    as_user(&app, "taskforce@demo.test").await;
    let tf = user_id(&app, "taskforce@demo.test").await;
    let reader = Reader {
        role: "taskforce",
        user_id: tf,
        moderator: false,
    };
    let rows = forum::unread(&app.pool, reader).await.expect("unread");
    let row = rows
        .iter()
        .find(|r| r.id == t)
        .expect("the thread is new again");
    assert_eq!(row.unread, 1);
    let (_, list) = app.get("/forum/reintegration").await;
    assert!(
        list.contains("<td class=\"num\">1</td>"),
        "the category shows one new post"
    );
    // A held post the reader cannot see never counts as new.
    let maths = thread_id(&app, MATHS).await;
    app.get(&format!("/forum/threads/{maths}")).await;
    let rows = forum::unread(&app.pool, reader).await.expect("unread");
    assert!(rows.iter().all(|r| r.id != maths));
}

fn forum_mails(sink: &SmtpSink, to: &str) -> Vec<common::smtp::Received> {
    sink.received()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

#[rocket::async_test]
async fn mentions_and_watchers_are_told_by_email_or_digest() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = TestApp::with_demo_config(move |c| {
        c.mail_transport = "smtp".into();
        c.smtp_host = "127.0.0.1".into();
        c.smtp_port = port;
        c.smtp_tls = "none".into();
        c.public_url = "https://ap.example.gov.uk".into();
    })
    .await;
    let transport = Transport::from_config(&app.config).expect("transport");
    let kinds = |email: &'static str| {
        let pool = app.pool.clone();
        async move {
            let v: Vec<String> = sqlx::query_scalar(
                "SELECT n.kind FROM notifications n JOIN users u ON u.id = n.user_id \
                 WHERE u.email = $1 ORDER BY n.id",
            )
            .bind(email)
            .fetch_all(&pool)
            .await
            .expect("kinds");
            v
        }
    };
    // The school may not read Safeguarding here, so a mention there must not reach it.
    sqlx::query(
        "DELETE FROM forum_category_roles WHERE role = 'school' AND category_id = \
         (SELECT id FROM forum_categories WHERE key = 'safeguarding')",
    )
    .execute(&app.pool)
    .await
    .expect("restrict");
    as_user(&app, "school@demo.test").await;
    assert_eq!(
        post_status(&app, "/forum/questions/watch", &[]).await,
        Status::SeeOther
    );

    as_user(&app, "progressions@demo.test").await;
    let r = app
        .post_csrf(
            "/forum/safeguarding/new",
            &[
                ("title", "Updated safeguarding contacts"),
                (
                    "body",
                    "@jo.walker and @sam.patel: the new DSL contacts are on the council site.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(kinds("provider@demo.test").await, vec!["forum_mention"]);
    assert!(
        kinds("school@demo.test").await.is_empty(),
        "cannot read it, so not told"
    );

    let maths = thread_id(&app, MATHS).await;
    let r = app
        .post_csrf(
            &format!("/forum/threads/{maths}/reply"),
            &[(
                "body",
                "Asking @jo.walker: does `@sam.patel` apply? Email priya@example.org.",
            )],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        kinds("provider@demo.test").await,
        vec!["forum_mention", "forum_mention"]
    );
    assert_eq!(
        kinds("school@demo.test").await,
        vec!["forum_activity"],
        "a watcher, not mentioned"
    );
    assert!(
        kinds("progressions@demo.test").await.is_empty(),
        "never told of its own post"
    );

    // A held post tells nobody until a moderator publishes it.
    as_user(&app, "taskforce@demo.test").await;
    let r = app
        .post_csrf(
            &format!("/forum/threads/{maths}/reply"),
            &[("body", "@jo.walker we use OCR.")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let held = newest_post(&app).await;
    assert_eq!(status_of(&app, held).await, "held");
    assert_eq!(kinds("provider@demo.test").await.len(), 2);
    as_user(&app, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{held}/approve"), &[]).await,
        Status::SeeOther
    );
    assert_eq!(kinds("provider@demo.test").await.len(), 3);
    assert_eq!(kinds("school@demo.test").await.len(), 2);
    // The first replier (progressions) now watches the thread, so hears of the approved post.
    assert_eq!(
        kinds("progressions@demo.test").await,
        vec!["forum_activity"]
    );

    // Mentions are emailed at once; watched activity waits for the digest by default.
    runner::send_due(&app.pool, &app.config, &transport, db::now())
        .await
        .expect("send");
    let mails = forum_mails(&sink, "provider@demo.test");
    assert_eq!(mails.len(), 3);
    for m in &mails {
        assert!(m
            .header("Subject")
            .expect("subject")
            .contains("Mentions of you in the provider forum"));
        assert!(
            m.data.contains("https://ap.example.gov.uk/forum/threads/"),
            "links to the post"
        );
        assert!(
            !m.data.contains("DSL contacts") && !m.data.contains("OCR"),
            "never the post itself"
        );
    }
    assert!(forum_mails(&sink, "school@demo.test").is_empty());
    let queued = apdir::notify::send_digests(&app.pool, &app.config)
        .await
        .expect("digests");
    assert!(queued >= 1);
    runner::send_due(&app.pool, &app.config, &transport, db::now())
        .await
        .expect("send");
    let digest = forum_mails(&sink, "school@demo.test");
    assert_eq!(digest.len(), 1);
    assert!(digest[0]
        .header("Subject")
        .expect("subject")
        .contains("Your daily summary: 2 new notifications"));
    assert!(digest[0]
        .data
        .contains("New posts in forum threads and categories you watch: 2"));
    assert!(!digest[0].data.contains("OCR"));
    let _ = outbox::lease();
}

/// Post ids linked from a search results page.
fn hits(html: &str) -> BTreeSet<i64> {
    html.split("#post-")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

/// Every post the reader can open, through the same lists and thread pages people use.
async fn openable(app: &TestApp, r: Reader<'_>) -> Vec<forum::PostRow> {
    let mut out = Vec::new();
    for c in forum::categories(&app.pool, r.role)
        .await
        .expect("categories")
    {
        for t in forum::threads(&app.pool, r, c.id).await.expect("threads") {
            out.extend(forum::posts(&app.pool, r, t.id).await.expect("posts"));
        }
    }
    out
}

#[rocket::async_test]
async fn search_shows_only_what_the_reader_may_open() {
    let app = TestApp::with_demo().await;
    // Schools lose Training here, so search must follow the category rule, not a fixed list.
    sqlx::query(
        "DELETE FROM forum_category_roles WHERE role = 'school' AND category_id = \
         (SELECT id FROM forum_categories WHERE key = 'training')",
    )
    .execute(&app.pool)
    .await
    .expect("restrict");
    let words = [
        "phased",
        "maths",
        "training",
        "panel",
        "Jayden",
        "board",
        "providers",
    ];
    for (email, role) in [
        ("school@demo.test", "school"),
        ("provider@demo.test", "provider"),
        ("progressions@demo.test", "progressions"),
        ("taskforce@demo.test", "taskforce"),
    ] {
        as_user(&app, email).await;
        let id = user_id(&app, email).await;
        let reader = Reader {
            role,
            user_id: id,
            moderator: role == "progressions",
        };
        let visible = openable(&app, reader).await;
        let visible_ids: BTreeSet<i64> = visible.iter().map(|p| p.id).collect();
        for word in words {
            let (s, page) = app.get(&format!("/forum/search?q={word}")).await;
            assert_eq!(s, Status::Ok);
            let found = hits(&page);
            assert!(
                found.is_subset(&visible_ids),
                "{role} '{word}': {found:?} not all openable"
            );
            let literal: BTreeSet<i64> = visible
                .iter()
                .filter(|p| p.source.to_lowercase().contains(&word.to_lowercase()))
                .map(|p| p.id)
                .collect();
            assert!(
                literal.is_subset(&found),
                "{role} '{word}': {literal:?} missing from {found:?}"
            );
        }
        let (_, page) = app.get("/forum/search?q=trauma").await;
        assert_eq!(
            hits(&page).is_empty(),
            role == "school",
            "{role}: Training follows its rule"
        );
        let (_, page) = app.get("/forum/search?q=Jayden").await;
        assert_eq!(
            !hits(&page).is_empty(),
            matches!(role, "provider" | "progressions"),
            "{role}: a held post is found by its author and moderators only"
        );
    }

    // Edits and removals reach the index before the next search.
    as_user(&app, "provider@demo.test").await;
    let t = thread_id(&app, PHASED).await;
    let p = post_by(&app, t, "provider@demo.test").await;
    let r = app
        .post_csrf(
            &format!("/forum/posts/{p}/edit"),
            &[("body", "Kintsugi workshops helped.")],
        )
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (_, page) = app.get("/forum/search?q=kintsugi").await;
    assert_eq!(hits(&page), BTreeSet::from([p]));
    let (_, page) = app.get("/forum/search?q=four-week").await;
    assert!(!hits(&page).contains(&p), "the old text is no longer found");
    // Nine days old: past the author's window, so a moderator removes it.
    as_user(&app, "progressions@demo.test").await;
    assert_eq!(
        post_status(&app, &format!("/forum/posts/{p}/delete"), &[]).await,
        Status::SeeOther
    );
    let (_, page) = app.get("/forum/search?q=kintsugi").await;
    assert!(hits(&page).is_empty());

    // A write that commits with an `updated_at` a little older than what the index last saw
    // (a slow transaction, another instance's clock) is still found.
    let author = user_id(&app, "provider@demo.test").await;
    let at = db::now() - chrono::Duration::seconds(60);
    sqlx::query(
        "INSERT INTO forum_posts (thread_id, author_id, source, html, status, created_at, updated_at) \
         VALUES ($1, $2, 'Zanzibar outreach notes', '<p>Zanzibar outreach notes</p>', 'published', $3, $3)",
    )
    .bind(t)
    .bind(author)
    .bind(at)
    .execute(&app.pool)
    .await
    .expect("late post");
    let late = newest_post(&app).await;
    let (_, page) = app.get("/forum/search?q=zanzibar").await;
    assert_eq!(hits(&page), BTreeSet::from([late]));

    let long = "a".repeat(201);
    let (s, _) = app.get(&format!("/forum/search?q={long}")).await;
    assert_eq!(s, Status::UnprocessableEntity);
    let (s, page) = app.get("/forum/search?q=").await;
    assert_eq!(s, Status::Ok);
    assert!(hits(&page).is_empty());
}

#[rocket::async_test]
async fn administrators_set_categories_and_who_reads_and_posts() {
    let app = TestApp::with_demo().await;
    as_user(&app, "progressions@demo.test").await;
    let (s, _) = app.get("/admin/forum").await;
    assert_eq!(s, Status::Forbidden, "only administrators set categories");
    as_user(&app, "admin@demo.test").await;
    let (s, page) = app.get("/admin/forum").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Reintegration practice"));
    let fields = |key: &'static str, school: &'static str, progressions: &'static str| {
        vec![
            ("key", key),
            ("name", "School trips"),
            ("description", "Trips and visits that worked."),
            ("sort_order", "7"),
            ("access[school]", school),
            ("access[provider]", "post"),
            ("access[progressions]", progressions),
            ("access[taskforce]", "read"),
            ("access[admin]", "post"),
        ]
    };
    let categories = app.count("SELECT COUNT(*) FROM forum_categories").await;
    for (bad, message) in [
        (fields("threads", "none", "post"), "used by the forum"),
        (fields("questions", "none", "post"), "already a category"),
        (fields("Trips!", "none", "post"), "lower-case letters"),
        (
            fields("school-trips", "none", "none"),
            "must be able to read every category",
        ),
        (
            fields("school-trips", "maybe", "post"),
            "Choose what School staff may do",
        ),
    ] {
        let r = app.post_csrf("/admin/forum", &bad).await;
        assert_eq!(r.status(), Status::UnprocessableEntity);
        let body = r.into_string().await.unwrap_or_default();
        assert!(body.contains(message), "{message}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM forum_categories").await,
        categories
    );
    assert_eq!(
        post_status(
            &app,
            "/admin/forum",
            &fields("school-trips", "none", "post")
        )
        .await,
        Status::SeeOther
    );
    assert_eq!(app.audit_count("create").await, 1);

    as_user(&app, "school@demo.test").await;
    let (_, forum_home) = app.get("/forum").await;
    assert!(!forum_home.contains("School trips"));
    let (s, _) = app.get("/forum/school-trips").await;
    assert_eq!(s, Status::NotFound);
    as_user(&app, "taskforce@demo.test").await;
    let (s, page) = app.get("/forum/school-trips").await;
    assert_eq!(s, Status::Ok);
    assert!(!page.contains("Start a thread"), "taskforce reads only");
    as_user(&app, "provider@demo.test").await;
    let r = app
        .post_upload(
            "/forum/school-trips/new",
            &[("title", "Peak District day"), ("body", "Worth it.")],
            None,
        )
        .await;
    assert_eq!(r.0, Status::SeeOther);

    // Schools may now read it.
    as_user(&app, "admin@demo.test").await;
    let (s, form) = app.get("/admin/forum/school-trips").await;
    assert_eq!(s, Status::Ok);
    assert!(form.contains("id=\"access-school\" name=\"access[school]\" value=\"none\" checked"));
    let mut change = fields("school-trips", "read", "post");
    change.retain(|(k, _)| *k != "key");
    assert_eq!(
        post_status(&app, "/admin/forum/school-trips", &change).await,
        Status::SeeOther
    );
    assert_eq!(
        post_status(&app, "/admin/forum/nowhere", &change).await,
        Status::NotFound
    );
    as_user(&app, "school@demo.test").await;
    let (s, page) = app.get("/forum/school-trips").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Peak District day"));
}
