//! The intervention plan (objectives with measures and dates, next step, weekly pattern and
//! hours, maximum period, dual registration) and its reviews, at least every half term.

use super::{load, load_tx, record, tell, today, Audience};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, PupilReader};
use crate::db::placements::{self as store, PlacementRow};
use crate::db::{self, pupils::PupilScope};
use crate::domain::due_diligence::long_date;
use crate::domain::placement::{self as rules, Decision, NextStep, Pattern, SESSION_NAMES};
use crate::domain::{text, NoticeKind};
use crate::error::{AppError, AppResult};
use crate::web::{form_date as date, FieldError, Page, Reply};

fn err(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError::new(field, message));
}
use crate::AppState;
use chrono::Duration;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![edit_plan, save_plan, new_review, save_review]
}

/// Blank objective rows offered on the form beyond those already written.
const SPARE_OBJECTIVES: usize = 2;
const MAX_OBJECTIVES: usize = 8;

#[derive(FromForm, Default, Serialize, Clone)]
pub struct ObjectiveForm {
    #[field(default = String::new())]
    objective: String,
    #[field(default = String::new())]
    measure: String,
    #[field(default = String::new())]
    target_date: String,
}

#[derive(FromForm, Default, Serialize)]
pub struct PlanForm {
    #[field(default = String::new())]
    next_step: String,
    session: Vec<usize>,
    #[field(default = String::new())]
    hours_per_week: String,
    #[field(default = String::new())]
    part_time_reason: String,
    #[field(default = String::new())]
    max_weeks: String,
    #[field(default = false)]
    dual_registered: bool,
    objectives: Vec<ObjectiveForm>,
}

fn editable(p: &PlacementRow) -> AppResult<()> {
    if matches!(p.status.as_str(), "accepted" | "active") {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "The plan is written once a provider has accepted the place, and is kept as it was when the placement ends."
                .into(),
        ))
    }
}

#[allow(clippy::too_many_arguments)]
fn render_plan(
    view: &Page<'_>,
    p: &PlacementRow,
    csrf: &str,
    status: Status,
    form: &PlanForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let next_steps: Vec<_> = NextStep::options()
        .into_iter()
        .map(|(value, label)| context! { value, label, checked => form.next_step == value })
        .collect();
    let sessions: Vec<_> = SESSION_NAMES
        .iter()
        .enumerate()
        .map(|(i, label)| context! { value => i, label, checked => form.session.contains(&i) })
        .collect();
    let mut rows = form.objectives.clone();
    let want = (rows.len() + SPARE_OBJECTIVES).clamp(3, MAX_OBJECTIVES);
    rows.resize(want, <ObjectiveForm as Default>::default());
    view.render(
        status,
        "placements/plan.html.j2",
        context! { p, form, errors, csrf_token => csrf, next_steps, sessions, rows,
        step_out => p.place_type == "step_out" },
    )
}

#[get("/placements/<id>/plan")]
async fn edit_plan(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let p = load(state, reader.scope, id).await?;
    editable(&p)?;
    let plan = store::plan(&state.pool, id).await?;
    let objectives = store::objectives(&state.pool, id).await?;
    let form = match plan {
        Some(pl) => PlanForm {
            next_step: pl.next_step,
            session: Pattern::parse(&pl.pattern)
                .map(|pat| (0..10).filter(|i| pat.attends(*i)).collect())
                .unwrap_or_default(),
            hours_per_week: pl.hours_per_week.to_string(),
            part_time_reason: pl.part_time_reason,
            max_weeks: pl.max_weeks.to_string(),
            dual_registered: pl.dual_registered,
            objectives: objectives
                .into_iter()
                .map(|o| ObjectiveForm {
                    objective: o.objective,
                    measure: o.measure,
                    target_date: o.target_date.to_string(),
                })
                .collect(),
        },
        None => PlanForm {
            next_step: rules::default_next_step(p.tier).key().into(),
            session: (0..p.sessions_per_week as usize).collect(),
            max_weeks: rules::default_max_weeks(&p.place_type).to_string(),
            ..Default::default()
        },
    };
    db::audit::record(
        &state.pool,
        &actor.entry("view", "placement_plan", Some(id.to_string()), ""),
    )
    .await?;
    render_plan(&view, &p, &csrf.0, Status::Ok, &form, vec![])
}

