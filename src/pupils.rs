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

/// One page of the pupils a reader may see.
#[derive(serde::Serialize)]
pub struct PupilPage {
    pub pupils: Vec<db::pupils::PupilRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Reads a page of pupils in the reader's scope and audits the read. Pages and API share it,
/// so a read can never skip its audit row. `via` tells the audit log which door was used.
pub async fn read_page(
    state: &AppState,
    reader: &PupilReader<'_>,
    actor: &Actor,
    page: Option<i64>,
    via: &str,
) -> AppResult<PupilPage> {
    let scope = reader.scope;
    let total = db::pupils::count(&state.pool, scope).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = crate::web::page_number(page).min(pages);
    let pupils = db::pupils::list(&state.pool, scope, PAGE_SIZE, (page_no - 1) * PAGE_SIZE).await?;
    let detail = format!("{} pupils listed ({via})", pupils.len());
    db::audit::record(
        &state.pool,
        &actor.entry("view_list", "pupil", None, detail),
    )
    .await?;
    Ok(PupilPage {
        pupils,
        total,
        page: page_no,
        pages,
    })
}

/// Reads one pupil in the reader's scope and audits the read. Out of scope and missing look the
/// same (404), so a record's existence is not disclosed.
pub async fn read_one(
    state: &AppState,
    reader: &PupilReader<'_>,
    actor: &Actor,
    id: i64,
    via: &str,
) -> AppResult<db::pupils::PupilRow> {
    let pupil = db::pupils::get(&state.pool, reader.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &state.pool,
        &actor.entry("view", "pupil", Some(id.to_string()), via),
    )
    .await?;
    Ok(pupil)
}

#[get("/pupils?<page>")]
async fn list(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    page: Option<&str>,
) -> AppResult<Reply> {
    let page = crate::web::parse_page(page)?;
    let p = read_page(state, &reader, &actor, page, "page").await?;
    view.ok(
        "pupils/list.html.j2",
        context! { pupils => p.pupils, total => p.total, page_no => p.page, pages => p.pages,
        role => reader.user.role.key() },
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
    let pupil = read_one(state, &reader, &actor, id, "page").await?;
    let placements = db::placements::of_pupil(&state.pool, reader.scope, id).await?;
    page.ok(
        "pupils/show.html.j2",
        context! { pupil, placements, role => reader.user.role.key() },
    )
}
