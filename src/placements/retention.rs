//! The retention rule, run by the housekeeping job and shown to admins as a dry run first.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin};
use crate::config::Config;
use crate::db::{self, retention, Pool};
use crate::error::AppResult;
use crate::web::{Page, Reply};
use crate::AppState;
use chrono::{Months, NaiveDate};
use minijinja::context;
use rocket::form::FromForm;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![report, apply]
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub years: u32,
    pub cutoff: NaiveDate,
    pub due: Vec<retention::Due>,
    pub anonymised: usize,
}

/// Records closed before this day are due.
pub fn cutoff(today: NaiveDate, years: u32) -> NaiveDate {
    today
        .checked_sub_months(Months::new(12 * years))
        .unwrap_or(NaiveDate::MIN)
}

/// Finds the records due and, when `apply` is set, anonymises each in its own transaction
/// (a failure part-way leaves every record either whole or fully anonymised).
pub async fn run(
    pool: &Pool,
    config: &Config,
    today: NaiveDate,
    apply: bool,
) -> Result<Report, sqlx::Error> {
    let cutoff = cutoff(today, config.pupil_retention_years);
    let due = retention::due(pool, cutoff).await?;
    let mut anonymised = 0;
    if apply {
        let now = db::now();
        for d in &due {
            let mut tx = crate::db::write(pool).await?;
            retention::anonymise(&mut tx, d.pupil_id, now).await?;
            db::audit::record(
                &mut *tx,
                &db::audit::Entry {
                    at: now,
                    user_id: None,
                    role: None,
                    action: "anonymise".into(),
                    entity: "pupil".into(),
                    entity_id: Some(d.pupil_id.to_string()),
                    detail: format!(
                        "record closed {}, retention {} years",
                        d.closed_on, config.pupil_retention_years
                    ),
                    ip: None,
                    request_id: None,
                },
            )
            .await?;
            tx.commit().await?;
            anonymised += 1;
        }
    }
    Ok(Report {
        years: config.pupil_retention_years,
        cutoff,
        due,
        anonymised,
    })
}

#[get("/admin/retention")]
async fn report(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let r = run(&state.pool, &state.config, super::today(), false).await?;
    view.ok(
        "admin/retention.html.j2",
        context! { r, csrf_token => csrf.0 },
    )
}

#[derive(FromForm)]
pub struct ApplyForm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/admin/retention", data = "<_form>")]
async fn apply(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    _form: CsrfForm<ApplyForm>,
) -> AppResult<Reply> {
    let r = run(&state.pool, &state.config, super::today(), true).await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "apply_retention",
            "pupil",
            None,
            format!("{} records anonymised", r.anonymised),
        ),
    )
    .await?;
    Ok(Reply::flash(
        "/admin/retention",
        "success",
        format!(
            "{} pupil record{} anonymised.",
            r.anonymised,
            if r.anonymised == 1 { "" } else { "s" }
        ),
    ))
}
