//! National-scale benchmark of the hot paths, against a baseline measured in the same run.
//!
//!   cargo bench --bench hot_paths                  full scale (15,000 providers, 100,000 pupils)
//!   APDIR_BENCH_SCALE=0.01 cargo test --bench hot_paths   a quick smoke run (CI)
//!
//! Data is synthetic and deterministic: 150 council areas, 100 providers and 100 schools in each,
//! 100,000 pupils; 50,000 placements with a school year of attendance (support/attendance.rs).
//! Each path is timed through the whole app
//! in-process (routing, guards, SQL, templates) with Rocket's local client; the baseline is
//! `GET /healthz`, the cheapest request that touches the database.

#[path = "support/attendance.rs"]
mod attendance;
#[path = "support/outcomes.rs"]
mod outcomes;
#[path = "support/sql_baseline.rs"]
mod sql_baseline;

use apdir::config::Config;
use apdir::db;
use apdir::domain::{PlaceType, Tier, Upn};
use rand::{Rng, SeedableRng};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use std::time::{Duration, Instant};

struct Scale {
    areas: usize,
    providers_per_area: usize,
    schools_per_area: usize,
    pupils: usize,
}

#[rocket::main]
async fn main() {
    let factor: f64 = std::env::var("APDIR_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let areas = ((150.0 * factor.sqrt()).round() as usize).max(2);
    let per_area = ((100.0 * factor.sqrt()).round() as usize).max(2);
    let scale = Scale {
        areas,
        providers_per_area: per_area,
        schools_per_area: per_area,
        pupils: ((100_000.0 * factor).round() as usize).max(50),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("APDIR_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");

    let t = Instant::now();
    let (school_id, slug) = generate(&pool, &scale).await;
    let generate_s = t.elapsed().as_secs_f64();

    let config = Config {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(url.clone()),
        // The mail sender and daily jobs are not what is timed here.
        background_jobs: false,
        ..Config::default()
    };
    // Full rebuild of the search index from SQL, timed on its own.
    let index_dir = dir.path().join("rebuild");
    let t = Instant::now();
    let search = apdir::directory::index::open(&pool, &index_dir)
        .await
        .expect("index");
    let rebuild_s = t.elapsed().as_secs_f64();
    let requests = mix_requests(&scale);
    let index_times = time_index(&search, &requests);
    drop(search);
    let sql_line = sql_baseline_mix(&pool, &requests, &index_times).await;

    // One client per visitor (cookies are per client), each with its own data directory, since
    // an index directory has one writer.
    let mut n = 0;
    let mut rocket = || {
        n += 1;
        let figment = rocket::Config::figment()
            .merge(("secret_key", vec![7u8; 64]))
            .merge(("log_level", "off"));
        let config = Config {
            data_dir: dir.path().join(format!("client{n}")),
            ..config.clone()
        };
        apdir::assemble(config, pool.clone(), figment).expect("assemble")
    };
    let client = Client::tracked(rocket()).await.expect("rocket");
    let school = Client::tracked(rocket()).await.expect("rocket");
    let progressions = Client::tracked(rocket()).await.expect("rocket");
    let login = Client::untracked(rocket()).await.expect("rocket");

    println!("# apdir hot paths ({} backend)", db::BACKEND);
    println!();
    println!(
        "Data: {} council areas, {} providers, {} schools, {} pupils; generated in {generate_s:.1} s.",
        scale.areas,
        scale.areas * scale.providers_per_area,
        scale.areas * scale.schools_per_area,
        scale.pupils
    );
    println!();
    println!(
        "Search index: full rebuild of {} providers from SQL in {rebuild_s:.2} s.",
        scale.areas * scale.providers_per_area
    );
    println!();
    println!(
        "{}",
        index_times.line("Search index, 1,000-query mix in-process")
    );
    println!();
    println!("{sql_line}");
    println!();
    println!("| Path | Iterations | Median | p95 | Per second | × baseline |");
    println!("|---|---:|---:|---:|---:|---:|");

    let get = |p: &str| Req::Get(p.to_string());
    let base = time(
        &client,
        "GET /healthz (baseline)",
        400,
        &get("/healthz"),
        None,
    )
    .await;
    let b = Some(base);
    time(
        &client,
        "GET /providers (anonymous, page 1 of all)",
        100,
        &get("/providers"),
        b,
    )
    .await;
    time(
        &client,
        "GET /providers?tier=2&place_type=vocational",
        100,
        &get("/providers?tier=2&place_type=vocational"),
        b,
    )
    .await;
    time(
        &client,
        "GET /api/v1/providers?q=construction&near=S1&radius_km=50",
        100,
        &get("/api/v1/providers?q=construction&near=S1&radius_km=50"),
        b,
    )
    .await;
    time(
        &client,
        "GET /providers/<slug>",
        300,
        &get(&format!("/providers/{slug}")),
        b,
    )
    .await;

    sign_in(&school, "bench-school@bench.test").await;
    time(
        &school,
        "GET / as a school (session + home)",
        300,
        &get("/"),
        b,
    )
    .await;
    time(
        &school,
        "GET /pupils as a school (scoped list + audit write)",
        300,
        &get("/pupils"),
        b,
    )
    .await;
    let pupil: i64 = sqlx::query_scalar("SELECT MIN(id) FROM pupils WHERE home_school_id = $1")
        .bind(school_id)
        .fetch_one(&pool)
        .await
        .expect("a pupil");
    time(
        &school,
        "GET /pupils/<id> as a school (scoped record + audit write)",
        300,
        &get(&format!("/pupils/{pupil}")),
        b,
    )
    .await;

    sign_in(&progressions, "bench-progressions@bench.test").await;
    time(
        &progressions,
        "GET /api/v1/pupils as Progressions (page 1 of every pupil)",
        5,
        &get("/api/v1/pupils"),
        b,
    )
    .await;

    // Untracked: each iteration is a fresh sign-in with the visitor's CSRF cookie.
    // The visitor's CSRF cookie holds the same token as the form.
    let page = login.get("/login").dispatch().await;
    let token = token_in(&page.into_string().await.unwrap_or_default());
    let cookie = token.clone();
    let body =
        format!("csrf_token={token}&email=bench-school%40bench.test&password=bench-password-2026");
    time(
        &login,
        "POST /login (argon2id verify + session)",
        20,
        &Req::Login { cookie, body },
        b,
    )
    .await;
    println!();
    println!("Median and p95 are per request, measured in-process (no network).");
    println!();
    for line in attendance::run(&pool, &config, factor).await {
        println!("{line}");
        println!();
    }
    for line in outcomes::run(&pool, factor).await {
        println!("{line}");
        println!();
    }
    // The whole page as the Taskforce gets it: the report, its charts and the template.
    println!("| Request | n | median | p95 | req/s | × baseline |");
    println!("|---|---|---|---|---|---|");
    time(
        &progressions,
        "GET /reports/outcomes for the 2025/26 year (every section, charts, HTML)",
        5,
        &get("/reports/outcomes?from=2025-09-01&to=2026-08-31"),
        b,
    )
    .await;
    time(
        &progressions,
        "GET /reports/outcomes for tier 3",
        5,
        &get("/reports/outcomes?from=2025-09-01&to=2026-08-31&tier=3"),
        b,
    )
    .await;
    println!();
    // Last: it changes every provider, which would start index rebuilds under the timings.
    println!("{}", nightly_job(&pool, &config).await);
}

/// A fixed mix of 1,000 realistic directory queries (text, filters, geo radius, combinations).
fn mix_requests(scale: &Scale) -> Vec<search_index::SearchRequest> {
    use search_index::{Filters, SearchRequest, Sort};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1000);
    let words = [
        "construction",
        "contruction",
        "mechanics",
        "nurture",
        "learning",
        "practical",
        "courses",
        "centre",
        "vocational",
        "health",
    ];
    let place_types = [
        "vocational",
        "engagement",
        "medical",
        "outreach",
        "exclusion",
        "step_out",
    ];
    let mut requests = Vec::with_capacity(1000);
    for i in 0..1000 {
        let mut r = SearchRequest {
            limit: 20,
            ..Default::default()
        };
        if i % 2 == 0 {
            r.text = words[rng.gen_range(0..words.len())].to_string();
        }
        if i % 3 == 0 {
            r.filters = Filters {
                tiers: vec![rng.gen_range(1..4).to_string()],
                ..Default::default()
            };
        }
        if i % 4 == 0 {
            r.filters
                .place_types
                .push(place_types[rng.gen_range(0..place_types.len())].to_string());
        }
        if i % 5 == 0 {
            r.filters
                .localities
                .push(format!("la-{:03}", rng.gen_range(0..scale.areas)));
        }
        if i % 7 == 0 {
            r.filters.has_places = Some(true);
        }
        if i % 6 == 0 {
            r.near = Some((
                50.5 + rng.gen_range(0.0..4.5),
                -4.0 + rng.gen_range(0.0..5.0),
            ));
            r.radius_km = Some(rng.gen_range(5.0..60.0));
            r.sort = Sort::Distance;
        }
        requests.push(r);
    }
    requests
}

/// Sorted latencies of one run of the mix, and each request's total (to compare answers).
struct MixTimes {
    samples: Vec<Duration>,
    totals: Vec<i64>,
}

impl MixTimes {
    fn new(mut samples: Vec<Duration>, totals: Vec<i64>) -> MixTimes {
        samples.sort();
        MixTimes { samples, totals }
    }
    fn pct(&self, p: usize) -> Duration {
        self.samples[(self.samples.len() * p / 100).min(self.samples.len() - 1)]
    }
    fn line(&self, what: &str) -> String {
        format!(
            "{what}: p50 {}, p99 {}, max {}.",
            fmt(self.pct(50)),
            fmt(self.pct(99)),
            fmt(self.samples[self.samples.len() - 1])
        )
    }
}

/// The mix answered by the search index in-process (hits and all five facets).
fn time_index(
    search: &apdir::directory::index::Search,
    requests: &[search_index::SearchRequest],
) -> MixTimes {
    for r in requests.iter().take(50) {
        let _ = search.0.search(r);
    }
    let mut totals = Vec::with_capacity(requests.len());
    let samples = requests
        .iter()
        .map(|r| {
            let t = Instant::now();
            let res = search.0.search(r).expect("search");
            let d = t.elapsed();
            totals.push(res.total as i64);
            d
        })
        .collect();
    MixTimes::new(samples, totals)
}

/// The same mix answered by SQL alone (see `sql_baseline`), in the same run; returns the lines
/// to print: its latencies, the ratio to the index, and how often the totals agree.
async fn sql_baseline_mix(
    pool: &db::Pool,
    requests: &[search_index::SearchRequest],
    index: &MixTimes,
) -> String {
    let docs = db::providers::index_docs(pool, None).await.expect("docs");
    sql_baseline::prepare(pool, &docs).await.expect("fts table");
    for r in requests.iter().take(20) {
        let _ = sql_baseline::search(pool, r).await;
    }
    let mut totals = Vec::with_capacity(requests.len());
    let mut samples = Vec::with_capacity(requests.len());
    let mut facet_values = 0;
    for r in requests {
        let t = Instant::now();
        let a = sql_baseline::search(pool, r).await.expect("sql search");
        samples.push(t.elapsed());
        totals.push(a.total);
        facet_values += a.facet_values;
        assert!(a.ids.len() as i64 <= a.total);
    }
    let sql = MixTimes::new(samples, totals);
    // Without text both answer exactly the same question, so their totals must agree.
    let (mut same, mut compared) = (0, 0);
    for (i, r) in requests.iter().enumerate() {
        if r.text.is_empty() {
            compared += 1;
            same += usize::from(index.totals[i] == sql.totals[i]);
        }
    }
    assert_eq!(
        same, compared,
        "SQL baseline and index disagree on filter-only totals"
    );
    let ratio = |p| sql.pct(p).as_secs_f64() / index.pct(p).as_secs_f64();
    format!(
        "{}\n\nIndex against SQL: {:.0}× faster at p50, {:.0}× at p99 (goal at least 10×). \
         Filter-only totals agree on {same} of {compared}; {facet_values} facet rows read.",
        sql.line(&format!("SQL baseline ({}), same mix", db::BACKEND)),
        ratio(50),
        ratio(99),
    )
}

/// The nightly due-diligence job at scale: every provider has every check (one in eleven
/// expiring within 30 days), and the job recomputes every status and sends the reminders.
async fn nightly_job(pool: &db::Pool, config: &Config) -> String {
    let today = apdir::framework::today();
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO provider_checks (provider_id, check_type_id, checked_on, result, expires_on, notes, recorded_at) \
         SELECT p.id, t.id, $1, 'passed', CASE WHEN (p.id + t.id) % 11 = 0 THEN $2 ELSE $3 END, '', $4 \
         FROM providers p CROSS JOIN check_types t",
    )
    .bind(today - chrono::Duration::days(30))
    .bind(today + chrono::Duration::days(20))
    .bind(today + chrono::Duration::days(300))
    .bind(db::now())
    .execute(pool)
    .await
    .expect("checks");
    let seed_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let outcome = apdir::framework::nightly(pool, config)
        .await
        .expect("nightly job");
    let job_s = t.elapsed().as_secs_f64();
    let checks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM provider_checks")
        .fetch_one(pool)
        .await
        .unwrap_or(0);
    format!(
        "Nightly due-diligence job: {checks} checks (seeded in {seed_s:.1} s); the job ran in {job_s:.1} s: {outcome}."
    )
}

