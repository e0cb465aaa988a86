//! `apdir import providers FILE.csv`: load a council's current list of providers.
//!
//! The whole file is checked first; the report names every bad row and column. Nothing is
//! written unless every row is valid, or `--skip-invalid` writes the valid rows. Rows match
//! existing providers on URN, then UKPRN, then name and postcode, so importing the same file
//! again changes nothing.

use crate::db::{self, Pool};
use crate::directory::profile::{parse_profile, ProfileForm};
use crate::domain::{text, PlaceType, Postcode, Tier, Ukprn, Urn};
use std::collections::HashSet;

pub const COLUMNS: [&str; 20] = [
    "name",
    "summary",
    "description",
    "website",
    "email",
    "phone",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "locality",
    "tiers",
    "place_types",
    "key_stages",
    "needs",
    "registration",
    "urn",
    "ukprn",
    "capacity",
    "places_free",
];

/// One problem: the file's line number (the header is line 1), the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: usize,
    pub valid: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub problems: Vec<Problem>,
    /// Nothing was written (the file had problems and `--skip-invalid` was not given).
    pub written: bool,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    name: String,
    summary: String,
    description: String,
    website: String,
    email: String,
    phone: String,
    address: String,
    postcode: String,
    lat: f64,
    lon: f64,
    locality_id: Option<i64>,
    tiers: Vec<Tier>,
    place_types: Vec<PlaceType>,
    key_stages: Vec<String>,
    needs: Vec<String>,
    registration: String,
    urn: Option<String>,
    ukprn: Option<String>,
    capacity: i64,
    places_free: i64,
}

