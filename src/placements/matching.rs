//! The match: a shortlist from the directory, an offer to a provider, its answer, the start
//! (through the placement gate and the registration-threshold warning), withdrawal and the end.

use super::{load_tx, record, standing, tell, today, Audience};
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Actor, Progressions, PupilReader};
use crate::db::placements::{self as store, PlacementRow};
use crate::db::{self, pupils::PupilScope};
use crate::directory::index::Search;
use crate::domain::due_diligence::{self, long_date, DdStatus};
use crate::domain::placement::{self as rules, Decision, Destination, NextStep, SESSION_NAMES};
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use chrono::NaiveDate;
use minijinja::{context, Value};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![offer, respond, start, withdraw, end]
}

/// Shortlist length.
const SHORTLIST: usize = 8;

#[derive(Serialize)]
struct Candidate {
    id: i64,
    slug: String,
    name: String,
    summary: String,
    distance_km: Option<f64>,
    places_free: i64,
    due_diligence: String,
    registration: String,
    gate: Option<String>,
    declined: bool,
}

/// Providers that fit the request, nearest the pupil's school first: tier, place type and the
/// primary need as filters, the travel limit as a radius. Each carries the placement gate's
/// answer so Progressions sees at once who cannot take the place.
async fn shortlist(
    state: &AppState,
    search: &Search,
    p: &PlacementRow,
) -> AppResult<Vec<Candidate>> {
    let school = db::schools::get(&state.pool, p.school_id).await?;
    let near = school.and_then(|s| s.latitude.zip(s.longitude));
    let request = search_index::SearchRequest {
        text: String::new(),
        filters: search_index::Filters {
            tiers: vec![p.tier.to_string()],
            place_types: vec![p.place_type.clone()],
            needs: p.primary_need.iter().cloned().collect(),
            ..Default::default()
        },
        near,
        radius_km: near.and(p.max_travel_km.map(|k| k as f64)),
        sort: if near.is_some() {
            search_index::Sort::Distance
        } else {
            search_index::Sort::Name
        },
        offset: 0,
        limit: SHORTLIST,
    };
    let parsed = crate::directory::search::Parsed {
        request,
        page: 1,
        per_page: SHORTLIST,
        near_label: None,
    };
    let (_, rows) = crate::directory::run(search, &parsed).await?;
    let declined = store::declined_by(&state.pool, p.id).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let status = DdStatus::parse(&r.card.due_diligence).unwrap_or(DdStatus::Pending);
            Candidate {
                gate: due_diligence::placement_gate(&r.card.name, &r.card.registration, status, "")
                    .err(),
                declined: declined.contains(&r.card.id),
                id: r.card.id,
                slug: r.card.slug,
                name: r.card.name,
                summary: r.card.summary,
                distance_km: r.distance_km,
                places_free: r.card.places_free,
                due_diligence: r.card.due_diligence,
                registration: r.card.registration,
            }
        })
        .collect())
}

