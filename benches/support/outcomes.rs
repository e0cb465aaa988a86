//! Outcomes at national scale: 100,000 placements that ended over a school year, with
//! destinations, plans and reintegration follow-ups; then the Taskforce report for the year
//! (every section) and filtered views.

use apdir::db::{self, outcomes::Filters};
use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use std::time::{Duration as Elapsed, Instant};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

const PLACE_TYPES: [&str; 5] = [
    "engagement",
    "vocational",
    "medical",
    "exclusion",
    "step_out",
];
const DESTINATIONS: [(&str, u32); 8] = [
    ("home_school", 22),
    ("new_mainstream", 8),
    ("special_school", 14),
    ("other_ap", 16),
    ("post16_eet", 22),
    ("neet", 10),
    ("left_area", 5),
    ("other", 3),
];

fn destination(rng: &mut impl Rng) -> &'static str {
    let mut roll = rng.gen_range(0..100);
    for (d, w) in DESTINATIONS {
        if roll < w {
            return d;
        }
        roll -= w;
    }
    "other"
}

fn median(v: &mut [Elapsed]) -> Elapsed {
    v.sort();
    v[v.len() / 2]
}

fn ms(x: Elapsed) -> String {
    format!("{:.1} ms", x.as_secs_f64() * 1000.0)
}

/// The lines to print.
pub async fn run(pool: &db::Pool, factor: f64) -> Vec<String> {
    let n = ((100_000.0 * factor).round() as usize).max(500);
    let (from, to) = (d(2025, 9, 1), d(2026, 8, 31));
    let providers: Vec<i64> = sqlx::query_scalar("SELECT id FROM providers ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("providers");
    let pupils: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, home_school_id FROM pupils ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("pupils");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(100);
    let now = db::now();
    let t = Instant::now();
    let mut tx = db::write(pool).await.expect("tx");
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM placements")
        .fetch_one(&mut *tx)
        .await
        .expect("max id");
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let (pupil, school) = pupils[i % pupils.len()];
            let start = from - Duration::days(rng.gen_range(0..120));
            let end = (start + Duration::weeks(rng.gen_range(6..40))).clamp(from, to);
            let excluded = rng.gen_range(0..10) == 0;
            (
                pupil,
                school,
                providers[rng.gen_range(0..providers.len())],
                rng.gen_range(1..=3i64),
                PLACE_TYPES[rng.gen_range(0..PLACE_TYPES.len())],
                excluded,
                start,
                end,
                destination(&mut rng),
                if rng.gen_bool(0.6) { "la" } else { "school" },
            )
        })
        .collect();
    for chunk in rows.chunks(300) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO placements (pupil_id, school_id, commissioner, route, provider_id, tier, place_type, reason, \
             exclusion_date, sixth_day, preferred_start, sessions_per_week, status, start_date, end_date, destination, \
             created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.9)
                .push_bind("request")
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(if r.5 {
                    "permanent_exclusion"
                } else {
                    "semh_needs"
                })
                .push_bind(r.5.then(|| r.6 - Duration::days(9)))
                .push_bind(r.5.then_some(r.6))
                .push_bind(r.6)
                .push_bind(10i64)
                .push_bind("ended")
                .push_bind(r.6)
                .push_bind(r.7)
                .push_bind(r.8)
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&mut *tx).await.expect("placements");
    }
    sqlx::query(
        "INSERT INTO placement_plans (placement_id, next_step, pattern, hours_per_week, part_time_reason, max_weeks, \
         dual_registered, updated_at) SELECT id, 'home_school', '1111111111', 25, '', 26, $1, $2 FROM placements WHERE id > $3",
    )
    .bind(false)
    .bind(now)
    .bind(first)
    .execute(&mut *tx)
    .await
    .expect("plans");
    let ended: Vec<(i64, NaiveDate, String)> = sqlx::query_as(
        "SELECT id, end_date, destination FROM placements WHERE id > $1 ORDER BY id",
    )
    .bind(first)
    .fetch_all(&mut *tx)
    .await
    .expect("ended");
    for (id, end, dest) in &ended {
        db::outcomes::schedule(&mut tx, *id, *end, dest)
            .await
            .expect("follow-ups");
    }
    // Most follow-ups already due are answered, most of them "still there".
    sqlx::query(
        "UPDATE placement_followups SET still_in_mainstream = (placement_id % 5 <> 0), answered_at = $1 \
         WHERE due_on <= $2 AND placement_id % 7 <> 0",
    )
    .bind(now)
    .bind(to)
    .execute(&mut *tx)
    .await
    .expect("answers");
    db::outcomes::record(&mut tx, first + 1, i64::MAX)
        .await
        .expect("report rows");
    tx.commit().await.expect("commit");
    // As the nightly job and bulk imports do after a day's changes.
    db::optimize(pool).await.expect("statistics");
    let seeded = t.elapsed();

    let today = d(2026, 9, 1);
    let year = Filters {
        from,
        to,
        ..Filters::default()
    };
    let mut full = Vec::new();
    let mut tables = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = apdir::outcomes::report::build(pool, &year, today)
            .await
            .expect("report");
        full.push(t.elapsed());
        tables = r.tables.len();
    }
    let locality: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM localities")
        .fetch_one(pool)
        .await
        .expect("locality");
    let views = [
        (
            "tier 3",
            Filters {
                tier: Some(3),
                ..year.clone()
            },
        ),
        (
            "one provider",
            Filters {
                provider: providers.get(providers.len() / 2).copied(),
                ..year.clone()
            },
        ),
        (
            "one locality",
            Filters {
                locality,
                ..year.clone()
            },
        ),
        (
            "place type medical, council-arranged",
            Filters {
                place_type: Some("medical".into()),
                commissioner: Some("la".into()),
                ..year.clone()
            },
        ),
        (
            "one term",
            Filters {
                from: d(2026, 1, 5),
                to: d(2026, 3, 27),
                ..Filters::default()
            },
        ),
    ];
    let mut out = vec![format!(
        "Outcomes: {n} ended placements seeded with plans and follow-ups in {:.1} s. The Taskforce report for the \
         year ({tables} sections, every figure): median {} over 3 runs, max {} (goal < 1 s).",
        seeded.as_secs_f64(),
        ms(median(&mut full.clone())),
        ms(*full.iter().max().expect("runs")),
    )];
    let mut worst = Elapsed::ZERO;
    let mut parts = Vec::new();
    for (name, f) in views {
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            apdir::outcomes::report::build(pool, &f, today)
                .await
                .expect("view");
            times.push(t.elapsed());
        }
        let m = median(&mut times);
        worst = worst.max(m);
        parts.push(format!("{name} {}", ms(m)));
    }
    out.push(format!(
        "Filtered views (median of 3 each): {}; slowest {} (goal < 300 ms).",
        parts.join(", "),
        ms(worst)
    ));
    out
}
