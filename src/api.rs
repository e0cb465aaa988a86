//! The JSON API under `/api/v1`. Errors are `{"error": {"code", "message"}}` (see web::render_error).

use crate::auth::guards::{Actor, PupilReader, SignedIn};
use crate::auth::session::Viewer;
use crate::db;
use crate::directory::index::Search;
use crate::directory::search::{self as directory_search, SearchQuery, Vocabulary};
use crate::error::{AppError, AppResult};
use crate::AppState;
use rocket::serde::json::{json, Json, Value};
use rocket::{get, routes, Route, State};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn routes() -> Vec<Route> {
    routes![me, providers, provider, localities, pupils, pupil]
}

/// The signed-in user and their organisation.
#[utoipa::path(context_path = "/api/v1", tag = "account", security(("session" = [])),
    responses((status = 200, description = "id, email, name, role, school_id, provider_id, organisation", body = Object), (status = 401, description = "Not signed in", body = crate::web::ErrorBody)))]
#[get("/me")]
fn me(user: SignedIn<'_>) -> Json<Value> {
    let u = user.0;
    Json(json!({
        "id": u.user_id, "email": u.email, "name": u.display_name, "role": u.role,
        "school_id": u.school_id, "provider_id": u.provider_id, "organisation": u.org_name,
    }))
}

/// The public fields of a provider in search results.
fn result_json(p: &db::providers::ProviderView, distance_km: Option<f64>) -> Value {
    let mut v = json!({
        "id": p.row.id, "name": p.row.name, "summary": p.row.summary, "tiers": p.tiers,
        "place_types": p.place_types, "locality": p.row.locality_name, "key_stages": p.key_stages,
        "needs": p.needs, "registration": p.row.registration, "due_diligence": p.row.dd_status,
        "capacity": p.row.capacity, "places_free": p.row.places_free,
        "url": format!("/providers/{}", p.row.slug),
    });
    if let (Some(d), Some(map)) = (distance_km, v.as_object_mut()) {
        map.insert("distance_km".into(), json!(d));
    }
    v
}

#[derive(Serialize, utoipa::ToSchema)]
struct SearchAnswer {
    total: usize,
    page: usize,
    per_page: usize,
    results: Vec<crate::directory::Result_>,
    facets: BTreeMap<&'static str, BTreeMap<String, u32>>,
}

#[utoipa::path(context_path = "/api/v1", tag = "directory", params(SearchQuery),
    responses((status = 200, description = "A page of providers with facet counts", body = SearchAnswer), (status = 400, description = "A parameter is not valid; the message says which and why", body = crate::web::ErrorBody)))]
/// Directory search. Public; no due-diligence reasons, evidence or pupil data.
#[get("/providers?<query..>")]
async fn providers(
    viewer: &Viewer,
    state: &State<AppState>,
    search: &State<Search>,
    query: SearchQuery,
) -> AppResult<Json<SearchAnswer>> {
    let reference = search.reference();
    let (localities, key_stages, needs) = (
        &reference.localities,
        &reference.key_stages,
        &reference.needs,
    );
    let vocab = Vocabulary {
        localities,
        key_stages,
        needs,
    };
    let near = crate::directory::near_point(viewer, state, query.near.as_deref()).await?;
    let parsed = directory_search::parse(&query, &vocab, near, 100, 20).map_err(|errors| {
        let msg: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        AppError::BadRequest(msg.join("; "))
    })?;
    let (results, rows) = crate::directory::run(search, &parsed).await?;
    let facets = results
        .facets
        .into_iter()
        .map(|(f, counts)| (f.key(), counts))
        .collect();
    Ok(Json(SearchAnswer {
        total: results.total,
        page: parsed.page,
        per_page: parsed.per_page,
        results: rows,
        facets,
    }))
}

/// A provider's public profile.
#[utoipa::path(context_path = "/api/v1", tag = "directory",
    responses((status = 200, description = "The provider's public profile with its sites", body = Object), (status = 404, description = "No such record, or not one the caller may see", body = crate::web::ErrorBody)))]
#[get("/providers/<id>")]
async fn provider(state: &State<AppState>, id: i64) -> AppResult<Json<Value>> {
    let p = db::providers::by_id(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sites = db::providers::sites(&state.pool, id).await?;
    let mut v = result_json(&p, None);
    if let Some(map) = v.as_object_mut() {
        for (k, val) in [
            ("description", json!(p.row.description)),
            ("qualifications", json!(p.row.qualifications)),
            ("website", json!(p.row.website)),
            ("email", json!(p.row.email)),
            ("phone", json!(p.row.phone)),
            ("urn", json!(p.row.urn)),
            ("ukprn", json!(p.row.ukprn)),
            ("ofsted_grade", json!(p.row.ofsted_grade)),
            ("on_framework", json!(p.row.on_framework)),
            ("days_hours", json!(p.row.days_hours)),
            ("transport", json!(p.row.transport)),
            (
                "places_free_updated_at",
                json!(p.row.places_free_updated_at),
            ),
            ("updated_at", json!(p.row.updated_at)),
            ("sites", json!(sites)),
        ] {
            map.insert(k.into(), val);
        }
    }
    Ok(Json(v))
}

/// The council's localities.
#[utoipa::path(context_path = "/api/v1", tag = "directory",
    responses((status = 200, description = "`localities`: id, key and name of each", body = Object)))]
#[get("/localities")]
async fn localities(state: &State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "localities": db::reference::localities(&state.pool).await? }),
    ))
}

#[utoipa::path(context_path = "/api/v1", tag = "pupils", security(("session" = [])),
    responses((status = 200, description = "count, total, page, pages and `pupils`: only the caller's own (a school's pupils, a provider's placed pupils, or all for the Progressions Team)", body = Object), (status = 400, description = "A parameter is not valid; the message says which and why", body = crate::web::ErrorBody), (status = 401, description = "Not signed in", body = crate::web::ErrorBody), (status = 403, description = "The caller's role may not use this", body = crate::web::ErrorBody)))]
/// The caller's pupils: the same scoped query as the pages, and audited the same way.
#[get("/pupils?<page>")]
async fn pupils(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    page: Option<&str>,
) -> AppResult<Json<Value>> {
    let page = crate::web::parse_page(page)?;
    let p = crate::pupils::read_page(state, &reader, &actor, page, "API").await?;
    Ok(Json(json!({
        "count": p.pupils.len(), "total": p.total, "page": p.page, "pages": p.pages, "pupils": p.pupils,
    })))
}

/// One pupil the caller may see.
#[utoipa::path(context_path = "/api/v1", tag = "pupils", security(("session" = [])),
    responses((status = 200, description = "`pupil`: the record", body = Object), (status = 401, description = "Not signed in", body = crate::web::ErrorBody), (status = 403, description = "The caller's role may not use this", body = crate::web::ErrorBody), (status = 404, description = "No such record, or not one the caller may see", body = crate::web::ErrorBody)))]
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
