//! Follow-ups 6 and 12 weeks after a placement ends with a return to mainstream: is the pupil
//! still there? The commissioning school answers for its placements, the Progressions Team for
//! any; a nightly reminder goes once when one falls due (to the school, or to Progressions for
//! council-arranged places).

use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Actor, PupilReader};
use crate::config::Config;
use crate::db::{self, notifications::Recipient, outcomes as store, pupils::PupilScope, Pool};
use crate::domain::due_diligence::long_date;
use crate::domain::{text, NoticeKind, Role};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Notice};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::{get, post, routes, FromForm, Route, State};

pub fn routes() -> Vec<Route> {
    routes![list, answer]
}

/// Schools see their own placements' follow-ups; Progressions all. Providers have none.
fn scope(reader: &PupilReader<'_>) -> AppResult<PupilScope> {
    match reader.scope {
        PupilScope::Provider(_) => Err(AppError::Forbidden(
            "Follow-ups are answered by the commissioning school or the Progressions Team.".into(),
        )),
        s => Ok(s),
    }
}

#[get("/follow-ups")]
async fn list(
    view: Page<'_>,
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let scope = scope(&reader)?;
    let today = crate::attendance::today();
    let rows = store::due(&state.pool, scope, today).await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view",
            "placement_followups",
            None,
            format!("{} follow-ups", rows.len()),
        ),
    )
    .await?;
    let (waiting, answered): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|r| r.answered_at.is_none());
    view.ok(
        "outcomes/followups.html.j2",
        context! { waiting, answered, today => today.to_string() },
    )
}

#[derive(FromForm)]
pub struct AnswerForm {
    #[field(default = String::new())]
    still: String,
    #[field(default = String::new())]
    note: String,
}

#[post("/follow-ups/<placement>/<weeks>", data = "<form>")]
async fn answer(
    reader: PupilReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    placement: i64,
    weeks: i64,
    form: CsrfForm<AnswerForm>,
) -> AppResult<Reply> {
    let scope = scope(&reader)?;
    if weeks != 6 && weeks != 12 {
        return Err(AppError::NotFound);
    }
    let still = match form.0.still.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(AppError::Unprocessable(
                "Say whether the pupil is still in mainstream school".into(),
            ))
        }
    };
    let note = text::paragraph(&form.0.note, "a note", 500, false)
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let today = crate::attendance::today();
    let now = db::now();
    let user = reader.user.user_id;
    let mut tx = db::write(&state.pool).await?;
    if !store::answer(
        &mut tx,
        scope,
        placement,
        weeks,
        still,
        &note,
        (user, today, now),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "This follow-up is not yours to answer, is not due yet, or has been answered already."
                .into(),
        ));
    }
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "answer",
            "placement_followups",
            Some(format!("{placement}/{weeks}")),
            if still {
                "still in mainstream"
            } else {
                "no longer in mainstream"
            },
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/follow-ups",
        "success",
        format!("The {weeks}-week follow-up of placement {placement} is recorded."),
    ))
}

/// The nightly reminders: one per follow-up, when it falls due.
pub async fn remind(
    pool: &Pool,
    config: &Config,
    on: chrono::NaiveDate,
) -> Result<usize, sqlx::Error> {
    let mut sent = 0;
    for (placement, weeks, due, school, commissioner) in store::to_remind(pool, on).await? {
        let mut tx = db::write(pool).await?;
        if store::claim_reminder(&mut tx, placement, weeks, on).await? {
            let to = if commissioner == "la" {
                Recipient::Role(Role::Progressions)
            } else {
                Recipient::School(school)
            };
            let body = format!(
                "The {weeks}-week follow-up of placement {placement} was due on {}: is the pupil still in mainstream school?",
                long_date(due)
            );
            // Our own words and link, so always valid.
            if let Ok(n) = Notice::new(NoticeKind::PlacementReview, to, &body, "/follow-ups") {
                notify::raise(&mut tx, config, &n).await?;
                sent += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}
