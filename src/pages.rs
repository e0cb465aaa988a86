//! Static content pages and the health check.

use crate::error::AppResult;
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::http::Status;
use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![accessibility, privacy, healthz]
}

#[get("/accessibility")]
fn accessibility(page: Page<'_>) -> AppResult<Reply> {
    page.ok("pages/accessibility.html.j2", context! {})
}

#[get("/privacy")]
fn privacy(page: Page<'_>) -> AppResult<Reply> {
    page.ok("pages/privacy.html.j2", context! {})
}

#[get("/healthz")]
async fn healthz(state: &State<AppState>) -> (Status, Value) {
    if crate::db::ping(&state.pool).await {
        (
            Status::Ok,
            json!({"status": "ok", "database": "ok", "backend": crate::db::BACKEND}),
        )
    } else {
        (
            Status::ServiceUnavailable,
            json!({"status": "error", "database": "unavailable"}),
        )
    }
}
