//! Due-diligence checks, their evidence, expiry reminders and suspension; and recomputing a
//! provider's status from them (the rule itself is `domain::due_diligence::derive`).

use super::{Conn, Db, Pool};
use crate::domain::due_diligence::{self, CheckResult, DdStatus, Recorded, RequiredCheck};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CheckType {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub theme: String,
    pub evidence: String,
    pub validity_months: Option<i64>,
    pub required_registered_school: bool,
    pub required_non_school: bool,
    pub required_online: bool,
}

impl CheckType {
    pub fn required_for(&self, registration: &str) -> bool {
        match registration {
            "registered_school" => self.required_registered_school,
            "online" => self.required_online,
            _ => self.required_non_school,
        }
    }
    /// When a check done on `on` stops being valid; None when the evidence's own expiry date
    /// must be entered.
    pub fn expiry_from(&self, on: NaiveDate) -> Option<NaiveDate> {
        let months = u32::try_from(self.validity_months?).ok()?;
        on.checked_add_months(chrono::Months::new(months))
    }
}

/// Active check types in their order (on a pool, a connection or inside a transaction).
pub async fn types<'e, E: Executor<'e, Database = Db>>(
    e: E,
) -> Result<Vec<CheckType>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, key, name, theme, evidence, validity_months, required_registered_school, \
         required_non_school, required_online FROM check_types WHERE active = $1 ORDER BY sort_order, id",
    )
    .bind(true)
    .fetch_all(e)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CheckRow {
    pub id: i64,
    pub check_type_id: i64,
    pub type_name: String,
    pub checked_on: NaiveDate,
    pub result: String,
    pub expires_on: Option<NaiveDate>,
    pub officer_email: Option<String>,
    pub notes: String,
    pub recorded_at: DateTime<Utc>,
}

/// Every check recorded for a provider, newest first.
pub async fn history<'e, E: Executor<'e, Database = Db>>(
    e: E,
    provider_id: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.check_type_id, t.name AS type_name, c.checked_on, c.result, c.expires_on, \
         u.email AS officer_email, c.notes, c.recorded_at FROM provider_checks c \
         JOIN check_types t ON t.id = c.check_type_id LEFT JOIN users u ON u.id = c.officer_id \
         WHERE c.provider_id = $1 ORDER BY c.checked_on DESC, c.id DESC",
    )
    .bind(provider_id)
    .fetch_all(e)
    .await
}

pub struct NewCheck<'a> {
    pub provider_id: i64,
    pub check_type_id: i64,
    pub checked_on: NaiveDate,
    pub result: CheckResult,
    pub expires_on: Option<NaiveDate>,
    /// None for records made without an officer's account (the demo data).
    pub officer_id: Option<i64>,
    pub notes: &'a str,
}

