//! The OpenAPI 3 document of the JSON API under `/api/v1`, generated from the handlers'
//! `#[utoipa::path]` attributes (paths and parameters come from the Rocket routes themselves),
//! served at `/api/v1/openapi.json`. A test checks that every mounted `/api/v1` route is in it.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AP Directory API",
        description = "The alternative provision directory's JSON API. Directory reads are public; pupil and placement reads need a signed-in session and are limited, in SQL, to the caller's own pupils; attendance uses an organisation's API token (`Authorization: Bearer <token>`). Errors are `{\"error\": {\"code\", \"reason\", \"message\", \"request_id\"}}`. The directory is also published as Open Referral UK open data under `/openreferral`."
    ),
    paths(
        crate::api::me,
        crate::api::providers,
        crate::api::provider,
        crate::api::localities,
        crate::api::pupils,
        crate::api::pupil,
        crate::placements::records::api_list,
        crate::placements::records::api_one,
        crate::attendance::api::attendance,
        crate::attendance::api::register,
        document,
    ),
    modifiers(&Security),
    tags(
        (name = "directory", description = "Providers and localities (public)"),
        (name = "account", description = "The signed-in user"),
        (name = "pupils", description = "Pupils the caller may see"),
        (name = "placements", description = "Placements the caller may see"),
        (name = "attendance", description = "Attendance for school MIS and provider systems (API token)"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::session::SESSION_COOKIE,
                "The session cookie set by signing in on the website",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An organisation's API token, made by an administrator on the API tokens page",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn routes() -> Vec<Route> {
    routes![document]
}

/// This document.
#[utoipa::path(context_path = "/api/v1", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document", body = Object)))]
#[get("/openapi.json")]
fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