#[post("/placements/<id>/plan", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn save_plan(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<PlanForm>,
) -> AppResult<Reply> {
    let p = load(state, reader.scope, id).await?;
    editable(&p)?;
    let f = &form.0;
    let mut errors = Vec::new();
    let next_step = NextStep::parse(&f.next_step);
    if let Err(e) = &next_step {
        err(&mut errors, "next_step-1", e.0.clone());
    }
    let pattern = Pattern::from_sessions(&f.session);
    if let Err(e) = &pattern {
        err(&mut errors, "session-1", e.0.clone());
    }
    let hours = rules::hours_per_week(&f.hours_per_week);
    if let Err(e) = &hours {
        err(&mut errors, "hours_per_week", e.0.clone());
    }
    let part_time = hours.as_ref().is_ok_and(|h| !rules::is_full_time(*h));
    let reason = text::paragraph(
        &f.part_time_reason,
        "reason for part-time education",
        1000,
        part_time,
    );
    match &reason {
        Err(_) if part_time && f.part_time_reason.trim().is_empty() => err(
            &mut errors,
            "part_time_reason",
            "Under 18 hours a week is part time. Section 19 expects full-time education unless the pupil's health prevents it: say why this pupil attends part time",
        ),
        Err(e) => err(&mut errors, "part_time_reason", e.0.clone()),
        Ok(_) => {}
    }
    let weeks = rules::max_weeks(&f.max_weeks, &p.place_type);
    if let Err(e) = &weeks {
        err(&mut errors, "max_weeks", e.0.clone());
    }
    let today = today();
    let earliest = p.start_date.unwrap_or(today).min(today);
    let mut objectives = Vec::new();
    if f.objectives.len() > MAX_OBJECTIVES {
        err(
            &mut errors,
            "objectives-0-objective",
            format!("Write at most {MAX_OBJECTIVES} objectives"),
        );
    }
    for (i, o) in f.objectives.iter().enumerate().take(MAX_OBJECTIVES) {
        if o.objective.trim().is_empty()
            && o.measure.trim().is_empty()
            && o.target_date.trim().is_empty()
        {
            continue;
        }
        let objective = text::paragraph(&o.objective, "objective", 500, true);
        let measure = text::paragraph(&o.measure, "measure of success", 500, true);
        let target =
            date(&o.target_date).filter(|d| *d >= earliest && *d <= earliest + Duration::days(730));
        if let Err(e) = &objective {
            err(
                &mut errors,
                &format!("objectives-{i}-objective"),
                e.0.clone(),
            );
        }
        if let Err(e) = &measure {
            err(&mut errors, &format!("objectives-{i}-measure"), e.0.clone());
        }
        if target.is_none() {
            err(
                &mut errors,
                &format!("objectives-{i}-target_date"),
                "Enter a target date after the start and within two years, like 2027-02-12",
            );
        }
        if let (Ok(ob), Ok(m), Some(t)) = (objective, measure, target) {
            objectives.push((ob, m, t));
        }
    }
    if objectives.is_empty() && errors.iter().all(|e| !e.field.starts_with("objectives")) {
        err(
            &mut errors,
            "objectives-0-objective",
            "Write at least one objective, with how success is measured and a target date",
        );
    }
    let (Ok(next_step), Ok(pattern), Ok(hours), Ok(reason), Ok(weeks)) =
        (next_step, pattern, hours, reason, weeks)
    else {
        return render_plan(&view, &p, &csrf.0, Status::UnprocessableEntity, f, errors);
    };
    if !errors.is_empty() {
        return render_plan(&view, &p, &csrf.0, Status::UnprocessableEntity, f, errors);
    }
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, reader.scope, id).await?;
    editable(&p)?;
    store::save_plan(
        &mut tx,
        id,
        &store::NewPlan {
            next_step: next_step.key(),
            pattern: &pattern.stored(),
            hours_per_week: hours,
            part_time_reason: if part_time { &reason } else { "" },
            max_weeks: weeks,
            dual_registered: f.dual_registered,
            objectives: &objectives,
        },
        actor.user_id,
        now,
    )
    .await?;
    if let Some(start) = p.start_date {
        store::set_planned_end(&mut tx, id, Some(start + Duration::weeks(weeks)), now).await?;
    }
    let note = format!(
        "Plan saved: {} objectives, {hours} hours a week{}, up to {weeks} weeks, next step: {}.",
        objectives.len(),
        if part_time { " (part time)" } else { "" },
        next_step.label().to_lowercase()
    );
    record(&mut tx, &actor, &p, &p.status, "plan", &note).await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &format!(
            "The intervention plan for {} has been updated.",
            super::reference(&p)
        ),
        Audience {
            school: !matches!(reader.scope, PupilScope::School(_)),
            provider: p
                .provider_id
                .filter(|_| !matches!(reader.scope, PupilScope::Provider(_))),
            council: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        "The intervention plan has been saved.",
    ))
}

// ---- Reviews ----

#[derive(FromForm, Default, Serialize)]
pub struct ReviewForm {
    #[field(default = String::new())]
    held_on: String,
    #[field(default = String::new())]
    attendance_summary: String,
    progress: Vec<String>,
    #[field(default = String::new())]
    pupil_voice: String,
    #[field(default = String::new())]
    parent_voice: String,
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    notes: String,
}

