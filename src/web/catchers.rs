//! Error pages for everything Rocket answers itself (no route, guard refusals, bad bodies).

use super::{error_message, render_error};
use crate::auth::session::Viewer;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder};
use rocket::{catch, catchers, Catcher};

pub fn catchers() -> Vec<Catcher> {
    catchers![unauthorized, default]
}

pub struct ErrorPage(Status, String);

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        render_error(req, self.0, &self.1)
    }
}

fn default_message(status: Status) -> &'static str {
    match status.code {
        400 => "The request could not be understood. Check what you entered and try again.",
        403 => "Your account does not give you access to this page.",
        404 => "If you typed the web address, check it is correct. If you pasted it, check you copied all of it.",
        405 => "That action is not available at this address.",
        413 => "What you sent is too large.",
        415 => "What you sent is not in a form this service accepts.",
        422 => "Some of what you sent could not be read. Check it and try again.",
        429 => "Too many attempts. Wait a few minutes and try again.",
        503 => "The service is busy. Try again in a minute.",
        500..=599 => "Sorry, there is a problem with the service. Try again later.",
        _ => "Something went wrong.",
    }
}

/// Browsers are sent to sign in and brought back; API clients get JSON.
#[catch(401)]
async fn unauthorized(req: &Request<'_>) -> Result<Redirect, ErrorPage> {
    if req.uri().path().starts_with("/api/") {
        return Err(ErrorPage(
            Status::Unauthorized,
            "Sign in to use this API.".into(),
        ));
    }
    let next = req.uri().to_string();
    let next = rocket::http::RawStr::new(&next)
        .percent_encode()
        .to_string();
    Ok(Redirect::to(format!("/login?next={next}")))
}

#[catch(default)]
async fn default(status: Status, req: &Request<'_>) -> ErrorPage {
    // Load the viewer so the header shows the signed-in user on error pages too.
    let _ = req.guard::<&Viewer>().await;
    if status.code >= 500 {
        tracing::error!(request_id = %super::request_id(req), status = status.code, path = %req.uri().path(),
            "server error (a handler failed or panicked)");
    }
    let msg = error_message(req).unwrap_or_else(|| default_message(status).to_string());
    ErrorPage(status, msg)
}
