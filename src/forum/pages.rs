//! The forum's pages: categories, a category's threads, a thread with its posts and reply
//! form, starting a thread, editing, history, deleting and flagging a post, watching, the
//! unread list, search, and the moderators' review queue and log. Handlers check the form and
//! hand the work to `posts`; what each reader may see comes from `db::forum`'s SQL.

use super::attachments::{Attachment, Chosen};
use super::mentions;
use super::posts::{self, moderates, ThreadAction};
use crate::auth::csrf::{require_token, CsrfForm, CsrfToken, SameOrigin};
use crate::auth::guards::{Actor, CouncilStaff, SignedIn};
use crate::auth::session::SessionUser;
use crate::db::forum::{self, Reader};
use crate::domain::text;
use crate::error::{AppError, AppResult};
use crate::web::{Download, FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        index,
        category,
        new_thread,
        create_thread,
        thread,
        reply,
        moderation,
        approve,
        remove,
        edit_form,
        edit,
        history,
        delete,
        flag_form,
        flag,
        keep,
        moderate_thread,
        watch_thread,
        watch_category,
        unread,
        search,
        moderation_log,
        attachment
    ]
}

fn reader(u: &SessionUser) -> Reader<'static> {
    Reader {
        role: u.role.key(),
        user_id: u.user_id,
        moderator: moderates(u.role),
    }
}

fn today() -> chrono::NaiveDate {
    crate::attendance::today()
}

#[get("/forum")]
async fn index(view: Page<'_>, user: SignedIn<'_>, state: &State<AppState>) -> AppResult<Reply> {
    let categories = forum::categories(&state.pool, user.0.role.key()).await?;
    let held = if moderates(user.0.role) {
        forum::held(&state.pool).await?.len() + flagged(forum::open_flags(&state.pool).await?).len()
    } else {
        0
    };
    view.ok(
        "forum/index.html.j2",
        context! { categories, held, moderator => moderates(user.0.role) },
    )
}

#[get("/forum/<key>")]
async fn category(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
) -> AppResult<Reply> {
    let c = forum::category(&state.pool, user.0.role.key(), key)
        .await?
        .ok_or(AppError::NotFound)?;
    let threads = forum::threads(&state.pool, reader(user.0), c.id).await?;
    let (_, watching) = forum::watching(&state.pool, user.0.user_id, 0, c.id).await?;
    view.ok(
        "forum/category.html.j2",
        context! { category => c, threads, watching, csrf_token => csrf.0 },
    )
}

/// New threads and replies are multipart forms (they may carry a file), so the CSRF token is
/// checked by hand behind `SameOrigin`, as for other uploads.
#[derive(FromForm)]
pub struct ThreadForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    body: String,
    /// Errors kept, so a file over the limit is reported rather than dropped.
    attachment: rocket::form::Result<'r, TempFile<'r>>,
}

/// A category the user may post in (404 if they cannot read it, 403 if they cannot post).
async fn postable(
    state: &AppState,
    user: &SessionUser,
    key: &str,
) -> AppResult<forum::CategoryRow> {
    let c = forum::category(&state.pool, user.role.key(), key)
        .await?
        .ok_or(AppError::NotFound)?;
    if !c.can_post {
        return Err(AppError::Forbidden(format!(
            "You can read {} but not start threads in it",
            c.name
        )));
    }
    Ok(c)
}

#[get("/forum/<key>/new", rank = 2)]
async fn new_thread(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
) -> AppResult<Reply> {
    let c = postable(state, user.0, key).await?;
    view.ok(
        "forum/new.html.j2",
        context! { category => c, form => context! { title => "", body => "" }, errors => Vec::<FieldError>::new(), csrf_token => csrf.0 },
    )
}

/// Field errors for a title (when there is one) and a body.
fn check(title: Option<&str>, body: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(t) = title {
        if let Err(e) = text::single_line(t, "a title", 120) {
            errors.push(FieldError::new("title", e.0));
        }
    }
    if let Err(e) = posts::body(body) {
        errors.push(FieldError::new("body", e.to_string()));
    }
    errors
}

