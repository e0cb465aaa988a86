//! Realistic, deterministic demo data for Sheffield (DOMAIN.md section 12): seven localities,
//! about 120 schools in real Sheffield postcode districts, 31 framework providers plus the
//! Inclusion Centre and a medical AP, pupils with valid UPNs for LA 373, and one account per role.
//! Everything is generated from a fixed seed, so two loads give the same data.

mod data;
mod forum;
mod history;
mod placements;

use crate::auth::password;
use crate::db::{self, Pool};
use crate::domain::{Email, Locality, PlaceType, Role, Tier, Upn};
use chrono::NaiveDate;
use data::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// The demo accounts: (email, name, role).
pub const ACCOUNTS: [(&str, &str, Role); 5] = [
    ("admin@demo.test", "Dana Adeyemi", Role::Admin),
    ("progressions@demo.test", "Priya Shah", Role::Progressions),
    ("taskforce@demo.test", "Tom Fletcher", Role::Taskforce),
    ("school@demo.test", "Sam Patel", Role::School),
    ("provider@demo.test", "Jo Walker", Role::Provider),
];

/// What was loaded, for the command's report.
#[derive(Debug, Default)]
pub struct Loaded {
    pub localities: usize,
    pub schools: usize,
    pub providers: usize,
    pub pupils: usize,
    pub placements: usize,
    pub accounts: usize,
    pub demo_school: String,
    pub demo_provider: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds data; the demo loads only into an empty database")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

/// Loads the demo into an empty database, in one transaction.
/// A quality visit with one open action, so the demo provider has a report to answer.
async fn demo_visit(
    conn: &mut db::Conn,
    provider_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let today = crate::framework::today();
    let visit = crate::db::quality::insert_visit(
        conn,
        &crate::db::quality::NewVisit {
            provider_id,
            kind: "annual_qa",
            visit_date: today - chrono::Duration::days(40),
            officer_id: None,
            scores: [4, 3, 3, 3],
            strengths: "Calm, purposeful workshops; staff know every pupil well.",
            improvements: "Baseline assessments in English and maths are not repeated, so progress is hard to see.",
            pupil_voice: "Pupils said they like learning a trade and feel treated as adults.",
        },
        now,
    )
    .await?;
    crate::db::quality::insert_action(
        conn,
        visit,
        provider_id,
        "Repeat English and maths baselines each half term and share them with schools",
        "Head of centre",
        today + chrono::Duration::days(30),
    )
    .await?;
    Ok(())
}

/// Sheffield's current framework round (3 years), made on first use.
async fn demo_round(conn: &mut db::Conn) -> Result<i64, sqlx::Error> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM framework_rounds WHERE name = $1")
            .bind(DEMO_ROUND)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let (Some(start), Some(end)) = (
        NaiveDate::from_ymd_opt(2025, 9, 1),
        NaiveDate::from_ymd_opt(2028, 8, 31),
    ) else {
        return Err(sqlx::Error::Protocol("demo round dates".into()));
    };
    crate::db::rounds::insert_round(conn, DEMO_ROUND, start, end)
        .await?
        .ok_or_else(|| sqlx::Error::Protocol("demo round".into()))
}

const DEMO_ROUND: &str = "Approved Provider Framework 2025 to 2028";

