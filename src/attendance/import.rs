//! `apdir import marks FILE.csv`: historical attendance from a provider's or an earlier
//! system's records, with columns `placement,date,session,code` (national codes, as on the
//! registers).
//!
//! The whole file is checked first and nothing is written if any row is bad: a mark must
//! belong to a placement that had started by that day (and not yet ended), fall on a school
//! day that is not in the future, and not already be held (changing a held mark is a
//! correction, with its history). The good file is written in one transaction through
//! `db::attendance::import_marks`, which keeps registers and daily counts with it.

use crate::db::{self, attendance as store, Pool};
use crate::directory::import::{ImportError, Problem};
use crate::domain::attendance::{Mark, Session};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

pub const COLUMNS: [&str; 4] = ["placement", "date", "session", "code"];

#[derive(Debug, Default)]
pub struct Report {
    pub rows: usize,
    pub problems: Vec<Problem>,
    /// Marks written (none unless the whole file was good).
    pub written: u64,
}

/// What a row is checked against.
struct Placed {
    provider_id: i64,
    tier: i64,
    start: NaiveDate,
    end: Option<NaiveDate>,
}

pub async fn import_marks(pool: &Pool, data: &[u8]) -> Result<Report, ImportError> {
    let (mut reader, headers) = crate::directory::import::open_csv(data, &COLUMNS)?;
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let (c_placement, c_date, c_session, c_code) =
        (col("placement"), col("date"), col("session"), col("code"));

    let placed: HashMap<i64, Placed> =
        sqlx::query_as::<_, (i64, i64, i64, NaiveDate, Option<NaiveDate>)>(
            "SELECT id, provider_id, tier, start_date, end_date FROM placements \
         WHERE status IN ('active', 'ended') AND provider_id IS NOT NULL",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(id, provider_id, tier, start, end)| {
            (
                id,
                Placed {
                    provider_id,
                    tier,
                    start,
                    end,
                },
            )
        })
        .collect();
    let calendar = db::calendar::load(pool).await?;
    let today = super::today();

    let mut report = Report::default();
    let mut marks = Vec::new();
    let mut lines: HashMap<(i64, NaiveDate, &'static str), usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        report.rows += 1;
        let mut problem = |column: &str, message: String| {
            report.problems.push(Problem {
                line,
                column: column.into(),
                message,
            })
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problem("-", format!("unreadable row: {e}"));
                continue;
            }
        };
        let field = |c: usize| record.get(c).unwrap_or("");
        let placement = match field(c_placement).parse::<i64>() {
            Ok(id) => match placed.get(&id) {
                Some(p) => Some((id, p)),
                None => {
                    problem(
                        "placement",
                        format!("placement {id} does not exist or has not started"),
                    );
                    None
                }
            },
            Err(_) => {
                problem(
                    "placement",
                    format!("'{}' is not a placement number", field(c_placement)),
                );
                None
            }
        };
        let date = match crate::web::form_date(field(c_date)) {
            Some(d) if d > today => {
                problem("date", format!("{d} is in the future"));
                None
            }
            Some(d) if !calendar.is_school_day(d) => {
                problem(
                    "date",
                    format!("{d} is not a school day in the term calendar"),
                );
                None
            }
            Some(d) => Some(d),
            None => {
                problem(
                    "date",
                    format!("'{}' is not a date (YYYY-MM-DD)", field(c_date)),
                );
                None
            }
        };
        let session = match Session::parse(&field(c_session).to_ascii_lowercase()) {
            Ok(s) => Some(s.key()),
            Err(_) => {
                problem(
                    "session",
                    format!("'{}' is not a session (am or pm)", field(c_session)),
                );
                None
            }
        };
        let code = match Mark::from_code(field(c_code)) {
            Ok(m) => Some(m.code()),
            Err(e) => {
                problem("code", e.to_string());
                None
            }
        };
        let (Some((id, p)), Some(date), Some(session), Some(code)) =
            (placement, date, session, code)
        else {
            continue;
        };
        if date < p.start || p.end.is_some_and(|end| date > end) {
            problem(
                "date",
                format!(
                    "placement {id} did not run on {date} (it started on {})",
                    p.start
                ),
            );
            continue;
        }
        if let Some(first) = lines.insert((id, date, session), line) {
            problem(
                "-",
                format!("the same placement, date and session as line {first}"),
            );
            continue;
        }
        marks.push(store::ImportMark {
            placement_id: id,
            tier: p.tier,
            on_date: date,
            session,
            provider_id: p.provider_id,
            code,
        });
    }
    // Marks already held: changing one is a correction, with its history.
    let ids: HashSet<i64> = marks.iter().map(|m| m.placement_id).collect();
    for id in ids {
        let held: Vec<(NaiveDate, String)> =
            sqlx::query_as("SELECT on_date, session FROM attendance_marks WHERE placement_id = $1")
                .bind(id)
                .fetch_all(pool)
                .await?;
        for (date, session) in held {
            let Ok(session) = Session::parse(&session) else {
                continue;
            };
            if let Some(line) = lines.get(&(id, date, session.key())) {
                report.problems.push(Problem {
                    line: *line,
                    column: "-".into(),
                    message: format!(
                        "placement {id} already has a mark for {date} {}: change it as a correction",
                        session.key()
                    ),
                });
            }
        }
    }
    report.problems.sort_by_key(|p| p.line);
    if !report.problems.is_empty() || marks.is_empty() {
        return Ok(report);
    }
    let mut tx = db::write(pool).await?;
    report.written = store::import_marks(&mut tx, &mut marks, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &db::audit::Entry {
            at: db::now(),
            user_id: None,
            role: None,
            action: "attendance.import".into(),
            entity: "attendance_marks".into(),
            entity_id: None,
            detail: format!(
                "{} historical marks for {} placements",
                report.written,
                lines.keys().map(|k| k.0).collect::<HashSet<_>>().len()
            ),
            ip: None,
            request_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Thousands of new rows: the planner's statistics are out of date.
    db::optimize(pool).await?;
    Ok(report)
}
