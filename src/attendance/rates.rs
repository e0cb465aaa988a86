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
    routes![rates]
}

/// Rates per group from (group, code, sessions) counts.
pub fn fold(counts: &[store::CodeCount]) -> BTreeMap<String, Rate> {
    let mut out: BTreeMap<String, Rate> = BTreeMap::new();
    for c in counts {
        out.entry(c.group_name.clone())
            .or_default()
            .add_n(&c.code, c.sessions);
    }
    out
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
    let counts = store::counts(&state.pool, grouping, from, to).await?;
    let rows: Vec<_> = fold(&counts)
        .into_iter()
        .map(|(name, r)| context! { name, attended => r.attended, possible => r.possible, percent => r.percent(), band => r.band() })
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