/// Everything the placement page shows; `problem` re-renders it with an error or warning.
pub(super) async fn show_context(
    state: &AppState,
    search: &Search,
    reader: &PupilReader<'_>,
    p: &PlacementRow,
    problem: Option<Value>,
) -> AppResult<Value> {
    let role = reader.user.role;
    let cal = db::calendar::load(&state.pool).await?;
    let today = today();
    let s = standing(&cal, p, today);
    let events = store::events(&state.pool, p.id).await?;
    let offers = store::offers(&state.pool, p.id).await?;
    let plan = store::plan(&state.pool, p.id).await?;
    let objectives = store::objectives(&state.pool, p.id).await?;
    let reviews = store::reviews(&state.pool, p.id).await?;
    let progress = store::progress(&state.pool, p.id).await?;
    let reviews: Vec<_> = reviews
        .into_iter()
        .map(|r| {
            let items: Vec<_> = progress.iter().filter(|x| x.review_id == r.id).collect();
            context! { r => r, progress => items }
        })
        .collect();
    let council = role == Role::Progressions;
    let own_school = reader.scope == PupilScope::School(p.school_id);
    let candidates = if council && p.status == "requested" {
        shortlist(state, search, p).await?
    } else {
        Vec::new()
    };
    let sessions: Vec<_> = plan
        .as_ref()
        .and_then(|pl| rules::Pattern::parse(&pl.pattern).ok())
        .map(|pat| {
            SESSION_NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| pat.attends(*i))
                .map(|(_, n)| *n)
                .collect()
        })
        .unwrap_or_default();
    let can_plan = matches!(p.status.as_str(), "accepted" | "active");
    // Attendance during the placement, and before it as the school recorded it.
    let mut during = crate::domain::attendance::Rate::default();
    if let Some(start) = p.start_date {
        for c in
            db::attendance::codes_of(&state.pool, p.id, start, p.end_date.unwrap_or(today)).await?
        {
            during.add(&c);
        }
    }
    let prior =
        db::attendance::prior(&state.pool, p.id)
            .await?
            .map(|x| crate::domain::attendance::Rate {
                attended: x.attended,
                possible: x.possible,
            });
    let recent: Vec<_> = db::attendance::marks(
        &state.pool,
        reader.scope,
        today - chrono::Duration::days(14),
        today,
    )
    .await?
    .into_iter()
    .filter(|m| m.placement_id == p.id)
    .collect();
    let changes = db::attendance::changes_of(&state.pool, reader.scope, p.id).await?;
    let attendance = context! {
        during => during, during_percent => during.percent(), during_band => during.band(),
        prior => prior, prior_percent => prior.and_then(|r| r.percent()),
        change => match (during.percent(), prior.and_then(|r| r.percent())) {
            (Some(a), Some(b)) => Some(((a - b) * 10.0).round() / 10.0),
            _ => None,
        },
        recent, changes,
    };
    Ok(context! {
        p => p, s => s, events, offers, plan, objectives, reviews, candidates, sessions, attendance,
        can_prior => own_school && p.status != "withdrawn",
        role => role.key(),
        can_offer => council && p.status == "requested",
        can_answer => reader.scope == PupilScope::Provider(p.provider_id.unwrap_or(-1)) && p.status == "offered",
        can_start => council && p.status == "accepted",
        can_withdraw => (council || own_school) && matches!(p.status.as_str(), "requested" | "offered" | "accepted"),
        can_end => (council || own_school) && p.status == "active",
        can_plan, can_review => p.status == "active",
        can_record => council,
        destinations => Destination::options(),
        decisions => Decision::options(),
        next_steps => NextStep::options(),
        today => today.to_string(),
        review_due_words => s.review_due.map(long_date),
        sixth_day_words => p.sixth_day.map(long_date),
        problem => problem.unwrap_or_else(|| context! {}),
    })
}

/// Re-renders the placement page with a problem to fix (422) or a warning to confirm.
async fn again(
    view: &Page<'_>,
    state: &AppState,
    search: &Search,
    reader: &PupilReader<'_>,
    id: i64,
    problem: Value,
) -> AppResult<Reply> {
    let p = super::load(state, reader.scope, id).await?;
    let ctx = show_context(state, search, reader, &p, Some(problem)).await?;
    view.render(Status::UnprocessableEntity, "placements/show.html.j2", ctx)
}

fn problem(action: &str, errors: Vec<FieldError>) -> Value {
    context! { action, errors }
}

