//! The term calendar: terms and closures, as the admin keeps them.

use super::{Db, Pool};
use crate::domain::calendar::{Calendar, Term};
use chrono::NaiveDate;
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct TermRow {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ClosureRow {
    pub on_date: NaiveDate,
    pub reason: String,
}

pub async fn terms(pool: &Pool) -> Result<Vec<TermRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, starts_on, ends_on FROM term_dates ORDER BY starts_on")
        .fetch_all(pool)
        .await
}

pub async fn closures(pool: &Pool) -> Result<Vec<ClosureRow>, sqlx::Error> {
    sqlx::query_as("SELECT on_date, reason FROM closures ORDER BY on_date")
        .fetch_all(pool)
        .await
}

/// The whole calendar (a few dozen rows).
pub async fn load(pool: &Pool) -> Result<Calendar, sqlx::Error> {
    let terms = terms(pool).await?;
    let closures = closures(pool).await?;
    Ok(Calendar::new(
        terms
            .into_iter()
            .map(|t| Term {
                name: t.name,
                starts_on: t.starts_on,
                ends_on: t.ends_on,
            })
            .collect(),
        closures.into_iter().map(|c| c.on_date),
    ))
}

/// A term that overlaps `starts_on..=ends_on`, other than `except`.
pub async fn overlapping(
    pool: &Pool,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM term_dates WHERE starts_on <= $2 AND ends_on >= $1 ORDER BY starts_on LIMIT 1",
    )
    .bind(starts_on)
    .bind(ends_on)
    .fetch_optional(pool)
    .await
}

pub async fn add_term<'e, E: Executor<'e, Database = Db>>(
    e: E,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO term_dates (name, starts_on, ends_on) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(starts_on)
    .bind(ends_on)
    .fetch_one(e)
    .await
}

pub async fn delete_term<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id: i64,
) -> Result<Option<TermRow>, sqlx::Error> {
    sqlx::query_as("DELETE FROM term_dates WHERE id = $1 RETURNING id, name, starts_on, ends_on")
        .bind(id)
        .fetch_optional(e)
        .await
}

/// Adds a closure; `false` when the date is already closed.
pub async fn add_closure<'e, E: Executor<'e, Database = Db>>(
    e: E,
    on_date: NaiveDate,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO closures (on_date, reason) VALUES ($1, $2) ON CONFLICT (on_date) DO NOTHING",
    )
    .bind(on_date)
    .bind(reason)
    .execute(e)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_closure<'e, E: Executor<'e, Database = Db>>(
    e: E,
    on_date: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("DELETE FROM closures WHERE on_date = $1")
        .bind(on_date)
        .execute(e)
        .await?;
    Ok(r.rows_affected() == 1)
}
