//! Relevance, filters, drill-sideways facets, distance, and the index's life cycle.

use search_index::{Facet, Filters, Index, OpenState, ProviderDoc, SearchRequest, Sort};

fn doc(id: i64, name: &str, summary: &str) -> ProviderDoc {
    ProviderDoc {
        id,
        name: name.into(),
        summary: summary.into(),
        tiers: vec!["2".into()],
        place_types: vec!["vocational".into()],
        place_type_names: vec!["Vocational".into()],
        key_stages: vec!["KS4".into()],
        needs: vec!["SEMH".into()],
        need_names: vec!["Social, emotional and mental health".into()],
        locality: "a".into(),
        registration: "non_school".into(),
        on_framework: true,
        dd_approved: true,
        places_free: 3,
        sites: vec![(53.38, -1.47)],
        card: format!("{{\"id\":{id},\"name\":\"{name}\"}}"),
        ..ProviderDoc::default()
    }
}

fn corpus() -> Vec<ProviderDoc> {
    let mut v = vec![
        doc(
            1,
            "Forge Construction Skills",
            "Bricklaying and joinery on real building sites.",
        ),
        doc(
            2,
            "Don Valley Motor Skills",
            "Vehicle mechanics in a working garage.",
        ),
        doc(
            3,
            "Peak Edge Outdoor Learning",
            "Climbing and bushcraft; some construction of shelters.",
        ),
        doc(
            4,
            "Little Oaks Nurture Centre",
            "A nurture room for primary children.",
        ),
    ];
    v[1].tiers = vec!["2".into(), "3".into()];
    v[2].place_types = vec!["engagement".into()];
    v[2].locality = "b".into();
    v[2].sites = vec![(53.30, -1.60)];
    v[3].tiers = vec!["1".into()];
    v[3].place_types = vec!["outreach".into(), "engagement".into()];
    v[3].key_stages = vec!["KS1".into(), "KS2".into()];
    v[3].locality = "c".into();
    v[3].places_free = 0;
    v[3].registration = "registered_school".into();
    v
}

fn index() -> Index {
    let (ix, state) = Index::open(None).unwrap();
    assert_eq!(state, OpenState::NeedsRebuild);
    ix.replace_all(corpus()).unwrap();
    ix
}

