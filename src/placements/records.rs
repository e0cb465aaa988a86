//! Records out of the service: a pupil's full record for a subject access request (JSON and
//! a readable page), a school's census return of its AP placements (CSV), and the placements
//! JSON API. Each is scoped in SQL and audited.

use crate::auth::guards::{Actor, Progressions, PupilReader, SchoolStaff};
use crate::db::placements::{self as store, PlacementRow};
use crate::db::{self, pupils::PupilScope};
use crate::domain::placement::{census_setting, CensusSetting, Reason};
use crate::error::{AppError, AppResult};
use crate::web::{Download, Page, Reply};
use crate::AppState;
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![record_page, record_json, census]
}

pub fn api_routes() -> Vec<Route> {
    routes![api_list, api_one]
}

/// The academic year (1 September to 31 August) a date falls in.
pub fn academic_year(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let start_year = if d.month() >= 9 {
        d.year()
    } else {
        d.year() - 1
    };
    (
        NaiveDate::from_ymd_opt(start_year, 9, 1).unwrap_or(d),
        NaiveDate::from_ymd_opt(start_year + 1, 8, 31).unwrap_or(d),
    )
}

/// One placement with everything recorded about it.
#[derive(Serialize)]
pub struct FullPlacement {
    #[serde(flatten)]
    pub placement: PlacementRow,
    pub history: Vec<store::EventRow>,
    pub offers: Vec<store::OfferRow>,
    pub plan: Option<store::PlanRow>,
    pub objectives: Vec<store::ObjectiveRow>,
    pub reviews: Vec<store::ReviewRow>,
    pub review_progress: Vec<store::ProgressRow>,
}

/// A subject access export: everything held about one pupil, and who has looked at it.
#[derive(Serialize)]
pub struct SubjectAccess {
    pub produced_at: chrono::DateTime<chrono::Utc>,
    pub produced_by: String,
    pub council: String,
    pub pupil: db::pupils::PupilRow,
    pub placements: Vec<FullPlacement>,
    pub access_log: Vec<db::audit::AccessRow>,
}

async fn gather(state: &AppState, staff: &Progressions<'_>, id: i64) -> AppResult<SubjectAccess> {
    let pupil = db::pupils::get(&state.pool, PupilScope::Progressions, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut placements = Vec::new();
    for p in store::of_pupil(&state.pool, PupilScope::Progressions, id).await? {
        placements.push(FullPlacement {
            history: store::events(&state.pool, p.id).await?,
            offers: store::offers(&state.pool, p.id).await?,
            plan: store::plan(&state.pool, p.id).await?,
            objectives: store::objectives(&state.pool, p.id).await?,
            reviews: store::reviews(&state.pool, p.id).await?,
            review_progress: store::progress(&state.pool, p.id).await?,
            placement: p,
        });
    }
    let ids: Vec<String> = placements
        .iter()
        .map(|p| p.placement.id.to_string())
        .collect();
    let access_log = db::audit::about_pupil(&state.pool, id, &ids).await?;
    Ok(SubjectAccess {
        produced_at: db::now(),
        produced_by: staff.0.display_name.clone(),
        council: state.config.council_name.clone(),
        pupil,
        placements,
        access_log,
    })
}

/// The readable record, for the Progressions Team to check before it is sent.
#[get("/pupils/<id>/record")]
async fn record_page(
    view: Page<'_>,
    staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let sar = gather(state, &staff, id).await?;
    db::audit::record(
        &state.pool,
        &actor.entry("subject_access_view", "pupil", Some(id.to_string()), "page"),
    )
    .await?;
    view.ok("placements/record.html.j2", context! { sar })
}

#[get("/pupils/<id>/record.json")]
async fn record_json(
    staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Download> {
    let sar = gather(state, &staff, id).await?;
    let body = serde_json::to_vec_pretty(&sar).map_err(|e| AppError::Internal(e.to_string()))?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "subject_access_export",
            "pupil",
            Some(id.to_string()),
            "json",
        ),
    )
    .await?;
    Ok(Download::attachment(
        body,
        ContentType::JSON,
        &format!("subject-access-pupil-{id}.json"),
    ))
}

fn census_reason(reason: &str) -> &'static str {
    // The census's reason codes are the DfE's; ours map one to one but for wording.
    match Reason::parse(reason) {
        Ok(Reason::PermanentExclusion) => "Permanent exclusion",
        Ok(Reason::Suspension) => "Suspension",
        Ok(Reason::HealthNeeds) => "Health needs",
        Ok(Reason::AtRisk) => "At risk of exclusion",
        Ok(Reason::Semh) => "SEMH needs",
        _ => "Other",
    }
}

