//! The provider's registers: the day's sessions, one register to take (everyone present in one
//! action, then the exceptions), and a taken register with its marks and corrections.

use super::save::{self, Line};
use super::{locked, parse_date, parse_session, today};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, ProviderStaff};
use crate::db::{self, attendance as store, pupils::PupilScope};
use crate::domain::attendance::{Mark, Session};
use crate::domain::due_diligence::long_date;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use chrono::{Duration, NaiveDate};
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use std::collections::HashMap;

pub fn routes() -> Vec<Route> {
    routes![day, register, take, all_present]
}

/// Days shown for catching up on missing registers.
const LOOK_BACK_SCHOOL_DAYS: usize = 10;

#[get("/registers?<date>")]
async fn day(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    state: &State<AppState>,
    date: Option<&str>,
) -> AppResult<Reply> {
    let today = today();
    let on = match date {
        Some(d) => parse_date(d)?,
        None => today,
    };
    let cal = db::calendar::load(&state.pool).await?;
    let mut sessions = Vec::new();
    if cal.is_school_day(on) {
        for s in Session::ALL {
            let Some(pos) = s.pattern_index(on) else {
                continue;
            };
            let lines =
                store::register_lines(&state.pool, staff.provider_id, on, s.key(), pos).await?;
            let taken = store::taken(&state.pool, staff.provider_id, on, s.key()).await?;
            sessions.push(
                context! { key => s.key(), label => s.label(), pupils => lines.len(), taken },
            );
        }
    }
    // Missing registers over the last school days, so a provider can catch up; and the last
    // school day's registers, to look back at.
    let mut missing = Vec::new();
    let mut recent = Vec::new();
    let mut d = today;
    let mut seen = 0;
    let mut recent_day: Option<NaiveDate> = None;
    while seen < LOOK_BACK_SCHOOL_DAYS && (today - d).num_days() < 40 {
        if cal.is_school_day(d) {
            seen += 1;
            for s in Session::ALL {
                let Some(pos) = s.pattern_index(d) else {
                    continue;
                };
                if d == today {
                    continue;
                }
                let due =
                    store::register_lines(&state.pool, staff.provider_id, d, s.key(), pos).await?;
                if recent_day.is_none_or(|r| r == d) && !due.is_empty() {
                    recent_day = Some(d);
                    recent.push(context! { date => d.to_string(), words => long_date(d), session => s.key(), label => s.label() });
                }
                if !due.is_empty()
                    && store::taken(&state.pool, staff.provider_id, d, s.key())
                        .await?
                        .is_none()
                {
                    missing.push(context! { date => d.to_string(), words => long_date(d), session => s.key(), label => s.label() });
                }
            }
        }
        d -= Duration::days(1);
    }
    view.ok(
        "attendance/day.html.j2",
        context! {
            date => on.to_string(), words => long_date(on), school_day => cal.is_school_day(on),
            sessions, missing, recent, is_today => on == today,
            previous => (on - Duration::days(1)).to_string(), next => (on + Duration::days(1)).to_string(),
            future => on >= today,
        },
    )
}

/// What every register page needs from the request.
struct Req<'a, 'r> {
    view: &'a Page<'r>,
    state: &'a AppState,
    staff: &'a ProviderStaff<'r>,
    csrf: &'a str,
}

async fn render(
    req: &Req<'_, '_>,
    on: NaiveDate,
    session: Session,
    status: Status,
    problem: Option<String>,
) -> AppResult<Reply> {
    let Req {
        view,
        state,
        staff,
        csrf,
    } = req;
    let cal = db::calendar::load(&state.pool).await?;
    let today = today();
    save::check_day(&cal, on, today).map_err(|r| AppError::BadRequest(r.message()))?;
    let pos = session.pattern_index(on).ok_or(AppError::NotFound)?;
    let lines =
        store::register_lines(&state.pool, staff.provider_id, on, session.key(), pos).await?;
    let taken = store::taken(&state.pool, staff.provider_id, on, session.key()).await?;
    let marks: Vec<_> = Mark::ALL
        .iter()
        .map(|m| context! { code => m.code(), label => m.label() })
        .collect();
    let mut changes = Vec::new();
    if taken.is_some() {
        for l in &lines {
            changes.extend(
                store::changes_of(
                    &state.pool,
                    PupilScope::Provider(staff.provider_id),
                    l.placement_id,
                )
                .await?
                .into_iter()
                .filter(|c| c.on_date == on && c.session == session.key()),
            );
        }
    }
    view.render(
        status,
        "attendance/register.html.j2",
        context! {
            lines, taken, marks, changes, problem, csrf_token => csrf,
            date => on.to_string(), words => long_date(on), session => session.key(), label => session.label(),
            locked => locked(&state.config, on, today),
        },
    )
}

