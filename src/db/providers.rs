//! AP providers, their sites and what they offer.

use super::{Conn, Pool};
use crate::domain::{PlaceType, Tier};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ProviderRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub registration: String,
    pub urn: Option<String>,
    pub ukprn: Option<String>,
    pub ofsted_grade: Option<String>,
    pub on_framework: bool,
    pub framework_lot: Option<String>,
    pub dd_status: String,
    pub dd_reason: String,
    pub capacity: i64,
    pub places_free: i64,
    pub places_free_updated_at: Option<DateTime<Utc>>,
    pub qualifications: String,
    pub transport: String,
    pub days_hours: String,
    pub locality_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub is_main: bool,
}

/// A provider with what it offers, for lists and profiles.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderView {
    #[serde(flatten)]
    pub row: ProviderRow,
    pub tiers: Vec<i64>,
    pub place_types: Vec<String>,
    pub key_stages: Vec<String>,
    pub needs: Vec<String>,
}

pub struct NewProvider<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    pub website: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub registration: &'a str,
    pub urn: Option<&'a str>,
    pub ukprn: Option<&'a str>,
    pub ofsted_grade: Option<&'a str>,
    pub on_framework: bool,
    pub framework_lot: Option<&'a str>,
    pub dd_status: &'a str,
    pub dd_reason: &'a str,
    pub capacity: i64,
    pub places_free: i64,
    pub qualifications: &'a str,
    pub transport: &'a str,
    pub days_hours: &'a str,
    pub locality_id: Option<i64>,
    pub tiers: &'a [Tier],
    pub place_types: &'a [PlaceType],
    pub key_stages: &'a [&'a str],
    pub needs: &'a [&'a str],
}

pub struct NewSite<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub is_main: bool,
}