/// The school census AP module for one school: its placements that overlap the dates given
/// (default: this academic year to date).
#[get("/placements/census.csv?<from>&<to>")]
async fn census(
    staff: SchoolStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Download> {
    let today = super::today();
    let (from, to) = crate::web::date_range(from, to, academic_year(today).0, today)?;
    let rows = store::census(&state.pool, staff.school_id, from, to).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "UPN",
        "Surname",
        "Forename",
        "DateOfBirth",
        "APProviderName",
        "APURN",
        "APUKPRN",
        "APSettingType",
        "APReason",
        "APEntryDate",
        "APLeavingDate",
        "APSessionsPerWeek",
    ];
    let csv_err = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(header).map_err(csv_err)?;
    for r in &rows {
        let (urn, ukprn, setting) = match census_setting(
            r.provider_urn.as_deref(),
            r.provider_ukprn.as_deref(),
            &r.registration,
            &r.place_type,
        ) {
            CensusSetting::Urn(u) => (u, String::new(), String::new()),
            CensusSetting::Ukprn(u) => (String::new(), u, String::new()),
            CensusSetting::Type(t) => (String::new(), String::new(), t.to_string()),
        };
        let sessions = r
            .pattern
            .as_deref()
            .and_then(|p| crate::domain::placement::Pattern::parse(p).ok())
            .map(|p| p.sessions())
            .unwrap_or(r.sessions_per_week);
        w.write_record([
            r.upn.clone(),
            safe_cell(&r.legal_surname),
            safe_cell(&r.legal_forename),
            r.date_of_birth.to_string(),
            safe_cell(&r.provider_name),
            urn,
            ukprn,
            setting,
            census_reason(&r.reason).to_string(),
            r.start_date.to_string(),
            r.end_date.map(|d| d.to_string()).unwrap_or_default(),
            sessions.to_string(),
        ])
        .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "export",
            "placement",
            None,
            format!("census {from} to {to}: {} placements", rows.len()),
        ),
    )
    .await?;
    Ok(Download::attachment(
        body,
        ContentType::CSV,
        &format!("ap-census-{from}-to-{to}.csv"),
    ))
}

/// A cell a spreadsheet would run as a formula is prefixed with an apostrophe.
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct ApiPage {
    placements: Vec<PlacementRow>,
    total: i64,
    page: i64,
    pages: i64,
}

#[utoipa::path(context_path = "/api/v1", tag = "placements", security(("session" = [])),
    params(("status" = Option<String>, Query, description = "open, active, ended or all"), ("page" = Option<String>, Query, description = "Page number, from 1")),
    responses((status = 200, description = "A page of the caller's placements", body = ApiPage), (status = 400, description = "A parameter is not valid; the message says which and why", body = crate::web::ErrorBody), (status = 401, description = "Not signed in", body = crate::web::ErrorBody), (status = 403, description = "The caller's role may not use this", body = crate::web::ErrorBody)))]
/// The caller's placements, as the list page shows them and audited the same way.
#[get("/placements?<status>&<page>")]
async fn api_list(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    status: Option<&str>,
    page: Option<&str>,
) -> AppResult<Json<ApiPage>> {
    let filter = store::Filter::parse(status)
        .ok_or_else(|| AppError::BadRequest("status must be open, active, ended or all".into()))?;
    let page = crate::web::parse_page(page)?;
    let total = store::count(&state.pool, reader.scope, filter).await?;
    let pages = ((total + super::PAGE_SIZE - 1) / super::PAGE_SIZE).max(1);
    let page_no = crate::web::page_number(page).min(pages);
    let placements = store::list(
        &state.pool,
        reader.scope,
        filter,
        super::PAGE_SIZE,
        (page_no - 1) * super::PAGE_SIZE,
    )
    .await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "placement",
            None,
            format!("{} placements listed (api)", placements.len()),
        ),
    )
    .await?;
    Ok(Json(ApiPage {
        placements,
        total,
        page: page_no,
        pages,
    }))
}

/// One placement the caller may see.
#[utoipa::path(context_path = "/api/v1", tag = "placements", security(("session" = [])),
    responses((status = 200, description = "The placement", body = PlacementRow), (status = 401, description = "Not signed in", body = crate::web::ErrorBody), (status = 403, description = "The caller's role may not use this", body = crate::web::ErrorBody), (status = 404, description = "No such record, or not one the caller may see", body = crate::web::ErrorBody)))]
#[get("/placements/<id>")]
async fn api_one(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Json<PlacementRow>> {
    let p = super::load(state, reader.scope, id).await?;
    db::audit::record(
        &state.pool,
        &actor.entry("view", "placement", Some(id.to_string()), "api"),
    )
    .await?;
    Ok(Json(p))
}
