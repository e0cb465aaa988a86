//! Deadlines: reviews due and overdue, maximum periods ending, the sixth-day duty. One page
//! lists them (in the reader's scope); the nightly job notifies each once.

use super::{standing, today, Standing};
use crate::auth::guards::{Actor, PupilReader};
use crate::config::Config;
use crate::db::placements::{self as store, PlacementRow};
use crate::db::{self, notifications::Recipient, pupils::PupilScope, Pool};
use crate::domain::due_diligence::long_date;
use crate::domain::placement::ReviewState;
use crate::domain::{NoticeKind, Role};
use crate::error::AppResult;
use crate::notify::{self, Notice};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::{get, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![deadlines]
}

#[derive(Serialize)]
struct Item {
    p: PlacementRow,
    s: Standing,
}

/// Active placements in scope with something due (all of them: a council has hundreds, not
/// millions, at once).
async fn active_in_scope(pool: &Pool, scope: PupilScope) -> Result<Vec<PlacementRow>, sqlx::Error> {
    store::list(pool, scope, store::Filter::Active, 10_000, 0).await
}

#[get("/placements/deadlines")]
async fn deadlines(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let cal = db::calendar::load(&state.pool).await?;
    let today = today();
    let mut reviews = Vec::new();
    let mut ending = Vec::new();
    let mut part_time = Vec::new();
    for p in active_in_scope(&state.pool, reader.scope).await? {
        let s = standing(&cal, &p, today);
        let item = Item { p, s };
        if item.s.past_end || item.s.ending_soon {
            ending.push(Item {
                p: item.p.clone(),
                s: item.s.clone(),
            });
        }
        if item.s.part_time {
            part_time.push(Item {
                p: item.p.clone(),
                s: item.s.clone(),
            });
        }
        if matches!(
            item.s.review_state,
            Some(ReviewState::Overdue | ReviewState::DueSoon)
        ) {
            reviews.push(item);
        }
    }
    reviews.sort_by_key(|i| i.s.review_due);
    ending.sort_by_key(|i| i.p.planned_end);
    let breaches: Vec<Item> = store::sixth_day_breaches(&state.pool, reader.scope, today)
        .await?
        .into_iter()
        .map(|p| Item {
            s: standing(&cal, &p, today),
            p,
        })
        .collect();
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "placement",
            None,
            format!(
                "deadlines: {} reviews, {} ending, {} sixth-day",
                reviews.len(),
                ending.len(),
                breaches.len()
            ),
        ),
    )
    .await?;
    view.ok(
        "placements/deadlines.html.j2",
        context! { reviews, ending, part_time, breaches, role => reader.user.role.key() },
    )
}

async fn raise(
    tx: &mut db::Tx<'_>,
    config: &Config,
    to: Recipient,
    body: &str,
    p: &PlacementRow,
) -> Result<(), sqlx::Error> {
    // A notice's text and link come from our own words and ids, so they are always valid.
    if let Ok(n) = Notice::new(NoticeKind::PlacementReview, to, body, &super::link(p)) {
        notify::raise(tx, config, &n).await?;
    }
    Ok(())
}

