//! The public directory: a provider list with simple filters and a profile per provider.
//! (The directory issue replaces the list with the search index.)

use crate::db;
use crate::db::providers::ProviderView;
use crate::domain::{PlaceType, Tier};
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::http::Status;
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![list, show]
}

/// Filters from the query string. Unknown values are reported, not ignored silently.
struct Filters {
    query: search_index::Query,
    tier: Option<Tier>,
    place_type: Option<PlaceType>,
    locality: Option<String>,
}

fn matches(p: &ProviderView, f: &Filters) -> bool {
    (f.query.is_empty()
        || f.query.matches(&format!(
            "{} {} {}",
            p.row.name, p.row.summary, p.row.qualifications
        )))
        && f.tier.is_none_or(|t| p.tiers.contains(&t.number()))
        && f.place_type
            .is_none_or(|pt| p.place_types.iter().any(|k| k == pt.key()))
        && f.locality
            .as_ref()
            .is_none_or(|l| p.row.locality_name.as_deref() == Some(l.as_str()))
}

#[get("/providers?<q>&<tier>&<place_type>&<locality>")]
async fn list(
    page: Page<'_>,
    state: &State<AppState>,
    q: Option<&str>,
    tier: Option<&str>,
    place_type: Option<&str>,
    locality: Option<&str>,
) -> AppResult<Reply> {
    let pool = &state.pool;
    let mut errors: Vec<(&str, String)> = Vec::new();
    fn nonempty(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let tier_f =
        nonempty(tier).and_then(|t| Tier::parse(t).map_err(|e| errors.push(("tier", e.0))).ok());
    let pt_f = nonempty(place_type).and_then(|t| {
        PlaceType::parse(t)
            .map_err(|e| errors.push(("place_type", e.0)))
            .ok()
    });
    let localities = db::reference::localities(pool).await?;
    let loc_f = nonempty(locality).and_then(|l| {
        let found = localities
            .iter()
            .find(|x| x.key == l)
            .map(|x| x.name.clone());
        if found.is_none() {
            errors.push(("locality", "Choose a locality from the list".into()));
        }
        found
    });
    let query = search_index::Query::parse(q.unwrap_or(""));
    let filters = Filters {
        query,
        tier: tier_f,
        place_type: pt_f,
        locality: loc_f,
    };
    let providers: Vec<ProviderView> = db::providers::list(pool)
        .await?
        .into_iter()
        .filter(|p| matches(p, &filters))
        .collect();
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::BadRequest
    };
    let errors: Vec<_> = errors
        .into_iter()
        .map(|(field, message)| context! { field, message })
        .collect();
    page.render(
        status,
        "directory/list.html.j2",
        context! {
            providers, errors, localities,
            place_types => db::reference::place_types(pool).await?,
            selected => context! { q => q.unwrap_or("").chars().take(200).collect::<String>(), tier => tier_f.map(|t| t.number()), place_type => pt_f.map(|p| p.key()),
                                   locality => nonempty(locality) },
        },
    )
}

#[get("/providers/<slug>")]
async fn show(page: Page<'_>, state: &State<AppState>, slug: &str) -> AppResult<Reply> {
    let provider = db::providers::by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let sites = db::providers::sites(&state.pool, provider.row.id).await?;
    page.ok("directory/show.html.j2", context! { provider, sites })
}
