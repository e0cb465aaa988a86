//! Pure types and rules of the domain: no I/O. Every type validates on construction, so a value
//! that exists is a valid one.

pub mod attendance;
pub mod calendar;
pub mod due_diligence;
mod email;
mod ids;
mod locality;
mod notice;
mod place_type;
pub mod placement;
mod postcode;
mod role;
pub mod text;
mod tier;

pub use email::Email;
pub use ids::{Ukprn, Upn, Urn};
pub use locality::Locality;
pub use notice::{Delivery, InternalLink, NoticeKind};
pub use place_type::PlaceType;
pub use postcode::Postcode;
pub use role::Role;
pub use tier::Tier;

/// Why a value was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Self {
        Invalid(msg.into())
    }
}
