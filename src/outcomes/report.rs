//! The Taskforce report: every figure is an aggregate, published under `stats` (counts from 1
//! to 4 as `c`, rates with their Wilson interval). Each section is a `Table`, so the page, the
//! printable board report and the CSV exports show the same cells.

use super::stats::{self, against, median, rate, Cell};
use crate::db::outcomes::{self as store, Filters, Summary, REINTEGRATED};
use crate::db::Pool;
use crate::domain::attendance::{Band, Rate as AttendanceRate};
use crate::domain::placement::Destination;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One section's figures as published.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Used in links and CSV file names.
    pub id: &'static str,
    pub title: &'static str,
    pub description: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A chart's bars: label, rate and interval (fractions), for the SVG.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProvidersPage {
    pub rows: Vec<Vec<String>>,
    pub note: String,
}

/// Providers a page lists at most; the rest are in the CSV.
pub const PAGE_PROVIDERS: usize = 50;

/// Which of the groups are the `limit` with the most placements ended (ties to the earlier).
fn largest(counts: &[(i64, i64)], limit: usize) -> Vec<bool> {
    let mut by_size: Vec<usize> = (0..counts.len()).collect();
    by_size.sort_by_key(|i| std::cmp::Reverse(counts[*i].0));
    let mut keep = vec![false; counts.len()];
    for i in by_size.into_iter().take(limit) {
        keep[i] = true;
    }
    keep
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tables: Vec<Table>,
    /// The city's reintegration rate under the filters (all tiers), for comparisons.
    pub city: Option<f64>,
    pub tier_bars: Vec<Bar>,
    pub provider_bars: Vec<Bar>,
    /// When there are more providers than a page can usefully show: the rows the page shows
    /// (the CSV keeps them all) and a note saying so.
    pub providers_page: Option<ProvidersPage>,
    pub trend: Vec<Bar>,
    pub localities: Vec<(String, Option<f64>, String)>,
}

impl Bar {
    /// A bar for a rate that is shown; none for a hidden one.
    fn of(label: &str, r: &stats::Rate) -> Option<Bar> {
        r.value.map(|(value, low, high)| Bar {
            label: label.to_string(),
            value,
            low,
            high,
        })
    }
}

fn interval(r: &stats::Rate) -> String {
    match (r.low, r.high) {
        (Some(l), Some(h)) => format!("{l}% to {h}%"),
        _ => String::new(),
    }
}

fn percent(r: &stats::Rate) -> String {
    match r.percent {
        Some(p) => format!("{p}%"),
        None => r.note.to_string(),
    }
}

/// Rates for groups whose counts add up to a published total: the ended and reintegrated
/// counts are protected against that total (see `stats::protect_grid`), and a group whose
/// count is hidden has its rate hidden too. Returns (ended, rate) per group.
fn group_rates(groups: &[(i64, i64)], total: (i64, i64)) -> Vec<(String, stats::Rate)> {
    let column = |f: fn(&(i64, i64)) -> i64| {
        let mut v: Vec<Vec<i64>> = groups.iter().map(|g| vec![f(g)]).collect();
        v.push(vec![f(&total)]);
        stats::protect_grid(&v, false, true)
    };
    let ns = column(|g| g.0);
    let ks = column(|g| g.1);
    groups
        .iter()
        .enumerate()
        .map(|(i, &(n, k))| {
            let r = if ns[i][0].is_suppressed() || ks[i][0].is_suppressed() {
                stats::hide(ns[i][0])
            } else {
                rate(k, n)
            };
            (ns[i][0].text(), r)
        })
        .collect()
}

/// Tier 1, 2, 3 and all tiers: the groups the tier tables show, each as (label, tier or
/// `None` for all).
const TIER_GROUPS: [(&str, Option<i64>); 4] = [
    ("Tier 1", Some(1)),
    ("Tier 2", Some(2)),
    ("Tier 3", Some(3)),
    ("All tiers", None),
];

fn in_group(tier: i64, group: Option<i64>) -> bool {
    group.is_none_or(|g| g == tier)
}

fn reintegrated(destination: &str) -> bool {
    REINTEGRATED.contains(&destination)
}

