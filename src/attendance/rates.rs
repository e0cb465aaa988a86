//! Attendance rates for the council: by provider, tier, locality or the whole city over any
//! period, with persistent (below 90%) and severe (below 50%) absence flagged.

use super::{range, today};
use crate::auth::guards::{Actor, Progressions};
use crate::db::{self, attendance as store};
use crate::domain::attendance::Rate;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::{get, routes, Route, State};
use std::collections::BTreeMap;

pub fn routes() -> Vec<Route> {
    routes![rates, summary]
}

#[get("/attendance/rates?<from>&<to>&<by>")]
async fn rates(
    view: Page<'_>,
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    from: Option<&str>,
    to: Option<&str>,
    by: Option<&str>,
) -> AppResult<Reply> {
    let today = today();
    let year = crate::placements::records::academic_year(today);
    let (from, to) = range(from, to, year.0, today)?;
    let grouping = store::Grouping::parse(by)
        .ok_or_else(|| AppError::BadRequest("Group by provider, tier, locality or city".into()))?;
    let rows: Vec<_> = store::rates(&state.pool, grouping, from, to)
        .await?
        .into_iter()
        .map(|(name, attended, possible)| {
            let r = Rate { attended, possible };
            context! { name, attended, possible, percent => r.percent(), band => r.band() }
        })
        .collect();
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_report",
            "attendance",
            None,
            format!("rates by {} {from} to {to}", grouping.key()),
        ),
    )
    .await?;
    view.ok(
        "attendance/rates.html.j2",
        context! { rows, from => from.to_string(), to => to.to_string(), by => grouping.key() },
    )
}

/// Each pupil's rate over a period, for the reader's placements (a provider's, a school's or
/// all), with persistent and severe absence flagged.
#[get("/attendance/summary?<from>&<to>")]
async fn summary(
    view: Page<'_>,
    reader: crate::auth::guards::PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Reply> {
    let today = today();
    let term = db::calendar::load(&state.pool)
        .await?
        .term_of(today)
        .map(|t| t.starts_on);
    let (from, to) = range(
        from,
        to,
        term.unwrap_or(today - chrono::Duration::days(42)),
        today,
    )?;
    let counts = store::counts_by_placement(&state.pool, reader.scope, from, to).await?;
    let mut rates: BTreeMap<i64, Rate> = BTreeMap::new();
    for (placement, code, n) in &counts {
        rates.entry(*placement).or_default().add_n(code, *n);
    }
    let placements = db::placements::list(
        &state.pool,
        reader.scope,
        db::placements::Filter::All,
        5000,
        0,
    )
    .await?;
    let rows: Vec<_> = placements
        .into_iter()
        .filter_map(|p| {
            let r = rates.get(&p.id).copied()?;
            Some(context! {
                id => p.id, name => format!("{}, {}", p.legal_surname, p.preferred_name.clone().unwrap_or(p.legal_forename.clone())),
                provider => p.provider_name, school => p.school_name,
                attended => r.attended, possible => r.possible, percent => r.percent(), band => r.band(),
            })
        })
        .collect();
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "attendance",
            None,
            format!("summary {from} to {to}: {} pupils", rows.len()),
        ),
    )
    .await?;
    view.ok(
        "attendance/summary.html.j2",
        context! { rows, from => from.to_string(), to => to.to_string(), role => reader.user.role.key() },
    )
}
