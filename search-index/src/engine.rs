//! The tantivy index, its single writer thread, and search.

use crate::columns::Columns;
use crate::geo::haversine_km;
use crate::{Facet, Hit, ProviderDoc, SearchRequest, SearchResults, Sort};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{doc, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// A hit with its sort key (the lower-cased name), and an ordering over them.
type Ranked<'a> = (Hit, &'a str);
type Order<'a> = dyn Fn(&Ranked<'a>, &Ranked<'a>) -> std::cmp::Ordering + 'a;

/// Bump when the schema or analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;
const VERSION_FILE: &str = "apdir_schema_version";
pub(crate) const ANALYZER: &str = "apdir_en";

#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "search index: {}", self.0)
    }
}
impl std::error::Error for Error {}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error(e.to_string())
    }
}
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

/// How `Index::open` found the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// A current index was loaded.
    Loaded,
    /// There was none, or it was of another schema version or unreadable: it is empty now and
    /// the caller must `replace_all` from the database.
    NeedsRebuild,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    name: Field,
    body: Field,
    doc_json: Field,
}

struct Shared {
    reader: IndexReader,
    fields: Fields,
    columns: RwLock<Columns>,
}

enum Op {
    Upsert(Box<ProviderDoc>),
    Delete(i64),
    ReplaceAll(Vec<ProviderDoc>, Sender<Result<(), String>>),
    Flush(Sender<()>),
}

