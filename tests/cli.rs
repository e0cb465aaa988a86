//! The `apdir` binary: migrate, demo, create-admin, and serve on a real socket.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn apdir(dir: &std::path::Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apdir"));
    c.arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .env("APDIR_LOG", "error");
    c
}

#[rocket::async_test]
async fn migrate_demo_and_create_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _db) = common::fresh_database_url(dir.path()).await;
    let out = apdir(dir.path(), &url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));

    let out = apdir(dir.path(), &url).arg("demo").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("120 schools") && text.contains("33 providers"),
        "{text}"
    );

    // The demo loads only into an empty database.
    let out = apdir(dir.path(), &url).arg("demo").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty database"));

    let mut child = apdir(dir.path(), &url)
        .args([
            "create-admin",
            "--email",
            "Chief@Council.test",
            "--name",
            "Chief Admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-admin-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = apdir(dir.path(), &url)
        .args(["create-admin", "--email", "weak@council.test"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 characters"));

    let pool = apdir::db::connect(&url).await.unwrap();
    let (role, active): (String, bool) =
        sqlx::query_as("SELECT role, active FROM users WHERE email = 'chief@council.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((role.as_str(), active), ("admin", true));
    let weak: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'weak@council.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(weak, 0);
    pool.close().await;
    drop_db(_db).await;
}

#[rocket::async_test]
async fn serve_listens_keeps_a_secret_key_and_answers_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let (url, db) = common::fresh_database_url(dir.path()).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = apdir(dir.path(), &url)
        .args(["serve", "--demo", "--port", &port.to_string()])
        .env_remove("ROCKET_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("is running at") {
            break;
        }
    }
    assert!(
        seen.contains("school@demo.test") && seen.contains("demo-password-2026"),
        "{seen}"
    );
    assert!(seen.contains(&format!("http://127.0.0.1:{port}")), "{seen}");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut stream, &mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"database\":\"ok\""));
    child.kill().unwrap();
    let _ = child.wait();
    let key = std::fs::read_to_string(dir.path().join("secret_key")).unwrap();
    assert_eq!(key.trim().len(), 88, "64 random bytes, base64");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner can read the key");
    }
    drop_db(db).await;
}

async fn drop_db(_name: Option<String>) {
    #[cfg(feature = "postgres")]
    if let Some(name) = _name {
        use sqlx::Connection;
        if let Ok(mut c) =
            sqlx::postgres::PgConnection::connect(&format!("{}/postgres", common::pg_base())).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .await;
        }
    }
}
