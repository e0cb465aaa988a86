//! Forum categories, threads and posts. Every read takes the reader's role and applies the
//! category's read rule in its SQL, and shows a held post only to its author and moderators,
//! so a list, a thread and (later) search can never disagree about what someone may open.

use super::{Conn, Pool};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

/// `$n` is the reader's role key: the category's read rule, in SQL.
fn can_read(n: u8) -> String {
    format!(
        "EXISTS (SELECT 1 FROM forum_category_roles cr WHERE cr.category_id = c.id AND cr.role = ${n})"
    )
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct CategoryRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub can_post: bool,
    pub threads: i64,
}

/// The categories `role` may read, in order, with whether it may post and how many threads.
pub async fn categories(pool: &Pool, role: &str) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT c.id, c.key, c.name, c.description, \
         EXISTS (SELECT 1 FROM forum_category_roles cr WHERE cr.category_id = c.id AND cr.role = $1 \
         AND cr.may_post) AS can_post, \
         (SELECT COUNT(*) FROM forum_threads t WHERE t.category_id = c.id) AS threads \
         FROM forum_categories c WHERE {} ORDER BY c.sort_order",
        can_read(1)
    ))
    .bind(role)
    .fetch_all(pool)
    .await
}

pub async fn category(
    pool: &Pool,
    role: &str,
    key: &str,
) -> Result<Option<CategoryRow>, sqlx::Error> {
    Ok(categories(pool, role)
        .await?
        .into_iter()
        .find(|c| c.key == key))
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ThreadRow {
    pub id: i64,
    pub category_id: i64,
    pub category_key: String,
    pub title: String,
    pub author_id: i64,
    pub author_name: String,
    pub pinned: bool,
    pub locked: bool,
    pub created_at: DateTime<Utc>,
    pub last_post_at: DateTime<Utc>,
    /// Posts the reader can see.
    pub posts: i64,
}

/// What a reader may see of posts: published ones, their own, and everything for moderators.
/// `$2` is the reader's user id, `$3` whether they moderate.
const VISIBLE_POST: &str =
    "(p.status = 'published' OR (p.status = 'held' AND (p.author_id = $2 OR $3)))";

fn thread_select(filter: &str) -> String {
    format!(
        "SELECT t.id, t.category_id, c.key AS category_key, t.title, t.author_id, \
         u.display_name AS author_name, t.pinned, t.locked, t.created_at, t.last_post_at, \
         (SELECT COUNT(*) FROM forum_posts p WHERE p.thread_id = t.id AND {VISIBLE_POST}) AS posts \
         FROM forum_threads t JOIN forum_categories c ON c.id = t.category_id \
         JOIN users u ON u.id = t.author_id \
         WHERE {} AND {filter} \
         AND EXISTS (SELECT 1 FROM forum_posts p WHERE p.thread_id = t.id AND {VISIBLE_POST})",
        can_read(1)
    )
}

/// Who is reading: their role key, user id and whether they moderate.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub role: &'a str,
    pub user_id: i64,
    pub moderator: bool,
}

/// A category's threads the reader may open: pinned first, then by latest post.
pub async fn threads(
    pool: &Pool,
    r: Reader<'_>,
    category_id: i64,
) -> Result<Vec<ThreadRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{} ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC",
        thread_select("t.category_id = $4")
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .bind(category_id)
    .fetch_all(pool)
    .await
}