/// The search index. Cheap to share behind an `Arc`; all writes go through one thread.
pub struct Index {
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<Op>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Closing the channel ends the writer thread; waiting for it releases the index lock, so the
/// directory can be opened again at once.
impl Drop for Index {
    fn drop(&mut self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(handle) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let name = b.add_text_field("name", text.clone());
    let body = b.add_text_field("body", text);
    // The document itself, so the columns can be rebuilt from a loaded index.
    let doc_json = b.add_text_field("doc", STORED);
    (
        b.build(),
        Fields {
            id,
            name,
            body,
            doc_json,
        },
    )
}

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

impl Index {
    /// Opens the index in `dir` (created if needed), or in memory when `dir` is None.
    pub fn open(dir: Option<&Path>) -> Result<(Index, OpenState), Error> {
        let (schema, fields) = schema();
        let (index, state) = match dir {
            None => (
                tantivy::Index::create_in_ram(schema),
                OpenState::NeedsRebuild,
            ),
            Some(dir) => open_dir(dir, schema)?,
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // One indexing thread: the directory is small and the machine shares its cores.
        let writer: IndexWriter = index.writer_with_num_threads(1, 20_000_000)?;
        let shared = Arc::new(Shared {
            reader,
            fields,
            columns: RwLock::new(Columns::default()),
        });
        if state == OpenState::Loaded {
            load_columns(&shared)?;
        }
        let (tx, rx) = channel();
        let worker = shared.clone();
        let handle = std::thread::Builder::new()
            .name("search-index-writer".into())
            .spawn(move || writer_loop(worker, writer, rx))?;
        Ok((
            Index {
                shared,
                tx: Mutex::new(Some(tx)),
                worker: Mutex::new(Some(handle)),
            },
            state,
        ))
    }

    fn send(&self, op: Op) {
        if let Ok(Some(tx)) = self.tx.lock().as_deref() {
            let _ = tx.send(op);
        }
    }

    /// Queues a provider to be added or replaced (call after the database commit).
    pub fn upsert(&self, doc: ProviderDoc) {
        self.send(Op::Upsert(Box::new(doc)));
    }

    pub fn delete(&self, id: i64) {
        self.send(Op::Delete(id));
    }

    /// Replaces everything with `docs` and waits until it is searchable.
    pub fn replace_all(&self, docs: Vec<ProviderDoc>) -> Result<(), Error> {
        let (done, wait) = channel();
        self.send(Op::ReplaceAll(docs, done));
        wait.recv()
            .map_err(|_| Error("writer stopped".into()))?
            .map_err(Error)
    }

    /// Waits until every queued change is searchable.
    pub fn flush(&self) {
        let (done, wait) = channel();
        self.send(Op::Flush(done));
        let _ = wait.recv();
    }

    pub fn len(&self) -> usize {
        self.shared.columns.read().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, Error> {
        let scores = if req.text.trim().is_empty() {
            None
        } else {
            Some(self.text_scores(&req.text)?)
        };
        let columns = self
            .shared
            .columns
            .read()
            .map_err(|_| Error("columns poisoned".into()))?;
        let compiled = columns.compile(&req.filters);
        let mut counters = columns.counters();
        let mut hits: Vec<(Hit, &str)> = Vec::new();
        for row in &columns.rows {
            let score = match &scores {
                Some(s) => match s.get(&row.id) {
                    Some(sc) => *sc,
                    None => continue,
                },
                None => 0.0,
            };
            let distance = req.near.map(|p| {
                row.sites
                    .iter()
                    .map(|s| haversine_km(p, *s))
                    .fold(f64::INFINITY, f64::min)
            });
            let within = match (req.radius_km, distance) {
                (Some(r), Some(d)) => d <= r,
                _ => true,
            };
            let (failed, others) = columns.check(row, &compiled);
            if !(others && within) {
                continue;
            }
            // Drill-sideways: a facet counts the rows that pass every filter but its own.
            match failed.count_ones() {
                0 => {
                    for f in Facet::ALL {
                        columns.count_into(row, f, &mut counters);
                    }
                    let distance_km = distance.filter(|d| d.is_finite());
                    hits.push((
                        Hit {
                            id: row.id,
                            score,
                            distance_km,
                            card: row.card.clone(),
                        },
                        row.name_key.as_str(),
                    ));
                }
                1 => {
                    let f = Facet::ALL[failed.trailing_zeros() as usize];
                    columns.count_into(row, f, &mut counters);
                }
                _ => {}
            }
        }
        let text = scores.is_some();
        let rank = |h: &Hit| -> f64 {
            let s = f64::from(h.score);
            match h.distance_km {
                // Near a point, closeness lifts the score: 5 km halves it.
                Some(d) if text => s / (1.0 + d / 5.0),
                Some(d) => -d,
                None => s,
            }
        };
        let total = hits.len();
        // Only the requested page needs ordering: partition first, then sort that part.
        let by_name = |a: &(Hit, &str), b: &(Hit, &str)| a.1.cmp(b.1).then(a.0.id.cmp(&b.0.id));
        let by_distance = |a: &(Hit, &str), b: &(Hit, &str)| {
            let da = a.0.distance_km.unwrap_or(f64::INFINITY);
            let db = b.0.distance_km.unwrap_or(f64::INFINITY);
            da.total_cmp(&db).then(a.1.cmp(b.1))
        };
        let by_rank =
            |a: &(Hit, &str), b: &(Hit, &str)| rank(&b.0).total_cmp(&rank(&a.0)).then(a.1.cmp(b.1));
        let order: &Order<'_> = match (req.sort, text || req.near.is_some()) {
            (Sort::Name, _) | (Sort::Relevance, false) => &by_name,
            (Sort::Distance, _) => &by_distance,
            (Sort::Relevance, true) => &by_rank,
        };
        let wanted = req.offset.saturating_add(req.limit);
        if wanted < hits.len() && wanted > 0 {
            hits.select_nth_unstable_by(wanted - 1, |a, b| order(a, b));
            hits.truncate(wanted);
        }
        hits.sort_by(|a, b| order(a, b));
        let facets = columns.facet_counts(&counters);
        let hits = hits
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .map(|(h, _)| h)
            .collect();
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// Every provider matching the text, with its score. Each word must match (in the name or
    /// the body); words of 5+ letters also match one edit away, at a lower score.
    fn text_scores(&self, text: &str) -> Result<HashMap<i64, f32>, Error> {
        let f = self.shared.fields;
        let mut analyzer = analyzer();
        let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in crate::text::Query::parse(text).terms() {
            let mut stems = Vec::new();
            let mut stream = analyzer.token_stream(word);
            while stream.advance() {
                stems.push(stream.token().text.clone());
            }
            for stem in stems {
                let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (field, boost) in [(f.name, 3.0f32), (f.body, 1.0)] {
                    let term = Term::from_field_text(field, &stem);
                    let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                    shoulds.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(exact), 2.0 * boost)),
                    ));
                    if word.chars().count() >= 5 {
                        // Fuzzy matches score a constant: keep them below exact ones.
                        let fuzzy = FuzzyTermQuery::new(term, 1, true);
                        shoulds.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(fuzzy), 0.1 * boost)),
                        ));
                    }
                }
                musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
            }
        }
        if musts.is_empty() {
            return Ok(HashMap::new());
        }
        let query = BooleanQuery::new(musts);
        let searcher = self.shared.reader.searcher();
        let limit = (searcher.num_docs() as usize).max(1);
        let top = searcher.search(&query, &TopDocs::with_limit(limit))?;
        let mut out = HashMap::with_capacity(top.len());
        let mut id_columns = HashMap::new();
        for (score, addr) in top {
            let col = match id_columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(
                    searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .i64("id")?,
                ),
            };
            if let Some(id) = col.first(addr.doc_id) {
                out.insert(id, score);
            }
        }
        Ok(out)
    }

    /// Whether a provider is in the index (for tests and diagnostics).
    pub fn contains(&self, id: i64) -> bool {
        self.shared
            .columns
            .read()
            .map(|c| c.row(id).is_some())
            .unwrap_or(false)
    }
}