/// Checks the text, then (only when the text is fine) the file, which is stored. With a file
/// the text may be left empty.
async fn check_post(
    state: &AppState,
    title: Option<&str>,
    body: &str,
    file: &Chosen<'_>,
) -> (Vec<FieldError>, Option<Attachment>) {
    let chosen = file.is_chosen();
    let mut errors = check(title, body);
    if chosen && body.trim().is_empty() {
        errors.retain(|e| e.field != "body");
    }
    if !errors.is_empty() {
        if chosen {
            errors.push(FieldError::new(
                "attachment",
                "Choose the file again: files are not kept when a form has errors",
            ));
        }
        return (errors, None);
    }
    match file.store(&state.config.data_dir).await {
        Ok(a) => (errors, a),
        Err(message) => (vec![FieldError::new("attachment", message)], None),
    }
}

/// Where to go after posting, and what to say.
fn posted(p: &posts::Posted) -> Reply {
    let to = format!("/forum/threads/{}#post-{}", p.thread_id, p.post_id);
    match &p.held {
        Some(reason) => Reply::flash(to, "info", reason.clone()),
        None => Reply::flash(to, "success", "Your post is published."),
    }
}

#[post("/forum/<key>/new", data = "<form>", rank = 2)]
#[allow(clippy::too_many_arguments)]
async fn create_thread(
    view: Page<'_>,
    user: SignedIn<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
    _same: SameOrigin,
    form: Form<ThreadForm<'_>>,
) -> AppResult<Reply> {
    require_token(&user.0.csrf_token, &form.csrf_token)?;
    let c = postable(state, user.0, key).await?;
    let f = form.into_inner();
    let file = Chosen::from_field(f.attachment);
    let (errors, attachment) = check_post(state, Some(&f.title), &f.body, &file).await;
    if !errors.is_empty() {
        return view.render(
            Status::UnprocessableEntity,
            "forum/new.html.j2",
            context! { category => c, form => context! { title => f.title, body => f.body }, errors, csrf_token => csrf.0 },
        );
    }
    let author = (user.0.user_id, user.0.role);
    let p = posts::start_thread(
        &state.pool,
        &state.config,
        &actor,
        author,
        c.id,
        &f.title,
        (&f.body, attachment.as_ref()),
        today(),
    )
    .await?;
    Ok(posted(&p))
}

#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    post: forum::PostRow,
    handle: String,
    /// The author, or a moderator: sees why a held post waits, may edit and see history.
    own: bool,
    /// The author within the delete window, or a moderator.
    can_delete: bool,
    /// Someone else's published post.
    can_flag: bool,
    /// The post this one answers, when it is still shown: (id, author).
    in_reply_to: Option<(i64, String)>,
    /// Answers a post no longer shown.
    reply_gone: bool,
}

/// A reply being written: its text, the post it answers, and its errors (422 when any).
#[derive(Default)]
struct Draft {
    body: String,
    reply_to: Option<i64>,
    errors: Vec<FieldError>,
}

