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
    /// Of those, posts after the last one the reader saw.
    pub unread: i64,
}

/// What a reader may see of posts: published ones, their own, and everything for moderators.
/// `$2` is the reader's user id, `$3` whether they moderate.
const VISIBLE_POST: &str =
    "(p.status = 'published' OR (p.status = 'held' AND (p.author_id = $2 OR $3)))";

/// `p.id + 0` in the unread count keeps SQLite on the thread's index: given `p.id > x` it may
/// walk every later post in the forum instead, once per thread (3 s rather than 6 ms for a
/// category of 333 threads among 20,000 posts, depending on the statistics a connection has).
fn thread_select(filter: &str) -> String {
    format!(
        "SELECT t.id, t.category_id, c.key AS category_key, t.title, t.author_id, \
         u.display_name AS author_name, t.pinned, t.locked, t.created_at, t.last_post_at, \
         (SELECT COUNT(*) FROM forum_posts p WHERE p.thread_id = t.id AND {VISIBLE_POST}) AS posts, \
         (SELECT COUNT(*) FROM forum_posts p WHERE p.thread_id = t.id AND {VISIBLE_POST} \
          AND p.id + 0 > COALESCE((SELECT fr.last_post_id FROM forum_reads fr \
          WHERE fr.user_id = $2 AND fr.thread_id = t.id), 0)) AS unread \
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
    pub source: String,
    pub html: String,
    pub status: String,
    pub held_reason: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

fn post_select(filter: &str) -> String {
    format!(
        "SELECT p.id, p.thread_id, p.author_id, u.display_name AS author_name, p.reply_to, p.source, \
         p.html, p.status, p.held_reason, p.created_at, p.edited_at FROM forum_posts p \
         JOIN forum_threads t ON t.id = p.thread_id JOIN forum_categories c ON c.id = t.category_id \
         JOIN users u ON u.id = p.author_id \
         WHERE {filter} AND {} AND {VISIBLE_POST}",
        can_read(1)
    )
}

/// A thread's posts the reader may see, oldest first (the thread itself must be readable).
pub async fn posts(
    pool: &Pool,
    r: Reader<'_>,
    thread_id: i64,
) -> Result<Vec<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{} ORDER BY p.created_at, p.id",
        post_select("p.thread_id = $4")
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .bind(thread_id)
    .fetch_all(pool)
    .await
}

/// One post the reader may see.
pub async fn post(pool: &Pool, r: Reader<'_>, id: i64) -> Result<Option<PostRow>, sqlx::Error> {
    sqlx::query_as(&post_select("p.id = $4"))
        .bind(r.role)
        .bind(r.user_id)
        .bind(r.moderator)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Threads with posts the reader has not seen, newest activity first.
pub async fn unread(pool: &Pool, r: Reader<'_>) -> Result<Vec<ThreadRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT * FROM ({}) x WHERE x.unread > 0 ORDER BY x.last_post_at DESC, x.id DESC LIMIT 200",
        thread_select("1 = 1")
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .fetch_all(pool)
    .await
}

/// Records that the user has seen the thread up to `last_post_id` (never moves backwards).
pub async fn mark_read(
    pool: &Pool,
    user_id: i64,
    thread_id: i64,
    last_post_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO forum_reads (user_id, thread_id, last_post_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, thread_id) DO UPDATE SET last_post_id = excluded.last_post_id \
         WHERE excluded.last_post_id > forum_reads.last_post_id",
    )
    .bind(user_id)
    .bind(thread_id)
    .bind(last_post_id)
    .execute(pool)
    .await?;
    Ok(())
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

/// Keeps the current version of a post as a revision and replaces it; a post the guard now
/// stops goes back to the moderators (`held_reason`), otherwise its status stays as it was.
pub async fn edit_post(
    conn: &mut Conn,
    post_id: i64,
    editor_id: i64,
    new: (&str, &str),
    held_reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (source, html) = new;
    sqlx::query(
        "INSERT INTO forum_post_revisions (post_id, source, html, written_at, replaced_at, replaced_by) \
         SELECT id, source, html, COALESCE(edited_at, created_at), $2, $3 FROM forum_posts WHERE id = $1",
    )
    .bind(post_id)
    .bind(at)
    .bind(editor_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE forum_posts SET source = $1, html = $2, edited_at = $3, updated_at = $3, \
         status = CASE WHEN $4 THEN 'held' ELSE status END, \
         held_reason = CASE WHEN $4 THEN $5 ELSE held_reason END WHERE id = $6",
    )
    .bind(source)
    .bind(html)
    .bind(at)
    .bind(held_reason.is_some())
    .bind(held_reason.unwrap_or(""))
    .bind(post_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct RevisionRow {
    pub id: i64,
    pub source: String,
    pub html: String,
    pub written_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
    pub replaced_by_name: String,
}

/// A post's earlier versions, newest first.
pub async fn revisions(pool: &Pool, post_id: i64) -> Result<Vec<RevisionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.source, r.html, r.written_at, r.replaced_at, u.display_name AS replaced_by_name \
         FROM forum_post_revisions r JOIN users u ON u.id = r.replaced_by \
         WHERE r.post_id = $1 ORDER BY r.id DESC",
    )
    .bind(post_id)
    .fetch_all(pool)
    .await
}

/// Removes a post that is not removed yet; false when there was none.
pub async fn remove_post(
    conn: &mut Conn,
    post_id: i64,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE forum_posts SET status = 'removed', removed_by = $1, updated_at = $2 \
         WHERE id = $3 AND status <> 'removed'",
    )
    .bind(by)
    .bind(at)
    .bind(post_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the user has an unresolved flag on the post.
pub async fn has_open_flag(
    conn: &mut Conn,
    post_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM forum_flags WHERE post_id = $1 AND flagged_by = $2 AND resolved_at IS NULL",
    )
    .bind(post_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn insert_flag(
    conn: &mut Conn,
    post_id: i64,
    user_id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO forum_flags (post_id, flagged_by, reason, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(post_id)
    .bind(user_id)
    .bind(reason)
    .bind(at)
    .fetch_one(conn)
    .await
}

/// Closes a post's open flags with the moderator's outcome (kept or removed).
pub async fn resolve_flags(
    conn: &mut Conn,
    post_id: i64,
    by: i64,
    outcome: &str,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE forum_flags SET resolved_at = $1, resolved_by = $2, outcome = $3 \
         WHERE post_id = $4 AND resolved_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(outcome)
    .bind(post_id)
    .execute(conn)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct FlagRow {
    pub post_id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub author_name: String,
    pub source: String,
    pub reason: String,
    pub flagged_by_name: String,
    pub created_at: DateTime<Utc>,
}

/// Open flags on posts still shown, oldest first (grouped by post by the caller).
pub async fn open_flags(pool: &Pool) -> Result<Vec<FlagRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.post_id, p.thread_id, t.title AS thread_title, a.display_name AS author_name, \
         p.source, f.reason, u.display_name AS flagged_by_name, f.created_at \
         FROM forum_flags f JOIN forum_posts p ON p.id = f.post_id \
         JOIN forum_threads t ON t.id = p.thread_id JOIN users a ON a.id = p.author_id \
         JOIN users u ON u.id = f.flagged_by \
         WHERE f.resolved_at IS NULL AND p.status <> 'removed' ORDER BY f.created_at, f.id",
    )
    .fetch_all(pool)
    .await
}

/// Sets a thread's pinned or locked mark; false when there is no such thread.
pub async fn set_mark(
    conn: &mut Conn,
    thread_id: i64,
    pinned: Option<bool>,
    locked: Option<bool>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE forum_threads SET pinned = COALESCE($1, pinned), locked = COALESCE($2, locked) \
         WHERE id = $3",
    )
    .bind(pinned)
    .bind(locked)
    .bind(thread_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn move_thread(
    conn: &mut Conn,
    thread_id: i64,
    category_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE forum_threads SET category_id = $1 WHERE id = $2")
        .bind(category_id)
        .bind(thread_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts (or keeps) watching a thread.
pub async fn watch_thread(
    conn: &mut Conn,
    user_id: i64,
    thread_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO forum_thread_watches (user_id, thread_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(thread_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Turns watching a thread (`category` false) or a category on or off; returns the new state.
pub async fn toggle_watch(
    pool: &Pool,
    user_id: i64,
    category: bool,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let (table, column) = if category {
        ("forum_category_watches", "category_id")
    } else {
        ("forum_thread_watches", "thread_id")
    };
    let mut tx = super::write(pool).await?;
    let gone = sqlx::query(&format!(
        "DELETE FROM {table} WHERE user_id = $1 AND {column} = $2"
    ))
    .bind(user_id)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if gone == 0 {
        sqlx::query(&format!(
            "INSERT INTO {table} (user_id, {column}) VALUES ($1, $2)"
        ))
        .bind(user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(gone == 0)
}

/// Whether the user watches the thread and its category.
pub async fn watching(
    pool: &Pool,
    user_id: i64,
    thread_id: i64,
    category_id: i64,
) -> Result<(bool, bool), sqlx::Error> {
    let (t, c): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM forum_thread_watches WHERE user_id = $1 AND thread_id = $2), \
         (SELECT COUNT(*) FROM forum_category_watches WHERE user_id = $1 AND category_id = $3)",
    )
    .bind(user_id)
    .bind(thread_id)
    .bind(category_id)
    .fetch_one(pool)
    .await?;
    Ok((t > 0, c > 0))
}

/// Active users whose role reads the category: who may be mentioned or told about a post.
pub async fn readers(conn: &mut Conn, category_id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.display_name FROM users u WHERE u.active = $2 AND EXISTS \
         (SELECT 1 FROM forum_category_roles cr WHERE cr.category_id = $1 AND cr.role = u.role) \
         ORDER BY u.id",
    )
    .bind(category_id)
    .bind(true)
    .fetch_all(conn)
    .await
}

/// Users watching the thread or its category who may still read it.
pub async fn watchers(
    conn: &mut Conn,
    thread_id: i64,
    category_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.id FROM users u WHERE u.active = $3 \
         AND (EXISTS (SELECT 1 FROM forum_thread_watches w WHERE w.user_id = u.id AND w.thread_id = $1) \
          OR EXISTS (SELECT 1 FROM forum_category_watches w WHERE w.user_id = u.id AND w.category_id = $2)) \
         AND EXISTS (SELECT 1 FROM forum_category_roles cr WHERE cr.category_id = $2 AND cr.role = u.role) \
         ORDER BY u.id",
    )
    .bind(thread_id)
    .bind(category_id)
    .bind(true)
    .fetch_all(conn)
    .await
}

/// What a published post's notifications need: its thread, category and author.
#[derive(Debug, Clone, FromRow)]
pub struct PostContext {
    pub post_id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub category_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub source: String,
    pub first: bool,
}

pub async fn post_context(conn: &mut Conn, post_id: i64) -> Result<PostContext, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id AS post_id, p.thread_id, t.title AS thread_title, t.category_id, p.author_id, \
         u.display_name AS author_name, p.source, \
         NOT EXISTS (SELECT 1 FROM forum_posts q WHERE q.thread_id = p.thread_id AND q.id < p.id) AS first \
         FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id JOIN users u ON u.id = p.author_id \
         WHERE p.id = $1",
    )
    .bind(post_id)
    .fetch_one(conn)
    .await
}

/// Which posts changed at or after `since` (all when None), for keeping the search index in step.
pub async fn changed_since(
    pool: &Pool,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(i64, DateTime<Utc>)>, sqlx::Error> {
    match since {
        Some(at) => {
            sqlx::query_as("SELECT id, updated_at FROM forum_posts WHERE updated_at >= $1")
                .bind(at)
                .fetch_all(pool)
                .await
        }
        None => {
            sqlx::query_as("SELECT id, updated_at FROM forum_posts")
                .fetch_all(pool)
                .await
        }
    }
}

/// A post as the search index holds it.
#[derive(Debug, Clone, FromRow)]
pub struct IndexedPost {
    pub id: i64,
    pub status: String,
    pub title: String,
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

/// The posts with these ids (integers from the database itself), as the index needs them.
pub async fn posts_for_index(pool: &Pool, ids: &[i64]) -> Result<Vec<IndexedPost>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        out.extend(
            sqlx::query_as::<_, IndexedPost>(&format!(
                "SELECT p.id, p.status, t.title, p.source, p.updated_at FROM forum_posts p \
                 JOIN forum_threads t ON t.id = p.thread_id WHERE p.id IN ({list})"
            ))
            .fetch_all(pool)
            .await?,
        );
    }
    Ok(out)
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct FoundRow {
    pub id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub category_name: String,
    pub author_name: String,
    pub source: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Of the given posts, those the reader may open (same rule as threads and posts), in no order.
pub async fn readable_posts(
    pool: &Pool,
    r: Reader<'_>,
    ids: &[i64],
) -> Result<Vec<FoundRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers from our own index, so listing them in the SQL cannot inject anything.
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query_as(&format!(
        "SELECT p.id, p.thread_id, t.title AS thread_title, c.name AS category_name, \
         u.display_name AS author_name, p.source, p.status, p.created_at FROM forum_posts p \
         JOIN forum_threads t ON t.id = p.thread_id JOIN forum_categories c ON c.id = t.category_id \
         JOIN users u ON u.id = p.author_id WHERE p.id IN ({list}) AND {} AND {VISIBLE_POST}",
        can_read(1)
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct LogRow {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub detail: String,
}

/// Actions moderators and the guard took: the forum's moderation log.
pub const MODERATION_ACTIONS: [&str; 12] = [
    "post_held",
    "approve",
    "remove",
    "delete",
    "edit",
    "flag",
    "keep",
    "pin",
    "unpin",
    "lock",
    "unlock",
    "move",
];

pub async fn moderation_log(pool: &Pool) -> Result<Vec<LogRow>, sqlx::Error> {
    let actions = MODERATION_ACTIONS
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query_as(&format!(
        "SELECT a.at, u.display_name AS actor, a.action, a.entity, a.entity_id, a.detail \
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
         WHERE a.entity IN ('forum_post', 'forum_thread') AND a.action IN ({actions}) \
         ORDER BY a.id DESC LIMIT 500"
    ))
    .fetch_all(pool)
    .await
}

/// Records an attachment as part of a post (in the post's transaction).
pub async fn insert_attachment(
    conn: &mut Conn,
    post_id: i64,
    uploader_id: i64,
    a: &crate::forum::attachments::Attachment,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO forum_attachments (name, post_id, uploader_id, filename, content_type, size, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&a.name)
    .bind(post_id)
    .bind(uploader_id)
    .bind(&a.filename)
    .bind(a.content_type)
    .bind(a.size)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct AttachmentRow {
    pub name: String,
    pub post_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
}

/// An attachment, when its post is one the reader may see.
pub async fn attachment(
    pool: &Pool,
    r: Reader<'_>,
    name: &str,
) -> Result<Option<AttachmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT a.name, a.post_id, a.filename, a.content_type FROM forum_attachments a \
         JOIN forum_posts p ON p.id = a.post_id JOIN forum_threads t ON t.id = p.thread_id \
         JOIN forum_categories c ON c.id = t.category_id \
         WHERE a.name = $4 AND {} AND {VISIBLE_POST}",
        can_read(1)
    ))
    .bind(r.role)
    .bind(r.user_id)
    .bind(r.moderator)
    .bind(name)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CategoryRules {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub sort_order: i64,
    /// role key → none, read or post (roles without a row are absent).
    pub access: Vec<(String, String)>,
}

/// Every category with its rules, for administrators.
pub async fn category_rules(pool: &Pool) -> Result<Vec<CategoryRules>, sqlx::Error> {
    let cats: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, key, name, description, sort_order FROM forum_categories ORDER BY sort_order, id",
    )
    .fetch_all(pool)
    .await?;
    let roles: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT category_id, role, may_post FROM forum_category_roles")
            .fetch_all(pool)
            .await?;
    Ok(cats
        .into_iter()
        .map(|(id, key, name, description, sort_order)| CategoryRules {
            access: roles
                .iter()
                .filter(|(c, _, _)| *c == id)
                .map(|(_, r, post)| (r.clone(), if *post { "post" } else { "read" }.to_string()))
                .collect(),
            id,
            key,
            name,
            description,
            sort_order,
        })
        .collect())
}

pub async fn category_id(pool: &Pool, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM forum_categories WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

async fn set_roles(
    conn: &mut Conn,
    id: i64,
    rules: &crate::forum::admin::CategoryRules,
) -> Result<(), sqlx::Error> {
    use crate::forum::admin::Access;
    sqlx::query("DELETE FROM forum_category_roles WHERE category_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (role, access) in &rules.access {
        if *access == Access::None {
            continue;
        }
        sqlx::query(
            "INSERT INTO forum_category_roles (category_id, role, may_post) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(role.key())
        .bind(*access == Access::Post)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn insert_category(
    conn: &mut Conn,
    key: &str,
    rules: &crate::forum::admin::CategoryRules,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO forum_categories (key, name, description, sort_order) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(key)
    .bind(&rules.name)
    .bind(&rules.description)
    .bind(rules.sort_order)
    .fetch_one(&mut *conn)
    .await?;
    set_roles(conn, id, rules).await?;
    Ok(id)
}

pub async fn update_category(
    conn: &mut Conn,
    id: i64,
    rules: &crate::forum::admin::CategoryRules,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE forum_categories SET name = $1, description = $2, sort_order = $3 WHERE id = $4",
    )
    .bind(&rules.name)
    .bind(&rules.description)
    .bind(rules.sort_order)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    set_roles(conn, id, rules).await
}
