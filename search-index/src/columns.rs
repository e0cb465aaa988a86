//! In-memory columns for filtering, faceting and distance: one small row per provider.

use crate::{Facet, Filters, ProviderDoc};
use std::collections::{BTreeMap, HashMap};

/// Values of one facet, interned: a provider's values are a bit set over them (at most 64
/// values per multi-valued facet; localities are single-valued and unbounded).
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    values: Vec<String>,
    index: HashMap<String, u32>,
}

impl Dictionary {
    fn intern(&mut self, v: &str) -> u32 {
        if let Some(i) = self.index.get(v) {
            return *i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.to_string());
        self.index.insert(v.to_string(), i);
        i
    }
    fn get(&self, v: &str) -> Option<u32> {
        self.index.get(v).copied()
    }
    pub fn value(&self, i: u32) -> &str {
        &self.values[i as usize]
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub name_key: String,
    /// Bit sets over the dictionaries of tier, place type, key stage and need.
    pub multi: [u64; 4],
    pub locality: u32,
    pub registration: u32,
    pub on_framework: bool,
    pub dd_approved: bool,
    pub has_places: bool,
    pub sites: Vec<(f64, f64)>,
    pub card: std::sync::Arc<str>,
}

/// The multi-valued facets, in `Row::multi` order.
const MULTI: [Facet; 4] = [Facet::Tier, Facet::PlaceType, Facet::KeyStage, Facet::Need];

#[derive(Debug, Default, Clone)]
pub struct Columns {
    pub rows: Vec<Row>,
    by_id: HashMap<i64, usize>,
    /// Dictionaries for tier, place type, key stage, need (as `MULTI`), then locality,
    /// registration.
    dicts: [Dictionary; 6],
}

/// A filter compiled against the dictionaries.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Per multi facet: the wanted bit set, or None for "any".
    multi: [Option<u64>; 4],
    localities: Option<Vec<u32>>,
    registrations: Option<Vec<u32>>,
    on_framework: Option<bool>,
    dd_approved: Option<bool>,
    has_places: Option<bool>,
}

impl Columns {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn upsert(&mut self, d: &ProviderDoc) {
        let lists = [&d.tiers, &d.place_types, &d.key_stages, &d.needs];
        let mut multi = [0u64; 4];
        for (k, list) in lists.iter().enumerate() {
            for v in list.iter() {
                let bit = self.dicts[k].intern(v);
                if bit < 64 {
                    multi[k] |= 1 << bit;
                }
            }
        }
        let row = Row {
            id: d.id,
            name_key: d.name.to_lowercase(),
            multi,
            locality: self.dicts[4].intern(&d.locality),
            registration: self.dicts[5].intern(&d.registration),
            on_framework: d.on_framework,
            dd_approved: d.dd_approved,
            has_places: d.places_free > 0,
            sites: d.sites.clone(),
            card: d.card.as_str().into(),
        };
        match self.by_id.get(&d.id) {
            Some(&i) => self.rows[i] = row,
            None => {
                self.by_id.insert(d.id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    pub fn remove(&mut self, id: i64) {
        if let Some(i) = self.by_id.remove(&id) {
            self.rows.swap_remove(i);
            if let Some(moved) = self.rows.get(i) {
                self.by_id.insert(moved.id, i);
            }
        }
    }

    pub fn row(&self, id: i64) -> Option<&Row> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    /// Unknown values match nothing (a filter on a value no provider has finds none).
    pub fn compile(&self, f: &Filters) -> Compiled {
        let lists = [&f.tiers, &f.place_types, &f.key_stages, &f.needs];
        let mut multi = [None; 4];
        for (k, list) in lists.iter().enumerate() {
            if !list.is_empty() {
                let mut mask = 0u64;
                for v in list.iter() {
                    if let Some(bit) = self.dicts[k].get(v).filter(|b| *b < 64) {
                        mask |= 1 << bit;
                    }
                }
                multi[k] = Some(mask);
            }
        }
        let set = |dict: &Dictionary, vals: &[String]| {
            (!vals.is_empty()).then(|| {
                vals.iter()
                    .filter_map(|v| dict.get(v))
                    .collect::<Vec<u32>>()
            })
        };
        Compiled {
            multi,
            localities: set(&self.dicts[4], &f.localities),
            registrations: set(&self.dicts[5], &f.registrations),
            on_framework: f.on_framework,
            dd_approved: f.dd_approved,
            has_places: f.has_places,
        }
    }

    /// Which facet filters a row fails (bit per `Facet` in `Facet::ALL` order), and whether it
    /// passes the non-facet filters.
    pub fn check(&self, row: &Row, c: &Compiled) -> (u8, bool) {
        let mut failed = 0u8;
        for (k, facet) in MULTI.iter().enumerate() {
            if let Some(mask) = c.multi[k] {
                if row.multi[k] & mask == 0 {
                    failed |= 1 << (*facet as u8);
                }
            }
        }
        if let Some(l) = &c.localities {
            if !l.contains(&row.locality) {
                failed |= 1 << (Facet::Locality as u8);
            }
        }
        let others = c
            .registrations
            .as_ref()
            .is_none_or(|r| r.contains(&row.registration))
            && c.on_framework.is_none_or(|v| row.on_framework == v)
            && c.dd_approved.is_none_or(|v| row.dd_approved == v)
            && c.has_places.is_none_or(|v| row.has_places == v);
        (failed, others)
    }

    /// Empty counters for every facet: one slot per interned value.
    pub fn counters(&self) -> Counters {
        Counters([
            vec![0; self.dicts[0].values.len()],
            vec![0; self.dicts[4].values.len()],
            vec![0; self.dicts[1].values.len()],
            vec![0; self.dicts[2].values.len()],
            vec![0; self.dicts[3].values.len()],
        ])
    }

    /// Adds a row's values to the counts of one facet (no allocation: this is the hot loop).
    pub fn count_into(&self, row: &Row, facet: Facet, counters: &mut Counters) {
        let slot = &mut counters.0[facet as usize];
        if facet == Facet::Locality {
            slot[row.locality as usize] += 1;
            return;
        }
        let k = MULTI.iter().position(|f| *f == facet).unwrap_or(0);
        let mut bits = row.multi[k];
        while bits != 0 {
            slot[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }

    /// The counters as value → count, leaving out values no row has.
    pub fn facet_counts(&self, counters: &Counters) -> BTreeMap<Facet, BTreeMap<String, u32>> {
        Facet::ALL
            .iter()
            .map(|f| {
                let dict = match f {
                    Facet::Tier => &self.dicts[0],
                    Facet::Locality => &self.dicts[4],
                    Facet::PlaceType => &self.dicts[1],
                    Facet::KeyStage => &self.dicts[2],
                    Facet::Need => &self.dicts[3],
                };
                let counts = counters.0[*f as usize]
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(i, n)| (dict.value(i as u32).to_string(), *n))
                    .collect();
                (*f, counts)
            })
            .collect()
    }
}

/// Facet counters indexed by `Facet as usize`, then by interned value.
pub struct Counters([Vec<u32>; 5]);
