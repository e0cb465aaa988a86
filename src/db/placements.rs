//! Placements, offers, plans and reviews. Every read takes a `PupilScope` that becomes part of
//! the SQL: a school reads the placements it commissioned, a provider those offered to or placed
//! with it, the Progressions Team all of them.

use super::pupils::PupilScope;
use super::{Db, Pool, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Executor, FromRow};

/// Statuses in which a placement (and its pupil) is visible to the provider it names.
pub const PROVIDER_VISIBLE: &str = "('offered', 'accepted', 'active', 'ended')";

/// Statuses that hold a place open.
pub const OPEN: &str = "('requested', 'offered', 'accepted', 'active')";

/// The scope as a predicate over `pl` (placements); `$1` is the organisation id if any.
pub fn scope_sql(scope: PupilScope) -> (String, Option<i64>) {
    match scope {
        PupilScope::School(id) => ("pl.school_id = $1".into(), Some(id)),
        PupilScope::Provider(id) => (
            format!("pl.provider_id = $1 AND pl.status IN {PROVIDER_VISIBLE}"),
            Some(id),
        ),
        PupilScope::Progressions => ("$1 IS NULL".into(), None),
    }
}

#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PlacementRow {
    pub id: i64,
    pub pupil_id: i64,
    pub upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub sen_status: String,
    pub looked_after: bool,
    pub school_id: i64,
    pub school_name: String,
    pub school_urn: String,
    pub commissioner: String,
    pub route: String,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub provider_slug: Option<String>,
    pub tier: i64,
    pub place_type: String,
    pub reason: String,
    pub exclusion_date: Option<NaiveDate>,
    pub sixth_day: Option<NaiveDate>,
    pub preferred_start: NaiveDate,
    pub sessions_per_week: i64,
    pub max_travel_km: Option<i64>,
    pub travel_notes: String,
    pub primary_need: Option<String>,
    pub needs: String,
    pub tried: String,
    pub wanted_outcome: String,
    pub status: String,
    pub start_date: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub destination: Option<String>,
    pub destination_note: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_review: Option<NaiveDate>,
    pub hours_per_week: Option<f64>,
}

const SELECT: &str = "SELECT pl.id, pl.pupil_id, p.upn, p.legal_forename, p.legal_surname, \
    p.preferred_name, p.date_of_birth, p.sen_status, p.looked_after, pl.school_id, \
    s.name AS school_name, s.urn AS school_urn, pl.commissioner, pl.route, pl.provider_id, \
    pr.name AS provider_name, pr.slug AS provider_slug, pl.tier, pl.place_type, pl.reason, \
    pl.exclusion_date, pl.sixth_day, pl.preferred_start, pl.sessions_per_week, pl.max_travel_km, \
    pl.travel_notes, pl.primary_need, pl.needs, pl.tried, pl.wanted_outcome, pl.status, \
    pl.start_date, pl.planned_end, pl.end_date, pl.destination, pl.destination_note, \
    pl.created_at, pl.updated_at, \
    (SELECT MAX(r.held_on) FROM placement_reviews r WHERE r.placement_id = pl.id) AS last_review, \
    pp.hours_per_week \
    FROM placements pl JOIN pupils p ON p.id = pl.pupil_id JOIN schools s ON s.id = pl.school_id \
    LEFT JOIN providers pr ON pr.id = pl.provider_id \
    LEFT JOIN placement_plans pp ON pp.placement_id = pl.id";

/// Which placements a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Waiting for a match, an answer or a start: the Progressions queue.
    Open,
    Active,
    Ended,
    All,
}

impl Filter {
    pub fn parse(s: Option<&str>) -> Option<Filter> {
        match s.unwrap_or("open") {
            "open" => Some(Filter::Open),
            "active" => Some(Filter::Active),
            "ended" => Some(Filter::Ended),
            "all" => Some(Filter::All),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Filter::Open => "open",
            Filter::Active => "active",
            Filter::Ended => "ended",
            Filter::All => "all",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Filter::Open => "pl.status IN ('requested', 'offered', 'accepted')",
            Filter::Active => "pl.status = 'active'",
            Filter::Ended => "pl.status IN ('ended', 'withdrawn')",
            Filter::All => "1 = 1",
        }
    }
}

