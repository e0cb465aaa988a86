//! Notifications: the one mechanism every capability uses to tell people something.
//!
//! A capability calls `notify::raise(&mut tx, &config, notice)` inside its own transaction. The
//! recipient (a user, a role, a school's or a provider's staff, or everyone) is expanded to
//! active users; each gets an inbox row, and by their preference an email now (queued in the
//! outbox, in the same transaction), a line in the daily digest, or nothing more. Emails never
//! carry the notification's text, only that there is something to see and a link, so no pupil
//! data can leave in an email.

pub mod mail;
pub mod pages;
pub mod runner;

use crate::config::Config;
use crate::db::notifications::{self as store, Recipient, RecipientRow};
use crate::db::{self, outbox, Conn};
use crate::domain::{text, Delivery, InternalLink, Invalid, NoticeKind};

/// Something to tell people. Built through `Notice::new`, which checks the text and link.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub to: Recipient,
    /// Shown in the inbox only (never emailed).
    pub body: String,
    pub link: InternalLink,
}

impl Notice {
    pub fn new(kind: NoticeKind, to: Recipient, body: &str, link: &str) -> Result<Notice, Invalid> {
        Ok(Notice {
            kind,
            to,
            body: text::paragraph(body, "the notification", 2000, true)?,
            link: InternalLink::parse(link)?,
        })
    }
}

/// What raising a notice did (tests and audit details read it).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub recipients: usize,
    pub emailed: usize,
    pub for_digest: usize,
}

/// Records the notice for every recipient and queues emails. Call inside the caller's
/// transaction, so the notice exists exactly when what caused it does.
pub async fn raise(
    conn: &mut Conn,
    config: &Config,
    notice: &Notice,
) -> Result<Raised, sqlx::Error> {
    let users = store::expand(conn, notice.to).await?;
    let now = db::now();
    let mut raised = Raised::default();
    for user in users {
        let mode = store::delivery(conn, user.id, notice.kind).await?;
        store::insert(
            conn,
            user.id,
            notice.kind,
            &notice.body,
            notice.link.as_str(),
            mode,
            now,
        )
        .await?;
        raised.recipients += 1;
        match mode {
            Delivery::Immediate => {
                queue_notice_mail(conn, config, &user, notice).await?;
                raised.emailed += 1;
            }
            Delivery::Digest => raised.for_digest += 1,
            Delivery::Off => {}
        }
    }
    Ok(raised)
}

async fn queue_notice_mail(
    conn: &mut Conn,
    config: &Config,
    user: &RecipientRow,
    notice: &Notice,
) -> Result<(), sqlx::Error> {
    let unsubscribe = if notice.kind.safeguarding() {
        String::new()
    } else {
        let token = store::unsubscribe_token(conn, user.id, notice.kind).await?;
        format!("{}/unsubscribe/{token}", config.public_url)
    };
    let content = mail::notice_content(config, user, notice.kind, &notice.link, &unsubscribe);
    let message_id = mail::new_message_id(config);
    outbox::enqueue(
        conn,
        &outbox::NewMail {
            message_id: &message_id,
            user_id: Some(user.id),
            to_address: &user.email,
            kind: notice.kind.key(),
            subject: &content.subject,
            body_text: &content.text,
            body_html: &content.html,
            unsubscribe_url: &unsubscribe,
        },
        db::now(),
    )
    .await?;
    Ok(())
}

/// The daily digest: one email per user listing, by kind, what waits in their inbox; each
/// notification is listed once (marked in the same transaction as the mail is queued).
pub async fn send_digests(pool: &db::Pool, config: &Config) -> Result<usize, sqlx::Error> {
    let cutoff = db::now();
    let rows = store::digest_due(pool, cutoff).await?;
    let mut by_user: Vec<(RecipientRow, Vec<(NoticeKind, i64)>)> = Vec::new();
    for (id, email, display_name, kind, count) in rows {
        let Ok(kind) = NoticeKind::parse(&kind) else {
            continue;
        };
        match by_user.last_mut() {
            Some((u, kinds)) if u.id == id => kinds.push((kind, count)),
            _ => by_user.push((
                RecipientRow {
                    id,
                    email,
                    display_name,
                    role: String::new(),
                },
                vec![(kind, count)],
            )),
        }
    }
    let mut sent = 0;
    for (user, kinds) in by_user {
        let mut tx = crate::db::write(pool).await?;
        let marked = store::mark_digested(&mut tx, user.id, cutoff, db::now()).await?;
        if marked == 0 {
            // Another instance took these between the read and now.
            continue;
        }
        let content = mail::digest_content(config, &user, &kinds);
        let message_id = mail::new_message_id(config);
        outbox::enqueue(
            &mut tx,
            &outbox::NewMail {
                message_id: &message_id,
                user_id: Some(user.id),
                to_address: &user.email,
                kind: "digest",
                subject: &content.subject,
                body_text: &content.text,
                body_html: &content.html,
                unsubscribe_url: "",
            },
            db::now(),
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
