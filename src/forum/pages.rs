//! The forum's pages: categories, a category's threads, a thread with its posts and reply
//! form, starting a thread, and the moderators' queue of held posts. Handlers check the form
//! and hand the work to `posts`; what each reader may see comes from `db::forum`'s SQL.

use super::posts::{self, moderates};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, CouncilStaff, SignedIn};
use crate::auth::session::SessionUser;
use crate::db::forum::{self, Reader};
use crate::domain::text;
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
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
        remove
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
        forum::held(&state.pool).await?.len()
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
    state: &State<AppState>,
    key: &str,
) -> AppResult<Reply> {
    let c = forum::category(&state.pool, user.0.role.key(), key)
        .await?
        .ok_or(AppError::NotFound)?;
    let threads = forum::threads(&state.pool, reader(user.0), c.id).await?;
    view.ok(
        "forum/category.html.j2",
        context! { category => c, threads },
    )
}

#[derive(FromForm, Default, Serialize)]
pub struct ThreadForm {
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    body: String,
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
        context! { category => c, form => <ThreadForm as Default>::default(), errors => Vec::<FieldError>::new(), csrf_token => csrf.0 },
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

/// Where to go after posting, and what to say.
fn posted(p: &posts::Posted) -> Reply {
    let to = format!("/forum/threads/{}#post-{}", p.thread_id, p.post_id);
    match &p.held {
        Some(reason) => Reply::flash(to, "info", reason.clone()),
        None => Reply::flash(to, "success", "Your post is published."),
    }
}

#[post("/forum/<key>/new", data = "<form>", rank = 2)]
async fn create_thread(
    view: Page<'_>,
    user: SignedIn<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
    form: CsrfForm<ThreadForm>,
) -> AppResult<Reply> {
    let c = postable(state, user.0, key).await?;
    let f = &form.0;
    let errors = check(Some(&f.title), &f.body);
    if !errors.is_empty() {
        return view.render(
            Status::UnprocessableEntity,
            "forum/new.html.j2",
            context! { category => c, form => f, errors, csrf_token => csrf.0 },
        );
    }
    let author = (user.0.user_id, user.0.role);
    let p = posts::start_thread(
        &state.pool,
        &actor,
        author,
        c.id,
        &f.title,
        &f.body,
        today(),
    )
    .await?;
    Ok(posted(&p))
}

#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    post: forum::PostRow,
    /// The author, or a moderator, sees why a held post waits.
    own: bool,
}

/// The thread page; `draft` is a reply sent back with its errors (422), or empty.
async fn render_thread(
    view: &Page<'_>,
    state: &AppState,
    user: &SessionUser,
    id: i64,
    csrf: &str,
    draft: (&str, Vec<FieldError>),
) -> AppResult<Reply> {
    let (body, errors) = draft;
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let r = reader(user);
    let t = forum::thread(&state.pool, r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shown: Vec<Shown> = forum::posts(&state.pool, r, id)
        .await?
        .into_iter()
        .map(|p| Shown {
            own: p.author_id == user.user_id || r.moderator,
            post: p,
        })
        .collect();
    let can_reply =
        forum::can_post(&state.pool, r.role, t.category_id).await? && (!t.locked || r.moderator);
    let category = forum::category(&state.pool, r.role, &t.category_key).await?;
    view.render(
        status,
        "forum/thread.html.j2",
        context! { thread => t, category, posts => shown, can_reply, body, errors, csrf_token => csrf },
    )
}

#[get("/forum/threads/<id>")]
async fn thread(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    render_thread(&view, state, user.0, id, &csrf.0, ("", vec![])).await
}

#[derive(FromForm, Default, Serialize)]
pub struct ReplyForm {
    #[field(default = String::new())]
    body: String,
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
    form: CsrfForm<ReplyForm>,
) -> AppResult<Reply> {
    let r = reader(user.0);
    let t = forum::thread(&state.pool, r, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !forum::can_post(&state.pool, r.role, t.category_id).await? {
        return Err(AppError::Forbidden(
            "You can read this thread but not reply".into(),
        ));
    }
    let errors = check(None, &form.0.body);
    if !errors.is_empty() {
        return render_thread(&view, state, user.0, id, &csrf.0, (&form.0.body, errors)).await;
    }
    let author = (user.0.user_id, user.0.role);
    let p = posts::reply(&state.pool, &actor, author, id, None, &form.0.body, today()).await?;
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
    view.ok(
        "forum/moderation.html.j2",
        context! { held, csrf_token => csrf.0 },
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
    posts::decide(&state.pool, actor, staff.role, id, publish).await?;
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
