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
use tokio::sync::Mutex;

/// Results shown on one page.
pub const SHOWN: usize = 50;

pub struct ForumSearch {
    index: PostIndex,
    /// The newest `updated_at` applied to the index; None until the first sync.
    synced: Mutex<Option<DateTime<Utc>>>,
}

fn index_error(e: search_index::Error) -> AppError {
    AppError::Internal(e.to_string())
}

impl ForumSearch {
    pub fn new() -> AppResult<ForumSearch> {
        Ok(ForumSearch {
            index: PostIndex::new().map_err(index_error)?,
            synced: Mutex::new(None),
        })
    }

    /// Applies posts changed since the last sync (rows at the same instant are applied again,
    /// which is harmless, so none is missed).
    pub async fn sync(&self, pool: &Pool) -> AppResult<()> {
        let mut synced = self.synced.lock().await;
        let changed = forum::changed_since(pool, *synced).await?;
        let changes: Vec<(i64, Option<(&str, &str)>)> = changed
            .iter()
            .map(|c| {
                let doc = (c.status != "removed").then_some((c.title.as_str(), c.source.as_str()));
                (c.id, doc)
            })
            .collect();
        self.index.apply(&changes).map_err(index_error)?;
        if let Some(last) = changed.iter().map(|c| c.updated_at).max() {
            *synced = Some(last);
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
