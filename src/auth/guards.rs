//! One request guard per role. A handler that takes `SchoolStaff` can only run for a signed-in
//! school user, and gets that user's school id to scope its queries with.
//! Anonymous: 401 (the catcher sends browsers to sign in). Wrong role: 403.

use super::session::{SessionUser, Viewer};
use crate::db::audit::Entry;
use crate::db::pupils::PupilScope;
use crate::domain::Role;
use crate::web::set_error_message;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

async fn user<'r>(req: &'r Request<'_>) -> Result<&'r SessionUser, Status> {
    match req.guard::<&Viewer>().await {
        Outcome::Success(v) => v.user().ok_or(Status::Unauthorized),
        Outcome::Error((s, _)) | Outcome::Forward(s) => Err(s),
    }
}

fn refuse<T>(req: &Request<'_>, status: Status) -> Outcome<T, ()> {
    if status == Status::Forbidden {
        set_error_message(req, "Your account does not give you access to this page.");
    }
    Outcome::Error((status, ()))
}

/// Any signed-in user.
pub struct SignedIn<'r>(pub &'r SessionUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SignedIn<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) => Outcome::Success(SignedIn(u)),
            Err(s) => refuse(req, s),
        }
    }
}

macro_rules! role_guard {
    ($(#[$m:meta])* $name:ident, $role:expr) => {
        $(#[$m])*
        pub struct $name<'r>(pub &'r SessionUser);

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name<'r> {
            type Error = ();
            async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
                match user(req).await {
                    Ok(u) if u.role == $role => Outcome::Success($name(u)),
                    Ok(_) => refuse(req, Status::Forbidden),
                    Err(s) => refuse(req, s),
                }
            }
        }
    };
}

role_guard!(
    /// The LA Progressions Team.
    Progressions, Role::Progressions);
role_guard!(
    /// The AP Taskforce: aggregates only.
    Taskforce, Role::Taskforce);
role_guard!(
    /// LA system administrators.
    Admin, Role::Admin);

/// Council staff who speak for the council: the Progressions Team and administrators.
pub struct CouncilStaff<'r>(pub &'r SessionUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CouncilStaff<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) if matches!(u.role, Role::Progressions | Role::Admin) => {
                Outcome::Success(CouncilStaff(u))
            }
            Ok(_) => refuse(req, Status::Forbidden),
            Err(s) => refuse(req, s),
        }
    }
}

/// Readers of the outcomes report (aggregates only): the AP Taskforce, the Progressions Team
/// and administrators.
pub struct ReportReader<'r>(pub &'r SessionUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ReportReader<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) if matches!(u.role, Role::Taskforce | Role::Progressions | Role::Admin) => {
                Outcome::Success(ReportReader(u))
            }
            Ok(_) => refuse(req, Status::Forbidden),
            Err(s) => refuse(req, s),
        }
    }
}

/// Staff of one school, with that school's id.
pub struct SchoolStaff<'r> {
    pub user: &'r SessionUser,
    pub school_id: i64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SchoolStaff<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) => match (u.role, u.school_id) {
                (Role::School, Some(school_id)) => {
                    Outcome::Success(SchoolStaff { user: u, school_id })
                }
                _ => refuse(req, Status::Forbidden),
            },
            Err(s) => refuse(req, s),
        }
    }
}

/// Staff of one provider, with that provider's id.
pub struct ProviderStaff<'r> {
    pub user: &'r SessionUser,
    pub provider_id: i64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ProviderStaff<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) => match (u.role, u.provider_id) {
                (Role::Provider, Some(provider_id)) => Outcome::Success(ProviderStaff {
                    user: u,
                    provider_id,
                }),
                _ => refuse(req, Status::Forbidden),
            },
            Err(s) => refuse(req, s),
        }
    }
}

/// Those who may see pupil-level data, with the scope their queries must use.
pub struct PupilReader<'r> {
    pub user: &'r SessionUser,
    pub scope: PupilScope,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PupilReader<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match user(req).await {
            Ok(u) => {
                let scope = match (u.role, u.school_id, u.provider_id) {
                    (Role::School, Some(id), _) => PupilScope::School(id),
                    (Role::Provider, _, Some(id)) => PupilScope::Provider(id),
                    (Role::Progressions, _, _) => PupilScope::Progressions,
                    _ => return refuse(req, Status::Forbidden),
                };
                Outcome::Success(PupilReader { user: u, scope })
            }
            Err(s) => refuse(req, s),
        }
    }
}

/// Who did something, for the audit log: the user (if any), their address and the request id.
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Option<Role>,
    pub ip: Option<String>,
    pub request_id: String,
}

impl Actor {
    pub fn entry(
        &self,
        action: &str,
        entity: &str,
        entity_id: Option<String>,
        detail: impl Into<String>,
    ) -> Entry {
        Entry {
            at: crate::db::now(),
            user_id: self.user_id,
            role: self.role.map(|r| r.key().to_string()),
            action: action.into(),
            entity: entity.into(),
            entity_id,
            detail: detail.into(),
            ip: self.ip.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }

    pub fn ip_or_unknown(&self) -> String {
        self.ip.clone().unwrap_or_else(|| "unknown".into())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Actor {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let viewer = match req.guard::<&Viewer>().await {
            Outcome::Success(v) => v,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        Outcome::Success(Actor {
            user_id: viewer.user().map(|u| u.user_id),
            role: viewer.user().map(|u| u.role),
            ip: req.client_ip().map(|ip| ip.to_string()),
            request_id: crate::web::request_id(req),
        })
    }
}