fn open_dir(dir: &Path, schema: Schema) -> Result<(tantivy::Index, OpenState), Error> {
    let version_path = dir.join(VERSION_FILE);
    let current = std::fs::read_to_string(&version_path)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        == Some(SCHEMA_VERSION);
    if current {
        if let Ok(index) = tantivy::Index::open_in_dir(dir) {
            if index.schema() == schema && index.load_metas().is_ok() {
                return Ok((index, OpenState::Loaded));
            }
        }
    }
    // Missing, old or unreadable: start again (it is derived data).
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let index = tantivy::Index::create_in_dir(dir, schema)?;
    write_version(dir)?;
    Ok((index, OpenState::NeedsRebuild))
}

fn write_version(dir: &Path) -> Result<(), Error> {
    let tmp: PathBuf = dir.join(format!("{VERSION_FILE}.tmp"));
    std::fs::write(&tmp, SCHEMA_VERSION.to_string())?;
    std::fs::rename(&tmp, dir.join(VERSION_FILE))?;
    Ok(())
}

/// Rebuilds the columns from the documents stored in the index.
fn load_columns(shared: &Shared) -> Result<(), Error> {
    let searcher = shared.reader.searcher();
    let mut columns = Columns::default();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc_id in segment.doc_ids_alive() {
            let doc: TantivyDocument = store.get(doc_id)?;
            if let Some(json) = doc
                .get_first(shared.fields.doc_json)
                .and_then(|v| v.as_str())
            {
                let d = decode(json).ok_or_else(|| Error("stored document unreadable".into()))?;
                columns.upsert(&d);
            }
        }
    }
    *shared
        .columns
        .write()
        .map_err(|_| Error("columns poisoned".into()))? = columns;
    Ok(())
}

