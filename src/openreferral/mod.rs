//! The Open Referral UK 3.0 feed under `/openreferral`: the directory as open data for other
//! services to reuse. Public, no key; every answer carries `Access-Control-Allow-Origin: *`
//! (see web::fairings) and errors are JSON. Empty optional fields are omitted.

pub mod feed;

use crate::directory::index::Search;
use crate::error::{AppError, AppResult};
use crate::AppState;
use feed::Catalogue;
use rocket::serde::json::{json, Json, Value};
use rocket::{get, routes, Route, State};
use uuid::Uuid;

pub fn routes() -> Vec<Route> {
    routes![
        meta,
        services,
        service,
        service_at_locations,
        service_at_location,
        taxonomies,
        taxonomy,
        taxonomy_terms,
        taxonomy_term
    ]
}

const DEFAULT_PER_PAGE: usize = 50;
const MAX_PER_PAGE: usize = 500;

#[get("/")]
fn meta() -> Json<Value> {
    Json(json!({
        "version": "3.0",
        "profile": "https://openreferraluk.org/",
        "openapi_url": "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json",
    }))
}

/// Query parameters arrive as text so a bad value gets a message, not a silent default.
fn number<T: std::str::FromStr>(name: &str, v: Option<&str>) -> AppResult<Option<T>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{name} must be a number"))),
    }
}

fn uuid_param(name: &str, v: Option<&str>) -> AppResult<Option<Uuid>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{name} must be a UUID"))),
    }
}

struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn parse(page: Option<&str>, per_page: Option<&str>) -> AppResult<Paging> {
        let page = number::<usize>("page", page)?.unwrap_or(1);
        let per_page = number::<usize>("per_page", per_page)?.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(AppError::BadRequest("page starts at 1".into()));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::BadRequest(format!(
                "per_page must be between 1 and {MAX_PER_PAGE}"
            )));
        }
        Ok(Paging { page, per_page })
    }

    /// The ORUK page envelope around this page of `items`.
    fn wrap(&self, items: Vec<Value>) -> Value {
        let total = items.len();
        let total_pages = total.div_ceil(self.per_page).max(1);
        let contents: Vec<Value> = items
            .into_iter()
            .skip((self.page - 1).saturating_mul(self.per_page))
            .take(self.per_page)
            .collect();
        json!({
            "total_items": total,
            "total_pages": total_pages,
            "page_number": self.page,
            "size": contents.len(),
            "first_page": self.page == 1,
            "last_page": self.page >= total_pages,
            "empty": contents.is_empty(),
            "contents": contents,
        })
    }
}

/// The filters `/services` and `/service_at_locations` share.
struct ServiceFilter {
    text: Option<String>,
    term: Option<Uuid>,
    taxonomy: Option<Uuid>,
    minimum_age: Option<f64>,
    maximum_age: Option<f64>,
}

