//! API tokens: one organisation's system. The token is shown once; only its SHA-256 is kept.

use super::{Pool, Tx};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub school_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub organisation: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT t.id, t.name, t.school_id, t.provider_id, \
    COALESCE(s.name, p.name, '') AS organisation, t.created_at, t.last_used_at, t.revoked_at \
    FROM api_tokens t LEFT JOIN schools s ON s.id = t.school_id LEFT JOIN providers p ON p.id = t.provider_id";

pub async fn list(pool: &Pool) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC"
    ))
    .fetch_all(pool)
    .await
}

pub async fn create(
    tx: &mut Tx<'_>,
    hash: &str,
    name: &str,
    school_id: Option<i64>,
    provider_id: Option<i64>,
    by: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (token_hash, name, school_id, provider_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(hash)
    .bind(name)
    .bind(school_id)
    .bind(provider_id)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// Revokes a live token; `None` if there is no such live token.
pub async fn revoke(
    tx: &mut Tx<'_>,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING name",
    )
    .bind(id)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
}

/// The live token with this hash, noting its use (at most once a minute).
pub async fn by_hash(
    pool: &Pool,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRow>, sqlx::Error> {
    let row: Option<TokenRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    if let Some(t) = &row {
        if t.last_used_at
            .is_none_or(|u| now - u > chrono::Duration::minutes(1))
        {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(t.id)
                .bind(now)
                .execute(pool)
                .await?;
        }
    }
    Ok(row)
}
