//! Pupil pages. Pupil-level data: scoped in SQL by `PupilReader`, and every read is audited.

use crate::auth::guards::{Actor, PupilReader};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![list, show]
}

/// Pupils per page, in the pages and the API.
pub const PAGE_SIZE: i64 = 50;

/// The page's rows, the total and the page count, for any pupil list.
pub async fn page_of(
    state: &AppState,
    scope: db::pupils::PupilScope,
    page: Option<i64>,
) -> AppResult<(Vec<db::pupils::PupilRow>, i64, i64, i64)> {
    let total = db::pupils::count(&state.pool, scope).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = crate::web::page_number(page).min(pages);
    let rows = db::pupils::list(&state.pool, scope, PAGE_SIZE, (page_no - 1) * PAGE_SIZE).await?;
    Ok((rows, total, page_no, pages))
}

#[get("/pupils?<page>")]
async fn list(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    page: Option<i64>,
) -> AppResult<Reply> {
    let (pupils, total, page_no, pages) = page_of(state, reader.scope, page).await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "pupil",
            None,
            format!("{} pupils listed", pupils.len()),
        ),
    )
    .await?;
    view.ok(
        "pupils/list.html.j2",
        context! { pupils, total, page_no, pages, role => reader.user.role.key() },
    )
}

#[get("/pupils/<id>")]
async fn show(
    page: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    // Out of scope and missing look the same: a 404 does not disclose that a pupil exists.
    let pupil = db::pupils::get(&state.pool, reader.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &state.pool,
        &actor.entry("view", "pupil", Some(id.to_string()), ""),
    )
    .await?;
    page.ok("pupils/show.html.j2", context! { pupil })
}
