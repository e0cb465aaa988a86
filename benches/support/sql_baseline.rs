//! The SQL baseline the search index is measured against: the same requests answered by the
//! database alone. Text through SQLite FTS5 (porter stemming, bm25 with the name weighted 3×) or
//! PostgreSQL full text search (`tsvector`, GIN index, `ts_rank`); filters as `EXISTS` over the
//! link tables; distance as a haversine in SQL over every site; total, page and each of the five
//! drill-sideways facets as their own query (7 per search). It has no typo tolerance, so it does
//! less work than the index on misspelt words.

use apdir::db::{self, Pool};
use search_index::{Facet, ProviderDoc, SearchRequest, Sort};
use sqlx::QueryBuilder;

const POSTGRES: bool = cfg!(feature = "postgres");

/// Builds the full-text table from the same documents the index is built from.
pub async fn prepare(pool: &Pool, docs: &[ProviderDoc]) -> Result<(), sqlx::Error> {
    if POSTGRES {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_fts (id BIGINT PRIMARY KEY, doc tsvector NOT NULL)",
        )
        .execute(pool)
        .await?;
    } else {
        sqlx::query("CREATE VIRTUAL TABLE IF NOT EXISTS bench_fts USING fts5(name, body, tokenize = 'porter unicode61')")
            .execute(pool)
            .await?;
    }
    let mut tx = pool.begin().await?;
    for d in docs {
        let body = [
            d.summary.as_str(),
            &d.description,
            &d.qualifications,
            &d.place_type_names.join(" "),
            &d.need_names.join(" "),
        ]
        .join(" ");
        if POSTGRES {
            sqlx::query(
                "INSERT INTO bench_fts (id, doc) VALUES ($1, setweight(to_tsvector('english', $2), 'A') || to_tsvector('english', $3))",
            )
            .bind(d.id)
            .bind(&d.name)
            .bind(&body)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("INSERT INTO bench_fts (rowid, name, body) VALUES ($1, $2, $3)")
                .bind(d.id)
                .bind(&d.name)
                .bind(&body)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    if POSTGRES {
        sqlx::query("CREATE INDEX IF NOT EXISTS bench_fts_doc ON bench_fts USING GIN (doc)")
            .execute(pool)
            .await?;
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// What one search returns: total, the page's ids, and the facet counts (for a sanity check
/// against the index).
pub struct Answer {
    pub total: i64,
    pub ids: Vec<i64>,
    pub facet_values: usize,
}

fn words(text: &str) -> Vec<String> {
    search_index::terms(text)
}

/// The text condition's argument: FTS5 wants quoted terms (AND by default); PostgreSQL takes
/// the words to `plainto_tsquery`, which ANDs them.
fn text_arg(text: &str) -> Option<String> {
    let w = words(text);
    if w.is_empty() {
        return None;
    }
    Some(if POSTGRES {
        w.join(" ")
    } else {
        w.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn haversine(qb: &mut QueryBuilder<'_, db::Db>, (lat, lon): (f64, f64)) {
    qb.push("(SELECT MIN(2 * 6371.0088 * asin(sqrt(power(sin(radians(s.latitude - ")
        .push_bind(lat)
        .push(") / 2), 2) + cos(radians(")
        .push_bind(lat)
        .push(")) * cos(radians(s.latitude)) * power(sin(radians(s.longitude - ")
        .push_bind(lon)
        .push(") / 2), 2)))) FROM provider_sites s WHERE s.provider_id = p.id AND s.latitude IS NOT NULL)");
}

fn in_list<'a, T>(qb: &mut QueryBuilder<'a, db::Db>, values: &'a [T])
where
    T: 'a + sqlx::Encode<'a, db::Db> + sqlx::Type<db::Db> + Send + Sync,
    &'a T: sqlx::Encode<'a, db::Db>,
{
    qb.push("(");
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    qb.push(")");
}

/// Every filter of the request except `skip` (drill-sideways), as `AND ...` clauses on `p`.
fn filters<'a>(
    qb: &mut QueryBuilder<'a, db::Db>,
    r: &'a SearchRequest,
    tiers: &'a [i64],
    text: &'a Option<String>,
    skip: Option<Facet>,
) {
    let f = &r.filters;
    if let Some(t) = text {
        if POSTGRES {
            qb.push(
                " AND p.id IN (SELECT id FROM bench_fts WHERE doc @@ plainto_tsquery('english', ",
            )
            .push_bind(t)
            .push("))");
        } else {
            qb.push(" AND p.id IN (SELECT rowid FROM bench_fts WHERE bench_fts MATCH ")
                .push_bind(t)
                .push(")");
        }
    }
    if !tiers.is_empty() && skip != Some(Facet::Tier) {
        qb.push(
            " AND EXISTS (SELECT 1 FROM provider_tiers x WHERE x.provider_id = p.id AND x.tier IN ",
        );
        in_list(qb, tiers);
        qb.push(")");
    }
    for (facet, values, table, column) in [
        (
            Facet::PlaceType,
            &f.place_types,
            "provider_place_types",
            "place_type_key",
        ),
        (
            Facet::KeyStage,
            &f.key_stages,
            "provider_key_stages",
            "key_stage_key",
        ),
        (Facet::Need, &f.needs, "provider_needs", "need_key"),
    ] {
        if !values.is_empty() && skip != Some(facet) {
            qb.push(format!(
                " AND EXISTS (SELECT 1 FROM {table} x WHERE x.provider_id = p.id AND x.{column} IN "
            ));
            in_list(qb, values);
            qb.push(")");
        }
    }
    if !f.localities.is_empty() && skip != Some(Facet::Locality) {
        qb.push(" AND p.locality_id IN (SELECT id FROM localities WHERE key IN ");
        in_list(qb, &f.localities);
        qb.push(")");
    }
    if !f.registrations.is_empty() {
        qb.push(" AND p.registration IN ");
        in_list(qb, &f.registrations);
    }
    if let Some(v) = f.on_framework {
        qb.push(" AND p.on_framework = ").push_bind(v);
    }
    if let Some(v) = f.dd_approved {
        qb.push(if v {
            " AND p.dd_status IN ('approved', 'expiring')"
        } else {
            " AND p.dd_status NOT IN ('approved', 'expiring')"
        });
    }
    if let Some(v) = f.has_places {
        qb.push(if v {
            " AND p.places_free > 0"
        } else {
            " AND p.places_free = 0"
        });
    }
    if let (Some(p), Some(radius)) = (r.near, r.radius_km) {
        qb.push(" AND ");
        haversine(qb, p);
        qb.push(" <= ").push_bind(radius);
    }
}

/// Answers one request with 7 queries.
pub async fn search(pool: &Pool, r: &SearchRequest) -> Result<Answer, sqlx::Error> {
    let text = text_arg(&r.text);
    let tiers: Vec<i64> = r
        .filters
        .tiers
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();

    let mut qb = QueryBuilder::<db::Db>::new("SELECT COUNT(*) FROM providers p WHERE 1 = 1");
    filters(&mut qb, r, &tiers, &text, None);
    let total: i64 = qb.build_query_scalar().fetch_one(pool).await?;

    // The page: relevance by the text engine's rank, or distance, or name.
    let mut qb = QueryBuilder::<db::Db>::new("SELECT p.id FROM providers p");
    match (&text, POSTGRES) {
        (Some(t), true) => {
            qb.push(" JOIN bench_fts f ON f.id = p.id, plainto_tsquery('english', ")
                .push_bind(t)
                .push(") q");
        }
        (Some(t), false) => {
            qb.push(" JOIN (SELECT rowid AS id, bm25(bench_fts, 3.0, 1.0) AS rank FROM bench_fts WHERE bench_fts MATCH ")
                .push_bind(t)
                .push(") f ON f.id = p.id");
        }
        _ => {}
    }
    qb.push(" WHERE 1 = 1");
    if text.is_some() && POSTGRES {
        qb.push(" AND f.doc @@ q");
    }
    filters(&mut qb, r, &tiers, &None, None);
    match (r.sort, r.near, &text) {
        (Sort::Distance, Some(p), _) => {
            qb.push(" ORDER BY ");
            haversine(&mut qb, p);
            qb.push(", p.name");
        }
        (Sort::Name, _, _) | (_, _, None) => {
            qb.push(" ORDER BY p.name, p.id");
        }
        (_, _, Some(_)) => {
            qb.push(if POSTGRES {
                " ORDER BY ts_rank(f.doc, q) DESC, p.name"
            } else {
                " ORDER BY f.rank, p.name"
            });
        }
    }
    qb.push(" LIMIT ")
        .push_bind(r.limit as i64)
        .push(" OFFSET ")
        .push_bind(r.offset as i64);
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(pool).await?;

    let mut facet_values = 0;
    for facet in Facet::ALL {
        let (select, group) = match facet {
            Facet::Tier => (
                "SELECT CAST(x.tier AS TEXT), COUNT(*) FROM provider_tiers x JOIN providers p ON p.id = x.provider_id WHERE 1 = 1",
                " GROUP BY x.tier",
            ),
            Facet::PlaceType => (
                "SELECT x.place_type_key, COUNT(*) FROM provider_place_types x JOIN providers p ON p.id = x.provider_id WHERE 1 = 1",
                " GROUP BY x.place_type_key",
            ),
            Facet::KeyStage => (
                "SELECT x.key_stage_key, COUNT(*) FROM provider_key_stages x JOIN providers p ON p.id = x.provider_id WHERE 1 = 1",
                " GROUP BY x.key_stage_key",
            ),
            Facet::Need => (
                "SELECT x.need_key, COUNT(*) FROM provider_needs x JOIN providers p ON p.id = x.provider_id WHERE 1 = 1",
                " GROUP BY x.need_key",
            ),
            Facet::Locality => (
                "SELECT l.key, COUNT(*) FROM providers p JOIN localities l ON l.id = p.locality_id WHERE 1 = 1",
                " GROUP BY l.key",
            ),
        };
        let mut qb = QueryBuilder::<db::Db>::new(select);
        filters(&mut qb, r, &tiers, &text, Some(facet));
        qb.push(group);
        let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await?;
        facet_values += rows.len();
    }
    Ok(Answer {
        total,
        ids,
        facet_values,
    })
}
