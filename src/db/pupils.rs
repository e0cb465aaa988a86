//! Pupils. Pupil-level data: every query takes a `PupilScope`, which becomes part of the SQL
//! `WHERE`, so a list, a single record and an export can never disagree about who may see what.

use super::{Db, Pool};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Executor, FromRow};

/// Who is asking. Built only from a signed-in user's role (see `auth::guards`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PupilScope {
    /// Pupils whose home (commissioning) school is this school.
    School(i64),
    /// Pupils offered to or placed with this provider.
    Provider(i64),
    /// The LA Progressions Team sees every pupil.
    Progressions,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PupilRow {
    pub id: i64,
    pub upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub home_school_id: i64,
    pub home_school_name: String,
    pub sen_status: String,
    pub looked_after: bool,
    pub needs_summary: String,
    pub anonymised_at: Option<DateTime<Utc>>,
}

pub struct NewPupil<'a> {
    pub upn: &'a str,
    pub legal_forename: &'a str,
    pub legal_surname: &'a str,
    pub preferred_name: Option<&'a str>,
    pub date_of_birth: NaiveDate,
    pub home_school_id: i64,
    pub sen_status: &'a str,
    pub looked_after: bool,
    pub needs_summary: &'a str,
}

pub async fn insert<'e, E: Executor<'e, Database = Db>>(
    e: E,
    p: &NewPupil<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO pupils (upn, legal_forename, legal_surname, preferred_name, date_of_birth, home_school_id, \
         sen_status, looked_after, needs_summary, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(p.upn)
    .bind(p.legal_forename)
    .bind(p.legal_surname)
    .bind(p.preferred_name)
    .bind(p.date_of_birth)
    .bind(p.home_school_id)
    .bind(p.sen_status)
    .bind(p.looked_after)
    .bind(p.needs_summary)
    .bind(at)
    .bind(at)
    .fetch_one(e)
    .await
}

/// The scope as a SQL predicate over `p` (pupils). Each scope has a predicate of its own, rather
/// than one with `OR`, so SQLite and PostgreSQL can use the index on the home school.
/// `$1` is the scope's organisation id when it has one.
fn scope_sql(scope: PupilScope) -> (&'static str, Option<i64>) {
    match scope {
        PupilScope::School(id) => ("p.home_school_id = $1", Some(id)),
        // A provider sees the pupils offered to or placed with it (never after a decline).
        PupilScope::Provider(id) => (
            "EXISTS (SELECT 1 FROM placements pl WHERE pl.pupil_id = p.id AND pl.provider_id = $1 \
             AND pl.status IN ('offered', 'accepted', 'active', 'ended'))",
            Some(id),
        ),
        PupilScope::Progressions => ("$1 IS NULL", None),
    }
}

const SELECT: &str =
    "SELECT p.id, p.upn, p.legal_forename, p.legal_surname, p.preferred_name, p.date_of_birth, \
    p.home_school_id, s.name AS home_school_name, p.sen_status, p.looked_after, p.needs_summary, \
    p.anonymised_at \
    FROM pupils p JOIN schools s ON s.id = p.home_school_id";

/// One page of the pupils the scope can see, by surname.
pub async fn list(
    pool: &Pool,
    scope: PupilScope,
    limit: i64,
    offset: i64,
) -> Result<Vec<PupilRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "{SELECT} WHERE {pred} ORDER BY p.legal_surname, p.legal_forename, p.id LIMIT $2 OFFSET $3"
    ))
    .bind(org)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn get(pool: &Pool, scope: PupilScope, id: i64) -> Result<Option<PupilRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!("{SELECT} WHERE {pred} AND p.id = $2"))
        .bind(org)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// How many pupils the scope can see (counting is not reading pupil data).
pub async fn count(pool: &Pool, scope: PupilScope) -> Result<i64, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM pupils p WHERE {pred}"))
        .bind(org)
        .fetch_one(pool)
        .await
}

/// The pupil with this UPN, whoever's they are: for the duplicate check when a pupil is added
/// (the answer names no one; it only says the record exists).
pub async fn id_by_upn(pool: &Pool, upn: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT id, home_school_id FROM pupils WHERE upn = $1")
        .bind(upn)
        .fetch_optional(pool)
        .await
}

/// Pupils of one school, by name, for the request form's choice.
pub async fn of_school(pool: &Pool, school_id: i64) -> Result<Vec<PupilRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE p.home_school_id = $1 AND p.anonymised_at IS NULL ORDER BY p.legal_surname, p.legal_forename, p.id"
    ))
    .bind(school_id)
    .fetch_all(pool)
    .await
}