/// Inserts a provider and its offer; call inside a transaction.
pub async fn insert(
    conn: &mut Conn,
    p: &NewProvider<'_>,
    sites: &[NewSite<'_>],
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO providers (slug, name, summary, description, website, email, phone, registration, urn, ukprn, \
         ofsted_grade, on_framework, framework_lot, dd_status, dd_reason, capacity, places_free, places_free_updated_at, \
         qualifications, transport, days_hours, locality_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
         RETURNING id",
    )
    .bind(p.slug)
    .bind(p.name)
    .bind(p.summary)
    .bind(p.description)
    .bind(p.website)
    .bind(p.email)
    .bind(p.phone)
    .bind(p.registration)
    .bind(p.urn)
    .bind(p.ukprn)
    .bind(p.ofsted_grade)
    .bind(p.on_framework)
    .bind(p.framework_lot)
    .bind(p.dd_status)
    .bind(p.dd_reason)
    .bind(p.capacity)
    .bind(p.places_free)
    .bind(at)
    .bind(p.qualifications)
    .bind(p.transport)
    .bind(p.days_hours)
    .bind(p.locality_id)
    .bind(at)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    insert_tags(conn, id, p.tiers, p.place_types, p.key_stages, p.needs).await?;
    for s in sites {
        sqlx::query(
            "INSERT INTO provider_sites (provider_id, name, address, postcode, latitude, longitude, is_main) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(s.name)
        .bind(s.address)
        .bind(s.postcode)
        .bind(s.latitude)
        .bind(s.longitude)
        .bind(s.is_main)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// A provider's tiers, place types, key stages and needs. Call inside a transaction.
pub async fn insert_tags(
    conn: &mut Conn,
    id: i64,
    tiers: &[Tier],
    place_types: &[PlaceType],
    key_stages: &[&str],
    needs: &[&str],
) -> Result<(), sqlx::Error> {
    for t in tiers {
        sqlx::query("INSERT INTO provider_tiers (provider_id, tier) VALUES ($1, $2)")
            .bind(id)
            .bind(t.number())
            .execute(&mut *conn)
            .await?;
    }
    for pt in place_types {
        sqlx::query(
            "INSERT INTO provider_place_types (provider_id, place_type_key) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(pt.key())
        .execute(&mut *conn)
        .await?;
    }
    for ks in key_stages {
        sqlx::query("INSERT INTO provider_key_stages (provider_id, key_stage_key) VALUES ($1, $2)")
            .bind(id)
            .bind(*ks)
            .execute(&mut *conn)
            .await?;
    }
    for n in needs {
        sqlx::query("INSERT INTO provider_needs (provider_id, need_key) VALUES ($1, $2)")
            .bind(id)
            .bind(*n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

const SELECT: &str = "SELECT p.id, p.slug, p.name, p.summary, p.description, p.website, p.email, p.phone, \
    p.registration, p.urn, p.ukprn, p.ofsted_grade, p.on_framework, p.framework_lot, p.dd_status, p.dd_reason, \
    p.capacity, p.places_free, p.places_free_updated_at, p.qualifications, p.transport, p.days_hours, \
    l.name AS locality_name, p.updated_at FROM providers p LEFT JOIN localities l ON l.id = p.locality_id";

/// Every provider with its offer, by name. Four tag queries, not one per provider.
pub async fn list(pool: &Pool) -> Result<Vec<ProviderView>, sqlx::Error> {
    let rows: Vec<ProviderRow> = sqlx::query_as(&format!("{SELECT} ORDER BY p.name"))
        .fetch_all(pool)
        .await?;
    attach_tags(pool, rows, None).await
}

pub async fn by_slug(pool: &Pool, slug: &str) -> Result<Option<ProviderView>, sqlx::Error> {
    let row: Option<ProviderRow> = sqlx::query_as(&format!("{SELECT} WHERE p.slug = $1"))
        .bind(slug)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(r) => {
            let id = r.id;
            Ok(attach_tags(pool, vec![r], Some(&[id])).await?.pop())
        }
        None => Ok(None),
    }
}

pub async fn by_id(pool: &Pool, id: i64) -> Result<Option<ProviderView>, sqlx::Error> {
    let row: Option<ProviderRow> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(r) => Ok(attach_tags(pool, vec![r], Some(&[id])).await?.pop()),
        None => Ok(None),
    }
}

/// These providers, in the order given.
pub async fn by_ids(pool: &Pool, ids: &[i64]) -> Result<Vec<ProviderView>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{SELECT} WHERE p.id IN ({})", placeholders(ids.len()));
    let mut q = sqlx::query_as::<_, ProviderRow>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let mut rows = q.fetch_all(pool).await?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    attach_tags(pool, rows, Some(ids)).await
}

pub async fn sites(pool: &Pool, provider_id: i64) -> Result<Vec<SiteRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, address, postcode, latitude, longitude, is_main FROM provider_sites \
         WHERE provider_id = $1 ORDER BY is_main DESC, name",
    )
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

/// Every site of every provider, for the open-data feed (one read, not one per provider).
#[derive(Debug, Clone, FromRow)]
pub struct ProviderSite {
    pub provider_id: i64,
    #[sqlx(flatten)]
    pub site: SiteRow,
}

pub async fn all_sites(pool: &Pool) -> Result<Vec<ProviderSite>, sqlx::Error> {
    sqlx::query_as(
        "SELECT provider_id, id, name, address, postcode, latitude, longitude, is_main \
         FROM provider_sites ORDER BY provider_id, is_main DESC, name",
    )
    .fetch_all(pool)
    .await
}

/// `$1, $2, ...` for an `IN` list of `n` bound values.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Attaches tiers, place types, key stages and needs: four queries whatever the number of rows.
/// `ids` narrows the tag queries to those providers (an indexed `IN` list); `None` reads all.
async fn attach_tags(
    pool: &Pool,
    rows: Vec<ProviderRow>,
    ids: Option<&[i64]>,
) -> Result<Vec<ProviderView>, sqlx::Error> {
    let filter = match ids {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => format!("WHERE provider_id IN ({})", placeholders(ids.len())),
        None => String::new(),
    };
    let all_ids = ids.unwrap_or(&[]);
    // One round trip for all four kinds of tag.
    let sql = format!(
        "SELECT provider_id, 't' AS kind, CAST(tier AS TEXT) AS key FROM provider_tiers {filter} \
         UNION ALL SELECT provider_id, 'p' AS kind, place_type_key AS key FROM provider_place_types {filter} \
         UNION ALL SELECT provider_id, 'k' AS kind, key_stage_key AS key FROM provider_key_stages {filter} \
         UNION ALL SELECT provider_id, 'n' AS kind, need_key AS key FROM provider_needs {filter} \
         ORDER BY 2, 3"
    );
    let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
    for id in all_ids {
        q = q.bind(*id);
    }
    let tags = q.fetch_all(pool).await?;
    let mut by_provider: std::collections::HashMap<i64, ProviderTags> =
        std::collections::HashMap::new();
    for (id, kind, key) in tags {
        let t = by_provider.entry(id).or_default();
        match kind.as_str() {
            "t" => t.tiers.extend(key.parse::<i64>().ok()),
            "p" => t.place_types.push(key),
            "k" => t.key_stages.push(key),
            _ => t.needs.push(key),
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let t = by_provider.remove(&row.id).unwrap_or_default();
            ProviderView {
                tiers: t.tiers,
                place_types: t.place_types,
                key_stages: t.key_stages,
                needs: t.needs,
                row,
            }
        })
        .collect())
}

#[derive(Default)]
struct ProviderTags {
    tiers: Vec<i64>,
    place_types: Vec<String>,
    key_stages: Vec<String>,
    needs: Vec<String>,
}

/// How many providers there are and how many places they show free, for the public home page.
pub async fn totals(pool: &Pool) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(places_free), 0) AS BIGINT) FROM providers")
        .fetch_one(pool)
        .await
}

