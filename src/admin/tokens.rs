//! API tokens for school MIS and provider systems: created and revoked by admins. A token is
//! shown once, when it is made; only its hash is kept.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin};
use crate::db;
use crate::domain::{text, Urn};
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![list, create, revoke]
}

#[derive(FromForm, Default, Serialize)]
pub struct TokenForm {
    #[field(default = String::new())]
    name: String,
    /// A school's URN or a provider's slug.
    #[field(default = String::new())]
    organisation: String,
}

async fn render(
    view: &Page<'_>,
    state: &AppState,
    csrf: &str,
    status: Status,
    form: &TokenForm,
    errors: Vec<FieldError>,
    new_token: Option<String>,
) -> AppResult<Reply> {
    let tokens = db::tokens::list(&state.pool).await?;
    view.render(
        status,
        "admin/tokens.html.j2",
        context! { tokens, form, errors, new_token, csrf_token => csrf },
    )
}

#[get("/admin/tokens")]
async fn list(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    render(
        &view,
        state,
        &csrf.0,
        Status::Ok,
        &<TokenForm as Default>::default(),
        vec![],
        None,
    )
    .await
}

#[post("/admin/tokens", data = "<form>")]
async fn create(
    view: Page<'_>,
    admin: Admin<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    form: CsrfForm<TokenForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let mut errors = Vec::new();
    let name = text::single_line(&f.name, "a name for the system using the token", 100);
    if let Err(e) = &name {
        errors.push(FieldError::new("name", e.0.clone()));
    }
    let org = f.organisation.trim();
    let (school_id, provider_id) = if let Ok(urn) = Urn::parse(org) {
        match db::schools::by_urn(&state.pool, urn.as_str()).await? {
            Some(s) => (Some(s.id), None),
            None => (None, None),
        }
    } else if text::is_slug(org) {
        match db::providers::by_slug(&state.pool, org).await? {
            Some(p) => (None, Some(p.row.id)),
            None => (None, None),
        }
    } else {
        (None, None)
    };
    if school_id.is_none() && provider_id.is_none() {
        errors.push(FieldError::new(
            "organisation",
            "Enter a school's 6-digit URN or a provider's web address name, like steel-city-vocational-hub",
        ));
    }
    let Ok(name) = name
        .map_err(|_| ())
        .and_then(|n| if errors.is_empty() { Ok(n) } else { Err(()) })
    else {
        return render(
            &view,
            state,
            &csrf.0,
            Status::UnprocessableEntity,
            f,
            errors,
            None,
        )
        .await;
    };
    let token = format!("apdir_{}", crate::auth::random_token());
    let mut tx = crate::db::write(&state.pool).await?;
    let id = db::tokens::create(
        &mut tx,
        &crate::auth::token_hash(&token),
        &name,
        school_id,
        provider_id,
        admin.0.user_id,
        db::now(),
    )
    .await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "create",
            "api_token",
            Some(id.to_string()),
            format!("{name} for {org}"),
        ),
    )
    .await?;
    tx.commit().await?;
    render(
        &view,
        state,
        &csrf.0,
        Status::Ok,
        &<TokenForm as Default>::default(),
        vec![],
        Some(token),
    )
    .await
}

#[derive(FromForm)]
pub struct Confirm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/admin/tokens/<id>/revoke", data = "<_form>")]
async fn revoke(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Confirm>,
) -> AppResult<Reply> {
    let mut tx = crate::db::write(&state.pool).await?;
    let name = db::tokens::revoke(&mut tx, id, db::now())
        .await?
        .ok_or(AppError::NotFound)?;
    db::audit::record(
        &mut *tx,
        &actor.entry("revoke", "api_token", Some(id.to_string()), name.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/tokens",
        "success",
        format!("The token for {name} is revoked."),
    ))
}
