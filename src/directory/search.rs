//! Directory search parameters, shared by the page and the JSON API: parsed and checked here,
//! answered by the search index.

use crate::db::reference::{LocalityRow, Term};
use crate::domain::{PlaceType, Tier};
use rocket::form::FromForm;
use search_index::{Filters, SearchRequest, Sort};

/// The query string, as sent. Repeat a parameter for several values (`tier=2&tier=3`).
#[derive(Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub tier: Vec<String>,
    pub locality: Vec<String>,
    pub place_type: Vec<String>,
    pub key_stage: Vec<String>,
    pub need: Vec<String>,
    pub registration: Vec<String>,
    pub framework: Option<String>,
    pub approved: Option<String>,
    pub has_places: Option<String>,
    pub near: Option<String>,
    pub radius_km: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The taxonomies the values are checked against.
pub struct Vocabulary<'a> {
    pub localities: &'a [LocalityRow],
    pub key_stages: &'a [Term],
    pub needs: &'a [Term],
}

pub const REGISTRATIONS: [(&str, &str); 3] = [
    ("registered_school", "Registered school"),
    ("non_school", "Unregistered (non-school)"),
    ("online", "Online"),
];

/// A checked search.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub request: SearchRequest,
    pub page: usize,
    pub per_page: usize,
    /// The point distances are measured from, and what it was given as.
    pub near_label: Option<String>,
}

fn nonempty(v: &[String]) -> impl Iterator<Item = &str> {
    v.iter().map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn flag(v: &Option<String>, field: &'static str, errors: &mut Vec<FieldError>) -> Option<bool> {
    match v.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("true") | Some("yes") | Some("1") => Some(true),
        Some("false") | Some("no") | Some("0") => Some(false),
        Some(_) => {
            errors.push(FieldError {
                field,
                message: format!("{field} must be true or false"),
            });
            None
        }
    }
}