/// Providers picked by name for a filter: the one whose name is exactly `text` (any case) if
/// there is one, otherwise those whose name contains it, by name, at most `limit`.
pub async fn named(pool: &Pool, text: &str, limit: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let exact: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM providers WHERE lower(name) = lower($1) ORDER BY id LIMIT 1",
    )
    .bind(text)
    .fetch_all(pool)
    .await?;
    if !exact.is_empty() {
        return Ok(exact);
    }
    // The text is matched literally: % and _ in it are not wildcards.
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_as(
        "SELECT id, name FROM providers WHERE lower(name) LIKE lower($1) ESCAPE '\\' ORDER BY name, id LIMIT $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Providers whose due diligence is not simply approved, by name, for the Progressions Team.
pub async fn needing_attention(pool: &Pool) -> Result<Vec<ProviderView>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM providers WHERE dd_status <> 'approved' ORDER BY name, id",
    )
    .fetch_all(pool)
    .await?;
    by_ids(pool, &ids).await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct StatusCount {
    pub dd_status: String,
    pub providers: i64,
}

pub async fn count_by_status(pool: &Pool) -> Result<Vec<StatusCount>, sqlx::Error> {
    sqlx::query_as("SELECT dd_status, COUNT(*) AS providers FROM providers GROUP BY dd_status ORDER BY dd_status")
        .fetch_all(pool)
        .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct TierSupply {
    pub tier: i64,
    pub providers: i64,
    pub places: i64,
    pub places_free: i64,
}

/// Places offered per tier (a provider offering two tiers counts under both).
pub async fn supply_by_tier(pool: &Pool) -> Result<Vec<TierSupply>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.tier, COUNT(*) AS providers, CAST(COALESCE(SUM(p.capacity), 0) AS BIGINT) AS places, \
         CAST(COALESCE(SUM(p.places_free), 0) AS BIGINT) AS places_free \
         FROM provider_tiers t JOIN providers p ON p.id = t.provider_id GROUP BY t.tier ORDER BY t.tier",
    )
    .fetch_all(pool)
    .await
}

/// A provider as search results show it (pages and API), built with its index document and
/// returned with each hit, so a page of results reads nothing from the database. Public
/// fields only.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Card {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub tiers: Vec<i64>,
    pub place_types: Vec<String>,
    pub key_stages: Vec<String>,
    pub needs: Vec<String>,
    /// The locality's display name.
    pub locality: Option<String>,
    pub registration: String,
    pub due_diligence: String,
    pub capacity: i64,
    pub places_free: i64,
}

#[derive(FromRow)]
struct IndexRow {
    id: i64,
    slug: String,
    capacity: i64,
    locality_name: Option<String>,
    name: String,
    summary: String,
    description: String,
    qualifications: String,
    registration: String,
    on_framework: bool,
    dd_status: String,
    places_free: i64,
    locality_key: Option<String>,
}

#[derive(FromRow)]
struct NamedTag {
    provider_id: i64,
    key: String,
    name: String,
}

