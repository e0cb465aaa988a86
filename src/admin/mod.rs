//! Administration: accounts and the audit log; the term calendar in `calendar`.

pub mod calendar;
pub mod tokens;

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin};
use crate::auth::password;
use crate::db;
use crate::domain::{Email, Role, Urn};
use crate::error::{AppError, AppResult};
use crate::web::{page_number, FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![users, create_user, set_active, audit]
}

#[derive(FromForm, Default, Serialize)]
pub struct NewUserForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    display_name: String,
    #[field(default = String::new())]
    role: String,
    #[field(default = String::new())]
    school_urn: String,
    #[field(default = String::new())]
    provider_slug: String,
    #[field(default = String::new())]
    #[serde(skip)]
    password: String,
}

async fn render_users(
    page: &Page<'_>,
    state: &AppState,
    csrf: &str,
    status: Status,
    form: &NewUserForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let users = db::users::list(&state.pool).await?;
    let providers = db::providers::list(&state.pool).await?;
    let providers: Vec<_> = providers
        .iter()
        .map(|p| context! { slug => &p.row.slug, name => &p.row.name })
        .collect();
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| context! { key => r.key(), label => r.label() })
        .collect();
    page.render(
        status,
        "admin/users.html.j2",
        context! { users, providers, roles, form, errors, csrf_token => csrf },
    )
}

#[get("/admin/users")]
async fn users(
    page: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    render_users(
        &page,
        state,
        &csrf.0,
        Status::Ok,
        &<NewUserForm as Default>::default(),
        vec![],
    )
    .await
}

#[post("/admin/users", data = "<form>")]
async fn create_user(
    page: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<NewUserForm>,
) -> AppResult<Reply> {
    let f = form.0;
    let pool = &state.pool;
    let mut errors = Vec::new();
    let mut err = |field: &'static str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };

    let email = Email::parse(&f.email).map_err(|e| err("email", e.0)).ok();
    let name = crate::domain::text::single_line(&f.display_name, "the person's name", 120)
        .map_err(|e| err("display_name", e.0))
        .ok();
    let role = Role::parse(&f.role).map_err(|e| err("role", e.0)).ok();
    let mut school_id = None;
    let mut provider_id = None;
    match role {
        Some(Role::School) => match Urn::parse(&f.school_urn) {
            Ok(urn) => match db::schools::by_urn(pool, urn.as_str()).await? {
                Some(s) if s.is_closed() => err(
                    "school_urn",
                    format!("{} ({}) is closed, according to GIAS", s.name, s.urn),
                ),
                Some(s) => school_id = Some(s.id),
                None => err(
                    "school_urn",
                    format!("No school with URN {} is in the directory", urn.as_str()),
                ),
            },
            Err(e) => err("school_urn", e.0),
        },
        Some(Role::Provider) => match db::providers::by_slug(pool, f.provider_slug.trim()).await? {
            Some(p) => provider_id = Some(p.row.id),
            None => err(
                "provider_slug",
                "Choose the provider this person works for".into(),
            ),
        },
        _ => {}
    }
    if let Err(e) = password::check_policy(&f.password, &f.email) {
        err("password", e.0);
    }
    let (Some(email), Some(name), Some(role), true) = (email, name, role, errors.is_empty()) else {
        return render_users(
            &page,
            state,
            &csrf.0,
            Status::UnprocessableEntity,
            &f,
            errors,
        )
        .await;
    };

    let hash = password::hash_async(f.password.clone())
        .await
        .map_err(AppError::Internal)?;
    let mut tx = crate::db::write(pool).await?;
    let new = db::users::NewUser {
        email: &email,
        display_name: &name,
        password_hash: &hash,
        role,
        school_id,
        provider_id,
    };
    let id = match db::users::create(&mut *tx, &new, db::now()).await {
        Ok(id) => id,
        Err(e) if db::users::is_unique_violation(&e) => {
            drop(tx);
            let errors = vec![FieldError {
                field: "email".into(),
                message: "An account with this email address already exists".into(),
            }];
            return render_users(&page, state, &csrf.0, Status::Conflict, &f, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "create",
            "user",
            Some(id.to_string()),
            format!("role {}", role.key()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/users",
        "success",
        format!("Account created for {}.", email.as_str()),
    ))
}

#[derive(FromForm)]
pub struct ActiveForm {
    #[field(default = String::new())]
    active: String,
}

#[post("/admin/users/<id>/active", data = "<form>")]
async fn set_active(
    admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<ActiveForm>,
) -> AppResult<Reply> {
    let active = match form.0.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether the account is active".into(),
            ))
        }
    };
    if id == admin.0.user_id && !active {
        return Err(AppError::Conflict(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let user = db::users::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    db::users::set_active(&mut *tx, id, active).await?;
    if !active {
        db::sessions::delete_for_user(&mut *tx, id).await?;
    }
    let action = if active { "activate" } else { "deactivate" };
    db::audit::record(
        &mut *tx,
        &actor.entry(action, "user", Some(id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    let msg = if active {
        "reactivated"
    } else {
        "deactivated and signed out"
    };
    Ok(Reply::flash(
        "/admin/users",
        "success",
        format!("{} has been {msg}.", user.email),
    ))
}

const AUDIT_PAGE: i64 = 50;

#[get("/admin/audit?<page>&<entity>")]
async fn audit(
    p: Page<'_>,
    _admin: Admin<'_>,
    state: &State<AppState>,
    page: Option<&str>,
    entity: Option<&str>,
) -> AppResult<Reply> {
    let n = page_number(crate::web::parse_page(page)?);
    let entity = entity.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = entity {
        if e.len() > 40 || !e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(AppError::BadRequest(
                "Choose a record type from the list".into(),
            ));
        }
    }
    let total = db::audit::count(&state.pool, entity).await?;
    let rows = db::audit::list(&state.pool, entity, AUDIT_PAGE, (n - 1) * AUDIT_PAGE).await?;
    let pages = ((total + AUDIT_PAGE - 1) / AUDIT_PAGE).max(1);
    p.ok(
        "admin/audit.html.j2",
        context! { rows, page_no => n, pages, total, entity,
        entities => ["user", "pupil", "provider", "school"] },
    )
}

/// `apdir create-admin`: validates like the web form and audits the creation.
pub async fn create_admin(
    pool: &crate::db::Pool,
    email: &str,
    name: &str,
    pw: &str,
) -> Result<i64, String> {
    let email = Email::parse(email).map_err(|e| e.0)?;
    let name = crate::domain::text::single_line(name, "the name", 120).map_err(|e| e.0)?;
    password::check_policy(pw, email.as_str()).map_err(|e| e.0)?;
    let hash = password::hash_async(pw.to_string()).await?;
    let new = db::users::NewUser {
        email: &email,
        display_name: &name,
        password_hash: &hash,
        role: Role::Admin,
        school_id: None,
        provider_id: None,
    };
    let mut tx = crate::db::write(pool).await.map_err(|e| e.to_string())?;
    let id = db::users::create(&mut *tx, &new, db::now())
        .await
        .map_err(|e| {
            if db::users::is_unique_violation(&e) {
                format!(
                    "An account with the email address {} already exists",
                    email.as_str()
                )
            } else {
                e.to_string()
            }
        })?;
    let entry = db::audit::Entry {
        at: db::now(),
        user_id: None,
        role: None,
        action: "create".into(),
        entity: "user".into(),
        entity_id: Some(id.to_string()),
        detail: "role admin, by apdir create-admin".into(),
        ip: None,
        request_id: None,
    };
    db::audit::record(&mut *tx, &entry)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(id)
}