fn field(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn conflict() -> AppError {
    AppError::Conflict(
        "Someone else changed this placement a moment ago. Go back to the placement to see where it stands."
            .into(),
    )
}

/// The gate, with the provider's current due-diligence status and reason.
async fn gate(
    state: &AppState,
    provider_id: i64,
) -> AppResult<(db::providers::ProviderView, Result<(), String>)> {
    let pr = db::providers::by_id(&state.pool, provider_id)
        .await?
        .ok_or_else(|| AppError::Unprocessable("Choose a provider from the shortlist".into()))?;
    let status = DdStatus::parse(&pr.row.dd_status).unwrap_or(DdStatus::Pending);
    let answer = due_diligence::placement_gate(
        &pr.row.name,
        &pr.row.registration,
        status,
        &pr.row.dd_reason,
    );
    Ok((pr, answer))
}

#[derive(FromForm)]
pub struct OfferForm {
    #[field(default = String::new())]
    provider: String,
    #[field(default = String::new())]
    note: String,
}

#[post("/placements/<id>/offer", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn offer(
    view: Page<'_>,
    staff: Progressions<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<OfferForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let note = text::paragraph(&f.note, "note to the provider", 1000, false);
    let provider_id = match f.provider.trim() {
        "" => None,
        s => match crate::domain::text::is_slug(s) {
            true => db::providers::by_slug(&state.pool, s)
                .await?
                .map(|p| p.row.id),
            false => None,
        },
    };
    let mut errors = Vec::new();
    if provider_id.is_none() {
        errors.push(field("provider-1", "Choose a provider from the shortlist"));
    }
    if let Err(e) = &note {
        errors.push(field("note", e.0.clone()));
    }
    let (Some(provider_id), Ok(note)) = (provider_id, note) else {
        return again(&view, state, search, &reader, id, problem("offer", errors)).await;
    };
    let (pr, answer) = gate(state, provider_id).await?;
    if let Err(reason) = answer {
        return again(
            &view,
            state,
            search,
            &reader,
            id,
            problem("offer", vec![field("provider-1", reason)]),
        )
        .await;
    }
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, PupilScope::Progressions, id).await?;
    if !store::set_status(&mut tx, id, "requested", "offered", Some(provider_id), now).await? {
        return Err(conflict());
    }
    store::insert_offer(&mut tx, id, provider_id, Some(staff.0.user_id), &note, now).await?;
    record(
        &mut tx,
        &actor,
        &p,
        "offered",
        "offer",
        &format!("Offered to {}", pr.row.name),
    )
    .await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &format!(
            "The council offers you {}: a {} place. Please accept or decline.",
            super::reference(&p),
            crate::domain::PlaceType::parse(&p.place_type)
                .map(|t| t.name())
                .unwrap_or("")
        ),
        Audience {
            school: false,
            provider: Some(provider_id),
            council: false,
        },
    )
    .await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &format!(
            "The council has offered {} to {}.",
            super::reference(&p),
            pr.row.name
        ),
        Audience {
            school: true,
            provider: None,
            council: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        format!("Offered to {}. They have been told.", pr.row.name),
    ))
}

#[derive(FromForm)]
pub struct RespondForm {
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    reason: String,
}

/// The provider's answer. A decline sends the request back to the Progressions queue.
#[post("/placements/<id>/respond", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn respond(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<RespondForm>,
) -> AppResult<Reply> {
    let PupilScope::Provider(provider_id) = reader.scope else {
        return Err(AppError::Forbidden(
            "Only the provider a placement is offered to can answer it.".into(),
        ));
    };
    let f = &form.0;
    let accept = match f.decision.as_str() {
        "accept" => Some(true),
        "decline" => Some(false),
        _ => None,
    };
    let reason = text::paragraph(&f.reason, "reason", 1000, accept == Some(false));
    let mut errors = Vec::new();
    if accept.is_none() {
        errors.push(field("decision-1", "Choose whether you accept the place"));
    }
    if let Err(e) = &reason {
        errors.push(field(
            "reason",
            if accept == Some(false) && f.reason.trim().is_empty() {
                "Say why you cannot take the place, so the council can find another".to_string()
            } else {
                e.0.clone()
            },
        ));
    }
    let (Some(accept), Ok(reason)) = (accept, reason) else {
        return again(
            &view,
            state,
            search,
            &reader,
            id,
            problem("respond", errors),
        )
        .await;
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, reader.scope, id).await?;
    let (to, new_provider, response) = if accept {
        ("accepted", Some(provider_id), "accepted")
    } else {
        ("requested", None, "declined")
    };
    if !store::set_status(&mut tx, id, "offered", to, new_provider, now).await? {
        return Err(conflict());
    }
    store::answer_offer(&mut tx, id, response, &reason, actor.user_id, now).await?;
    let org = reader.user.org_name.clone().unwrap_or_default();
    let words = if accept {
        format!("{org} accepted {}.", super::reference(&p))
    } else {
        format!("{org} declined {}: {reason}", super::reference(&p))
    };
    record(&mut tx, &actor, &p, to, response, &words).await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &words,
        Audience {
            school: true,
            provider: None,
            council: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        if accept {
            format!("/placements/{id}")
        } else {
            "/placements".into()
        },
        "success",
        if accept {
            "You accepted the place. The council will confirm the start date."
        } else {
            "You declined the place. The council has been told and will look for another."
        },
    ))
}