impl ServiceFilter {
    fn parse(
        search: Option<&str>,
        taxonomy_term_id: Option<&str>,
        taxonomy_id: Option<&str>,
        minimum_age: Option<&str>,
        maximum_age: Option<&str>,
    ) -> AppResult<ServiceFilter> {
        let text = match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                crate::domain::text::single_line(s, "search", 200)
                    .map_err(|e| AppError::BadRequest(e.to_string()))?,
            ),
            None => None,
        };
        let age = |name, v| -> AppResult<Option<f64>> {
            let a = number::<f64>(name, v)?;
            if a.is_some_and(|a| !(0.0..=120.0).contains(&a)) {
                return Err(AppError::BadRequest(format!(
                    "{name} must be between 0 and 120"
                )));
            }
            Ok(a)
        };
        Ok(ServiceFilter {
            text,
            term: uuid_param("taxonomy_term_id", taxonomy_term_id)?,
            taxonomy: uuid_param("taxonomy_id", taxonomy_id)?,
            minimum_age: age("minimum_age", minimum_age)?,
            maximum_age: age("maximum_age", maximum_age)?,
        })
    }

    /// The providers that pass, in order: by search relevance when there is text, else by name.
    async fn apply<'c>(
        &self,
        cat: &'c Catalogue,
        search: &Search,
    ) -> AppResult<Vec<&'c crate::db::providers::ProviderView>> {
        let ranked: Option<Vec<i64>> = match &self.text {
            Some(text) => {
                let request = search_index::SearchRequest {
                    text: text.clone(),
                    limit: cat.providers.len().max(1),
                    ..Default::default()
                };
                let index = search.0.clone();
                let hits = tokio::task::spawn_blocking(move || index.search(&request))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                Some(hits.hits.iter().map(|h| h.id).collect())
            }
            None => None,
        };
        let keep = |p: &&crate::db::providers::ProviderView| {
            let terms = cat.terms_of(p);
            if self
                .term
                .is_some_and(|id| !terms.iter().any(|t| t.id == id))
            {
                return false;
            }
            if self
                .taxonomy
                .is_some_and(|id| !terms.iter().any(|t| t.taxonomy_id == id))
            {
                return false;
            }
            // As the standard words them: a minimum age of at least the value asked for, a
            // maximum age at or below it. A service without ages does not match an age filter.
            let ages = Catalogue::ages(p);
            if let Some(min) = self.minimum_age {
                if !ages.is_some_and(|(a, _)| f64::from(a) >= min) {
                    return false;
                }
            }
            if let Some(max) = self.maximum_age {
                if !ages.is_some_and(|(_, b)| f64::from(b) <= max) {
                    return false;
                }
            }
            true
        };
        Ok(match ranked {
            Some(ids) => ids
                .iter()
                .filter_map(|id| cat.providers.iter().find(|p| p.row.id == *id))
                .filter(keep)
                .collect(),
            None => cat.providers.iter().filter(keep).collect(),
        })
    }
}

async fn catalogue(state: &AppState) -> AppResult<Catalogue> {
    Ok(Catalogue::load(&state.pool, &state.config.public_url).await?)
}

/// The query parameters of `/services` and `/service_at_locations`, as text (checked below).
#[derive(Debug, Default, rocket::FromForm)]
struct ServiceQuery<'r> {
    search: Option<&'r str>,
    page: Option<&'r str>,
    per_page: Option<&'r str>,
    taxonomy_term_id: Option<&'r str>,
    taxonomy_id: Option<&'r str>,
    minimum_age: Option<&'r str>,
    maximum_age: Option<&'r str>,
    /// `service_at_locations` only.
    postcode: Option<&'r str>,
    proximity: Option<&'r str>,
}

impl ServiceQuery<'_> {
    fn parse(&self) -> AppResult<(Paging, ServiceFilter)> {
        Ok((
            Paging::parse(self.page, self.per_page)?,
            ServiceFilter::parse(
                self.search,
                self.taxonomy_term_id,
                self.taxonomy_id,
                self.minimum_age,
                self.maximum_age,
            )?,
        ))
    }
}

#[get("/services?<query..>")]
async fn services(
    state: &State<AppState>,
    index: &State<Search>,
    query: ServiceQuery<'_>,
) -> AppResult<Json<Value>> {
    let (paging, filter) = query.parse()?;
    let cat = catalogue(state).await?;
    let items = filter
        .apply(&cat, index)
        .await?
        .into_iter()
        .map(|p| Value::Object(cat.service_summary(p)))
        .collect();
    Ok(Json(paging.wrap(items)))
}

#[get("/services/<id>")]
async fn service(state: &State<AppState>, id: &str) -> AppResult<Json<Value>> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let cat = catalogue(state).await?;
    let p = cat
        .providers
        .iter()
        .find(|p| feed::service_id(p.row.id) == id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(cat.service_full(p)))
}

