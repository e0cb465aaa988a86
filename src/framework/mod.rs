//! The provider framework: due-diligence checks with evidence, the status they give, suspension,
//! the Progressions dashboard, and concerns (concerns.rs). The placement gate and registration
//! threshold rules live in `domain::due_diligence` for every placement path to call.

pub mod check_types;
pub mod concerns;
pub mod evidence;
pub mod quality;
pub mod rounds;

use crate::auth::csrf::{token_matches, CsrfForm, CsrfToken, SameOrigin};
use crate::auth::guards::{Actor, CouncilStaff, Progressions, SignedIn};
use crate::auth::session::SessionUser;
use crate::db::checks::{self, NewCheck, NewEvidence};
use crate::db::notifications::Recipient;
use crate::db::{self, providers::ProviderView};
use crate::directory::index::{refresh, Search};
use crate::domain::due_diligence::{long_date, CheckResult};
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{Download, FieldError, Page, Reply};
use crate::AppState;
use chrono::NaiveDate;
use chrono_tz::Europe::London;
use minijinja::context;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Status};
use rocket::tokio::io::AsyncReadExt;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    let mut r = routes![
        checklist,
        own_checks,
        record_check,
        download,
        suspend,
        reinstate,
        dashboard
    ];
    r.extend(concerns::routes());
    r.extend(check_types::routes());
    r.extend(quality::routes());
    r.extend(rounds::routes());
    r
}

/// Today in the council's time zone (checks and expiries are calendar dates in England).
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&London).date_naive()
}

