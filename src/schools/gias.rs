//! `apdir import schools FILE.csv`: the DfE's Get Information about Schools (GIAS) establishment
//! extract, as downloaded (Windows-1252 or UTF-8, its own column names). Only the council's LA
//! code is kept; schools are matched by URN, GIAS closures close them here, British National
//! Grid eastings and northings become latitude and longitude (OSTN15, through `lonlat_bng`),
//! and localities come from the URN-to-locality table an administrator uploads.

use crate::db::{self, Pool};
use crate::domain::{text, Postcode, Urn};
use crate::error::{AppError, AppResult};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The GIAS columns read, by their names in the extract.
const URN: &str = "URN";
const NAME: &str = "EstablishmentName";
const LA: &str = "LA (code)";
const NUMBER: &str = "EstablishmentNumber";
const TYPE: &str = "TypeOfEstablishment (name)";
const PHASE: &str = "PhaseOfEducation (name)";
const STATUS: &str = "EstablishmentStatus (name)";
const POSTCODE: &str = "Postcode";
const EASTING: &str = "Easting";
const NORTHING: &str = "Northing";
const REQUIRED: [&str; 9] = [
    URN, NAME, LA, TYPE, PHASE, STATUS, POSTCODE, EASTING, NORTHING,
];

/// A row left out, and why, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub urn: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: usize,
    /// Rows for other local authorities (not listed one by one: an extract for England has
    /// tens of thousands).
    pub other_la: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub closed: usize,
    /// Closed in GIAS and never in this directory: nothing to do.
    pub closed_unknown: usize,
    pub without_locality: usize,
    pub skipped: Vec<Skipped>,
}

/// A school as the extract describes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct GiasSchool {
    pub urn: String,
    pub name: String,
    pub la_code: String,
    pub establishment_number: String,
    pub type_name: String,
    pub phase: String,
    pub postcode: String,
    pub point: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    Keep(GiasSchool),
    Close(String),
}

/// The file as text: UTF-8 (with or without a byte-order mark) when it is valid UTF-8,
/// otherwise Windows-1252, which is what GIAS downloads are.
pub fn decode(data: &[u8]) -> Cow<'_, str> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(data)
                .0
        }
    }
}

/// Latitude and longitude (WGS84) of a British National Grid (OSGB36) point, through the
/// OSTN15 transformation (accurate to about 10 cm). None off the grid's coverage.
pub fn grid_to_wgs84(easting: f64, northing: f64) -> Option<(f64, f64)> {
    let (lon, lat) = lonlat_bng::convert_osgb36_to_ll(easting, northing).ok()?;
    (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
}

fn point(easting: &str, northing: &str) -> Result<Option<(f64, f64)>, String> {
    let (e, n) = (easting.trim(), northing.trim());
    if e.is_empty() && n.is_empty() {
        return Ok(None);
    }
    let parse = |v: &str, what: &str| -> Result<f64, String> {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{what} \"{v}\" is not a number of metres"))
    };
    let (e, n) = (parse(e, "Easting")?, parse(n, "Northing")?);
    if !(0.0..=700_000.0).contains(&e) || !(0.0..=1_300_000.0).contains(&n) {
        return Err(format!(
            "Easting {e} and northing {n} are outside the British National Grid"
        ));
    }
    grid_to_wgs84(e, n)
        .map(Some)
        .ok_or_else(|| format!("Easting {e} and northing {n} could not be converted"))
}

/// Reads and checks every row; nothing is written here.
fn parse(text: &str, la_code: &str, report: &mut Report) -> AppResult<Vec<(usize, Action)>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("The first line could not be read: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(AppError::BadRequest(format!(
            "This is not a GIAS establishment extract: it has no {} column{}",
            missing.join(", "),
            if missing.len() == 1 { "" } else { "s" }
        )));
    }
    let at = |name: &str| column(name).unwrap_or(usize::MAX);
    let (i_urn, i_name, i_la, i_type, i_phase, i_status, i_postcode, i_e, i_n) = (
        at(URN),
        at(NAME),
        at(LA),
        at(TYPE),
        at(PHASE),
        at(STATUS),
        at(POSTCODE),
        at(EASTING),
        at(NORTHING),
    );
    let i_number = column(NUMBER);
    let mut seen = HashSet::new();
    let mut actions = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        report.rows += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.skipped.push(Skipped {
                    line,
                    urn: String::new(),
                    reason: format!("The row could not be read: {e}"),
                });
                continue;
            }
        };
        let get = |i: usize| record.get(i).unwrap_or("").trim();
        if get(i_la) != la_code {
            report.other_la += 1;
            continue;
        }
        let mut skip = |reason: String| {
            report.skipped.push(Skipped {
                line,
                urn: get(i_urn).chars().take(20).collect(),
                reason,
            });
        };
        let urn = match Urn::parse(get(i_urn)) {
            Ok(u) => u,
            Err(e) => {
                skip(e.to_string());
                continue;
            }
        };
        if !seen.insert(urn.as_str().to_string()) {
            skip(format!(
                "URN {} is in the file more than once",
                urn.as_str()
            ));
            continue;
        }
        let status = get(i_status);
        match status {
            "Closed" => {
                actions.push((line, Action::Close(urn.as_str().to_string())));
                continue;
            }
            "Open" | "Open, but proposed to close" => {}
            "Proposed to open" => {
                skip("The school has not opened yet".into());
                continue;
            }
            other => {
                skip(format!(
                    "Unknown establishment status \"{}\"",
                    other.chars().take(40).collect::<String>()
                ));
                continue;
            }
        }
        let name = match text::single_line(get(i_name), "the school's name", 200) {
            Ok(n) => n,
            Err(e) => {
                skip(e.to_string());
                continue;
            }
        };
        let postcode = match Postcode::parse(get(i_postcode)) {
            Ok(p) => p,
            Err(e) => {
                skip(format!("Postcode: {e}"));
                continue;
            }
        };
        let point = match point(get(i_e), get(i_n)) {
            Ok(p) => p,
            Err(e) => {
                skip(e);
                continue;
            }
        };
        let label = |v: &str, what: &str| text::single_line(v, what, 120).ok();
        let (Some(type_name), Some(phase)) = (
            label(get(i_type), "type"),
            label(get(i_phase), "phase").or_else(|| Some("Not applicable".into())),
        ) else {
            skip("The type of establishment is missing".into());
            continue;
        };
        actions.push((
            line,
            Action::Keep(GiasSchool {
                urn: urn.as_str().to_string(),
                name,
                la_code: la_code.to_string(),
                establishment_number: i_number.map(get).unwrap_or("").to_string(),
                type_name,
                phase,
                postcode: postcode.as_str().to_string(),
                point,
            }),
        ));
    }
    Ok(actions)
}

