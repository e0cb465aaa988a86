//! The JSON API under `/api/v1`. Errors are `{"error": {"code", "message"}}` (see web::render_error).

use crate::auth::guards::{Actor, PupilReader, SignedIn};
use crate::db;
use crate::error::AppResult;
use crate::AppState;
use rocket::serde::json::{json, Json, Value};
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![me, providers, localities, pupils, pupil]
}

#[get("/me")]
fn me(user: SignedIn<'_>) -> Json<Value> {
    let u = user.0;
    Json(json!({
        "id": u.user_id, "email": u.email, "name": u.display_name, "role": u.role,
        "school_id": u.school_id, "provider_id": u.provider_id, "organisation": u.org_name,
    }))
}

/// Public fields only: no due-diligence reasons or contacts beyond the published ones.
#[get("/providers")]
async fn providers(state: &State<AppState>) -> AppResult<Json<Value>> {
    let list = db::providers::list(&state.pool).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|p| {
            json!({
                "slug": p.row.slug, "name": p.row.name, "summary": p.row.summary,
                "registration": p.row.registration, "urn": p.row.urn, "ukprn": p.row.ukprn,
                "locality": p.row.locality_name, "tiers": p.tiers, "place_types": p.place_types,
                "key_stages": p.key_stages, "needs": p.needs, "capacity": p.row.capacity,
                "places_free": p.row.places_free, "due_diligence": p.row.dd_status,
                "on_framework": p.row.on_framework, "website": p.row.website,
                "updated_at": p.row.updated_at,
            })
        })
        .collect();
    Ok(Json(json!({ "providers": items, "count": items.len() })))
}

#[get("/localities")]
async fn localities(state: &State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "localities": db::reference::localities(&state.pool).await? }),
    ))
}

/// The caller's pupils: the same scoped query as the pages, and audited the same way.
#[get("/pupils?<page>")]
async fn pupils(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    page: Option<i64>,
) -> AppResult<Json<Value>> {
    let p = crate::pupils::read_page(state, &reader, &actor, page, "API").await?;
    Ok(Json(json!({
        "count": p.pupils.len(), "total": p.total, "page": p.page, "pages": p.pages, "pupils": p.pupils,
    })))
}

#[get("/pupils/<id>")]
async fn pupil(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Json<Value>> {
    let row = crate::pupils::read_one(state, &reader, &actor, id, "API").await?;
    Ok(Json(json!({ "pupil": row })))
}
