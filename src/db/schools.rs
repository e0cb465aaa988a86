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
    /// `Open` or `Closed` (as GIAS says).
    pub status: String,
}

impl SchoolRow {
    pub fn is_closed(&self) -> bool {
        self.status == "Closed"
    }
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
    s.latitude, s.longitude, s.status FROM schools s LEFT JOIN localities l ON l.id = s.locality_id";

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

/// A school as stored, for matching an import against.
#[derive(Debug, Clone, FromRow)]
pub struct Existing {
    pub id: i64,
    pub urn: String,
    pub name: String,
    pub establishment_number: Option<String>,
    pub type_name: String,
    pub phase: String,
    pub status: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub locality_id: Option<i64>,
}

impl Existing {
    /// Whether writing `g` would change nothing.
    pub fn same_as(&self, g: &crate::schools::gias::GiasSchool, locality: Option<i64>) -> bool {
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-7,
            (None, None) => true,
            _ => false,
        };
        self.name == g.name
            && self.establishment_number.as_deref().unwrap_or("") == g.establishment_number
            && self.type_name == g.type_name
            && self.phase == g.phase
            && self.status == "Open"
            && self.postcode == g.postcode
            && near(self.latitude, g.point.map(|p| p.0))
            && near(self.longitude, g.point.map(|p| p.1))
            && self.locality_id == locality
    }
}

pub async fn existing(pool: &Pool) -> Result<Vec<Existing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, urn, name, establishment_number, type_name, phase, status, postcode, latitude, \
         longitude, locality_id FROM schools",
    )
    .fetch_all(pool)
    .await
}

pub async fn close<'e, E: Executor<'e, Database = Db>>(
    e: E,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE schools SET status = 'Closed', updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}

/// Adds a school from GIAS, or updates the one with its URN (reopening it if it was closed).
pub async fn upsert_gias<'e, E: Executor<'e, Database = Db>>(
    e: E,
    g: &crate::schools::gias::GiasSchool,
    locality_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO schools (urn, name, la_code, establishment_number, type_name, phase, status, postcode, \
         latitude, longitude, locality_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'Open', $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (urn) DO UPDATE SET name = excluded.name, la_code = excluded.la_code, \
         establishment_number = excluded.establishment_number, type_name = excluded.type_name, \
         phase = excluded.phase, status = 'Open', postcode = excluded.postcode, \
         latitude = excluded.latitude, longitude = excluded.longitude, locality_id = excluded.locality_id, \
         updated_at = excluded.updated_at",
    )
    .bind(&g.urn)
    .bind(&g.name)
    .bind(&g.la_code)
    .bind(&g.establishment_number)
    .bind(&g.type_name)
    .bind(&g.phase)
    .bind(&g.postcode)
    .bind(g.point.map(|p| p.0))
    .bind(g.point.map(|p| p.1))
    .bind(locality_id)
    .bind(at)
    .execute(e)
    .await?;
    Ok(())
}

/// The administrator's URN-to-locality table.
pub async fn locality_table(
    pool: &Pool,
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT urn, locality_id FROM school_localities")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Replaces the URN-to-locality table and applies it to the schools already here, in one
/// transaction. Returns how many schools' localities changed.
pub async fn replace_locality_table(
    pool: &Pool,
    rows: &[(String, i64)],
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM school_localities")
        .execute(&mut *tx)
        .await?;
    for (urn, locality) in rows {
        sqlx::query("INSERT INTO school_localities (urn, locality_id) VALUES ($1, $2)")
            .bind(urn)
            .bind(locality)
            .execute(&mut *tx)
            .await?;
    }
    let changed = sqlx::query(
        "UPDATE schools SET locality_id = (SELECT m.locality_id FROM school_localities m WHERE m.urn = schools.urn), \
         updated_at = $1 WHERE EXISTS (SELECT 1 FROM school_localities m WHERE m.urn = schools.urn \
         AND (schools.locality_id IS NULL OR schools.locality_id <> m.locality_id))",
    )
    .bind(at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(changed)
}

/// Schools by locality (None: no locality) and status, for the administrator's page.
pub async fn counts_by_locality(
    pool: &Pool,
) -> Result<Vec<(Option<String>, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.name, s.status, COUNT(*) FROM schools s LEFT JOIN localities l ON l.id = s.locality_id \
         GROUP BY l.name, s.status ORDER BY l.name, s.status",
    )
    .fetch_all(pool)
    .await
}
