//! Search over forum posts. The tantivy index (in the search-index crate) holds every post
//! that is not removed and is brought up to date from the database before each search, so it
//! needs no hook in each write path and is right across restarts. Which hits a reader may open
//! is decided by `db::forum::readable_posts`, the same SQL rule as the lists and thread pages.

use crate::db::forum::{self, FoundRow, Reader};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use search_index::posts::PostIndex;
use search_index::Query;
use std::collections::HashMap;
use tokio::sync::Mutex;

/// Results shown on one page.
pub const SHOWN: usize = 50;

pub struct ForumSearch {
    index: PostIndex,
    synced: Mutex<Synced>,
}

/// What the index holds: each post's `updated_at` as applied, and the newest of them.
#[derive(Default)]
struct Synced {
    applied: HashMap<i64, DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
}

/// How far back each sync looks again: a write whose `updated_at` is older than the newest
/// applied (a transaction that committed late, or another instance's clock a little behind)
/// is still picked up; what is unchanged is skipped.
const OVERLAP_SECONDS: i64 = 300;

fn index_error(e: search_index::Error) -> AppError {
    AppError::Internal(e.to_string())
}

impl ForumSearch {
    pub fn new() -> AppResult<ForumSearch> {
        Ok(ForumSearch {
            index: PostIndex::new().map_err(index_error)?,
            synced: Mutex::new(Synced::default()),
        })
    }

    /// Applies posts changed since shortly before the last sync.
    pub async fn sync(&self, pool: &Pool) -> AppResult<()> {
        let mut synced = self.synced.lock().await;
        let since = synced
            .newest
            .map(|n| n - chrono::Duration::seconds(OVERLAP_SECONDS));
        let stale: Vec<i64> = forum::changed_since(pool, since)
            .await?
            .into_iter()
            .filter(|(id, at)| synced.applied.get(id) != Some(at))
            .map(|(id, _)| id)
            .collect();
        let changed = forum::posts_for_index(pool, &stale).await?;
        let changes: Vec<(i64, Option<(&str, &str)>)> = changed
            .iter()
            .map(|c| {
                let doc = (c.status != "removed").then_some((c.title.as_str(), c.source.as_str()));
                (c.id, doc)
            })
            .collect();
        self.index.apply(&changes).map_err(index_error)?;
        for c in &changed {
            synced.applied.insert(c.id, c.updated_at);
            synced.newest = synced.newest.max(Some(c.updated_at));
        }
        Ok(())
    }

    /// The posts matching `q` that the reader may open, best first, at most `SHOWN`; and how
    /// many there were in all.
    pub async fn search(
        &self,
        pool: &Pool,
        r: Reader<'_>,
        q: &str,
    ) -> AppResult<(Vec<FoundRow>, usize)> {
        self.sync(pool).await?;
        let ids = self.index.search(&Query::parse(q)).map_err(index_error)?;
        let mut rows = forum::readable_posts(pool, r, &ids).await?;
        let rank: std::collections::HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        rows.sort_by_key(|row| rank.get(&row.id).copied().unwrap_or(usize::MAX));
        let total = rows.len();
        rows.truncate(SHOWN);
        for row in &mut rows {
            row.source = excerpt(&row.source);
        }
        Ok((rows, total))
    }
}

/// The start of a post as one line of at most 240 characters, for a result list.
pub fn excerpt(source: &str) -> String {
    let line = source.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= 240 {
        return line;
    }
    let mut cut: String = line.chars().take(239).collect();
    cut.push('…');
    cut
}