/// A post's source as a Markdown quotation, with who wrote it.
fn quoted(author: &str, source: &str) -> String {
    let mut out = format!("> **{author}** wrote:\n>\n");
    for line in source.lines() {
        out.push_str("> ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The thread page; `draft` is a reply sent back with its errors, or one started from a
/// "Reply" or "Quote" link.
async fn render_thread(
    view: &Page<'_>,
    state: &AppState,
    user: &SessionUser,
    id: i64,
    csrf: &str,
    draft: Draft,
) -> AppResult<Reply> {
    let status = if draft.errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let r = reader(user);
    let t = forum::thread(&state.pool, r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = forum::posts(&state.pool, r, id).await?;
    let authors: std::collections::HashMap<i64, String> =
        rows.iter().map(|p| (p.id, p.author_name.clone())).collect();
    let now = crate::db::now();
    let shown: Vec<Shown> = rows
        .into_iter()
        .map(|p| {
            let mine = p.author_id == user.user_id;
            Shown {
                handle: mentions::handle(&p.author_name),
                own: mine || r.moderator,
                can_delete: r.moderator || (mine && posts::within_delete_window(p.created_at, now)),
                can_flag: !mine && p.status == "published",
                in_reply_to: p
                    .reply_to
                    .and_then(|to| authors.get(&to).map(|a| (to, a.clone()))),
                reply_gone: p.reply_to.is_some_and(|to| !authors.contains_key(&to)),
                post: p,
            }
        })
        .collect();
    if let Some(last) = shown.iter().map(|p| p.post.id).max() {
        forum::mark_read(&state.pool, user.user_id, id, last).await?;
    }
    let can_reply =
        forum::can_post(&state.pool, r.role, t.category_id).await? && (!t.locked || r.moderator);
    let category = forum::category(&state.pool, r.role, &t.category_key).await?;
    let (watching, watching_category) =
        forum::watching(&state.pool, user.user_id, id, t.category_id).await?;
    let replying_to = draft
        .reply_to
        .and_then(|to| shown.iter().find(|p| p.post.id == to))
        .map(|p| (p.post.id, p.post.author_name.clone()));
    let categories = if r.moderator {
        forum::categories(&state.pool, r.role).await?
    } else {
        Vec::new()
    };
    view.render(
        status,
        "forum/thread.html.j2",
        context! {
            thread => t, category, posts => shown, can_reply, body => draft.body,
            replying_to, errors => draft.errors, csrf_token => csrf, watching,
            watching_category, moderator => r.moderator, categories,
        },
    )
}

#[get("/forum/threads/<id>?<reply_to>&<quote>")]
async fn thread(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    reply_to: Option<&str>,
    quote: Option<&str>,
) -> AppResult<Reply> {
    let mut draft = Draft::default();
    // A link to reply to, or quote, a post: ignored when it is not a post the reader can see.
    let wanted = |v: Option<&str>| v.and_then(|v| v.trim().parse::<i64>().ok());
    if let Some(q) = wanted(quote) {
        if let Some(p) = forum::post(&state.pool, reader(user.0), q).await? {
            if p.thread_id == id {
                draft.body = quoted(&p.author_name, &p.source);
                draft.reply_to = Some(p.id);
            }
        }
    } else {
        draft.reply_to = wanted(reply_to);
    }
    render_thread(&view, state, user.0, id, &csrf.0, draft).await
}

#[derive(FromForm)]
pub struct ReplyForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    body: String,
    #[field(default = String::new())]
    reply_to: String,
    attachment: rocket::form::Result<'r, TempFile<'r>>,
}

#[post("/forum/threads/<id>/reply", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn reply(
    view: Page<'_>,
    user: SignedIn<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    _same: SameOrigin,
    form: Form<ReplyForm<'_>>,
) -> AppResult<Reply> {
    require_token(&user.0.csrf_token, &form.csrf_token)?;
    let r = reader(user.0);
    let t = forum::thread(&state.pool, r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !forum::can_post(&state.pool, r.role, t.category_id).await? {
        return Err(AppError::Forbidden(
            "You can read this thread but not reply".into(),
        ));
    }
    let f = form.into_inner();
    let file = Chosen::from_field(f.attachment);
    let mut errors = Vec::new();
    let reply_to = match f.reply_to.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new(
                    "body",
                    "The post you are replying to is not in this thread",
                ));
                None
            }
        },
    };
    let attachment = if errors.is_empty() {
        let (found, attachment) = check_post(state, None, &f.body, &file).await;
        errors = found;
        attachment
    } else {
        None
    };
    if !errors.is_empty() {
        let draft = Draft {
            body: f.body.clone(),
            reply_to,
            errors,
        };
        return render_thread(&view, state, user.0, id, &csrf.0, draft).await;
    }
    let author = (user.0.user_id, user.0.role);
    let p = posts::reply(
        &state.pool,
        &state.config,
        &actor,
        author,
        id,
        reply_to,
        (&f.body, attachment.as_ref()),
        today(),
    )
    .await?;
    Ok(posted(&p))
}

