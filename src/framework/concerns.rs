//! Concerns about providers: anyone may raise one (families through the public form, with no
//! account); the Progressions Team triages it (severity, owner, status) with a dated history.
//! A safeguarding concern reaches the team at once, and cannot be turned off.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, CouncilStaff, Progressions};
use crate::auth::session::Viewer;
use crate::db::concerns::{self as store, NewConcern, CATEGORIES, SEVERITIES, STATUSES};
use crate::db::notifications::Recipient;
use crate::db::{self};
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![new, raise, list, show, update]
}

/// Concerns one address may send through the public form in an hour.
const PUBLIC_PER_HOUR: i64 = 5;

#[derive(FromForm, Default, Serialize)]
pub struct ConcernForm {
    #[field(default = String::new())]
    provider: String,
    #[field(default = String::new())]
    category: String,
    #[field(default = String::new())]
    details: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    contact: String,
}

async fn render_new(
    view: &Page<'_>,
    state: &AppState,
    csrf: &str,
    status: Status,
    form: &ConcernForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let providers: Vec<_> = db::providers::list(&state.pool)
        .await?
        .into_iter()
        .map(|p| context! { value => p.row.slug, label => p.row.name })
        .collect();
    let categories: Vec<_> = CATEGORIES
        .iter()
        .map(|(k, l)| context! { value => k, label => l, checked => form.category == *k })
        .collect();
    view.render(
        status,
        "concerns/new.html.j2",
        context! { providers, categories, form, errors, csrf_token => csrf },
    )
}

#[get("/concerns/new?<provider>")]
async fn new(
    view: Page<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    provider: Option<&str>,
) -> AppResult<Reply> {
    let form = ConcernForm {
        provider: provider
            .filter(|p| text::is_slug(p))
            .unwrap_or("")
            .to_string(),
        ..Default::default()
    };
    render_new(&view, state, &csrf.0, Status::Ok, &form, vec![]).await
}

#[post("/concerns", data = "<form>")]
async fn raise(
    view: Page<'_>,
    viewer: &Viewer,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<ConcernForm>,
) -> AppResult<Reply> {
    // The public form needs no account, so it has its own limit per address (as sign-in does).
    if viewer.user().is_none() {
        let recent = store::recent_from_address(
            &state.pool,
            &actor.ip_or_unknown(),
            db::now() - chrono::Duration::hours(1),
        )
        .await?;
        if recent >= PUBLIC_PER_HOUR {
            return Err(AppError::TooManyRequests(
                "You have sent several concerns in the last hour, so this one was not sent. \
                 If a child is in danger, call 999. Otherwise try again later, or call the \
                 council on 0114 273 4855."
                    .into(),
            ));
        }
    }
    let f = &form.0;
    let mut errors = Vec::new();
    let provider = if text::is_slug(f.provider.trim()) {
        db::providers::by_slug(&state.pool, f.provider.trim()).await?
    } else {
        None
    };
    if provider.is_none() {
        errors.push(FieldError {
            field: "provider".into(),
            message: "Choose the provider the concern is about".into(),
        });
    }
    if !CATEGORIES.iter().any(|(k, _)| *k == f.category) {
        errors.push(FieldError {
            field: "category-1".into(),
            message: "Choose what the concern is about".into(),
        });
    }
    let details = text::paragraph(&f.details, "what happened", 5000, true)
        .map_err(|e| {
            errors.push(FieldError {
                field: "details".into(),
                message: e.0,
            })
        })
        .unwrap_or_default();
    let name = text::single_line(&f.name, "your name", 120)
        .or_else(|e| {
            if f.name.trim().is_empty() {
                Ok(String::new())
            } else {
                Err(e)
            }
        })
        .map_err(|e| {
            errors.push(FieldError {
                field: "name".into(),
                message: e.0,
            })
        })
        .unwrap_or_default();
    let contact = text::single_line(&f.contact, "how to contact you", 200)
        .or_else(|e| {
            if f.contact.trim().is_empty() {
                Ok(String::new())
            } else {
                Err(e)
            }
        })
        .map_err(|e| {
            errors.push(FieldError {
                field: "contact".into(),
                message: e.0,
            })
        })
        .unwrap_or_default();
    let Some(p) = provider.filter(|_| errors.is_empty()) else {
        return render_new(
            &view,
            state,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
        )
        .await;
    };
    let user = viewer.user();
    let raiser_kind = match user.map(|u| u.role) {
        None => "family",
        Some(Role::School) => "school",
        Some(Role::Provider) => "provider",
        Some(Role::Progressions | Role::Admin) => "council",
        Some(Role::Taskforce) => "other",
    };
    let safeguarding = f.category == "safeguarding";
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let id = store::insert(
        &mut tx,
        &NewConcern {
            provider_id: p.row.id,
            raised_by: user.map(|u| u.user_id),
            raiser_name: &name,
            raiser_contact: &contact,
            raiser_kind,
            category: &f.category,
            severity: if safeguarding { "high" } else { "medium" },
            details: &details,
        },
        now,
    )
    .await?;
    let (kind, what) = if safeguarding {
        (NoticeKind::SafeguardingConcern, "A safeguarding concern")
    } else {
        (NoticeKind::ConcernRaised, "A concern")
    };
    let notice = Notice::new(
        kind,
        Recipient::Role(Role::Progressions),
        &format!(
            "{what} has been raised about {} (reference C{id}).",
            p.row.name
        ),
        &format!("/concerns/{id}"),
    )
    .map_err(|e| AppError::Internal(e.0))?;
    notify::raise(&mut tx, &state.config, &notice).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "raise",
            "concern",
            Some(id.to_string()),
            format!("{} about {}", f.category, p.row.name),
        ),
    )
    .await?;
    tx.commit().await?;
    view.ok(
        "concerns/thanks.html.j2",
        context! { reference => format!("C{id}"), provider => p.row.name, safeguarding },
    )
}

