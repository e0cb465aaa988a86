//! Reintegration outcomes: follow-ups 6 and 12 weeks after a return to mainstream, and the AP
//! Taskforce report (aggregates only, published under `stats`).

pub mod charts;
pub mod followups;
pub mod report;
pub mod stats;

use crate::auth::guards::{Actor, ReportReader};
use crate::db::{self, outcomes::Filters};
use crate::error::{AppError, AppResult};
use crate::web::{Download, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::http::ContentType;
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    let mut r = routes![page, board, table_csv];
    r.extend(followups::routes());
    r
}

/// The report's query string, as given.
#[derive(Debug, Default, rocket::FromForm)]
pub struct Query {
    from: Option<String>,
    to: Option<String>,
    tier: Option<String>,
    place_type: Option<String>,
    provider: Option<String>,
    /// Part of a provider's name, for when there are too many providers to list.
    provider_name: Option<String>,
    locality: Option<String>,
    registration: Option<String>,
    route: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn id(s: &Option<String>, what: &str) -> AppResult<Option<i64>> {
    blank(s)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::BadRequest(format!("Choose a {what} from the list")))
        })
        .transpose()
}

impl Query {
    /// Checks every filter; a bad one is a 400 with what to do.
    pub fn filters(&self, today: chrono::NaiveDate) -> AppResult<Filters> {
        // By default the last twelve months, so the report is never a nearly empty new year.
        let (from, to) = crate::web::date_range(
            blank(&self.from),
            blank(&self.to),
            today - chrono::Duration::days(364),
            today,
        )?;
        let tier = blank(&self.tier)
            .map(|t| {
                crate::domain::Tier::parse(t)
                    .map(|t| t.number())
                    .map_err(|e| AppError::BadRequest(e.0))
            })
            .transpose()?;
        let place_type = blank(&self.place_type)
            .map(|p| {
                crate::domain::PlaceType::parse(p)
                    .map(|p| p.key().to_string())
                    .map_err(|e| AppError::BadRequest(e.0))
            })
            .transpose()?;
        let registration = match blank(&self.registration) {
            None => None,
            Some(r @ ("registered_school" | "non_school" | "online")) => Some(r.to_string()),
            Some(_) => {
                return Err(AppError::BadRequest(
                    "Registration must be registered_school, non_school or online".into(),
                ))
            }
        };
        let commissioner = match blank(&self.route) {
            None => None,
            Some(r @ ("school" | "la")) => Some(r.to_string()),
            Some(_) => {
                return Err(AppError::BadRequest(
                    "The commissioning route must be school or la".into(),
                ))
            }
        };
        Ok(Filters {
            from,
            to,
            tier,
            place_type,
            provider: id(&self.provider, "provider")?,
            locality: id(&self.locality, "locality")?,
            registration,
            commissioner,
        })
    }

