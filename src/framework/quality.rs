//! Quality visits: teaching and learning observations and annual QA visits, scored on the four
//! themes, with strengths, areas to improve, pupil voice and actions the provider answers.

use super::{may_see_checks, provider, today};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Progressions, ProviderStaff, SignedIn};
use crate::db::quality::{self as store, score_words, NewVisit, THEMES};
use crate::db::{self, notifications::Recipient, providers::ProviderView};
use crate::domain::due_diligence::long_date;
use crate::domain::{text, NoticeKind};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{form_date as date, FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![visits, record_visit, respond, complete]
}

/// Actions on a visit form (blank rows are ignored).
const ACTION_ROWS: usize = 3;

#[derive(FromForm, Default, Serialize)]
pub struct VisitForm {
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    visit_date: String,
    #[field(default = String::new())]
    score_safeguarding: String,
    #[field(default = String::new())]
    score_health_safety: String,
    #[field(default = String::new())]
    score_admissions: String,
    #[field(default = String::new())]
    score_education: String,
    #[field(default = String::new())]
    strengths: String,
    #[field(default = String::new())]
    improvements: String,
    #[field(default = String::new())]
    pupil_voice: String,
    actions: Vec<ActionForm>,
}

#[derive(FromForm, Default, Serialize, Clone)]
pub struct ActionForm {
    #[field(default = String::new())]
    action: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    due_on: String,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    view: &Page<'_>,
    state: &AppState,
    p: &ProviderView,
    csrf: &str,
    status: Status,
    form: &VisitForm,
    errors: Vec<FieldError>,
    can_record: bool,
    own: bool,
) -> AppResult<Reply> {
    let rows = store::visits(&state.pool, p.row.id).await?;
    let actions = store::actions(&state.pool, p.row.id).await?;
    let today = today();
    let visits: Vec<_> = rows
        .into_iter()
        .map(|v| {
            let scores: Vec<_> = [
                v.score_safeguarding,
                v.score_health_safety,
                v.score_admissions,
                v.score_education,
            ]
            .iter()
            .zip(THEMES)
            .map(|(s, (_, label))| context! { label, score => s, words => score_words(*s) })
            .collect();
            let acts: Vec<_> = actions
                .iter()
                .filter(|a| a.visit_id == v.id)
                .map(|a| {
                    context! {
                        a => a, due => long_date(a.due_on),
                        overdue => a.status == "open" && a.due_on < today,
                    }
                })
                .collect();
            context! {
                v => v, date => long_date(v.visit_date), scores, actions => acts,
                kind_words => if v.kind == "observation" { "Teaching and learning observation" } else { "Annual quality assurance visit" },
            }
        })
        .collect();
    let mut action_rows: Vec<ActionForm> = form.actions.clone();
    action_rows.resize(
        ACTION_ROWS.max(action_rows.len()),
        <ActionForm as Default>::default(),
    );
    let themes: Vec<_> = THEMES
        .iter()
        .map(|(key, label)| {
            let chosen = match *key {
                "safeguarding" => &form.score_safeguarding,
                "health_safety" => &form.score_health_safety,
                "admissions" => &form.score_admissions,
                _ => &form.score_education,
            };
            let options: Vec<_> = (1..=4)
                .rev()
                .map(|s: i64| context! { value => s, label => score_words(s), checked => chosen == &s.to_string() })
                .collect();
            context! { key, label, options }
        })
        .collect();
    view.render(
        status,
        "framework/visits.html.j2",
        context! {
            provider => p, visits, form, action_rows, themes, errors, csrf_token => csrf,
            can_record, own, today => today.format("%Y-%m-%d").to_string(),
        },
    )
}

#[get("/providers/<slug>/visits")]
async fn visits(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    slug: &str,
) -> AppResult<Reply> {
    let p = provider(state, slug).await?;
    may_see_checks(user.0, p.row.id)?;
    let can_record = user.0.role == crate::domain::Role::Progressions;
    let own = user.0.provider_id == Some(p.row.id);
    render(
        &view,
        state,
        &p,
        &csrf.0,
        Status::Ok,
        &<VisitForm as Default>::default(),
        vec![],
        can_record,
        own,
    )
    .await
}

