//! Framework rounds (Sheffield's is a 3-year cycle) and the providers admitted to each, with
//! their lot and contract dates. A provider is "on the framework" while it is a member of a
//! round that is running; `sync` keeps the provider's own flag and lot in step.

use super::{Conn, Pool};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Round {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub async fn rounds(pool: &Pool) -> Result<Vec<Round>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, starts_on, ends_on FROM framework_rounds ORDER BY starts_on DESC, id DESC")
        .fetch_all(pool)
        .await
}

pub async fn round(pool: &Pool, id: i64) -> Result<Option<Round>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, starts_on, ends_on FROM framework_rounds WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn insert_round(
    conn: &mut Conn,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO framework_rounds (name, starts_on, ends_on) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(starts_on)
    .bind(ends_on)
    .fetch_optional(&mut *conn)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Member {
    pub round_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub lot: String,
    pub contract_signed_on: Option<NaiveDate>,
    pub contract_ends_on: Option<NaiveDate>,
}

pub async fn members(pool: &Pool) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.round_id, m.provider_id, p.name AS provider_name, p.slug AS provider_slug, m.lot, \
         m.contract_signed_on, m.contract_ends_on FROM framework_members m \
         JOIN providers p ON p.id = m.provider_id ORDER BY p.name",
    )
    .fetch_all(pool)
    .await
}

pub async fn upsert_member(
    conn: &mut Conn,
    round_id: i64,
    provider_id: i64,
    lot: &str,
    signed: Option<NaiveDate>,
    ends: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO framework_members (round_id, provider_id, lot, contract_signed_on, contract_ends_on) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (round_id, provider_id) DO UPDATE SET lot = excluded.lot, \
         contract_signed_on = excluded.contract_signed_on, contract_ends_on = excluded.contract_ends_on",
    )
    .bind(round_id)
    .bind(provider_id)
    .bind(lot)
    .bind(signed)
    .bind(ends)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn remove_member(
    conn: &mut Conn,
    round_id: i64,
    provider_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM framework_members WHERE round_id = $1 AND provider_id = $2")
            .bind(round_id)
            .bind(provider_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Sets the provider's `on_framework` and lot from its membership of a round running today.
pub async fn sync(
    conn: &mut Conn,
    provider_id: i64,
    today: NaiveDate,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let lot: Option<String> = sqlx::query_scalar(
        "SELECT m.lot FROM framework_members m JOIN framework_rounds r ON r.id = m.round_id \
         WHERE m.provider_id = $1 AND r.starts_on <= $2 AND r.ends_on >= $2 ORDER BY r.starts_on DESC LIMIT 1",
    )
    .bind(provider_id)
    .bind(today)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE providers SET on_framework = $1, framework_lot = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(lot.is_some())
    .bind(lot)
    .bind(at)
    .bind(provider_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