pub(crate) async fn provider(state: &AppState, slug: &str) -> AppResult<ProviderView> {
    if !text::is_slug(slug) {
        return Err(AppError::NotFound);
    }
    db::providers::by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// Progressions and admins see every provider's checks; provider staff their own (another's is
/// not disclosed); others may not.
pub(crate) fn may_see_checks(user: &SessionUser, provider_id: i64) -> AppResult<()> {
    match user.role {
        Role::Progressions | Role::Admin => Ok(()),
        Role::Provider if user.provider_id == Some(provider_id) => Ok(()),
        Role::Provider => Err(AppError::NotFound),
        _ => Err(AppError::Forbidden(
            "Your account does not give you access to this page.".into(),
        )),
    }
}

#[derive(Serialize)]
struct Item {
    type_id: i64,
    name: String,
    evidence: String,
    validity: String,
    result: Option<String>,
    checked_on: Option<String>,
    expires_on: Option<String>,
    /// "ok", "due" (within 30 days), "expired", "failed", "missing".
    state: &'static str,
    state_words: String,
}

fn items(list: &[(checks::CheckType, Option<checks::CheckRow>)], today: NaiveDate) -> Vec<Item> {
    list.iter()
        .map(|(t, latest)| {
            let (state, words) = match latest {
                None => ("missing", "Not yet checked".to_string()),
                Some(r) if r.result == "failed" => {
                    ("failed", format!("Failed on {}", long_date(r.checked_on)))
                }
                Some(r) => match r.expires_on {
                    Some(e) if e <= today => ("expired", format!("Expired on {}", long_date(e))),
                    Some(e) if (e - today).num_days() <= 30 => {
                        ("due", format!("Due: expires on {}", long_date(e)))
                    }
                    Some(e) => ("ok", format!("In date until {}", long_date(e))),
                    None => ("ok", "In date".to_string()),
                },
            };
            Item {
                type_id: t.id,
                name: t.name.clone(),
                evidence: t.evidence.clone(),
                validity: match t.validity_months {
                    Some(m) => format!("{m} months"),
                    None => "Until the certificate's own expiry date".into(),
                },
                result: latest.as_ref().map(|r| {
                    CheckResult::parse(&r.result)
                        .map(|x| x.label().to_string())
                        .unwrap_or_else(|_| r.result.clone())
                }),
                checked_on: latest.as_ref().map(|r| long_date(r.checked_on)),
                expires_on: latest.as_ref().and_then(|r| r.expires_on.map(long_date)),
                state,
                state_words: words,
            }
        })
        .collect()
}

#[derive(Serialize, Default)]
struct CheckValues {
    check_type: String,
    checked_on: String,
    result: String,
    expires_on: String,
    notes: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_checklist(
    view: &Page<'_>,
    state: &AppState,
    user: &SessionUser,
    p: &ProviderView,
    csrf: &str,
    status: Status,
    values: CheckValues,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    // One read of the records serves both the checklist and the history.
    let history = checks::history(&state.pool, p.row.id).await?;
    let list = checks::latest_per_type(
        checks::types(&state.pool).await?,
        &history,
        &p.row.registration,
    );
    let today = today();
    let items = items(&list, today);
    let files = checks::evidence_for(&state.pool, p.row.id).await?;
    let suspension = checks::suspension(&state.pool, p.row.id).await?;
    let results: Vec<_> = CheckResult::ALL
        .iter()
        .map(|r| context! { value => r.key(), label => r.label() })
        .collect();
    let council = matches!(user.role, Role::Progressions | Role::Admin);
    view.render(
        status,
        "framework/checks.html.j2",
        context! {
            provider => p, items, history, files, results, values, errors, csrf_token => csrf,
            can_record => user.role == Role::Progressions, council,
            suspended_on => suspension.as_ref().map(|s| long_date(s.0)),
            suspension_reason => suspension.map(|s| s.1),
            today => today.format("%Y-%m-%d").to_string(),
        },
    )
}

#[get("/providers/<slug>/checks")]
async fn checklist(
    view: Page<'_>,
    user: SignedIn<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    slug: &str,
) -> AppResult<Reply> {
    let p = provider(state, slug).await?;
    may_see_checks(user.0, p.row.id)?;
    render_checklist(
        &view,
        state,
        user.0,
        &p,
        &csrf.0,
        Status::Ok,
        CheckValues::default(),
        vec![],
    )
    .await
}

/// Provider staff's own checklist (the navigation has one address for every provider).
#[get("/provider/checks")]
async fn own_checks(
    staff: crate::auth::guards::ProviderStaff<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let p = db::providers::by_id(&state.pool, staff.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Reply::Redirect(rocket::response::Redirect::to(format!(
        "/providers/{}/checks",
        p.row.slug
    ))))
}

#[derive(FromForm)]
pub struct CheckForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    check_type: String,
    #[field(default = String::new())]
    checked_on: String,
    #[field(default = String::new())]
    result: String,
    #[field(default = String::new())]
    expires_on: String,
    #[field(default = String::new())]
    notes: String,
    /// Errors kept (not dropped as `Option` would), so a file over the limit is reported rather
    /// than the check being recorded without it.
    evidence: rocket::form::Result<'r, TempFile<'r>>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

pub(crate) async fn read_upload(f: &TempFile<'_>) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let mut r = f
        .open()
        .await
        .map_err(|_| "The file could not be read".to_string())?;
    r.read_to_end(&mut buf)
        .await
        .map_err(|_| "The file could not be read".to_string())?;
    Ok(buf)
}

/// Records a check (Progressions), with an optional evidence file, and recomputes the status.
#[post("/providers/<slug>/checks", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn record_check(
    view: Page<'_>,
    staff: Progressions<'_>,
    _same: SameOrigin,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    slug: &str,
    form: Form<CheckForm<'_>>,
) -> AppResult<Reply> {
    let user = staff.0;
    if !token_matches(&user.csrf_token, &form.csrf_token) {
        return Err(AppError::Forbidden(
            "This form has expired or did not come from this service. Go back, reload the page and try again."
                .into(),
        ));
    }
    let p = provider(state, slug).await?;
    let today = today();
    let types = checks::types(&state.pool).await?;
    let mut errors = Vec::new();
    let check_type = form
        .check_type
        .parse::<i64>()
        .ok()
        .and_then(|id| types.iter().find(|t| t.id == id));
    if check_type.is_none() {
        errors.push(FieldError {
            field: "check_type".into(),
            message: "Choose which check this is".into(),
        });
    }
    let checked_on = match parse_date(&form.checked_on) {
        Some(d) if d <= today => Some(d),
        Some(_) => {
            errors.push(FieldError {
                field: "checked_on".into(),
                message: "The date of the check must be today or in the past".into(),
            });
            None
        }
        None => {
            errors.push(FieldError {
                field: "checked_on".into(),
                message: "Enter the date of the check, like 2026-11-24".into(),
            });
            None
        }
    };
    let result = match CheckResult::parse(form.result.trim()) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(FieldError {
                field: "result-1".into(),
                message: e.0,
            });
            None
        }
    };
    let notes = match text::paragraph(&form.notes, "notes", 2000, false) {
        Ok(n) => n,
        Err(e) => {
            errors.push(FieldError {
                field: "notes".into(),
                message: e.0,
            });
            String::new()
        }
    };
    // Expiry: from the certificate when entered (or when the check type needs it), else from
    // the type's validity. A failed check has none.
    let entered = form.expires_on.trim();
    let expires_on = match (check_type, checked_on, result) {
        (_, _, Some(CheckResult::Failed)) => None,
        (Some(t), Some(on), Some(_)) => {
            if entered.is_empty() {
                match t.expiry_from(on) {
                    Some(e) => Some(e),
                    None => {
                        errors.push(FieldError {
                            field: "expires_on".into(),
                            message: "Enter the expiry date shown on the certificate or contract"
                                .into(),
                        });
                        None
                    }
                }
            } else {
                match parse_date(entered) {
                    Some(e) if e > on => Some(e),
                    Some(_) => {
                        errors.push(FieldError {
                            field: "expires_on".into(),
                            message: "The expiry date must be after the date of the check".into(),
                        });
                        None
                    }
                    None => {
                        errors.push(FieldError {
                            field: "expires_on".into(),
                            message: "Enter the expiry date, like 2027-11-24".into(),
                        });
                        None
                    }
                }
            }
        }
        _ => None,
    };
    // The file, checked by content, before anything is written.
    let mut upload = None;
    let file = match &form.evidence {
        Ok(f) if f.len() > 0 => Some(f),
        Ok(_) => None,
        Err(errs)
            if errs
                .iter()
                .all(|e| matches!(e.kind, rocket::form::error::ErrorKind::Missing)) =>
        {
            None
        }
        Err(_) => {
            errors.push(FieldError {
                field: "evidence".into(),
                message: "The selected file must be smaller than 10 MB".into(),
            });
            None
        }
    };
    if let Some(f) = file {
        let name = f
            .raw_name()
            .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
            .unwrap_or_default();
        let checked = match read_upload(f).await {
            Ok(bytes) => evidence::check(&name, &bytes).map(|c| (c, bytes)),
            Err(e) => Err(e),
        };
        match checked {
            Ok(ok) => upload = Some(ok),
            Err(message) => errors.push(FieldError {
                field: "evidence".into(),
                message,
            }),
        }
    }
    let values = CheckValues {
        check_type: form.check_type.clone(),
        checked_on: form.checked_on.clone(),
        result: form.result.clone(),
        expires_on: form.expires_on.clone(),
        notes: form.notes.clone(),
    };
    let (Some(t), Some(on), Some(result), true) =
        (check_type, checked_on, result, errors.is_empty())
    else {
        return render_checklist(
            &view,
            state,
            user,
            &p,
            &user.csrf_token,
            Status::UnprocessableEntity,
            values,
            errors,
        )
        .await;
    };
    // The file goes to disk first (a random name nothing refers to yet); the rows commit after.
    let stored = match &upload {
        Some((_, bytes)) => Some(
            evidence::store(&state.config.data_dir, bytes)
                .await
                .map_err(|e| AppError::Internal(format!("storing evidence: {e}")))?,
        ),
        None => None,
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let check_id = checks::record(
        &mut tx,
        &NewCheck {
            provider_id: p.row.id,
            check_type_id: t.id,
            checked_on: on,
            result,
            expires_on,
            officer_id: Some(user.user_id),
            notes: &notes,
        },
        now,
    )
    .await?;
    if let (Some((c, bytes)), Some(stored)) = (&upload, &stored) {
        checks::add_evidence(
            &mut tx,
            &NewEvidence {
                check_id,
                provider_id: p.row.id,
                file_name: &c.file_name,
                content_type: c.content_type,
                size_bytes: bytes.len() as i64,
                sha256: &c.sha256,
                stored_name: stored,
                uploaded_by: user.user_id,
            },
            now,
        )
        .await?;
    }
    let (before, after, reason) = checks::recompute(&mut tx, p.row.id, today, now).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "record",
            "provider_check",
            Some(check_id.to_string()),
            format!(
                "{}: {} {} ({}); status {before} -> {}",
                p.row.name,
                t.key,
                result.key(),
                if upload.is_some() {
                    "with evidence"
                } else {
                    "no evidence"
                },
                after.key()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, p.row.id).await?;
    Ok(Reply::flash(
        format!("/providers/{slug}/checks"),
        "success",
        format!("Check recorded. Status: {}. {reason}", after.key()),
    ))
}

