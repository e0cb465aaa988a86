//! Accounts. Emails are stored lower-cased (see `domain::Email`).

use super::{Db, Pool};
use crate::domain::{Email, Role};
use chrono::{DateTime, Utc};
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub school_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The school's or provider's name, for lists.
    pub org_name: Option<String>,
}

#[derive(Debug, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub school_id: Option<i64>,
    pub provider_id: Option<i64>,
}

const SELECT_USER: &str = "SELECT u.id, u.email, u.display_name, u.role, u.school_id, u.provider_id, \
    u.active, u.created_at, u.last_login_at, COALESCE(s.name, p.name) AS org_name \
    FROM users u LEFT JOIN schools s ON s.id = u.school_id LEFT JOIN providers p ON p.id = u.provider_id";

pub async fn credentials(pool: &Pool, email: &str) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as("SELECT id, password_hash, active FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

pub async fn create<'e, E: Executor<'e, Database = Db>>(
    e: E,
    u: &NewUser<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role, school_id, provider_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(u.email.as_str())
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.role.key())
    .bind(u.school_id)
    .bind(u.provider_id)
    .bind(true)
    .bind(at)
    .fetch_one(e)
    .await
}

pub async fn get(pool: &Pool, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_USER} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list(pool: &Pool) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_USER} ORDER BY u.role, u.email"))
        .fetch_all(pool)
        .await
}

pub async fn set_active<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id: i64,
    active: bool,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(id)
        .execute(e)
        .await?
        .rows_affected())
}

pub async fn set_password<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id: i64,
    hash: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(e)
            .await?
            .rows_affected(),
    )
}

pub async fn touch_login<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .map(|d| d.is_unique_violation())
        .unwrap_or(false)
}