pub async fn list(
    pool: &Pool,
    scope: PupilScope,
    filter: Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<PlacementRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "{SELECT} WHERE {pred} AND {} ORDER BY pl.updated_at DESC, pl.id DESC LIMIT $2 OFFSET $3",
        filter.sql()
    ))
    .bind(org)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn count(pool: &Pool, scope: PupilScope, filter: Filter) -> Result<i64, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM placements pl WHERE {pred} AND {}",
        filter.sql()
    ))
    .bind(org)
    .fetch_one(pool)
    .await
}

pub async fn get(
    pool: &Pool,
    scope: PupilScope,
    id: i64,
) -> Result<Option<PlacementRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!("{SELECT} WHERE {pred} AND pl.id = $2"))
        .bind(org)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Inside a transaction, for a change: the same scope, read again under the write lock.
pub async fn get_tx(
    tx: &mut Tx<'_>,
    scope: PupilScope,
    id: i64,
) -> Result<Option<PlacementRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!("{SELECT} WHERE {pred} AND pl.id = $2"))
        .bind(org)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// One pupil's placements, in scope.
pub async fn of_pupil(
    pool: &Pool,
    scope: PupilScope,
    pupil_id: i64,
) -> Result<Vec<PlacementRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "{SELECT} WHERE {pred} AND pl.pupil_id = $2 ORDER BY pl.created_at DESC, pl.id DESC"
    ))
    .bind(org)
    .bind(pupil_id)
    .fetch_all(pool)
    .await
}

/// Active placements, for the review and end-date job (all of them: the job acts for the
/// council).
pub async fn active(pool: &Pool) -> Result<Vec<PlacementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE pl.status = 'active' ORDER BY pl.id"
    ))
    .fetch_all(pool)
    .await
}

/// Exclusion placements not yet started, for the sixth-day check.
pub async fn waiting_exclusions(pool: &Pool) -> Result<Vec<PlacementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE pl.status IN ('requested', 'offered', 'accepted') AND pl.sixth_day IS NOT NULL ORDER BY pl.id"
    ))
    .fetch_all(pool)
    .await
}

/// Exclusion placements whose start was after the sixth day, or that have not started and
/// whose sixth day has passed, in scope.
pub async fn sixth_day_breaches(
    pool: &Pool,
    scope: PupilScope,
    today: NaiveDate,
) -> Result<Vec<PlacementRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "{SELECT} WHERE {pred} AND pl.sixth_day IS NOT NULL AND pl.status <> 'withdrawn' AND \
         ((pl.start_date IS NOT NULL AND pl.start_date > pl.sixth_day) OR \
          (pl.start_date IS NULL AND pl.sixth_day < $2)) ORDER BY pl.sixth_day DESC, pl.id"
    ))
    .bind(org)
    .bind(today)
    .fetch_all(pool)
    .await
}

pub struct NewPlacement<'a> {
    pub pupil_id: i64,
    pub school_id: i64,
    pub commissioner: &'a str,
    pub route: &'a str,
    pub provider_id: Option<i64>,
    pub tier: i64,
    pub place_type: &'a str,
    pub reason: &'a str,
    pub exclusion_date: Option<NaiveDate>,
    pub sixth_day: Option<NaiveDate>,
    pub preferred_start: NaiveDate,
    pub sessions_per_week: i64,
    pub max_travel_km: Option<i64>,
    pub travel_notes: &'a str,
    pub primary_need: Option<&'a str>,
    pub needs: &'a str,
    pub tried: &'a str,
    pub wanted_outcome: &'a str,
    pub status: &'a str,
    pub start_date: Option<NaiveDate>,
    pub created_by: Option<i64>,
}