/// The nightly job: one notification per placement, date and stage, never repeated.
pub async fn nightly(pool: &Pool, config: &Config) -> Result<String, sqlx::Error> {
    let cal = db::calendar::load(pool).await?;
    let today = today();
    let now = db::now();
    let (mut due, mut overdue, mut ending, mut sixth) = (0, 0, 0, 0);
    for p in store::active(pool).await? {
        let s = standing(&cal, &p, today);
        let r = super::reference(&p);
        let mut tx = crate::db::write(pool).await?;
        if let (Some(d), Some(state)) = (s.review_due, s.review_state) {
            let stage = match state {
                ReviewState::DueSoon => Some("due_soon"),
                ReviewState::Overdue => Some("overdue"),
                ReviewState::NotYet => None,
            };
            if let Some(stage) = stage {
                if store::claim_reminder(&mut *tx, p.id, d, stage, now).await? {
                    let body = if stage == "overdue" {
                        overdue += 1;
                        format!(
                            "The review of {r} was due on {} and has not been recorded.",
                            long_date(d)
                        )
                    } else {
                        due += 1;
                        format!("The review of {r} is due by {}.", long_date(d))
                    };
                    raise(&mut tx, config, Recipient::School(p.school_id), &body, &p).await?;
                    if let Some(pid) = p.provider_id {
                        raise(&mut tx, config, Recipient::Provider(pid), &body, &p).await?;
                    }
                    if stage == "overdue" {
                        raise(
                            &mut tx,
                            config,
                            Recipient::Role(Role::Progressions),
                            &body,
                            &p,
                        )
                        .await?;
                    }
                }
            }
        }
        if let (Some(end), true) = (p.planned_end, s.ending_soon || s.past_end) {
            if store::claim_reminder(&mut *tx, p.id, end, "ending", now).await? {
                ending += 1;
                let body = format!(
                    "{r} reaches the end of its maximum period on {}: plan the next step or review it.",
                    long_date(end)
                );
                raise(&mut tx, config, Recipient::School(p.school_id), &body, &p).await?;
                if let Some(pid) = p.provider_id {
                    raise(&mut tx, config, Recipient::Provider(pid), &body, &p).await?;
                }
                raise(
                    &mut tx,
                    config,
                    Recipient::Role(Role::Progressions),
                    &body,
                    &p,
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    // Exclusions still waiting for a start: warn two days ahead of the sixth day, or once it
    // has passed.
    for p in store::waiting_exclusions(pool).await? {
        let Some(six) = p.sixth_day else { continue };
        if (six - today).num_days() > 2 {
            continue;
        }
        let mut tx = crate::db::write(pool).await?;
        if store::claim_reminder(&mut *tx, p.id, six, "sixth_day", now).await? {
            sixth += 1;
            let r = super::reference(&p);
            let body = if today > six {
                format!("{r} has passed its sixth school day ({}) without full-time education starting.", long_date(six))
            } else {
                format!(
                    "{r} must start full-time education by its sixth school day, {}.",
                    long_date(six)
                )
            };
            raise(
                &mut tx,
                config,
                Recipient::Role(Role::Progressions),
                &body,
                &p,
            )
            .await?;
            raise(&mut tx, config, Recipient::School(p.school_id), &body, &p).await?;
        }
        tx.commit().await?;
    }
    let followups = crate::outcomes::followups::remind(pool, config, today).await?;
    // A day's changes, for the query planner (the reports' plans depend on it).
    db::optimize(pool).await?;
    Ok(format!(
        "{due} reviews due soon, {overdue} overdue, {ending} maximum periods ending, {sixth} sixth-day warnings, \
         {followups} follow-ups due"
    ))
}

/// Counts for a home page: how many placements wait, run, and need attention (no pupil data).
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub waiting: i64,
    pub to_answer: i64,
    pub to_start: i64,
    pub active: i64,
    pub reviews_overdue: usize,
    pub reviews_due_soon: usize,
    pub ending: usize,
    pub sixth_day: usize,
}

pub async fn summary(pool: &Pool, scope: PupilScope) -> Result<Summary, sqlx::Error> {
    let cal = db::calendar::load(pool).await?;
    let today = today();
    let mut s = Summary {
        waiting: store::count_status(pool, scope, "requested").await?,
        to_answer: store::count_status(pool, scope, "offered").await?,
        to_start: store::count_status(pool, scope, "accepted").await?,
        ..Default::default()
    };
    for p in active_in_scope(pool, scope).await? {
        s.active += 1;
        let st = standing(&cal, &p, today);
        match st.review_state {
            Some(ReviewState::Overdue) => s.reviews_overdue += 1,
            Some(ReviewState::DueSoon) => s.reviews_due_soon += 1,
            _ => {}
        }
        if st.ending_soon || st.past_end {
            s.ending += 1;
        }
    }
    s.sixth_day = store::sixth_day_breaches(pool, scope, today).await?.len();
    Ok(s)
}
