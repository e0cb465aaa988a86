//! Adding a pupil and asking for a place: a request for the Progressions Team to match, or a
//! placement the school has arranged directly with a framework provider (recorded so the
//! council knows of every AP placement, as the DfE expects).

use super::{record, tell, today, Audience};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, PupilReader, SchoolStaff};
use crate::db::placements::{self as store, NewPlacement};
use crate::db::{self, pupils::PupilScope};
use crate::domain::due_diligence::{self, long_date, DdStatus};
use crate::domain::placement::{self as rules, Commissioner, Reason, SenStatus};
use crate::domain::{text, NoticeKind, PlaceType, Tier, Upn, Urn};
use crate::error::{AppError, AppResult};
use crate::web::{form_date as date, FieldError, Page, Reply};

fn err(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError::new(field, message));
}
use crate::AppState;
use chrono::{Duration, NaiveDate};
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![new_pupil, create_pupil, new_request, create_request]
}

// ---- Pupils ----

#[derive(FromForm, Default, Serialize)]
pub struct PupilForm {
    #[field(default = String::new())]
    upn: String,
    #[field(default = String::new())]
    legal_forename: String,
    #[field(default = String::new())]
    legal_surname: String,
    #[field(default = String::new())]
    preferred_name: String,
    #[field(default = String::new())]
    date_of_birth: String,
    #[field(default = String::new())]
    sen_status: String,
    #[field(default = false)]
    looked_after: bool,
    #[field(default = String::new())]
    needs_summary: String,
    /// Progressions only: the home school's URN.
    #[field(default = String::new())]
    school_urn: String,
}

fn render_pupil(
    view: &Page<'_>,
    csrf: &str,
    status: Status,
    form: &PupilForm,
    errors: Vec<FieldError>,
    council: bool,
) -> AppResult<Reply> {
    let sen: Vec<_> = SenStatus::options()
        .into_iter()
        .map(|(value, label)| context! { value, label, checked => form.sen_status == value })
        .collect();
    view.render(
        status,
        "placements/pupil_new.html.j2",
        context! { form, errors, csrf_token => csrf, sen, council },
    )
}

#[get("/pupils/new")]
fn new_pupil(view: Page<'_>, reader: PupilReader<'_>, csrf: CsrfToken) -> AppResult<Reply> {
    let council = match reader.scope {
        PupilScope::School(_) => false,
        PupilScope::Progressions => true,
        PupilScope::Provider(_) => {
            return Err(AppError::Forbidden(
                "Schools and the Progressions Team add pupils.".into(),
            ))
        }
    };
    render_pupil(
        &view,
        &csrf.0,
        Status::Ok,
        &<PupilForm as Default>::default(),
        vec![],
        council,
    )
}

