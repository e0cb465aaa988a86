//! Writing to the forum: a new thread or a reply is checked, run through the pupil-data guard,
//! rendered once, and stored with its audit entry in one transaction. A post is held for a
//! moderator when the guard finds something, or while its author is new (their first three
//! posts); moderators' own posts are never held for being new.

use super::guard;
use super::markdown;
use crate::auth::guards::Actor;
use crate::db::{self, forum, Pool};
use crate::domain::{text, Role};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;

/// Posts an author's first few go to a moderator first.
pub const NEW_ACCOUNT_POSTS: i64 = 3;
/// The longest post, in characters.
pub const MAX_POST: usize = 20_000;

pub fn moderates(role: Role) -> bool {
    matches!(role, Role::Progressions | Role::Admin)
}

/// What happened to a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    pub thread_id: i64,
    pub post_id: i64,
    /// Why it waits for a moderator, in words for its author; None when it is published.
    pub held: Option<String>,
}

/// A post's Markdown source: 1 to MAX_POST characters; line breaks and tabs are the only
/// control characters allowed.
pub fn body(input: &str) -> Result<String, AppError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(AppError::Unprocessable("Write your post".into()));
    }
    if s.chars().count() > MAX_POST {
        return Err(AppError::Unprocessable(format!(
            "A post must be {MAX_POST} characters or fewer"
        )));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::Unprocessable(
            "The post has characters that cannot be shown: paste it as plain text".into(),
        ));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// Why a post must wait, if it must.
async fn hold_reason(
    pool: &Pool,
    author: (i64, Role),
    text: &str,
    today: NaiveDate,
) -> AppResult<Option<String>> {
    if let Some(found) = guard::check(text, today) {
        return Ok(Some(found.message()));
    }
    if !moderates(author.1) && forum::published_by(pool, author.0).await? < NEW_ACCOUNT_POSTS {
        return Ok(Some(format!(
            "Your post is waiting for a moderator: the first {NEW_ACCOUNT_POSTS} posts from a new account are checked before they appear. This usually takes less than a working day."
        )));
    }
    Ok(None)
}

/// Where a post goes: a new thread in a category, or a reply in a thread.
enum Place<'a> {
    NewThread {
        category_id: i64,
        title: &'a str,
    },
    Reply {
        thread_id: i64,
        reply_to: Option<i64>,
    },
}

/// Writes a checked post (and its thread, when new) with its audit entry, in one transaction.
async fn store(
    pool: &Pool,
    actor: &Actor,
    author_id: i64,
    place: Place<'_>,
    source: &str,
    held: Option<String>,
) -> AppResult<Posted> {
    let html = markdown::render(source);
    let now = db::now();
    let mut tx = db::write(pool).await?;
    let (thread_id, reply_to, what) = match place {
        Place::NewThread { category_id, title } => {
            let id = forum::insert_thread(&mut tx, category_id, title, author_id, now).await?;
            (id, None, format!("new thread {id}"))
        }
        Place::Reply {
            thread_id,
            reply_to,
        } => (thread_id, reply_to, format!("reply in thread {thread_id}")),
    };
    let post_id = forum::insert_post(
        &mut tx,
        &forum::NewPost {
            thread_id,
            author_id,
            reply_to,
            source,
            html: &html,
            held_reason: held.as_deref(),
        },
        now,
    )
    .await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            if held.is_some() { "post_held" } else { "post" },
            "forum_post",
            Some(post_id.to_string()),
            what,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Posted {
        thread_id,
        post_id,
        held,
    })
}

/// Starts a thread in a category the author may post in.
pub async fn start_thread(
    pool: &Pool,
    actor: &Actor,
    author: (i64, Role),
    category_id: i64,
    title: &str,
    source: &str,
    today: NaiveDate,
) -> AppResult<Posted> {
    let title = text::single_line(title, "a title", 120)
        .map_err(|e| AppError::Unprocessable(e.to_string()))?;
    let source = body(source)?;
    if !forum::can_post(pool, author.1.key(), category_id).await? {
        return Err(AppError::Forbidden(
            "You cannot start threads in this category".into(),
        ));
    }
    let held = hold_reason(pool, author, &format!("{title}\n{source}"), today).await?;
    let place = Place::NewThread {
        category_id,
        title: &title,
    };
    store(pool, actor, author.0, place, &source, held).await
}

/// Replies to a thread the author may read and post in, and which is not locked.
pub async fn reply(
    pool: &Pool,
    actor: &Actor,
    author: (i64, Role),
    thread_id: i64,
    reply_to: Option<i64>,
    source: &str,
    today: NaiveDate,
) -> AppResult<Posted> {
    let source = body(source)?;
    let reader = forum::Reader {
        role: author.1.key(),
        user_id: author.0,
        moderator: moderates(author.1),
    };
    let thread = forum::thread(pool, reader, thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if thread.locked && !reader.moderator {
        return Err(AppError::Forbidden("This thread is locked".into()));
    }
    if !forum::can_post(pool, reader.role, thread.category_id).await? {
        return Err(AppError::Forbidden(
            "You cannot post in this category".into(),
        ));
    }
    // Only a post the author can see in this thread can be replied to.
    if let Some(to) = reply_to {
        let visible = forum::posts(pool, reader, thread_id).await?;
        if !visible.iter().any(|p| p.id == to) {
            return Err(AppError::Unprocessable(
                "The post you are replying to is not in this thread".into(),
            ));
        }
    }
    let held = hold_reason(pool, author, &source, today).await?;
    let place = Place::Reply {
        thread_id,
        reply_to,
    };
    store(pool, actor, author.0, place, &source, held).await
}

/// A moderator publishes or removes a held post.
pub async fn decide(
    pool: &Pool,
    actor: &Actor,
    moderator: Role,
    post_id: i64,
    publish: bool,
) -> AppResult<()> {
    if !moderates(moderator) {
        return Err(AppError::Forbidden("Only moderators can do this".into()));
    }
    let mut tx = db::write(pool).await?;
    if !forum::decide(&mut tx, post_id, publish, db::now()).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        &mut *tx,
        &actor.entry(
            if publish { "approve" } else { "remove" },
            "forum_post",
            Some(post_id.to_string()),
            "moderation",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
