//! The home page: public landing, or a home for each role.

use crate::auth::session::Viewer;
use crate::db;
use crate::db::pupils::PupilScope;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::{get, routes, Route, State};

pub fn routes() -> Vec<Route> {
    routes![home]
}

#[get("/")]
async fn home(page: Page<'_>, viewer: &Viewer, state: &State<AppState>) -> AppResult<Reply> {
    let pool = &state.pool;
    let Some(user) = viewer.user() else {
        let (provider_count, places_free) = db::providers::totals(pool).await?;
        return page.ok(
            "home/public.html.j2",
            context! { provider_count, places_free,
            place_types => db::reference::place_types(pool).await? },
        );
    };
    match user.role {
        Role::School => {
            let school_id = user
                .school_id
                .ok_or(AppError::Forbidden("No school".into()))?;
            let school = db::schools::get(pool, school_id)
                .await?
                .ok_or(AppError::NotFound)?;
            // Counting is not reading pupil data; the list page is audited.
            let pupils = db::pupils::count(pool, PupilScope::School(school_id)).await?;
            let placements =
                crate::placements::deadlines::summary(pool, PupilScope::School(school_id)).await?;
            page.ok(
                "home/school.html.j2",
                context! { school, pupils, placements, role => "school" },
            )
        }
        Role::Provider => {
            let provider_id = user
                .provider_id
                .ok_or(AppError::Forbidden("No provider".into()))?;
            let provider = db::providers::by_id(pool, provider_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let placements =
                crate::placements::deadlines::summary(pool, PupilScope::Provider(provider_id))
                    .await?;
            page.ok(
                "home/provider.html.j2",
                context! { provider, placements, role => "provider" },
            )
        }
        Role::Progressions => {
            let statuses = db::providers::count_by_status(pool).await?;
            let attention = db::providers::needing_attention(pool).await?;
            let pupils = db::pupils::count(pool, PupilScope::Progressions).await?;
            let placements =
                crate::placements::deadlines::summary(pool, PupilScope::Progressions).await?;
            page.ok(
                "home/progressions.html.j2",
                context! { statuses, attention, pupils, placements, role => "progressions" },
            )
        }
        Role::Taskforce => {
            let supply = db::providers::supply_by_tier(pool).await?;
            let statuses = db::providers::count_by_status(pool).await?;
            page.ok("home/taskforce.html.j2", context! { supply, statuses })
        }
        Role::Admin => {
            let users = db::users::list(pool).await?;
            let recent = db::audit::list(pool, None, 10, 0).await?;
            page.ok(
                "home/admin.html.j2",
                context! { user_count => users.len(), recent },
            )
        }
    }
}
