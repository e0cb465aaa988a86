//! Shared rendering: templates, the page context every page gets, replies, static assets and
//! the error pages (HTML, or JSON under `/api/`).

pub mod catchers;
pub mod fairings;
mod templates;

pub use templates::Templates;

use crate::auth::session::Viewer;
use crate::AppState;
use minijinja::{context, Value};
use rocket::http::{ContentType, Status};
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::{self, Flash, Redirect, Responder};
use rocket::{Response, State};
use serde::Serialize;
use std::io::Cursor;
use std::path::PathBuf;

/// A problem with one form field: the message, and the id of the field the error summary
/// links to. One type for every form.
#[derive(Debug, Serialize)]
pub struct FieldError {
    pub field: std::borrow::Cow<'static, str>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string().into(),
            message: message.into(),
        }
    }
}

/// A date as a form's date field sends it (`2026-11-24`); anything else is `None`.
pub fn form_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A `from`/`to` range from a query: each end defaults when absent or empty, both inclusive,
/// `to` not before `from` and at most about two school years later.
pub fn date_range(
    from: Option<&str>,
    to: Option<&str>,
    default_from: chrono::NaiveDate,
    default_to: chrono::NaiveDate,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), crate::error::AppError> {
    use crate::error::AppError;
    let pick =
        |s: Option<&str>, default, what: &str| match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(v) => form_date(v).ok_or_else(|| {
                AppError::BadRequest(format!("The '{what}' date must look like 2026-09-01"))
            }),
        };
    let (from, to) = (
        pick(from, default_from, "from")?,
        pick(to, default_to, "to")?,
    );
    if to < from || (to - from).num_days() > 800 {
        return Err(AppError::BadRequest(
            "The 'to' date must be on or after the 'from' date, and at most two years later".into(),
        ));
    }
    Ok((from, to))
}

/// The id given to each request, shown on error pages and in logs.
#[derive(Clone)]
pub struct RequestId(pub String);

pub fn request_id(req: &Request<'_>) -> String {
    req.local_cache(|| RequestId(String::from("-"))).0.clone()
}

/// Everything the base layout needs.
#[derive(Serialize)]
pub struct PageCtx {
    pub council_name: String,
    pub service_name: String,
    pub phase: String,
    pub user: Option<crate::auth::session::SessionUser>,
    pub csrf_token: Option<String>,
    pub flash: Option<(String, String)>,
    pub path: String,
    pub request_id: String,
    pub nav: Vec<NavItem>,
    /// Unread notifications of the signed-in user (pages only; error pages leave it out).
    pub unread: Option<i64>,
}

#[derive(Serialize)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl PageCtx {
    /// Built from what the request has already loaded (no I/O), so error pages can use it.
    pub fn from_request(req: &Request<'_>, state: &AppState) -> PageCtx {
        let viewer = Viewer::cached(req);
        let user = viewer.user().cloned();
        let path = req.uri().path().to_string();
        let nav = nav_for(user.as_ref().map(|u| u.role), &path);
        PageCtx {
            council_name: state.config.council_name.clone(),
            service_name: state.config.service_name.clone(),
            phase: state.config.phase.clone(),
            csrf_token: user.as_ref().map(|u| u.csrf_token.clone()),
            user,
            flash: None,
            path,
            request_id: request_id(req),
            nav,
            unread: None,
        }
    }
}

