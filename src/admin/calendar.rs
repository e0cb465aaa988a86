//! The term calendar: terms and closures the sixth-day rule and review dates count on.
//! Admins keep it; everyone signed in may read it.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin, SignedIn};
use crate::db;
use crate::domain::text;
use crate::error::{AppError, AppResult};
use crate::web::{form_date as date, FieldError, Page, Reply};

use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![show, add_term, delete_term, add_closure, delete_closure]
}

#[derive(FromForm, Default, Serialize)]
pub struct TermForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    starts_on: String,
    #[field(default = String::new())]
    ends_on: String,
}

#[derive(FromForm, Default, Serialize)]
pub struct ClosureForm {
    #[field(default = String::new())]
    on_date: String,
    #[field(default = String::new())]
    reason: String,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    view: &Page<'_>,
    state: &AppState,
    csrf: &str,
    status: Status,
    can_edit: bool,
    term: &TermForm,
    closure: &ClosureForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let terms = db::calendar::terms(&state.pool).await?;
    let closures = db::calendar::closures(&state.pool).await?;
    let cal = db::calendar::load(&state.pool).await?;
    let terms: Vec<_> = terms
        .into_iter()
        .map(|t| {
            let days = cal.school_days_between(t.starts_on, t.ends_on);
            context! { t => t, days }
        })
        .collect();
    view.render(
        status,
        "admin/calendar.html.j2",
        context! { terms, closures, can_edit, term, closure, errors, csrf_token => csrf },
    )
}

#[get("/admin/calendar")]
async fn show(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let can_edit = user.0.role == crate::domain::Role::Admin;
    render(
        &view,
        state,
        &csrf.0,
        Status::Ok,
        can_edit,
        &<TermForm as Default>::default(),
        &<ClosureForm as Default>::default(),
        vec![],
    )
    .await
}

#[post("/admin/calendar/terms", data = "<form>")]
async fn add_term(
    view: Page<'_>,
    _admin: Admin<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    form: CsrfForm<TermForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let mut errors = Vec::new();
    let name = text::single_line(&f.name, "the term's name", 60);
    if let Err(e) = &name {
        errors.push(FieldError::new("name", e.0.clone()));
    }
    let (start, end) = (date(&f.starts_on), date(&f.ends_on));
    if start.is_none() {
        errors.push(FieldError::new(
            "starts_on",
            "Enter the first day of term, like 2027-09-02",
        ));
    }
    if end.is_none() {
        errors.push(FieldError::new(
            "ends_on",
            "Enter the last day of term, like 2027-10-22",
        ));
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            errors.push(FieldError::new(
                "ends_on",
                "The last day must be on or after the first",
            ));
        } else if (e - s).num_days() > 120 {
            errors.push(FieldError::new(
                "ends_on",
                "A term is at most 120 days long",
            ));
        } else if let Some(other) = db::calendar::overlapping(&state.pool, s, e).await? {
            errors.push(FieldError::new(
                "starts_on",
                format!("These dates overlap {other}"),
            ));
        }
    }
    let (Ok(name), Some(s), Some(e), true) = (name, start, end, errors.is_empty()) else {
        return render(
            &view,
            state,
            &csrf.0,
            Status::UnprocessableEntity,
            true,
            f,
            &<ClosureForm as Default>::default(),
            errors,
        )
        .await;
    };
    let mut tx = crate::db::write(&state.pool).await?;
    let id = db::calendar::add_term(&mut *tx, &name, s, e).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "create",
            "term",
            Some(id.to_string()),
            format!("{name}: {s} to {e}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/calendar",
        "success",
        format!("{name} added."),
    ))
}

#[derive(FromForm)]
pub struct Confirm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/admin/calendar/terms/<id>/delete", data = "<_form>")]
async fn delete_term(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let mut tx = crate::db::write(&state.pool).await?;
    let t = db::calendar::delete_term(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "delete",
            "term",
            Some(id.to_string()),
            format!("{}: {} to {}", t.name, t.starts_on, t.ends_on),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/calendar",
        "success",
        format!("{} removed.", t.name),
    ))
}

#[post("/admin/calendar/closures", data = "<form>")]
async fn add_closure(
    view: Page<'_>,
    _admin: Admin<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    form: CsrfForm<ClosureForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let mut errors = Vec::new();
    let on = date(&f.on_date);
    if on.is_none() {
        errors.push(FieldError::new(
            "on_date",
            "Enter the date the schools are closed, like 2027-05-03",
        ));
    }
    let reason = text::single_line(&f.reason, "the reason for the closure", 100);
    if let Err(e) = &reason {
        errors.push(FieldError::new("reason", e.0.clone()));
    }
    let (Some(on), Ok(reason)) = (on, reason) else {
        return render(
            &view,
            state,
            &csrf.0,
            Status::UnprocessableEntity,
            true,
            &<TermForm as Default>::default(),
            f,
            errors,
        )
        .await;
    };
    let mut tx = crate::db::write(&state.pool).await?;
    if !db::calendar::add_closure(&mut *tx, on, &reason).await? {
        return Err(AppError::Conflict(format!(
            "{on} is already recorded as a closure"
        )));
    }
    db::audit::record(
        &mut *tx,
        &actor.entry("create", "closure", Some(on.to_string()), reason.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/calendar",
        "success",
        format!("Closure on {on} added."),
    ))
}

#[post("/admin/calendar/closures/<on>/delete", data = "<_form>")]
async fn delete_closure(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    on: &str,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let on = date(on).ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    if !db::calendar::delete_closure(&mut *tx, on).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        &mut *tx,
        &actor.entry("delete", "closure", Some(on.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/calendar",
        "success",
        format!("Closure on {on} removed."),
    ))
}
