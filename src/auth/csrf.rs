//! CSRF protection for every state-changing request.
//!
//! Signed-in users have a per-session token; visitors (the sign-in form) get one in a private
//! cookie. Every form carries it as `csrf_token`, and `CsrfForm<T>` refuses the body unless it
//! matches (constant-time) and the request is not cross-site (`Sec-Fetch-Site`, `Origin`).

use super::session::Viewer;
use crate::web::set_error_message;
use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

pub const ANON_COOKIE: &str = "apdir_csrf";

/// The token to put in this page's forms.
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let viewer = match req.guard::<&Viewer>().await {
            Outcome::Success(v) => v,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        if let Some(u) = viewer.user() {
            return Outcome::Success(CsrfToken(u.csrf_token.clone()));
        }
        if let Some(c) = req.cookies().get_private(ANON_COOKIE) {
            return Outcome::Success(CsrfToken(c.value().to_string()));
        }
        let token = super::random_token();
        let secure = req
            .rocket()
            .state::<crate::AppState>()
            .map(|s| s.config.secure_cookies)
            .unwrap_or(true);
        req.cookies().add_private(
            Cookie::build((ANON_COOKIE, token.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(secure),
        );
        Outcome::Success(CsrfToken(token))
    }
}

/// The token this request's form must carry, if any can be valid.
async fn expected_token(req: &Request<'_>) -> Result<Option<String>, Status> {
    match req.guard::<&Viewer>().await {
        Outcome::Success(v) => Ok(match v.user() {
            Some(u) => Some(u.csrf_token.clone()),
            None => req
                .cookies()
                .get_private(ANON_COOKIE)
                .map(|c| c.value().to_string()),
        }),
        Outcome::Error((s, _)) => Err(s),
        Outcome::Forward(s) => Err(s),
    }
}

/// Refuses requests a browser marks as cross-site, or whose Origin is another host.
fn same_origin(req: &Request<'_>) -> bool {
    if let Some(site) = req.headers().get_one("Sec-Fetch-Site") {
        if site.eq_ignore_ascii_case("cross-site") {
            return false;
        }
    }
    if let Some(origin) = req.headers().get_one("Origin") {
        if origin == "null" {
            return false;
        }
        let host = req.headers().get_one("Host").unwrap_or("");
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(origin);
        if !host.is_empty() && !origin_host.eq_ignore_ascii_case(host) {
            return false;
        }
    }
    true
}

/// For forms that cannot go through `CsrfForm` (file uploads, multipart): refuses cross-site
/// requests; the handler then checks the form's token with `token_matches`.
pub struct SameOrigin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if same_origin(req) {
            Outcome::Success(SameOrigin)
        } else {
            set_error_message(req, EXPIRED);
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// For multipart forms behind `SameOrigin`: the form's token must be the session's.
pub fn require_token(expected: &str, given: &str) -> Result<(), crate::error::AppError> {
    if token_matches(expected, given) {
        Ok(())
    } else {
        Err(crate::error::AppError::Forbidden(EXPIRED.into()))
    }
}

/// Constant-time comparison of the form's token with the session's.
pub fn token_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[derive(FromForm)]
struct TokenField {
    csrf_token: Option<String>,
}

/// A url-encoded form body whose CSRF token has been checked. Fields are parsed leniently into
/// owned strings and validated into domain types by the handler.
pub struct CsrfForm<T>(pub T);

const EXPIRED: &str = "This form has expired or did not come from this service. \
    Go back, reload the page and try again.";

#[rocket::async_trait]
impl<'r, T: for<'a> FromForm<'a> + Send + 'static> FromData<'r> for CsrfForm<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let fail = |status: Status, msg: &str| {
            set_error_message(req, msg);
            data::Outcome::Error((status, ()))
        };
        if !same_origin(req) {
            return fail(Status::Forbidden, EXPIRED);
        }
        if req.content_type().map(|ct| ct.is_form()) != Some(true) {
            return fail(
                Status::UnsupportedMediaType,
                "Send this form as application/x-www-form-urlencoded.",
            );
        }
        let expected = match expected_token(req).await {
            Ok(t) => t,
            Err(s) => return fail(s, "The service is busy. Try again in a minute."),
        };
        let limit = req.limits().get("form").unwrap_or(64.kibibytes());
        let body = match data.open(limit).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => return fail(Status::PayloadTooLarge, "What you sent is too large."),
            Err(_) => return fail(Status::BadRequest, "The form could not be read."),
        };
        // No form field ever needs a NUL, and PostgreSQL refuses them in text.
        if body.contains('\0') || body.to_ascii_lowercase().contains("%00") {
            return fail(
                Status::BadRequest,
                "The form contains characters that are not allowed. Remove them and try again.",
            );
        }
        let sent = Form::<TokenField>::parse_encoded(rocket::http::RawStr::new(&body))
            .ok()
            .and_then(|t| t.csrf_token);
        let ok = matches!((&expected, &sent), (Some(e), Some(s)) if super::same_secret(e, s));
        if !ok {
            return fail(Status::Forbidden, EXPIRED);
        }
        match Form::<T>::parse_encoded(rocket::http::RawStr::new(&body)) {
            Ok(v) => data::Outcome::Success(CsrfForm(v)),
            Err(errors) => {
                let fields: Vec<String> = errors
                    .iter()
                    .map(|e| match e.name.as_ref() {
                        Some(n) => format!("{n}: {}", e.kind),
                        None => e.kind.to_string(),
                    })
                    .collect();
                fail(
                    Status::UnprocessableEntity,
                    &format!("The form could not be read ({}).", fields.join("; ")),
                )
            }
        }
    }
}
