//! Missing registers: at each session's cut-off (Europe/London) a register not taken is raised
//! with its provider; after the escalation delay, with the schools whose pupils are on it and
//! the Progressions Team. The dashboard lists today's.

use super::today;
use crate::auth::guards::CouncilStaff;
use crate::config::Config;
use crate::db::{self, attendance as store, notifications::Recipient, Pool};
use crate::domain::attendance::{is_missing, Session};
use crate::domain::due_diligence::long_date;
use crate::domain::{NoticeKind, Role};
use crate::error::AppResult;
use crate::notify::{self, Notice};
use crate::web::{Page, Reply};
use crate::AppState;
use chrono::NaiveTime;
use minijinja::context;
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![missing]
}

pub fn cutoff(config: &Config, session: Session) -> NaiveTime {
    let s = match session {
        Session::Am => &config.register_cutoff_am,
        Session::Pm => &config.register_cutoff_pm,
    };
    crate::notify::runner::parse_time(s).unwrap_or_else(|_| match session {
        Session::Am => NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
        Session::Pm => NaiveTime::from_hms_opt(14, 0, 0).unwrap_or_default(),
    })
}

#[get("/attendance/missing")]
async fn missing(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let on = today();
    let cal = db::calendar::load(&state.pool).await?;
    let now = db::now();
    let mut sessions = Vec::new();
    if cal.is_school_day(on) {
        for s in Session::ALL {
            let Some(pos) = s.pattern_index(on) else {
                continue;
            };
            let rows = store::missing(&state.pool, on, s.key(), pos).await?;
            let cut = cutoff(&state.config, s);
            sessions.push(context! {
                label => s.label(), cutoff => cut.format("%H:%M").to_string(),
                past => is_missing(false, on, cut, now), rows,
            });
        }
    }
    view.ok(
        "attendance/missing.html.j2",
        context! { sessions, words => long_date(on), school_day => cal.is_school_day(on) },
    )
}

/// The job at a session's cut-off (`escalate` false) or after the delay (`escalate` true).
pub async fn check_missing(
    pool: &Pool,
    config: &Config,
    on: chrono::NaiveDate,
    session: Session,
    escalate: bool,
) -> Result<String, sqlx::Error> {
    let cal = db::calendar::load(pool).await?;
    let Some(pos) = session.pattern_index(on).filter(|_| cal.is_school_day(on)) else {
        return Ok("not a school day".into());
    };
    let stage = if escalate { "escalated" } else { "provider" };
    let now = db::now();
    let mut raised = 0;
    for m in store::missing(pool, on, session.key(), pos).await? {
        if !store::claim_reminder(pool, m.provider_id, on, session.key(), stage, now).await? {
            continue;
        }
        raised += 1;
        let mut tx = crate::db::write(pool).await?;
        let link = format!("/registers/{on}/{}", session.key());
        let mut to = Vec::new();
        if escalate {
            let body = format!(
                "{} has not taken its {} register for {} ({} pupils). The council has been told.",
                m.provider_name,
                session.label(),
                long_date(on),
                m.pupils
            );
            for school in store::schools_on(pool, m.provider_id, on, pos).await? {
                to.push((
                    Recipient::School(school),
                    body.clone(),
                    "/attendance".to_string(),
                ));
            }
            to.push((
                Recipient::Role(Role::Progressions),
                body,
                "/attendance/missing".to_string(),
            ));
        } else {
            to.push((
                Recipient::Provider(m.provider_id),
                format!(
                    "Your {} register for {} has not been taken ({} pupils). Please take it now.",
                    session.label(),
                    long_date(on),
                    m.pupils
                ),
                link,
            ));
        }
        for (r, body, link) in to {
            if let Ok(n) = Notice::new(NoticeKind::MissingRegister, r, &body, &link) {
                notify::raise(&mut tx, config, &n).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(format!(
        "{raised} missing {} registers {}",
        session.key(),
        if escalate {
            "escalated"
        } else {
            "raised with providers"
        }
    ))
}
