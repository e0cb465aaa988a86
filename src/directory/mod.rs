//! The directory: the search page and provider profiles (public), and the JSON search API.

pub mod import;
pub mod index;
pub mod profile;
pub mod search;

use crate::auth::session::Viewer;
use crate::db;
use crate::domain::Urn;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use index::Search;
use minijinja::context;
use rocket::http::Status;
use rocket::{get, routes, Route, State};
use search::{FieldError, Parsed, SearchQuery, Vocabulary};
use search_index::Facet;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![list, show]
}

/// Results per page of the list.
pub const PAGE_SIZE: usize = 20;

/// A school user's own school is the default point to measure distances from.
pub async fn default_near(
    viewer: &Viewer,
    state: &AppState,
) -> AppResult<Option<((f64, f64), String)>> {
    let Some(school_id) = viewer.user().and_then(|u| u.school_id) else {
        return Ok(None);
    };
    Ok(db::schools::get(&state.pool, school_id)
        .await?
        .and_then(school_point))
}

fn school_point(s: db::schools::SchoolRow) -> Option<((f64, f64), String)> {
    match (s.latitude, s.longitude) {
        (Some(lat), Some(lon)) => Some(((lat, lon), s.name)),
        _ => None,
    }
}

/// The point a search measures from, found before the query is checked: the school a `near`
/// of six digits names by its URN, or with no `near`, a school user's own school.
pub async fn near_point(
    viewer: &Viewer,
    state: &AppState,
    near: Option<&str>,
) -> AppResult<Option<((f64, f64), String)>> {
    match near.map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => match Urn::parse(n) {
            Ok(urn) => Ok(db::schools::by_urn(&state.pool, urn.as_str())
                .await?
                .and_then(school_point)),
            Err(_) => Ok(None),
        },
        None => default_near(viewer, state).await,
    }
}

pub fn unknown_school(urn: &str) -> String {
    format!("We do not know where the school with URN {urn} is. Enter its postcode instead")
}

/// One result, as pages and the API show it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Result_ {
    #[serde(flatten)]
    pub card: db::providers::Card,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

