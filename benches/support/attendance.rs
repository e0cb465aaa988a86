//! Attendance at national scale: a school year of marks for 50,000 placements (about 19
//! million), imported in bulk and compared with a raw insert of the same rows into a table
//! with no keys or checks; then registers saved by 50 providers at once, a provider's term
//! summary and the city's rate by locality for the year.

use apdir::attendance::save::{self, Line};
use apdir::db::{self, attendance as store, pupils::PupilScope};
use apdir::domain::attendance::{Mark, Session};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

const YEAR_START: (i32, u32, u32) = (2025, 9, 3);
const YEAR_END: (i32, u32, u32) = (2026, 7, 22);
/// Providers saving registers at once, and pupils on each register.
const CONCURRENT: usize = 50;
const PER_REGISTER: usize = 30;
/// Rows per transaction in the bulk import and its raw comparison.
const TX_ROWS: usize = 1_000_000;

fn d(t: (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(t.0, t.1, t.2).expect("date")
}

fn pct(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[((v.len() * p) / 100).min(v.len() - 1)]
}

fn ms(x: Duration) -> String {
    format!("{:.1} ms", x.as_secs_f64() * 1000.0)
}

/// Placements: `n` for the year spread over every provider but the first 50, and 30 for each
/// of the first 50 (whose registers are saved in the timing). Returns (year placements with
/// their provider, the 50 providers' placement ids).
async fn placements(pool: &db::Pool, n: usize) -> (Vec<(i64, i64)>, Vec<(i64, Vec<i64>)>) {
    let providers: Vec<i64> = sqlx::query_scalar("SELECT id FROM providers ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("providers");
    let pupils: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, home_school_id FROM pupils ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("pupils");
    let (test_providers, year_providers) = providers.split_at(CONCURRENT.min(providers.len() / 2));
    let now = db::now();
    let start = d(YEAR_START);
    let mut rows: Vec<(i64, i64, i64)> = Vec::new();
    for (i, (pupil, school)) in pupils.iter().enumerate().take(n) {
        rows.push((*pupil, *school, year_providers[i % year_providers.len()]));
    }
    let mut k = n;
    for p in test_providers {
        for _ in 0..PER_REGISTER {
            let (pupil, school) = pupils[k % pupils.len()];
            rows.push((pupil, school, *p));
            k += 1;
        }
    }
    let mut tx = db::write(pool).await.expect("tx");
    for chunk in rows.chunks(300) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO placements (pupil_id, school_id, commissioner, route, provider_id, tier, place_type, reason, \
             preferred_start, sessions_per_week, status, start_date, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind("la")
                .push_bind("request")
                .push_bind(r.2)
                .push_bind(2i64)
                .push_bind("engagement")
                .push_bind("semh_needs")
                .push_bind(start)
                .push_bind(10i64)
                .push_bind("active")
                .push_bind(start)
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&mut *tx).await.expect("placements");
    }
    sqlx::query(
        "INSERT INTO placement_plans (placement_id, next_step, pattern, hours_per_week, part_time_reason, max_weeks, \
         dual_registered, updated_at) SELECT id, 'home_school', '1111111111', 25, '', 39, $1, $2 FROM placements",
    )
    .bind(false)
    .bind(now)
    .execute(&mut *tx)
    .await
    .expect("plans");
    tx.commit().await.expect("commit");
    let all: Vec<(i64, i64)> = sqlx::query_as("SELECT id, provider_id FROM placements ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("placements");
    let year: Vec<(i64, i64)> = all.iter().copied().take(n).collect();
    let tests = test_providers
        .iter()
        .map(|p| (*p, all.iter().filter(|x| x.1 == *p).map(|x| x.0).collect()))
        .collect();
    (year, tests)
}

/// The lines to print.
pub async fn run(pool: &db::Pool, config: &apdir::config::Config, factor: f64) -> Vec<String> {
    let n = ((50_000.0 * factor).round() as usize).max(200);
    let cal = db::calendar::load(pool).await.expect("calendar");
    let days: Vec<NaiveDate> = {
        let mut v = Vec::new();
        let mut x = d(YEAR_START);
        while x <= d(YEAR_END) {
            if cal.is_school_day(x) {
                v.push(x);
            }
            x += chrono::Duration::days(1);
        }
        v
    };
    let (year, tests) = placements(pool, n).await;
    sqlx::query(
        "CREATE TABLE raw_marks (placement_id BIGINT, on_date DATE, session TEXT, provider_id BIGINT, code TEXT, \
         note TEXT, recorded_by BIGINT, recorded_at TIMESTAMP)",
    )
    .execute(pool)
    .await
    .expect("raw table");
    // The year's rows as a school's or provider's export would hold them, day by day; both
    // timings write the same rows in the same 1,000,000-row transactions.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
    let mut rows = Vec::with_capacity(days.len() * year.len() * 2);
    for day in &days {
        for (placement, provider) in &year {
            for s in ["am", "pm"] {
                let code = match rng.gen_range(0..100) {
                    0..=87 => "/",
                    88..=89 => "L",
                    90..=94 => "I",
                    95..=96 => "M",
                    97 => "O",
                    _ => "N",
                };
                rows.push(store::ImportMark {
                    placement_id: *placement,
                    tier: 2,
                    on_date: *day,
                    session: s,
                    provider_id: *provider,
                    code,
                });
            }
        }
    }
    let total = rows.len();
    let at = db::now();
    let t = Instant::now();
    for chunk in rows.chunks(TX_ROWS) {
        let mut tx = db::write(pool).await.expect("tx");
        for stmt in chunk.chunks(store::IMPORT_BATCH) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO raw_marks (placement_id, on_date, session, provider_id, code, note, recorded_by, recorded_at) ",
            );
            q.push_values(stmt, |mut b, m| {
                b.push_bind(m.placement_id)
                    .push_bind(m.on_date)
                    .push_bind(m.session)
                    .push_bind(m.provider_id)
                    .push_bind(m.code)
                    .push_bind("")
                    .push_bind(None::<i64>)
                    .push_bind(at);
            });
            q.build().execute(&mut *tx).await.expect("raw");
        }
        tx.commit().await.expect("commit");
    }
    let raw_time = t.elapsed();
    // The import's time includes putting the rows in its order.
    let t = Instant::now();
    store::sort_for_import(&mut rows);
    for chunk in rows.chunks_mut(TX_ROWS) {
        let mut tx = db::write(pool).await.expect("tx");
        store::import_marks(&mut tx, chunk, at)
            .await
            .expect("import");
        tx.commit().await.expect("commit");
    }
    let import_time = t.elapsed();
    drop(rows);
    sqlx::query("DROP TABLE raw_marks")
        .execute(pool)
        .await
        .expect("drop");
    let mut out = vec![format!(
        "Attendance: {} placements, {} school days, {total} marks imported in {:.1} s ({:.0} marks/s); \
         a raw insert of the same rows into a table with no keys took {:.1} s ({:.0} marks/s): \
         import rate ÷ raw rate = {:.2} (goal ≥ 0.3).",
        year.len(),
        days.len(),
        import_time.as_secs_f64(),
        total as f64 / import_time.as_secs_f64(),
        raw_time.as_secs_f64(),
        total as f64 / raw_time.as_secs_f64(),
        raw_time.as_secs_f64() / import_time.as_secs_f64()
    )];

    // 50 providers save 30-pupil registers at once, each working through the year's mornings.
    let per_provider = ((days.len() as f64 * factor.sqrt()).round() as usize).clamp(5, days.len());
    let t = Instant::now();
    let mut handles = Vec::new();
    for (provider, ids) in tests {
        let pool = pool.clone();
        let config = config.clone();
        let days = days.clone();
        handles.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut busy = 0usize;
            for day in days.iter().take(per_provider) {
                let lines: Vec<Line> = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| Line {
                        placement_id: Some(*id),
                        upn: None,
                        mark: if i % 10 == 9 {
                            Mark::Ill
                        } else {
                            Mark::Present
                        },
                        note: String::new(),
                    })
                    .collect();
                let t = Instant::now();
                // A client told the service is busy tries again, as the API's 503 asks.
                let mut tx = loop {
                    match db::write(&pool).await {
                        Ok(tx) => break tx,
                        Err(e) if e.to_string().contains("locked") => busy += 1,
                        Err(e) => panic!("begin: {e}"),
                    }
                };
                save::save(
                    &mut tx,
                    &config,
                    provider,
                    *day,
                    Session::Am,
                    &lines,
                    None,
                    "api",
                    false,
                )
                .await
                .expect("save")
                .expect("register accepted");
                tx.commit().await.expect("commit");
                times.push(t.elapsed());
            }
            (times, busy)
        }));
    }
    let mut times = Vec::new();
    let mut busy = 0;
    for h in handles {
        let (t, b) = h.await.expect("task");
        times.extend(t);
        busy += b;
    }
    let wall = t.elapsed();
    let count = times.len();
    out.push(format!(
        "Registers: {CONCURRENT} providers saving {PER_REGISTER}-pupil registers at once, {count} saves in {:.1} s \
         ({:.0} registers/s): p50 {}, p99 {} per register (one transaction each, absence checks and alerts included); \
         {busy} waits past the 10 s busy timeout, retried.",
        wall.as_secs_f64(),
        count as f64 / wall.as_secs_f64(),
        ms(pct(&mut times, 50)),
        ms(pct(&mut times, 99))
    ));

    // A provider's summary for a term, and the city by locality for the year.
    let provider = year[0].1;
    let (term_from, term_to) = (d(YEAR_START), d((2025, 10, 24)));
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..20 {
        let t = Instant::now();
        rows = store::counts_by_placement(pool, PupilScope::Provider(provider), term_from, term_to)
            .await
            .expect("summary")
            .len();
        times.push(t.elapsed());
    }
    out.push(format!(
        "A provider's attendance summary for a term ({rows} placement×code rows): median {}, max {} (goal < 50 ms).",
        ms(pct(&mut times, 50)),
        ms(pct(&mut times, 100))
    ));
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        store::rates(pool, store::Grouping::Locality, d(YEAR_START), d(YEAR_END))
            .await
            .expect("by locality");
        times.push(t.elapsed());
    }
    out.push(format!(
        "The city's rate by locality for the year: median {}, max {} over 3 runs (goal < 500 ms).",
        ms(pct(&mut times, 50)),
        ms(pct(&mut times, 100))
    ));
    out
}
