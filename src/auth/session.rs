//! Sessions: a random token in a private (encrypted, signed) cookie; the database holds its hash,
//! the user and the CSRF token. Idle and absolute timeouts are enforced on every request.

use crate::db::{self, sessions::SessionRow};
use crate::domain::Role;
use crate::AppState;
use chrono::Duration;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use serde::Serialize;

pub const SESSION_COOKIE: &str = "apdir_session";

/// The signed-in user behind a request.
#[derive(Debug, Clone, Serialize)]
pub struct SessionUser {
    #[serde(skip)]
    pub session_id: String,
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub school_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub org_name: Option<String>,
    #[serde(skip)]
    pub csrf_token: String,
}

/// Who is asking: a signed-in user or the public. Loaded once per request and cached.
#[derive(Debug, Default)]
pub struct Viewer {
    user: Option<SessionUser>,
    /// The cookie named a session that had timed out (the sign-in page says so).
    pub expired: bool,
    db_error: bool,
}

impl Viewer {
    pub fn user(&self) -> Option<&SessionUser> {
        self.user.as_ref()
    }

    /// The viewer if a guard has loaded it, else the public; never does I/O.
    pub fn cached<'r>(req: &'r Request<'_>) -> &'r Viewer {
        req.local_cache(Viewer::default)
    }

    async fn load(req: &Request<'_>) -> Viewer {
        let Some(state) = req.rocket().state::<AppState>() else {
            return Viewer::default();
        };
        let Some(token) = req.cookies().get_private(SESSION_COOKIE) else {
            return Viewer::default();
        };
        let id = super::token_hash(token.value());
        let row = match db::sessions::load(&state.pool, &id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return Viewer {
                    db_error: true,
                    ..Viewer::default()
                };
            }
        };
        let now = db::now();
        let cfg = &state.config;
        let valid = |r: &SessionRow| {
            r.active
                && now - r.last_seen_at < Duration::minutes(cfg.session_idle_minutes)
                && now - r.created_at < Duration::minutes(cfg.session_absolute_minutes)
        };
        match row {
            Some(r) if valid(&r) => {
                let Ok(role) = Role::parse(&r.role) else {
                    return Viewer::default();
                };
                // One write a minute at most: enough for a 30-minute idle limit.
                if now - r.last_seen_at >= Duration::seconds(60) {
                    if let Err(e) = db::sessions::touch(&state.pool, &id, now).await {
                        tracing::warn!(error = %e, "could not refresh session");
                    }
                }
                Viewer {
                    user: Some(SessionUser {
                        session_id: id,
                        user_id: r.user_id,
                        email: r.email,
                        display_name: r.display_name,
                        role,
                        role_label: role.label(),
                        school_id: r.school_id,
                        provider_id: r.provider_id,
                        org_name: r.org_name,
                        csrf_token: r.csrf_token,
                    }),
                    expired: false,
                    db_error: false,
                }
            }
            Some(_) => {
                let _ = db::sessions::delete(&state.pool, &id).await;
                req.cookies().remove_private(Cookie::from(SESSION_COOKIE));
                Viewer {
                    expired: true,
                    ..Viewer::default()
                }
            }
            None => {
                req.cookies().remove_private(Cookie::from(SESSION_COOKIE));
                Viewer::default()
            }
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r Viewer {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let v = req.local_cache_async(Viewer::load(req)).await;
        if v.db_error {
            Outcome::Error((Status::ServiceUnavailable, ()))
        } else {
            Outcome::Success(v)
        }
    }
}

/// Sets the session cookie after sign-in.
pub fn set_cookie(jar: &CookieJar<'_>, token: String, secure: bool) {
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    jar.add_private(cookie);
}

pub fn clear_cookie(jar: &CookieJar<'_>) {
    jar.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
}
