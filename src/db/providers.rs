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
    for t in p.tiers {
        sqlx::query("INSERT INTO provider_tiers (provider_id, tier) VALUES ($1, $2)")
            .bind(id)
            .bind(t.number())
            .execute(&mut *conn)
            .await?;
    }
    for pt in p.place_types {
        sqlx::query(
            "INSERT INTO provider_place_types (provider_id, place_type_key) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(pt.key())
        .execute(&mut *conn)
        .await?;
    }
    for ks in p.key_stages {
        sqlx::query("INSERT INTO provider_key_stages (provider_id, key_stage_key) VALUES ($1, $2)")
            .bind(id)
            .bind(*ks)
            .execute(&mut *conn)
            .await?;
    }
    for n in p.needs {
        sqlx::query("INSERT INTO provider_needs (provider_id, need_key) VALUES ($1, $2)")
            .bind(id)
            .bind(*n)
            .execute(&mut *conn)
            .await?;
    }
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

const SELECT: &str = "SELECT p.id, p.slug, p.name, p.summary, p.description, p.website, p.email, p.phone, \
    p.registration, p.urn, p.ukprn, p.ofsted_grade, p.on_framework, p.framework_lot, p.dd_status, p.dd_reason, \
    p.capacity, p.places_free, p.places_free_updated_at, p.qualifications, p.transport, p.days_hours, \
    l.name AS locality_name, p.updated_at FROM providers p LEFT JOIN localities l ON l.id = p.locality_id";

/// Directory filters that SQL applies. Keyword matching happens in Rust (search-index).
#[derive(Debug, Default, Clone, Copy)]
pub struct ProviderFilter<'a> {
    pub tier: Option<i64>,
    pub place_type: Option<&'a str>,
    pub locality_key: Option<&'a str>,
}

const FILTER: &str = "WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM provider_tiers t WHERE t.provider_id = p.id AND t.tier = $1)) \
    AND ($2 IS NULL OR EXISTS (SELECT 1 FROM provider_place_types pt WHERE pt.provider_id = p.id AND pt.place_type_key = $2)) \
    AND ($3 IS NULL OR l.key = $3)";

#[derive(FromRow)]
struct TextRow {
    id: i64,
    name: String,
    summary: String,
    qualifications: String,
}

/// One page of the directory, by name, and how many providers match in all.
/// Without keywords the database counts and pages; with keywords the candidates' text is
/// matched here and only the page's providers are loaded.
pub async fn search(
    pool: &Pool,
    f: ProviderFilter<'_>,
    query: &search_index::Query,
    page: usize,
    per_page: usize,
) -> Result<(usize, Vec<ProviderView>), sqlx::Error> {
    let ids: Vec<i64>;
    let total: usize;
    if query.is_empty() {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM providers p LEFT JOIN localities l ON l.id = p.locality_id {FILTER}"
        ))
        .bind(f.tier)
        .bind(f.place_type)
        .bind(f.locality_key)
        .fetch_one(pool)
        .await?;
        total = n as usize;
        let offset = page_offset(total, page, per_page);
        ids = sqlx::query_scalar(&format!(
            "SELECT p.id FROM providers p LEFT JOIN localities l ON l.id = p.locality_id {FILTER} \
             ORDER BY p.name, p.id LIMIT $4 OFFSET $5"
        ))
        .bind(f.tier)
        .bind(f.place_type)
        .bind(f.locality_key)
        .bind(per_page as i64)
        .bind(offset as i64)
        .fetch_all(pool)
        .await?;
    } else {
        let rows: Vec<TextRow> = sqlx::query_as(&format!(
            "SELECT p.id, p.name, p.summary, p.qualifications FROM providers p \
             LEFT JOIN localities l ON l.id = p.locality_id {FILTER} ORDER BY p.name, p.id"
        ))
        .bind(f.tier)
        .bind(f.place_type)
        .bind(f.locality_key)
        .fetch_all(pool)
        .await?;
        let matching: Vec<i64> = rows
            .into_iter()
            .filter(|r| query.matches(&format!("{} {} {}", r.name, r.summary, r.qualifications)))
            .map(|r| r.id)
            .collect();
        total = matching.len();
        let offset = page_offset(total, page, per_page);
        ids = matching.into_iter().skip(offset).take(per_page).collect();
    }
    Ok((total, by_ids(pool, &ids).await?))
}

/// The offset of a 1-based page, clamped to the last page.
fn page_offset(total: usize, page: usize, per_page: usize) -> usize {
    let pages = total.div_ceil(per_page).max(1);
    (page.clamp(1, pages) - 1) * per_page
}

#[derive(FromRow)]
struct Tag {
    provider_id: i64,
    key: String,
}

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
    let tiers: Vec<(i64, i64)> = {
        let sql = format!("SELECT provider_id, tier FROM provider_tiers {filter} ORDER BY 2");
        let mut q = sqlx::query_as(&sql);
        for id in all_ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    };
    let fetch = |select: &'static str| {
        let sql = format!("{select} {filter} ORDER BY 2");
        async move {
            let mut q = sqlx::query_as::<_, Tag>(&sql);
            for id in all_ids {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await
        }
    };
    let place_types =
        fetch("SELECT provider_id, place_type_key AS key FROM provider_place_types").await?;
    let key_stages =
        fetch("SELECT provider_id, key_stage_key AS key FROM provider_key_stages").await?;
    let needs = fetch("SELECT provider_id, need_key AS key FROM provider_needs").await?;
    let pick = |tags: &[Tag], id: i64| -> Vec<String> {
        tags.iter()
            .filter(|t| t.provider_id == id)
            .map(|t| t.key.clone())
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            ProviderView {
                tiers: tiers.iter().filter(|t| t.0 == id).map(|t| t.1).collect(),
                place_types: pick(&place_types, id),
                key_stages: pick(&key_stages, id),
                needs: pick(&needs, id),
                row,
            }
        })
        .collect())
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
