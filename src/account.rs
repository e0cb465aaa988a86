//! Signing in and out.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, SignedIn};
use crate::auth::session::Viewer;
use crate::auth::{password, random_token, session, token_hash};
use crate::db;
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use chrono::Duration;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, post, routes, Route, State};

/// 10 failures are allowed in the window; the 11th attempt is refused.
pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MINUTES: i64 = 5;

pub fn routes() -> Vec<Route> {
    routes![login_page, login, logout]
}

/// Only local paths, so the sign-in form cannot be used to send people elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 500 =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

#[get("/login?<next>")]
fn login_page(
    page: Page<'_>,
    csrf: CsrfToken,
    viewer: &Viewer,
    next: Option<&str>,
) -> AppResult<Reply> {
    if viewer.user().is_some() {
        return Ok(Reply::Redirect(Redirect::to(safe_next(next))));
    }
    page.ok(
        "account/login.html.j2",
        context! { csrf_token => csrf.0, next => safe_next(next), errors => Vec::<FieldError>::new(),
                   email => "", expired => viewer.expired },
    )
}

#[derive(FromForm)]
pub struct LoginForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    next: Option<String>,
}

#[post("/login", data = "<form>")]
async fn login(
    page: Page<'_>,
    viewer: &Viewer,
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    actor: Actor,
    csrf: CsrfToken,
    form: CsrfForm<LoginForm>,
) -> AppResult<Reply> {
    let f = form.0;
    let next = safe_next(f.next.as_deref());
    let rerender = |status: Status, errors: Vec<FieldError>, email: &str| {
        page.render(
            status,
            "account/login.html.j2",
            context! { csrf_token => &csrf.0, next => &next, errors, email, expired => false },
        )
    };
    let mut errors = Vec::new();
    let email = match Email::parse(&f.email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push(FieldError {
                field: "email".into(),
                message: e.0,
            });
            None
        }
    };
    if f.password.is_empty() {
        errors.push(FieldError {
            field: "password".into(),
            message: "Enter your password".into(),
        });
    } else if f.password.len() > 1024 {
        errors.push(FieldError {
            field: "password".into(),
            message: "Password must be 128 characters or fewer".into(),
        });
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return rerender(Status::UnprocessableEntity, errors, f.email.trim());
    };

    let pool = &state.pool;
    let now = db::now();
    let ip = actor.ip_or_unknown();
    let (by_email, by_ip) = db::sessions::recent_failures(
        pool,
        email.as_str(),
        &ip,
        now - Duration::minutes(WINDOW_MINUTES),
    )
    .await?;
    if by_email >= MAX_FAILURES || by_ip >= MAX_FAILURES {
        db::audit::record(
            pool,
            &actor.entry(
                "login_refused",
                "user",
                None,
                format!("rate limit for {}", email.as_str()),
            ),
        )
        .await?;
        return Err(AppError::TooManyRequests(format!(
            "There have been too many failed attempts to sign in. Wait {WINDOW_MINUTES} minutes and try again, \
             or ask your administrator to reset your password."
        )));
    }

    let creds = db::users::credentials(pool, email.as_str()).await?;
    let stored = creds
        .as_ref()
        .filter(|c| c.active)
        .map(|c| c.password_hash.clone());
    let ok = password::verify_async(f.password, stored).await;
    let user_id = match (ok, creds) {
        (true, Some(c)) => c.id,
        _ => {
            db::sessions::record_attempt(pool, email.as_str(), &ip, now, false).await?;
            db::audit::record(
                pool,
                &actor.entry("login_failed", "user", None, email.as_str()),
            )
            .await?;
            return rerender(
                Status::Unauthorized,
                vec![FieldError {
                    field: "email".into(),
                    message: "Enter a correct email address and password".into(),
                }],
                email.as_str(),
            );
        }
    };

    let token = random_token();
    let mut tx = crate::db::write(pool).await?;
    // Signing in again replaces any session this browser had: one cookie, one session.
    if let Some(previous) = viewer.user() {
        db::sessions::delete(&mut *tx, &previous.session_id).await?;
    }
    db::sessions::create(
        &mut *tx,
        &token_hash(&token),
        user_id,
        &random_token(),
        now,
        actor.ip.as_deref(),
    )
    .await?;
    db::users::touch_login(&mut *tx, user_id, now).await?;
    let mut entry = actor.entry("login", "user", Some(user_id.to_string()), "");
    entry.user_id = Some(user_id);
    db::audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    db::sessions::record_attempt(pool, email.as_str(), &ip, now, true).await?;

    session::set_cookie(jar, token, state.config.secure_cookies);
    jar.remove_private(rocket::http::Cookie::build(crate::auth::csrf::ANON_COOKIE).path("/"));
    Ok(Reply::Redirect(Redirect::to(next)))
}

#[derive(FromForm)]
pub struct LogoutForm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/logout", data = "<_form>")]
async fn logout(
    user: SignedIn<'_>,
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    actor: Actor,
    _form: CsrfForm<LogoutForm>,
) -> AppResult<Reply> {
    let mut tx = crate::db::write(&state.pool).await?;
    db::sessions::delete(&mut *tx, &user.0.session_id).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry("logout", "user", Some(user.0.user_id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    session::clear_cookie(jar);
    Ok(Reply::flash("/", "success", "You have signed out."))
}
