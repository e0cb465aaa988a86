//! Forum attachments end to end: a PDF and a picture attached to posts through the real
//! multipart forms, stored, linked from the post and served only to those who can read it;
//! files refused by content and size, with nothing written.

mod common;

use common::TestApp;
use rocket::http::Status;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn thread_id(app: &TestApp, title: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM forum_threads WHERE title = $1")
        .bind(title)
        .fetch_one(&app.pool)
        .await
        .expect("thread")
}

async fn stored_name(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT name FROM forum_attachments ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .expect("attachment")
}

fn files_in(app: &TestApp) -> usize {
    std::fs::read_dir(app.config.data_dir.join("forum"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[rocket::async_test]
async fn a_pdf_and_a_picture_are_attached_linked_and_served_to_readers() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, "Phased returns that worked").await;
    app.login("provider@demo.test").await;
    let (s, _) = app
        .post_upload(
            &format!("/forum/threads/{t}/reply"),
            &[("body", "Our **timetable** for phased returns is attached.")],
            Some(("attachment", "Phased timetable.pdf", PDF)),
        )
        .await;
    assert_eq!(s, Status::SeeOther);
    let pdf = stored_name(&app).await;
    assert!(pdf.ends_with(".pdf"));
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(
        page.contains(&format!("<a href=\"/forum/attachments/{pdf}\"")),
        "linked from the post"
    );
    assert!(page.contains("Phased timetable.pdf (1 KB)"));
    let r = app.get_response(&format!("/forum/attachments/{pdf}")).await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(
        r.content_type().map(|c| c.to_string()).as_deref(),
        Some("application/pdf")
    );
    assert!(r
        .headers()
        .get_one("Content-Disposition")
        .is_some_and(|d| d.starts_with("attachment") && d.contains("Phased timetable.pdf")));
    assert_eq!(r.into_bytes().await.expect("bytes"), PDF);

    // A picture alone (no text) shows in place.
    let (s, _) = app
        .post_upload(
            &format!("/forum/threads/{t}/reply"),
            &[("body", "")],
            Some(("attachment", "room.png", PNG)),
        )
        .await;
    assert_eq!(s, Status::SeeOther);
    let png = stored_name(&app).await;
    let (_, page) = app.get(&format!("/forum/threads/{t}")).await;
    assert!(page.contains(&format!(
        "<img src=\"/forum/attachments/{png}\" alt=\"room.png\""
    )));
    app.logout().await;

    // Another reader of the category gets both; a reader who loses the category, neither.
    app.login("school@demo.test").await;
    let r = app.get_response(&format!("/forum/attachments/{png}")).await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(r.headers().get_one("Content-Disposition"), Some("inline"));
    assert_eq!(
        r.content_type().map(|c| c.to_string()).as_deref(),
        Some("image/png")
    );
    sqlx::query(
        "DELETE FROM forum_category_roles WHERE role = 'school' AND category_id = \
         (SELECT id FROM forum_categories WHERE key = 'reintegration')",
    )
    .execute(&app.pool)
    .await
    .expect("restrict");
    for name in [&pdf, &png] {
        let (s, _) = app.get(&format!("/forum/attachments/{name}")).await;
        assert_eq!(s, Status::NotFound, "{name}");
    }
    for bad in ["nothing-here.pdf", "..%2F..%2Fetc%2Fpasswd", "a%20b.pdf"] {
        let (s, _) = app.get(&format!("/forum/attachments/{bad}")).await;
        assert_eq!(s, Status::NotFound, "{bad}");
    }
    app.logout().await;
    let (s, _) = app.get(&format!("/forum/attachments/{pdf}")).await;
    assert_eq!(
        s,
        Status::SeeOther,
        "signed-out visitors are sent to sign in"
    );
}

#[rocket::async_test]
async fn attachments_of_held_or_removed_posts_are_not_served_to_others() {
    let app = TestApp::with_demo().await;
    let t = thread_id(&app, "Entry Level maths: which board?").await;
    // The taskforce user is new, so its first posts wait for a moderator.
    app.login("taskforce@demo.test").await;
    let (s, _) = app
        .post_upload(
            &format!("/forum/threads/{t}/reply"),
            &[("body", "Our scheme of work.")],
            Some(("attachment", "scheme.pdf", PDF)),
        )
        .await;
    assert_eq!(s, Status::SeeOther);
    let name = stored_name(&app).await;
    let (s, _) = app.get(&format!("/forum/attachments/{name}")).await;
    assert_eq!(s, Status::Ok, "its author can open it while it waits");
    app.logout().await;
    app.login("school@demo.test").await;
    let (s, _) = app.get(&format!("/forum/attachments/{name}")).await;
    assert_eq!(s, Status::NotFound);
    app.logout().await;
    app.login("progressions@demo.test").await;
    let (s, _) = app.get(&format!("/forum/attachments/{name}")).await;
    assert_eq!(s, Status::Ok, "moderators see what they are deciding on");
    let post: i64 = app.count("SELECT MAX(id) FROM forum_posts").await;
    let r = app
        .post_csrf(&format!("/forum/posts/{post}/remove"), &[])
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let (s, _) = app.get(&format!("/forum/attachments/{name}")).await;
    assert_eq!(s, Status::NotFound, "gone with its post");
}

#[rocket::async_test]
async fn files_are_checked_by_content_and_size_and_bad_ones_write_nothing() {
    let app = TestApp::with_demo().await;
    app.login("provider@demo.test").await;
    let posts = app.count("SELECT COUNT(*) FROM forum_posts").await;
    let big = {
        let mut v = PDF.to_vec();
        v.resize(10 * 1024 * 1024 + 1, b' ');
        v
    };
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "notes.pdf",
            b"<script>alert(1)</script>",
            "must be a PDF, a picture",
        ),
        ("report.png", PDF, "name it .pdf"),
        ("run.exe", b"MZ\x90\x00\x03", "must be a PDF, a picture"),
        ("huge.pdf", &big, "smaller than 10 MB"),
    ];
    for (name, bytes, message) in cases {
        let (s, page) = app
            .post_upload(
                "/forum/questions/new",
                &[("title", "With a file"), ("body", "See attached.")],
                Some(("attachment", name, bytes)),
            )
            .await;
        assert_eq!(s, Status::UnprocessableEntity, "{name}");
        assert!(page.contains(message), "{name}: {message}");
        assert!(page.contains("value=\"With a file\""), "the title is kept");
    }
    // A form with errors does not keep (or store) the file.
    let (s, page) = app
        .post_upload(
            "/forum/questions/new",
            &[("title", ""), ("body", "See attached.")],
            Some(("attachment", "a.pdf", PDF)),
        )
        .await;
    assert_eq!(s, Status::UnprocessableEntity);
    assert!(page.contains("Choose the file again"));
    assert_eq!(app.count("SELECT COUNT(*) FROM forum_posts").await, posts);
    assert_eq!(app.count("SELECT COUNT(*) FROM forum_attachments").await, 0);
    assert_eq!(files_in(&app), 0);

    // A long post still fits through the multipart form.
    let long = "Practice note. ".repeat(1300);
    let (s, _) = app
        .post_upload(
            "/forum/questions/new",
            &[("title", "A long note"), ("body", &long)],
            None,
        )
        .await;
    assert_eq!(s, Status::SeeOther);
    // The token is still required.
    let r = app
        .post(
            "/forum/questions/new",
            &[("csrf_token", "wrong"), ("title", "T"), ("body", "B")],
        )
        .await;
    assert_eq!(r.status(), Status::Forbidden);
}
