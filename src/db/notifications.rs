//! Notifications, preferences, unsubscribe tokens, the mail outbox and job runs.
//! Every read of notifications is scoped to one user in SQL.

use super::{Conn, Pool};
use crate::domain::{Delivery, NoticeKind, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

/// Who a notification is for; a group is expanded to its active users when raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    Role(Role),
    School(i64),
    Provider(i64),
    Everyone,
}

#[derive(Debug, Clone, FromRow)]
pub struct RecipientRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
}

/// The active users a recipient stands for.
pub async fn expand(conn: &mut Conn, r: Recipient) -> Result<Vec<RecipientRow>, sqlx::Error> {
    const COLS: &str = "SELECT id, email, display_name, role FROM users WHERE active = $1";
    let rows = match r {
        Recipient::User(id) => {
            sqlx::query_as(&format!("{COLS} AND id = $2"))
                .bind(true)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        Recipient::Role(role) => {
            sqlx::query_as(&format!("{COLS} AND role = $2 ORDER BY id"))
                .bind(true)
                .bind(role.key())
                .fetch_all(&mut *conn)
                .await?
        }
        Recipient::School(id) => {
            sqlx::query_as(&format!("{COLS} AND school_id = $2 ORDER BY id"))
                .bind(true)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        Recipient::Provider(id) => {
            sqlx::query_as(&format!("{COLS} AND provider_id = $2 ORDER BY id"))
                .bind(true)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        Recipient::Everyone => {
            sqlx::query_as(&format!("{COLS} ORDER BY id"))
                .bind(true)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(rows)
}

/// The user's chosen delivery for a kind, or the default (straight away).
pub async fn delivery(
    conn: &mut Conn,
    user_id: i64,
    kind: NoticeKind,
) -> Result<Delivery, sqlx::Error> {
    let mode: Option<String> =
        sqlx::query_scalar("SELECT mode FROM notification_prefs WHERE user_id = $1 AND kind = $2")
            .bind(user_id)
            .bind(kind.key())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(mode
        .and_then(|m| Delivery::parse(&m).ok())
        .unwrap_or(kind.default_delivery())
        .for_kind(kind))
}

pub async fn preferences(
    pool: &Pool,
    user_id: i64,
) -> Result<Vec<(NoticeKind, Delivery)>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, mode FROM notification_prefs WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, m)| {
            let kind = NoticeKind::parse(&k).ok()?;
            Some((kind, Delivery::parse(&m).ok()?.for_kind(kind)))
        })
        .collect())
}

pub async fn set_preference(
    conn: &mut Conn,
    user_id: i64,
    kind: NoticeKind,
    mode: Delivery,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_prefs (user_id, kind, mode) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, kind) DO UPDATE SET mode = excluded.mode",
    )
    .bind(user_id)
    .bind(kind.key())
    .bind(mode.for_kind(kind).key())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut Conn,
    user_id: i64,
    kind: NoticeKind,
    body: &str,
    link: &str,
    mode: Delivery,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, body, link, mode, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(kind.key())
    .bind(body)
    .bind(link)
    .bind(mode.key())
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub body: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One page of a user's notifications, newest first.
pub async fn for_user(
    pool: &Pool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, body, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

pub async fn count_for_user(pool: &Pool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

pub async fn unread(pool: &Pool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// Marks one of the user's notifications read; returns its link, or None when it is not theirs.
pub async fn mark_read(
    pool: &Pool,
    user_id: i64,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3 RETURNING link",
    )
    .bind(at)
    .bind(id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

pub async fn mark_all_read(
    pool: &Pool,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(at)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// The user's unsubscribe token for a kind, made on first use.
pub async fn unsubscribe_token(
    conn: &mut Conn,
    user_id: i64,
    kind: NoticeKind,
) -> Result<String, sqlx::Error> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT token FROM unsubscribe_tokens WHERE user_id = $1 AND kind = $2")
            .bind(user_id)
            .bind(kind.key())
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(t) = existing {
        return Ok(t);
    }
    let token = crate::auth::random_token();
    sqlx::query("INSERT INTO unsubscribe_tokens (token, user_id, kind) VALUES ($1, $2, $3)")
        .bind(&token)
        .bind(user_id)
        .bind(kind.key())
        .execute(&mut *conn)
        .await?;
    Ok(token)
}

/// The user and kind an unsubscribe token stands for.
pub async fn by_unsubscribe_token(
    pool: &Pool,
    token: &str,
) -> Result<Option<(i64, NoticeKind, String)>, sqlx::Error> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT t.user_id, t.kind, u.email FROM unsubscribe_tokens t JOIN users u ON u.id = t.user_id WHERE t.token = $1",
    )
    .bind(token)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|(u, k, e)| Some((u, NoticeKind::parse(&k).ok()?, e))))
}

/// Users with notifications waiting for the digest, each with their kinds and counts.
pub async fn digest_due(
    pool: &Pool,
    up_to: DateTime<Utc>,
) -> Result<Vec<(i64, String, String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, n.kind, COUNT(*) FROM notifications n \
         JOIN users u ON u.id = n.user_id \
         WHERE n.mode = 'digest' AND n.digested_at IS NULL AND u.active = $1 AND n.created_at <= $2 \
         GROUP BY u.id, u.email, u.display_name, n.kind ORDER BY u.id, n.kind",
    )
    .bind(true)
    .bind(up_to)
    .fetch_all(pool)
    .await
}

/// Marks what a user's digest listed, up to the newest id it saw.
pub async fn mark_digested(
    conn: &mut Conn,
    user_id: i64,
    up_to: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE notifications SET digested_at = $1 \
         WHERE user_id = $2 AND mode = 'digest' AND digested_at IS NULL AND created_at <= $3",
    )
    .bind(at)
    .bind(user_id)
    .bind(up_to)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