pub async fn thread(pool: &Pool, r: Reader<'_>, id: i64) -> Result<Option<ThreadRow>, sqlx::Error> {
    sqlx::query_as(&thread_select("t.id = $4"))
        .bind(r.role)
        .bind(r.user_id)
        .bind(r.moderator)
        .bind(id)
        .fetch_optional(pool)
        .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PostRow {
    pub id: i64,
    pub thread_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub reply_to: Option<i64>,
    pub html: String,
    pub status: String,
    pub held_reason: String,
    pub created_at: DateTime<Utc>,
}

/// A thread's posts the reader may see, oldest first (the thread itself must be readable).
pub async fn posts(
    pool: &Pool,
    r: Reader<'_>,
    thread_id: i64,
) -> Result<Vec<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.thread_id, p.author_id, u.display_name AS author_name, p.reply_to, p.html, \
         p.status, p.held_reason, p.created_at FROM forum_posts p \
         JOIN forum_threads t ON t.id = p.thread_id JOIN forum_categories c ON c.id = t.category_id \
         JOIN users u ON u.id = p.author_id \
         WHERE p.thread_id = $4 AND {} AND {VISIBLE_POST} ORDER BY p.created_at, p.id",
        can_read(1)
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .bind(thread_id)
    .fetch_all(pool)
    .await
}

pub async fn insert_thread(
    conn: &mut Conn,
    category_id: i64,
    title: &str,
    author_id: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO forum_threads (category_id, title, author_id, created_at, last_post_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(category_id)
    .bind(title)
    .bind(author_id)
    .bind(at)
    .fetch_one(conn)
    .await
}

pub struct NewPost<'a> {
    pub thread_id: i64,
    pub author_id: i64,
    pub reply_to: Option<i64>,
    pub source: &'a str,
    pub html: &'a str,
    pub held_reason: Option<&'a str>,
}

pub async fn insert_post(
    conn: &mut Conn,
    p: &NewPost<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id = sqlx::query_scalar(
        "INSERT INTO forum_posts (thread_id, author_id, reply_to, source, html, status, held_reason, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(p.thread_id)
    .bind(p.author_id)
    .bind(p.reply_to)
    .bind(p.source)
    .bind(p.html)
    .bind(if p.held_reason.is_some() { "held" } else { "published" })
    .bind(p.held_reason.unwrap_or(""))
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    if p.held_reason.is_none() {
        touch_thread(conn, p.thread_id, at).await?;
    }
    Ok(id)
}

async fn touch_thread(
    conn: &mut Conn,
    thread_id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE forum_threads SET last_post_at = $1 WHERE id = $2")
        .bind(at)
        .bind(thread_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many of an author's posts have been published (new accounts' first posts are held).
pub async fn published_by(pool: &Pool, author_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM forum_posts WHERE author_id = $1 AND status = 'published'",
    )
    .bind(author_id)
    .fetch_one(pool)
    .await
}

/// Whether `role` may post in the category, by the category's own rule.
pub async fn can_post(pool: &Pool, role: &str, category_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM forum_category_roles WHERE category_id = $1 AND role = $2 AND may_post",
    )
    .bind(category_id)
    .bind(role)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct HeldRow {
    pub id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub author_name: String,
    pub source: String,
    pub held_reason: String,
    pub created_at: DateTime<Utc>,
}

/// The moderation queue: held posts, oldest first.
pub async fn held(pool: &Pool) -> Result<Vec<HeldRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.thread_id, t.title AS thread_title, u.display_name AS author_name, p.source, \
         p.held_reason, p.created_at FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id \
         JOIN users u ON u.id = p.author_id WHERE p.status = 'held' ORDER BY p.created_at, p.id",
    )
    .fetch_all(pool)
    .await
}

/// Publishes or removes a held post; false when there is no held post with this id.
pub async fn decide(
    conn: &mut Conn,
    post_id: i64,
    publish: bool,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let thread: Option<i64> = sqlx::query_scalar(
        "UPDATE forum_posts SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'held' \
         RETURNING thread_id",
    )
    .bind(if publish { "published" } else { "removed" })
    .bind(at)
    .bind(post_id)
    .fetch_optional(&mut *conn)
    .await?;
    match thread {
        Some(t) if publish => {
            touch_thread(conn, t, at).await?;
            Ok(true)
        }
        Some(_) => Ok(true),
        None => Ok(false),
    }
}