#[get("/registers/<date>/<session>")]
async fn register(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    date: &str,
    session: &str,
) -> AppResult<Reply> {
    let (on, session) = (parse_date(date)?, parse_session(session)?);
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view",
            "register",
            Some(format!("{on} {}", session.key())),
            "",
        ),
    )
    .await?;
    let req = Req {
        view: &view,
        state,
        staff: &staff,
        csrf: &csrf.0,
    };
    render(&req, on, session, Status::Ok, None).await
}

#[derive(FromForm)]
pub struct RegisterForm {
    mark: HashMap<String, String>,
    note: HashMap<String, String>,
}

async fn submit(
    req: &Req<'_, '_>,
    actor: &Actor,
    on: NaiveDate,
    session: Session,
    lines: Result<Vec<Line>, String>,
) -> AppResult<Reply> {
    let Req { state, staff, .. } = req;
    let today = today();
    let cal = db::calendar::load(&state.pool).await?;
    let refused = match (save::check_day(&cal, on, today), lines) {
        (Err(r), _) => Some(r.message()),
        (_, Err(m)) => Some(m),
        (Ok(()), Ok(lines)) => {
            let mut tx = crate::db::write(&state.pool).await?;
            let outcome = save::save(
                &mut tx,
                &state.config,
                staff.provider_id,
                on,
                session,
                &lines,
                Some(staff.user.user_id),
                "page",
                locked(&state.config, on, today),
            )
            .await?;
            match outcome {
                Ok(saved) => {
                    db::audit::record(
                        &mut *tx,
                        &actor.entry(
                            "take_register",
                            "register",
                            Some(format!("{on} {}", session.key())),
                            format!("{saved:?}"),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(Reply::flash(
                        format!("/registers/{on}/{}", session.key()),
                        "success",
                        format!(
                            "Register saved: {} marks{}. Schools can see them now.",
                            saved.recorded + saved.corrected + saved.unchanged,
                            if saved.alerts > 0 {
                                format!(
                                    "; {} absence{} raised with the school",
                                    saved.alerts,
                                    if saved.alerts == 1 { "" } else { "s" }
                                )
                            } else {
                                String::new()
                            }
                        ),
                    ));
                }
                Err(r) => Some(r.message()),
            }
        }
    };
    let problem = refused.unwrap_or_default();
    render(req, on, session, Status::UnprocessableEntity, Some(problem)).await
}

#[post("/registers/<date>/<session>", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn take(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    date: &str,
    session: &str,
    form: CsrfForm<RegisterForm>,
) -> AppResult<Reply> {
    let (on, session) = (parse_date(date)?, parse_session(session)?);
    let f = &form.0;
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for (key, code) in &f.mark {
        let Ok(id) = key.parse::<i64>() else {
            problems.push(format!(
                "\"{}\" is not a pupil on this register",
                key.chars().take(20).collect::<String>()
            ));
            continue;
        };
        match Mark::from_code(code) {
            Ok(mark) => lines.push(Line {
                placement_id: Some(id),
                upn: None,
                mark,
                note: f.note.get(key).cloned().unwrap_or_default(),
            }),
            Err(e) => problems.push(e.0),
        }
    }
    let lines = if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems.join("; "))
    };
    let req = Req {
        view: &view,
        state,
        staff: &staff,
        csrf: &csrf.0,
    };
    submit(&req, &actor, on, session, lines).await
}

#[derive(FromForm)]
pub struct Confirm {
    #[allow(dead_code)]
    csrf_token: String,
}

/// Everyone on the register present, in one action; exceptions are then corrected.
#[post("/registers/<date>/<session>/present", data = "<_form>")]
#[allow(clippy::too_many_arguments)]
async fn all_present(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    date: &str,
    session: &str,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let (on, session) = (parse_date(date)?, parse_session(session)?);
    if store::taken(&state.pool, staff.provider_id, on, session.key())
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "This register is already taken: correct a pupil's mark on the register instead".into(),
        ));
    }
    let lines = match session.pattern_index(on) {
        Some(pos) => store::register_lines(&state.pool, staff.provider_id, on, session.key(), pos)
            .await?
            .into_iter()
            .map(|l| Line {
                placement_id: Some(l.placement_id),
                upn: None,
                mark: Mark::Present,
                note: String::new(),
            })
            .collect(),
        None => Vec::new(),
    };
    let req = Req {
        view: &view,
        state,
        staff: &staff,
        csrf: &csrf.0,
    };
    submit(&req, &actor, on, session, Ok(lines)).await
}
