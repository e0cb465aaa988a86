//! Localities and the taxonomies (tiers, place types, key stages, needs).

use super::{Db, Pool};
use crate::domain::Locality;
use sqlx::{Executor, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct LocalityRow {
    pub id: i64,
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Term {
    pub key: String,
    pub name: String,
}

pub async fn localities(pool: &Pool) -> Result<Vec<LocalityRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, key, name FROM localities ORDER BY sort_order, name")
        .fetch_all(pool)
        .await
}

pub async fn insert_locality<'e, E: Executor<'e, Database = Db>>(
    e: E,
    l: &Locality,
    sort_order: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO localities (key, name, sort_order) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(l.key())
    .bind(l.name())
    .bind(sort_order)
    .fetch_one(e)
    .await
}

pub async fn place_types(pool: &Pool) -> Result<Vec<Term>, sqlx::Error> {
    sqlx::query_as("SELECT key, name FROM place_types ORDER BY sort_order")
        .fetch_all(pool)
        .await
}

pub async fn needs(pool: &Pool) -> Result<Vec<Term>, sqlx::Error> {
    sqlx::query_as("SELECT key, name FROM needs ORDER BY sort_order")
        .fetch_all(pool)
        .await
}

pub async fn key_stages(pool: &Pool) -> Result<Vec<Term>, sqlx::Error> {
    sqlx::query_as("SELECT key, name FROM key_stages ORDER BY sort_order")
        .fetch_all(pool)
        .await
}

/// A taxonomy term with the text that explains it (place types and tiers have definitions).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct DefinedTerm {
    pub key: String,
    pub name: String,
    pub definition: String,
}

pub async fn tiers(pool: &Pool) -> Result<Vec<DefinedTerm>, sqlx::Error> {
    sqlx::query_as(
        "SELECT CAST(tier AS TEXT) AS key, COALESCE(local_label, 'Tier ' || CAST(tier AS TEXT)) AS name, \
         dfe_meaning AS definition FROM tiers ORDER BY tier",
    )
    .fetch_all(pool)
    .await
}

pub async fn place_type_definitions(pool: &Pool) -> Result<Vec<DefinedTerm>, sqlx::Error> {
    sqlx::query_as("SELECT key, name, definition FROM place_types ORDER BY sort_order")
        .fetch_all(pool)
        .await
}
