//! Check types, configured by an administrator: name, theme, evidence, who must have it and
//! how long a pass lasts. A type is retired (inactive) rather than deleted, so past checks keep
//! their meaning; every provider's status is recomputed after a change.

use super::today;
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin};
use crate::db::{self, checks};
use crate::domain::text;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::{get, post, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![list, save]
}

const THEMES: [(&str, &str); 5] = [
    ("safeguarding_welfare", "Safeguarding and welfare"),
    ("health_safety", "Health and safety"),
    ("admissions_support", "Admissions, support and guidance"),
    ("quality_education", "Quality of education"),
    ("governance", "Governance, legal and contractual"),
];

#[derive(sqlx::FromRow)]
struct TypeRow {
    id: i64,
    name: String,
    theme: String,
    evidence: String,
    validity_months: Option<i64>,
    required_registered_school: bool,
    required_non_school: bool,
    required_online: bool,
    active: bool,
}

#[get("/admin/check-types")]
async fn list(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let rows: Vec<TypeRow> = sqlx::query_as(
        "SELECT id, name, theme, evidence, validity_months, required_registered_school, required_non_school, \
         required_online, active FROM check_types ORDER BY sort_order, id",
    )
    .fetch_all(&state.pool)
    .await?;
    let types: Vec<_> = rows
        .into_iter()
        .map(|r| {
            context! {
                id => r.id, name => r.name, theme => r.theme, evidence => r.evidence,
                validity => r.validity_months, registered_school => r.required_registered_school,
                non_school => r.required_non_school, online => r.required_online, active => r.active,
            }
        })
        .collect();
    let themes: Vec<_> = THEMES
        .iter()
        .map(|(value, label)| context! { value, label })
        .collect();
    view.ok(
        "framework/check_types.html.j2",
        context! { types, themes, csrf_token => csrf.0 },
    )
}

#[derive(FromForm)]
pub struct TypeForm {
    /// Empty for a new type.
    #[field(default = String::new())]
    id: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    theme: String,
    #[field(default = String::new())]
    evidence: String,
    /// Months, or empty for "until the evidence's own expiry date".
    #[field(default = String::new())]
    validity_months: String,
    #[field(default = false)]
    registered_school: bool,
    #[field(default = false)]
    non_school: bool,
    #[field(default = false)]
    online: bool,
    #[field(default = false)]
    active: bool,
}

#[post("/admin/check-types", data = "<form>")]
async fn save(
    _admin: Admin<'_>,
    actor: Actor,
    state: &State<AppState>,
    form: CsrfForm<TypeForm>,
) -> AppResult<Reply> {
    let f = &form.0;
    let bad = |m: String| AppError::Unprocessable(m);
    let name = text::single_line(&f.name, "the check's name", 160).map_err(|e| bad(e.0))?;
    let evidence =
        text::single_line(&f.evidence, "the evidence asked for", 300).map_err(|e| bad(e.0))?;
    if !THEMES.iter().any(|(k, _)| *k == f.theme) {
        return Err(bad("Choose a theme from the list".into()));
    }
    let validity = match f.validity_months.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .ok()
                .filter(|m| (1..=60).contains(m))
                .ok_or_else(|| {
                    bad("Validity must be a whole number of months from 1 to 60, or blank".into())
                })?,
        ),
    };
    let now = db::now();
    let mut tx = crate::db::write(&state.pool).await?;
    let id = if f.id.trim().is_empty() {
        let key: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|s| !s.is_empty())
            .take(4)
            .collect::<Vec<_>>()
            .join("_");
        let order: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(sort_order), 0) + 1 FROM check_types")
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO check_types (key, name, theme, evidence, validity_months, required_registered_school, \
             required_non_school, required_online, sort_order, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (key) DO NOTHING RETURNING id",
        )
        .bind(format!("{key}_{order}"))
        .bind(&name)
        .bind(&f.theme)
        .bind(&evidence)
        .bind(validity)
        .bind(f.registered_school)
        .bind(f.non_school)
        .bind(f.online)
        .bind(order)
        .bind(true)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::Conflict("A check type with that name exists".into()))?
    } else {
        let id: i64 = f.id.trim().parse().map_err(|_| AppError::NotFound)?;
        let n = sqlx::query(
            "UPDATE check_types SET name = $1, theme = $2, evidence = $3, validity_months = $4, \
             required_registered_school = $5, required_non_school = $6, required_online = $7, active = $8 WHERE id = $9",
        )
        .bind(&name)
        .bind(&f.theme)
        .bind(&evidence)
        .bind(validity)
        .bind(f.registered_school)
        .bind(f.non_school)
        .bind(f.online)
        .bind(f.active)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::NotFound);
        }
        id
    };
    db::audit::record(
        &mut *tx,
        &actor.entry("save", "check_type", Some(id.to_string()), name.clone()),
    )
    .await?;
    // What is required changed: every provider's status follows at once.
    let today = today();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM providers ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    for pid in ids {
        checks::recompute(&mut tx, pid, today, now).await?;
    }
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/check-types",
        "success",
        format!("{name} saved; providers' statuses have been recomputed."),
    ))
}
