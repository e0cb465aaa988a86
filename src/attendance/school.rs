//! The school's view: its pupils in alternative provision this week, each session's mark and
//! the code to copy into the school's own register; a CSV for its MIS; attendance before the
//! placement from the school's own records.

use super::{parse_date, range, today};
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Actor, SchoolStaff};
use crate::db::{self, attendance as store, placements::Filter, pupils::PupilScope};
use crate::domain::attendance::{school_code, SESSION_COUNT};
use crate::domain::due_diligence::long_date;
use crate::error::{AppError, AppResult};
use crate::web::{Download, Page, Reply};
use crate::AppState;
use chrono::{Datelike, Duration, NaiveDate};
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::ContentType;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use std::collections::BTreeMap;

pub fn routes() -> Vec<Route> {
    routes![week, csv, prior]
}

#[derive(Serialize, Clone)]
struct Cell {
    code: String,
    school_code: &'static str,
    why: &'static str,
    note: String,
}

#[derive(Serialize)]
struct Row {
    placement_id: i64,
    name: String,
    provider: String,
    cells: Vec<Option<Cell>>,
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

fn cell(m: &store::MarkRow) -> Cell {
    let (code, why) = school_code(
        &m.code,
        &m.commissioner,
        m.dual_registered.unwrap_or(false),
        m.registration == "online",
    );
    Cell {
        code: m.code.clone(),
        school_code: code,
        why,
        note: m.note.clone(),
    }
}

#[get("/attendance?<date>")]
async fn week(
    view: Page<'_>,
    staff: SchoolStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    date: Option<&str>,
) -> AppResult<Reply> {
    let today = today();
    let on = match date {
        Some(d) => parse_date(d)?,
        None => today,
    };
    let monday = monday_of(on);
    let friday = monday + Duration::days(4);
    let scope = PupilScope::School(staff.school_id);
    let marks = store::marks(&state.pool, scope, monday, friday).await?;
    let mut rows: BTreeMap<i64, Row> = BTreeMap::new();
    // Every active placement has a row, marked or not.
    for p in db::placements::list(&state.pool, scope, Filter::Active, 1000, 0).await? {
        rows.insert(
            p.id,
            Row {
                placement_id: p.id,
                name: format!(
                    "{}, {}",
                    p.legal_surname,
                    p.preferred_name.unwrap_or(p.legal_forename)
                ),
                provider: p.provider_name.unwrap_or_default(),
                cells: vec![None; SESSION_COUNT],
            },
        );
    }
    for m in &marks {
        let row = rows.entry(m.placement_id).or_insert_with(|| Row {
            placement_id: m.placement_id,
            name: format!(
                "{}, {}",
                m.legal_surname,
                m.preferred_name.clone().unwrap_or(m.legal_forename.clone())
            ),
            provider: m.provider_name.clone(),
            cells: vec![None; SESSION_COUNT],
        });
        let day = (m.on_date - monday).num_days() as usize;
        let idx = day * 2 + usize::from(m.session == "pm");
        if let Some(c) = row.cells.get_mut(idx) {
            *c = Some(cell(m));
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let days: Vec<_> = (0..5)
        .map(|i| {
            let d = monday + Duration::days(i);
            context! { date => d.to_string(), label => d.format("%a %-d %b").to_string(), today => d == today }
        })
        .collect();
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_list",
            "attendance",
            None,
            format!("week of {monday}: {} pupils", rows.len()),
        ),
    )
    .await?;
    view.ok(
        "attendance/school.html.j2",
        context! {
            rows, days, week_words => long_date(monday),
            previous => (monday - Duration::days(7)).to_string(),
            next => (monday + Duration::days(7)).to_string(),
            csv_from => monday.to_string(), csv_to => friday.to_string(),
        },
    )
}

/// Marks with the school's code, for import into the school's MIS.
#[get("/attendance.csv?<from>&<to>")]
async fn csv(
    staff: SchoolStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Download> {
    let today = today();
    let (from, to) = range(from, to, monday_of(today), today)?;
    let marks = store::marks(&state.pool, PupilScope::School(staff.school_id), from, to).await?;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = |e: ::csv::Error| AppError::Internal(e.to_string());
    w.write_record([
        "UPN",
        "Surname",
        "Forename",
        "Date",
        "Session",
        "SchoolCode",
        "ProviderMark",
        "Provider",
        "Note",
    ])
    .map_err(err)?;
    for m in &marks {
        let c = cell(m);
        w.write_record([
            m.upn.as_str(),
            &crate::placements::records::safe_cell(&m.legal_surname),
            &crate::placements::records::safe_cell(&m.legal_forename),
            &m.on_date.to_string(),
            &m.session.to_uppercase(),
            c.school_code,
            &m.code,
            &crate::placements::records::safe_cell(&m.provider_name),
            &crate::placements::records::safe_cell(&m.note),
        ])
        .map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "export",
            "attendance",
            None,
            format!("{from} to {to}: {} marks", marks.len()),
        ),
    )
    .await?;
    Ok(Download::attachment(
        body,
        ContentType::CSV,
        &format!("ap-attendance-{from}-to-{to}.csv"),
    ))
}

#[derive(FromForm)]
pub struct PriorForm {
    #[field(default = String::new())]
    possible: String,
    #[field(default = String::new())]
    attended: String,
}

/// Attendance at the school before the placement, from the school's own register.
#[post("/placements/<id>/prior", data = "<form>")]
async fn prior(
    staff: SchoolStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<PriorForm>,
) -> AppResult<Reply> {
    let p = crate::placements::load(state, PupilScope::School(staff.school_id), id).await?;
    let possible = form
        .0
        .possible
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=400).contains(n));
    let attended = form
        .0
        .attended
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0);
    let (Some(possible), Some(attended)) = (possible, attended) else {
        return Err(AppError::Unprocessable(
            "Enter the sessions possible (1 to 400) and the sessions attended, as whole numbers"
                .into(),
        ));
    };
    if attended > possible {
        return Err(AppError::Unprocessable(
            "Sessions attended cannot be more than sessions possible".into(),
        ));
    }
    let mut tx = crate::db::write(&state.pool).await?;
    store::set_prior(
        &mut tx,
        p.id,
        possible,
        attended,
        Some(staff.user.user_id),
        db::now(),
    )
    .await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "record_prior",
            "placement",
            Some(id.to_string()),
            format!("{attended} of {possible}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}#attendance"),
        "success",
        "Attendance before the placement is saved.",
    ))
}
