//! Crash safety: a provider system keeps submitting registers through the token API while the
//! server is killed with SIGKILL at random moments. After each restart every register the
//! server acknowledged is present with exactly its marks (none lost, none duplicated), a
//! register whose answer was lost is sent again and lands once, and at the end
//! `PRAGMA integrity_check` is ok.
//! `cargo test` runs 3 rounds; `scripts/crash.sh` runs the full 20.
#![cfg(not(feature = "postgres"))]

mod common;

use chrono::{Datelike, Duration, NaiveDate};
use common::http::{free_port, request_json, wait_healthy};
use rand::{Rng, SeedableRng};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_apdir"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", &port.to_string()])
        .env("APDIR_LOG", "error")
        .env("APDIR_BACKGROUND_JOBS", "false")
        .env_remove("ROCKET_SECRET_KEY")
        .env_remove("APDIR_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apdir")
}

/// One register to submit: the provider's token, the day and session, and the marks by UPN.
#[derive(Clone)]
struct Job {
    provider: i64,
    token: String,
    on: NaiveDate,
    session: &'static str,
    marks: Vec<(String, &'static str)>,
}

impl Job {
    fn body(&self) -> String {
        let marks: Vec<_> = self
            .marks
            .iter()
            .map(|(upn, code)| serde_json::json!({ "upn": upn, "code": code }))
            .collect();
        serde_json::json!({ "date": self.on, "session": self.session, "marks": marks }).to_string()
    }
}

/// Clears the demo's registers for recent school days and works out, from the plans, who is
/// due on each; gives each provider a token.
async fn prepare(pool: &apdir::db::Pool) -> Vec<Job> {
    let today = apdir::attendance::today();
    let cal = apdir::db::calendar::load(pool).await.unwrap();
    let days: Vec<NaiveDate> = (1..250)
        .map(|i| today - Duration::days(i))
        .filter(|d| cal.is_school_day(*d))
        .take(120)
        .collect();
    let from = *days.last().unwrap();
    for sql in [
        "DELETE FROM attendance_marks WHERE on_date >= $1",
        "DELETE FROM registers WHERE on_date >= $1",
    ] {
        sqlx::query(sql).bind(from).execute(pool).await.unwrap();
    }
    type Plan = (i64, String, String, NaiveDate, Option<NaiveDate>);
    let plans: Vec<Plan> = sqlx::query_as(
        "SELECT pl.provider_id, p.upn, pp.pattern, pl.start_date, pl.end_date FROM placements pl \
         JOIN pupils p ON p.id = pl.pupil_id JOIN placement_plans pp ON pp.placement_id = pl.id \
         WHERE pl.status IN ('active', 'ended') ORDER BY pl.provider_id, p.upn",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut providers: Vec<i64> = plans.iter().map(|p| p.0).collect();
    providers.dedup();
    let mut jobs = Vec::new();
    for provider in providers {
        let token = format!("crash-token-{provider}");
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, name, provider_id, created_at) VALUES ($1, 'crash', $2, $3)",
        )
        .bind(apdir::auth::token_hash(&token))
        .bind(provider)
        .bind(apdir::db::now())
        .execute(pool)
        .await
        .unwrap();
        for d in days.iter().rev() {
            for (session, offset) in [("am", 0usize), ("pm", 1)] {
                let idx = d.weekday().num_days_from_monday() as usize * 2 + offset;
                let marks: Vec<(String, &'static str)> = plans
                    .iter()
                    .filter(|p| p.0 == provider && p.3 <= *d && p.4.is_none_or(|e| e >= *d))
                    .filter(|p| p.2.as_bytes().get(idx) == Some(&b'1'))
                    .enumerate()
                    .map(|(i, p)| (p.1.clone(), if i % 2 == 0 { "/" } else { "L" }))
                    .collect();
                if !marks.is_empty() {
                    jobs.push(Job {
                        provider,
                        token: token.clone(),
                        on: *d,
                        session,
                        marks,
                    });
                }
            }
        }
    }
    jobs
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let rounds: usize = std::env::var("APDIR_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_apdir"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("demo")
        .env("APDIR_LOG", "error")
        .env_remove("APDIR_DATABASE_URL")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}", dir.path().join("apdir.db").display());
    let jobs = rt.block_on(async {
        let pool = apdir::db::connect(&url).await.unwrap();
        let jobs = prepare(&pool).await;
        pool.close().await;
        jobs
    });
    assert!(
        jobs.len() > 100,
        "enough registers to submit: {}",
        jobs.len()
    );
    let jobs = Arc::new(jobs);

    let mut port = free_port();
    let mut server = start(dir.path(), port);
    assert!(wait_healthy(port), "server starts");
    let acked: Arc<Mutex<Vec<usize>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let mut sent = 0usize;
    for round in 0..rounds {
        let port_now = port;
        let (acked2, jobs2, next2) = (acked.clone(), jobs.clone(), next.clone());
        let client = std::thread::spawn(move || {
            let mut n = 0usize;
            loop {
                let i = next2.load(Ordering::SeqCst);
                let Some(job) = jobs2.get(i) else {
                    // Every register sent: wait for the kill.
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    if request_json(port_now, "GET", "/healthz", "x", "").is_err() {
                        return n;
                    }
                    continue;
                };
                n += 1;
                match request_json(
                    port_now,
                    "POST",
                    "/api/v1/registers",
                    &job.token,
                    &job.body(),
                ) {
                    Ok(r) if r.status == 200 => {
                        acked2.lock().unwrap().push(i);
                        next2.store(i + 1, Ordering::SeqCst);
                    }
                    Ok(r) => panic!(
                        "unexpected answer {} for register {i}: {}",
                        r.status, r.body
                    ),
                    // The answer was lost: the same register is sent again after the restart.
                    Err(_) => return n,
                }
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(150..1200)));
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        sent += client.join().unwrap();
        eprintln!(
            "round {round}: {} registers acknowledged so far",
            acked.lock().unwrap().len()
        );

        port = free_port();
        server = start(dir.path(), port);
        assert!(wait_healthy(port), "server restarts after round {round}");
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty(), "some registers were acknowledged");
    rt.block_on(async {
        let pool = apdir::db::connect(&url).await.unwrap();
        for &i in &acked {
            let job = &jobs[i];
            let taken: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM registers WHERE provider_id = $1 AND on_date = $2 AND session = $3",
            )
            .bind(job.provider)
            .bind(job.on)
            .bind(job.session)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(taken, 1, "register {i} was acknowledged, so it is stored once");
            let mut stored: Vec<(String, String)> = sqlx::query_as(
                "SELECT p.upn, m.code FROM attendance_marks m JOIN placements pl ON pl.id = m.placement_id \
                 JOIN pupils p ON p.id = pl.pupil_id WHERE m.provider_id = $1 AND m.on_date = $2 AND m.session = $3",
            )
            .bind(job.provider)
            .bind(job.on)
            .bind(job.session)
            .fetch_all(&pool)
            .await
            .unwrap();
            stored.sort();
            let mut want: Vec<(String, String)> =
                job.marks.iter().map(|(u, c)| (u.clone(), c.to_string())).collect();
            want.sort();
            assert_eq!(stored, want, "register {i}: every acknowledged mark, once, as sent");
        }
        // Nothing beyond what was sent; nothing half-written (a register row without its marks).
        let registers: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM registers r WHERE r.via = 'api'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(registers as usize >= acked.len() && registers as usize <= acked.len() + 1);
        let orphans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM registers r WHERE r.via = 'api' AND NOT EXISTS \
             (SELECT 1 FROM attendance_marks m WHERE m.provider_id = r.provider_id AND m.on_date = r.on_date AND m.session = r.session)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(orphans, 0, "a register and its marks commit together");
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
        assert_eq!(check, "ok");
        eprintln!(
            "crash test: {rounds} SIGKILL rounds, {sent} register submissions, {} acknowledged, {registers} stored, integrity ok",
            acked.len()
        );
    });
}
