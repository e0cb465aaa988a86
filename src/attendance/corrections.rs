//! Corrections: any mark can be changed with a reason, and the history (who, when, old and new)
//! is kept. A register older than the lock period changes only once the Progressions Team
//! approves.

use super::{locked, parse_date, parse_session, today};
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Actor, Progressions, PupilReader};
use crate::db::{self, attendance as store, notifications::Recipient, pupils::PupilScope};
use crate::domain::attendance::Mark;
use crate::domain::due_diligence::long_date;
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::{get, post, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![correct, queue, decide]
}

#[derive(FromForm)]
pub struct CorrectForm {
    #[field(default = String::new())]
    placement: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    session: String,
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    reason: String,
}

#[post("/attendance/corrections", data = "<form>")]
async fn correct(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<CorrectForm>,
) -> AppResult<Reply> {
    if matches!(reader.scope, PupilScope::School(_)) {
        return Err(AppError::Forbidden(
            "The provider keeps the register: ask it, or the Progressions Team, to correct a mark."
                .into(),
        ));
    }
    let f = &form.0;
    let placement_id: i64 = f
        .placement
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a mark to correct".into()))?;
    let on = parse_date(&f.date)?;
    let session = parse_session(&f.session)?;
    let mark = Mark::from_code(&f.code).map_err(|e| AppError::Unprocessable(e.0))?;
    let reason = text::paragraph(&f.reason, "reason for the correction", 500, true)
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let p = crate::placements::load(state, reader.scope, placement_id).await?;
    let provider_id = p.provider_id.ok_or(AppError::NotFound)?;
    let today = today();
    let needs_approval = locked(&state.config, on, today) && reader.user.role != Role::Progressions;
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let old = store::current(&mut tx, placement_id, on, session.key())
        .await?
        .ok_or_else(|| {
            AppError::Unprocessable(
                "There is no mark to correct for that session: take the register first".into(),
            )
        })?;
    if old == mark.code() {
        return Err(AppError::Unprocessable(
            "The new mark is the same as the old one".into(),
        ));
    }
    let status = if needs_approval { "pending" } else { "applied" };
    let id = store::insert_change(
        &mut tx,
        placement_id,
        on,
        session.key(),
        &old,
        mark.code(),
        &reason,
        status,
        actor.user_id,
        now,
    )
    .await?;
    if !needs_approval {
        store::put_mark(
            &mut tx,
            placement_id,
            on,
            session.key(),
            provider_id,
            mark.code(),
            "",
            actor.user_id,
            now,
        )
        .await?;
        store::recount(&mut tx, provider_id, on).await?;
    } else {
        let body = format!(
            "{} asks to change a mark on its register for {} ({}) from {old} to {}: {reason}",
            p.provider_name.clone().unwrap_or_default(),
            long_date(on),
            session.label(),
            mark.code()
        );
        if let Ok(n) = Notice::new(
            NoticeKind::AttendanceCorrection,
            Recipient::Role(Role::Progressions),
            &body,
            "/attendance/corrections",
        ) {
            notify::raise(&mut tx, &state.config, &n).await?;
        }
    }
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "correct_mark",
            "attendance",
            Some(format!("{placement_id} {on} {}", session.key())),
            format!(
                "{old} to {} ({status}): {reason} [change {id}]",
                mark.code()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        if reader.user.role == Role::Provider {
            format!("/registers/{on}/{}", session.key())
        } else {
            format!("/placements/{placement_id}#attendance")
        },
        "success",
        if needs_approval {
            "This register is locked: the correction waits for the Progressions Team's approval."
        } else {
            "The mark is corrected and the change is kept in its history."
        },
    ))
}

#[get("/attendance/corrections")]
async fn queue(
    view: Page<'_>,
    _staff: Progressions<'_>,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let pending = store::pending(&state.pool).await?;
    view.ok("attendance/corrections.html.j2", context! { pending })
}

#[derive(FromForm)]
pub struct DecideForm {
    #[field(default = String::new())]
    decision: String,
}

#[post("/attendance/corrections/<id>", data = "<form>")]
async fn decide(
    staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    id: i64,
    form: CsrfForm<DecideForm>,
) -> AppResult<Reply> {
    let approve = match form.0.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::Unprocessable("Choose approve or reject".into())),
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let c = store::change(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::decide_change(
        &mut tx,
        id,
        if approve { "applied" } else { "rejected" },
        staff.0.user_id,
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "This correction has already been decided".into(),
        ));
    }
    let p = db::placements::get_tx(&mut tx, PupilScope::Progressions, c.placement_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let provider_id = p.provider_id.ok_or(AppError::NotFound)?;
    if approve {
        // The mark may have moved on since the request: the request's new code wins, and the
        // history keeps both.
        store::put_mark(
            &mut tx,
            c.placement_id,
            c.on_date,
            &c.session,
            provider_id,
            &c.new_code,
            "",
            c.requested_by,
            now,
        )
        .await?;
        store::recount(&mut tx, provider_id, c.on_date).await?;
    }
    let body = format!(
        "The council {} the correction to {} on {} ({} to {}).",
        if approve { "approved" } else { "rejected" },
        crate::placements::reference(&p),
        long_date(c.on_date),
        c.old_code,
        c.new_code
    );
    if let Ok(n) = Notice::new(
        NoticeKind::AttendanceCorrection,
        Recipient::Provider(provider_id),
        &body,
        &format!("/registers/{}/{}", c.on_date, c.session),
    ) {
        notify::raise(&mut tx, &state.config, &n).await?;
    }
    db::audit::record(
        &mut *tx,
        &actor.entry(
            if approve {
                "approve_correction"
            } else {
                "reject_correction"
            },
            "attendance",
            Some(id.to_string()),
            "",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/attendance/corrections",
        "success",
        if approve {
            "Correction approved and applied."
        } else {
            "Correction rejected."
        },
    ))
}
