//! The attendance API for school MIS and provider systems, with a bearer token per
//! organisation: `GET /api/v1/attendance` (the token's organisation's marks) and
//! `POST /api/v1/registers` (a provider's whole register, idempotent).

use super::save::{self, Line};
use super::{locked, parse_date, parse_session, range, today};
use crate::db::{self, attendance as store, pupils::PupilScope};
use crate::domain::attendance::{school_code, Mark};
use crate::error::{AppError, AppResult};
use crate::AppState;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![attendance, register]
}

/// A caller with a live token: the organisation it speaks for.
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: PupilScope,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiToken {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let refuse = |msg: &str| {
            crate::web::set_error_message(req, msg);
            Outcome::Error((Status::Unauthorized, ()))
        };
        let Some(token) = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 100)
        else {
            return refuse("Send the organisation's API token as 'Authorization: Bearer <token>'");
        };
        let Some(state) = req.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let hash = crate::auth::token_hash(token);
        match db::tokens::by_hash(&state.pool, &hash, db::now()).await {
            Ok(Some(t)) => {
                let scope = match (t.school_id, t.provider_id) {
                    (Some(s), _) => PupilScope::School(s),
                    (_, Some(p)) => PupilScope::Provider(p),
                    _ => return refuse("This token has no organisation"),
                };
                Outcome::Success(ApiToken {
                    id: t.id,
                    name: t.name,
                    scope,
                })
            }
            Ok(None) => refuse("This API token is not known or has been revoked"),
            Err(_) => Outcome::Error((Status::ServiceUnavailable, ())),
        }
    }
}

impl ApiToken {
    fn audit(&self, action: &str, detail: String) -> db::audit::Entry {
        db::audit::Entry {
            at: db::now(),
            user_id: None,
            role: Some("api".into()),
            action: action.into(),
            entity: "attendance".into(),
            entity_id: None,
            detail: format!("token {} ({}): {detail}", self.id, self.name),
            ip: None,
            request_id: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct MarkOut {
    upn: String,
    placement_id: i64,
    provider: String,
    date: chrono::NaiveDate,
    session: String,
    mark: String,
    school_code: &'static str,
    note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AttendanceOut {
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    marks: Vec<MarkOut>,
}

/// The token's organisation's attendance marks (a school's pupils, or a provider's register).
#[utoipa::path(context_path = "/api/v1", tag = "attendance", security(("token" = [])),
    params(("from" = Option<String>, Query, description = "First day, YYYY-MM-DD (default today)"), ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD (default today)")),
    responses((status = 200, description = "Marks in the range", body = AttendanceOut), (status = 400, description = "A parameter is not valid; the message says which and why", body = crate::web::ErrorBody), (status = 401, description = "No valid API token", body = crate::web::ErrorBody)))]
#[get("/attendance?<from>&<to>")]
async fn attendance(
    token: ApiToken,
    state: &State<AppState>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Json<AttendanceOut>> {
    let today = today();
    let (from, to) = range(from, to, today, today)?;
    let rows = store::marks(&state.pool, token.scope, from, to).await?;
    db::audit::record(
        &state.pool,
        &token.audit("api_read", format!("{from} to {to}: {} marks", rows.len())),
    )
    .await?;
    Ok(Json(AttendanceOut {
        from,
        to,
        marks: rows
            .into_iter()
            .map(|m| MarkOut {
                school_code: school_code(
                    &m.code,
                    &m.commissioner,
                    m.dual_registered.unwrap_or(false),
                    m.registration == "online",
                )
                .0,
                upn: m.upn,
                placement_id: m.placement_id,
                provider: m.provider_name,
                date: m.on_date,
                session: m.session,
                mark: m.code,
                note: m.note,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MarkIn {
    placement_id: Option<i64>,
    upn: Option<String>,
    code: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterIn {
    date: String,
    session: String,
    marks: Vec<MarkIn>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Saved {
    date: chrono::NaiveDate,
    session: &'static str,
    newly_taken: bool,
    recorded: usize,
    unchanged: usize,
    corrected: usize,
    alerts: usize,
}

#[utoipa::path(context_path = "/api/v1", tag = "attendance", security(("token" = [])), request_body = RegisterIn,
    responses((status = 200, description = "What was saved; sending the same register again changes nothing", body = Saved), (status = 400, description = "A parameter is not valid; the message says which and why", body = crate::web::ErrorBody), (status = 401, description = "No valid API token", body = crate::web::ErrorBody),
        (status = 403, description = "Only a provider's token can submit registers", body = crate::web::ErrorBody),
        (status = 422, description = "A line could not be saved; nothing was", body = crate::web::ErrorBody)))]
/// A provider's whole register. All or nothing: any line that cannot be saved refuses the lot.
#[post("/registers", data = "<body>")]
async fn register(
    token: ApiToken,
    state: &State<AppState>,
    body: Json<RegisterIn>,
) -> AppResult<Json<Saved>> {
    let PupilScope::Provider(provider_id) = token.scope else {
        return Err(AppError::Forbidden(
            "Only a provider's token can submit registers".into(),
        ));
    };
    let on = parse_date(&body.date)?;
    let session = parse_session(&body.session)?;
    if body.marks.len() > 500 {
        return Err(AppError::Unprocessable(
            "A register has at most 500 marks".into(),
        ));
    }
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, m) in body.marks.iter().enumerate() {
        match Mark::from_code(&m.code) {
            Ok(mark) => lines.push(Line {
                placement_id: m.placement_id,
                upn: m.upn.clone(),
                mark,
                note: m.note.clone(),
            }),
            Err(e) => problems.push(format!("line {}: {}", i + 1, e.0)),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join("; ")));
    }
    let today = today();
    let cal = db::calendar::load(&state.pool).await?;
    save::check_day(&cal, on, today).map_err(|r| AppError::Unprocessable(r.message()))?;
    let mut tx = crate::db::write(&state.pool).await?;
    let saved = save::save(
        &mut tx,
        &state.config,
        provider_id,
        on,
        session,
        &lines,
        None,
        "api",
        locked(&state.config, on, today),
    )
    .await?
    .map_err(|r| match r {
        save::Refused::Locked(_) => AppError::Conflict(r.message()),
        _ => AppError::Unprocessable(r.message()),
    })?;
    db::audit::record(
        &mut *tx,
        &token.audit(
            "take_register",
            format!("{on} {}: {saved:?}", session.key()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Saved {
        date: on,
        session: session.key(),
        newly_taken: saved.newly_taken,
        recorded: saved.recorded,
        unchanged: saved.unchanged,
        corrected: saved.corrected,
        alerts: saved.alerts,
    }))
}
