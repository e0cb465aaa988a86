//! The retention rule: a pupil record closed (no open placement, last one ended) for longer than
//! the council's retention period has what identifies the child removed. Placement facts stay,
//! so city-wide figures still add up; attendance registers (kept six years by law) are not
//! touched here.

use super::{Pool, Tx};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
struct Closed {
    id: i64,
    created_at: DateTime<Utc>,
    end_date: Option<NaiveDate>,
    updated_at: Option<DateTime<Utc>>,
}

/// A pupil whose record is due for anonymising, and the day it closed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    pub pupil_id: i64,
    pub closed_on: NaiveDate,
}

/// Pupils with no open placement whose record closed before `cutoff`. A record closes on the
/// last placement's end (or, for a withdrawn request, when it was withdrawn); a pupil never
/// placed closes when added.
pub async fn due(pool: &Pool, cutoff: NaiveDate) -> Result<Vec<Due>, sqlx::Error> {
    let rows: Vec<Closed> = sqlx::query_as(
        "SELECT p.id, p.created_at, pl.end_date, pl.updated_at FROM pupils p \
         LEFT JOIN placements pl ON pl.pupil_id = p.id \
         WHERE p.anonymised_at IS NULL AND NOT EXISTS (SELECT 1 FROM placements o WHERE o.pupil_id = p.id \
         AND o.status IN ('requested', 'offered', 'accepted', 'active')) ORDER BY p.id",
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<Due> = Vec::new();
    for r in rows {
        let closed = r
            .end_date
            .or(r.updated_at.map(|t| t.date_naive()))
            .unwrap_or(r.created_at.date_naive());
        match out.last_mut() {
            Some(d) if d.pupil_id == r.id => d.closed_on = d.closed_on.max(closed),
            _ => out.push(Due {
                pupil_id: r.id,
                closed_on: closed,
            }),
        }
    }
    out.retain(|d| d.closed_on < cutoff);
    Ok(out)
}

/// What stays once a record is anonymised: the year of birth (for age groups), the home
/// school, SEN status and looked-after flag (for the Taskforce's figures).
pub async fn anonymise(
    tx: &mut Tx<'_>,
    pupil_id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let dob: NaiveDate = sqlx::query_scalar("SELECT date_of_birth FROM pupils WHERE id = $1")
        .bind(pupil_id)
        .fetch_one(&mut **tx)
        .await?;
    let year_only = NaiveDate::from_ymd_opt(dob.year(), 1, 1).unwrap_or(dob);
    sqlx::query(
        "UPDATE pupils SET upn = $2, legal_forename = 'Anonymised', legal_surname = 'Pupil', \
         preferred_name = NULL, date_of_birth = $3, needs_summary = '', anonymised_at = $4, updated_at = $4 \
         WHERE id = $1",
    )
    .bind(pupil_id)
    .bind(format!("ANON-{pupil_id}"))
    .bind(year_only)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    const SUB: &str = "(SELECT id FROM placements WHERE pupil_id = $1)";
    for sql in [
        "UPDATE placements SET needs = '', tried = '', wanted_outcome = '', travel_notes = '', \
         destination_note = '' WHERE pupil_id = $1"
            .to_string(),
        format!("UPDATE placement_events SET note = '' WHERE placement_id IN {SUB}"),
        format!("UPDATE placement_offers SET note = '', reason = '' WHERE placement_id IN {SUB}"),
        format!(
            "UPDATE placement_plans SET part_time_reason = CASE WHEN part_time_reason = '' THEN '' \
             ELSE 'Removed under the retention rule' END WHERE placement_id IN {SUB}"
        ),
        format!(
            "UPDATE plan_objectives SET objective = '', measure = '' WHERE placement_id IN {SUB}"
        ),
        format!(
            "UPDATE placement_reviews SET attendance_summary = '', pupil_voice = '', parent_voice = '', \
             notes = '' WHERE placement_id IN {SUB}"
        ),
        format!(
            "UPDATE review_progress SET objective = '', progress = '' WHERE review_id IN \
             (SELECT id FROM placement_reviews WHERE placement_id IN {SUB})"
        ),
    ] {
        sqlx::query(&sql).bind(pupil_id).execute(&mut **tx).await?;
    }
    Ok(())
}
