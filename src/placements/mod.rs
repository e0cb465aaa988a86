//! Placements: a school's request, the Progressions Team's match, the provider's answer, the
//! start, the intervention plan and its reviews, and the end with its destination.
//! Every read goes through a `PupilScope` in SQL and writes an audit row; every change is one
//! transaction with its event, audit row and notifications.

pub mod deadlines;
mod matching;
mod plan;
pub mod records;
mod request;
pub mod retention;

use crate::auth::guards::{Actor, PupilReader};
use crate::db::placements::{self as store, Filter, PlacementRow};
use crate::db::{self, notifications::Recipient, pupils::PupilScope};
use crate::domain::calendar::Calendar;
use crate::domain::placement::{self as rules, ReviewState};
use crate::domain::{NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{Page, Reply};
use crate::AppState;
use chrono::NaiveDate;
use minijinja::context;
use rocket::{get, routes, Route, State};
use serde::Serialize;

pub use crate::framework::today;

pub fn routes() -> Vec<Route> {
    let mut r = routes![list, show];
    r.extend(request::routes());
    r.extend(matching::routes());
    r.extend(plan::routes());
    r.extend(deadlines::routes());
    r.extend(records::routes());
    r.extend(retention::routes());
    r
}

pub const PAGE_SIZE: i64 = 50;

/// Reads one placement in the reader's scope (404 outside it, so existence is not disclosed).
pub(crate) async fn load(state: &AppState, scope: PupilScope, id: i64) -> AppResult<PlacementRow> {
    store::get(&state.pool, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The same, inside a change's transaction, so the check and the write see the same row.
pub(crate) async fn load_tx(
    tx: &mut db::Tx<'_>,
    scope: PupilScope,
    id: i64,
) -> AppResult<PlacementRow> {
    store::get_tx(tx, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Initials only: notifications and event notes name the placement, never the child.
pub(crate) fn reference(p: &PlacementRow) -> String {
    let initial = |s: &str| s.chars().next().map(|c| c.to_uppercase().to_string());
    format!(
        "placement {} ({}{})",
        p.id,
        initial(p.preferred_name.as_deref().unwrap_or(&p.legal_forename)).unwrap_or_default(),
        initial(&p.legal_surname).unwrap_or_default()
    )
}

pub(crate) fn link(p: &PlacementRow) -> String {
    format!("/placements/{}", p.id)
}

/// Who hears of a change: the placement's school, a provider's staff, the Progressions Team.
pub(crate) struct Audience {
    pub school: bool,
    pub provider: Option<i64>,
    pub council: bool,
}

/// Tells the parties to a placement, each as the audience says.
pub(crate) async fn tell(
    tx: &mut db::Tx<'_>,
    state: &AppState,
    p: &PlacementRow,
    kind: NoticeKind,
    body: &str,
    audience: Audience,
) -> AppResult<()> {
    let mut to = Vec::new();
    if audience.school {
        to.push(Recipient::School(p.school_id));
    }
    if let Some(id) = audience.provider {
        to.push(Recipient::Provider(id));
    }
    if audience.council {
        to.push(Recipient::Role(Role::Progressions));
    }
    for r in to {
        let notice = Notice::new(kind, r, body, &link(p)).map_err(|e| AppError::Internal(e.0))?;
        notify::raise(tx, &state.config, &notice).await?;
    }
    Ok(())
}

/// Records a change: the placement's history and the audit log, in the caller's transaction.
pub(crate) async fn record(
    tx: &mut db::Tx<'_>,
    actor: &Actor,
    p: &PlacementRow,
    status: &str,
    action: &str,
    note: &str,
) -> AppResult<()> {
    let now = db::now();
    store::event(tx, p.id, actor.user_id, status, note, now).await?;
    db::audit::record(
        &mut **tx,
        &actor.entry(action, "placement", Some(p.id.to_string()), note),
    )
    .await?;
    Ok(())
}

/// The registration-threshold warning for placing this pupil with this provider at these
/// hours, counted inside the caller's transaction (so the count and the start agree).
pub(crate) async fn threshold(
    tx: &mut db::Tx<'_>,
    provider: &db::providers::ProviderRow,
    sen_status: &str,
    looked_after: bool,
    hours: f64,
) -> AppResult<Option<String>> {
    use crate::domain::due_diligence::{threshold_warning, FullTimeCount};
    let current = store::full_time_at(tx, provider.id).await?;
    let full_time = rules::is_full_time(hours);
    Ok(threshold_warning(
        &provider.name,
        &provider.registration,
        FullTimeCount {
            pupils: current.pupils as u32,
            with_ehc_plan: current.with_ehc_plan as u32,
            looked_after: current.looked_after as u32,
        },
        FullTimeCount {
            pupils: full_time as u32,
            with_ehc_plan: (full_time && sen_status == "ehc_plan") as u32,
            looked_after: (full_time && looked_after) as u32,
        },
    ))
}

/// Fixes the plan as a placement starts: the hours given now, the rest from the plan already
/// written or, with none, the defaults; and the end of the maximum period from the start.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn plan_at_start(
    tx: &mut db::Tx<'_>,
    p: &PlacementRow,
    start: NaiveDate,
    hours: f64,
    existing: Option<store::PlanRow>,
    objectives: &[(String, String, NaiveDate)],
    by: Option<i64>,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let (next_step, pattern, reason, weeks, dual) = match existing {
        Some(pl) => (
            pl.next_step,
            pl.pattern,
            pl.part_time_reason,
            pl.max_weeks,
            pl.dual_registered,
        ),
        None => (
            rules::default_next_step(p.tier).key().to_string(),
            rules::Pattern::from_sessions(&(0..p.sessions_per_week as usize).collect::<Vec<_>>())
                .map_err(|e| AppError::Internal(e.0))?
                .stored(),
            String::new(),
            rules::default_max_weeks(&p.place_type),
            false,
        ),
    };
    let reason = if !rules::is_full_time(hours) && reason.is_empty() {
        rules::PART_TIME_TO_BE_SET.to_string()
    } else {
        reason
    };
    store::save_plan(
        tx,
        p.id,
        &store::NewPlan {
            next_step: &next_step,
            pattern: &pattern,
            hours_per_week: hours,
            part_time_reason: &reason,
            max_weeks: weeks,
            dual_registered: dual,
            objectives,
        },
        by,
        at,
    )
    .await?;
    store::set_planned_end(tx, p.id, Some(start + chrono::Duration::weeks(weeks)), at).await?;
    Ok(())
}

/// What the pages show about where a placement stands today.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub review_due: Option<NaiveDate>,
    pub review_state: Option<ReviewState>,
    pub sixth_day_breached: bool,
    pub ending_soon: bool,
    pub past_end: bool,
    pub part_time: bool,
}

pub fn standing(cal: &Calendar, p: &PlacementRow, today: NaiveDate) -> Standing {
    let active = p.status == "active";
    let review_due = if active {
        p.last_review
            .or(p.start_date)
            .map(|since| rules::review_due(cal, since))
    } else {
        None
    };
    Standing {
        review_due,
        review_state: review_due.map(|d| rules::review_state(cal, d, today)),
        sixth_day_breached: p.status != "withdrawn"
            && rules::sixth_day_breached(p.sixth_day, p.start_date, today),
        ending_soon: active
            && p.planned_end
                .is_some_and(|e| e >= today && (e - today).num_days() <= rules::ENDING_SOON_DAYS),
        past_end: active && p.planned_end.is_some_and(|e| e < today),
        part_time: p.hours_per_week.is_some_and(|h| !rules::is_full_time(h)),
    }
}

#[derive(Serialize)]
struct ListItem {
    p: PlacementRow,
    s: Standing,
}

#[get("/placements?<status>&<page>")]
async fn list(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    status: Option<&str>,
    page: Option<&str>,
) -> AppResult<Reply> {
    let filter = Filter::parse(status).ok_or_else(|| {
        AppError::BadRequest("Choose open, active, ended or all placements".into())
    })?;
    let page = crate::web::parse_page(page)?;
    let total = store::count(&state.pool, reader.scope, filter).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page_no = crate::web::page_number(page).min(pages);
    let rows = store::list(
        &state.pool,
        reader.scope,
        filter,
        PAGE_SIZE,
        (page_no - 1) * PAGE_SIZE,
    )
    .await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "placement",
            None,
            format!("{} placements listed ({})", rows.len(), filter.key()),
        ),
    )
    .await?;
    let cal = db::calendar::load(&state.pool).await?;
    let today = today();
    let items: Vec<ListItem> = rows
        .into_iter()
        .map(|p| ListItem {
            s: standing(&cal, &p, today),
            p,
        })
        .collect();
    let tabs: Vec<_> = [
        ("open", "Waiting"),
        ("active", "Active"),
        ("ended", "Ended"),
        ("all", "All"),
    ]
    .iter()
    .map(|(k, label)| context! { key => k, label, current => *k == filter.key() })
    .collect();
    let this_year = records::academic_year(today);
    view.ok(
        "placements/list.html.j2",
        context! {
            items, total, page_no, pages, tabs, filter => filter.key(),
            role => reader.user.role.key(),
            census_from => this_year.0.to_string(), census_to => today.to_string(),
        },
    )
}

#[get("/placements/<id>", rank = 2)]
async fn show(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<crate::directory::index::Search>,
    id: i64,
) -> AppResult<Reply> {
    let p = load(state, reader.scope, id).await?;
    let ctx = matching::show_context(state, search, &reader, &p, None).await?;
    db::audit::record(
        &state.pool,
        &actor.entry("view", "placement", Some(p.id.to_string()), "page"),
    )
    .await?;
    view.ok("placements/show.html.j2", ctx)
}