pub async fn insert(
    tx: &mut Tx<'_>,
    p: &NewPlacement<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO placements (pupil_id, school_id, commissioner, route, provider_id, tier, place_type, \
         reason, exclusion_date, sixth_day, preferred_start, sessions_per_week, max_travel_km, travel_notes, \
         primary_need, needs, tried, wanted_outcome, status, start_date, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22) \
         RETURNING id",
    )
    .bind(p.pupil_id)
    .bind(p.school_id)
    .bind(p.commissioner)
    .bind(p.route)
    .bind(p.provider_id)
    .bind(p.tier)
    .bind(p.place_type)
    .bind(p.reason)
    .bind(p.exclusion_date)
    .bind(p.sixth_day)
    .bind(p.preferred_start)
    .bind(p.sessions_per_week)
    .bind(p.max_travel_km)
    .bind(p.travel_notes)
    .bind(p.primary_need)
    .bind(p.needs)
    .bind(p.tried)
    .bind(p.wanted_outcome)
    .bind(p.status)
    .bind(p.start_date)
    .bind(p.created_by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Moves a placement from `from` to `to`, returning false if it was no longer in `from`
/// (someone else acted first): the caller answers 409 and writes nothing.
pub async fn set_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    provider_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE placements SET status = $3, provider_id = $4, updated_at = $5 WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(provider_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn start(
    tx: &mut Tx<'_>,
    id: i64,
    start_date: NaiveDate,
    planned_end: Option<NaiveDate>,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE placements SET status = 'active', start_date = $2, planned_end = $3, updated_at = $4 \
         WHERE id = $1 AND status = 'accepted'",
    )
    .bind(id)
    .bind(start_date)
    .bind(planned_end)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn end(
    tx: &mut Tx<'_>,
    id: i64,
    end_date: NaiveDate,
    destination: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE placements SET status = 'ended', end_date = $2, destination = $3, destination_note = $4, \
         updated_at = $5 WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .bind(end_date)
    .bind(destination)
    .bind(note)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    // A return to mainstream is followed up at 6 and 12 weeks.
    super::outcomes::schedule(tx, id, end_date, destination).await?;
    super::outcomes::record(tx, id, id).await?;
    Ok(true)
}

pub async fn set_planned_end(
    tx: &mut Tx<'_>,
    id: i64,
    planned_end: Option<NaiveDate>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE placements SET planned_end = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(planned_end)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn event(
    tx: &mut Tx<'_>,
    placement_id: i64,
    user_id: Option<i64>,
    status: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO placement_events (placement_id, at, user_id, status, note) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(placement_id)
    .bind(at)
    .bind(user_id)
    .bind(status)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub status: String,
    pub note: String,
    pub by_name: Option<String>,
}

pub async fn events(pool: &Pool, placement_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.at, e.status, e.note, u.display_name AS by_name FROM placement_events e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.placement_id = $1 ORDER BY e.at, e.id",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct OfferRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub offered_at: DateTime<Utc>,
    pub note: String,
    pub response: String,
    pub reason: String,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn offers(pool: &Pool, placement_id: i64) -> Result<Vec<OfferRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id, o.provider_id, p.name AS provider_name, o.offered_at, o.note, o.response, o.reason, \
         o.responded_at FROM placement_offers o JOIN providers p ON p.id = o.provider_id \
         WHERE o.placement_id = $1 ORDER BY o.offered_at, o.id",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

pub async fn insert_offer(
    tx: &mut Tx<'_>,
    placement_id: i64,
    provider_id: i64,
    by: Option<i64>,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO placement_offers (placement_id, provider_id, offered_by, offered_at, note) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(placement_id)
    .bind(provider_id)
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Answers the pending offer of a placement.
pub async fn answer_offer(
    tx: &mut Tx<'_>,
    placement_id: i64,
    response: &str,
    reason: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE placement_offers SET response = $2, reason = $3, responded_by = $4, responded_at = $5 \
         WHERE placement_id = $1 AND response = 'pending'",
    )
    .bind(placement_id)
    .bind(response)
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Providers that have declined this placement before (the shortlist marks them).
pub async fn declined_by(pool: &Pool, placement_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT provider_id FROM placement_offers WHERE placement_id = $1 AND response = 'declined'",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

/// Full-time pupils placed with a provider now, for the registration threshold.
#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct FullTime {
    pub pupils: i64,
    pub with_ehc_plan: i64,
    pub looked_after: i64,
}

pub async fn full_time_at(tx: &mut Tx<'_>, provider_id: i64) -> Result<FullTime, sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*) AS pupils, \
         CAST(COALESCE(SUM(CASE WHEN p.sen_status = 'ehc_plan' THEN 1 ELSE 0 END), 0) AS BIGINT) AS with_ehc_plan, \
         CAST(COALESCE(SUM(CASE WHEN p.looked_after THEN 1 ELSE 0 END), 0) AS BIGINT) AS looked_after \
         FROM placements pl JOIN pupils p ON p.id = pl.pupil_id \
         JOIN placement_plans pp ON pp.placement_id = pl.id \
         WHERE pl.provider_id = $1 AND pl.status = 'active' AND pp.hours_per_week >= 18",
    )
    .bind(provider_id)
    .fetch_one(&mut **tx)
    .await
}

// ---- Intervention plans ----

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PlanRow {
    pub placement_id: i64,
    pub next_step: String,
    pub pattern: String,
    pub hours_per_week: f64,
    pub part_time_reason: String,
    pub max_weeks: i64,
    pub dual_registered: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ObjectiveRow {
    pub id: i64,
    pub position: i64,
    pub objective: String,
    pub measure: String,
    pub target_date: NaiveDate,
}

pub async fn plan(pool: &Pool, placement_id: i64) -> Result<Option<PlanRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT placement_id, next_step, pattern, hours_per_week, part_time_reason, max_weeks, \
         dual_registered, updated_at FROM placement_plans WHERE placement_id = $1",
    )
    .bind(placement_id)
    .fetch_optional(pool)
    .await
}

pub async fn objectives(pool: &Pool, placement_id: i64) -> Result<Vec<ObjectiveRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, position, objective, measure, target_date FROM plan_objectives \
         WHERE placement_id = $1 ORDER BY position",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

pub struct NewPlan<'a> {
    pub next_step: &'a str,
    pub pattern: &'a str,
    pub hours_per_week: f64,
    pub part_time_reason: &'a str,
    pub max_weeks: i64,
    pub dual_registered: bool,
    /// (objective, measure, target date)
    pub objectives: &'a [(String, String, NaiveDate)],
}

/// Writes the whole plan: the plan row and its objectives, replacing what was there. Reviews
/// keep their own copy of each objective's words.
pub async fn save_plan(
    tx: &mut Tx<'_>,
    placement_id: i64,
    plan: &NewPlan<'_>,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO placement_plans (placement_id, next_step, pattern, hours_per_week, part_time_reason, \
         max_weeks, dual_registered, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (placement_id) DO UPDATE SET next_step = excluded.next_step, pattern = excluded.pattern, \
         hours_per_week = excluded.hours_per_week, part_time_reason = excluded.part_time_reason, \
         max_weeks = excluded.max_weeks, dual_registered = excluded.dual_registered, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(placement_id)
    .bind(plan.next_step)
    .bind(plan.pattern)
    .bind(plan.hours_per_week)
    .bind(plan.part_time_reason)
    .bind(plan.max_weeks)
    .bind(plan.dual_registered)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM plan_objectives WHERE placement_id = $1")
        .bind(placement_id)
        .execute(&mut **tx)
        .await?;
    for (i, (objective, measure, target)) in plan.objectives.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_objectives (placement_id, position, objective, measure, target_date) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(placement_id)
        .bind(i as i64 + 1)
        .bind(objective)
        .bind(measure)
        .bind(target)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

// ---- Reviews ----

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ReviewRow {
    pub id: i64,
    pub held_on: NaiveDate,
    pub attendance_summary: String,
    pub pupil_voice: String,
    pub parent_voice: String,
    pub decision: String,
    pub notes: String,
    pub recorded_by_name: Option<String>,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ProgressRow {
    pub review_id: i64,
    pub position: i64,
    pub objective: String,
    pub progress: String,
}

pub async fn reviews(pool: &Pool, placement_id: i64) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.held_on, r.attendance_summary, r.pupil_voice, r.parent_voice, r.decision, r.notes, \
         u.display_name AS recorded_by_name FROM placement_reviews r LEFT JOIN users u ON u.id = r.recorded_by \
         WHERE r.placement_id = $1 ORDER BY r.held_on DESC, r.id DESC",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

pub async fn progress(pool: &Pool, placement_id: i64) -> Result<Vec<ProgressRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT rp.review_id, rp.position, rp.objective, rp.progress FROM review_progress rp \
         JOIN placement_reviews r ON r.id = rp.review_id WHERE r.placement_id = $1 ORDER BY rp.review_id, rp.position",
    )
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

pub struct NewReview<'a> {
    pub held_on: NaiveDate,
    pub attendance_summary: &'a str,
    pub pupil_voice: &'a str,
    pub parent_voice: &'a str,
    pub decision: &'a str,
    pub notes: &'a str,
    /// (position, objective as worded, progress)
    pub progress: &'a [(i64, String, String)],
}

pub async fn insert_review(
    tx: &mut Tx<'_>,
    placement_id: i64,
    r: &NewReview<'_>,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO placement_reviews (placement_id, held_on, attendance_summary, pupil_voice, parent_voice, \
         decision, notes, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(placement_id)
    .bind(r.held_on)
    .bind(r.attendance_summary)
    .bind(r.pupil_voice)
    .bind(r.parent_voice)
    .bind(r.decision)
    .bind(r.notes)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    for (position, objective, progress) in r.progress {
        sqlx::query(
            "INSERT INTO review_progress (review_id, position, objective, progress) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position)
        .bind(objective)
        .bind(progress)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Claims a reminder; `false` if it was already sent (by this job or another instance).
pub async fn claim_reminder<'e, E: Executor<'e, Database = Db>>(
    e: E,
    placement_id: i64,
    due_on: NaiveDate,
    stage: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO review_reminders (placement_id, due_on, stage, sent_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(placement_id)
    .bind(due_on)
    .bind(stage)
    .bind(at)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

// ---- Census ----

#[derive(Debug, Clone, FromRow)]
pub struct CensusRow {
    pub upn: String,
    pub legal_surname: String,
    pub legal_forename: String,
    pub date_of_birth: NaiveDate,
    pub provider_name: String,
    pub provider_urn: Option<String>,
    pub provider_ukprn: Option<String>,
    pub registration: String,
    pub place_type: String,
    pub reason: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub sessions_per_week: i64,
    pub pattern: Option<String>,
}

/// A school's placements that overlap `from..=to` (started on or before `to`, not ended
/// before `from`).
pub async fn census(
    pool: &Pool,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CensusRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.upn, p.legal_surname, p.legal_forename, p.date_of_birth, pr.name AS provider_name, \
         pr.urn AS provider_urn, pr.ukprn AS provider_ukprn, pr.registration, pl.place_type, pl.reason, \
         pl.start_date, pl.end_date, pl.sessions_per_week, pp.pattern \
         FROM placements pl JOIN pupils p ON p.id = pl.pupil_id JOIN providers pr ON pr.id = pl.provider_id \
         LEFT JOIN placement_plans pp ON pp.placement_id = pl.id \
         WHERE pl.school_id = $1 AND pl.status IN ('active', 'ended') AND pl.start_date <= $3 \
         AND (pl.end_date IS NULL OR pl.end_date >= $2) ORDER BY p.legal_surname, p.legal_forename, pl.start_date",
    )
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Framework providers a school may commission directly: (slug, name).
pub async fn framework_providers(pool: &Pool) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT slug, name FROM providers WHERE on_framework = $1 ORDER BY name")
        .bind(true)
        .fetch_all(pool)
        .await
}

/// Placements in one status, in scope (counting reads no pupil data).
pub async fn count_status(
    pool: &Pool,
    scope: PupilScope,
    status: &str,
) -> Result<i64, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM placements pl WHERE {pred} AND pl.status = $2"
    ))
    .bind(org)
    .bind(status)
    .fetch_one(pool)
    .await
}
