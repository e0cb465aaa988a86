//! Server-side sessions and the sign-in attempt log behind the rate limit.

use super::{Db, Pool};
use chrono::{DateTime, Utc};
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub school_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub active: bool,
    pub org_name: Option<String>,
}

pub async fn create<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
    at: DateTime<Utc>,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(at)
    .bind(at)
    .bind(ip)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn load(pool: &Pool, id_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT se.id, se.user_id, se.csrf_token, se.created_at, se.last_seen_at, u.email, u.display_name, \
         u.role, u.school_id, u.provider_id, u.active, COALESCE(s.name, p.name) AS org_name \
         FROM sessions se JOIN users u ON u.id = se.user_id \
         LEFT JOIN schools s ON s.id = u.school_id LEFT JOIN providers p ON p.id = u.provider_id \
         WHERE se.id = $1",
    )
    .bind(id_hash)
    .fetch_optional(pool)
    .await
}

pub async fn touch(pool: &Pool, id_hash: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id_hash)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id_hash)
        .execute(e)
        .await?;
    Ok(())
}

/// Ends every session of a user (deactivation, password change).
pub async fn delete_for_user<'e, E: Executor<'e, Database = Db>>(
    e: E,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(e)
        .await?
        .rows_affected())
}

/// Removes sessions past their idle or absolute limit.
pub async fn purge_expired(
    pool: &Pool,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

pub async fn record_attempt(
    pool: &Pool,
    email: &str,
    ip: &str,
    at: DateTime<Utc>,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_attempts (email, ip, attempted_at, succeeded) VALUES ($1, $2, $3, $4)",
    )
    .bind(email)
    .bind(ip)
    .bind(at)
    .bind(succeeded)
    .execute(pool)
    .await?;
    Ok(())
}

/// Failed attempts since `since`, for this account and for this address.
pub async fn recent_failures(
    pool: &Pool,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let by_email: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE email = $1 AND attempted_at >= $2 AND succeeded = $3",
    )
    .bind(email)
    .bind(since)
    .bind(false)
    .fetch_one(pool)
    .await?;
    let by_ip: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND attempted_at >= $2 AND succeeded = $3",
    )
    .bind(ip)
    .bind(since)
    .bind(false)
    .fetch_one(pool)
    .await?;
    Ok((by_email, by_ip))
}

/// The attempt log is only needed for the rate-limit window; old rows are dropped.
pub async fn purge_attempts(pool: &Pool, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM login_attempts WHERE attempted_at < $1")
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
