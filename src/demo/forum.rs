//! A few realistic forum threads for the demo, one post waiting for a moderator (held by the
//! pupil-data guard) and one flagged, so the review queue has both kinds; one edited post, so
//! its history has a version; authors watch their threads, as posting makes them do.

use crate::db::{forum, Conn};
use crate::forum::{guard, markdown};
use chrono::{DateTime, Duration, Utc};

/// (category, title, [(author email, days ago, text)])
type Thread = (
    &'static str,
    &'static str,
    &'static [(&'static str, i64, &'static str)],
);

const THREADS: [Thread; 4] = [
    (
        "notices",
        "Spring term placement panel dates",
        &[(
            "progressions@demo.test",
            12,
            "The placement panel meets on the **first and third Tuesday** of each month this term.\n\nSend requests by the Thursday before. The [AP guidance](https://www.gov.uk/government/publications/alternative-provision) explains what the panel needs.",
        )],
    ),
    (
        "reintegration",
        "Phased returns that worked",
        &[
            (
                "provider@demo.test",
                9,
                "We have had good results with a **four-week phased return**:\n\n1. Week 1: two mornings at school with a key worker\n2. Week 2: three mornings, one lunchtime\n3. Week 3: four days, AP on Friday\n4. Week 4: full time, with a check-in call\n\nWhat has worked for others?",
            ),
            (
                "progressions@demo.test",
                8,
                "> four-week phased return\n\nThis matches what the Taskforce has seen: returns with a named key worker at the school hold far better. We will share the summary at the next forum meeting.",
            ),
        ],
    ),
    (
        "training",
        "Trauma-informed practice training, February",
        &[(
            "provider@demo.test",
            5,
            "We are running a half-day session on trauma-informed practice for AP staff on a February morning. Places are free for providers on the framework. Reply here if you would like places.",
        )],
    ),
    (
        "questions",
        "Entry Level maths: which board?",
        &[
            (
                "provider@demo.test",
                3,
                "Which exam board do you use for **Entry Level maths**, and why?",
            ),
            (
                "progressions@demo.test",
                2,
                "Several framework providers use the same board so that pupils moving between them keep their progress. Happy to connect you.",
            ),
        ],
    ),
];

/// The training post as first written; the thread shows it as edited to `TRAINING_EDITED`.
const TRAINING_EDITED: &str = "We are running a half-day session on trauma-informed practice for AP staff on **Thursday 12 February, 9:30 to 12:30**, at the Source Skills Academy in Meadowhall. Places are free for providers on the framework. Reply here if you would like places.";

const FLAG_REASON: &str =
    "Is this advertising a paid course? Could a moderator check it fits the forum's rules?";

/// A reply that the guard holds: it names a child with a date of birth.
const HELD: &str = "Can anyone take Jayden Smith 12/04/2013 from January?";

async fn user_id(conn: &mut Conn, email: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(conn)
        .await
}

async fn category_id(conn: &mut Conn, key: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM forum_categories WHERE key = $1")
        .bind(key)
        .fetch_one(conn)
        .await
}

pub async fn seed(conn: &mut Conn, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let mut last_thread = None;
    let mut training_post = None;
    for (category, title, posts) in THREADS {
        let category = category_id(conn, category).await?;
        let Some((first_author, first_days, _)) = posts.first() else {
            continue;
        };
        let author = user_id(conn, first_author).await?;
        let thread = forum::insert_thread(
            conn,
            category,
            title,
            author,
            now - Duration::days(*first_days),
        )
        .await?;
        for (email, days, text) in posts.iter() {
            let author = user_id(conn, email).await?;
            let html = markdown::render(text);
            forum::watch_thread(conn, author, thread).await?;
            let post = forum::insert_post(
                conn,
                &forum::NewPost {
                    thread_id: thread,
                    author_id: author,
                    reply_to: None,
                    source: text,
                    html: &html,
                    held_reason: None,
                },
                now - Duration::days(*days),
            )
            .await?;
            if title.starts_with("Trauma") {
                training_post = Some((post, author));
            }
        }
        last_thread = Some(thread);
    }
    if let Some(thread) = last_thread {
        let author = user_id(conn, "provider@demo.test").await?;
        let reason = guard::check(HELD, now.date_naive()).map(|h| h.message());
        forum::insert_post(
            conn,
            &forum::NewPost {
                thread_id: thread,
                author_id: author,
                reply_to: None,
                source: HELD,
                html: &markdown::render(HELD),
                held_reason: reason.as_deref(),
            },
            now - Duration::hours(20),
        )
        .await?;
    }
    if let Some((post, author)) = training_post {
        let html = markdown::render(TRAINING_EDITED);
        forum::edit_post(
            conn,
            post,
            author,
            (TRAINING_EDITED, &html),
            None,
            now - Duration::days(4),
        )
        .await?;
        let school = user_id(conn, "school@demo.test").await?;
        forum::insert_flag(conn, post, school, FLAG_REASON, now - Duration::days(1)).await?;
    }
    Ok(THREADS.len())
}