    /// The same filters as a query string, for links to exports and the board report.
    fn query_string(&self, f: &Filters) -> String {
        let mut parts = vec![format!("from={}", f.from), format!("to={}", f.to)];
        for (k, v) in [
            ("tier", f.tier.map(|t| t.to_string())),
            ("place_type", f.place_type.clone()),
            ("provider", f.provider.map(|p| p.to_string())),
            ("locality", f.locality.map(|l| l.to_string())),
            ("registration", f.registration.clone()),
            ("route", f.commissioner.clone()),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        parts.join("&")
    }
}

async fn options(state: &AppState) -> AppResult<minijinja::Value> {
    let localities: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM localities ORDER BY sort_order, name")
            .fetch_all(&state.pool)
            .await?;
    let place_types: Vec<(String, String)> =
        sqlx::query_as("SELECT key, name FROM place_types ORDER BY sort_order")
            .fetch_all(&state.pool)
            .await?;
    let terms: Vec<(String, chrono::NaiveDate, chrono::NaiveDate)> = sqlx::query_as(
        "SELECT name, starts_on, ends_on FROM term_dates ORDER BY starts_on DESC LIMIT 9",
    )
    .fetch_all(&state.pool)
    .await?;
    let today = crate::attendance::today();
    let this = crate::placements::records::academic_year(today);
    let last = crate::placements::records::academic_year(this.0 - chrono::Duration::days(1));
    let years = [last, this]
        .map(|(a, b)| (format!("{}/{}", a.format("%Y"), b.format("%y")), a, b))
        .to_vec();
    Ok(context! { localities, place_types, terms, years })
}

/// A provider asked for by name: the name searched and, unless exactly one provider matched
/// (and is now the filter), the providers to choose from.
#[derive(Debug, Default, serde::Serialize)]
struct ProviderPick {
    searched: Option<String>,
    name: Option<String>,
    choices: Vec<(i64, String)>,
    more: bool,
}

/// How many providers a name search offers before asking for more of the name.
const CHOICES: usize = 20;

async fn pick_provider(state: &AppState, q: &Query, f: &mut Filters) -> AppResult<ProviderPick> {
    if let Some(id) = f.provider {
        let name = db::providers::by_id(&state.pool, id)
            .await?
            .map(|p| p.row.name)
            .ok_or_else(|| AppError::BadRequest("There is no provider with that number".into()))?;
        return Ok(ProviderPick {
            name: Some(name),
            ..ProviderPick::default()
        });
    }
    let Some(text) = blank(&q.provider_name) else {
        return Ok(ProviderPick::default());
    };
    let text = crate::domain::text::single_line(text, "a provider's name", 200)
        .map_err(|e| AppError::BadRequest(e.0))?;
    let text = text.as_str();
    let mut found = db::providers::named(&state.pool, text, CHOICES as i64 + 1).await?;
    if let [(id, name)] = found.as_slice() {
        f.provider = Some(*id);
        return Ok(ProviderPick {
            searched: Some(text.to_string()),
            name: Some(name.clone()),
            ..ProviderPick::default()
        });
    }
    let more = found.len() > CHOICES;
    found.truncate(CHOICES);
    Ok(ProviderPick {
        searched: Some(text.to_string()),
        name: None,
        choices: found,
        more,
    })
}

async fn build(
    state: &AppState,
    actor: &Actor,
    q: &Query,
    what: &str,
) -> AppResult<(Filters, report::Report, ProviderPick)> {
    let mut f = q.filters(crate::attendance::today())?;
    let pick = pick_provider(state, q, &mut f).await?;
    let r = report::build(&state.pool, &f, crate::attendance::today()).await?;
    db::audit::record(
        &state.pool,
        &actor.entry(
            "view_report",
            "outcomes",
            None,
            format!("{what} {}", q.query_string(&f)),
        ),
    )
    .await?;
    Ok((f, r, pick))
}

fn charts(r: &report::Report) -> minijinja::Value {
    context! {
        tiers => charts::bars("chart-tiers", "Reintegration rate by tier", &r.tier_bars, r.city),
        providers => charts::bars("chart-providers", "Reintegration rate by provider, against the city", &r.provider_bars, r.city),
        trend => charts::trend("chart-trend", "Reintegration rate by term", &r.trend),
        localities => charts::locality_grid("chart-localities", "Reintegration rate by locality", &r.localities),
    }
}

#[get("/reports/outcomes?<q..>")]
async fn page(
    view: Page<'_>,
    _reader: ReportReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    q: Query,
) -> AppResult<Reply> {
    let (f, r, pick) = build(state, &actor, &q, "page").await?;
    let qs = q.query_string(&f);
    // The same filters with no provider, for the links that choose one.
    let qs_any_provider = q.query_string(&Filters {
        provider: None,
        ..f.clone()
    });
    view.ok(
        "outcomes/report.html.j2",
        context! {
            report => &r, charts => charts(&r), options => options(state).await?, qs, qs_any_provider, pick,
            f => context! {
                from => f.from.to_string(), to => f.to.to_string(), tier => f.tier,
                place_type => f.place_type, provider => f.provider, locality => f.locality,
                registration => f.registration, route => f.commissioner,
            },
        },
    )
}

/// The printable board report: one section per printed page.
#[get("/reports/outcomes/board?<q..>")]
async fn board(
    view: Page<'_>,
    _reader: ReportReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    q: Query,
) -> AppResult<Reply> {
    let (f, r, pick) = build(state, &actor, &q, "board").await?;
    view.ok(
        "outcomes/board.html.j2",
        context! { report => &r, charts => charts(&r), from => f.from.to_string(), to => f.to.to_string(), qs => q.query_string(&f), provider => pick.name },
    )
}

/// One table as CSV: the same published cells as the page (suppressed counts stay `c`).
#[get("/reports/outcomes/<table>?<q..>", rank = 2)]
async fn table_csv(
    _reader: ReportReader<'_>,
    actor: Actor,
    state: &State<AppState>,
    table: &str,
    q: Query,
) -> AppResult<Download> {
    let name = table.strip_suffix(".csv").ok_or(AppError::NotFound)?;
    let (f, r, _) = build(state, &actor, &q, &format!("export {name}")).await?;
    let t = r
        .tables
        .iter()
        .find(|t| t.id == name)
        .ok_or(AppError::NotFound)?;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = |e: ::csv::Error| AppError::Internal(e.to_string());
    w.write_record(&t.columns).map_err(err)?;
    for row in &t.rows {
        let safe: Vec<String> = row
            .iter()
            .map(|c| crate::placements::records::safe_cell(c))
            .collect();
        w.write_record(&safe).map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Download::attachment(
        body,
        ContentType::CSV,
        &format!("ap-outcomes-{name}-{}-to-{}.csv", f.from, f.to),
    ))
}
