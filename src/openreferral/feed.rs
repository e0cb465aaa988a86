//! The directory as Open Referral UK 3.0 documents. Everything here is public: providers'
//! published profiles, their sites and the taxonomies. Due-diligence reasons, evidence,
//! concerns and pupil data are never read, so they cannot leak into the feed.

use crate::db::providers::{ProviderView, SiteRow};
use crate::db::reference::DefinedTerm;
use crate::db::{self, Pool};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Identifiers are UUIDs (the standard requires them), derived from our own keys so they stay
/// the same from one request, restart or rebuild to the next.
fn id(kind: &str, key: &str) -> Uuid {
    // A fixed namespace for this product's ORUK identifiers.
    const NAMESPACE: Uuid = Uuid::from_u128(0x6b1e_0c5a_52f4_4d0e_9a57_0a1d_17c3_5e01);
    Uuid::new_v5(&NAMESPACE, format!("{kind}/{key}").as_bytes())
}

pub fn service_id(provider_id: i64) -> Uuid {
    id("service", &provider_id.to_string())
}
fn organization_id(provider_id: i64) -> Uuid {
    id("organization", &provider_id.to_string())
}
fn location_id(site_id: i64) -> Uuid {
    id("location", &site_id.to_string())
}
pub fn service_at_location_id(site_id: i64) -> Uuid {
    id("service_at_location", &site_id.to_string())
}
/// A taxonomy by our key for it (`tier`, `place_type`, `key_stage`, `need`, `locality`).
pub fn taxonomy_id(key: &str) -> Uuid {
    id("taxonomy", key)
}
pub fn term_id(taxonomy_key: &str, term_key: &str) -> Uuid {
    id("taxonomy_term", &format!("{taxonomy_key}/{term_key}"))
}

/// One of our taxonomies as published.
pub struct Taxonomy {
    pub id: Uuid,
    /// Our key for it: `tier`, `place_type`, `key_stage`, `need`, `locality`.
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub terms: Vec<Term>,
}

pub struct Term {
    pub id: Uuid,
    pub taxonomy_id: Uuid,
    pub taxonomy_name: &'static str,
    pub key: String,
    pub name: String,
    pub description: String,
}

/// Ages taught in each key stage, for a service's minimum and maximum age.
fn key_stage_ages(key: &str) -> Option<(u8, u8)> {
    match key {
        "KS1" => Some((5, 7)),
        "KS2" => Some((7, 11)),
        "KS3" => Some((11, 14)),
        "KS4" => Some((14, 16)),
        "KS5" => Some((16, 18)),
        _ => None,
    }
}

/// The whole published directory, read in a handful of queries. A council has tens to a few
/// hundred providers, so filtering and paging in memory is cheap and keeps one code path for
/// every list.
pub struct Catalogue {
    pub providers: Vec<ProviderView>,
    sites: HashMap<i64, Vec<SiteRow>>,
    assured: HashMap<i64, NaiveDate>,
    pub taxonomies: Vec<Taxonomy>,
    locality_keys: HashMap<String, String>,
    public_url: String,
}

impl Catalogue {
    pub async fn load(pool: &Pool, public_url: &str) -> Result<Catalogue, sqlx::Error> {
        let providers = db::providers::list(pool).await?;
        let mut sites: HashMap<i64, Vec<SiteRow>> = HashMap::new();
        for s in db::providers::all_sites(pool).await? {
            sites.entry(s.provider_id).or_default().push(s.site);
        }
        let assured = db::checks::last_passed(pool).await?.into_iter().collect();
        let localities = db::reference::localities(pool).await?;
        let locality_keys = localities
            .iter()
            .map(|l| (l.name.clone(), l.key.clone()))
            .collect();
        let plain = |terms: Vec<db::reference::Term>| {
            terms
                .into_iter()
                .map(|t| DefinedTerm {
                    definition: t.name.clone(),
                    key: t.key,
                    name: t.name,
                })
                .collect::<Vec<_>>()
        };
        let locality_terms = localities
            .into_iter()
            .map(|l| DefinedTerm {
                definition: format!("Providers based in the {} area", l.name),
                key: l.key,
                name: l.name,
            })
            .collect();
        let taxonomies = vec![
            taxonomy(
                "tier",
                "Alternative provision tiers",
                "The Department for Education's three tiers of alternative provision.",
                db::reference::tiers(pool).await?,
            ),
            taxonomy(
                "place_type",
                "Alternative provision place types",
                "The kinds of placement a provider offers.",
                db::reference::place_type_definitions(pool).await?,
            ),
            taxonomy(
                "key_stage",
                "Key stages",
                "The key stages of the national curriculum a provider teaches.",
                plain(db::reference::key_stages(pool).await?),
            ),
            taxonomy(
                "need",
                "Special educational needs",
                "The Department for Education's primary types of special educational need a provider supports.",
                plain(db::reference::needs(pool).await?),
            ),
            taxonomy(
                "locality",
                "Localities",
                "The council's localities, by where a provider is based.",
                locality_terms,
            ),
        ];
        Ok(Catalogue {
            providers,
            sites,
            assured,
            taxonomies,
            locality_keys,
            public_url: public_url.trim_end_matches('/').to_string(),
        })
    }