async fn render_review(
    view: &Page<'_>,
    state: &AppState,
    p: &PlacementRow,
    csrf: &str,
    status: Status,
    form: &ReviewForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let objectives = store::objectives(&state.pool, p.id).await?;
    let rows: Vec<_> = objectives
        .iter()
        .enumerate()
        .map(|(i, o)| context! { o => o, value => form.progress.get(i).cloned().unwrap_or_default(), i })
        .collect();
    let decisions: Vec<_> = Decision::options()
        .into_iter()
        .map(|(value, label)| context! { value, label, checked => form.decision == value })
        .collect();
    view.render(
        status,
        "placements/review.html.j2",
        context! { p, form, errors, csrf_token => csrf, rows, decisions, today => today().to_string(),
                   since => p.last_review.or(p.start_date).map(long_date) },
    )
}

fn reviewable(p: &PlacementRow) -> AppResult<()> {
    if p.status == "active" {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "Reviews are recorded while a placement is active.".into(),
        ))
    }
}

#[get("/placements/<id>/review")]
async fn new_review(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let p = load(state, reader.scope, id).await?;
    reviewable(&p)?;
    db::audit::record(
        &state.pool,
        &actor.entry("view", "placement_review_form", Some(id.to_string()), ""),
    )
    .await?;
    let form = ReviewForm {
        held_on: today().to_string(),
        ..Default::default()
    };
    render_review(&view, state, &p, &csrf.0, Status::Ok, &form, vec![]).await
}

#[post("/placements/<id>/review", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn save_review(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<ReviewForm>,
) -> AppResult<Reply> {
    let p = load(state, reader.scope, id).await?;
    reviewable(&p)?;
    let f = &form.0;
    let today = today();
    let mut errors = Vec::new();
    let held_on = date(&f.held_on).filter(|d| *d <= today && p.start_date.is_none_or(|s| *d >= s));
    if held_on.is_none() {
        err(
            &mut errors,
            "held_on",
            "Enter the date of the review: today or earlier, and not before the placement started",
        );
    }
    let mut para = |field: &str, value: &str, what: &str, required: bool| -> String {
        match text::paragraph(value, what, 2000, required) {
            Ok(t) => t,
            Err(e) => {
                err(&mut errors, field, e.0);
                String::new()
            }
        }
    };
    let attendance = para(
        "attendance_summary",
        &f.attendance_summary,
        "attendance since the last review",
        true,
    );
    let pupil_voice = para("pupil_voice", &f.pupil_voice, "pupil's views", true);
    let parent_voice = para(
        "parent_voice",
        &f.parent_voice,
        "parent or carer's views",
        false,
    );
    let notes = para("notes", &f.notes, "notes", false);
    let objectives = store::objectives(&state.pool, id).await?;
    if f.progress.len() > objectives.len() {
        err(
            &mut errors,
            "progress-0",
            "Write progress only against the plan's objectives",
        );
    }
    let mut progress = Vec::new();
    for (i, o) in objectives.iter().enumerate() {
        let value = f.progress.get(i).map(String::as_str).unwrap_or("");
        match text::paragraph(value, "progress on this objective", 1000, true) {
            Ok(t) => progress.push((o.position, o.objective.clone(), t)),
            Err(e) => err(&mut errors, &format!("progress-{i}"), e.0),
        }
    }
    let decision = Decision::parse(&f.decision);
    if let Err(e) = &decision {
        err(&mut errors, "decision-1", e.0.clone());
    }
    let (Some(held_on), Ok(decision)) = (held_on, decision) else {
        return render_review(
            &view,
            state,
            &p,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
        )
        .await;
    };
    if !errors.is_empty() {
        return render_review(
            &view,
            state,
            &p,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
        )
        .await;
    }
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, reader.scope, id).await?;
    reviewable(&p)?;
    store::insert_review(
        &mut tx,
        id,
        &store::NewReview {
            held_on,
            attendance_summary: &attendance,
            pupil_voice: &pupil_voice,
            parent_voice: &parent_voice,
            decision: decision.key(),
            notes: &notes,
            progress: &progress,
        },
        actor.user_id,
        now,
    )
    .await?;
    let words = format!(
        "A review of {} was held on {}: {}.",
        super::reference(&p),
        long_date(held_on),
        decision.label().to_lowercase()
    );
    record(&mut tx, &actor, &p, &p.status, "review", &words).await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &words,
        Audience {
            school: !matches!(reader.scope, PupilScope::School(_)),
            provider: p
                .provider_id
                .filter(|_| !matches!(reader.scope, PupilScope::Provider(_))),
            council: decision == Decision::End,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        match decision {
            Decision::End => {
                "The review is recorded. End the placement below with the pupil's destination."
            }
            Decision::Change => "The review is recorded. Update the intervention plan to match.",
            Decision::Continue => "The review is recorded.",
        },
    ))
}
