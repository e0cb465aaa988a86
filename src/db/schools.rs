//! Schools (from GIAS; the demo generates Sheffield-like ones).

use super::{Db, Pool};
use chrono::{DateTime, Utc};
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct SchoolRow {
    pub id: i64,
    pub urn: String,
    pub name: String,
    pub phase: String,
    pub type_name: String,
    pub postcode: String,
    pub locality_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

pub struct NewSchool<'a> {
    pub urn: &'a str,
    pub name: &'a str,
    pub la_code: &'a str,
    pub establishment_number: &'a str,
    pub type_name: &'a str,
    pub phase: &'a str,
    pub postcode: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub locality_id: Option<i64>,
}

pub async fn insert<'e, E: Executor<'e, Database = Db>>(
    e: E,
    s: &NewSchool<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO schools (urn, name, la_code, establishment_number, type_name, phase, status, postcode, \
         latitude, longitude, locality_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(s.urn)
    .bind(s.name)
    .bind(s.la_code)
    .bind(s.establishment_number)
    .bind(s.type_name)
    .bind(s.phase)
    .bind("Open")
    .bind(s.postcode)
    .bind(s.latitude)
    .bind(s.longitude)
    .bind(s.locality_id)
    .bind(at)
    .bind(at)
    .fetch_one(e)
    .await
}

const SELECT: &str =
    "SELECT s.id, s.urn, s.name, s.phase, s.type_name, s.postcode, l.name AS locality_name, \
    s.latitude, s.longitude FROM schools s LEFT JOIN localities l ON l.id = s.locality_id";

pub async fn get(pool: &Pool, id: i64) -> Result<Option<SchoolRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn by_urn(pool: &Pool, urn: &str) -> Result<Option<SchoolRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE s.urn = $1"))
        .bind(urn)
        .fetch_optional(pool)
        .await
}

pub async fn list(pool: &Pool) -> Result<Vec<SchoolRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} ORDER BY s.name"))
        .fetch_all(pool)
        .await
}