#[derive(FromForm)]
pub struct StartForm {
    #[field(default = String::new())]
    start_date: String,
    #[field(default = String::new())]
    hours_per_week: String,
    #[field(default = false)]
    confirm_threshold: bool,
}

/// Confirms the start: the gate again (a provider may have lapsed since the offer), the
/// registration-threshold warning to confirm, then active.
#[post("/placements/<id>/start", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn start(
    view: Page<'_>,
    _staff: Progressions<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<StartForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let p = super::load(state, PupilScope::Progressions, id).await?;
    let today = today();
    let start = NaiveDate::parse_from_str(f.start_date.trim(), "%Y-%m-%d").ok();
    let hours = rules::hours_per_week(&f.hours_per_week);
    let mut errors = Vec::new();
    match start {
        None => errors.push(field("start_date", "Enter the start date, like 2027-01-04")),
        Some(d) if d > today + chrono::Duration::days(365) => {
            errors.push(field("start_date", "The start date must be within a year"))
        }
        _ => {}
    }
    if let Err(e) = &hours {
        errors.push(field("hours_per_week", e.0.clone()));
    }
    let (Some(start), Ok(hours)) = (start, hours) else {
        return again(&view, state, search, &reader, id, problem("start", errors)).await;
    };
    let provider_id = p.provider_id.ok_or_else(conflict)?;
    let (pr, answer) = gate(state, provider_id).await?;
    if let Err(reason) = answer {
        return again(
            &view,
            state,
            search,
            &reader,
            id,
            problem("start", vec![field("start_date", reason)]),
        )
        .await;
    }
    // The start fixes the hours in the plan; a plan made before keeps its other parts.
    let existing = store::plan(&state.pool, id).await?;
    let objectives: Vec<(String, String, NaiveDate)> = store::objectives(&state.pool, id)
        .await?
        .into_iter()
        .map(|o| (o.objective, o.measure, o.target_date))
        .collect();
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let warning = super::threshold(&mut tx, &pr.row, &p.sen_status, p.looked_after, hours).await?;
    if let (Some(w), false) = (&warning, f.confirm_threshold) {
        drop(tx);
        return again(
            &view,
            state,
            search,
            &reader,
            id,
            context! { action => "start", warning => w, errors => Vec::<FieldError>::new(),
            start_date => start.to_string(), hours_per_week => f.hours_per_week.trim() },
        )
        .await;
    }
    let p = load_tx(&mut tx, PupilScope::Progressions, id).await?;
    if !store::start(&mut tx, id, start, None, now).await? {
        return Err(conflict());
    }
    super::plan_at_start(
        &mut tx,
        &p,
        start,
        hours,
        existing,
        &objectives,
        actor.user_id,
        now,
    )
    .await?;
    let mut note = format!(
        "Starts {} at {}, {hours} hours a week.",
        long_date(start),
        pr.row.name
    );
    if let Some(w) = &warning {
        note.push_str(" Registration threshold warning confirmed: ");
        note.push_str(w);
    }
    record(&mut tx, &actor, &p, "active", "start", &note).await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &format!(
            "{} is confirmed: it starts {} at {}.",
            super::reference(&p),
            long_date(start),
            pr.row.name
        ),
        Audience {
            school: true,
            provider: Some(provider_id),
            council: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        "The placement is active. The school and the provider have been told.",
    ))
}

#[derive(FromForm)]
pub struct WithdrawForm {
    #[field(default = String::new())]
    reason: String,
}

