//! The database: one set of queries for both backends (`$1` placeholders, `RETURNING`, times bound
//! from Rust), with the backend chosen by cargo feature. One module per aggregate; queries that
//! touch pupil-level data take an explicit scope.

pub mod attendance;
pub mod audit;
pub mod calendar;
pub mod checks;
pub mod concerns;
pub mod forum;
pub mod notifications;
pub mod outbox;
pub mod outcomes;
pub mod placements;
pub mod providers;
pub mod pupils;
pub mod quality;
pub mod reference;
pub mod retention;
pub mod rounds;
pub mod schools;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod versions;

use chrono::{DateTime, SubsecRound, Utc};

#[cfg(feature = "postgres")]
pub type Db = sqlx::Postgres;
#[cfg(not(feature = "postgres"))]
pub type Db = sqlx::Sqlite;

pub type Pool = sqlx::Pool<Db>;
pub type Conn = <Db as sqlx::Database>::Connection;
pub type Tx<'a> = sqlx::Transaction<'a, Db>;

pub const BACKEND: &str = if cfg!(feature = "postgres") {
    "postgres"
} else {
    "sqlite"
};

/// The current time, whole seconds, so SQLite's text timestamps compare in order.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[cfg(not(feature = "postgres"))]
pub async fn connect(url: &str) -> Result<Pool, sqlx::Error> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    use std::str::FromStr;
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Registers are legal records: FULL survives power loss, not only process crashes.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // SQLite's default page cache is 2 MB: a large import's transaction then spills its
        // dirty pages to the WAL and reads them back. Up to 64 MiB per connection (grown only
        // as used; 8 connections at most).
        .pragma("cache_size", "-65536")
        // Rows cross from SQLite's worker thread in batches: with the default 50 a report
        // reading 100,000 rows spent more time waking the reader than in SQLite.
        .row_buffer_size(1024)
        .busy_timeout(std::time::Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
}

#[cfg(feature = "postgres")]
pub async fn connect(url: &str) -> Result<Pool, sqlx::Error> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
}

pub async fn migrate(pool: &Pool) -> Result<(), sqlx::migrate::MigrateError> {
    #[cfg(feature = "postgres")]
    let migrator = sqlx::migrate!("migrations/postgres");
    #[cfg(not(feature = "postgres"))]
    let migrator = sqlx::migrate!("migrations/sqlite");
    migrator.run(pool).await?;
    // SQLite plans from statistics only once they exist; a fresh or newly migrated database
    // gets them at once (PostgreSQL's autovacuum keeps its own).
    if !cfg!(feature = "postgres") {
        optimize(pool).await?;
    }
    Ok(())
}

/// Refreshes the query planner's statistics: run at start-up, nightly and after bulk imports.
/// Without them SQLite picks an index by its shape alone, and chose the status index over the
/// sixth-day index for the outcomes report (100 ms against 1 ms at national scale). SQLite
/// samples at most 1,000 rows of each index (31 ms on a 4 GB database).
pub async fn optimize(pool: &Pool) -> Result<(), sqlx::Error> {
    if cfg!(feature = "postgres") {
        sqlx::query("ANALYZE").execute(pool).await?;
    } else {
        let mut conn = pool.acquire().await?;
        sqlx::query("PRAGMA analysis_limit = 1000")
            .execute(&mut *conn)
            .await?;
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
    }
    Ok(())
}

/// The database answers a trivial query.
pub async fn ping(pool: &Pool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// Whether the database holds no organisations or accounts yet (the demo loads only into such).
pub async fn is_empty(pool: &Pool) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM providers) + (SELECT COUNT(*) FROM schools)",
    )
    .fetch_one(pool)
    .await?;
    Ok(n == 0)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes while another
/// writer commits fails with "database is locked" instead of waiting its turn. PostgreSQL
/// needs no such care.
pub async fn write(pool: &Pool) -> Result<Tx<'static>, sqlx::Error> {
    if cfg!(feature = "postgres") {
        pool.begin().await
    } else {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}