    pub fn sites(&self, provider_id: i64) -> &[SiteRow] {
        self.sites.get(&provider_id).map_or(&[], |s| s.as_slice())
    }

    pub fn term(&self, id: Uuid) -> Option<&Term> {
        self.taxonomies
            .iter()
            .flat_map(|t| &t.terms)
            .find(|t| t.id == id)
    }

    /// The terms a provider is tagged with, taxonomy by taxonomy.
    pub fn terms_of(&self, p: &ProviderView) -> Vec<&Term> {
        let tiers: Vec<String> = p.tiers.iter().map(|t| t.to_string()).collect();
        let locality: Vec<String> = p
            .row
            .locality_name
            .as_ref()
            .and_then(|n| self.locality_keys.get(n))
            .cloned()
            .into_iter()
            .collect();
        let mut out = Vec::new();
        for t in &self.taxonomies {
            let keys: &[String] = match t.key {
                "tier" => &tiers,
                "place_type" => &p.place_types,
                "key_stage" => &p.key_stages,
                "need" => &p.needs,
                _ => &locality,
            };
            out.extend(t.terms.iter().filter(|term| keys.contains(&term.key)));
        }
        out
    }

    pub fn ages(p: &ProviderView) -> Option<(u8, u8)> {
        let ages: Vec<(u8, u8)> = p
            .key_stages
            .iter()
            .filter_map(|k| key_stage_ages(k))
            .collect();
        let min = ages.iter().map(|a| a.0).min()?;
        let max = ages.iter().map(|a| a.1).max()?;
        Some((min, max))
    }

    /// A service with its one-to-one fields, as in `/services` lists.
    pub fn service_summary(&self, p: &ProviderView) -> Map<String, Value> {
        let r = &p.row;
        let mut m = Map::new();
        m.insert("id".into(), json!(service_id(r.id)));
        m.insert("organization_id".into(), json!(organization_id(r.id)));
        m.insert("name".into(), json!(r.name));
        put_text(&mut m, "description", &description(p));
        m.insert(
            "url".into(),
            json!(format!("{}/providers/{}", self.public_url, r.slug)),
        );
        if let Some(email) = r.email.as_deref().filter(|e| is_email(e)) {
            m.insert("email".into(), json!(email));
        }
        m.insert("status".into(), json!(status(&r.dd_status)));
        if let Some((min, max)) = Catalogue::ages(p) {
            m.insert("minimum_age".into(), json!(min));
            m.insert("maximum_age".into(), json!(max));
        }
        if let Some(d) = self.assured.get(&r.id) {
            m.insert(
                "assured_date".into(),
                json!(d.format("%Y-%m-%d").to_string()),
            );
        }
        if r.places_free == 0 {
            m.insert(
                "alert".into(),
                json!("No places free at present: contact the provider about a waiting list."),
            );
        }
        m.insert("last_modified".into(), json!(r.updated_at.to_rfc3339()));
        m.insert("organization".into(), organization(p));
        m
    }

    /// A service with everything related to it, as in `/services/{id}`.
    pub fn service_full(&self, p: &ProviderView) -> Value {
        let r = &p.row;
        let sid = service_id(r.id);
        let mut m = self.service_summary(p);
        if !r.days_hours.trim().is_empty() {
            m.insert(
                "schedules".into(),
                json!([{
                    "id": id("schedule", &r.id.to_string()),
                    "service_id": sid,
                    "description": r.days_hours.trim(),
                }]),
            );
        }
        let sal: Vec<Value> = self
            .sites(r.id)
            .iter()
            .map(|s| {
                json!({
                    "id": service_at_location_id(s.id),
                    "service_id": sid,
                    "location_id": location_id(s.id),
                    "location": location_full(s),
                })
            })
            .collect();
        if !sal.is_empty() {
            m.insert("service_at_locations".into(), Value::Array(sal));
        }
        let attributes: Vec<Value> = self
            .terms_of(p)
            .into_iter()
            .map(|t| {
                json!({
                    "id": id("attribute", &format!("{}/{}", r.id, t.id)),
                    "link_id": sid,
                    "link_type": "service",
                    "taxonomy_term_id": t.id,
                    "taxonomy_term": term_json(t),
                })
            })
            .collect();
        if !attributes.is_empty() {
            m.insert("attributes".into(), Value::Array(attributes));
        }
        Value::Object(m)
    }

    /// A service at one of its sites, as in `/service_at_locations` lists.
    pub fn service_at_location_summary(&self, p: &ProviderView, s: &SiteRow) -> Value {
        json!({
            "id": service_at_location_id(s.id),
            "service_id": service_id(p.row.id),
            "location_id": location_id(s.id),
            "location": location_summary(s),
            "service": Value::Object(self.service_summary(p)),
        })
    }