/// Due-diligence checks that give each demo provider its planned status (relative to today),
/// then the status derived from them, as the product does.
async fn demo_checks(
    conn: &mut db::Conn,
    provider_id: i64,
    p: &data::PlannedProvider,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    use crate::db::checks;
    use crate::domain::due_diligence::CheckResult;
    let today = crate::framework::today();
    let types = checks::types(&mut *conn).await?;
    let required: Vec<_> = types
        .iter()
        .filter(|t| t.required_for(p.registration))
        .collect();
    // Which check is due or out of date, from the planned reason.
    let reason = p.dd_reason.to_lowercase();
    let focus = ["insurance", "safeguarding", "health and safety", "vetting"]
        .iter()
        .find(|k| reason.contains(*k))
        .map(|k| match *k {
            "health and safety" => "health_safety",
            "vetting" => "staff_vetting",
            other => other,
        })
        .unwrap_or("insurance");
    for (n, t) in required.iter().enumerate() {
        if p.dd == "pending" && n >= 4 {
            break;
        }
        let mut on = today - chrono::Duration::days(60 + n as i64);
        let mut expires = t
            .expiry_from(on)
            .unwrap_or(today + chrono::Duration::days(300));
        if t.key == focus && p.dd == "expiring" {
            expires = today + chrono::Duration::days(18);
        }
        if t.key == focus && p.dd == "lapsed" {
            on = today - chrono::Duration::days(420);
            expires = t
                .expiry_from(on)
                .unwrap_or(today - chrono::Duration::days(50));
        }
        checks::record(
            conn,
            &checks::NewCheck {
                provider_id,
                check_type_id: t.id,
                checked_on: on,
                result: CheckResult::Passed,
                expires_on: Some(expires),
                officer_id: None,
                notes: "",
            },
            now,
        )
        .await?;
    }
    if p.dd == "suspended" {
        checks::suspend(
            conn,
            provider_id,
            today - chrono::Duration::days(20),
            "A safeguarding concern is being investigated.",
        )
        .await?;
    }
    checks::recompute(conn, provider_id, today, now).await?;
    Ok(())
}

/// A first notice for everyone, so the demo's inboxes and outbox are not empty: it shows how a
/// notification reaches the inbox and (as an `.eml` file) the mail folder.
pub async fn welcome(pool: &Pool, config: &crate::config::Config) -> Result<(), sqlx::Error> {
    let notice = crate::notify::Notice::new(
        crate::domain::NoticeKind::CouncilNotice,
        crate::db::notifications::Recipient::Everyone,
        "Welcome to the demonstration of the directory. Everything in it is made up: the \
         providers, schools and pupils are examples. Try searching for provision, and see your \
         notification settings to choose which notifications also come by email.",
        "/providers",
    )
    .map_err(|e| sqlx::Error::Protocol(e.0))?;
    let mut tx = crate::db::write(pool).await?;
    crate::notify::raise(&mut tx, config, &notice).await?;
    tx.commit().await
}