fn ids(ix: &Index, req: SearchRequest) -> Vec<i64> {
    ix.search(&SearchRequest { limit: 100, ..req })
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

fn text(t: &str) -> SearchRequest {
    SearchRequest {
        text: t.into(),
        ..Default::default()
    }
}

#[test]
fn stemming_typos_and_exact_over_fuzzy() {
    let ix = index();
    assert_eq!(
        ids(&ix, text("mechanic")),
        vec![2],
        "stemming: mechanic ~ mechanics"
    );
    assert_eq!(
        ids(&ix, text("mecanics")),
        vec![2],
        "one-letter slip in a 5+ letter word"
    );
    let found = ids(&ix, text("contruction"));
    assert!(
        found.contains(&1) && found.contains(&3),
        "typo finds both construction providers"
    );
    // The exact word in the (boosted) name ranks first; a fuzzy-only match would rank below it.
    assert_eq!(ids(&ix, text("construction"))[0], 1);
    assert!(
        ids(&ix, text("cat")).is_empty(),
        "short words are not fuzzed"
    );
    assert!(
        ids(&ix, text("garage zzzzzzzz")).is_empty(),
        "every word must match"
    );
    assert_eq!(ids(&ix, text("Nürture")), vec![4], "accents fold");
}

#[test]
fn exact_match_scores_above_a_fuzzy_one() {
    let (ix, _) = Index::open(None).unwrap();
    // "plumping" stems to "plump", one edit from "plumb" (the stem of "plumbing").
    ix.replace_all(vec![
        doc(2, "Trades Hub", "plumping cushions"),
        doc(1, "Trades Centre", "plumbing"),
    ])
    .unwrap();
    let r = ix
        .search(&SearchRequest {
            text: "plumbing".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.hits.len(), 2, "{:?}", r.hits);
    assert_eq!(r.hits[0].id, 1);
    assert!(r.hits[0].score > r.hits[1].score);
}

#[test]
fn filters_or_within_and_across_with_drill_sideways_facets() {
    let ix = index();
    let f = |filters: Filters| {
        ids(
            &ix,
            SearchRequest {
                filters,
                ..Default::default()
            },
        )
    };
    assert_eq!(
        f(Filters {
            tiers: vec!["3".into()],
            ..Default::default()
        }),
        vec![2]
    );
    let mut one_or_three = f(Filters {
        tiers: vec!["1".into(), "3".into()],
        ..Default::default()
    });
    one_or_three.sort();
    assert_eq!(one_or_three, vec![2, 4], "values of one filter are OR'ed");
    assert_eq!(
        f(Filters {
            tiers: vec!["2".into()],
            localities: vec!["b".into()],
            ..Default::default()
        }),
        vec![3],
        "filters are AND'ed"
    );
    assert_eq!(
        f(Filters {
            has_places: Some(true),
            ..Default::default()
        })
        .len(),
        3
    );
    assert_eq!(
        f(Filters {
            registrations: vec!["registered_school".into()],
            ..Default::default()
        }),
        vec![4]
    );
    assert!(f(Filters {
        tiers: vec!["9".into()],
        ..Default::default()
    })
    .is_empty());

    // Drill-sideways: with tier 2 selected, the tier facet still counts every tier.
    let r = ix
        .search(&SearchRequest {
            filters: Filters {
                tiers: vec!["2".into()],
                ..Default::default()
            },
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 3);
    let tier = &r.facets[&Facet::Tier];
    assert_eq!((tier["1"], tier["2"], tier["3"]), (1, 3, 1));
    // Other facets count only the tier-2 results.
    let loc = &r.facets[&Facet::Locality];
    assert_eq!(
        (loc.get("a"), loc.get("b"), loc.get("c")),
        (Some(&2), Some(&1), None)
    );
    assert_eq!(r.facets[&Facet::KeyStage].get("KS1"), None);
}

#[test]
fn distance_radius_and_sorts() {
    let ix = index();
    let centre = (53.3811, -1.4701);
    let r = ix
        .search(&SearchRequest {
            near: Some(centre),
            sort: Sort::Distance,
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    // Hand-computed: (53.38, -1.47) is 0.13 km away; (53.30, -1.60) about 12.7 km.
    let d1 = r.hits[0].distance_km.unwrap();
    assert!((d1 - 0.13).abs() < 0.02, "{d1}");
    let last = r.hits.last().unwrap();
    assert_eq!(last.id, 3);
    assert!(
        (last.distance_km.unwrap() - 12.7).abs() < 0.3,
        "{:?}",
        last.distance_km
    );
    let near = ids(
        &ix,
        SearchRequest {
            near: Some(centre),
            radius_km: Some(5.0),
            ..Default::default()
        },
    );
    assert!(!near.contains(&3) && near.len() == 3);
    let by_name = ids(
        &ix,
        SearchRequest {
            sort: Sort::Name,
            ..Default::default()
        },
    );
    assert_eq!(by_name, vec![2, 1, 4, 3]);
}

#[test]
fn paging_and_totals() {
    let ix = index();
    let r = ix
        .search(&SearchRequest {
            sort: Sort::Name,
            offset: 1,
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(r.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![1, 4]);
}

#[test]
fn changes_show_after_flush_and_deletes_remove() {
    let ix = index();
    let mut d = doc(2, "Don Valley Motor Skills", "Now teaching welding too.");
    d.tiers = vec!["3".into()];
    ix.upsert(d);
    ix.upsert(doc(9, "Welding Works", "Fabrication"));
    ix.delete(4);
    ix.flush();
    assert_eq!(ix.len(), 4);
    let mut w = ids(&ix, text("welding"));
    w.sort();
    assert_eq!(w, vec![2, 9]);
    assert!(
        ids(&ix, text("mechanics")).is_empty(),
        "the old text is gone"
    );
    assert!(ids(&ix, text("nurture")).is_empty());
    assert!(!ix.contains(4));
}

#[test]
fn a_directory_index_survives_reopen_and_is_rebuilt_when_deleted_or_old() {
    let dir = tempdir();
    {
        let (ix, state) = Index::open(Some(&dir)).unwrap();
        assert_eq!(state, OpenState::NeedsRebuild);
        ix.replace_all(corpus()).unwrap();
    }
    let (ix, state) = Index::open(Some(&dir)).unwrap();
    assert_eq!(state, OpenState::Loaded);
    assert_eq!(ix.len(), 4, "columns rebuilt from stored documents");
    // Each hit carries its document's card, also after a reopen.
    let all = ix
        .search(&SearchRequest {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.hits.len(), 4);
    for h in &all.hits {
        assert!(
            h.card.starts_with(&format!("{{\"id\":{},", h.id)),
            "{}",
            h.card
        );
    }
    assert_eq!(
        ids(
            &ix,
            SearchRequest {
                filters: Filters {
                    tiers: vec!["3".into()],
                    ..Default::default()
                },
                ..Default::default()
            }
        ),
        vec![2]
    );
    drop(ix);

    std::fs::write(dir.join("apdir_schema_version"), "0").unwrap();
    let (ix, state) = Index::open(Some(&dir)).unwrap();
    assert_eq!(state, OpenState::NeedsRebuild, "older schema version");
    assert!(ix.is_empty());
    drop(ix);

    std::fs::remove_dir_all(&dir).unwrap();
    let (_, state) = Index::open(Some(&dir)).unwrap();
    assert_eq!(state, OpenState::NeedsRebuild, "deleted directory");

    // Garbage where the index should be.
    std::fs::write(dir.join("meta.json"), "not json").unwrap();
    let (_, state) = Index::open(Some(&dir)).unwrap();
    assert_eq!(state, OpenState::NeedsRebuild, "corrupt index");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "apdir-index-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    d
}