/// Providers as the search index sees them: every provider, or one.
pub async fn index_docs(
    pool: &Pool,
    only: Option<i64>,
) -> Result<Vec<search_index::ProviderDoc>, sqlx::Error> {
    // One provider: filter by id; all: no filter (no `OR`, so the index on id is used).
    let filter = if only.is_some() {
        "WHERE p.id = $1"
    } else {
        "WHERE $1 IS NULL"
    };
    let tag_filter = if only.is_some() {
        "WHERE x.provider_id = $1"
    } else {
        "WHERE $1 IS NULL"
    };
    let rows: Vec<IndexRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.slug, p.capacity, l.name AS locality_name, p.name, p.summary, p.description, \
         p.qualifications, p.registration, p.on_framework, p.dd_status, p.places_free, l.key AS locality_key \
         FROM providers p \
         LEFT JOIN localities l ON l.id = p.locality_id {filter}"
    ))
    .bind(only)
    .fetch_all(pool)
    .await?;
    let tags = |sql: String| async move {
        sqlx::query_as::<_, NamedTag>(&sql)
            .bind(only)
            .fetch_all(pool)
            .await
    };
    let tiers = tags(format!(
        "SELECT x.provider_id, CAST(x.tier AS TEXT) AS key, t.dfe_meaning AS name FROM provider_tiers x \
         JOIN tiers t ON t.tier = x.tier {tag_filter}"
    ))
    .await?;
    let place_types = tags(format!(
        "SELECT x.provider_id, x.place_type_key AS key, t.name FROM provider_place_types x \
         JOIN place_types t ON t.key = x.place_type_key {tag_filter}"
    ))
    .await?;
    let key_stages = tags(format!(
        "SELECT x.provider_id, x.key_stage_key AS key, t.name FROM provider_key_stages x \
         JOIN key_stages t ON t.key = x.key_stage_key {tag_filter}"
    ))
    .await?;
    let needs = tags(format!(
        "SELECT x.provider_id, x.need_key AS key, t.name FROM provider_needs x \
         JOIN needs t ON t.key = x.need_key {tag_filter}"
    ))
    .await?;
    let sites: Vec<(i64, Option<f64>, Option<f64>)> = sqlx::query_as(&format!(
        "SELECT x.provider_id, x.latitude, x.longitude FROM provider_sites x {tag_filter}"
    ))
    .bind(only)
    .fetch_all(pool)
    .await?;
    // What only the card needs, by provider.
    let mut card_parts: std::collections::HashMap<i64, (String, i64, Option<String>, String)> =
        rows.iter()
            .map(|r| {
                (
                    r.id,
                    (
                        r.slug.clone(),
                        r.capacity,
                        r.locality_name.clone(),
                        r.dd_status.clone(),
                    ),
                )
            })
            .collect();
    let mut by_id: std::collections::HashMap<i64, search_index::ProviderDoc> = rows
        .into_iter()
        .map(|r| {
            let doc = search_index::ProviderDoc {
                id: r.id,
                name: r.name,
                summary: r.summary,
                description: r.description,
                qualifications: r.qualifications,
                locality: r.locality_key.unwrap_or_default(),
                registration: r.registration,
                on_framework: r.on_framework,
                dd_approved: matches!(r.dd_status.as_str(), "approved" | "expiring"),
                places_free: r.places_free,
                ..Default::default()
            };
            (r.id, doc)
        })
        .collect();
    for t in tiers {
        if let Some(d) = by_id.get_mut(&t.provider_id) {
            d.tiers.push(t.key);
        }
    }
    for t in place_types {
        if let Some(d) = by_id.get_mut(&t.provider_id) {
            d.place_types.push(t.key);
            d.place_type_names.push(t.name);
        }
    }
    for t in key_stages {
        if let Some(d) = by_id.get_mut(&t.provider_id) {
            d.key_stages.push(t.key);
        }
    }
    for t in needs {
        if let Some(d) = by_id.get_mut(&t.provider_id) {
            d.needs.push(t.key);
            d.need_names.push(t.name);
        }
    }
    for (id, lat, lon) in sites {
        if let (Some(d), Some(lat), Some(lon)) = (by_id.get_mut(&id), lat, lon) {
            d.sites.push((lat, lon));
        }
    }
    let mut docs: Vec<_> = by_id.into_values().collect();
    docs.sort_by_key(|d| d.id);
    for d in &mut docs {
        let Some((slug, capacity, locality, due_diligence)) = card_parts.remove(&d.id) else {
            continue;
        };
        let card = Card {
            id: d.id,
            slug,
            name: d.name.clone(),
            summary: d.summary.clone(),
            tiers: d.tiers.iter().filter_map(|t| t.parse().ok()).collect(),
            place_types: d.place_types.clone(),
            key_stages: d.key_stages.clone(),
            needs: d.needs.clone(),
            locality,
            registration: d.registration.clone(),
            due_diligence,
            capacity,
            places_free: d.places_free,
        };
        let mut card = card;
        card.tiers.sort_unstable();
        card.place_types.sort();
        card.key_stages.sort();
        card.needs.sort();
        // Compact JSON escapes newlines, as the index's stored format needs.
        d.card = serde_json::to_string(&card).unwrap_or_default();
    }
    Ok(docs)
}