enum Req {
    Get(String),
    Login { cookie: String, body: String },
}

async fn send(client: &Client, req: &Req) -> Status {
    match req {
        Req::Get(path) => client.get(path.clone()).dispatch().await.status(),
        Req::Login { cookie, body } => client
            .post("/login")
            .header(ContentType::Form)
            .private_cookie(rocket::http::Cookie::new("apdir_csrf", cookie.clone()))
            .body(body.clone())
            .dispatch()
            .await
            .status(),
    }
}

async fn time(
    client: &Client,
    name: &str,
    n: usize,
    req: &Req,
    baseline: Option<Duration>,
) -> Duration {
    for _ in 0..n.min(3) {
        send(client, req).await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let status = send(client, req).await;
        samples.push(t.elapsed());
        assert!(status.code < 400, "{name}: {status}");
    }
    samples.sort();
    let median = samples[n / 2];
    let p95 = samples[(n * 95 / 100).min(n - 1)];
    let ratio = baseline
        .map(|b| format!("{:.1}", median.as_secs_f64() / b.as_secs_f64()))
        .unwrap_or_else(|| "1.0".into());
    println!(
        "| {name} | {n} | {} | {} | {:.0} | {ratio} |",
        fmt(median),
        fmt(p95),
        1.0 / median.as_secs_f64()
    );
    median
}