/// A request no longer needed: by its school or the Progressions Team, before the start.
#[post("/placements/<id>/withdraw", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn withdraw(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<WithdrawForm>,
) -> AppResult<Reply> {
    if matches!(reader.scope, PupilScope::Provider(_)) {
        return Err(AppError::Forbidden(
            "A provider declines an offer rather than withdrawing it.".into(),
        ));
    }
    let reason = match text::paragraph(&form.0.reason, "reason for withdrawing", 1000, true) {
        Ok(r) => r,
        Err(e) => {
            return again(
                &view,
                state,
                search,
                &reader,
                id,
                problem("withdraw", vec![field("withdraw_reason", e.0)]),
            )
            .await
        }
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, reader.scope, id).await?;
    if !matches!(p.status.as_str(), "requested" | "offered" | "accepted") {
        return Err(AppError::Conflict(
            "Only a placement that has not started can be withdrawn; end an active one instead."
                .into(),
        ));
    }
    if !store::set_status(&mut tx, id, &p.status, "withdrawn", p.provider_id, now).await? {
        return Err(conflict());
    }
    store::answer_offer(&mut tx, id, "withdrawn", &reason, actor.user_id, now).await?;
    record(&mut tx, &actor, &p, "withdrawn", "withdraw", &reason).await?;
    let provider = p.provider_id.filter(|_| p.status != "requested");
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &format!("{} has been withdrawn.", super::reference(&p)),
        Audience {
            school: reader.user.role == Role::Progressions,
            provider,
            council: reader.user.role != Role::Progressions,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/placements",
        "success",
        "The request has been withdrawn.",
    ))
}

#[derive(FromForm)]
pub struct EndForm {
    #[field(default = String::new())]
    end_date: String,
    #[field(default = String::new())]
    destination: String,
    #[field(default = String::new())]
    destination_note: String,
}

/// Ends an active placement with its destination (the outcomes reports build on it).
#[post("/placements/<id>/end", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn end(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<EndForm>,
) -> AppResult<Reply> {
    if matches!(reader.scope, PupilScope::Provider(_)) {
        return Err(AppError::Forbidden(
            "The school or the council ends a placement; tell them if it should end.".into(),
        ));
    }
    let f = &form.0;
    let p = super::load(state, reader.scope, id).await?;
    let today = today();
    let end_date = NaiveDate::parse_from_str(f.end_date.trim(), "%Y-%m-%d").ok();
    let destination = Destination::parse(&f.destination);
    let note = text::paragraph(
        &f.destination_note,
        "destination details",
        500,
        destination == Ok(Destination::Other),
    );
    let mut errors = Vec::new();
    match (end_date, p.start_date) {
        (None, _) => errors.push(field(
            "end_date",
            "Enter the last day of the placement, like 2027-03-25",
        )),
        (Some(d), Some(s)) if d < s => errors.push(field(
            "end_date",
            format!(
                "The end date must be on or after the start, {}",
                long_date(s)
            ),
        )),
        (Some(d), _) if d > today => {
            errors.push(field("end_date", "The end date must be today or earlier"))
        }
        _ => {}
    }
    if let Err(e) = &destination {
        errors.push(field("destination-1", e.0.clone()));
    }
    if let Err(e) = &note {
        errors.push(field("destination_note", e.0.clone()));
    }
    let (Some(end_date), Ok(destination), Ok(note)) = (end_date, destination, note) else {
        return again(&view, state, search, &reader, id, problem("end", errors)).await;
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let p = load_tx(&mut tx, reader.scope, id).await?;
    if !store::end(&mut tx, id, end_date, destination.key(), &note, now).await? {
        return Err(conflict());
    }
    let words = format!(
        "{} ended on {}: {}.",
        super::reference(&p),
        long_date(end_date),
        destination.label().to_lowercase()
    );
    record(&mut tx, &actor, &p, "ended", "end", &words).await?;
    tell(
        &mut tx,
        state,
        &p,
        NoticeKind::PlacementUpdate,
        &words,
        Audience {
            school: reader.user.role == Role::Progressions,
            provider: p.provider_id,
            council: reader.user.role != Role::Progressions,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        "The placement has ended and its destination is recorded.",
    ))
}
