//! The inbox, preferences, one-click unsubscribe, council notices, and the admin page for the
//! outbox and the scheduled jobs.

use super::{raise, runner, Notice};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin, CouncilStaff, SignedIn};
use crate::db::notifications::{self as store, Recipient};
use crate::db::{self, outbox};
use crate::domain::{text, Delivery, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use std::collections::HashMap;

pub fn routes() -> Vec<Route> {
    routes![
        inbox,
        open,
        read_all,
        preferences,
        save_preferences,
        unsubscribe_page,
        unsubscribe,
        new_notice,
        send_notice,
        admin_mail,
        mail,
        retry_mail
    ]
}

const PER_PAGE: i64 = 25;

#[derive(Serialize)]
struct Item {
    id: i64,
    label: &'static str,
    body: String,
    created_at: chrono::DateTime<chrono::Utc>,
    unread: bool,
}

#[get("/notifications?<page>")]
async fn inbox(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    page: Option<&str>,
) -> AppResult<Reply> {
    let total = store::count_for_user(&state.pool, user.0.user_id).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page_no = crate::web::parse_page(page)?.unwrap_or(1);
    if !(1..=pages).contains(&page_no) {
        return Err(AppError::BadRequest(format!(
            "There is no page {page_no}: choose a page from 1 to {pages}"
        )));
    }
    let rows = store::for_user(
        &state.pool,
        user.0.user_id,
        PER_PAGE,
        (page_no - 1) * PER_PAGE,
    )
    .await?;
    let items: Vec<Item> = rows
        .into_iter()
        .map(|r| Item {
            id: r.id,
            label: NoticeKind::parse(&r.kind)
                .map(|k| k.label())
                .unwrap_or("Notification"),
            body: r.body,
            created_at: r.created_at,
            unread: r.read_at.is_none(),
        })
        .collect();
    view.ok(
        "notifications/inbox.html.j2",
        context! { items, total, page_no, pages, csrf_token => csrf.0 },
    )
}

/// A form with nothing but its CSRF token.
#[derive(FromForm)]
pub struct Empty {
    #[allow(dead_code)]
    csrf_token: String,
}

/// Opens a notification: marks it read and goes to what it is about.
#[post("/notifications/<id>/open", data = "<_form>")]
async fn open(
    user: SignedIn<'_>,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Empty>,
) -> AppResult<Reply> {
    let link = store::mark_read(&state.pool, user.0.user_id, id, db::now())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Reply::Redirect(rocket::response::Redirect::to(link)))
}

#[post("/notifications/read-all", data = "<_form>")]
async fn read_all(
    user: SignedIn<'_>,
    state: &State<AppState>,
    _form: CsrfForm<Empty>,
) -> AppResult<Reply> {
    let n = store::mark_all_read(&state.pool, user.0.user_id, db::now()).await?;
    Ok(Reply::flash(
        "/notifications",
        "success",
        format!(
            "{n} notification{} marked as read.",
            if n == 1 { "" } else { "s" }
        ),
    ))
}

#[derive(Serialize)]
struct PrefRow {
    key: &'static str,
    label: &'static str,
    safeguarding: bool,
    options: Vec<PrefOption>,
}

#[derive(Serialize)]
struct PrefOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

fn pref_rows(role: Role, chosen: &HashMap<NoticeKind, Delivery>) -> Vec<PrefRow> {
    NoticeKind::ALL
        .into_iter()
        .filter(|k| k.for_role(role))
        .map(|k| {
            let current = chosen
                .get(&k)
                .copied()
                .unwrap_or(k.default_delivery())
                .for_kind(k);
            PrefRow {
                key: k.key(),
                label: k.label(),
                safeguarding: k.safeguarding(),
                options: Delivery::ALL
                    .into_iter()
                    .filter(|d| !(k.safeguarding() && *d == Delivery::Off))
                    .map(|d| PrefOption {
                        value: d.key(),
                        label: d.label(),
                        checked: d == current,
                    })
                    .collect(),
            }
        })
        .collect()
}

#[get("/notifications/preferences")]
async fn preferences(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let chosen: HashMap<_, _> = store::preferences(&state.pool, user.0.user_id)
        .await?
        .into_iter()
        .collect();
    view.ok(
        "notifications/preferences.html.j2",
        context! {
            rows => pref_rows(user.0.role, &chosen), errors => Vec::<()>::new(),
            csrf_token => csrf.0, digest_time => &state.config.digest_time,
        },
    )
}

#[derive(FromForm)]
pub struct PrefsForm {
    /// kind key → delivery key.
    mode: HashMap<String, String>,
}

