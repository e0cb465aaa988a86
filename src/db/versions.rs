//! Versions of providers' public profiles and the approval queue.

use super::{Conn, Pool};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

/// The public profile fields that provider staff edit and the Progressions Team approves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFields {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub website: String,
    pub email: String,
    pub phone: String,
    pub qualifications: String,
    pub days_hours: String,
    pub transport: String,
    /// What the provider offers. Versions saved before offers were editable have none, and
    /// applying them leaves the offer as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
}

/// The searchable offer: tiers, place types, key stages, needs (keys) and capacity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub tiers: Vec<i64>,
    pub place_types: Vec<String>,
    pub key_stages: Vec<String>,
    pub needs: Vec<String>,
    pub capacity: i64,
    /// Where it teaches; the first is the main site. Coordinates are found when the change is
    /// made (kept from the old site for an unchanged postcode).
    /// None in versions saved before sites were editable: applying them leaves sites alone.
    #[serde(default)]
    pub sites: Option<Vec<Site>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, FromRow)]
pub struct Site {
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Coordinates are derived data: two sites are the same when they read the same.
impl PartialEq for Site {
    fn eq(&self, o: &Site) -> bool {
        (&self.name, &self.address, &self.postcode) == (&o.name, &o.address, &o.postcode)
    }
}
impl Eq for Site {}

impl Offer {
    /// (field key, label, shown value) for each part, for change lists.
    fn parts(&self) -> [(&'static str, &'static str, String); 6] {
        let tiers: Vec<String> = self.tiers.iter().map(|t| format!("Tier {t}")).collect();
        let sites: Vec<String> = self
            .sites
            .iter()
            .flatten()
            .map(|s| format!("{}: {}, {}", s.name, s.address, s.postcode))
            .collect();
        [
            ("tiers", "Tiers", tiers.join(", ")),
            ("place_types", "Types of place", self.place_types.join(", ")),
            ("key_stages", "Key stages", self.key_stages.join(", ")),
            ("needs", "Needs supported", self.needs.join(", ")),
            ("capacity", "Capacity", self.capacity.to_string()),
            ("sites", "Sites", sites.join("; ")),
        ]
    }
}

impl ProfileFields {
    /// (field key, label, old value, new value) for each field that differs.
    pub fn changes(
        &self,
        new: &ProfileFields,
    ) -> Vec<(&'static str, &'static str, String, String)> {
        let pairs = [
            ("name", "Name", &self.name, &new.name),
            (
                "summary",
                "Summary for families",
                &self.summary,
                &new.summary,
            ),
            (
                "description",
                "Description",
                &self.description,
                &new.description,
            ),
            ("website", "Website", &self.website, &new.website),
            ("email", "Email", &self.email, &new.email),
            ("phone", "Telephone", &self.phone, &new.phone),
            (
                "qualifications",
                "Qualifications",
                &self.qualifications,
                &new.qualifications,
            ),
            (
                "days_hours",
                "Days and hours",
                &self.days_hours,
                &new.days_hours,
            ),
            (
                "transport",
                "Getting there",
                &self.transport,
                &new.transport,
            ),
        ];
        let mut out: Vec<_> = pairs
            .into_iter()
            .filter(|(_, _, a, b)| a != b)
            .map(|(k, l, a, b)| (k, l, a.clone(), b.clone()))
            .collect();
        if let Some(new_offer) = &new.offer {
            let old = self.offer.clone().unwrap_or_default();
            for ((k, l, a), (_, _, b)) in old.parts().into_iter().zip(new_offer.parts()) {
                if k == "sites" && new_offer.sites.is_none() {
                    continue;
                }
                if a != b {
                    out.push((k, l, a, b));
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct VersionRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub fields: String,
    pub status: String,
    pub submitted_by_email: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: String,
}

impl VersionRow {
    pub fn profile(&self) -> ProfileFields {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }
}

const SELECT: &str = "SELECT v.id, v.provider_id, p.name AS provider_name, p.slug AS provider_slug, v.fields, v.status, \
    su.email AS submitted_by_email, v.submitted_at, du.email AS decided_by_email, v.decided_at, v.note \
    FROM provider_versions v JOIN providers p ON p.id = v.provider_id \
    LEFT JOIN users su ON su.id = v.submitted_by LEFT JOIN users du ON du.id = v.decided_by";

pub async fn current(pool: &Pool, provider_id: i64) -> Result<Option<ProfileFields>, sqlx::Error> {
    let row: Option<ProfileFields> = sqlx::query_as::<_, (String, String, String, Option<String>, Option<String>, Option<String>, String, String, String)>(
        "SELECT name, summary, description, website, email, phone, qualifications, days_hours, transport \
         FROM providers WHERE id = $1",
    )
    .bind(provider_id)
    .fetch_optional(pool)
    .await?
    .map(|r| ProfileFields {
        name: r.0,
        summary: r.1,
        description: r.2,
        website: r.3.unwrap_or_default(),
        email: r.4.unwrap_or_default(),
        phone: r.5.unwrap_or_default(),
        qualifications: r.6,
        days_hours: r.7,
        transport: r.8,
        offer: None,
    });
    let Some(mut fields) = row else {
        return Ok(None);
    };
    fields.offer = Some(offer(pool, provider_id).await?);
    Ok(Some(fields))
}

/// A provider's live offer, each list in a stable order.
pub async fn offer(pool: &Pool, provider_id: i64) -> Result<Offer, sqlx::Error> {
    let capacity: i64 = sqlx::query_scalar("SELECT capacity FROM providers WHERE id = $1")
        .bind(provider_id)
        .fetch_one(pool)
        .await?;
    let tiers: Vec<i64> =
        sqlx::query_scalar("SELECT tier FROM provider_tiers WHERE provider_id = $1 ORDER BY tier")
            .bind(provider_id)
            .fetch_all(pool)
            .await?;
    let list = |sql: &'static str| {
        sqlx::query_scalar::<_, String>(sql)
            .bind(provider_id)
            .fetch_all(pool)
    };
    let sites: Vec<Site> = sqlx::query_as(
        "SELECT name, address, postcode, latitude, longitude FROM provider_sites \
         WHERE provider_id = $1 ORDER BY is_main DESC, id",
    )
    .bind(provider_id)
    .fetch_all(pool)
    .await?;
    Ok(Offer {
        sites: Some(sites),
        tiers,
        place_types: list("SELECT place_type_key FROM provider_place_types WHERE provider_id = $1 ORDER BY place_type_key").await?,
        key_stages: list("SELECT key_stage_key FROM provider_key_stages WHERE provider_id = $1 ORDER BY key_stage_key").await?,
        needs: list("SELECT need_key FROM provider_needs WHERE provider_id = $1 ORDER BY need_key").await?,
        capacity,
    })
}

pub async fn pending_for(pool: &Pool, provider_id: i64) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE v.provider_id = $1 AND v.status = 'pending' ORDER BY v.id DESC LIMIT 1"
    ))
    .bind(provider_id)
    .fetch_optional(pool)
    .await
}

pub async fn get(pool: &Pool, id: i64) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE v.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The approval queue, oldest first.
pub async fn queue(pool: &Pool) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE v.status = 'pending' ORDER BY v.submitted_at, v.id"
    ))
    .fetch_all(pool)
    .await
}