#[post("/pupils", data = "<form>")]
async fn create_pupil(
    view: Page<'_>,
    reader: PupilReader<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<PupilForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let council = matches!(reader.scope, PupilScope::Progressions);
    let mut errors = Vec::new();
    let school_id = match reader.scope {
        PupilScope::School(id) => Some(id),
        PupilScope::Progressions => match Urn::parse(&f.school_urn) {
            Ok(urn) => match db::schools::by_urn(&state.pool, urn.as_str()).await? {
                Some(s) if s.is_closed() => {
                    err(
                        &mut errors,
                        "school_urn",
                        "This school is closed, according to GIAS",
                    );
                    None
                }
                Some(s) => Some(s.id),
                None => {
                    err(
                        &mut errors,
                        "school_urn",
                        "No school with this URN is recorded",
                    );
                    None
                }
            },
            Err(e) => {
                err(&mut errors, "school_urn", e.0);
                None
            }
        },
        PupilScope::Provider(_) => {
            return Err(AppError::Forbidden(
                "Schools and the Progressions Team add pupils.".into(),
            ))
        }
    };
    let upn = Upn::parse(&f.upn);
    match &upn {
        Err(e) => err(&mut errors, "upn", e.0.clone()),
        Ok(u) => {
            if db::pupils::id_by_upn(&state.pool, u.as_str())
                .await?
                .is_some()
            {
                err(
                    &mut errors,
                    "upn",
                    "A pupil with this UPN is already recorded. If the pupil is yours, find them in your pupils; if not, ask the Progressions Team",
                );
            }
        }
    }
    let forename = text::single_line(&f.legal_forename, "the legal first name", 100);
    let surname = text::single_line(&f.legal_surname, "the legal last name", 100);
    let preferred = if f.preferred_name.trim().is_empty() {
        Ok(None)
    } else {
        text::single_line(&f.preferred_name, "the preferred name", 100).map(Some)
    };
    for (field, r) in [("legal_forename", &forename), ("legal_surname", &surname)] {
        if let Err(e) = r {
            err(&mut errors, field, e.0.clone());
        }
    }
    if let Err(e) = &preferred {
        err(&mut errors, "preferred_name", e.0.clone());
    }
    let today = today();
    let dob = date(&f.date_of_birth).filter(|d| {
        *d <= today - Duration::days(365 * 3) && *d >= today - Duration::days(365 * 20)
    });
    if dob.is_none() {
        err(
            &mut errors,
            "date_of_birth",
            "Enter a date of birth for a pupil aged 3 to 19, like 2012-03-27",
        );
    }
    let sen = SenStatus::parse(&f.sen_status);
    if let Err(e) = &sen {
        err(&mut errors, "sen_status-1", e.0.clone());
    }
    let needs = text::paragraph(&f.needs_summary, "summary of needs", 2000, false);
    if let Err(e) = &needs {
        err(&mut errors, "needs_summary", e.0.clone());
    }
    let (
        Some(school_id),
        Ok(upn),
        Ok(forename),
        Ok(surname),
        Ok(preferred),
        Some(dob),
        Ok(sen),
        Ok(needs),
    ) = (
        school_id, upn, forename, surname, preferred, dob, sen, needs,
    )
    else {
        return render_pupil(
            &view,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
            council,
        );
    };
    if !errors.is_empty() {
        return render_pupil(
            &view,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
            council,
        );
    }
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let id = db::pupils::insert(
        &mut *tx,
        &db::pupils::NewPupil {
            upn: upn.as_str(),
            legal_forename: &forename,
            legal_surname: &surname,
            preferred_name: preferred.as_deref(),
            date_of_birth: dob,
            home_school_id: school_id,
            sen_status: sen.key(),
            looked_after: f.looked_after,
            needs_summary: &needs,
        },
        now,
    )
    .await?;
    db::audit::record(
        &mut *tx,
        &actor.entry("create", "pupil", Some(id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    let next = if council {
        format!("/pupils/{id}")
    } else {
        format!("/placements/new?pupil={id}")
    };
    Ok(Reply::flash(next, "success", "The pupil has been added."))
}

// ---- Requests ----

#[derive(FromForm, Default, Serialize)]
pub struct RequestForm {
    #[field(default = String::new())]
    pupil: String,
    #[field(default = String::new())]
    route: String,
    #[field(default = String::new())]
    provider: String,
    #[field(default = String::new())]
    start_date: String,
    #[field(default = String::new())]
    hours_per_week: String,
    #[field(default = String::new())]
    tier: String,
    #[field(default = String::new())]
    place_type: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = String::new())]
    exclusion_date: String,
    #[field(default = String::new())]
    preferred_start: String,
    #[field(default = String::new())]
    sessions_per_week: String,
    #[field(default = String::new())]
    max_travel_km: String,
    #[field(default = String::new())]
    travel_notes: String,
    #[field(default = String::new())]
    primary_need: String,
    #[field(default = String::new())]
    needs: String,
    #[field(default = String::new())]
    tried: String,
    #[field(default = String::new())]
    wanted_outcome: String,
    #[field(default = false)]
    confirm_threshold: bool,
}

#[allow(clippy::too_many_arguments)]
async fn render_request(
    view: &Page<'_>,
    state: &AppState,
    school_id: i64,
    csrf: &str,
    status: Status,
    form: &RequestForm,
    errors: Vec<FieldError>,
    warning: Option<String>,
) -> AppResult<Reply> {
    let pupils: Vec<_> = db::pupils::of_school(&state.pool, school_id)
        .await?
        .into_iter()
        .map(|p| {
            context! {
                value => p.id.to_string(),
                label => format!("{}, {} ({})", p.legal_surname, p.preferred_name.unwrap_or(p.legal_forename), p.upn),
            }
        })
        .collect();
    let providers: Vec<_> = store::framework_providers(&state.pool)
        .await?
        .into_iter()
        .map(|(slug, name)| context! { value => slug, label => name })
        .collect();
    let needs: Vec<_> = db::reference::needs(&state.pool)
        .await?
        .into_iter()
        .map(|t| context! { value => t.key, label => t.name })
        .collect();
    let radio = |opts: Vec<(&'static str, &'static str)>, chosen: &str| -> Vec<minijinja::Value> {
        opts.into_iter()
            .map(|(value, label)| context! { value, label, checked => chosen == value })
            .collect()
    };
    let tiers = radio(
        vec![
            ("1", "Tier 1: support in school"),
            ("2", "Tier 2: time-limited placement, then back to school"),
            ("3", "Tier 3: longer-term placement"),
        ],
        &form.tier,
    );
    let place_types = radio(
        PlaceType::ALL.iter().map(|t| (t.key(), t.name())).collect(),
        &form.place_type,
    );
    let reasons = radio(Reason::options(), &form.reason);
    view.render(
        status,
        "placements/new.html.j2",
        context! {
            form, errors, warning, csrf_token => csrf, pupils, providers, needs, tiers,
            place_types, reasons, today => today().to_string(),
        },
    )
}

#[get("/placements/new?<pupil>")]
async fn new_request(
    view: Page<'_>,
    staff: SchoolStaff<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    pupil: Option<&str>,
) -> AppResult<Reply> {
    // The form lists the school's pupils by name and UPN: a read of pupil data.
    db::audit::record(
        &state.pool,
        &actor.entry("view_list", "pupil", None, "placement request form"),
    )
    .await?;
    let form = RequestForm {
        pupil: pupil.unwrap_or_default().to_string(),
        route: "request".into(),
        ..Default::default()
    };
    render_request(
        &view,
        state,
        staff.school_id,
        &csrf.0,
        Status::Ok,
        &form,
        vec![],
        None,
    )
    .await
}

/// Everything a request says, checked.
struct Checked {
    pupil: db::pupils::PupilRow,
    tier: Tier,
    place_type: PlaceType,
    reason: Reason,
    exclusion_date: Option<NaiveDate>,
    preferred_start: NaiveDate,
    sessions: i64,
    max_travel_km: Option<i64>,
    travel_notes: String,
    primary_need: Option<String>,
    needs: String,
    tried: String,
    wanted_outcome: String,
    /// Direct: the provider, start and hours.
    direct: Option<(db::providers::ProviderView, NaiveDate, f64)>,
}

async fn check(
    state: &AppState,
    school_id: i64,
    f: &RequestForm,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<Checked>> {
    let today = today();
    let pupil = match f.pupil.trim().parse::<i64>() {
        Ok(id) => db::pupils::get(&state.pool, PupilScope::School(school_id), id).await?,
        Err(_) => None,
    };
    if pupil.is_none() {
        err(errors, "pupil", "Choose the pupil from your school's list");
    }
    let direct = match f.route.as_str() {
        "request" => Some(false),
        "direct" => Some(true),
        _ => {
            err(errors, "route-1", "Choose how the place is being arranged");
            None
        }
    };
    let tier = Tier::parse(&f.tier).map_err(|_| "Choose a tier".to_string());
    if let Err(e) = &tier {
        err(errors, "tier-1", e.clone());
    }
    let place_type = PlaceType::parse(&f.place_type).map_err(|_| "Choose the type of place");
    if let Err(e) = &place_type {
        err(errors, "place_type-1", *e);
    }
    let reason = Reason::parse(&f.reason);
    if let Err(e) = &reason {
        err(errors, "reason-1", e.0.clone());
    }
    let exclusion_date = match &reason {
        Ok(r) if r.is_exclusion() => {
            let d = date(&f.exclusion_date)
                .filter(|d| *d <= today + Duration::days(30) && *d >= today - Duration::days(365));
            if d.is_none() {
                err(
                    errors,
                    "exclusion_date",
                    "Enter the date of the exclusion, within the last year, like 2026-11-20",
                );
            }
            d
        }
        _ => {
            if !f.exclusion_date.trim().is_empty() {
                err(
                    errors,
                    "exclusion_date",
                    "Leave the exclusion date empty unless the reason is an exclusion",
                );
            }
            None
        }
    };
    let preferred_start = date(&f.preferred_start)
        .filter(|d| *d >= today - Duration::days(30) && *d <= today + Duration::days(365));
    if preferred_start.is_none() {
        err(
            errors,
            "preferred_start",
            "Enter the preferred start date, within the next year, like 2026-12-01",
        );
    }
    let sessions = f
        .sessions_per_week
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10).contains(n));
    if sessions.is_none() {
        err(
            errors,
            "sessions_per_week",
            "Enter the sessions a week as a number from 1 to 10 (a full week is 10)",
        );
    }
    let max_travel_km = match f.max_travel_km.trim() {
        "" => Some(None),
        s => match s.parse::<i64>() {
            Ok(n) if (1..=50).contains(&n) => Some(Some(n)),
            _ => {
                err(
                    errors,
                    "max_travel_km",
                    "Enter the furthest the pupil can travel as a number of kilometres from 1 to 50, or leave it empty",
                );
                None
            }
        },
    };
    let needs_vocab = db::reference::needs(&state.pool).await?;
    let primary_need = match f.primary_need.trim() {
        "" => Some(None),
        s if needs_vocab.iter().any(|t| t.key == s) => Some(Some(s.to_string())),
        _ => {
            err(
                errors,
                "primary_need",
                "Choose the primary need from the list",
            );
            None
        }
    };
    let mut para = |field: &str, value: &str, what: &str, required: bool| -> String {
        match text::paragraph(value, what, 4000, required) {
            Ok(t) => t,
            Err(e) => {
                err(errors, field, e.0);
                String::new()
            }
        }
    };
    let travel_notes = para("travel_notes", &f.travel_notes, "travel notes", false);
    let needs = para("needs", &f.needs, "pupil's needs", true);
    let tried = para("tried", &f.tried, "what has been tried", false);
    let wanted_outcome = para(
        "wanted_outcome",
        &f.wanted_outcome,
        "outcome you want",
        true,
    );
    let mut direct_parts = None;
    if direct == Some(true) {
        let provider = match f.provider.trim() {
            s if text::is_slug(s) => db::providers::by_slug(&state.pool, s).await?,
            _ => None,
        };
        match &provider {
            None => err(errors, "provider", "Choose the framework provider you have arranged the place with"),
            Some(p) if !p.row.on_framework => err(
                errors,
                "provider",
                format!("{} is not on the council's framework: ask the Progressions Team for a place instead", p.row.name),
            ),
            Some(p) => {
                let status = DdStatus::parse(&p.row.dd_status).unwrap_or(DdStatus::Pending);
                if let Err(reason) = due_diligence::placement_gate(
                    &p.row.name,
                    &p.row.registration,
                    status,
                    &p.row.dd_reason,
                ) {
                    err(errors, "provider", reason);
                }
            }
        }
        let start = date(&f.start_date)
            .filter(|d| *d >= today - Duration::days(30) && *d <= today + Duration::days(365));
        if start.is_none() {
            err(
                errors,
                "start_date",
                "Enter the date the placement starts, from 30 days ago to a year ahead",
            );
        }
        let hours = rules::hours_per_week(&f.hours_per_week);
        if let Err(e) = &hours {
            err(errors, "hours_per_week", e.0.clone());
        }
        if let (Some(p), Some(s), Ok(h)) = (provider, start, hours) {
            direct_parts = Some((p, s, h));
        }
    }
    if !errors.is_empty() {
        return Ok(None);
    }
    let (
        Some(pupil),
        Some(direct),
        Ok(tier),
        Ok(place_type),
        Ok(reason),
        Some(preferred_start),
        Some(sessions),
        Some(max_travel_km),
        Some(primary_need),
    ) = (
        pupil,
        direct,
        tier,
        place_type,
        reason,
        preferred_start,
        sessions,
        max_travel_km,
        primary_need,
    )
    else {
        return Ok(None);
    };
    if direct && direct_parts.is_none() {
        return Ok(None);
    }
    Ok(Some(Checked {
        pupil,
        tier,
        place_type,
        reason,
        exclusion_date,
        preferred_start,
        sessions,
        max_travel_km,
        travel_notes,
        primary_need,
        needs,
        tried,
        wanted_outcome,
        direct: direct_parts,
    }))
}

