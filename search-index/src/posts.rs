//! Full-text search over forum posts: an in-memory tantivy index of each post's thread title and
//! Markdown source, with the directory's English analysis. It answers post ids only; which of
//! them a reader may open is decided by the app's SQL, the same rule its lists use.

use crate::engine::{analyzer, Error, ANALYZER};
use crate::text::Query;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
};
use tantivy::{doc, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The most ids one search returns, best first (the forum is small; the app then filters).
pub const MAX_HITS: usize = 1000;

pub struct PostIndex {
    index: tantivy::Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    id: Field,
    title: Field,
    body: Field,
}

impl PostIndex {
    pub fn new() -> Result<PostIndex, Error> {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let id = b.add_i64_field("id", INDEXED | STORED | FAST);
        let title = b.add_text_field("title", text.clone());
        let body = b.add_text_field("body", text);
        let index = tantivy::Index::create_in_ram(b.build());
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, 15_000_000)?;
        Ok(PostIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            id,
            title,
            body,
        })
    }

    /// Applies a batch of changes: `Some((title, text))` adds or replaces a post, `None`
    /// removes it. Committed and visible to searches when this returns.
    pub fn apply(&self, changes: &[(i64, Option<(&str, &str)>)]) -> Result<(), Error> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut w = self
            .writer
            .lock()
            .map_err(|_| Error("the post index writer panicked".into()))?;
        for (id, doc) in changes {
            w.delete_term(Term::from_field_i64(self.id, *id));
            if let Some((title, body)) = doc {
                w.add_document(doc!(self.id => *id, self.title => *title, self.body => *body))?;
            }
        }
        w.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Post ids matching every word of the query, best first.
    pub fn search(&self, query: &Query) -> Result<Vec<i64>, Error> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut parser = QueryParser::for_index(&self.index, vec![self.title, self.body]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(self.title, 2.0);
        // Terms are letters and digits only, so nothing here is query syntax.
        let (q, _) = parser.parse_query_lenient(&query.terms().join(" "));
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(MAX_HITS))?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = d.get_first(self.id).and_then(|v| v.as_i64()) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_stemmed_words_and_forgets_removed_posts() {
        let ix = PostIndex::new().expect("index");
        ix.apply(&[
            (
                1,
                Some(("Phased returns", "Half days worked for our pupils")),
            ),
            (2, Some(("Maths", "Entry Level maths resources"))),
        ])
        .expect("apply");
        assert_eq!(
            ix.search(&Query::parse("returning pupil")).expect("s"),
            vec![1]
        );
        assert_eq!(ix.search(&Query::parse("maths")).expect("s"), vec![2]);
        assert!(ix
            .search(&Query::parse("maths pupils"))
            .expect("s")
            .is_empty());
        ix.apply(&[
            (2, None),
            (1, Some(("Phased returns", "Edited: maths too"))),
        ])
        .expect("apply");
        assert_eq!(ix.search(&Query::parse("maths")).expect("s"), vec![1]);
        assert_eq!(ix.len(), 1);
    }
}