#[get("/forum/moderation")]
async fn moderation(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let held = forum::held(&state.pool).await?;
    let flagged = flagged(forum::open_flags(&state.pool).await?);
    view.ok(
        "forum/moderation.html.j2",
        context! { held, flagged, csrf_token => csrf.0 },
    )
}

#[derive(FromForm, Default)]
pub struct Confirm {
    #[allow(dead_code)]
    #[field(default = String::new())]
    csrf_token: String,
}

/// Publishes or removes a held post, then back to the queue.
async fn decide(
    state: &AppState,
    staff: &SessionUser,
    actor: &Actor,
    id: i64,
    publish: bool,
) -> AppResult<Reply> {
    if publish {
        posts::decide(&state.pool, &state.config, actor, staff.role, id, true).await?;
    } else {
        // Held or flagged alike: removed, with any flags on it closed.
        posts::delete(&state.pool, actor, (staff.user_id, staff.role), id).await?;
    }
    let said = if publish {
        "The post is published."
    } else {
        "The post is removed."
    };
    Ok(Reply::flash("/forum/moderation", "success", said))
}

#[post("/forum/posts/<id>/approve", data = "<_form>")]
async fn approve(
    staff: CouncilStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    decide(state, staff.0, &actor, id, true).await
}

#[post("/forum/posts/<id>/remove", data = "<_form>")]
async fn remove(
    staff: CouncilStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    decide(state, staff.0, &actor, id, false).await
}

/// A flagged post and every open flag on it.
#[derive(Serialize)]
struct Flagged {
    post_id: i64,
    thread_id: i64,
    thread_title: String,
    author_name: String,
    source: String,
    flags: Vec<(String, String, chrono::DateTime<chrono::Utc>)>,
}

fn flagged(rows: Vec<forum::FlagRow>) -> Vec<Flagged> {
    let mut out: Vec<Flagged> = Vec::new();
    for f in rows {
        let flag = (f.flagged_by_name, f.reason, f.created_at);
        match out.iter_mut().find(|g| g.post_id == f.post_id) {
            Some(g) => g.flags.push(flag),
            None => out.push(Flagged {
                post_id: f.post_id,
                thread_id: f.thread_id,
                thread_title: f.thread_title,
                author_name: f.author_name,
                source: f.source,
                flags: vec![flag],
            }),
        }
    }
    out
}

#[post("/forum/posts/<id>/keep", data = "<_form>")]
async fn keep(
    staff: CouncilStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    posts::settle_flags(
        &state.pool,
        &actor,
        (staff.0.user_id, staff.0.role),
        id,
        true,
    )
    .await?;
    Ok(Reply::flash(
        "/forum/moderation",
        "success",
        "The post is kept and its flags are closed.",
    ))
}

fn who(u: &SessionUser) -> posts::Who {
    (u.user_id, u.role)
}

#[derive(FromForm, Default, Serialize)]
pub struct EditForm {
    #[field(default = String::new())]
    body: String,
}

#[get("/forum/posts/<id>/edit")]
async fn edit_form(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let (post, thread) = posts::editable(&state.pool, who(user.0), id).await?;
    view.ok(
        "forum/edit.html.j2",
        context! { body => post.source.clone(), post, thread, errors => Vec::<FieldError>::new(), csrf_token => csrf.0 },
    )
}

#[post("/forum/posts/<id>/edit", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn edit(
    view: Page<'_>,
    user: SignedIn<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<EditForm>,
) -> AppResult<Reply> {
    let (post, thread) = posts::editable(&state.pool, who(user.0), id).await?;
    let errors = check(None, &form.0.body);
    if !errors.is_empty() {
        return view.render(
            Status::UnprocessableEntity,
            "forum/edit.html.j2",
            context! { body => form.0.body.clone(), post, thread, errors, csrf_token => csrf.0 },
        );
    }
    let p = posts::edit(&state.pool, &actor, who(user.0), id, &form.0.body, today()).await?;
    let to = format!("/forum/threads/{}#post-{}", p.thread_id, p.post_id);
    Ok(match p.held {
        Some(reason) => Reply::flash(to, "info", reason),
        None => Reply::flash(to, "success", "Your changes are saved."),
    })
}

