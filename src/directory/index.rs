//! The directory's search index: derived from SQL, kept in `<data dir>/index`.
//!
//! The index remembers a signature of the data it was built from (provider count and latest
//! change). At start, and every few seconds, the signature is compared with the database's: a
//! difference (a demo load, a restore, or another app instance writing to the same PostgreSQL)
//! rebuilds the index. Changes made through this instance are applied at once by `refresh`.

use crate::db::{self, Pool};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const SIGNATURE_FILE: &str = "apdir_source";

/// The search index, in Rocket state, with the reference lists its filters are checked against.
#[derive(Clone)]
pub struct Search(
    pub Arc<search_index::Index>,
    Arc<Mutex<String>>,
    PathBuf,
    Arc<std::sync::RwLock<Arc<Reference>>>,
);

/// Localities and taxonomies, read once per rebuild rather than on every search.
#[derive(Debug, Default)]
pub struct Reference {
    pub localities: Vec<db::reference::LocalityRow>,
    pub key_stages: Vec<db::reference::Term>,
    pub needs: Vec<db::reference::Term>,
    pub place_types: Vec<db::reference::Term>,
}

impl Search {
    pub fn reference(&self) -> Arc<Reference> {
        self.3.read().map(|r| r.clone()).unwrap_or_default()
    }
}

async fn load_reference(pool: &Pool) -> Result<Reference, sqlx::Error> {
    Ok(Reference {
        localities: db::reference::localities(pool).await?,
        key_stages: db::reference::key_stages(pool).await?,
        needs: db::reference::needs(pool).await?,
        place_types: db::reference::place_types(pool).await?,
    })
}

/// What the index was built from: provider count, latest change, and the number of localities.
async fn signature(pool: &Pool) -> Result<String, sqlx::Error> {
    let (n, latest, localities): (i64, Option<chrono::DateTime<chrono::Utc>>, i64) =
        sqlx::query_as(
            "SELECT COUNT(*), MAX(updated_at), (SELECT COUNT(*) FROM localities) FROM providers",
        )
        .fetch_one(pool)
        .await?;
    Ok(format!(
        "{n}/{}/{localities}",
        latest.map(|t| t.to_rfc3339()).unwrap_or_default()
    ))
}

/// Opens the index, rebuilding it from the database when it is missing, old, unreadable or
/// built from other data.
pub async fn open(pool: &Pool, data_dir: &Path) -> anyhow::Result<Search> {
    let dir = data_dir.join("index");
    let open_dir = dir.clone();
    let (index, state) =
        tokio::task::spawn_blocking(move || search_index::Index::open(Some(&open_dir))).await??;
    let stored = std::fs::read_to_string(dir.join(SIGNATURE_FILE)).unwrap_or_default();
    let reference = Arc::new(std::sync::RwLock::new(Arc::new(
        load_reference(pool).await?,
    )));
    let search = Search(
        Arc::new(index),
        Arc::new(Mutex::new(stored.clone())),
        dir,
        reference,
    );
    let current = signature(pool).await?;
    if state == search_index::OpenState::NeedsRebuild || stored != current {
        let n = rebuild(pool, &search).await?;
        tracing::info!(providers = n, "search index built from the database");
    }
    Ok(search)
}

/// Replaces the whole index with what the database holds. Returns the number of providers.
pub async fn rebuild(pool: &Pool, search: &Search) -> anyhow::Result<usize> {
    let sig = signature(pool).await?;
    let reference = load_reference(pool).await?;
    if let Ok(mut r) = search.3.write() {
        *r = Arc::new(reference);
    }
    let docs = db::providers::index_docs(pool, None).await?;
    let n = docs.len();
    let index = search.0.clone();
    tokio::task::spawn_blocking(move || index.replace_all(docs)).await??;
    remember(search, sig);
    Ok(n)
}

fn remember(search: &Search, sig: String) {
    let _ = std::fs::write(search.2.join(SIGNATURE_FILE), &sig);
    if let Ok(mut s) = search.1.lock() {
        *s = sig;
    }
}

/// Queues one provider's new state (call after the database commit). The writer thread makes
/// it searchable within a second.
pub async fn refresh(pool: &Pool, search: &Search, provider_id: i64) -> Result<(), sqlx::Error> {
    match db::providers::index_docs(pool, Some(provider_id))
        .await?
        .pop()
    {
        Some(doc) => search.0.upsert(doc),
        None => search.0.delete(provider_id),
    }
    remember(search, signature(pool).await?);
    Ok(())
}

/// Every `every`, rebuilds the index if the database changed behind its back.
pub fn spawn_sync(pool: Pool, search: Search, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Ok(current) = signature(&pool).await else {
                continue;
            };
            let known = search.1.lock().map(|s| s.clone()).unwrap_or_default();
            if current != known {
                match rebuild(&pool, &search).await {
                    Ok(n) => {
                        tracing::info!(providers = n, "search index rebuilt after outside changes")
                    }
                    Err(e) => tracing::warn!(error = %e, "search index sync failed"),
                }
            }
        }
    });
}