#[post("/placements", data = "<form>")]
async fn create_request(
    view: Page<'_>,
    staff: SchoolStaff<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<RequestForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let mut errors = Vec::new();
    let Some(c) = check(state, staff.school_id, f, &mut errors).await? else {
        return render_request(
            &view,
            state,
            staff.school_id,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
            None,
        )
        .await;
    };
    let cal = db::calendar::load(&state.pool).await?;
    let sixth_day = c.exclusion_date.and_then(|d| rules::sixth_day(&cal, d));
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    // A direct placement goes through the threshold warning as the council's start does.
    if let Some((pr, _, hours)) = &c.direct {
        let warning = super::threshold(
            &mut tx,
            &pr.row,
            &c.pupil.sen_status,
            c.pupil.looked_after,
            *hours,
        )
        .await?;
        if warning.is_some() && !f.confirm_threshold {
            drop(tx);
            return render_request(
                &view,
                state,
                staff.school_id,
                &csrf.0,
                Status::UnprocessableEntity,
                f,
                vec![],
                warning,
            )
            .await;
        }
    }
    let direct = c.direct.as_ref();
    let id = store::insert(
        &mut tx,
        &NewPlacement {
            pupil_id: c.pupil.id,
            school_id: staff.school_id,
            commissioner: if direct.is_some() {
                Commissioner::School.key()
            } else {
                c.reason.commissioner().key()
            },
            route: if direct.is_some() {
                "direct"
            } else {
                "request"
            },
            provider_id: direct.map(|d| d.0.row.id),
            tier: c.tier.number(),
            place_type: c.place_type.key(),
            reason: c.reason.key(),
            exclusion_date: c.exclusion_date,
            sixth_day,
            preferred_start: c.preferred_start,
            sessions_per_week: c.sessions,
            max_travel_km: c.max_travel_km,
            travel_notes: &c.travel_notes,
            primary_need: c.primary_need.as_deref(),
            needs: &c.needs,
            tried: &c.tried,
            wanted_outcome: &c.wanted_outcome,
            status: if direct.is_some() {
                "active"
            } else {
                "requested"
            },
            start_date: direct.map(|d| d.1),
            created_by: actor.user_id,
        },
        now,
    )
    .await?;
    let p = super::load_tx(&mut tx, PupilScope::School(staff.school_id), id).await?;
    if let Some((pr, start, hours)) = direct {
        super::plan_at_start(&mut tx, &p, *start, *hours, None, &[], actor.user_id, now).await?;
        let note = format!(
            "Arranged by the school with {}, starting {}.",
            pr.row.name,
            long_date(*start)
        );
        record(&mut tx, &actor, &p, "active", "record_direct", &note).await?;
        tell(
            &mut tx,
            state,
            &p,
            NoticeKind::PlacementRequest,
            &format!(
                "{} recorded a placement it arranged: {} with {}, starting {}.",
                staff.user.org_name.clone().unwrap_or_default(),
                super::reference(&p),
                pr.row.name,
                long_date(*start)
            ),
            Audience {
                school: false,
                provider: None,
                council: true,
            },
        )
        .await?;
        tell(
            &mut tx,
            state,
            &p,
            NoticeKind::PlacementUpdate,
            &format!(
                "{} has recorded {} with you, starting {}.",
                staff.user.org_name.clone().unwrap_or_default(),
                super::reference(&p),
                long_date(*start)
            ),
            Audience {
                school: false,
                provider: Some(pr.row.id),
                council: false,
            },
        )
        .await?;
    } else {
        let mut note = format!("Requested: {}.", c.reason.label());
        if let Some(six) = sixth_day {
            note.push_str(&format!(
                " Full-time education must start by {}.",
                long_date(six)
            ));
        }
        record(&mut tx, &actor, &p, "requested", "request", &note).await?;
        tell(
            &mut tx,
            state,
            &p,
            NoticeKind::PlacementRequest,
            &format!(
                "{} asks for a place: {}, tier {}, {}.{}",
                staff.user.org_name.clone().unwrap_or_default(),
                super::reference(&p),
                c.tier.number(),
                c.place_type.name(),
                sixth_day
                    .map(|d| format!(" Sixth day: {}.", long_date(d)))
                    .unwrap_or_default()
            ),
            Audience {
                school: false,
                provider: None,
                council: true,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/placements/{id}"),
        "success",
        if c.direct.is_some() {
            "The placement is recorded and the council has been told."
        } else {
            "Your request has been sent to the Progressions Team."
        },
    ))
}