/// Every version of one provider, newest first.
pub async fn history(pool: &Pool, provider_id: i64) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE v.provider_id = $1 ORDER BY v.id DESC"
    ))
    .bind(provider_id)
    .fetch_all(pool)
    .await
}

/// Records a submission; an earlier pending one is superseded. Call inside a transaction.
pub async fn submit(
    conn: &mut Conn,
    provider_id: i64,
    fields: &ProfileFields,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query("UPDATE provider_versions SET status = 'superseded' WHERE provider_id = $1 AND status = 'pending'")
        .bind(provider_id)
        .execute(&mut *conn)
        .await?;
    insert(conn, provider_id, fields, "pending", user_id, at).await
}

async fn insert(
    conn: &mut Conn,
    provider_id: i64,
    fields: &ProfileFields,
    status: &str,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let json = serde_json::to_string(fields).unwrap_or_default();
    sqlx::query_scalar(
        "INSERT INTO provider_versions (provider_id, fields, status, submitted_by, submitted_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(provider_id)
    .bind(json)
    .bind(status)
    .bind(user_id)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

/// Writes the fields to the live profile. Call inside a transaction.
pub async fn apply(
    conn: &mut Conn,
    provider_id: i64,
    f: &ProfileFields,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    sqlx::query(
        "UPDATE providers SET name = $1, summary = $2, description = $3, website = $4, email = $5, phone = $6, \
         qualifications = $7, days_hours = $8, transport = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(&f.name)
    .bind(&f.summary)
    .bind(&f.description)
    .bind(opt(&f.website))
    .bind(opt(&f.email))
    .bind(opt(&f.phone))
    .bind(&f.qualifications)
    .bind(&f.days_hours)
    .bind(&f.transport)
    .bind(at)
    .bind(provider_id)
    .execute(&mut *conn)
    .await?;
    if let Some(o) = &f.offer {
        apply_offer(conn, provider_id, o).await?;
    }
    Ok(())
}

/// Replaces the offer's link rows and capacity; places free never exceeds the new capacity.
async fn apply_offer(conn: &mut Conn, provider_id: i64, o: &Offer) -> Result<(), sqlx::Error> {
    for table in [
        "provider_tiers",
        "provider_place_types",
        "provider_key_stages",
        "provider_needs",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE provider_id = $1"))
            .bind(provider_id)
            .execute(&mut *conn)
            .await?;
    }
    let inserts: [(&str, Vec<String>); 3] = [
        (
            "INSERT INTO provider_place_types (provider_id, place_type_key) VALUES ($1, $2)",
            o.place_types.clone(),
        ),
        (
            "INSERT INTO provider_key_stages (provider_id, key_stage_key) VALUES ($1, $2)",
            o.key_stages.clone(),
        ),
        (
            "INSERT INTO provider_needs (provider_id, need_key) VALUES ($1, $2)",
            o.needs.clone(),
        ),
    ];
    for t in &o.tiers {
        sqlx::query("INSERT INTO provider_tiers (provider_id, tier) VALUES ($1, $2)")
            .bind(provider_id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    for (sql, values) in inserts {
        for v in values {
            sqlx::query(sql)
                .bind(provider_id)
                .bind(v)
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some(sites) = &o.sites {
        apply_sites(conn, provider_id, sites).await?;
    }
    sqlx::query(
        "UPDATE providers SET capacity = $1, places_free = CASE WHEN places_free > $1 THEN $1 ELSE places_free END WHERE id = $2",
    )
    .bind(o.capacity)
    .bind(provider_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Unchanged sites keep their rows (and ids); removed ones go; new ones are added.
async fn apply_sites(conn: &mut Conn, provider_id: i64, sites: &[Site]) -> Result<(), sqlx::Error> {
    let existing: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, name, address, postcode FROM provider_sites WHERE provider_id = $1",
    )
    .bind(provider_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut kept = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let same = existing.iter().find(|(id, n, a, p)| {
            !kept.contains(id) && (n, a, p) == (&site.name, &site.address, &site.postcode)
        });
        if let Some((id, ..)) = same {
            kept.push(*id);
            sqlx::query("UPDATE provider_sites SET is_main = $1 WHERE id = $2")
                .bind(i == 0)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            continue;
        }
        sqlx::query(
            "INSERT INTO provider_sites (provider_id, name, address, postcode, latitude, longitude, is_main) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(provider_id)
        .bind(&site.name)
        .bind(&site.address)
        .bind(&site.postcode)
        .bind(site.latitude)
        .bind(site.longitude)
        .bind(i == 0)
        .execute(&mut *conn)
        .await?;
    }
    for (id, ..) in existing.iter().filter(|(id, ..)| !kept.contains(id)) {
        sqlx::query("DELETE FROM provider_sites WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A Progressions edit: applied at once and kept as a version.
pub async fn edit_directly(
    conn: &mut Conn,
    provider_id: i64,
    f: &ProfileFields,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    apply(conn, provider_id, f, at).await?;
    let id = insert(conn, provider_id, f, "direct", user_id, at).await?;
    sqlx::query("UPDATE provider_versions SET decided_by = $1, decided_at = $2 WHERE id = $3")
        .bind(user_id)
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// Approves or rejects a pending version. Returns false if it was no longer pending.
pub async fn decide(
    conn: &mut Conn,
    version_id: i64,
    approve: bool,
    note: &str,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT provider_id, fields FROM provider_versions WHERE id = $1 AND status = 'pending'",
    )
    .bind(version_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((provider_id, json)) = row else {
        return Ok(false);
    };
    if approve {
        let fields: ProfileFields = serde_json::from_str(&json).unwrap_or_default();
        apply(conn, provider_id, &fields, at).await?;
    }
    sqlx::query("UPDATE provider_versions SET status = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(user_id)
        .bind(at)
        .bind(note)
        .bind(version_id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Sets places free (no approval needed) with its own date.
pub async fn set_places_free(
    conn: &mut Conn,
    provider_id: i64,
    places: i64,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE providers SET places_free = $1, places_free_updated_at = $2, updated_at = $2 WHERE id = $3 AND capacity >= $1",
    )
    .bind(places)
    .bind(at)
    .bind(provider_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}