    /// A service at one of its sites with everything related, as in
    /// `/service_at_locations/{id}`.
    pub fn service_at_location_full(&self, p: &ProviderView, s: &SiteRow) -> Value {
        let mut service = self.service_full(p);
        // The service's other sites are not part of this document's shape.
        if let Some(m) = service.as_object_mut() {
            m.remove("service_at_locations");
        }
        json!({
            "id": service_at_location_id(s.id),
            "service_id": service_id(p.row.id),
            "location_id": location_id(s.id),
            "location": location_full(s),
            "service": service,
        })
    }
}

fn taxonomy(
    key: &'static str,
    name: &'static str,
    description: &'static str,
    terms: Vec<DefinedTerm>,
) -> Taxonomy {
    let taxonomy_id = taxonomy_id(key);
    Taxonomy {
        id: taxonomy_id,
        key,
        name,
        description,
        terms: terms
            .into_iter()
            .map(|t| Term {
                id: term_id(key, &t.key),
                taxonomy_id,
                taxonomy_name: name,
                key: t.key,
                name: t.name,
                description: t.definition,
            })
            .collect(),
    }
}

pub fn taxonomy_json(t: &Taxonomy) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "version": "1",
    })
}

pub fn term_json(t: &Term) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "taxonomy": t.taxonomy_name,
        "taxonomy_id": t.taxonomy_id,
        "term": t.key,
    })
}

/// Summary and description as one plain text; empty when the provider has written neither.
fn description(p: &ProviderView) -> String {
    [p.row.summary.trim(), p.row.description.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn put_text(m: &mut Map<String, Value>, key: &str, text: &str) {
    if !text.trim().is_empty() {
        m.insert(key.into(), json!(text));
    }
}

/// A suspended provider is not taking placements; every other provider is listed as active
/// (its due-diligence standing is in `assured_date`, not in the status).
fn status(dd_status: &str) -> &'static str {
    if dd_status == "suspended" {
        "temporarily closed"
    } else {
        "active"
    }
}

fn is_email(s: &str) -> bool {
    crate::domain::Email::parse(s).is_ok()
}

fn is_web_url(s: &str) -> bool {
    let s = s.trim();
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && !s.contains(char::is_whitespace)
}

fn organization(p: &ProviderView) -> Value {
    let r = &p.row;
    let mut m = Map::new();
    m.insert("id".into(), json!(organization_id(r.id)));
    m.insert("name".into(), json!(r.name));
    // Required by the standard: the summary, or the name when there is none.
    let about = if r.summary.trim().is_empty() {
        r.name.as_str()
    } else {
        r.summary.trim()
    };
    m.insert("description".into(), json!(about));
    if let Some(email) = r.email.as_deref().filter(|e| is_email(e)) {
        m.insert("email".into(), json!(email.trim()));
    }
    if let Some(web) = r.website.as_deref().filter(|w| is_web_url(w)) {
        m.insert("website".into(), json!(web.trim()));
    }
    let mut identifiers = Vec::new();
    for (scheme, kind, value) in [
        ("GB-URN", "URN", r.urn.as_deref()),
        ("GB-UKPRN", "UKPRN", r.ukprn.as_deref()),
    ] {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            identifiers.push(json!({
                "id": id("organization_identifier", &format!("{}/{kind}", r.id)),
                "organization_id": organization_id(r.id),
                "identifier_scheme": scheme,
                "identifier_type": kind,
                "identifier": v,
            }));
        }
    }
    if !identifiers.is_empty() {
        m.insert("organization_identifiers".into(), Value::Array(identifiers));
    }
    Value::Object(m)
}

fn location_summary(s: &SiteRow) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(location_id(s.id)));
    m.insert("location_type".into(), json!("physical"));
    m.insert("name".into(), json!(s.name));
    if let (Some(lat), Some(lon)) = (s.latitude, s.longitude) {
        m.insert("latitude".into(), json!(lat));
        m.insert("longitude".into(), json!(lon));
    }
    Value::Object(m)
}

fn location_full(s: &SiteRow) -> Value {
    let mut v = location_summary(s);
    // Sites keep their address as one line ending in the town: split off the town.
    let (street, town) = match s.address.rsplit_once(',') {
        Some((street, town)) => (street.trim(), town.trim()),
        None => (s.address.trim(), ""),
    };
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "addresses".into(),
            json!([{
                "id": id("address", &s.id.to_string()),
                "location_id": location_id(s.id),
                "address_1": street,
                "city": town,
                "state_province": "",
                "postal_code": s.postcode,
                "country": "GB",
                "address_type": "physical",
            }]),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_stable_and_distinct() {
        assert_eq!(service_id(7), service_id(7));
        assert_ne!(service_id(7), service_id(8));
        assert_ne!(service_id(7), organization_id(7));
        assert_eq!(service_id(7).get_version_num(), 5);
    }

    #[test]
    fn ages_come_from_key_stages() {
        assert_eq!(key_stage_ages("KS3"), Some((11, 14)));
        assert_eq!(key_stage_ages("KS9"), None);
    }

    #[test]
    fn emails_and_urls_are_checked_before_publishing() {
        assert!(is_email("office@example.org"));
        assert!(!is_email("office at example"));
        assert!(is_web_url("https://example.org"));
        assert!(!is_web_url("example.org"));
        assert!(!is_web_url("javascript:alert(1)"));
    }
}
