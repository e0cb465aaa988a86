//! The append-only audit log (the database refuses UPDATE and DELETE on it).

use super::{Db, Pool};
use chrono::{DateTime, Utc};
use sqlx::{Executor, FromRow};

/// One audited event. `detail` must never hold pupil names or other pupil data: the entity id
/// says which record, the row says who and when.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub detail: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub detail: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

pub async fn record<'e, E: Executor<'e, Database = Db>>(
    e: E,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, role, action, entity, entity_id, detail, ip, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.at)
    .bind(entry.user_id)
    .bind(&entry.role)
    .bind(&entry.action)
    .bind(&entry.entity)
    .bind(&entry.entity_id)
    .bind(&entry.detail)
    .bind(&entry.ip)
    .bind(&entry.request_id)
    .execute(e)
    .await?;
    Ok(())
}

/// Newest first. `entity` narrows to one kind of record when given.
pub async fn list(
    pool: &Pool,
    entity: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, a.at, a.user_id, u.email AS user_email, a.role, a.action, a.entity, a.entity_id, \
         a.detail, a.ip, a.request_id FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
         WHERE ($1 IS NULL OR a.entity = $1) ORDER BY a.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(entity)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn count(pool: &Pool, entity: Option<&str>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE ($1 IS NULL OR entity = $1)")
        .bind(entity)
        .fetch_one(pool)
        .await
}

/// Who did what with one pupil's record and placements, oldest first (for a subject access
/// export: staff addresses and request ids are left out).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AccessRow {
    pub at: DateTime<Utc>,
    pub user_email: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
}

pub async fn about_pupil(
    pool: &Pool,
    pupil_id: i64,
    placement_ids: &[String],
) -> Result<Vec<AccessRow>, sqlx::Error> {
    const COLS: &str =
        "SELECT a.at, u.email AS user_email, a.role, a.action, a.entity, a.entity_id \
        FROM audit_log a LEFT JOIN users u ON u.id = a.user_id";
    let mut rows: Vec<AccessRow> = sqlx::query_as(&format!(
        "{COLS} WHERE a.entity = 'pupil' AND a.entity_id = $1 ORDER BY a.id"
    ))
    .bind(pupil_id.to_string())
    .fetch_all(pool)
    .await?;
    for id in placement_ids {
        rows.extend(
            sqlx::query_as::<_, AccessRow>(&format!(
                "{COLS} WHERE a.entity LIKE 'placement%' AND a.entity_id = $1 ORDER BY a.id"
            ))
            .bind(id)
            .fetch_all(pool)
            .await?,
        );
    }
    rows.sort_by_key(|r| r.at);
    Ok(rows)
}
