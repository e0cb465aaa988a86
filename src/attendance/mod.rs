//! Daily attendance: providers take registers every session; schools see the marks and the code
//! to copy the same minute; missing registers and absences are raised; corrections keep their
//! history; rates for a pupil, provider, tier, locality and the city.

pub mod api;
mod corrections;
pub mod import;
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

pub(crate) use crate::web::date_range as range;

/// Whether changes to a register from this day need approval.
pub(crate) fn locked(config: &crate::config::Config, on: NaiveDate, today: NaiveDate) -> bool {
    (today - on).num_days() > config.register_lock_days
}