/// Checks every parameter; an unknown value is an error, never silently ignored.
/// `resolved` is the point found beforehand (see `directory::near_point`): the school a URN in
/// `near` names, or with no `near`, a school user's own school.
pub fn parse(
    q: &SearchQuery,
    vocab: &Vocabulary<'_>,
    resolved: Option<((f64, f64), String)>,
    max_per_page: usize,
    default_per_page: usize,
) -> Result<Parsed, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut f = Filters::default();
    for t in nonempty(&q.tier) {
        match Tier::parse(t) {
            Ok(t) => f.tiers.push(t.number().to_string()),
            Err(e) => errors.push(FieldError {
                field: "tier",
                message: e.0,
            }),
        }
    }
    for p in nonempty(&q.place_type) {
        match PlaceType::parse(p) {
            Ok(p) => f.place_types.push(p.key().to_string()),
            Err(e) => errors.push(FieldError {
                field: "place_type",
                message: e.0,
            }),
        }
    }
    for l in nonempty(&q.locality) {
        match vocab
            .localities
            .iter()
            .find(|x| x.key == l.to_ascii_lowercase())
        {
            Some(x) => f.localities.push(x.key.clone()),
            None => errors.push(FieldError {
                field: "locality",
                message: "Choose a locality from the list".into(),
            }),
        }
    }
    for k in nonempty(&q.key_stage) {
        match vocab
            .key_stages
            .iter()
            .find(|x| x.key.eq_ignore_ascii_case(k))
        {
            Some(x) => f.key_stages.push(x.key.clone()),
            None => errors.push(FieldError {
                field: "key_stage",
                message: "Key stage must be KS1, KS2, KS3, KS4 or KS5".into(),
            }),
        }
    }
    for n in nonempty(&q.need) {
        match vocab.needs.iter().find(|x| x.key.eq_ignore_ascii_case(n)) {
            Some(x) => f.needs.push(x.key.clone()),
            None => errors.push(FieldError {
                field: "need",
                message: "Choose a need from the list (DfE primary need codes such as SEMH or ASD)"
                    .into(),
            }),
        }
    }
    for r in nonempty(&q.registration) {
        match REGISTRATIONS.iter().find(|(k, _)| *k == r) {
            Some((k, _)) => f.registrations.push(k.to_string()),
            None => errors.push(FieldError {
                field: "registration",
                message: "Registration must be registered_school, non_school or online".into(),
            }),
        }
    }
    f.on_framework = flag(&q.framework, "framework", &mut errors);
    f.dd_approved = flag(&q.approved, "approved", &mut errors);
    f.has_places = flag(&q.has_places, "has_places", &mut errors);

    let mut near = None;
    let mut near_label = None;
    match q.near.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) if crate::domain::Urn::parse(n).is_ok() => match resolved {
            Some((p, label)) => {
                near = Some(p);
                near_label = Some(label);
            }
            None => errors.push(FieldError {
                field: "near",
                message: super::unknown_school(n),
            }),
        },
        Some(n) => match crate::geo::parse_near(n) {
            Ok(p) => {
                near = Some(p);
                near_label = Some(n.to_string());
            }
            Err(e) => errors.push(FieldError {
                field: "near",
                message: e.0,
            }),
        },
        None => {
            if let Some((p, label)) = resolved {
                near = Some(p);
                near_label = Some(label);
            }
        }
    }
    let radius_km = match q
        .radius_km
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(r) => match r.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 500.0 => Some(v),
            _ => {
                errors.push(FieldError {
                    field: "radius_km",
                    message: "Distance must be a number of kilometres from 0.1 to 500".into(),
                });
                None
            }
        },
    };
    if radius_km.is_some() && near.is_none() && !errors.iter().any(|e| e.field == "near") {
        errors.push(FieldError {
            field: "near",
            message: "Enter a postcode to search within a distance".into(),
        });
    }
    let sort = match q.sort.as_deref().map(str::trim) {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("distance") if near.is_some() => Sort::Distance,
        Some("distance") => {
            errors.push(FieldError {
                field: "sort",
                message: "Enter a postcode to sort by distance".into(),
            });
            Sort::Relevance
        }
        Some("name") => Sort::Name,
        Some(_) => {
            errors.push(FieldError {
                field: "sort",
                message: "Sort by relevance, distance or name".into(),
            });
            Sort::Relevance
        }
    };
    let number = |v: &Option<String>,
                  field: &'static str,
                  max: usize,
                  default: usize,
                  errors: &mut Vec<FieldError>| {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => default,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if n >= 1 && n <= max => n,
                _ => {
                    errors.push(FieldError {
                        field,
                        message: format!("{field} must be a whole number from 1 to {max}"),
                    });
                    default
                }
            },
        }
    };
    let page = number(&q.page, "page", 100_000, 1, &mut errors);
    let per_page = number(
        &q.per_page,
        "per_page",
        max_per_page,
        default_per_page,
        &mut errors,
    );
    let text: String = q.q.as_deref().unwrap_or("").chars().take(200).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Parsed {
        request: SearchRequest {
            text,
            filters: f,
            near,
            radius_km,
            sort,
            offset: (page - 1) * per_page,
            limit: per_page,
        },
        page,
        per_page,
        near_label,
    })
}

/// The query string for a search, for links (pagination, removing one filter).
pub fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", rocket::http::RawStr::new(v).percent_encode()))
        .collect::<Vec<_>>()
        .join("&")
}

/// The search as (name, value) pairs, to rebuild links.
pub fn pairs(q: &SearchQuery) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let one = |k: &'static str, v: &Option<String>, out: &mut Vec<(&'static str, String)>| {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            out.push((k, v.to_string()));
        }
    };
    one("q", &q.q, &mut out);
    for (k, list) in [
        ("tier", &q.tier),
        ("locality", &q.locality),
        ("place_type", &q.place_type),
        ("key_stage", &q.key_stage),
        ("need", &q.need),
        ("registration", &q.registration),
    ] {
        for v in nonempty(list) {
            out.push((k, v.to_string()));
        }
    }
    one("framework", &q.framework, &mut out);
    one("approved", &q.approved, &mut out);
    one("has_places", &q.has_places, &mut out);
    one("near", &q.near, &mut out);
    one("radius_km", &q.radius_km, &mut out);
    one("sort", &q.sort, &mut out);
    out
}
