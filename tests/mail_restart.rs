//! The outbox across a real crash: the server is sending a queue of mail to a real SMTP server
//! when it is killed with SIGKILL; after a restart every queued mail is sent and recorded once,
//! and every message arrives (at least once; a repeat is the same message, by Message-ID).
#![cfg(not(feature = "postgres"))]

mod common;

use apdir::db::{self, outbox};
use common::http::{free_port, wait_healthy};
use common::smtp::SmtpSink;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path, port: u16, smtp: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_apdir"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--port", &port.to_string()])
        .env("APDIR_LOG", "error")
        .env("APDIR_MAIL_TRANSPORT", "smtp")
        .env("APDIR_SMTP_HOST", "127.0.0.1")
        .env("APDIR_SMTP_PORT", smtp.to_string())
        .env("APDIR_SMTP_TLS", "none")
        // A short lease, so the restarted sender takes back the interrupted claim quickly.
        .env("APDIR_MAIL_LEASE_SECONDS", "2")
        .env_remove("APDIR_DATABASE_URL")
        .env_remove("ROCKET_SECRET_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apdir")
}

#[rocket::async_test]
async fn a_crash_while_sending_loses_nothing_and_records_each_mail_once() {
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
    // A queue long enough to be interrupted: the demo's welcome mails and 150 more.
    let url = format!("sqlite://{}", dir.path().join("apdir.db").display());
    let pool = db::connect(&url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..150 {
        outbox::enqueue(
            &mut tx,
            &outbox::NewMail {
                message_id: &format!("<restart-{i}@apdir.test>"),
                user_id: None,
                to_address: "school@demo.test",
                kind: "council_notice",
                subject: "Notices from the council",
                body_text: "There is a new notice from the council.",
                body_html: "<p>There is a new notice from the council.</p>",
                unsubscribe_url: "",
            },
            db::now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let sink = SmtpSink::start_with_delay(Duration::from_millis(15));
    let port = free_port();
    let mut server = start(dir.path(), port, sink.port);
    assert!(wait_healthy(port), "server starts");
    let started = Instant::now();
    while sink.received().len() < 40 {
        assert!(started.elapsed() < Duration::from_secs(60), "sending began");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let at_kill = sink.received().len();
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(queued > 0, "killed part-way ({at_kill} received)");

    let port = free_port();
    let mut server = start(dir.path(), port, sink.port);
    assert!(wait_healthy(port), "server restarts");
    let started = Instant::now();
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE status <> 'sent'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{left} mails still unsent after the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let rows: Vec<String> = sqlx::query_scalar("SELECT message_id FROM mail_outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    let distinct_rows: HashSet<&String> = rows.iter().collect();
    assert_eq!(distinct_rows.len(), rows.len(), "each mail recorded once");
    assert!(rows.len() >= 155);
    let received: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .collect();
    let distinct: HashSet<&String> = received.iter().collect();
    for id in &rows {
        assert!(distinct.contains(id), "{id} was never delivered");
    }
    // At least once: only the one mail in flight at the kill can arrive twice.
    assert!(
        received.len() - distinct.len() <= 1,
        "{} repeats",
        received.len() - distinct.len()
    );
    assert_eq!(distinct.len(), rows.len());
}