#[get("/concerns")]
async fn list(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let rows = store::list(&state.pool, false).await?;
    let now = chrono::Utc::now();
    let rows: Vec<_> = rows
        .into_iter()
        .map(|c| {
            let days = (now - c.created_at).num_days();
            context! { concern => c, days }
        })
        .collect();
    view.ok("concerns/list.html.j2", context! { rows })
}

async fn render_show(
    view: &Page<'_>,
    state: &AppState,
    id: i64,
    csrf: &str,
    status: Status,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let c = store::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let events = store::events(&state.pool, id).await?;
    let owners: Vec<_> = store::owners(&state.pool)
        .await?
        .into_iter()
        .map(|(id, name)| context! { value => id, label => name })
        .collect();
    view.render(
        status,
        "concerns/show.html.j2",
        context! {
            concern => c, events, owners, statuses => STATUSES, severities => SEVERITIES,
            errors, csrf_token => csrf,
        },
    )
}

#[get("/concerns/<id>")]
async fn show(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    render_show(&view, state, id, &csrf.0, Status::Ok, vec![]).await
}

#[derive(FromForm)]
pub struct UpdateForm {
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    severity: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    note: String,
}

/// Triage: each change of status, severity or owner is a dated event with the note.
#[post("/concerns/<id>", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn update(
    view: Page<'_>,
    staff: Progressions<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<UpdateForm>,
) -> AppResult<Reply> {
    let c = store::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = &form.0;
    let mut errors = Vec::new();
    if !STATUSES.contains(&f.status.as_str()) {
        errors.push(FieldError {
            field: "status".into(),
            message: "Choose a status from the list".into(),
        });
    }
    if !SEVERITIES.contains(&f.severity.as_str()) {
        errors.push(FieldError {
            field: "severity".into(),
            message: "Choose a severity from the list".into(),
        });
    }
    let owners = store::owners(&state.pool).await?;
    let owner = match f.owner.trim() {
        "" => None,
        o => match o
            .parse::<i64>()
            .ok()
            .filter(|o| owners.iter().any(|(id, _)| id == o))
        {
            Some(o) => Some(o),
            None => {
                errors.push(FieldError {
                    field: "owner".into(),
                    message: "Choose an owner from the Progressions Team".into(),
                });
                None
            }
        },
    };
    let note = text::paragraph(&f.note, "a note", 2000, false)
        .map_err(|e| {
            errors.push(FieldError {
                field: "note".into(),
                message: e.0,
            })
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return render_show(
            &view,
            state,
            id,
            &csrf.0,
            Status::UnprocessableEntity,
            errors,
        )
        .await;
    }
    let mut changes = Vec::new();
    if f.status != c.status {
        changes.push(format!("Status {} → {}", c.status, f.status));
    }
    if f.severity != c.severity {
        changes.push(format!("Severity {} → {}", c.severity, f.severity));
    }
    if owner != c.owner_id {
        let name = owner
            .and_then(|o| owners.iter().find(|(id, _)| *id == o))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "nobody".into());
        changes.push(format!("Owner → {name}"));
    }
    if changes.is_empty() && note.is_empty() {
        return Ok(Reply::flash(
            format!("/concerns/{id}"),
            "info",
            "Nothing has changed.",
        ));
    }
    let change = if changes.is_empty() {
        "Note added".to_string()
    } else {
        changes.join("; ")
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    store::update(&mut tx, id, &f.status, &f.severity, owner, now).await?;
    store::event(&mut tx, id, Some(staff.0.user_id), &change, &note, now).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry("update", "concern", Some(id.to_string()), change.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(format!("/concerns/{id}"), "success", change))
}