#[post("/notifications/preferences", data = "<form>")]
async fn save_preferences(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<PrefsForm>,
) -> AppResult<Reply> {
    // Check everything first: nothing is saved unless all of it is valid.
    let mut chosen = HashMap::new();
    let mut errors = Vec::new();
    for (k, v) in &form.0.mode {
        let kind = match NoticeKind::parse(k) {
            Ok(kind) if kind.for_role(user.0.role) => kind,
            _ => {
                return Err(AppError::BadRequest(
                    "That kind of notification is not one you receive".into(),
                ))
            }
        };
        match Delivery::parse(v) {
            Ok(Delivery::Off) if kind.safeguarding() => errors.push(FieldError {
                field: format!("mode-{}-1", kind.key()).into(),
                message: format!("{} cannot be turned off", kind.label()),
            }),
            Ok(d) => {
                chosen.insert(kind, d);
            }
            Err(e) => errors.push(FieldError {
                field: format!("mode-{}-1", kind.key()).into(),
                message: e.0,
            }),
        }
    }
    if !errors.is_empty() {
        let current: HashMap<_, _> = store::preferences(&state.pool, user.0.user_id)
            .await?
            .into_iter()
            .collect();
        return view.render(
            Status::UnprocessableEntity,
            "notifications/preferences.html.j2",
            context! {
                rows => pref_rows(user.0.role, &current), errors,
                csrf_token => csrf.0, digest_time => &state.config.digest_time,
            },
        );
    }
    let mut tx = crate::db::write(&state.pool).await?;
    let mut detail = Vec::new();
    for (kind, mode) in &chosen {
        store::set_preference(&mut tx, user.0.user_id, *kind, *mode).await?;
        detail.push(format!("{}={}", kind.key(), mode.key()));
    }
    detail.sort();
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "preferences",
            "notification_prefs",
            Some(user.0.user_id.to_string()),
            detail.join(" "),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/notifications/preferences",
        "success",
        "Your notification settings have been saved.",
    ))
}

/// Tokens are 43 URL-safe characters; anything else is not one of ours.
fn token_ok(t: &str) -> bool {
    t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[get("/unsubscribe/<token>")]
async fn unsubscribe_page(
    view: Page<'_>,
    state: &State<AppState>,
    token: &str,
) -> AppResult<Reply> {
    if !token_ok(token) {
        return Err(AppError::NotFound);
    }
    let (_, kind, _) = store::by_unsubscribe_token(&state.pool, token)
        .await?
        .ok_or(AppError::NotFound)?;
    view.ok(
        "notifications/unsubscribe.html.j2",
        context! { token, label => kind.label(), done => false },
    )
}

/// One click (RFC 8058): the token in the link is the authority, so no session or CSRF token
/// is needed; it only ever turns emails of one kind off for one user.
#[post("/unsubscribe/<token>", data = "<_form>")]
async fn unsubscribe(
    view: Page<'_>,
    actor: Actor,
    state: &State<AppState>,
    token: &str,
    _form: Option<Form<HashMap<String, String>>>,
) -> AppResult<Reply> {
    if !token_ok(token) {
        return Err(AppError::NotFound);
    }
    let (user_id, kind, _) = store::by_unsubscribe_token(&state.pool, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    store::set_preference(&mut tx, user_id, kind, Delivery::Off).await?;
    let entry = crate::db::audit::Entry {
        user_id: Some(user_id),
        ..actor.entry(
            "unsubscribe",
            "notification_prefs",
            Some(user_id.to_string()),
            kind.key(),
        )
    };
    db::audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    view.ok(
        "notifications/unsubscribe.html.j2",
        context! { token, label => kind.label(), done => true },
    )
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

const AUDIENCES: [(&str, &str); 5] = [
    ("providers", "Staff of every provider"),
    ("schools", "Staff of every school"),
    ("progressions", "The Progressions Team"),
    ("taskforce", "The AP Taskforce"),
    ("everyone", "Everyone with an account"),
];

fn audience(key: &str) -> Option<Recipient> {
    Some(match key {
        "providers" => Recipient::Role(Role::Provider),
        "schools" => Recipient::Role(Role::School),
        "progressions" => Recipient::Role(Role::Progressions),
        "taskforce" => Recipient::Role(Role::Taskforce),
        "everyone" => Recipient::Everyone,
        _ => return None,
    })
}

#[derive(FromForm, Default)]
pub struct NoticeForm {
    #[field(default = String::new())]
    audience: String,
    #[field(default = String::new())]
    message: String,
    #[field(default = String::new())]
    safeguarding: String,
}

fn notice_view(f: &NoticeForm) -> minijinja::Value {
    let audiences: Vec<Choice> = AUDIENCES
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            checked: f.audience == *value,
        })
        .collect();
    context! { audiences, message => &f.message, safeguarding => f.safeguarding == "true" }
}

#[get("/notices/new")]
async fn new_notice(view: Page<'_>, _staff: CouncilStaff<'_>, csrf: CsrfToken) -> AppResult<Reply> {
    view.ok(
        "notifications/notice.html.j2",
        context! { form => notice_view(&<NoticeForm as Default>::default()), errors => Vec::<FieldError>::new(), csrf_token => csrf.0 },
    )
}

#[post("/notices", data = "<form>")]
async fn send_notice(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<NoticeForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let mut errors = Vec::new();
    let to = audience(&f.audience);
    if to.is_none() {
        errors.push(FieldError {
            field: "audience-1".into(),
            message: "Choose who the notice is for".into(),
        });
    }
    let kind = match f.safeguarding.as_str() {
        "" => NoticeKind::CouncilNotice,
        "true" => NoticeKind::SafeguardingNotice,
        _ => {
            return Err(AppError::BadRequest(
                "safeguarding must be true or left out".into(),
            ))
        }
    };
    let message = match text::paragraph(&f.message, "the notice", 1000, true) {
        Ok(m) => m,
        Err(e) => {
            errors.push(FieldError {
                field: "message".into(),
                message: e.0,
            });
            String::new()
        }
    };
    let (Some(to), true) = (to, errors.is_empty()) else {
        return view.render(
            Status::UnprocessableEntity,
            "notifications/notice.html.j2",
            context! { form => notice_view(f), errors, csrf_token => csrf.0 },
        );
    };
    let notice = Notice::new(kind, to, &message, "/notifications")
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let mut tx = crate::db::write(&state.pool).await?;
    let raised = raise(&mut tx, &state.config, &notice).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "send",
            "notice",
            None,
            format!(
                "{} to {}: {} people, {} emailed",
                kind.key(),
                f.audience,
                raised.recipients,
                raised.emailed
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/notices/new",
        "success",
        format!(
            "Notice sent to {} {}.",
            raised.recipients,
            if raised.recipients == 1 {
                "person"
            } else {
                "people"
            }
        ),
    ))
}

