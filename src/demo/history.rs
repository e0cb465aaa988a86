//! Demo history: placements that ended over the last two years, as the council's earlier
//! records would give them, so the Taskforce report has figures big enough to publish. Each
//! provider's destinations in each year follow its table in exact proportion (not by chance),
//! so the last twelve months show what Sheffield reports: the Inclusion Centre 4.8% back to
//! mainstream, Becton School 27% (and 20% to special school).

use super::data::PlannedProvider;
use super::placements::{at, destination_table, end_placement, reason_for};
use super::{insert_pupil, PupilSchool};
use crate::db::placements::{self as store, NewPlacement, NewPlan};
use crate::db::{self, Tx};
use crate::domain::calendar::Calendar;
use crate::domain::placement as rules;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// How many years of history, each the 365 days before the next (the latest ends today).
const YEARS: i64 = 2;

/// Placements a provider ended in a year: half its places at the two big providers, a
/// quarter elsewhere.
fn per_year(p: &PlannedProvider) -> usize {
    let places = usize::try_from(p.capacity).unwrap_or(0);
    if places >= 100 {
        places / 2
    } else {
        (places / 4).max(1)
    }
}

/// `n` destinations in the table's proportions, by largest remainder, shuffled.
fn quota(
    table: &[(rules::Destination, u32)],
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<rules::Destination> {
    let total: u32 = table.iter().map(|t| t.1).sum();
    if total == 0 {
        return Vec::new();
    }
    let shares: Vec<(usize, u64)> = table
        .iter()
        .map(|(_, w)| {
            let exact = n as u64 * u64::from(*w);
            (
                (exact / u64::from(total)) as usize,
                exact % u64::from(total),
            )
        })
        .collect();
    let mut counts: Vec<usize> = shares.iter().map(|s| s.0).collect();
    let mut by_remainder: Vec<usize> = (0..table.len()).collect();
    by_remainder.sort_by_key(|i| std::cmp::Reverse(shares[*i].1));
    for i in by_remainder
        .into_iter()
        .take(n.saturating_sub(counts.iter().sum()))
    {
        counts[i] += 1;
    }
    let mut out: Vec<rules::Destination> = table
        .iter()
        .zip(counts)
        .flat_map(|((d, _), c)| std::iter::repeat_n(*d, c))
        .collect();
    out.shuffle(rng);
    out
}

/// The weekday on or before `d`.
fn weekday_on_or_before(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d -= Duration::days(1);
    }
    d
}

/// Seeds the history; returns how many placements it ended.
pub async fn seed(
    tx: &mut Tx<'_>,
    cal: &Calendar,
    today: NaiveDate,
    schools: &[PupilSchool],
    providers: &[(i64, &PlannedProvider)],
) -> Result<usize, super::DemoError> {
    let mut rng = ChaCha8Rng::seed_from_u64(48);
    let secondary: Vec<&PupilSchool> = schools.iter().filter(|s| s.secondary).collect();
    let mut serials: HashMap<i64, u16> = HashMap::new();
    let now = db::now();
    let mut made = 0;
    for year in 0..YEARS {
        // This year's window: the 365 days up to three days before its end.
        let last = today - Duration::days(3 + 365 * year);
        let first = today - Duration::days(364 + 365 * year);
        for (provider_id, p) in providers.iter().filter(|p| p.1.dd != "pending") {
            let n = per_year(p);
            for dest in quota(
                destination_table(p, p.place_types.first().copied().unwrap_or("")),
                n,
                &mut rng,
            ) {
                let Some(school) = (if p.key_stages.iter().any(|k| *k == "KS3" || *k == "KS4") {
                    secondary.choose(&mut rng).copied()
                } else {
                    schools.choose(&mut rng)
                }) else {
                    continue;
                };
                let end = weekday_on_or_before(
                    first + Duration::days(rng.gen_range(0..=(last - first).num_days())),
                );
                let place_type = *p.place_types.choose(&mut rng).unwrap_or(&"engagement");
                let tier = *p.tiers.choose(&mut rng).unwrap_or(&2);
                let reason = reason_for(place_type, &mut rng);
                let weeks: i64 = if place_type == "step_out" {
                    6
                } else {
                    [12, 18, 26, 39][rng.gen_range(0..4)]
                };
                // Most end on time; about one in six runs past its maximum period.
                let lasted = if rng.gen_bool(0.16) {
                    weeks + rng.gen_range(2..12)
                } else {
                    weeks - rng.gen_range(0..weeks / 3 + 1)
                };
                let start = weekday_on_or_before(end - Duration::weeks(lasted));
                let exclusion_date = reason
                    .is_exclusion()
                    .then(|| weekday_on_or_before(start - Duration::days(rng.gen_range(6..12))));
                let sixth = exclusion_date.and_then(|d| rules::sixth_day(cal, d));
                // The sixth-day duty is mostly met: the start is that day or before it.
                let start = match sixth {
                    Some(s) if rng.gen_bool(0.85) => s.min(start),
                    _ => start,
                };
                let serial = serials.entry(school.id).or_insert(100);
                *serial += 1;
                // A pupil who has since left AP, of school age when the placement started.
                let pupil = insert_pupil(tx, &mut rng, school, *serial, start, now).await?;
                let id = store::insert(
                    tx,
                    &NewPlacement {
                        pupil_id: pupil,
                        school_id: school.id,
                        commissioner: reason.commissioner().key(),
                        route: "request",
                        provider_id: Some(*provider_id),
                        tier,
                        place_type,
                        reason: reason.key(),
                        exclusion_date,
                        sixth_day: sixth,
                        preferred_start: start,
                        sessions_per_week: 10,
                        max_travel_km: None,
                        travel_notes: "",
                        primary_need: Some("SEMH"),
                        needs: "From the council's earlier records.",
                        tried: "",
                        wanted_outcome: "",
                        status: "active",
                        start_date: Some(start),
                        created_by: None,
                    },
                    at(start),
                )
                .await?;
                store::save_plan(
                    tx,
                    id,
                    &NewPlan {
                        next_step: if tier == 3 {
                            "new_school"
                        } else {
                            "home_school"
                        },
                        pattern: "1111111111",
                        hours_per_week: 25.0,
                        part_time_reason: "",
                        max_weeks: weeks,
                        dual_registered: false,
                        objectives: &[],
                    },
                    None,
                    at(start),
                )
                .await?;
                store::event(
                    tx,
                    id,
                    None,
                    "active",
                    &format!(
                        "Started at {} (from the council's earlier records).",
                        p.name
                    ),
                    at(start),
                )
                .await?;
                end_placement(tx, id, end, dest).await?;
                made += 1;
            }
        }
    }
    Ok(made)
}
