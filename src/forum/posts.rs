//! Writing to the forum: a new thread or a reply is checked, run through the pupil-data guard,
//! rendered once, and stored with its audit entry in one transaction. A post is held for a
//! moderator when the guard finds something, or while its author is new (their first three
//! posts); moderators' own posts are never held for being new.

use super::attachments::Attachment;
use super::guard;
use super::markdown;
use super::mentions;
use crate::auth::guards::Actor;
use crate::config::Config;
use crate::db::notifications::Recipient;
use crate::db::{self, forum, Conn, Pool};
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// Posts an author's first few go to a moderator first.
pub const NEW_ACCOUNT_POSTS: i64 = 3;
/// The longest post, in characters.
pub const MAX_POST: usize = 20_000;
/// How long an author may delete their own post; after that only a moderator can.
pub const AUTHOR_DELETE_HOURS: i64 = 24;
/// The longest reason for a flag, in characters.
pub const MAX_FLAG_REASON: usize = 500;

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

/// A post's source: the text written, then the attachment's Markdown. With an attachment the
/// text may be empty.
pub fn compose(input: &str, attachment: Option<&Attachment>) -> Result<String, AppError> {
    match attachment {
        None => body(input),
        Some(a) if input.trim().is_empty() => Ok(a.markdown()),
        Some(a) => Ok(format!("{}\n\n{}", body(input)?, a.markdown())),
    }
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
    config: &Config,
    actor: &Actor,
    author_id: i64,
    place: Place<'_>,
    (source, attachment): (&str, Option<&Attachment>),
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
    if let Some(a) = attachment {
        forum::insert_attachment(&mut tx, post_id, author_id, a, now).await?;
    }
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
    // Authors hear about replies to what they wrote.
    forum::watch_thread(&mut tx, author_id, thread_id).await?;
    if held.is_none() {
        announce(&mut tx, config, post_id).await?;
    }
    tx.commit().await?;
    Ok(Posted {
        thread_id,
        post_id,
        held,
    })
}

/// Tells people about a post as it is published: those it @mentions (who can read it), then
/// those watching its thread or category. Never its author; nobody twice.
async fn announce(conn: &mut Conn, config: &Config, post_id: i64) -> AppResult<()> {
    let ctx = forum::post_context(conn, post_id).await?;
    let link = format!("/forum/threads/{}#post-{}", ctx.thread_id, ctx.post_id);
    let named = mentions::mentioned(&ctx.source);
    let mut told: BTreeSet<i64> = BTreeSet::from([ctx.author_id]);
    if !named.is_empty() {
        for (id, name) in forum::readers(conn, ctx.category_id).await? {
            if told.contains(&id) || !named.contains(&mentions::handle(&name)) {
                continue;
            }
            let body = format!(
                "{} mentioned you in \"{}\"",
                ctx.author_name, ctx.thread_title
            );
            raise(conn, config, NoticeKind::ForumMention, id, &body, &link).await?;
            told.insert(id);
        }
    }
    let body = if ctx.first {
        format!("{} started \"{}\"", ctx.author_name, ctx.thread_title)
    } else {
        format!("{} replied in \"{}\"", ctx.author_name, ctx.thread_title)
    };
    for id in forum::watchers(conn, ctx.thread_id, ctx.category_id).await? {
        if told.insert(id) {
            raise(conn, config, NoticeKind::ForumActivity, id, &body, &link).await?;
        }
    }
    Ok(())
}

async fn raise(
    conn: &mut Conn,
    config: &Config,
    kind: NoticeKind,
    user_id: i64,
    body: &str,
    link: &str,
) -> AppResult<()> {
    let notice = Notice::new(kind, Recipient::User(user_id), body, link)
        .map_err(|e| AppError::Unprocessable(e.to_string()))?;
    notify::raise(conn, config, &notice).await?;
    Ok(())
}

/// Starts a thread in a category the author may post in.
#[allow(clippy::too_many_arguments)]
pub async fn start_thread(
    pool: &Pool,
    config: &Config,
    actor: &Actor,
    author: (i64, Role),
    category_id: i64,
    title: &str,
    (source, attachment): (&str, Option<&Attachment>),
    today: NaiveDate,
) -> AppResult<Posted> {
    let title = text::single_line(title, "a title", 120)
        .map_err(|e| AppError::Unprocessable(e.to_string()))?;
    let source = compose(source, attachment)?;
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
    store(
        pool,
        config,
        actor,
        author.0,
        place,
        (&source, attachment),
        held,
    )
    .await
}