#[get("/service_at_locations?<query..>")]
async fn service_at_locations(
    state: &State<AppState>,
    index: &State<Search>,
    query: ServiceQuery<'_>,
) -> AppResult<Json<Value>> {
    let (paging, filter) = query.parse()?;
    let near = Near::parse(query.postcode, query.proximity)?;
    let cat = catalogue(state).await?;
    let mut rows: Vec<(Option<f64>, Value)> = Vec::new();
    for p in filter.apply(&cat, index).await? {
        for s in cat.sites(p.row.id) {
            let distance = match (&near, s.latitude, s.longitude) {
                (Some(n), Some(lat), Some(lon)) => {
                    Some(search_index::geo::haversine_km(n.point, (lat, lon)) * 1000.0)
                }
                _ => None,
            };
            if let Some(limit) = near.as_ref().and_then(|n| n.proximity) {
                if !distance.is_some_and(|d| d <= limit) {
                    continue;
                }
            }
            rows.push((distance, cat.service_at_location_summary(p, s)));
        }
    }
    if near.is_some() {
        // Nearest first; sites without coordinates last.
        rows.sort_by(|a, b| {
            a.0.unwrap_or(f64::INFINITY)
                .total_cmp(&b.0.unwrap_or(f64::INFINITY))
        });
    }
    Ok(Json(paging.wrap(rows.into_iter().map(|r| r.1).collect())))
}

/// A postcode to measure from and, optionally, how far (in metres) to look.
struct Near {
    point: (f64, f64),
    proximity: Option<f64>,
}

impl Near {
    fn parse(postcode: Option<&str>, proximity: Option<&str>) -> AppResult<Option<Near>> {
        let proximity = number::<f64>("proximity", proximity)?;
        if proximity.is_some_and(|p| !(p.is_finite() && p > 0.0)) {
            return Err(AppError::BadRequest(
                "proximity must be a distance in metres greater than 0".into(),
            ));
        }
        let Some(code) = postcode.map(str::trim).filter(|p| !p.is_empty()) else {
            if proximity.is_some() {
                return Err(AppError::BadRequest(
                    "proximity needs a postcode to measure from".into(),
                ));
            }
            return Ok(None);
        };
        let parsed = crate::domain::Postcode::parse(code)
            .map_err(|e| AppError::BadRequest(format!("postcode: {e}")))?;
        let point = crate::geo::locate(&parsed).ok_or_else(|| {
            AppError::BadRequest(format!(
                "postcode: {} is outside the area this directory covers",
                parsed.as_str()
            ))
        })?;
        Ok(Some(Near { point, proximity }))
    }
}

#[get("/service_at_locations/<id>")]
async fn service_at_location(state: &State<AppState>, id: &str) -> AppResult<Json<Value>> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let cat = catalogue(state).await?;
    for p in &cat.providers {
        if let Some(s) = cat
            .sites(p.row.id)
            .iter()
            .find(|s| feed::service_at_location_id(s.id) == id)
        {
            return Ok(Json(cat.service_at_location_full(p, s)));
        }
    }
    Err(AppError::NotFound)
}

#[get("/taxonomies?<page>&<per_page>")]
async fn taxonomies(
    state: &State<AppState>,
    page: Option<&str>,
    per_page: Option<&str>,
) -> AppResult<Json<Value>> {
    let paging = Paging::parse(page, per_page)?;
    let cat = catalogue(state).await?;
    Ok(Json(paging.wrap(
        cat.taxonomies.iter().map(feed::taxonomy_json).collect(),
    )))
}

#[get("/taxonomies/<id>")]
async fn taxonomy(state: &State<AppState>, id: &str) -> AppResult<Json<Value>> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let cat = catalogue(state).await?;
    let t = cat
        .taxonomies
        .iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(feed::taxonomy_json(t)))
}

#[get("/taxonomy_terms?<page>&<per_page>&<taxonomy_id>")]
async fn taxonomy_terms(
    state: &State<AppState>,
    page: Option<&str>,
    per_page: Option<&str>,
    taxonomy_id: Option<&str>,
) -> AppResult<Json<Value>> {
    let paging = Paging::parse(page, per_page)?;
    let only = uuid_param("taxonomy_id", taxonomy_id)?;
    let cat = catalogue(state).await?;
    let terms = cat
        .taxonomies
        .iter()
        .filter(|t| only.is_none_or(|id| t.id == id))
        .flat_map(|t| &t.terms)
        .map(feed::term_json)
        .collect();
    Ok(Json(paging.wrap(terms)))
}

#[get("/taxonomy_terms/<id>")]
async fn taxonomy_term(state: &State<AppState>, id: &str) -> AppResult<Json<Value>> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let cat = catalogue(state).await?;
    let t = cat.term(id).ok_or(AppError::NotFound)?;
    Ok(Json(feed::term_json(t)))
}
