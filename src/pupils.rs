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

#[get("/pupils")]
async fn list(
    page: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let pupils = db::pupils::list(&state.pool, reader.scope).await?;
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
    page.ok(
        "pupils/list.html.j2",
        context! { pupils, role => reader.user.role.key() },
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
