//! Crash safety: a client keeps submitting writes while the server is killed with SIGKILL at
//! random moments. After each restart every write the server acknowledged is present exactly
//! once, and at the end `PRAGMA integrity_check` is ok.
//!
//! The write is account creation (a real form, transaction and audit row) until attendance
//! registers exist; the attendance issue switches this test to register submissions.
//! `cargo test` runs 3 rounds; `scripts/crash.sh` runs the full 20.
#![cfg(not(feature = "postgres"))]

mod common;

use common::http::{free_port, request, wait_healthy};
use rand::{Rng, SeedableRng};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_apdir"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", &port.to_string()])
        .env("APDIR_LOG", "error")
        .env_remove("ROCKET_SECRET_KEY")
        .env_remove("APDIR_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apdir")
}

fn csrf_in(html: &str) -> String {
    common::extract_csrf(html).expect("a csrf token")
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

    let mut port = free_port();
    let mut server = start(dir.path(), port);
    assert!(wait_healthy(port), "server starts");
    // Sign in as the administrator; the session outlives restarts (key and session are stored).
    let page = request(port, "GET", "/login", &[], None).unwrap();
    let anon = page.cookie("apdir_csrf").unwrap();
    let form = common::encode(&[
        ("csrf_token", &csrf_in(&page.body)),
        ("email", "admin@demo.test"),
        ("password", common::PASSWORD),
    ]);
    let r = request(port, "POST", "/login", &[anon], Some(&form)).unwrap();
    assert_eq!(r.status, 303);
    let session = r.cookie("apdir_session").unwrap();
    let home = request(port, "GET", "/", std::slice::from_ref(&session), None).unwrap();
    let token = csrf_in(&home.body);

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let mut sent = 0usize;
    for round in 0..rounds {
        let port_now = port;
        let (acked2, session2, token2) = (acked.clone(), session.clone(), token.clone());
        let client = std::thread::spawn(move || {
            let mut n = 0usize;
            loop {
                let email = format!("crash-{round}-{n}@demo.test");
                let form = common::encode(&[
                    ("csrf_token", &token2),
                    ("email", &email),
                    ("display_name", "Crash Test"),
                    ("role", "taskforce"),
                    ("password", "a-long-enough-password"),
                ]);
                n += 1;
                match request(
                    port_now,
                    "POST",
                    "/admin/users",
                    std::slice::from_ref(&session2),
                    Some(&form),
                ) {
                    Ok(r) if r.status == 303 => acked2.lock().unwrap().push(email),
                    Ok(r) => panic!("unexpected answer {} for {email}", r.status),
                    Err(_) => return n,
                }
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(150..1200)));
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        sent += client.join().unwrap();

        port = free_port();
        server = start(dir.path(), port);
        assert!(wait_healthy(port), "server restarts after round {round}");
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty(), "some writes were acknowledged");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = apdir::db::connect(&format!("sqlite://{}", dir.path().join("apdir.db").display()))
            .await
            .unwrap();
        for email in &acked {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(n, 1, "{email} was acknowledged, so it is stored exactly once");
            let audited: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log a JOIN users u ON a.entity_id = CAST(u.id AS TEXT) \
                 WHERE a.entity = 'user' AND a.action = 'create' AND u.email = $1",
            )
            .bind(email)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(audited, 1, "{email}'s audit row committed with it");
        }
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email LIKE 'crash-%'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(stored as usize >= acked.len() && stored as usize <= sent);
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
        assert_eq!(check, "ok");
        eprintln!(
            "crash test: {rounds} SIGKILL rounds, {sent} writes attempted, {} acknowledged, {stored} stored, integrity ok",
            acked.len()
        );
    });
}