const STATUSES: [&str; 4] = ["queued", "sending", "sent", "failed"];

#[get("/admin/mail?<status>")]
async fn admin_mail(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    status: Option<&str>,
) -> AppResult<Reply> {
    let status = status.filter(|s| !s.is_empty());
    if let Some(s) = status {
        if !STATUSES.contains(&s) {
            return Err(AppError::BadRequest(
                "status must be queued, sending, sent or failed".into(),
            ));
        }
    }
    let mails = outbox::recent(&state.pool, status, 100).await?;
    let counts = outbox::count_by_status(&state.pool).await?;
    let runs = outbox::job_runs(&state.pool, 20).await?;
    let jobs = runner::jobs(&state.config).unwrap_or_default();
    let transport = match state.config.mail_transport.as_str() {
        "smtp" => format!(
            "SMTP through {}:{} ({})",
            state.config.smtp_host, state.config.smtp_port, state.config.smtp_tls
        ),
        _ => format!(
            "Written as files to {} (no mail leaves this machine)",
            state.config.data_dir.join("outbox").display()
        ),
    };
    view.ok(
        "admin/mail.html.j2",
        context! {
            mails, counts, runs, jobs, transport, status => status.unwrap_or(""),
            statuses => STATUSES, csrf_token => csrf.0,
        },
    )
}

/// One mail as it was queued: what the recipient reads (no pupil data is ever in it).
#[get("/admin/mail/<id>")]
async fn mail(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Reply> {
    let m = outbox::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The unsubscribe link as a path on this server, whatever address the mail used.
    let unsubscribe_path = m
        .unsubscribe_url
        .find("/unsubscribe/")
        .map(|i| m.unsubscribe_url[i..].to_string());
    view.ok(
        "admin/mail_one.html.j2",
        context! { m, unsubscribe_path, csrf_token => csrf.0 },
    )
}

#[post("/admin/mail/<id>/retry", data = "<_form>")]
async fn retry_mail(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    _form: CsrfForm<Empty>,
) -> AppResult<Reply> {
    if !outbox::retry(&state.pool, id, db::now()).await? {
        return Err(AppError::NotFound);
    }
    db::audit::record(
        &state.pool,
        &actor.entry("retry", "mail", Some(id.to_string()), ""),
    )
    .await?;
    Ok(Reply::flash(
        "/admin/mail",
        "success",
        format!("Mail {id} will be sent again within a few seconds."),
    ))
}