fn nav_for(role: Option<crate::domain::Role>, path: &str) -> Vec<NavItem> {
    use crate::domain::Role;
    let mut items: Vec<(&'static str, &'static str)> =
        vec![("/", "Home"), ("/providers", "Find provision")];
    match role {
        Some(Role::Admin) => {
            items.push(("/admin/users", "Accounts"));
            items.push(("/admin/audit", "Audit log"));
            items.push(("/admin/mail", "Email and jobs"));
            items.push(("/due-diligence", "Due diligence"));
            items.push(("/admin/check-types", "Check types"));
            items.push(("/admin/calendar", "Term dates"));
            items.push(("/admin/schools", "Schools"));
            items.push(("/admin/forum", "Forum categories"));
            items.push(("/admin/retention", "Retention"));
            items.push(("/admin/tokens", "API tokens"));
            items.push(("/reports/outcomes", "Outcomes"));
            items.push(("/notices/new", "Send a notice"));
        }
        Some(Role::School) => {
            items.push(("/pupils", "Your pupils"));
            items.push(("/placements", "Placements"));
            items.push(("/attendance", "Attendance"));
            items.push(("/follow-ups", "Follow-ups"));
        }
        Some(Role::Progressions) => {
            items.push(("/pupils", "Pupils"));
            items.push(("/placements", "Placements"));
            items.push(("/attendance/missing", "Registers"));
            items.push(("/approvals", "Profile changes"));
            items.push(("/due-diligence", "Due diligence"));
            items.push(("/concerns", "Concerns"));
            items.push(("/framework", "Framework"));
            items.push(("/follow-ups", "Follow-ups"));
            items.push(("/reports/outcomes", "Outcomes"));
            items.push(("/notices/new", "Send a notice"));
        }
        Some(Role::Provider) => {
            items.push(("/registers", "Registers"));
            items.push(("/placements", "Placements"));
            items.push(("/provider/profile", "Your profile"));
            items.push(("/provider/checks", "Your checks"));
        }
        Some(Role::Taskforce) => {
            items.push(("/reports/outcomes", "Outcomes report"));
        }
        _ => {}
    }
    if role.is_some() {
        items.push(("/forum", "Forum"));
    }
    items
        .into_iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: if href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            },
        })
        .collect()
}

/// The page guard: the viewer is loaded first, then the context is built.
pub struct Page<'r> {
    pub ctx: PageCtx,
    state: &'r AppState,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if let Outcome::Error(e) = req.guard::<&Viewer>().await {
            return Outcome::Error((e.0, ()));
        }
        let state = match req.guard::<&State<AppState>>().await {
            Outcome::Success(s) => s.inner(),
            _ => return Outcome::Error((Status::InternalServerError, ())),
        };
        let mut ctx = PageCtx::from_request(req, state);
        if let Some(u) = &ctx.user {
            ctx.unread = crate::db::notifications::unread(&state.pool, u.user_id)
                .await
                .ok();
        }
        if let Outcome::Success(f) = req.guard::<Option<FlashMessage<'_>>>().await {
            ctx.flash = f.map(|f| (f.kind().to_string(), f.message().to_string()));
        }
        Outcome::Success(Page { ctx, state })
    }
}

impl Page<'_> {
    /// Renders a page with `extra` merged into the context.
    pub fn render(
        &self,
        status: Status,
        name: &str,
        extra: Value,
    ) -> Result<Reply, crate::error::AppError> {
        let ctx = context! { page => Value::from_serialize(&self.ctx), ..extra };
        let html = self.state.templates.render(name, ctx)?;
        Ok(Reply::Html(status, html))
    }
    pub fn ok(&self, name: &str, extra: Value) -> Result<Reply, crate::error::AppError> {
        self.render(Status::Ok, name, extra)
    }
}

/// What a handler sends back.
pub enum Reply {
    Html(Status, String),
    Redirect(Redirect),
    Flash(Flash<Redirect>),
}

impl Reply {
    /// Post/redirect/get with a one-time message.
    pub fn flash(to: impl Into<String>, kind: &str, msg: impl Into<String>) -> Reply {
        Reply::Flash(Flash::new(Redirect::to(to.into()), kind, msg.into()))
    }
}

impl<'r> Responder<'r, 'static> for Reply {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Reply::Html(status, body) => Response::build()
                .status(status)
                .header(ContentType::HTML)
                .sized_body(body.len(), Cursor::new(body))
                .ok(),
            Reply::Redirect(r) => r.respond_to(req),
            Reply::Flash(f) => f.respond_to(req),
        }
    }
}

/// The body of every JSON error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status code.
    pub code: u16,
    /// The status's reason phrase.
    pub reason: String,
    /// What was wrong, in words a person can act on.
    pub message: String,
    /// Quote this to the service desk.
    pub request_id: String,
}

