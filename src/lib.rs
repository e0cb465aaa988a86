//! apdir: an alternative provision directory and provider framework for English councils.
//! `build` assembles the whole application; the binary and the tests both call it.

pub mod account;
pub mod admin;
pub mod api;
pub mod attendance;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod error;
pub mod forum;
pub mod framework;
pub mod geo;
pub mod home;
pub mod notify;
pub mod openapi;
pub mod openreferral;
pub mod outcomes;
pub mod pages;
pub mod placements;
pub mod pupils;
pub mod schools;
pub mod web;

use config::Config;
use rocket::figment::Figment;
use rocket::{Build, Rocket};
use std::sync::Arc;

/// What every handler can reach.
pub struct AppState {
    pub pool: db::Pool,
    pub config: Arc<Config>,
    pub templates: web::Templates,
    /// The forum's post index, brought up to date from SQL before each search.
    pub forum_search: Arc<forum::search::ForumSearch>,
}

/// Connects, migrates and assembles the app. `figment` is Rocket's own configuration
/// (address, port, secret key, limits).
pub async fn build(config: Config, figment: Figment) -> anyhow::Result<Rocket<Build>> {
    let url = config.database_url().map_err(anyhow::Error::msg)?;
    let pool = db::connect(&url).await?;
    db::migrate(&pool).await?;
    assemble(config, pool, figment)
}

/// Mounts every capability's routes in one place.
pub fn assemble(config: Config, pool: db::Pool, figment: Figment) -> anyhow::Result<Rocket<Build>> {
    let forum_search =
        Arc::new(forum::search::ForumSearch::new().map_err(|e| anyhow::anyhow!("{e}"))?);
    let state = AppState {
        pool,
        config: Arc::new(config),
        templates: web::Templates::new(),
        forum_search,
    };
    // Evidence uploads: up to 10 MB a file (unless configured otherwise).
    let figment = figment
        .join(("limits.file", "10 MiB"))
        .join(("limits.data-form", "11 MiB"));
    Ok(rocket::custom(figment)
        .manage(state)
        .attach(web::fairings::RequestLog)
        .attach(web::fairings::SecurityHeaders)
        .mount("/", home::routes())
        .mount("/", account::routes())
        .mount("/", directory::routes())
        .mount("/", directory::profile::routes())
        .mount("/", pupils::routes())
        .mount("/", admin::routes())
        .mount("/", pages::routes())
        .mount("/", notify::pages::routes())
        .mount("/", framework::routes())
        .mount("/", placements::routes())
        .mount("/", admin::calendar::routes())
        .mount("/", admin::tokens::routes())
        .mount("/", schools::routes())
        .mount("/", forum::pages::routes())
        .mount("/", forum::admin::routes())
        .mount("/", attendance::routes())
        .mount("/", outcomes::routes())
        .mount("/", rocket::routes![web::static_file])
        .mount("/api/v1", api::routes())
        .mount("/api/v1", placements::records::api_routes())
        .mount("/api/v1", attendance::api::routes())
        .mount("/api/v1", openapi::routes())
        .mount("/openreferral", openreferral::routes())
        .register("/", web::catchers::catchers())
        // The mail sender and the daily jobs run inside the server once it is listening.
        .attach(rocket::fairing::AdHoc::on_liftoff("jobs", |rocket| {
            Box::pin(async move {
                let Some(state) = rocket.state::<AppState>() else {
                    return;
                };
                // Fill the forum's search index now rather than on the first search.
                let (pool, search) = (state.pool.clone(), state.forum_search.clone());
                tokio::spawn(async move {
                    if let Err(e) = search.sync(&pool).await {
                        tracing::warn!(error = %e, "forum search index not filled at start");
                    }
                });
                if !state.config.background_jobs {
                    return;
                }
                if let Err(e) = notify::runner::spawn(state.pool.clone(), state.config.clone()) {
                    tracing::error!(error = %e, "mail and jobs not started: check the mail settings");
                }
            })
        }))
        // The search index is derived from SQL: opened (or rebuilt) before the server starts.
        .attach(rocket::fairing::AdHoc::try_on_ignite(
            "search index",
            |rocket| async move {
                let Some(state) = rocket.state::<AppState>() else {
                    return Err(rocket);
                };
                match directory::index::open(&state.pool, &state.config.data_dir).await {
                    Ok(search) => {
                        let sync = (state.pool.clone(), search.clone());
                        Ok(rocket
                            .manage(search)
                            .attach(rocket::fairing::AdHoc::on_liftoff(
                                "search index sync",
                                move |_| {
                                    Box::pin(async move {
                                        directory::index::spawn_sync(
                                            sync.0,
                                            sync.1,
                                            std::time::Duration::from_secs(5),
                                        );
                                    })
                                },
                            )))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not open the search index");
                        Err(rocket)
                    }
                }
            },
        )))
}
