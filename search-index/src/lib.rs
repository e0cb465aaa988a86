//! Search over the AP directory. This crate knows nothing of SQL or HTTP: the app hands it
//! `ProviderDoc`s (derived from the database) and asks it `SearchRequest`s.
//!
//! - Text: tantivy over name (boosted), summary, description, qualifications, place types and
//!   needs, with English stemming and accent folding. Each query word must match; a word of 5+
//!   letters also matches one edit away (a typo), scored below an exact match.
//! - Filters, facets and distance: an in-memory column per provider (bit sets for tiers, place
//!   types, key stages and needs; the locality; site coordinates), kept in step with the index by
//!   the single writer thread. One pass over the candidates gives the hits and drill-sideways
//!   facet counts (a facet's counts ignore that facet's own selection).
//! - One writer thread owns the `IndexWriter`, fed by a channel; each batch is committed and the
//!   reader reloaded, so changes show within a second. A schema version file makes an index of
//!   an older version (or a corrupt one) be rebuilt from the documents the app supplies.

mod columns;
mod engine;
pub mod geo;
pub mod posts;
pub mod text;

pub use engine::{Error, Index, OpenState, SCHEMA_VERSION};
pub use text::{terms, Query, MAX_TERMS, MAX_TERM_LEN};

use std::collections::BTreeMap;

/// A provider as the index sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderDoc {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub description: String,
    pub qualifications: String,
    /// Keys from the taxonomies: tiers "1".."3", place types, key stages "KS1".., need codes.
    pub tiers: Vec<String>,
    pub place_types: Vec<String>,
    /// Display names of the place types and needs, searched as text.
    pub place_type_names: Vec<String>,
    pub key_stages: Vec<String>,
    pub needs: Vec<String>,
    pub need_names: Vec<String>,
    pub locality: String,
    pub registration: String,
    pub on_framework: bool,
    /// Due diligence allows new placements (approved or expiring).
    pub dd_approved: bool,
    pub places_free: i64,
    /// Site coordinates (latitude, longitude).
    pub sites: Vec<(f64, f64)>,
    /// What the app shows for a hit (apdir: the result as JSON), kept as given and returned
    /// with each hit, so a page of results needs no database read. One line: no `\n`.
    pub card: String,
}

/// The facets, in the order pages show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    Tier,
    Locality,
    PlaceType,
    KeyStage,
    Need,
}

impl Facet {
    pub const ALL: [Facet; 5] = [
        Facet::Tier,
        Facet::Locality,
        Facet::PlaceType,
        Facet::KeyStage,
        Facet::Need,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Facet::Tier => "tier",
            Facet::Locality => "locality",
            Facet::PlaceType => "place_type",
            Facet::KeyStage => "key_stage",
            Facet::Need => "need",
        }
    }
}

/// Filters: values of one filter are OR'ed, different filters AND'ed. Empty means "any".
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub tiers: Vec<String>,
    pub localities: Vec<String>,
    pub place_types: Vec<String>,
    pub key_stages: Vec<String>,
    pub needs: Vec<String>,
    pub registrations: Vec<String>,
    pub on_framework: Option<bool>,
    pub dd_approved: Option<bool>,
    pub has_places: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Text score (blended with distance when a point is given); by name without text.
    #[default]
    Relevance,
    Distance,
    Name,
}

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub filters: Filters,
    /// (latitude, longitude) to measure distance from.
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
    pub distance_km: Option<f64>,
    /// The document's `card`.
    pub card: std::sync::Arc<str>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Per facet, value → number of providers (drill-sideways).
    pub facets: BTreeMap<Facet, BTreeMap<String, u32>>,
}