/// An evidence file: Progressions and admins, and the provider it belongs to (for anyone else
/// it does not exist).
#[get("/evidence/<id>")]
async fn download(
    user: SignedIn<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
) -> AppResult<Download> {
    let found = match user.0.role {
        Role::Progressions | Role::Admin => checks::evidence_any(&state.pool, id).await?,
        Role::Provider => match user.0.provider_id {
            Some(pid) => checks::evidence_of_provider(&state.pool, id, pid).await?,
            None => None,
        },
        _ => {
            return Err(AppError::Forbidden(
                "Your account does not give you access to this file.".into(),
            ))
        }
    };
    let e = found.ok_or(AppError::NotFound)?;
    let path = evidence::dir(&state.config.data_dir).join(&e.stored_name);
    let body = tokio::fs::read(&path)
        .await
        .map_err(|err| AppError::Internal(format!("evidence {id}: {err}")))?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "download",
            "evidence",
            Some(id.to_string()),
            e.file_name.clone(),
        ),
    )
    .await?;
    let content_type = ContentType::parse_flexible(&e.content_type).unwrap_or(ContentType::Binary);
    Ok(Download::attachment(body, content_type, &e.file_name))
}

/// The shared end of suspending and lifting a suspension: tell the provider's staff, audit,
/// commit, and let the search index follow.
#[allow(clippy::too_many_arguments)]
async fn announce(
    mut tx: db::Tx<'_>,
    state: &AppState,
    search: &Search,
    actor: &Actor,
    p: &ProviderView,
    action: &str,
    text: &str,
    detail: String,
) -> AppResult<()> {
    let notice = Notice::new(
        NoticeKind::ProviderSuspension,
        Recipient::Provider(p.row.id),
        text,
        "/provider/profile",
    )
    .map_err(|e| AppError::Internal(e.0))?;
    notify::raise(&mut tx, &state.config, &notice).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(action, "provider", Some(p.row.id.to_string()), detail),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, p.row.id).await?;
    Ok(())
}