/// Paths answered in JSON, errors included: our API and the Open Referral feed.
pub fn answers_json(path: &str) -> bool {
    path.starts_with("/api/") || is_open_data(path)
}

/// The public open-data feed: readable from any origin.
pub fn is_open_data(path: &str) -> bool {
    path == "/openreferral" || path.starts_with("/openreferral/")
}

/// An error as the person sees it: an HTML page, or `{"error": {...}}` under `/api/` and
/// `/openreferral`.
pub fn render_error(req: &Request<'_>, status: Status, message: &str) -> response::Result<'static> {
    if answers_json(req.uri().path().as_str()) {
        let body = serde_json::to_string(&ErrorBody {
            error: ErrorDetail {
                code: status.code,
                reason: status.reason().unwrap_or("").to_string(),
                message: message.to_string(),
                request_id: request_id(req),
            },
        })
        .unwrap_or_default()
        // Messages can echo what was sent: escape markup characters so the JSON is inert
        // even if something renders it as HTML.
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
        return Response::build()
            .status(status)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok();
    }
    let Some(state) = req.rocket().state::<AppState>() else {
        return Err(status);
    };
    let page = PageCtx::from_request(req, state);
    let title = match status.code {
        400 | 422 => "There is a problem with what was sent",
        401 => "You need to sign in",
        403 => "You do not have access to this page",
        404 => "Page not found",
        405 => "That action is not available here",
        413 => "What you sent is too large",
        429 => "Too many attempts",
        500..=599 => "Sorry, there is a problem with the service",
        _ => "Something went wrong",
    };
    let html = state
        .templates
        .render(
            "error.html.j2",
            context! { page => Value::from_serialize(&page), status => status.code, title, message },
        )
        .map_err(|_| Status::InternalServerError)?;
    Response::build()
        .status(status)
        .header(ContentType::HTML)
        .sized_body(html.len(), Cursor::new(html))
        .ok()
}

/// Static assets, embedded in the binary.
#[rocket::get("/static/<file..>")]
pub fn static_file(file: PathBuf) -> Option<(ContentType, Vec<u8>)> {
    let name = file.to_str()?;
    let asset = templates::Static::get(name)?;
    let ct = file
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    Some((ct, asset.data.into_owned()))
}

/// Clamp a user-supplied page number.
pub fn page_number(p: Option<i64>) -> i64 {
    p.unwrap_or(1).clamp(1, 100_000)
}

/// A `page` query parameter as people type it: absent or blank is the first page; anything but
/// a whole number from 1 is refused with a message (never silently shown as page 1).
pub fn parse_page(p: Option<&str>) -> Result<Option<i64>, crate::error::AppError> {
    match p.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| {
                crate::error::AppError::BadRequest(
                    "page must be a whole number from 1, like 2".into(),
                )
            }),
    }
}

/// A message a guard leaves for the error page (catchers cannot see guard errors otherwise).
struct GuardMessage(String);

pub fn set_error_message(req: &Request<'_>, msg: &str) {
    req.local_cache(|| GuardMessage(msg.to_string()));
}

pub fn error_message(req: &Request<'_>) -> Option<String> {
    let m = &req.local_cache(|| GuardMessage(String::new())).0;
    (!m.is_empty()).then(|| m.clone())
}

/// A file to save: the body, its type and a `Content-Disposition: attachment` name.
#[derive(rocket::Responder)]
#[response(status = 200)]
pub struct Download {
    body: Vec<u8>,
    content_type: ContentType,
    disposition: rocket::http::Header<'static>,
}

impl Download {
    /// Shown in the browser (a picture in a forum post), not saved.
    pub fn inline(body: Vec<u8>, content_type: ContentType) -> Download {
        Download {
            body,
            content_type,
            disposition: rocket::http::Header::new("Content-Disposition", "inline"),
        }
    }

    /// `name` is reduced to printable ASCII for the header.
    pub fn attachment(body: Vec<u8>, content_type: ContentType, name: &str) -> Download {
        let ascii: String = name
            .chars()
            .map(|c| {
                if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Download {
            body,
            content_type,
            disposition: rocket::http::Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{ascii}\""),
            ),
        }
    }
}