fn fmt(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn token_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    html.find(marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string()
}

async fn sign_in(client: &Client, email: &str) {
    let html = client
        .get("/login")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap_or_default();
    let token = token_in(&html);
    let status = client
        .post("/login")
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={token}&email={}&password=bench-password-2026",
            email.replace('@', "%40")
        ))
        .dispatch()
        .await
        .status();
    assert_eq!(status, Status::SeeOther, "bench sign-in as {email}");
}

/// Deterministic national-scale data. Returns a school id with pupils and a provider slug.
async fn generate(pool: &db::Pool, s: &Scale) -> (i64, String) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let now = db::now();
    let mut tx = pool.begin().await.expect("tx");
    let mut schools = Vec::new();
    let mut first_slug = String::new();
    let needs = ["SEMH", "ASD", "SLCN", "MLD", "SpLD", "OTH"];
    let stages = ["KS1", "KS2", "KS3", "KS4", "KS5"];
    for a in 0..s.areas {
        let loc =
            apdir::domain::Locality::new(&format!("la-{a:03}"), &format!("Council area {a:03}"))
                .expect("locality");
        let locality = db::reference::insert_locality(&mut *tx, &loc, a as i64)
            .await
            .expect("locality");
        let (lat0, lon0) = (
            50.5 + rng.gen_range(0.0..4.5),
            -4.0 + rng.gen_range(0.0..5.0),
        );
        for i in 0..s.schools_per_area {
            let urn = format!("{}", 100_000 + a * 1000 + i);
            let id = db::schools::insert(
                &mut *tx,
                &db::schools::NewSchool {
                    urn: &urn,
                    name: &format!("Area {a} School {i}"),
                    la_code: &format!("{}", 800 + a),
                    establishment_number: &format!("{}", 2000 + i),
                    type_name: "Academy converter",
                    phase: if i % 5 == 0 { "Secondary" } else { "Primary" },
                    postcode: "S1 2AB",
                    latitude: lat0 + rng.gen_range(-0.1..0.1),
                    longitude: lon0 + rng.gen_range(-0.1..0.1),
                    locality_id: Some(locality),
                },
                now,
            )
            .await
            .expect("school");
            schools.push((id, a, i));
        }
        for i in 0..s.providers_per_area {
            let slug = format!("provider-{a:03}-{i:03}");
            if first_slug.is_empty() {
                first_slug = slug.clone();
            }
            let tiers: Vec<Tier> = Tier::ALL
                .into_iter()
                .filter(|_| rng.gen_bool(0.5))
                .collect();
            let tiers = if tiers.is_empty() {
                vec![Tier::Two]
            } else {
                tiers
            };
            let pts: Vec<PlaceType> = PlaceType::ALL
                .into_iter()
                .filter(|_| rng.gen_bool(0.25))
                .collect();
            let pts = if pts.is_empty() {
                vec![PlaceType::Vocational]
            } else {
                pts
            };
            let ks: Vec<&str> = stages
                .iter()
                .copied()
                .filter(|_| rng.gen_bool(0.5))
                .collect();
            let nd: Vec<&str> = needs
                .iter()
                .copied()
                .filter(|_| rng.gen_bool(0.4))
                .collect();
            let name = format!("Provider {a}-{i} Learning Centre");
            let summary = "Teaches young people who learn best by doing, with practical courses.";
            db::providers::insert(
                &mut tx,
                &db::providers::NewProvider {
                    slug: &slug,
                    name: &name,
                    summary,
                    description: summary,
                    website: None,
                    email: None,
                    phone: None,
                    registration: "non_school",
                    urn: None,
                    ukprn: None,
                    ofsted_grade: None,
                    on_framework: true,
                    framework_lot: Some("secondary"),
                    dd_status: "approved",
                    dd_reason: "",
                    capacity: 20,
                    places_free: rng.gen_range(0..8),
                    qualifications: "",
                    transport: "",
                    days_hours: "",
                    locality_id: Some(locality),
                    tiers: &tiers,
                    place_types: &pts,
                    key_stages: &ks,
                    needs: &nd,
                },
                &[db::providers::NewSite {
                    name: "Main site",
                    address: "1 High Street",
                    postcode: "S1 2AB",
                    latitude: lat0,
                    longitude: lon0,
                    is_main: true,
                }],
                now,
            )
            .await
            .expect("provider");
        }
    }
    let dob = chrono::NaiveDate::from_ymd_opt(2012, 5, 1).expect("date");
    for n in 0..s.pupils {
        let (school, a, i) = schools[n % schools.len()];
        let upn = Upn::from_parts(
            (800 + a) as u16,
            (2000 + i) as u16,
            20,
            (n / schools.len()) as u16,
        )
        .expect("upn");
        db::pupils::insert(
            &mut *tx,
            &db::pupils::NewPupil {
                upn: upn.as_str(),
                legal_forename: "Pupil",
                legal_surname: &format!("Number{n}"),
                preferred_name: None,
                date_of_birth: dob,
                home_school_id: school,
                sen_status: "none",
                looked_after: false,
                needs_summary: "",
            },
            now,
        )
        .await
        .expect("pupil");
    }
    let hash = apdir::auth::password::hash("bench-password-2026").expect("hash");
    let bench_school = schools[0].0;
    for (email, role, school) in [
        (
            "bench-school@bench.test",
            apdir::domain::Role::School,
            Some(bench_school),
        ),
        (
            "bench-progressions@bench.test",
            apdir::domain::Role::Progressions,
            None,
        ),
    ] {
        let email = apdir::domain::Email::parse(email).expect("email");
        db::users::create(
            &mut *tx,
            &db::users::NewUser {
                email: &email,
                display_name: "Bench",
                password_hash: &hash,
                role,
                school_id: school,
                provider_id: None,
            },
            now,
        )
        .await
        .expect("user");
    }
    tx.commit().await.expect("commit");
    (bench_school, first_slug)
}