pub async fn record(
    conn: &mut Conn,
    c: &NewCheck<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO provider_checks (provider_id, check_type_id, checked_on, result, expires_on, officer_id, notes, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.provider_id)
    .bind(c.check_type_id)
    .bind(c.checked_on)
    .bind(c.result.key())
    .bind(c.expires_on)
    .bind(c.officer_id)
    .bind(c.notes)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

/// Each type required of a provider with this registration, with its latest record among
/// `rows` (newest first, as `history` returns them).
pub fn latest_per_type(
    types: Vec<CheckType>,
    rows: &[CheckRow],
    registration: &str,
) -> Vec<(CheckType, Option<CheckRow>)> {
    types
        .into_iter()
        .filter(|t| t.required_for(registration))
        .map(|t| {
            let latest = rows.iter().find(|r| r.check_type_id == t.id).cloned();
            (t, latest)
        })
        .collect()
}

/// Each check type required of the provider, with its latest record.
pub async fn checklist(
    conn: &mut Conn,
    provider_id: i64,
    registration: &str,
) -> Result<Vec<(CheckType, Option<CheckRow>)>, sqlx::Error> {
    let types = types(&mut *conn).await?;
    let rows = history(&mut *conn, provider_id).await?;
    Ok(latest_per_type(types, &rows, registration))
}

/// Derives the provider's status from its checks and suspension, and stores it if it changed.
/// Returns (before, after, reason).
pub async fn recompute(
    conn: &mut Conn,
    provider_id: i64,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<(String, DdStatus, String), sqlx::Error> {
    let (registration, before, old_reason, suspended_on): (
        String,
        String,
        String,
        Option<NaiveDate>,
    ) = sqlx::query_as(
        "SELECT registration, dd_status, dd_reason, suspended_on FROM providers WHERE id = $1",
    )
    .bind(provider_id)
    .fetch_one(&mut *conn)
    .await?;
    let list = checklist(conn, provider_id, &registration).await?;
    let required: Vec<RequiredCheck> = list
        .iter()
        .map(|(t, latest)| RequiredCheck {
            name: t.name.clone(),
            latest: latest.as_ref().and_then(|r| {
                Some(Recorded {
                    result: CheckResult::parse(&r.result).ok()?,
                    checked_on: r.checked_on,
                    expires_on: r.expires_on,
                })
            }),
        })
        .collect();
    let (status, reason) = due_diligence::derive(&required, suspended_on.map(|d| (d, "")), today);
    if status.key() != before || reason != old_reason {
        sqlx::query(
            "UPDATE providers SET dd_status = $1, dd_reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status.key())
        .bind(&reason)
        .bind(at)
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok((before, status, reason))
}

pub async fn suspend(
    conn: &mut Conn,
    provider_id: i64,
    on: NaiveDate,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE providers SET suspended_on = $1, suspension_reason = $2 WHERE id = $3")
        .bind(on)
        .bind(reason)
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn reinstate(conn: &mut Conn, provider_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE providers SET suspended_on = NULL, suspension_reason = '' WHERE id = $1")
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// (suspended on, reason) for the Progressions view.
pub async fn suspension(
    pool: &Pool,
    provider_id: i64,
) -> Result<Option<(NaiveDate, String)>, sqlx::Error> {
    let row: (Option<NaiveDate>, String) =
        sqlx::query_as("SELECT suspended_on, suspension_reason FROM providers WHERE id = $1")
            .bind(provider_id)
            .fetch_one(pool)
            .await?;
    Ok(row.0.map(|d| (d, row.1)))
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub check_id: i64,
    pub provider_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub stored_name: String,
    pub uploaded_at: DateTime<Utc>,
}

pub struct NewEvidence<'a> {
    pub check_id: i64,
    pub provider_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub stored_name: &'a str,
    pub uploaded_by: i64,
}

pub async fn add_evidence(
    conn: &mut Conn,
    e: &NewEvidence<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO check_evidence (check_id, provider_id, file_name, content_type, size_bytes, sha256, stored_name, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(e.check_id)
    .bind(e.provider_id)
    .bind(e.file_name)
    .bind(e.content_type)
    .bind(e.size_bytes)
    .bind(e.sha256)
    .bind(e.stored_name)
    .bind(e.uploaded_by)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

const EVIDENCE_COLS: &str =
    "id, check_id, provider_id, file_name, content_type, size_bytes, sha256, stored_name, uploaded_at";

/// One file, for a reader who may see every provider's evidence (Progressions, admin).
pub async fn evidence_any(pool: &Pool, id: i64) -> Result<Option<Evidence>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EVIDENCE_COLS} FROM check_evidence WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// One file, only if it is this provider's own (the access rule in SQL).
pub async fn evidence_of_provider(
    pool: &Pool,
    id: i64,
    provider_id: i64,
) -> Result<Option<Evidence>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EVIDENCE_COLS} FROM check_evidence WHERE id = $1 AND provider_id = $2"
    ))
    .bind(id)
    .bind(provider_id)
    .fetch_optional(pool)
    .await
}

pub async fn evidence_for(pool: &Pool, provider_id: i64) -> Result<Vec<Evidence>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {EVIDENCE_COLS} FROM check_evidence WHERE provider_id = $1 ORDER BY id"
    ))
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

/// A latest check whose expiry reminder is due: (check id, provider id, provider name, check
/// name, expires on).
#[derive(Debug, Clone, FromRow)]
pub struct Expiring {
    pub check_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub type_name: String,
    pub expires_on: NaiveDate,
}

/// Latest passed (or not applicable) checks expiring before `before`, at providers for which
/// the check is current (no later record of the same type).
pub async fn expiring_before(pool: &Pool, before: NaiveDate) -> Result<Vec<Expiring>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id AS check_id, p.id AS provider_id, p.name AS provider_name, p.slug AS provider_slug, t.name AS type_name, c.expires_on \
         FROM provider_checks c JOIN providers p ON p.id = c.provider_id JOIN check_types t ON t.id = c.check_type_id \
         WHERE c.result <> 'failed' AND c.expires_on IS NOT NULL AND c.expires_on < $1 \
         AND NOT EXISTS (SELECT 1 FROM provider_checks later WHERE later.provider_id = c.provider_id \
           AND later.check_type_id = c.check_type_id AND (later.checked_on > c.checked_on \
           OR (later.checked_on = c.checked_on AND later.id > c.id))) \
         ORDER BY c.expires_on, c.id",
    )
    .bind(before)
    .fetch_all(pool)
    .await
}

/// Records a reminder; false when it was already sent.
pub async fn claim_reminder(
    conn: &mut Conn,
    check_id: i64,
    stage: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO check_reminders (check_id, stage, sent_at) VALUES ($1, $2, $3) ON CONFLICT (check_id, stage) DO NOTHING",
    )
    .bind(check_id)
    .bind(stage)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn all_provider_ids(pool: &Pool) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM providers ORDER BY id")
        .fetch_all(pool)
        .await
}

/// Each provider's most recent passed check: the "assured date" of the open-data feed.
pub async fn last_passed(pool: &Pool) -> Result<Vec<(i64, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT provider_id, MAX(checked_on) FROM provider_checks WHERE result = 'passed' \
         GROUP BY provider_id",
    )
    .fetch_all(pool)
    .await
}