fn writer_loop(shared: Arc<Shared>, mut writer: IndexWriter, rx: Receiver<Op>) {
    while let Ok(first) = rx.recv() {
        // Take whatever else is queued, so a burst of changes is one commit.
        let mut batch = vec![first];
        while let Ok(op) = rx.try_recv() {
            batch.push(op);
        }
        let mut waiters = Vec::new();
        let mut replace_waiters = Vec::new();
        let mut changed: Vec<Result<ProviderDoc, i64>> = Vec::new();
        let mut replaced: Option<Vec<ProviderDoc>> = None;
        for op in batch {
            match op {
                Op::Upsert(d) => {
                    writer.delete_term(Term::from_field_i64(shared.fields.id, d.id));
                    let _ = writer.add_document(to_doc(&shared.fields, &d));
                    changed.push(Ok(*d));
                }
                Op::Delete(id) => {
                    writer.delete_term(Term::from_field_i64(shared.fields.id, id));
                    changed.push(Err(id));
                }
                Op::ReplaceAll(docs, done) => {
                    let _ = writer.delete_all_documents();
                    for d in &docs {
                        let _ = writer.add_document(to_doc(&shared.fields, d));
                    }
                    changed.clear();
                    replaced = Some(docs);
                    replace_waiters.push(done);
                }
                Op::Flush(done) => waiters.push(done),
            }
        }
        let result = writer
            .commit()
            .map_err(|e| e.to_string())
            .and_then(|_| shared.reader.reload().map_err(|e| e.to_string()));
        if result.is_ok() {
            if let Ok(mut columns) = shared.columns.write() {
                if let Some(docs) = replaced {
                    *columns = Columns::default();
                    for d in &docs {
                        columns.upsert(d);
                    }
                }
                for c in &changed {
                    match c {
                        Ok(d) => columns.upsert(d),
                        Err(id) => columns.remove(*id),
                    }
                }
            }
        } else {
            let _ = writer.rollback();
        }
        for w in replace_waiters {
            let _ = w.send(result.clone());
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}

fn to_doc(f: &Fields, d: &ProviderDoc) -> TantivyDocument {
    let body = [
        d.summary.as_str(),
        d.description.as_str(),
        d.qualifications.as_str(),
        &d.place_type_names.join(" "),
        &d.need_names.join(" "),
        &d.needs.join(" "),
    ]
    .join("\n");
    doc!(
        f.id => d.id,
        f.name => d.name.clone(),
        f.body => body,
        f.doc_json => encode(d),
    )
}

/// A small line format for the stored document (no serde dependency): one field a line,
/// lists joined with U+001F, which no field contains after the app's validation.
fn encode(d: &ProviderDoc) -> String {
    let list = |v: &[String]| v.join("\u{1f}");
    let sites: Vec<String> = d.sites.iter().map(|(a, b)| format!("{a},{b}")).collect();
    [
        d.id.to_string(),
        d.name.replace('\n', " "),
        list(&d.tiers),
        list(&d.place_types),
        list(&d.key_stages),
        list(&d.needs),
        d.locality.clone(),
        d.registration.clone(),
        d.on_framework.to_string(),
        d.dd_approved.to_string(),
        d.places_free.to_string(),
        list(&sites),
        // Last, so a stray newline in it cannot shift the fields before it.
        d.card.replace('\n', " "),
    ]
    .join("\n")
}

fn decode(s: &str) -> Option<ProviderDoc> {
    let mut l = s.split('\n');
    let mut next = || l.next();
    let list = |v: &str| -> Vec<String> {
        if v.is_empty() {
            Vec::new()
        } else {
            v.split('\u{1f}').map(str::to_string).collect()
        }
    };
    let id = next()?.parse().ok()?;
    let name = next()?.to_string();
    let tiers = list(next()?);
    let place_types = list(next()?);
    let key_stages = list(next()?);
    let needs = list(next()?);
    let locality = next()?.to_string();
    let registration = next()?.to_string();
    let on_framework = next()?.parse().ok()?;
    let dd_approved = next()?.parse().ok()?;
    let places_free = next()?.parse().ok()?;
    let sites = list(next()?)
        .iter()
        .filter_map(|p| {
            let (a, b) = p.split_once(',')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    let card = next()?.to_string();
    Some(ProviderDoc {
        id,
        name,
        tiers,
        place_types,
        key_stages,
        needs,
        locality,
        registration,
        on_framework,
        dd_approved,
        places_free,
        sites,
        card,
        ..ProviderDoc::default()
    })
}