#[derive(FromForm)]
pub struct SuspendForm {
    #[field(default = String::new())]
    reason: String,
}

#[post("/providers/<slug>/suspend", data = "<form>")]
async fn suspend(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    slug: &str,
    form: CsrfForm<SuspendForm>,
) -> AppResult<Reply> {
    let p = provider(state, slug).await?;
    let reason = text::paragraph(&form.0.reason, "the reason for the suspension", 1000, true)
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let today = today();
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    checks::suspend(&mut tx, p.row.id, today, &reason).await?;
    let (before, after, _) = checks::recompute(&mut tx, p.row.id, today, now).await?;
    let text = format!(
        "The council has suspended {}: it is not taking new placements while this is resolved. \
         The Progressions Team will contact you.",
        p.row.name
    );
    let detail = format!("{before} -> {}: {reason}", after.key());
    announce(tx, state, search, &actor, &p, "suspend", &text, detail).await?;
    Ok(Reply::flash(
        format!("/providers/{slug}/checks"),
        "success",
        format!("{} is suspended and not taking new placements.", p.row.name),
    ))
}

#[derive(FromForm)]
pub struct ReinstateForm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post("/providers/<slug>/reinstate", data = "<_form>")]
async fn reinstate(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    slug: &str,
    _form: CsrfForm<ReinstateForm>,
) -> AppResult<Reply> {
    let p = provider(state, slug).await?;
    let today = today();
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    checks::reinstate(&mut tx, p.row.id).await?;
    let (before, after, reason) = checks::recompute(&mut tx, p.row.id, today, now).await?;
    let text = format!("The council has lifted the suspension of {}.", p.row.name);
    let detail = format!("{before} -> {}", after.key());
    announce(tx, state, search, &actor, &p, "reinstate", &text, detail).await?;
    Ok(Reply::flash(
        format!("/providers/{slug}/checks"),
        "success",
        format!("Suspension lifted. Status: {}. {reason}", after.key()),
    ))
}