/// Imports an extract in one transaction: every good row is written, every other row is in
/// the report with its reason. `progress` is told each row written (for a progress bar).
pub async fn import(
    pool: &Pool,
    data: &[u8],
    la_code: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> AppResult<Report> {
    let mut report = Report::default();
    let text = decode(data);
    let actions = parse(&text, la_code, &mut report)?;
    let existing: HashMap<String, db::schools::Existing> = db::schools::existing(pool)
        .await?
        .into_iter()
        .map(|s| (s.urn.clone(), s))
        .collect();
    let localities = db::schools::locality_table(pool).await?;
    let now = chrono::Utc::now();
    let mut tx = pool.begin().await?;
    for (_, action) in &actions {
        match action {
            Action::Close(urn) => match existing.get(urn) {
                Some(s) if s.status != "Closed" => {
                    db::schools::close(&mut *tx, s.id, now).await?;
                    report.closed += 1;
                }
                Some(_) => report.unchanged += 1,
                None => report.closed_unknown += 1,
            },
            Action::Keep(g) => {
                let old = existing.get(&g.urn);
                let locality = localities
                    .get(&g.urn)
                    .copied()
                    .or_else(|| old.and_then(|o| o.locality_id));
                if locality.is_none() {
                    report.without_locality += 1;
                }
                match old {
                    Some(o) if o.same_as(g, locality) => report.unchanged += 1,
                    _ => {
                        db::schools::upsert_gias(&mut *tx, g, locality, now).await?;
                        if old.is_some() {
                            report.updated += 1;
                        } else {
                            report.added += 1;
                        }
                    }
                }
            }
        }
        progress(1);
    }
    // One entry for the import (the command line has no signed-in actor).
    db::audit::record(
        &mut *tx,
        &db::audit::Entry {
            at: now,
            user_id: None,
            role: None,
            action: "schools.import".into(),
            entity: "schools".into(),
            entity_id: None,
            detail: format!(
                "GIAS extract: {} added, {} updated, {} closed, {} skipped",
                report.added,
                report.updated,
                report.closed,
                report.skipped.len()
            ),
            ip: None,
            request_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordnance Survey's own OSTN15 test points (TP09 London, TP15 Nottinghamshire, TP20 West
    /// Yorkshire): OSGB36 grid in, ETRS89 latitude and longitude out.
    #[test]
    fn grid_points_convert_within_a_metre_of_the_ordnance_survey_answers() {
        for (e, n, lat, lon) in [
            (530624.974, 178388.464, 51.48936565, -0.11992557),
            (454002.834, 340834.943, 52.96219109, -1.19747656),
            (422242.186, 433818.701, 53.8002152, -1.66379168),
        ] {
            let (la, lo) = grid_to_wgs84(e, n).expect("converts");
            let metres_north = (la - lat) * 111_320.0;
            let metres_east = (lo - lon) * 111_320.0 * lat.to_radians().cos();
            assert!(
                metres_north.hypot(metres_east) < 1.0,
                "{e},{n}: {la},{lo} is not {lat},{lon}"
            );
        }
    }

    #[test]
    fn windows_1252_and_utf8_both_decode() {
        assert_eq!(decode(b"St Mary\x92s"), "St Mary\u{2019}s");
        assert_eq!(decode("St Mary’s".as_bytes()), "St Mary’s");
        assert_eq!(decode(b"\xEF\xBB\xBFURN"), "URN");
    }

    #[test]
    fn coordinates_must_be_numbers_on_the_grid() {
        assert_eq!(point("", ""), Ok(None));
        assert!(point("abc", "1").is_err());
        assert!(point("-5", "100").is_err());
        assert!(point("435000", "9999999").is_err());
        assert!(point("435000", "387000").is_ok_and(|p| p.is_some()));
    }
}