#[post("/providers/<slug>/visits", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn record_visit(
    view: Page<'_>,
    staff: Progressions<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    slug: &str,
    form: CsrfForm<VisitForm>,
) -> AppResult<Reply> {
    let p = provider(state, slug).await?;
    let f = &form.0;
    let today = today();
    let mut errors = Vec::new();
    let mut err = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_string().into(),
            message: message.to_string(),
        })
    };
    if !matches!(f.kind.as_str(), "observation" | "annual_qa") {
        err("kind-1", "Choose the kind of visit");
    }
    let visit_date = date(&f.visit_date).filter(|d| *d <= today);
    if visit_date.is_none() {
        err(
            "visit_date",
            "Enter the date of the visit, today or earlier",
        );
    }
    let mut scores = [0i64; 4];
    for (i, (key, label)) in THEMES.iter().enumerate() {
        let raw = match *key {
            "safeguarding" => &f.score_safeguarding,
            "health_safety" => &f.score_health_safety,
            "admissions" => &f.score_admissions,
            _ => &f.score_education,
        };
        match raw.parse::<i64>() {
            Ok(s) if (1..=4).contains(&s) => scores[i] = s,
            _ => err(
                &format!("score_{key}-1"),
                &format!("Choose a score for {}", label.to_lowercase()),
            ),
        }
    }
    let mut texts = Vec::new();
    for (field, what, value) in [
        ("strengths", "strengths", &f.strengths),
        ("improvements", "areas to improve", &f.improvements),
        ("pupil_voice", "what pupils said", &f.pupil_voice),
    ] {
        match text::paragraph(value, what, 4000, false) {
            Ok(t) => texts.push(t),
            Err(e) => {
                err(field, &e.0);
                texts.push(String::new());
            }
        }
    }
    let mut actions = Vec::new();
    if f.actions.len() > 10 {
        err("actions-0-action", "Record at most 10 actions at a time");
    }
    for (i, a) in f.actions.iter().enumerate().take(10) {
        if a.action.trim().is_empty() && a.owner.trim().is_empty() && a.due_on.trim().is_empty() {
            continue;
        }
        let action = text::paragraph(&a.action, "the action", 1000, true);
        let owner = text::single_line(&a.owner, "who owns the action", 120);
        let due = date(&a.due_on);
        match (&action, &owner, due) {
            (Ok(x), Ok(o), Some(d)) => actions.push((x.clone(), o.clone(), d)),
            _ => {
                if let Err(e) = &action {
                    err(&format!("actions-{i}-action"), &e.0);
                }
                if let Err(e) = &owner {
                    err(&format!("actions-{i}-owner"), &e.0);
                }
                if due.is_none() {
                    err(
                        &format!("actions-{i}-due_on"),
                        "Enter a due date, like 2027-01-31",
                    );
                }
            }
        }
    }
    let Some(visit_date) = visit_date.filter(|_| errors.is_empty()) else {
        return render(
            &view,
            state,
            &p,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
            true,
            false,
        )
        .await;
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let id = store::insert_visit(
        &mut tx,
        &NewVisit {
            provider_id: p.row.id,
            kind: &f.kind,
            visit_date,
            officer_id: Some(staff.0.user_id),
            scores,
            strengths: &texts[0],
            improvements: &texts[1],
            pupil_voice: &texts[2],
        },
        now,
    )
    .await?;
    for (action, owner, due) in &actions {
        store::insert_action(&mut tx, id, p.row.id, action, owner, *due).await?;
    }
    let notice = Notice::new(
        NoticeKind::DueDiligence,
        Recipient::Provider(p.row.id),
        &format!(
            "The council has recorded a quality visit to {} on {}{}.",
            p.row.name,
            long_date(visit_date),
            if actions.is_empty() {
                String::new()
            } else {
                format!(" with {} actions for you to answer", actions.len())
            }
        ),
        &format!("/providers/{slug}/visits"),
    )
    .map_err(|e| AppError::Internal(e.0))?;
    notify::raise(&mut tx, &state.config, &notice).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "record",
            "quality_visit",
            Some(id.to_string()),
            format!(
                "{} {} scores {:?}, {} actions",
                p.row.name,
                f.kind,
                scores,
                actions.len()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/providers/{slug}/visits"),
        "success",
        "Visit recorded. The provider can see the report and answer its actions.",
    ))
}

#[derive(FromForm)]
pub struct RespondForm {
    #[field(default = String::new())]
    response: String,
}

/// The provider answers an action on its own report (another provider's action is not found).
#[post("/visit-actions/<id>/respond", data = "<form>")]
async fn respond(
    staff: ProviderStaff<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<RespondForm>,
) -> AppResult<Reply> {
    let a = store::action_of(&state.pool, id, staff.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let response = text::paragraph(&form.0.response, "your response", 2000, true)
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let p = db::providers::by_id(&state.pool, a.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    store::respond(&mut tx, id, &response, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry("respond", "visit_action", Some(id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/providers/{}/visits", p.row.slug),
        "success",
        "Your response has been saved for the Progressions Team.",
    ))
}

#[derive(FromForm)]
pub struct CompleteForm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/visit-actions/<id>/complete", data = "<_form>")]
async fn complete(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<CompleteForm>,
) -> AppResult<Reply> {
    let a = store::action(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let p = db::providers::by_id(&state.pool, a.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    store::complete(&mut tx, id, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry("complete", "visit_action", Some(id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        format!("/providers/{}/visits", p.row.slug),
        "success",
        "Action marked as done.",
    ))
}