/// The Progressions dashboard: providers by status, what expires in 30 days, what has lapsed,
/// and open concerns by severity and age.
#[get("/due-diligence")]
async fn dashboard(
    view: Page<'_>,
    _staff: CouncilStaff<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let today = today();
    let by_status = db::providers::count_by_status(&state.pool).await?;
    let soon: Vec<_> = checks::expiring_before(&state.pool, today + chrono::Duration::days(31))
        .await?
        .into_iter()
        .filter(|e| e.expires_on > today)
        .map(|e| {
            context! {
                provider => e.provider_name, check => e.type_name,
                expires_on => long_date(e.expires_on), days => (e.expires_on - today).num_days(),
            }
        })
        .collect();
    let attention = db::providers::needing_attention(&state.pool).await?;
    let open = db::concerns::list(&state.pool, true).await?;
    let open: Vec<_> = open
        .into_iter()
        .map(|c| {
            let days = (chrono::Utc::now() - c.created_at).num_days();
            context! { concern => c, days }
        })
        .collect();
    let severity = db::concerns::open_by_severity(&state.pool).await?;
    let overdue: Vec<_> = db::quality::overdue(&state.pool, today)
        .await?
        .into_iter()
        .map(|o| context! { due => long_date(o.due_on), o => o })
        .collect();
    view.ok(
        "framework/dashboard.html.j2",
        context! { by_status, soon, attention, open, severity, overdue },
    )
}

/// The nightly due-diligence job: recomputes every provider's status (expiries happen with the
/// date, not with an edit), and sends reminders 30 and 7 days before an expiry and on lapse,
/// each once. Returns a line for the job log. The search index follows the changed statuses
/// through its periodic sync (their `updated_at` moves).
pub async fn nightly(
    pool: &db::Pool,
    config: &crate::config::Config,
) -> Result<String, sqlx::Error> {
    let today = today();
    let now = db::now();
    let mut changed = 0;
    for id in checks::all_provider_ids(pool).await? {
        let mut tx = crate::db::write(pool).await?;
        let (before, after, _) = checks::recompute(&mut tx, id, today, now).await?;
        tx.commit().await?;
        if before != after.key() {
            changed += 1;
        }
    }
    let mut reminders = 0;
    for e in checks::expiring_before(pool, today + chrono::Duration::days(31)).await? {
        let days = (e.expires_on - today).num_days();
        let stage = match days {
            d if d <= 0 => "lapsed",
            d if d <= 7 => "d7",
            _ => "d30",
        };
        let text = if stage == "lapsed" {
            format!(
                "{}: {} expired on {}. No new placements can start until it is renewed.",
                e.provider_name,
                e.type_name,
                long_date(e.expires_on)
            )
        } else {
            format!(
                "{}: {} expires on {} (in {days} days). Send the renewed evidence to the Progressions Team.",
                e.provider_name,
                e.type_name,
                long_date(e.expires_on)
            )
        };
        let mut tx = crate::db::write(pool).await?;
        if checks::claim_reminder(&mut tx, e.check_id, stage, now).await? {
            let own = format!("/providers/{}/checks", e.provider_slug);
            for (to, link) in [
                (Recipient::Provider(e.provider_id), own.as_str()),
                (Recipient::Role(Role::Progressions), "/due-diligence"),
            ] {
                if let Ok(n) = Notice::new(NoticeKind::DueDiligence, to, &text, link) {
                    notify::raise(&mut tx, config, &n).await?;
                }
            }
            reminders += 1;
        }
        tx.commit().await?;
    }
    Ok(format!(
        "{changed} providers changed status; {reminders} expiry reminders sent"
    ))
}
