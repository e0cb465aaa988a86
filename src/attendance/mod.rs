//! Daily attendance: providers take registers every session; schools see the marks and the code
//! to copy the same minute; missing registers and absences are raised; corrections keep their
//! history; rates for a pupil, provider, tier, locality and the city.

pub mod api;
mod corrections;
pub mod jobs;
mod rates;
mod register;
pub mod save;
mod school;

use crate::db;
use crate::domain::attendance::Session;
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use rocket::Route;

pub fn routes() -> Vec<Route> {
    let mut r = register::routes();
    r.extend(school::routes());
    r.extend(corrections::routes());
    r.extend(rates::routes());
    r.extend(jobs::routes());
    r
}

/// Today in Europe/London: the register day.
pub fn today() -> NaiveDate {
    crate::domain::attendance::london_date(db::now())
}

pub(crate) fn parse_date(s: &str) -> AppResult<NaiveDate> {
    crate::web::form_date(s)
        .ok_or_else(|| AppError::BadRequest("A date must look like 2026-11-24".into()))
}

pub(crate) fn parse_session(s: &str) -> AppResult<Session> {
    Session::parse(s).map_err(|e| AppError::BadRequest(e.0))
}

/// A date range from a query: both ends inclusive, at most about two school years apart.
pub(crate) fn range(
    from: Option<&str>,
    to: Option<&str>,
    default_from: NaiveDate,
    default_to: NaiveDate,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let pick = |s: Option<&str>, d: NaiveDate| match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(d),
        Some(v) => parse_date(v),
    };
    let (from, to) = (pick(from, default_from)?, pick(to, default_to)?);
    if to < from || (to - from).num_days() > 800 {
        return Err(AppError::BadRequest(
            "The 'to' date must be on or after the 'from' date, and at most two years later".into(),
        ));
    }
    Ok((from, to))
}

/// Whether changes to a register from this day need approval.
pub(crate) fn locked(config: &crate::config::Config, on: NaiveDate, today: NaiveDate) -> bool {
    (today - on).num_days() > config.register_lock_days
}
