//! Concerns about providers and their dated history. Read by the Progressions Team and admins
//! only (the routes' guards); the raiser sees a reference number.

use super::{Conn, Pool};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

pub const CATEGORIES: [(&str, &str); 5] = [
    ("safeguarding", "Safeguarding: a child may be at risk"),
    ("quality", "Quality of education or care"),
    ("health_safety", "Health and safety"),
    ("attendance", "Attendance or registers"),
    ("other", "Something else"),
];
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
pub const STATUSES: [&str; 4] = ["open", "investigating", "resolved", "escalated"];

pub struct NewConcern<'a> {
    pub provider_id: i64,
    pub raised_by: Option<i64>,
    pub raiser_name: &'a str,
    pub raiser_contact: &'a str,
    pub raiser_kind: &'a str,
    pub category: &'a str,
    pub severity: &'a str,
    pub details: &'a str,
}

pub async fn insert(
    conn: &mut Conn,
    c: &NewConcern<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO concerns (provider_id, raised_by, raiser_name, raiser_contact, raiser_kind, category, severity, status, details, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $9) RETURNING id",
    )
    .bind(c.provider_id)
    .bind(c.raised_by)
    .bind(c.raiser_name)
    .bind(c.raiser_contact)
    .bind(c.raiser_kind)
    .bind(c.category)
    .bind(c.severity)
    .bind(c.details)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    event(conn, id, c.raised_by, "Raised", "", at).await?;
    Ok(id)
}

pub async fn event(
    conn: &mut Conn,
    concern_id: i64,
    user_id: Option<i64>,
    change: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO concern_events (concern_id, at, user_id, change, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(concern_id)
        .bind(at)
        .bind(user_id)
        .bind(change)
        .bind(note)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ConcernRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub raised_by_email: Option<String>,
    pub raiser_name: String,
    pub raiser_contact: String,
    pub raiser_kind: String,
    pub category: String,
    pub severity: String,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_email: Option<String>,
    pub details: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT c.id, c.provider_id, p.name AS provider_name, p.slug AS provider_slug, \
    r.email AS raised_by_email, c.raiser_name, c.raiser_contact, c.raiser_kind, c.category, c.severity, \
    c.status, c.owner_id, o.email AS owner_email, c.details, c.created_at, c.updated_at \
    FROM concerns c JOIN providers p ON p.id = c.provider_id \
    LEFT JOIN users r ON r.id = c.raised_by LEFT JOIN users o ON o.id = c.owner_id";

/// Most severe first, then oldest; `open_only` leaves out resolved ones.
pub async fn list(pool: &Pool, open_only: bool) -> Result<Vec<ConcernRow>, sqlx::Error> {
    let filter = if open_only {
        "WHERE c.status <> 'resolved'"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "{SELECT} {filter} ORDER BY CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
         WHEN 'medium' THEN 2 ELSE 3 END, c.created_at, c.id LIMIT 500"
    ))
    .fetch_all(pool)
    .await
}

pub async fn get(pool: &Pool, id: i64) -> Result<Option<ConcernRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub user_email: Option<String>,
    pub change: String,
    pub note: String,
}

pub async fn events(pool: &Pool, concern_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.at, u.email AS user_email, e.change, e.note FROM concern_events e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.concern_id = $1 ORDER BY e.id",
    )
    .bind(concern_id)
    .fetch_all(pool)
    .await
}

pub async fn update(
    conn: &mut Conn,
    id: i64,
    status: &str,
    severity: &str,
    owner_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE concerns SET status = $1, severity = $2, owner_id = $3, updated_at = $4 WHERE id = $5")
        .bind(status)
        .bind(severity)
        .bind(owner_id)
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Open (not resolved) concerns by severity, for the dashboard.
pub async fn open_by_severity(pool: &Pool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT severity, COUNT(*) FROM concerns WHERE status <> 'resolved' GROUP BY severity",
    )
    .fetch_all(pool)
    .await
}

/// Progressions Team members, who can own a concern.
pub async fn owners(pool: &Pool) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, display_name FROM users WHERE role = 'progressions' AND active = $1 ORDER BY display_name",
    )
    .bind(true)
    .fetch_all(pool)
    .await
}

/// Concerns raised without an account from one address since `since` (from the audit log,
/// which records the address of every write).
pub async fn recent_from_address(
    pool: &Pool,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'raise' AND entity = 'concern' \
         AND user_id IS NULL AND ip = $1 AND at >= $2",
    )
    .bind(ip)
    .bind(since)
    .fetch_one(pool)
    .await
}
