//! Framework rounds and membership: the Progressions Team admits providers to a round with
//! their lot and contract dates; membership of a running round puts a provider "on the
//! framework" in the directory.

use super::{provider, today};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, CouncilStaff, Progressions};
use crate::db::{self, rounds as store};
use crate::directory::index::{refresh, Search};
use crate::domain::due_diligence::long_date;
use crate::domain::text;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use chrono::NaiveDate;
use minijinja::context;
use rocket::form::FromForm;
use rocket::{get, post, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![page, add_round, add_member, remove_member]
}

#[get("/framework")]
async fn page(
    view: Page<'_>,
    staff: CouncilStaff<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let rounds = store::rounds(&state.pool).await?;
    let members = store::members(&state.pool).await?;
    let today = today();
    let rounds: Vec<_> = rounds
        .into_iter()
        .map(|r| {
            let m: Vec<_> = members
                .iter()
                .filter(|m| m.round_id == r.id)
                .map(|m| {
                    context! {
                        m => m,
                        signed => m.contract_signed_on.map(long_date),
                        ends => m.contract_ends_on.map(long_date),
                    }
                })
                .collect();
            context! {
                running => r.starts_on <= today && today <= r.ends_on,
                starts => long_date(r.starts_on), ends => long_date(r.ends_on),
                members => m, r => r,
            }
        })
        .collect();
    let providers: Vec<_> = db::providers::list(&state.pool)
        .await?
        .into_iter()
        .map(|p| context! { value => p.row.slug, label => p.row.name })
        .collect();
    view.ok(
        "framework/rounds.html.j2",
        context! {
            rounds, providers, csrf_token => csrf.0,
            can_edit => staff.0.role == crate::domain::Role::Progressions,
        },
    )
}

fn date(s: &str, what: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Unprocessable(format!("Enter {what} as a date, like 2025-09-01")))
}

#[derive(FromForm)]
pub struct RoundForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    starts_on: String,
    #[field(default = String::new())]
    ends_on: String,
}

#[post("/framework/rounds", data = "<form>")]
async fn add_round(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<RoundForm>,
) -> AppResult<Reply> {
    let name = text::single_line(&form.0.name, "the round's name", 120)
        .map_err(|e| AppError::Unprocessable(e.0))?;
    let starts = date(&form.0.starts_on, "the start")?;
    let ends = date(&form.0.ends_on, "the end")?;
    if ends <= starts {
        return Err(AppError::Unprocessable(
            "The round must end after it starts".into(),
        ));
    }
    let mut tx = crate::db::write(&state.pool).await?;
    let id = store::insert_round(&mut tx, &name, starts, ends)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("There is already a round called {name}")))?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "create",
            "framework_round",
            Some(id.to_string()),
            name.clone(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/framework",
        "success",
        format!("{name} added."),
    ))
}

#[derive(FromForm)]
pub struct MemberForm {
    #[field(default = String::new())]
    provider: String,
    #[field(default = String::new())]
    lot: String,
    #[field(default = String::new())]
    contract_signed_on: String,
    #[field(default = String::new())]
    contract_ends_on: String,
}

#[post("/framework/rounds/<id>/members", data = "<form>")]
async fn add_member(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<MemberForm>,
) -> AppResult<Reply> {
    let round = store::round(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = &form.0;
    let p = provider(state, f.provider.trim())
        .await
        .map_err(|_| AppError::Unprocessable("Choose a provider from the list".into()))?;
    if !matches!(f.lot.as_str(), "primary" | "secondary" | "both") {
        return Err(AppError::Unprocessable(
            "Choose the lot: primary, secondary or both".into(),
        ));
    }
    let opt = |s: &str, what: &str| -> AppResult<Option<NaiveDate>> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            date(s, what).map(Some)
        }
    };
    let signed = opt(&f.contract_signed_on, "the contract's signing date")?;
    let ends = opt(&f.contract_ends_on, "the contract's end")?;
    if let (Some(s), Some(e)) = (signed, ends) {
        if e <= s {
            return Err(AppError::Unprocessable(
                "The contract must end after it is signed".into(),
            ));
        }
    }
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    store::upsert_member(&mut tx, round.id, p.row.id, &f.lot, signed, ends).await?;
    store::sync(&mut tx, p.row.id, today(), now).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "admit",
            "framework_member",
            Some(format!("{}:{}", round.id, p.row.id)),
            format!("{} to {} ({} lot)", p.row.name, round.name, f.lot),
        ),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, p.row.id).await?;
    Ok(Reply::flash(
        "/framework",
        "success",
        format!("{} is in {} ({} lot).", p.row.name, round.name, f.lot),
    ))
}

#[derive(FromForm)]
pub struct RemoveForm {
    #[allow(dead_code)]
    csrf_token: String,
}

#[post(
    "/framework/rounds/<id>/members/<provider_id>/remove",
    data = "<_form>"
)]
async fn remove_member(
    _staff: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    provider_id: i64,
    _form: CsrfForm<RemoveForm>,
) -> AppResult<Reply> {
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    if !store::remove_member(&mut tx, id, provider_id).await? {
        return Err(AppError::NotFound);
    }
    store::sync(&mut tx, provider_id, today(), now).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "remove",
            "framework_member",
            Some(format!("{id}:{provider_id}")),
            "",
        ),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, provider_id).await?;
    Ok(Reply::flash(
        "/framework",
        "success",
        "Removed from the round.",
    ))
}