/// Earlier versions of a post: for its author and moderators.
#[get("/forum/posts/<id>/history")]
async fn history(
    view: Page<'_>,
    user: SignedIn<'_>,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let r = reader(user.0);
    let post = forum::post(&state.pool, r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if post.author_id != user.0.user_id && !r.moderator {
        return Err(AppError::Forbidden(
            "Only the author and moderators can see a post's earlier versions".into(),
        ));
    }
    let thread = forum::thread(&state.pool, r, post.thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let revisions = forum::revisions(&state.pool, id).await?;
    view.ok(
        "forum/history.html.j2",
        context! { post, thread, revisions },
    )
}

#[post("/forum/posts/<id>/delete", data = "<_form>")]
async fn delete(
    user: SignedIn<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let thread = posts::delete(&state.pool, &actor, who(user.0), id).await?;
    Ok(Reply::flash(
        format!("/forum/threads/{thread}"),
        "success",
        "The post is deleted.",
    ))
}

#[derive(FromForm, Default, Serialize)]
pub struct FlagForm {
    #[field(default = String::new())]
    reason: String,
}

async fn flag_page(
    view: &Page<'_>,
    state: &AppState,
    user: &SessionUser,
    id: i64,
    csrf: &str,
    (reason, errors): (&str, Vec<FieldError>),
) -> AppResult<Reply> {
    let post = forum::post(&state.pool, reader(user), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    view.render(
        status,
        "forum/flag.html.j2",
        context! { post, reason, errors, csrf_token => csrf },
    )
}

#[get("/forum/posts/<id>/flag")]
async fn flag_form(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    flag_page(&view, state, user.0, id, &csrf.0, ("", vec![])).await
}

#[post("/forum/posts/<id>/flag", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn flag(
    view: Page<'_>,
    user: SignedIn<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<FlagForm>,
) -> AppResult<Reply> {
    if let Err(e) = posts::flag_reason(&form.0.reason) {
        let errors = vec![FieldError::new("reason", e.to_string())];
        return flag_page(&view, state, user.0, id, &csrf.0, (&form.0.reason, errors)).await;
    }
    let thread = posts::flag(&state.pool, &actor, who(user.0), id, &form.0.reason).await?;
    Ok(Reply::flash(
        format!("/forum/threads/{thread}#post-{id}"),
        "success",
        "Thank you. A moderator will look at the post.",
    ))
}

#[derive(FromForm, Default)]
pub struct ModerateForm {
    #[field(default = String::new())]
    action: String,
    #[field(default = String::new())]
    category: String,
}

#[post("/forum/threads/<id>/moderate", data = "<form>")]
async fn moderate_thread(
    staff: CouncilStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<ModerateForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let action = match f.action.as_str() {
        "pin" => ThreadAction::Pin(true),
        "unpin" => ThreadAction::Pin(false),
        "lock" => ThreadAction::Lock(true),
        "unlock" => ThreadAction::Lock(false),
        "move" => {
            let c = forum::category(&state.pool, staff.0.role.key(), f.category.trim())
                .await?
                .ok_or_else(|| {
                    AppError::Unprocessable("Choose a category to move the thread to".into())
                })?;
            ThreadAction::Move(c.id)
        }
        _ => {
            return Err(AppError::Unprocessable(
                "Choose pin, unpin, lock, unlock or move".into(),
            ))
        }
    };
    posts::moderate_thread(&state.pool, &actor, who(staff.0), id, action).await?;
    let said = match action {
        ThreadAction::Pin(true) => "The thread is pinned.",
        ThreadAction::Pin(false) => "The thread is no longer pinned.",
        ThreadAction::Lock(true) => "The thread is locked.",
        ThreadAction::Lock(false) => "The thread is unlocked.",
        ThreadAction::Move(_) => "The thread is moved.",
    };
    Ok(Reply::flash(
        format!("/forum/threads/{id}"),
        "success",
        said,
    ))
}

#[post("/forum/threads/<id>/watch", data = "<_form>")]
async fn watch_thread(
    user: SignedIn<'_>,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    forum::thread(&state.pool, reader(user.0), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = forum::toggle_watch(&state.pool, user.0.user_id, false, id).await?;
    let said = if on {
        "You are watching this thread: you will hear about new posts."
    } else {
        "You are no longer watching this thread."
    };
    Ok(Reply::flash(
        format!("/forum/threads/{id}"),
        "success",
        said,
    ))
}

#[post("/forum/<key>/watch", data = "<_form>", rank = 2)]
async fn watch_category(
    user: SignedIn<'_>,
    state: &State<AppState>,
    key: &str,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let c = forum::category(&state.pool, user.0.role.key(), key)
        .await?
        .ok_or(AppError::NotFound)?;
    let on = forum::toggle_watch(&state.pool, user.0.user_id, true, c.id).await?;
    let said = if on {
        format!(
            "You are watching {}: you will hear about every new post in it.",
            c.name
        )
    } else {
        format!("You are no longer watching {}.", c.name)
    };
    Ok(Reply::flash(format!("/forum/{}", c.key), "success", said))
}

#[get("/forum/unread")]
async fn unread(view: Page<'_>, user: SignedIn<'_>, state: &State<AppState>) -> AppResult<Reply> {
    let threads = forum::unread(&state.pool, reader(user.0)).await?;
    view.ok("forum/unread.html.j2", context! { threads })
}

/// The longest search query, in characters.
const MAX_QUERY: usize = 200;

#[get("/forum/search?<q>")]
async fn search(
    view: Page<'_>,
    user: SignedIn<'_>,
    state: &State<AppState>,
    q: Option<&str>,
) -> AppResult<Reply> {
    let q = q.unwrap_or("").trim();
    if q.chars().count() > MAX_QUERY {
        let errors = vec![FieldError::new(
            "q",
            format!("Search for {MAX_QUERY} characters or fewer"),
        )];
        return view.render(
            Status::UnprocessableEntity,
            "forum/search.html.j2",
            context! { q, errors, results => Vec::<forum::FoundRow>::new(), total => 0, searched => false },
        );
    }
    let (results, total) = if q.is_empty() {
        (Vec::new(), 0)
    } else {
        state
            .forum_search
            .search(&state.pool, reader(user.0), q)
            .await?
    };
    view.ok(
        "forum/search.html.j2",
        context! { q, results, total, searched => !q.is_empty(), shown => super::search::SHOWN, errors => Vec::<FieldError>::new() },
    )
}

#[get("/forum/moderation/log")]
async fn moderation_log(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let entries = forum::moderation_log(&state.pool).await?;
    view.ok("forum/log.html.j2", context! { entries })
}

/// An attached file, for those who can read its post: pictures shown in place, anything else
/// downloaded. Anything else (including a name that could not be ours) does not exist.
#[get("/forum/attachments/<name>")]
async fn attachment(
    user: SignedIn<'_>,
    state: &State<AppState>,
    name: &str,
) -> AppResult<Download> {
    if !super::attachments::plausible_name(name) {
        return Err(AppError::NotFound);
    }
    let a = forum::attachment(&state.pool, reader(user.0), name)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = super::attachments::dir(&state.config.data_dir).join(&a.name);
    let body = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(format!("forum attachment {name}: {e}")))?;
    let content_type = rocket::http::ContentType::parse_flexible(&a.content_type)
        .unwrap_or(rocket::http::ContentType::Binary);
    Ok(if a.content_type.starts_with("image/") {
        Download::inline(body, content_type)
    } else {
        Download::attachment(body, content_type, &a.filename)
    })
}
