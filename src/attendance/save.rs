//! Saving a register: one transaction for the whole register, from the page or the API.
//! Every pupil due on it must be marked, no one else may be; the same register sent twice gives
//! the same state; a different mark on a taken register is a correction with its history, and
//! on a locked register is refused (it goes through the correction queue instead).

use crate::config::Config;
use crate::db::{self, attendance as store, notifications::Recipient};
use crate::domain::attendance::{Mark, Session};
use crate::domain::calendar::Calendar;
use crate::domain::{text, NoticeKind};
use crate::notify::{self, Notice};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One line of a submitted register: a placement (or a UPN) and its mark.
#[derive(Debug, Clone)]
pub struct Line {
    pub placement_id: Option<i64>,
    pub upn: Option<String>,
    pub mark: Mark,
    pub note: String,
}

/// Why a register was refused, line by line where it can say.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    NotSchoolDay(NaiveDate),
    Future(NaiveDate),
    Nobody,
    Problems(Vec<String>),
    Locked(NaiveDate),
}

impl Refused {
    pub fn message(&self) -> String {
        match self {
            Refused::NotSchoolDay(d) => format!("{d} is not a school day in the council's calendar: there is no register"),
            Refused::Future(d) => format!("The register for {d} cannot be taken before the day"),
            Refused::Nobody => "No pupil is placed with you for this session".into(),
            Refused::Problems(p) => p.join("; "),
            Refused::Locked(d) => format!(
                "The register for {d} is locked: changes to it need the Progressions Team's approval (use a correction)"
            ),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Saved {
    pub newly_taken: bool,
    pub recorded: usize,
    pub unchanged: usize,
    pub corrected: usize,
    pub alerts: usize,
}

/// A register's checks that need no transaction.
pub fn check_day(cal: &Calendar, on: NaiveDate, today: NaiveDate) -> Result<(), Refused> {
    if on > today {
        return Err(Refused::Future(on));
    }
    if !cal.is_school_day(on) {
        return Err(Refused::NotSchoolDay(on));
    }
    Ok(())
}

/// Whether a newly recorded absence should be raised with the school at once, and why.
pub fn alert_reason(mark: Mark, previous: &[String]) -> Option<&'static str> {
    if mark.attended() || matches!(mark, Mark::NoTransport | Mark::Disruption) {
        return None;
    }
    if mark == Mark::NoReason {
        return Some("absent with no reason given");
    }
    match previous.first() {
        Some(p) if !crate::domain::attendance::code_attended(p) => {
            Some("absent for a second session running")
        }
        Some(_)
            if previous.len() >= 3
                && previous
                    .iter()
                    .take(3)
                    .all(|c| crate::domain::attendance::code_attended(c)) =>
        {
            Some("absent after a run of attendance")
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn save(
    tx: &mut db::Tx<'_>,
    config: &Config,
    provider_id: i64,
    on: NaiveDate,
    session: Session,
    lines: &[Line],
    by: Option<i64>,
    via: &str,
    locked: bool,
) -> Result<Result<Saved, Refused>, sqlx::Error> {
    let Some(position) = session.pattern_index(on) else {
        return Ok(Err(Refused::NotSchoolDay(on)));
    };
    let due = store::register_ids_tx(tx, provider_id, on, position).await?;
    if due.is_empty() {
        return Ok(Err(Refused::Nobody));
    }
    let by_upn: BTreeMap<&str, i64> = due.iter().map(|(id, u)| (u.as_str(), *id)).collect();
    let mut problems = Vec::new();
    let mut marks: BTreeMap<i64, (&Line, String)> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        let id = match (&l.placement_id, &l.upn) {
            (Some(id), _) if due.iter().any(|(d, _)| d == id) => Some(*id),
            (None, Some(u)) => by_upn.get(u.trim().to_ascii_uppercase().as_str()).copied(),
            _ => None,
        };
        let Some(id) = id else {
            problems.push(format!(
                "line {}: {} is not placed with you for the {} session on {on}",
                i + 1,
                l.upn
                    .as_deref()
                    .map(|u| format!(
                        "the pupil with UPN {}",
                        u.chars().take(13).collect::<String>()
                    ))
                    .or(l.placement_id.map(|p| format!("placement {p}")))
                    .unwrap_or_else(|| "a line with no pupil".into()),
                session.label()
            ));
            continue;
        };
        let note = match text::paragraph(&l.note, "note", 300, false) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("line {}: {}", i + 1, e.0));
                continue;
            }
        };
        if marks.insert(id, (l, note)).is_some() {
            problems.push(format!("line {}: placement {id} is marked twice", i + 1));
        }
    }
    let unmarked = due.iter().filter(|(id, _)| !marks.contains_key(id)).count();
    if unmarked > 0 {
        problems.push(format!(
            "{unmarked} pupil{} on the register {} no mark: mark everyone",
            if unmarked == 1 { "" } else { "s" },
            if unmarked == 1 { "has" } else { "have" }
        ));
    }
    if !problems.is_empty() {
        return Ok(Err(Refused::Problems(problems)));
    }
    let now = db::now();
    let newly_taken = store::take(tx, provider_id, on, session.key(), by, via, now).await?;
    let mut saved = Saved {
        newly_taken,
        ..Default::default()
    };
    for (id, (line, note)) in &marks {
        let code = line.mark.code();
        let old = store::current(tx, *id, on, session.key()).await?;
        match old.as_deref() {
            Some(o) if o == code => {
                saved.unchanged += 1;
                continue;
            }
            Some(o) => {
                if locked {
                    return Ok(Err(Refused::Locked(on)));
                }
                store::insert_change(
                    tx,
                    *id,
                    on,
                    session.key(),
                    o,
                    code,
                    &format!("Register sent again ({via})"),
                    "applied",
                    by,
                    now,
                )
                .await?;
                saved.corrected += 1;
            }
            None => saved.recorded += 1,
        }
        store::put_mark(tx, *id, on, session.key(), provider_id, code, note, by, now).await?;
        let was_absent = old
            .as_deref()
            .is_some_and(|o| !crate::domain::attendance::code_attended(o));
        if !was_absent {
            let previous = store::before(tx, *id, on, session.key(), 3).await?;
            if let Some(why) = alert_reason(line.mark, &previous) {
                alert(tx, config, *id, on, session, why, line.mark).await?;
                saved.alerts += 1;
            }
        }
    }
    store::recount(tx, provider_id, on).await?;
    Ok(Ok(saved))
}

async fn alert(
    tx: &mut db::Tx<'_>,
    config: &Config,
    placement_id: i64,
    on: NaiveDate,
    session: Session,
    why: &str,
    mark: Mark,
) -> Result<(), sqlx::Error> {
    let Some(p) =
        db::placements::get_tx(tx, db::pupils::PupilScope::Progressions, placement_id).await?
    else {
        return Ok(());
    };
    let body = format!(
        "{} was {why} in the {} session on {} at {} ({}: {}).",
        crate::placements::reference(&p),
        session.label(),
        crate::domain::due_diligence::long_date(on),
        p.provider_name.clone().unwrap_or_default(),
        mark.code(),
        mark.label().to_lowercase()
    );
    if let Ok(n) = Notice::new(
        NoticeKind::AttendanceAlert,
        Recipient::School(p.school_id),
        &body,
        &format!("/attendance?date={on}"),
    ) {
        notify::raise(tx, config, &n).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn which_absences_are_raised_at_once() {
        assert_eq!(alert_reason(Mark::Present, &v(&["N"])), None);
        assert_eq!(
            alert_reason(Mark::NoReason, &v(&[])),
            Some("absent with no reason given")
        );
        assert_eq!(
            alert_reason(Mark::Ill, &v(&["I"])),
            Some("absent for a second session running")
        );
        assert_eq!(
            alert_reason(Mark::Ill, &v(&["/", "/", "L"])),
            Some("absent after a run of attendance")
        );
        // Two sessions present is not yet a run; an absence after one is not raised.
        assert_eq!(alert_reason(Mark::Ill, &v(&["/", "/"])), None);
        assert_eq!(alert_reason(Mark::Ill, &v(&["/", "I", "/"])), None);
        // Sessions the pupil could not attend are not absences to chase.
        assert_eq!(alert_reason(Mark::NoTransport, &v(&["I"])), None);
    }
}