impl Row {
    /// What an import sets, as comparable text: equal means "nothing to change".
    fn fingerprint(&self) -> String {
        let mut tiers: Vec<i64> = self.tiers.iter().map(|t| t.number()).collect();
        tiers.sort();
        let mut pts: Vec<&str> = self.place_types.iter().map(|p| p.key()).collect();
        pts.sort();
        let mut ks = self.key_stages.clone();
        ks.sort();
        let mut needs = self.needs.clone();
        needs.sort();
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{:.5}|{:.5}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}|{}",
            self.name,
            self.summary,
            self.description,
            self.website,
            self.email,
            self.phone,
            self.address,
            self.postcode,
            self.lat,
            self.lon,
            self.locality_id,
            tiers,
            pts,
            ks,
            needs,
            self.registration,
            self.urn,
            self.ukprn,
            self.capacity,
            self.places_free
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file could not be read as CSV: {0}")]
    Csv(String),
    #[error("the header is missing columns: {0}. Expected: {1}")]
    Header(String, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn list(v: &str) -> Vec<String> {
    v.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A CSV reader over `data` and its header names (lower case, trimmed, without a byte-order
/// mark); refused when any of `required` is missing.
pub fn open_csv<'a>(
    data: &'a [u8],
    required: &[&str],
) -> Result<(csv::Reader<&'a [u8]>, Vec<String>), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(data);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Header(missing.join(", "), required.join(", ")));
    }
    Ok((reader, headers))
}

/// Checks and (when allowed) writes. `data` is the file's bytes.
pub async fn import_providers(
    pool: &Pool,
    data: &[u8],
    skip_invalid: bool,
) -> Result<Report, ImportError> {
    let (mut reader, headers) = open_csv(data, &COLUMNS)?;
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let localities = db::reference::localities(pool).await?;
    let key_stages = db::reference::key_stages(pool).await?;
    let needs = db::reference::needs(pool).await?;

    let mut report = Report::default();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        report.rows += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.problems.push(Problem {
                    line,
                    column: "-".into(),
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let get = |name: &str| record.get(col(name)).unwrap_or("").to_string();
        let mut problems = Vec::new();
        let mut bad = |column: &str, message: String| {
            problems.push(Problem {
                line,
                column: column.into(),
                message,
            })
        };

        let profile = parse_profile(&ProfileForm::from_parts(
            get("name"),
            get("summary"),
            get("description"),
            get("website"),
            get("email"),
            get("phone"),
        ));
        let profile = match profile {
            Ok(p) => Some(p),
            Err(errors) => {
                for e in errors {
                    bad(&e.field, e.message);
                }
                None
            }
        };
        let address = text::single_line(&get("address"), "the address", 200)
            .map_err(|e| bad("address", e.0))
            .ok();
        let postcode = Postcode::parse(&get("postcode"))
            .map_err(|e| bad("postcode", e.0))
            .ok();
        let coord = |name: &str,
                     range: std::ops::RangeInclusive<f64>,
                     bad: &mut dyn FnMut(&str, String)|
         -> Option<Option<f64>> {
            let v = get(name);
            if v.is_empty() {
                return Some(None);
            }
            match v.parse::<f64>() {
                Ok(x) if range.contains(&x) => Some(Some(x)),
                _ => {
                    bad(
                        name,
                        format!("{name} must be a number for a place in the UK"),
                    );
                    None
                }
            }
        };
        let lat = coord("latitude", 49.0..=61.0, &mut bad);
        let lon = coord("longitude", -9.0..=2.5, &mut bad);
        let position = match (lat, lon, &postcode) {
            (Some(Some(a)), Some(Some(b)), _) => Some((a, b)),
            (Some(None), Some(None), Some(p)) => match crate::geo::locate(p) {
                Some(x) => Some(x),
                None => {
                    bad(
                        "postcode",
                        format!(
                            "We do not know where {} is: give latitude and longitude",
                            p.as_str()
                        ),
                    );
                    None
                }
            },
            (Some(_), Some(_), _) => {
                bad(
                    "latitude",
                    "Give both latitude and longitude, or neither".into(),
                );
                None
            }
            _ => None,
        };
        let locality = get("locality");
        let locality_id = if locality.is_empty() {
            Some(None)
        } else {
            match localities.iter().find(|l| {
                l.key.eq_ignore_ascii_case(&locality) || l.name.eq_ignore_ascii_case(&locality)
            }) {
                Some(l) => Some(Some(l.id)),
                None => {
                    bad(
                        "locality",
                        format!("\"{}\" is not a locality", text_clip(&locality)),
                    );
                    None
                }
            }
        };
        let mut tiers = Vec::new();
        for t in list(&get("tiers")) {
            match Tier::parse(&t) {
                Ok(t) => tiers.push(t),
                Err(e) => bad("tiers", e.0),
            }
        }
        if tiers.is_empty() && get("tiers").is_empty() {
            bad("tiers", "Give at least one tier, like 2 or 2;3".into());
        }
        let mut place_types = Vec::new();
        for p in list(&get("place_types")) {
            match PlaceType::parse(&p) {
                Ok(p) => place_types.push(p),
                Err(e) => bad("place_types", e.0),
            }
        }
        let mut ks = Vec::new();
        for k in list(&get("key_stages")) {
            match key_stages.iter().find(|x| x.key.eq_ignore_ascii_case(&k)) {
                Some(x) => ks.push(x.key.clone()),
                None => bad(
                    "key_stages",
                    format!("\"{}\" is not a key stage (KS1 to KS5)", text_clip(&k)),
                ),
            }
        }
        let mut nd = Vec::new();
        for n in list(&get("needs")) {
            match needs.iter().find(|x| x.key.eq_ignore_ascii_case(&n)) {
                Some(x) => nd.push(x.key.clone()),
                None => bad(
                    "needs",
                    format!("\"{}\" is not a DfE primary need code", text_clip(&n)),
                ),
            }
        }
        let registration = get("registration");
        if !matches!(
            registration.as_str(),
            "registered_school" | "non_school" | "online"
        ) {
            bad(
                "registration",
                "Registration must be registered_school, non_school or online".into(),
            );
        }
        let urn = match get("urn") {
            v if v.is_empty() => {
                if registration == "registered_school" {
                    bad("urn", "A registered school needs its URN".into());
                }
                None
            }
            v => Urn::parse(&v)
                .map(|u| u.as_str().to_string())
                .map_err(|e| bad("urn", e.0))
                .ok(),
        };
        let ukprn = match get("ukprn") {
            v if v.is_empty() => None,
            v => Ukprn::parse(&v)
                .map(|u| u.as_str().to_string())
                .map_err(|e| bad("ukprn", e.0))
                .ok(),
        };
        let capacity = get("capacity")
            .parse::<i64>()
            .ok()
            .filter(|c| (0..=10_000).contains(c));
        if capacity.is_none() {
            bad(
                "capacity",
                "Capacity must be a whole number of places from 0 to 10000".into(),
            );
        }
        let places_free = get("places_free")
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0 && capacity.is_none_or(|c| *p <= c));
        if places_free.is_none() {
            bad(
                "places_free",
                "Places free must be a whole number from 0 to the capacity".into(),
            );
        }
        if problems.is_empty() {
            let (
                Some(p),
                Some(address),
                Some(postcode),
                Some((lat, lon)),
                Some(locality_id),
                Some(capacity),
                Some(places_free),
            ) = (
                profile,
                address,
                postcode,
                position,
                locality_id,
                capacity,
                places_free,
            )
            else {
                continue;
            };
            let key = urn
                .clone()
                .or(ukprn.clone())
                .unwrap_or_else(|| format!("{}|{}", p.name.to_lowercase(), postcode.as_str()));
            if !seen.insert(key) {
                report.problems.push(Problem {
                    line,
                    column: "name".into(),
                    message: "This provider is already in the file on an earlier line".into(),
                });
                continue;
            }
            rows.push(Row {
                line,
                name: p.name,
                summary: p.summary,
                description: p.description,
                website: p.website,
                email: p.email,
                phone: p.phone,
                address,
                postcode: postcode.as_str().to_string(),
                lat,
                lon,
                locality_id,
                tiers,
                place_types,
                key_stages: ks,
                needs: nd,
                registration,
                urn,
                ukprn,
                capacity,
                places_free,
            });
        } else {
            report.problems.extend(problems);
        }
    }
    report.valid = rows.len();
    if !report.problems.is_empty() && !skip_invalid {
        return Ok(report);
    }
    write(pool, &rows, &mut report).await?;
    report.written = true;
    Ok(report)
}

fn text_clip(s: &str) -> String {
    s.chars().take(30).collect()
}

async fn write(pool: &Pool, rows: &[Row], report: &mut Report) -> Result<(), sqlx::Error> {
    let now = db::now();
    let mut tx = crate::db::write(pool).await?;
    for r in rows {
        let existing: Option<i64> = match (&r.urn, &r.ukprn) {
            (Some(urn), _) => {
                sqlx::query_scalar("SELECT id FROM providers WHERE urn = $1")
                    .bind(urn)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            (None, Some(ukprn)) => {
                sqlx::query_scalar("SELECT id FROM providers WHERE ukprn = $1")
                    .bind(ukprn)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            _ => None,
        };
        let existing = match existing {
            Some(id) => Some(id),
            None => sqlx::query_scalar(
                "SELECT p.id FROM providers p JOIN provider_sites s ON s.provider_id = p.id AND s.is_main = $1 \
                 WHERE LOWER(p.name) = LOWER($2) AND s.postcode = $3",
            )
            .bind(true)
            .bind(&r.name)
            .bind(&r.postcode)
            .fetch_optional(&mut *tx)
            .await?,
        };
        let tiers: Vec<Tier> = r.tiers.clone();
        let key_stages: Vec<&str> = r.key_stages.iter().map(String::as_str).collect();
        let needs: Vec<&str> = r.needs.iter().map(String::as_str).collect();
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        match existing {
            Some(id) => {
                if current_fingerprint(&mut tx, id).await? == r.fingerprint() {
                    report.unchanged += 1;
                    continue;
                }
                sqlx::query(
                    "UPDATE providers SET name = $1, summary = $2, description = $3, website = $4, email = $5, phone = $6, \
                     registration = $7, urn = $8, ukprn = $9, capacity = $10, places_free = $11, locality_id = $12, \
                     updated_at = $13 WHERE id = $14",
                )
                .bind(&r.name)
                .bind(&r.summary)
                .bind(&r.description)
                .bind(opt(&r.website))
                .bind(opt(&r.email))
                .bind(opt(&r.phone))
                .bind(&r.registration)
                .bind(&r.urn)
                .bind(&r.ukprn)
                .bind(r.capacity)
                .bind(r.places_free)
                .bind(r.locality_id)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                for t in [
                    "provider_tiers",
                    "provider_place_types",
                    "provider_key_stages",
                    "provider_needs",
                ] {
                    sqlx::query(&format!("DELETE FROM {t} WHERE provider_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                db::providers::insert_tags(
                    &mut tx,
                    id,
                    &tiers,
                    &r.place_types,
                    &key_stages,
                    &needs,
                )
                .await?;
                sqlx::query(
                    "UPDATE provider_sites SET address = $1, postcode = $2, latitude = $3, longitude = $4 \
                     WHERE provider_id = $5 AND is_main = $6",
                )
                .bind(&r.address)
                .bind(&r.postcode)
                .bind(r.lat)
                .bind(r.lon)
                .bind(id)
                .bind(true)
                .execute(&mut *tx)
                .await?;
                db::audit::record(&mut *tx, &import_entry("update", id, r.line)).await?;
                report.updated += 1;
            }
            None => {
                let slug = unique_slug(&mut tx, &r.name).await?;
                let site_name = format!("{} main site", r.name);
                let id = db::providers::insert(
                    &mut tx,
                    &db::providers::NewProvider {
                        slug: &slug,
                        name: &r.name,
                        summary: &r.summary,
                        description: &r.description,
                        website: (!r.website.is_empty()).then_some(r.website.as_str()),
                        email: (!r.email.is_empty()).then_some(r.email.as_str()),
                        phone: (!r.phone.is_empty()).then_some(r.phone.as_str()),
                        registration: &r.registration,
                        urn: r.urn.as_deref(),
                        ukprn: r.ukprn.as_deref(),
                        ofsted_grade: None,
                        on_framework: false,
                        framework_lot: None,
                        dd_status: "pending",
                        dd_reason: "Due diligence has not started.",
                        capacity: r.capacity,
                        places_free: r.places_free,
                        qualifications: "",
                        transport: "",
                        days_hours: "",
                        locality_id: r.locality_id,
                        tiers: &tiers,
                        place_types: &r.place_types,
                        key_stages: &key_stages,
                        needs: &needs,
                    },
                    &[db::providers::NewSite {
                        name: &site_name,
                        address: &r.address,
                        postcode: &r.postcode,
                        latitude: r.lat,
                        longitude: r.lon,
                        is_main: true,
                    }],
                    now,
                )
                .await?;
                db::audit::record(&mut *tx, &import_entry("create", id, r.line)).await?;
                report.inserted += 1;
            }
        }
    }
    tx.commit().await
}

fn import_entry(action: &str, id: i64, line: usize) -> db::audit::Entry {
    db::audit::Entry {
        at: db::now(),
        user_id: None,
        role: None,
        action: action.into(),
        entity: "provider".into(),
        entity_id: Some(id.to_string()),
        detail: format!("apdir import providers, line {line}"),
        ip: None,
        request_id: None,
    }
}

async fn unique_slug(tx: &mut db::Tx<'_>, name: &str) -> Result<String, sqlx::Error> {
    let base = crate::demo::slugify(name);
    let base = if base.is_empty() {
        "provider".to_string()
    } else {
        base
    };
    let mut slug = base.clone();
    let mut n = 2;
    loop {
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM providers WHERE slug = $1")
            .bind(&slug)
            .fetch_one(&mut **tx)
            .await?;
        if taken == 0 {
            return Ok(slug);
        }
        slug = format!("{base}-{n}");
        n += 1;
    }
}

/// The stored provider's fingerprint, comparable with an imported row's.
async fn current_fingerprint(tx: &mut db::Tx<'_>, id: i64) -> Result<String, sqlx::Error> {
    type P = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
        Option<i64>,
    );
    let p: P = sqlx::query_as(
        "SELECT name, summary, description, website, email, phone, registration, urn, ukprn, capacity, places_free, locality_id \
         FROM providers WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let site: Option<(String, String, Option<f64>, Option<f64>)> = sqlx::query_as(
        "SELECT address, postcode, latitude, longitude FROM provider_sites WHERE provider_id = $1 AND is_main = $2",
    )
    .bind(id)
    .bind(true)
    .fetch_optional(&mut **tx)
    .await?;
    let tiers: Vec<i64> =
        sqlx::query_scalar("SELECT tier FROM provider_tiers WHERE provider_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let pts: Vec<String> = sqlx::query_scalar(
        "SELECT place_type_key FROM provider_place_types WHERE provider_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let key_stages: Vec<String> =
        sqlx::query_scalar("SELECT key_stage_key FROM provider_key_stages WHERE provider_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let needs: Vec<String> =
        sqlx::query_scalar("SELECT need_key FROM provider_needs WHERE provider_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let (address, postcode, lat, lon) = site.unwrap_or_default();
    // The stored provider as a row, so both sides use the one `Row::fingerprint`.
    let stored = Row {
        line: 0,
        name: p.0,
        summary: p.1,
        description: p.2,
        website: p.3.unwrap_or_default(),
        email: p.4.unwrap_or_default(),
        phone: p.5.unwrap_or_default(),
        address,
        postcode,
        lat: lat.unwrap_or_default(),
        lon: lon.unwrap_or_default(),
        locality_id: p.11,
        tiers: tiers
            .into_iter()
            .filter_map(|t| Tier::from_number(t).ok())
            .collect(),
        place_types: pts
            .iter()
            .filter_map(|k| PlaceType::parse(k).ok())
            .collect(),
        key_stages,
        needs,
        registration: p.6,
        urn: p.7,
        ukprn: p.8,
        capacity: p.9,
        places_free: p.10,
    };
    Ok(stored.fingerprint())
}