/// Runs a checked search. The page's results come from the cards stored with the index, so
/// no database read is needed (they follow the database within a second, as filters do).
pub async fn run(
    search: &Search,
    parsed: &Parsed,
) -> AppResult<(search_index::SearchResults, Vec<Result_>)> {
    let index = search.0.clone();
    let request = parsed.request.clone();
    let results = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let rows = results
        .hits
        .iter()
        .map(|h| {
            let card: db::providers::Card = serde_json::from_str(&h.card)
                .map_err(|e| AppError::Internal(format!("search card {}: {e}", h.id)))?;
            Ok(Result_ {
                url: format!("/providers/{}", card.slug),
                card,
                distance_km: h.distance_km.map(|d| (d * 10.0).round() / 10.0),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((results, rows))
}

#[derive(Serialize)]
struct Option_ {
    value: String,
    label: String,
    count: u32,
    checked: bool,
}

#[derive(Serialize)]
struct Tag {
    label: String,
    remove: String,
}

#[get("/providers?<query..>")]
async fn list(
    view: Page<'_>,
    viewer: &Viewer,
    state: &State<AppState>,
    search: &State<Search>,
    query: SearchQuery,
) -> AppResult<Reply> {
    let reference = search.reference();
    let (localities, key_stages, needs, place_types) = (
        &reference.localities,
        &reference.key_stages,
        &reference.needs,
        &reference.place_types,
    );
    let vocab = Vocabulary {
        localities,
        key_stages,
        needs,
    };
    let near_default = near_point(viewer, state, query.near.as_deref()).await?;
    let (status, errors, parsed) =
        match search::parse(&query, &vocab, near_default.clone(), PAGE_SIZE, PAGE_SIZE) {
            Ok(p) => (Status::Ok, Vec::<FieldError>::new(), p),
            Err(errors) => {
                // Show what can be shown: the unfiltered first page beside the error summary.
                let fallback = search::parse(
                    &SearchQuery::default(),
                    &vocab,
                    default_near(viewer, state).await?,
                    PAGE_SIZE,
                    PAGE_SIZE,
                )
                .map_err(|_| AppError::Internal("empty search refused".into()))?;
                (Status::BadRequest, errors, fallback)
            }
        };
    let (results, rows) = run(search, &parsed).await?;
    // Error-summary links go to a field: the first box of a checkbox group.
    let errors: Vec<FieldError> = errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field {
                "tier" => "tier-1",
                "place_type" => "place_type-1",
                "key_stage" => "key_stage-1",
                "need" => "need-1",
                "locality" => "locality-1",
                "registration" => "registration-1",
                "page" | "per_page" => "q",
                other => other,
            };
            e
        })
        .collect();
    let pairs = if errors.is_empty() {
        search::pairs(&query)
    } else {
        Vec::new()
    };
    let selected = |k: &str, v: &str| pairs.iter().any(|(pk, pv)| *pk == k && pv == v);
    let facet = |f: Facet, options: Vec<(String, String)>| -> Vec<Option_> {
        let counts = results.facets.get(&f);
        options
            .into_iter()
            .map(|(value, label)| Option_ {
                count: counts.and_then(|c| c.get(&value)).copied().unwrap_or(0),
                checked: selected(f.key(), &value),
                value,
                label,
            })
            .collect()
    };
    let tiers = facet(
        Facet::Tier,
        (1..=3)
            .map(|t| (t.to_string(), format!("Tier {t}")))
            .collect(),
    );
    let locality_opts = facet(
        Facet::Locality,
        localities
            .iter()
            .map(|l| (l.key.clone(), l.name.clone()))
            .collect(),
    );
    let place_opts = facet(
        Facet::PlaceType,
        place_types
            .iter()
            .map(|p| (p.key.clone(), p.name.clone()))
            .collect(),
    );
    let ks_opts = facet(
        Facet::KeyStage,
        key_stages
            .iter()
            .map(|k| (k.key.clone(), k.key.clone()))
            .collect(),
    );
    let need_opts = facet(
        Facet::Need,
        needs
            .iter()
            .map(|n| (n.key.clone(), format!("{} ({})", n.name, n.key)))
            .collect(),
    );
    let label_for = |k: &str, v: &str| -> String {
        let find = |opts: &[Option_]| opts.iter().find(|o| o.value == v).map(|o| o.label.clone());
        match k {
            "tier" => find(&tiers),
            "locality" => find(&locality_opts),
            "place_type" => find(&place_opts),
            "key_stage" => find(&ks_opts),
            "need" => find(&need_opts),
            "registration" => search::REGISTRATIONS
                .iter()
                .find(|r| r.0 == v)
                .map(|r| r.1.to_string()),
            "framework" => Some("On the council's framework".into()),
            "approved" => Some("Checks complete".into()),
            "has_places" => Some("Has places free".into()),
            "near" => Some(format!(
                "Near {}",
                parsed.near_label.as_deref().unwrap_or(v)
            )),
            "radius_km" => Some(format!("Within {v} km")),
            "q" => Some(format!("“{v}”")),
            _ => None,
        }
        .unwrap_or_else(|| v.to_string())
    };
    let tags: Vec<Tag> = pairs
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k != "sort")
        .map(|(i, (k, v))| {
            let rest: Vec<(&str, String)> = pairs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p.clone())
                .collect();
            Tag {
                label: label_for(k, v),
                remove: format!("/providers?{}", search::query_string(&rest)),
            }
        })
        .collect();
    let pages = results.total.div_ceil(PAGE_SIZE).max(1);
    let keep = search::query_string(&pairs);
    let registrations: Vec<Option_> = search::REGISTRATIONS
        .iter()
        .map(|(k, l)| Option_ {
            value: k.to_string(),
            label: l.to_string(),
            count: 0,
            checked: selected("registration", k),
        })
        .collect();
    let flags = context! {
        framework => selected("framework", "true"),
        approved => selected("approved", "true"),
        has_places => selected("has_places", "true"),
    };
    let q = query
        .q
        .clone()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>();
    let sort = query.sort.clone().unwrap_or_default();
    view.render(
        status,
        "directory/list.html.j2",
        context! {
            results => rows, total => results.total, page_no => parsed.page, pages, keep, tags, errors,
            tiers, localities => locality_opts, place_types => place_opts, key_stages => ks_opts,
            needs => need_opts, registrations, flags, q, sort,
            near => query.near.clone().unwrap_or_default(), radius_km => query.radius_km.clone().unwrap_or_default(),
            near_label => parsed.near_label.clone(),
        },
    )
}

#[get("/providers/<slug>?<near>")]
async fn show(
    view: Page<'_>,
    viewer: &Viewer,
    state: &State<AppState>,
    slug: &str,
    near: Option<String>,
) -> AppResult<Reply> {
    if !crate::domain::text::is_slug(slug) {
        return Err(AppError::NotFound);
    }
    let provider = db::providers::by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let sites = db::providers::sites(&state.pool, provider.row.id).await?;
    // Distances from a given postcode or school (by URN), or a school user's own school.
    let from = match near.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) if Urn::parse(n).is_ok() => Some(
            near_point(viewer, state, Some(n))
                .await?
                .ok_or_else(|| AppError::BadRequest(unknown_school(n)))?,
        ),
        Some(n) => Some((
            crate::geo::parse_near(n).map_err(|e| AppError::BadRequest(e.0))?,
            n.to_string(),
        )),
        None => default_near(viewer, state).await?,
    };
    let sites: Vec<_> = sites
        .into_iter()
        .map(|s| {
            let distance_km = match (&from, s.latitude, s.longitude) {
                (Some((p, _)), Some(lat), Some(lon)) => {
                    Some((search_index::geo::haversine_km(*p, (lat, lon)) * 10.0).round() / 10.0)
                }
                _ => None,
            };
            context! { site => s, distance_km }
        })
        .collect();
    view.ok(
        "directory/show.html.j2",
        context! { provider, sites, from => from.map(|f| f.1) },
    )
}