/// A tier group's (ended, reintegrated).
fn tier_counts(s: &Summary, group: Option<i64>) -> (i64, i64) {
    s.destinations
        .iter()
        .filter(|(tier, _, _)| in_group(*tier, group))
        .fold((0, 0), |(n, k), (_, d, c)| {
            (n + c, k + if reintegrated(d) { *c } else { 0 })
        })
}

/// Sustained at `weeks` in a tier group: of the reintegrated placements whose follow-up is
/// answered, (answered, still in mainstream); and how many follow-ups are due but unanswered.
fn sustained(s: &Summary, group: Option<i64>, weeks: i64, today: NaiveDate) -> ((i64, i64), i64) {
    let (mut yes, mut answered, mut waiting) = (0, 0, 0);
    for (tier, end, six, twelve, n) in &s.followups {
        if !in_group(*tier, group) {
            continue;
        }
        let answer = if weeks == 6 { six } else { twelve };
        let due = store::due_on(*end, weeks);
        match answer {
            Some(still) => {
                answered += n;
                yes += if *still { *n } else { 0 };
            }
            None if due <= today => waiting += n,
            None => {}
        }
    }
    ((answered, yes), waiting)
}

/// The sustained rates and waiting counts for the three tiers and all tiers, protected like
/// the other tier figures.
fn sustained_by_tier(s: &Summary, weeks: i64, today: NaiveDate) -> Vec<(stats::Rate, String)> {
    let all: Vec<((i64, i64), i64)> = TIER_GROUPS
        .iter()
        .map(|(_, g)| sustained(s, *g, weeks, today))
        .collect();
    let rates: Vec<(i64, i64)> = all.iter().map(|a| a.0).collect();
    let mut published: Vec<stats::Rate> = group_rates(&rates[..3], rates[3])
        .into_iter()
        .map(|p| p.1)
        .collect();
    published.push(rate(rates[3].1, rates[3].0));
    let waiting: Vec<Vec<i64>> = all.iter().map(|a| vec![a.1]).collect();
    let waiting = stats::protect_grid(&waiting, false, true);
    published
        .into_iter()
        .zip(waiting.into_iter().map(|w| w[0].text()))
        .collect()
}

