//! The public directory: a provider list with simple filters and a profile per provider.
//! (The directory issue replaces the list with the search index.)

use crate::db;
use crate::db::providers::ProviderFilter;
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

/// Results per page of the list.
pub const PAGE_SIZE: usize = 20;

#[get("/providers?<q>&<tier>&<place_type>&<locality>&<page>")]
#[allow(clippy::too_many_arguments)]
async fn list(
    view: Page<'_>,
    state: &State<AppState>,
    q: Option<&str>,
    tier: Option<&str>,
    place_type: Option<&str>,
    locality: Option<&str>,
    page: Option<i64>,
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
            .map(|x| x.key.as_str());
        if found.is_none() {
            errors.push(("locality", "Choose a locality from the list".into()));
        }
        found
    });
    let query = search_index::Query::parse(q.unwrap_or(""));
    let filter = ProviderFilter {
        tier: tier_f.map(|t| t.number()),
        place_type: pt_f.map(|p| p.key()),
        locality_key: loc_f,
    };
    let wanted = crate::web::page_number(page) as usize;
    let (total, providers) = db::providers::search(pool, filter, &query, wanted, PAGE_SIZE).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page_no = wanted.min(pages);
    // The filters again, for the pagination links.
    let keep: Vec<String> = [
        ("q", q),
        ("tier", tier),
        ("place_type", place_type),
        ("locality", locality),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        nonempty(v).map(|v| format!("{k}={}", rocket::http::RawStr::new(v).percent_encode()))
    })
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
    view.render(
        status,
        "directory/list.html.j2",
        context! {
            providers, errors, localities, total, pages, page_no, filter_query => keep.join("&"),
            place_types => db::reference::place_types(pool).await?,
            selected => context! { q => q.unwrap_or("").chars().take(200).collect::<String>(), tier => tier_f.map(|t| t.number()), place_type => pt_f.map(|p| p.key()),
                                   locality => nonempty(locality) },
        },
    )
}

#[get("/providers/<slug>")]
async fn show(view: Page<'_>, state: &State<AppState>, slug: &str) -> AppResult<Reply> {
    if !crate::domain::text::is_slug(slug) {
        return Err(AppError::NotFound);
    }
    let provider = db::providers::by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let sites = db::providers::sites(&state.pool, provider.row.id).await?;
    view.ok("directory/show.html.j2", context! { provider, sites })
}
