//! The durable mail outbox and the job-run claims.
//!
//! A mail is queued in the transaction that caused it. The sender claims one due row at a time
//! (`sending`, with the time of the claim), sends it, and marks it `sent`. A claim older than
//! the lease (the sender died mid-send) is taken again, so every mail is sent at least once;
//! the row, and so the record, is only ever one, and a repeat carries the same Message-ID.

use super::{Conn, Pool};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::FromRow;

/// After this many failed attempts a mail is `failed` and waits for an admin to retry it.
pub const MAX_ATTEMPTS: i64 = 8;

/// The default time after which a claim is presumed abandoned by a sender that stopped
/// (`Config::mail_lease_seconds`).
pub fn lease() -> Duration {
    Duration::minutes(2)
}

pub struct NewMail<'a> {
    pub message_id: &'a str,
    pub user_id: Option<i64>,
    pub to_address: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub unsubscribe_url: &'a str,
}

pub async fn enqueue(
    conn: &mut Conn,
    m: &NewMail<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO mail_outbox (message_id, user_id, to_address, kind, subject, body_text, body_html, \
         unsubscribe_url, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $9) RETURNING id",
    )
    .bind(m.message_id)
    .bind(m.user_id)
    .bind(m.to_address)
    .bind(m.kind)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(m.unsubscribe_url)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct MailRow {
    pub id: i64,
    pub message_id: String,
    pub to_address: String,
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub unsubscribe_url: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

const COLS: &str =
    "id, message_id, to_address, kind, subject, body_text, body_html, unsubscribe_url, \
    status, attempts, next_attempt_at, sent_at, last_error, created_at";

/// Returns claims older than the lease to the queue. Returns how many.
pub async fn recover_abandoned(
    pool: &Pool,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE mail_outbox SET status = 'queued', claimed_at = NULL WHERE status = 'sending' AND claimed_at < $1",
    )
    .bind(now - lease)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Claims the oldest due mail, if any. Only one sender can win a row.
pub async fn claim(pool: &Pool, now: DateTime<Utc>) -> Result<Option<MailRow>, sqlx::Error> {
    loop {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(pool)
        .await?;
        let Some(id) = next else {
            return Ok(None);
        };
        let row: Option<MailRow> = sqlx::query_as(&format!(
            "UPDATE mail_outbox SET status = 'sending', claimed_at = $1, attempts = attempts + 1 \
             WHERE id = $2 AND status = 'queued' RETURNING {COLS}"
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(pool)
        .await?;
        if row.is_some() {
            return Ok(row);
        }
        // Another sender took it first: look again.
    }
}

pub async fn mark_sent(pool: &Pool, id: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mail_outbox SET status = 'sent', sent_at = $1, claimed_at = NULL, last_error = '' WHERE id = $2",
    )
    .bind(at)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Backoff: 1, 2, 4 ... minutes, at most 6 hours; after `MAX_ATTEMPTS` the mail is `failed`.
pub fn retry_after(attempts: i64) -> Duration {
    let minutes = 1i64 << attempts.clamp(1, 20).saturating_sub(1);
    Duration::minutes(minutes.min(360))
}

pub async fn mark_failed(
    pool: &Pool,
    row: &MailRow,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let status = if row.attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "queued"
    };
    let error: String = error.chars().take(500).collect();
    sqlx::query(
        "UPDATE mail_outbox SET status = $1, next_attempt_at = $2, claimed_at = NULL, last_error = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(now + retry_after(row.attempts))
    .bind(error)
    .bind(row.id)
    .execute(pool)
    .await?;
    Ok(())
}

/// An admin's retry of a failed (or waiting) mail: due now, attempts counted afresh.
pub async fn retry(pool: &Pool, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE mail_outbox SET status = 'queued', attempts = 0, next_attempt_at = $1 \
         WHERE id = $2 AND status IN ('failed', 'queued')",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

/// The newest mails for the admin page, optionally of one status.
pub async fn recent(
    pool: &Pool,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<MailRow>, sqlx::Error> {
    match status {
        Some(s) => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM mail_outbox WHERE status = $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(s)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLS} FROM mail_outbox ORDER BY id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(pool)
            .await
        }
    }
}

pub async fn get(pool: &Pool, id: i64) -> Result<Option<MailRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM mail_outbox WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn count_by_status(pool: &Pool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, COUNT(*) FROM mail_outbox GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await
}

/// Claims today's run of a job; false when it has already been claimed (by this or another
/// instance, before or after a restart).
pub async fn claim_job(
    pool: &Pool,
    job: &str,
    run_date: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO job_runs (job, run_date, started_at) VALUES ($1, $2, $3) ON CONFLICT (job, run_date) DO NOTHING",
    )
    .bind(job)
    .bind(run_date)
    .bind(at)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

pub async fn finish_job(
    pool: &Pool,
    job: &str,
    run_date: &str,
    outcome: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE job = $3 AND run_date = $4",
    )
    .bind(at)
    .bind(outcome)
    .bind(job)
    .bind(run_date)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct JobRun {
    pub job: String,
    pub run_date: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: String,
}

pub async fn job_runs(pool: &Pool, limit: i64) -> Result<Vec<JobRun>, sqlx::Error> {
    sqlx::query_as(
        "SELECT job, run_date, started_at, finished_at, outcome FROM job_runs ORDER BY started_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