pub async fn build(pool: &Pool, f: &Filters, today: NaiveDate) -> Result<Report, sqlx::Error> {
    // Every read at once: on a pool they run side by side, and the report waits for the
    // slowest rather than the sum.
    let (summary, terms, (attendance, placed), prior_during, sixth, supply, statuses, concerns) = tokio::try_join!(
        store::summary(pool, f),
        store::terms(pool, f.from, f.to),
        async {
            tokio::try_join!(
                store::attendance_by_tier(pool, f),
                store::placed_by_tier(pool, f)
            )
        },
        store::during_with_prior(pool, f),
        store::sixth_day(pool, f),
        store::sufficiency(pool),
        crate::db::providers::count_by_status(pool),
        store::open_concerns(pool),
    )?;
    let mut tables = Vec::new();
    let period = format!("placements that ended between {} and {}", f.from, f.to);

    // Reintegration by tier, with sustained reintegration.
    let mut tier_bars = Vec::new();
    let mut t = Table {
        id: "reintegration",
        title: "Reintegration by tier",
        description: format!(
            "Of {period}, the share that returned to their home school or moved to a new mainstream school, \
             with a 95% confidence interval. Sustained: of those whose 6- or 12-week follow-up has been answered, \
             the share still in mainstream. Tier 2 aims for a return to the home school; tier 3 for a new school \
             or a post-16 destination, so the tiers are shown separately."
        ),
        columns: [
            "Tier", "Ended", "Reintegrated", "Rate", "95% interval",
            "Still in mainstream at 6 weeks", "6-week follow-ups awaited",
            "Still in mainstream at 12 weeks", "12-week follow-ups awaited",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let ended_k: Vec<(i64, i64)> = TIER_GROUPS
        .iter()
        .map(|(_, g)| tier_counts(&summary, *g))
        .collect();
    let total = ended_k[3];
    let mut published = group_rates(&ended_k[..3], total);
    published.push((Cell::of(total.0).text(), rate(total.1, total.0)));
    let city = published[3].1.value.map(|v| v.0);
    let six = sustained_by_tier(&summary, 6, today);
    let twelve = sustained_by_tier(&summary, 12, today);
    for ((((label, group), (n_text, r)), (s6, w6)), (s12, w12)) in
        TIER_GROUPS.iter().zip(&published).zip(six).zip(twelve)
    {
        if group.is_some() {
            tier_bars.extend(Bar::of(label, r));
        }
        t.rows.push(vec![
            label.to_string(),
            n_text.clone(),
            r.k.clone(),
            percent(r),
            interval(r),
            percent(&s6),
            w6,
            percent(&s12),
            w12,
        ]);
    }
    tables.push(t);

    // Every destination, by tier, with secondary suppression.
    let dests = Destination::ALL;
    let mut t = Table {
        id: "destinations",
        title: "Destinations by tier",
        description: format!(
            "Where the pupils of {period} went. Special school and post-16 education, employment or training \
             are shown alongside reintegration, never counted in it."
        ),
        columns: std::iter::once("Tier".to_string())
            .chain(dests.iter().map(|d| d.label().to_string()))
            .chain(std::iter::once("Total".to_string()))
            .collect(),
        rows: Vec::new(),
    };
    // Tier rows and the all-tiers row, each with its total: protected both ways.
    let values: Vec<Vec<i64>> = TIER_GROUPS
        .iter()
        .zip(&ended_k)
        .map(|((_, group), (ended, _))| {
            let mut v: Vec<i64> = dests
                .iter()
                .map(|d| {
                    summary
                        .destinations
                        .iter()
                        .filter(|(tier, dest, _)| in_group(*tier, *group) && dest == d.key())
                        .map(|x| x.2)
                        .sum()
                })
                .collect();
            v.push(*ended);
            v
        })
        .collect();
    let cells = stats::protect_grid(&values, true, true);
    for ((label, _), row) in TIER_GROUPS.iter().zip(&cells) {
        let mut out = vec![label.to_string()];
        out.extend(row.iter().map(|c| c.text()));
        t.rows.push(out);
    }
    tables.push(t);

    // Each provider against the city.
    let by_provider: BTreeMap<(&str, i64), (i64, i64)> = summary
        .providers
        .iter()
        .map(|(id, name, _, n, k)| ((name.as_str(), *id), (*n, *k)))
        .collect();
    let mut provider_bars = Vec::new();
    let mut t = Table {
        id: "providers",
        title: "Reintegration by provider, against the city",
        description: format!(
            "Each provider's reintegration rate for {period}, with its interval. A provider is above or below \
             the city rate ({}) only when its whole interval is; a small provider's wide interval usually \
             means no clear difference.",
            city.map(|c| format!("{:.1}%", c * 100.0)).unwrap_or_else(|| "not published".into())
        ),
        columns: ["Provider", "Ended", "Reintegrated", "Rate", "95% interval", "Against the city rate"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    let provider_counts: Vec<(i64, i64)> = by_provider.values().copied().collect();
    // At national scale a page of every provider is neither readable nor quick: it shows the
    // providers with the most placements ended (in name order), the CSV has them all.
    let on_page = largest(&provider_counts, PAGE_PROVIDERS);
    let mut page_rows = Vec::new();
    for (((name, _), (n_text, r)), shown) in by_provider
        .keys()
        .zip(group_rates(&provider_counts, total))
        .zip(&on_page)
    {
        if *shown {
            provider_bars.extend(Bar::of(name, &r));
            page_rows.push(t.rows.len());
        }
        t.rows.push(vec![
            name.to_string(),
            n_text,
            r.k.clone(),
            percent(&r),
            interval(&r),
            against(r.value, city).to_string(),
        ]);
    }
    let providers_page = (page_rows.len() < t.rows.len()).then(|| ProvidersPage {
        rows: page_rows.iter().map(|i| t.rows[*i].clone()).collect(),
        note: format!(
            "Showing the {} providers with the most placements ended, of {}. The CSV has every provider; \
             a provider's name in the filters shows one.",
            page_rows.len(),
            t.rows.len()
        ),
    });
    tables.push(t);

    // Localities (of the provider).
    let mut by_locality: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, _, locality, n, k) in &summary.providers {
        let c = by_locality
            .entry(locality.clone().unwrap_or_else(|| "No locality".into()))
            .or_default();
        c.0 += n;
        c.1 += k;
    }
    let mut localities = Vec::new();
    let mut t = Table {
        id: "localities",
        title: "Reintegration by locality",
        description: format!("The reintegration rate of {period}, by the provider's locality."),
        columns: ["Locality", "Ended", "Reintegrated", "Rate", "95% interval"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    let locality_counts: Vec<(i64, i64)> = by_locality.values().copied().collect();
    for (name, (n_text, r)) in by_locality.keys().zip(group_rates(&locality_counts, total)) {
        localities.push((name.clone(), r.value.map(|v| v.0), percent(&r)));
        t.rows.push(vec![
            name.clone(),
            n_text,
            r.k.clone(),
            percent(&r),
            interval(&r),
        ]);
    }
    tables.push(t);

    // Trend by term.
    let mut trend = Vec::new();
    let mut t = Table {
        id: "trend",
        title: "Reintegration by term",
        description: "The reintegration rate of placements that ended in each term of the period."
            .into(),
        columns: ["Term", "Ended", "Reintegrated", "Rate", "95% interval"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    let term_counts: Vec<(i64, i64)> = terms
        .iter()
        .map(|(_, starts, ends)| {
            summary
                .days
                .iter()
                .filter(|(d, _, _)| d >= starts && d <= ends)
                .fold((0, 0), |(n, k), (_, dn, dk)| (n + dn, k + dk))
        })
        .collect();
    // Terms can add up to the period's total, so they are protected against it.
    for ((name, _, _), (n_text, r)) in terms.into_iter().zip(group_rates(&term_counts, total)) {
        trend.extend(Bar::of(&name, &r));
        t.rows
            .push(vec![name, n_text, r.k.clone(), percent(&r), interval(&r)]);
    }
    tables.push(t);

    // Attendance during placements, and before them.
    let mut t = Table {
        id: "attendance",
        title: "Attendance during placements",
        description: format!(
            "Sessions attended out of sessions possible at providers between {} and {} (the place type and \
             commissioning route filters do not apply: the daily counts do not hold them). Then, for {period} \
             whose school recorded attendance before the placement, attendance before and during. A rate about 1 to 4 \
             pupils is not published.",
            f.from, f.to
        ),
        columns: ["Group", "Placements", "Attendance", "Persistent or severe absence"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    // A tier's rate is about its pupils: with 1 to 4 of them it is not published.
    for (tier, attended, possible) in attendance {
        let r = AttendanceRate { attended, possible };
        let (placements, five_pupils) = placed
            .iter()
            .find(|(t, ..)| *t == tier)
            .map_or((0, false), |(_, n, five)| (*n, *five));
        let (count, rate, band) = if !five_pupils {
            ("c".to_string(), "c".to_string(), "c".to_string())
        } else {
            (
                placements.to_string(),
                r.percent()
                    .map(|p| format!("{p}%"))
                    .unwrap_or_else(|| "no sessions".into()),
                band_text(r.band()).to_string(),
            )
        };
        t.rows.push(vec![
            format!("Tier {tier}, during placements in the period"),
            count,
            rate,
            band,
        ]);
    }
    let (with_prior, attended, possible) = summary.prior;
    let placements = Cell::of(with_prior);
    let before = AttendanceRate { attended, possible };
    let (attended, possible) = prior_during;
    let during = AttendanceRate { attended, possible };
    let shown = |r: &AttendanceRate| {
        if placements.is_suppressed() {
            "c".to_string()
        } else {
            r.percent()
                .map(|p| format!("{p}%"))
                .unwrap_or_else(|| "none recorded".into())
        }
    };
    t.rows.push(vec![
        "Before placement, from school records (placements)".into(),
        placements.text(),
        shown(&before),
        String::new(),
    ]);
    t.rows.push(vec![
        "During the same placements".into(),
        placements.text(),
        shown(&during),
        String::new(),
    ]);
    tables.push(t);

    // Length of placements.
    let mut t = Table {
        id: "length",
        title: "Length of placements",
        description: format!("How long the {period} lasted, in weeks, and how many ran past their plan's maximum period."),
        columns: ["Tier", "Ended", "Median length (weeks)", "Past their maximum period"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    let lengths = |group: Option<i64>| {
        summary
            .lengths
            .iter()
            .filter(move |(tier, ..)| in_group(*tier, group))
    };
    let overs: Vec<Vec<i64>> = TIER_GROUPS
        .iter()
        .map(|(_, group)| vec![lengths(*group).map(|l| l.3).sum()])
        .collect();
    let over_cells = stats::protect_grid(&overs, false, true);
    for (((label, group), (n_text, _)), over) in TIER_GROUPS.iter().zip(&published).zip(&over_cells)
    {
        // Each placement's length, from the (length, how many) counts.
        let mut days: Vec<i64> = lengths(*group)
            .flat_map(|(_, d, n, _)| std::iter::repeat_n(*d, usize::try_from(*n).unwrap_or(0)))
            .collect();
        let med = if n_text == "c" {
            "c".into()
        } else {
            median(&mut days)
                .map(|d| format!("{:.1}", d / 7.0))
                .unwrap_or_default()
        };
        t.rows
            .push(vec![label.to_string(), n_text.clone(), med, over[0].text()]);
    }
    tables.push(t);

    // The sixth-day duty for exclusions.
    let (on_time, all) = sixth;
    let r = rate(on_time, all);
    tables.push(Table {
        id: "sixth_day",
        title: "Sixth-day provision for exclusions",
        description: format!(
            "Placements for excluded pupils whose sixth school day fell between {} and {}: how many started \
             full-time education by it.",
            f.from, f.to
        ),
        columns: ["Exclusion placements", "Started by the sixth day", "Rate", "95% interval"]
            .map(String::from)
            .to_vec(),
        rows: vec![vec![Cell::of(all).text(), r.k.clone(), percent(&r), interval(&r)]],
    });

    // Sufficiency now.
    let mut t = Table {
        id: "sufficiency",
        title: "Sufficiency today, by place type and locality",
        description: "Places at approved providers (a provider offering two place types counts under each), \
                      places filled by active placements, and requests waiting for a place, by the school's locality. \
                      Not limited by the period or filters."
            .into(),
        columns: ["Place type", "Locality", "Places", "Filled", "Waiting"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for (pt, loc, places, filled, waiting) in supply {
        t.rows.push(vec![
            pt,
            loc,
            places.to_string(),
            Cell::of(filled).text(),
            Cell::of(waiting).text(),
        ]);
    }
    tables.push(t);

    // Quality.
    let mut t = Table {
        id: "quality",
        title: "Quality: providers by due-diligence status, and open concerns",
        description: "Providers by their due-diligence status today, and concerns about providers not yet resolved. \
                      Not limited by the period or filters."
            .into(),
        columns: ["Measure", "Providers or concerns"].map(String::from).to_vec(),
        rows: Vec::new(),
    };
    for s in statuses {
        t.rows.push(vec![
            format!("Providers {}", s.dd_status),
            s.providers.to_string(),
        ]);
    }
    for (status, n) in concerns {
        t.rows
            .push(vec![format!("Concerns {status}"), n.to_string()]);
    }
    tables.push(t);

    Ok(Report {
        tables,
        city,
        tier_bars,
        provider_bars,
        providers_page,
        trend,
        localities,
    })
}

fn band_text(band: Band) -> &'static str {
    match band {
        Band::Severe => "Severe (below 50%)",
        Band::Persistent => "Persistent (below 90%)",
        Band::Good | Band::NoSessions => "",
    }
}

#[cfg(test)]
mod tests {
    use super::largest;

    #[test]
    fn a_page_keeps_the_providers_with_most_placements_in_their_order() {
        let counts = [(3, 1), (9, 2), (1, 0), (9, 5), (4, 4)];
        assert_eq!(largest(&counts, 3), [false, true, false, true, true]);
        // Ties go to the earlier provider; a limit above the count keeps every one.
        assert_eq!(largest(&[(2, 0), (2, 0)], 1), [true, false]);
        assert_eq!(largest(&counts, 50), [true; 5]);
    }
}
