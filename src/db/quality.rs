//! Quality visits and their actions; framework rounds and members.

use super::{Conn, Pool};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;

/// The four themes of the DfE voluntary national standards for non-school AP (August 2025).
pub const THEMES: [(&str, &str); 4] = [
    ("safeguarding", "Safeguarding and welfare"),
    ("health_safety", "Health and safety"),
    ("admissions", "Admissions, support and guidance"),
    ("education", "Quality of education"),
];

pub fn score_words(score: i64) -> &'static str {
    match score {
        4 => "Strong",
        3 => "Secure",
        2 => "Developing",
        _ => "Inadequate",
    }
}

pub struct NewVisit<'a> {
    pub provider_id: i64,
    pub kind: &'a str,
    pub visit_date: NaiveDate,
    pub officer_id: Option<i64>,
    pub scores: [i64; 4],
    pub strengths: &'a str,
    pub improvements: &'a str,
    pub pupil_voice: &'a str,
}

pub async fn insert_visit(
    conn: &mut Conn,
    v: &NewVisit<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO quality_visits (provider_id, kind, visit_date, officer_id, score_safeguarding, score_health_safety, \
         score_admissions, score_education, strengths, improvements, pupil_voice, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(v.provider_id)
    .bind(v.kind)
    .bind(v.visit_date)
    .bind(v.officer_id)
    .bind(v.scores[0])
    .bind(v.scores[1])
    .bind(v.scores[2])
    .bind(v.scores[3])
    .bind(v.strengths)
    .bind(v.improvements)
    .bind(v.pupil_voice)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

pub async fn insert_action(
    conn: &mut Conn,
    visit_id: i64,
    provider_id: i64,
    action: &str,
    owner: &str,
    due_on: NaiveDate,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO visit_actions (visit_id, provider_id, action, owner, due_on) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(visit_id)
    .bind(provider_id)
    .bind(action)
    .bind(owner)
    .bind(due_on)
    .fetch_one(&mut *conn)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct VisitRow {
    pub id: i64,
    pub kind: String,
    pub visit_date: NaiveDate,
    pub officer_email: Option<String>,
    pub score_safeguarding: i64,
    pub score_health_safety: i64,
    pub score_admissions: i64,
    pub score_education: i64,
    pub strengths: String,
    pub improvements: String,
    pub pupil_voice: String,
}

pub async fn visits(pool: &Pool, provider_id: i64) -> Result<Vec<VisitRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, v.kind, v.visit_date, u.email AS officer_email, v.score_safeguarding, v.score_health_safety, \
         v.score_admissions, v.score_education, v.strengths, v.improvements, v.pupil_voice \
         FROM quality_visits v LEFT JOIN users u ON u.id = v.officer_id WHERE v.provider_id = $1 \
         ORDER BY v.visit_date DESC, v.id DESC",
    )
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ActionRow {
    pub id: i64,
    pub visit_id: i64,
    pub provider_id: i64,
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub response: String,
    pub responded_at: Option<DateTime<Utc>>,
}

const ACTION_COLS: &str =
    "id, visit_id, provider_id, action, owner, due_on, status, response, responded_at";

pub async fn actions(pool: &Pool, provider_id: i64) -> Result<Vec<ActionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ACTION_COLS} FROM visit_actions WHERE provider_id = $1 ORDER BY due_on, id"
    ))
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

/// One action, only if it belongs to `provider_id` (the access rule in SQL).
pub async fn action_of(
    pool: &Pool,
    id: i64,
    provider_id: i64,
) -> Result<Option<ActionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ACTION_COLS} FROM visit_actions WHERE id = $1 AND provider_id = $2"
    ))
    .bind(id)
    .bind(provider_id)
    .fetch_optional(pool)
    .await
}

pub async fn action(pool: &Pool, id: i64) -> Result<Option<ActionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ACTION_COLS} FROM visit_actions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn respond(
    conn: &mut Conn,
    id: i64,
    response: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE visit_actions SET response = $1, responded_at = $2 WHERE id = $3")
        .bind(response)
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn complete(conn: &mut Conn, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE visit_actions SET status = 'done', completed_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Overdue {
    pub id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
}

/// Open actions past their due date, oldest first.
pub async fn overdue(pool: &Pool, today: NaiveDate) -> Result<Vec<Overdue>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id, p.name AS provider_name, p.slug AS provider_slug, a.action, a.owner, a.due_on \
         FROM visit_actions a JOIN providers p ON p.id = a.provider_id \
         WHERE a.status = 'open' AND a.due_on < $1 ORDER BY a.due_on, a.id",
    )
    .bind(today)
    .fetch_all(pool)
    .await
}