pub async fn load(pool: &Pool) -> Result<Loaded, DemoError> {
    if !db::is_empty(pool).await? {
        return Err(DemoError::NotEmpty);
    }
    // Hash before the transaction: hashing is slow and needs no lock.
    let mut hashes = Vec::new();
    for _ in ACCOUNTS {
        hashes.push(
            password::hash_async(DEMO_PASSWORD.to_string())
                .await
                .map_err(DemoError::Other)?,
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(373);
    let now = db::now();
    let calendar = db::calendar::load(pool).await?;
    let mut out = Loaded::default();
    let mut tx = crate::db::write(pool).await?;

    let mut locality_ids = Vec::new();
    for (i, key) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let name = format!("Locality {}", key.to_uppercase());
        let l = Locality::new(key, &name).map_err(|e| DemoError::Other(e.0))?;
        locality_ids.push(db::reference::insert_locality(&mut *tx, &l, i as i64).await?);
    }
    out.localities = locality_ids.len();

    // Schools: per locality, secondaries then primaries, spread over its districts.
    let schools = plan_schools(&mut rng);
    let mut school_rows: Vec<(i64, &PlannedSchool)> = Vec::new();
    for s in &schools {
        let id = db::schools::insert(
            &mut *tx,
            &db::schools::NewSchool {
                urn: &s.urn,
                name: &s.name,
                la_code: "373",
                establishment_number: &s.establishment.to_string(),
                type_name: s.type_name,
                phase: if s.secondary { "Secondary" } else { "Primary" },
                postcode: &s.postcode,
                latitude: s.lat,
                longitude: s.lon,
                locality_id: Some(locality_ids[s.locality]),
            },
            now,
        )
        .await?;
        school_rows.push((id, s));
    }
    out.schools = school_rows.len();
    let (demo_school_id, demo_school) = school_rows
        .iter()
        .find(|(_, s)| s.secondary)
        .map(|(id, s)| (*id, s.name.clone()))
        .ok_or_else(|| DemoError::Other("no secondary school planned".into()))?;
    out.demo_school = demo_school;

    // Providers.
    let mut provider_ids = Vec::new();
    for (i, p) in PROVIDERS.iter().enumerate() {
        let district = &DISTRICTS[p.district];
        let (lat, lon) = jitter(&mut rng, district);
        let main_postcode = postcode(&mut rng, district.code);
        let capacity = p.capacity;
        let places_free = if p.dd == "suspended" {
            0
        } else {
            rng.gen_range(0..=capacity / 3)
        };
        let slug = slugify(p.name);
        let email = format!("enquiries@{slug}.example.org");
        let website = format!("https://{slug}.example.org");
        let phone = format!("0114 496 0{:03}", 100 + i * 7);
        let tiers: Vec<Tier> = p
            .tiers
            .iter()
            .filter_map(|t| Tier::from_number(*t).ok())
            .collect();
        let place_types: Vec<PlaceType> = p
            .place_types
            .iter()
            .filter_map(|k| PlaceType::parse(k).ok())
            .collect();
        let main = place_types
            .first()
            .copied()
            .unwrap_or(PlaceType::Engagement);
        let summary = summary_for(p, main);
        let description = description_for(p, main);
        let mut needs: Vec<&str> = vec!["SEMH"];
        for n in ["ASD", "SLCN", "MLD", "SpLD", "OTH"] {
            if rng.gen_bool(0.45) {
                needs.push(n);
            }
        }
        if p.place_types.contains(&"medical") {
            needs.push("PD");
        }
        let site_name = format!("{} main site", p.name);
        let address = format!(
            "{} {}, Sheffield",
            rng.gen_range(2..240),
            STREETS[i % STREETS.len()]
        );
        let mut sites = vec![db::providers::NewSite {
            name: &site_name,
            address: &address,
            postcode: &main_postcode,
            latitude: lat,
            longitude: lon,
            is_main: true,
        }];
        let (second_name, second_address, second_postcode, second_lat, second_lon);
        if p.capacity >= 40 {
            let d2 = &DISTRICTS[(p.district + 5) % DISTRICTS.len()];
            (second_lat, second_lon) = jitter(&mut rng, d2);
            second_postcode = postcode(&mut rng, d2.code);
            second_name = format!("{} ({} site)", p.name, d2.areas[0]);
            second_address = format!(
                "{} {}, Sheffield",
                rng.gen_range(2..240),
                STREETS[(i + 7) % STREETS.len()]
            );
            sites.push(db::providers::NewSite {
                name: &second_name,
                address: &second_address,
                postcode: &second_postcode,
                latitude: second_lat,
                longitude: second_lon,
                is_main: false,
            });
        }
        let id = db::providers::insert(
            &mut tx,
            &db::providers::NewProvider {
                slug: &slug,
                name: p.name,
                summary: &summary,
                description: &description,
                website: Some(&website),
                email: Some(&email),
                phone: Some(&phone),
                registration: p.registration,
                urn: p.urn,
                ukprn: p.ukprn,
                ofsted_grade: p.ofsted,
                on_framework: p.lot.is_some(),
                framework_lot: p.lot,
                dd_status: p.dd,
                dd_reason: p.dd_reason,
                capacity,
                places_free,
                qualifications: p.qualifications,
                transport: TRANSPORT[i % TRANSPORT.len()],
                days_hours: p.hours,
                locality_id: Some(locality_ids[DISTRICTS[p.district].locality]),
                tiers: &tiers,
                place_types: &place_types,
                key_stages: p.key_stages,
                needs: &needs,
            },
            &sites,
            now,
        )
        .await?;
        demo_checks(&mut tx, id, p, now).await?;
        if let Some(lot) = p.lot {
            let round = demo_round(&mut tx).await?;
            crate::db::rounds::upsert_member(
                &mut tx,
                round,
                id,
                lot,
                NaiveDate::from_ymd_opt(2025, 8, 15),
                NaiveDate::from_ymd_opt(2028, 8, 31),
            )
            .await?;
        }
        provider_ids.push(id);
    }
    demo_visit(&mut tx, provider_ids[0], now).await?;
    out.providers = provider_ids.len();
    let demo_provider_id = provider_ids[0];
    out.demo_provider = PROVIDERS[0].name.to_string();

    let mut pupil_rows = Vec::new();
    // Pupils: 1 to 5 per school, 12 at the demo school, with valid UPNs for LA 373.
    let reference =
        NaiveDate::from_ymd_opt(2026, 9, 1).ok_or_else(|| DemoError::Other("date".into()))?;
    for (school_id, s) in &school_rows {
        let n = if *school_id == demo_school_id {
            12
        } else {
            rng.gen_range(1..=5)
        };
        let school = PupilSchool {
            id: *school_id,
            establishment: s.establishment,
            secondary: s.secondary,
        };
        for serial in 0..n {
            let pupil_id = insert_pupil(
                &mut tx,
                &mut rng,
                &school,
                serial as u16 + 1,
                reference,
                now,
            )
            .await?;
            pupil_rows.push(placements::Pupil {
                id: pupil_id,
                school_id: *school_id,
            });
            out.pupils += 1;
        }
    }

    let mut progressions = None;
    for ((email, name, role), hash) in ACCOUNTS.iter().zip(hashes) {
        let email = Email::parse(email).map_err(|e| DemoError::Other(e.0))?;
        let user_id = db::users::create(
            &mut *tx,
            &db::users::NewUser {
                email: &email,
                display_name: name,
                password_hash: &hash,
                role: *role,
                school_id: (*role == Role::School).then_some(demo_school_id),
                provider_id: (*role == Role::Provider).then_some(demo_provider_id),
            },
            now,
        )
        .await?;
        if *role == Role::Progressions {
            progressions = Some(user_id);
        }
        out.accounts += 1;
    }
    let planned: Vec<(i64, &PlannedProvider)> =
        provider_ids.iter().copied().zip(PROVIDERS.iter()).collect();
    out.placements = placements::seed(
        &mut tx,
        &calendar,
        crate::framework::today(),
        &pupil_rows,
        &planned,
        demo_school_id,
        (demo_provider_id, &PROVIDERS[0]),
        progressions,
    )
    .await?;
    // The demo school keeps its scripted twelve pupils; former pupils are other schools'.
    let former: Vec<PupilSchool> = school_rows
        .iter()
        .filter(|(id, _)| *id != demo_school_id)
        .map(|(id, s)| PupilSchool {
            id: *id,
            establishment: s.establishment,
            secondary: s.secondary,
        })
        .collect();
    out.placements += history::seed(
        &mut tx,
        &calendar,
        crate::framework::today(),
        &former,
        &planned,
    )
    .await?;
    out.pupils = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pupils")
        .fetch_one(&mut *tx)
        .await? as usize;
    placements::finish(&mut tx).await?;
    forum::seed(&mut tx, now).await?;
    db::audit::record(
        &mut *tx,
        &db::audit::Entry {
            at: now,
            user_id: None,
            role: None,
            action: "load_demo".into(),
            entity: "database".into(),
            entity_id: None,
            detail: format!(
                "{} schools, {} providers, {} pupils, {} placements, {} accounts",
                out.schools, out.providers, out.pupils, out.placements, out.accounts
            ),
            ip: None,
            request_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// A school as a pupil's home school: what a UPN and an age need.
struct PupilSchool {
    id: i64,
    establishment: u16,
    secondary: bool,
}

/// A pupil of `school`, of school age on `on`, with a valid UPN for LA 373 (`serial` is unique
/// within the school).
async fn insert_pupil(
    tx: &mut db::Tx<'_>,
    rng: &mut ChaCha8Rng,
    school: &PupilSchool,
    serial: u16,
    on: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, DemoError> {
    let age_years = if school.secondary {
        rng.gen_range(11..16)
    } else {
        rng.gen_range(5..11)
    };
    let dob = on - chrono::Duration::days(age_years * 365 + rng.gen_range(0..365));
    // The UPN's year part: the year of entry to school, about four years after birth.
    let year = u8::try_from((chrono::Datelike::year(&dob) + 4).rem_euclid(100)).unwrap_or(10);
    let upn = Upn::from_parts(373, school.establishment, year, serial)
        .map_err(|e| DemoError::Other(e.0))?;
    let forename = FORENAMES.choose(rng).copied().unwrap_or("Alex");
    let surname = SURNAMES.choose(rng).copied().unwrap_or("Smith");
    let preferred = rng.gen_bool(0.1).then_some("Jay");
    let sen = match rng.gen_range(0..10) {
        0..=4 => "none",
        5..=7 => "sen_support",
        _ => "ehc_plan",
    };
    let id = db::pupils::insert(
        &mut **tx,
        &db::pupils::NewPupil {
            upn: upn.as_str(),
            legal_forename: forename,
            legal_surname: surname,
            preferred_name: preferred,
            date_of_birth: dob,
            home_school_id: school.id,
            sen_status: sen,
            looked_after: rng.gen_bool(0.08),
            needs_summary: NEEDS_SUMMARIES.choose(rng).copied().unwrap_or(""),
        },
        now,
    )
    .await?;
    Ok(id)
}

struct PlannedSchool {
    urn: String,
    name: String,
    establishment: u16,
    type_name: &'static str,
    secondary: bool,
    postcode: String,
    lat: f64,
    lon: f64,
    locality: usize,
}

fn plan_schools(rng: &mut ChaCha8Rng) -> Vec<PlannedSchool> {
    let mut out: Vec<PlannedSchool> = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut urn = 107_101u32;
    let (mut primary_no, mut secondary_no) = (2001u16, 4001u16);
    for locality in 0..7 {
        let districts: Vec<&District> = DISTRICTS
            .iter()
            .filter(|d| d.locality == locality)
            .collect();
        // 17 or 18 schools a locality: 3 or 4 secondaries, the rest primary.
        let secondaries = if locality % 2 == 0 { 4 } else { 3 };
        let total = 17 + usize::from(locality < 1);
        for k in 0..total {
            let d = districts[k % districts.len()];
            let secondary = k < secondaries;
            let area = d.areas[(k / districts.len()) % d.areas.len()];
            let suffixes: &[&str] = if secondary {
                SECONDARY_SUFFIXES
            } else {
                PRIMARY_SUFFIXES
            };
            let name = suffixes
                .iter()
                .map(|s| format!("{area} {s}"))
                .find(|n| !names.contains(n))
                .unwrap_or_else(|| format!("{area} School {k}"));
            names.insert(name.clone());
            let (lat, lon) = jitter(rng, d);
            let type_name = TYPE_NAMES[rng.gen_range(0..TYPE_NAMES.len())];
            let establishment = if secondary {
                secondary_no += 1;
                secondary_no
            } else {
                primary_no += 3;
                primary_no
            };
            out.push(PlannedSchool {
                urn: urn.to_string(),
                name,
                establishment,
                type_name,
                secondary,
                postcode: postcode(rng, d.code),
                lat,
                lon,
                locality,
            });
            urn += 1 + rng.gen_range(0..9);
        }
    }
    out
}

fn jitter(rng: &mut ChaCha8Rng, d: &District) -> (f64, f64) {
    let lat = d.lat + rng.gen_range(-0.008..0.008);
    let lon = d.lon + rng.gen_range(-0.012..0.012);
    ((lat * 1e5).round() / 1e5, (lon * 1e5).round() / 1e5)
}

fn postcode(rng: &mut ChaCha8Rng, outward: &str) -> String {
    const UNIT: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let a = UNIT[rng.gen_range(0..UNIT.len())] as char;
    let b = UNIT[rng.gen_range(0..UNIT.len())] as char;
    format!("{outward} {}{a}{b}", rng.gen_range(1..10))
}

pub fn slugify(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

fn summary_for(p: &PlannedProvider, main: PlaceType) -> String {
    let who = match p.lot {
        Some("primary") => "primary-age children",
        Some("secondary") => "secondary-age young people",
        _ => "children and young people",
    };
    let what = match main {
        PlaceType::Medical => {
            "who are too unwell to go to school, working alongside their medical care"
        }
        PlaceType::Exclusion => {
            "who have been excluded from school, from the sixth day of exclusion"
        }
        PlaceType::Vocational => {
            "who learn best by doing, with practical courses that lead to qualifications"
        }
        PlaceType::InterventionAssessment => {
            "for a few weeks of extra help, to understand their needs and keep them in school"
        }
        PlaceType::Ks13FullTime | PlaceType::Ks4FullTime => {
            "full time, in small groups, while their needs are assessed and met"
        }
        PlaceType::StepOut => {
            "for a short time away from school after a serious incident, before going back"
        }
        PlaceType::Engagement => {
            "who are not ready for classroom learning yet, with activities that build confidence"
        }
        PlaceType::Outreach => {
            "in their own school, with our staff working alongside their teachers"
        }
    };
    format!("{} teaches {who} {what}.", p.name)
}

fn description_for(p: &PlannedProvider, main: PlaceType) -> String {
    format!(
        "We work closely with each pupil's school and family. Every pupil has a plan with clear goals, \
         which we review at least every half term. {} Typical length of a place: {}.",
        p.focus,
        main.typical_length().to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_deterministic_and_sheffield_shaped() {
        let a = plan_schools(&mut ChaCha8Rng::seed_from_u64(373));
        let b = plan_schools(&mut ChaCha8Rng::seed_from_u64(373));
        assert_eq!(a.len(), b.len());
        assert!(
            (115..=125).contains(&a.len()),
            "about 120 schools, got {}",
            a.len()
        );
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.urn == y.urn && x.name == y.name && x.postcode == y.postcode));
        for s in &a {
            crate::domain::Urn::parse(&s.urn).unwrap();
            crate::domain::Postcode::parse(&s.postcode).unwrap();
            assert!(s.postcode.starts_with('S'));
            assert!((53.2..53.6).contains(&s.lat) && (-1.7..-1.3).contains(&s.lon));
        }
        let names: std::collections::HashSet<_> = a.iter().map(|s| &s.name).collect();
        assert_eq!(names.len(), a.len(), "school names are unique");
        assert!(a.iter().filter(|s| s.secondary).count() >= 20);
    }

    #[test]
    fn providers_match_the_framework_numbers() {
        let secondary = PROVIDERS
            .iter()
            .filter(|p| matches!(p.lot, Some("secondary") | Some("both")))
            .count();
        let primary = PROVIDERS
            .iter()
            .filter(|p| p.lot == Some("primary"))
            .count();
        assert_eq!(secondary, 21);
        assert_eq!(primary, 10);
        assert!(PROVIDERS.len() >= 33);
        for p in PROVIDERS {
            for t in p.place_types {
                PlaceType::parse(t).unwrap();
            }
            if let Some(u) = p.urn {
                crate::domain::Urn::parse(u).unwrap();
            }
            if let Some(u) = p.ukprn {
                crate::domain::Ukprn::parse(u).unwrap();
            }
        }
        let slugs: std::collections::HashSet<_> =
            PROVIDERS.iter().map(|p| slugify(p.name)).collect();
        assert_eq!(slugs.len(), PROVIDERS.len());
    }
}