/// Replies to a thread the author may read and post in, and which is not locked.
#[allow(clippy::too_many_arguments)]
pub async fn reply(
    pool: &Pool,
    config: &Config,
    actor: &Actor,
    author: (i64, Role),
    thread_id: i64,
    reply_to: Option<i64>,
    (source, attachment): (&str, Option<&Attachment>),
    today: NaiveDate,
) -> AppResult<Posted> {
    let source = compose(source, attachment)?;
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
    store(
        pool,
        config,
        actor,
        author.0,
        place,
        (&source, attachment),
        held,
    )
    .await
}

/// A moderator publishes or removes a held post.
pub async fn decide(
    pool: &Pool,
    config: &Config,
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
    if publish {
        announce(&mut tx, config, post_id).await?;
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

/// Who is acting on a post: their user id and role.
pub type Who = (i64, Role);

fn reader_for(who: Who) -> forum::Reader<'static> {
    forum::Reader {
        role: who.1.key(),
        user_id: who.0,
        moderator: moderates(who.1),
    }
}

/// A post the person may see, with its thread (404 otherwise).
async fn visible(
    pool: &Pool,
    who: Who,
    post_id: i64,
) -> AppResult<(forum::PostRow, forum::ThreadRow)> {
    let r = reader_for(who);
    let post = forum::post(pool, r, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let thread = forum::thread(pool, r, post.thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((post, thread))
}

/// A post its author (or a moderator) may edit, with its thread.
pub async fn editable(
    pool: &Pool,
    who: Who,
    post_id: i64,
) -> AppResult<(forum::PostRow, forum::ThreadRow)> {
    let (post, thread) = visible(pool, who, post_id).await?;
    if moderates(who.1) {
        return Ok((post, thread));
    }
    if post.author_id != who.0 {
        return Err(AppError::Forbidden(
            "You can only edit your own posts".into(),
        ));
    }
    if thread.locked {
        return Err(AppError::Forbidden("This thread is locked".into()));
    }
    Ok((post, thread))
}

/// Replaces a post's text, keeping the old version. The new text goes through the guard again:
/// if it now holds pupil data the post waits for a moderator.
pub async fn edit(
    pool: &Pool,
    actor: &Actor,
    who: Who,
    post_id: i64,
    source: &str,
    today: NaiveDate,
) -> AppResult<Posted> {
    let (post, _) = editable(pool, who, post_id).await?;
    let source = body(source)?;
    let held = guard::check(&source, today).map(|h| h.message());
    let html = markdown::render(&source);
    let mut tx = db::write(pool).await?;
    forum::edit_post(
        &mut tx,
        post_id,
        who.0,
        (&source, &html),
        held.as_deref(),
        db::now(),
    )
    .await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "edit",
            "forum_post",
            Some(post_id.to_string()),
            if held.is_some() {
                "edited; held by the pupil-data guard"
            } else {
                "edited"
            },
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Posted {
        thread_id: post.thread_id,
        post_id,
        held,
    })
}

/// Whether the author may still delete a post written at `written`.
pub fn within_delete_window(
    written: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - written < chrono::Duration::hours(AUTHOR_DELETE_HOURS)
}

/// Deletes a post: its author within the window, a moderator at any time. Open flags on it
/// are closed as removed.
pub async fn delete(pool: &Pool, actor: &Actor, who: Who, post_id: i64) -> AppResult<i64> {
    let (post, _) = visible(pool, who, post_id).await?;
    let now = db::now();
    let moderator = moderates(who.1);
    if !moderator {
        if post.author_id != who.0 {
            return Err(AppError::Forbidden(
                "You can only delete your own posts".into(),
            ));
        }
        if !within_delete_window(post.created_at, now) {
            return Err(AppError::Forbidden(format!(
                "Posts can be deleted by their author for {AUTHOR_DELETE_HOURS} hours. Flag it for a moderator instead."
            )));
        }
    }
    let mut tx = db::write(pool).await?;
    if !forum::remove_post(&mut tx, post_id, who.0, now).await? {
        return Err(AppError::NotFound);
    }
    forum::resolve_flags(&mut tx, post_id, who.0, "removed", now).await?;
    let by = if post.author_id == who.0 {
        "by its author"
    } else {
        "by a moderator"
    };
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "delete",
            "forum_post",
            Some(post_id.to_string()),
            format!("deleted {by}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(post.thread_id)
}

/// A flag's reason: 1 to MAX_FLAG_REASON characters of plain text.
pub fn flag_reason(input: &str) -> Result<String, AppError> {
    text::paragraph(
        input,
        "why you are flagging this post",
        MAX_FLAG_REASON,
        true,
    )
    .map_err(|e| AppError::Unprocessable(e.to_string()))
}

/// Flags a published post someone else wrote, for the moderators' queue.
pub async fn flag(
    pool: &Pool,
    actor: &Actor,
    who: Who,
    post_id: i64,
    reason: &str,
) -> AppResult<i64> {
    let (post, _) = visible(pool, who, post_id).await?;
    let reason = flag_reason(reason)?;
    if post.author_id == who.0 {
        return Err(AppError::Unprocessable(
            "You cannot flag your own post: edit or delete it instead".into(),
        ));
    }
    if post.status != "published" {
        return Err(AppError::Unprocessable(
            "This post is already waiting for a moderator".into(),
        ));
    }
    let mut tx = db::write(pool).await?;
    if forum::has_open_flag(&mut tx, post_id, who.0).await? {
        return Err(AppError::Conflict(
            "You have already flagged this post; a moderator will look at it".into(),
        ));
    }
    forum::insert_flag(&mut tx, post_id, who.0, &reason, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "flag",
            "forum_post",
            Some(post_id.to_string()),
            "flagged for moderation",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(post.thread_id)
}

/// A moderator keeps a flagged post (closing its flags) or removes it.
pub async fn settle_flags(
    pool: &Pool,
    actor: &Actor,
    who: Who,
    post_id: i64,
    keep: bool,
) -> AppResult<()> {
    if !moderates(who.1) {
        return Err(AppError::Forbidden("Only moderators can do this".into()));
    }
    if !keep {
        delete(pool, actor, who, post_id).await?;
        return Ok(());
    }
    let mut tx = db::write(pool).await?;
    if forum::resolve_flags(&mut tx, post_id, who.0, "kept", db::now()).await? == 0 {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "keep",
            "forum_post",
            Some(post_id.to_string()),
            "flags closed; post kept",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a moderator does to a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAction {
    Pin(bool),
    Lock(bool),
    Move(i64),
}

impl ThreadAction {
    fn key(self) -> &'static str {
        match self {
            ThreadAction::Pin(true) => "pin",
            ThreadAction::Pin(false) => "unpin",
            ThreadAction::Lock(true) => "lock",
            ThreadAction::Lock(false) => "unlock",
            ThreadAction::Move(_) => "move",
        }
    }
}

/// Pins, locks or moves a thread (moderators only), audited.
pub async fn moderate_thread(
    pool: &Pool,
    actor: &Actor,
    who: Who,
    thread_id: i64,
    action: ThreadAction,
) -> AppResult<()> {
    if !moderates(who.1) {
        return Err(AppError::Forbidden("Only moderators can do this".into()));
    }
    let thread = forum::thread(pool, reader_for(who), thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db::write(pool).await?;
    let detail = match action {
        ThreadAction::Pin(on) => {
            forum::set_mark(&mut tx, thread_id, Some(on), None).await?;
            String::new()
        }
        ThreadAction::Lock(on) => {
            forum::set_mark(&mut tx, thread_id, None, Some(on)).await?;
            String::new()
        }
        ThreadAction::Move(to) => {
            if to == thread.category_id {
                return Err(AppError::Unprocessable(
                    "The thread is already in that category".into(),
                ));
            }
            forum::move_thread(&mut tx, thread_id, to).await?;
            format!("from category {} to {to}", thread.category_id)
        }
    };
    db::audit::record(
        &mut *tx,
        &actor.entry(
            action.key(),
            "forum_thread",
            Some(thread_id.to_string()),
            detail,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
