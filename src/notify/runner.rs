//! The job runner and the mail sender, inside the server.
//!
//! Jobs run once a day at a time of day in Europe/London (so the digest comes at 07:00 in
//! summer and winter alike). A run is claimed in `job_runs` for the London date before it
//! starts, so a restart, or a second instance on the same PostgreSQL, never runs it twice; a
//! server that was down at the time runs the job when it starts, the same day.
//! The sender polls the outbox every second and sends what is due, one mail at a time.

use super::mail::{self, Transport};
use crate::config::Config;
use crate::db::{self, outbox, Pool};
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Europe::London;
use serde::Serialize;
use std::sync::Arc;

/// A daily job.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub name: &'static str,
    pub description: &'static str,
    /// Time of day, Europe/London.
    pub at: NaiveTime,
}

/// `HH:MM`, checked (config is read at start, so a bad value is an error there).
pub fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| format!("a time of day must be HH:MM, like 07:00 (got {s:?})"))
}

/// Every daily job. Later capabilities add theirs (the missing-register check, the
/// due-diligence expiry scan).
pub fn jobs(config: &Config) -> Result<Vec<Job>, String> {
    let am = parse_time(&config.register_cutoff_am)?;
    let pm = parse_time(&config.register_cutoff_pm)?;
    let later = chrono::Duration::minutes(config.register_escalate_minutes.clamp(0, 600));
    Ok(vec![
        Job {
            name: "registers-am",
            description: "Tells providers whose morning register is not taken by the cut-off",
            at: am,
        },
        Job {
            name: "registers-am-escalate",
            description: "Tells schools and the Progressions Team of morning registers still missing",
            at: am + later,
        },
        Job {
            name: "registers-pm",
            description: "Tells providers whose afternoon register is not taken by the cut-off",
            at: pm,
        },
        Job {
            name: "registers-pm-escalate",
            description: "Tells schools and the Progressions Team of afternoon registers still missing",
            at: pm + later,
        },
        Job {
            name: "daily-digest",
            description: "Emails each user who chose the daily summary what waits in their inbox",
            at: parse_time(&config.digest_time)?,
        },
        Job {
            name: "due-diligence",
            description: "Recomputes every provider's due-diligence status and sends expiry reminders (30 and 7 days before, and on lapse)",
            at: parse_time("01:00")?,
        },
        Job {
            name: "placements",
            description: "Notifies reviews due and overdue, maximum periods ending and sixth-day deadlines, each once",
            at: parse_time("01:30")?,
        },
        Job {
            name: "housekeeping",
            description: "Removes expired sessions and old sign-in attempts, and anonymises pupil records past the retention period",
            at: parse_time("02:30")?,
        },
    ])
}

/// Runs one job for the London date `on` (the register jobs check that day's registers).
async fn run_job(
    pool: &Pool,
    config: &Config,
    name: &str,
    on: chrono::NaiveDate,
) -> Result<String, sqlx::Error> {
    match name {
        "daily-digest" => {
            let n = super::send_digests(pool, config).await?;
            Ok(format!(
                "{n} digest email{} queued",
                if n == 1 { "" } else { "s" }
            ))
        }
        "due-diligence" => crate::framework::nightly(pool, config).await,
        "placements" => crate::placements::deadlines::nightly(pool, config).await,
        "registers-am" | "registers-am-escalate" | "registers-pm" | "registers-pm-escalate" => {
            use crate::domain::attendance::Session;
            let session = if name.starts_with("registers-am") {
                Session::Am
            } else {
                Session::Pm
            };
            crate::attendance::jobs::check_missing(
                pool,
                config,
                on,
                session,
                name.ends_with("escalate"),
            )
            .await
        }
        "housekeeping" => {
            let now = db::now();
            let sessions = db::sessions::purge_expired(
                pool,
                now - chrono::Duration::minutes(config.session_idle_minutes),
                now - chrono::Duration::minutes(config.session_absolute_minutes),
            )
            .await?;
            let attempts =
                db::sessions::purge_attempts(pool, now - chrono::Duration::days(1)).await?;
            let retained =
                crate::placements::retention::run(pool, config, crate::placements::today(), true)
                    .await?;
            Ok(format!(
                "{sessions} expired sessions and {attempts} old sign-in attempts removed; {} pupil records anonymised",
                retained.anonymised
            ))
        }
        other => Ok(format!("unknown job {other}")),
    }
}

/// Runs every job whose time has come today (London) and has not yet run today. Returns
/// (job, outcome) for the ones it ran.
pub async fn run_due_jobs(
    pool: &Pool,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let local = now.with_timezone(&London);
    let date = local.date_naive().to_string();
    let mut ran = Vec::new();
    for job in jobs(config).unwrap_or_default() {
        if local.time() < job.at {
            continue;
        }
        if !outbox::claim_job(pool, job.name, &date, now).await? {
            continue;
        }
        let outcome = match run_job(pool, config, job.name, local.date_naive()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(job = job.name, error = %e, "job failed");
                format!("failed: {e}")
            }
        };
        outbox::finish_job(pool, job.name, &date, &outcome, db::now()).await?;
        tracing::info!(job = job.name, outcome = %outcome, "job ran");
        ran.push((job.name.to_string(), outcome));
    }
    Ok(ran)
}

/// Sends every mail that is due now; returns how many were sent. Abandoned claims (a sender
/// that stopped mid-send) are taken again first.
pub async fn send_due(
    pool: &Pool,
    config: &Config,
    transport: &Transport,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let lease = chrono::Duration::seconds(config.mail_lease_seconds.max(1));
    let recovered = outbox::recover_abandoned(pool, now, lease).await?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "mail claims abandoned by a stopped sender are queued again"
        );
    }
    let mut sent = 0;
    while let Some(row) = outbox::claim(pool, now).await? {
        let result = match mail::build(config, &row) {
            Ok(message) => transport.send(row.id, &message).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                outbox::mark_sent(pool, row.id, db::now()).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(mail = row.id, attempts = row.attempts, error = %e, "mail not sent");
                outbox::mark_failed(pool, &row, &e, db::now()).await?;
            }
        }
    }
    Ok(sent)
}

/// Starts the sender (every second) and the job runner (every 30 seconds).
pub fn spawn(pool: Pool, config: Arc<Config>) -> Result<(), String> {
    let transport = Arc::new(Transport::from_config(&config)?);
    jobs(&config)?;
    {
        let (pool, config, transport) = (pool.clone(), config.clone(), transport.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(e) = send_due(&pool, &config, &transport, db::now()).await {
                    tracing::error!(error = %e, "mail sender");
                }
            }
        });
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = run_due_jobs(&pool, &config, db::now()).await {
                tracing::error!(error = %e, "job runner");
            }
        }
    });
    Ok(())
}
