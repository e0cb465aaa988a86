//! Kinds of notification, how a user wants each delivered, and the internal link a
//! notification points to.

use super::{Invalid, Role};
use serde::Serialize;

/// What a notification is about. Each capability adds its kinds here; the key is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "&'static str")]
pub enum NoticeKind {
    /// Provider staff sent profile changes: for the Progressions Team.
    ProfileSubmitted,
    /// Progressions approved or rejected a provider's changes: for that provider's staff.
    ProfileDecided,
    /// A notice from the council to a group of users.
    CouncilNotice,
    /// A safeguarding notice from the council: cannot be turned off.
    SafeguardingNotice,
    /// A due-diligence check expires within 30 or 7 days, or has lapsed.
    DueDiligence,
    /// A concern was raised about a provider: for the Progressions Team.
    ConcernRaised,
    /// A safeguarding concern about a provider: for the Progressions Team, cannot be turned off.
    SafeguardingConcern,
    /// The council suspended or reinstated a provider: for its staff.
    ProviderSuspension,
    /// A school asked for a placement, or recorded one it commissioned: for Progressions.
    PlacementRequest,
    /// A placement changed: offered, accepted, declined, started, ended, plan changed.
    PlacementUpdate,
    /// A placement review is due or overdue, or the sixth-day duty or maximum period is near.
    PlacementReview,
    /// A register was not taken by its cut-off.
    MissingRegister,
    /// An unexplained absence or a pattern of absence: for the commissioning school.
    AttendanceAlert,
    /// A correction to a locked register waits for approval, or was decided.
    AttendanceCorrection,
    /// Someone @mentioned the user in a forum post.
    ForumMention,
    /// A new post in a forum thread or category the user watches.
    ForumActivity,
}

impl From<NoticeKind> for &'static str {
    fn from(k: NoticeKind) -> &'static str {
        k.key()
    }
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 16] = [
        NoticeKind::ProfileSubmitted,
        NoticeKind::ProfileDecided,
        NoticeKind::CouncilNotice,
        NoticeKind::SafeguardingNotice,
        NoticeKind::DueDiligence,
        NoticeKind::ConcernRaised,
        NoticeKind::SafeguardingConcern,
        NoticeKind::ProviderSuspension,
        NoticeKind::PlacementRequest,
        NoticeKind::PlacementUpdate,
        NoticeKind::PlacementReview,
        NoticeKind::MissingRegister,
        NoticeKind::AttendanceAlert,
        NoticeKind::AttendanceCorrection,
        NoticeKind::ForumMention,
        NoticeKind::ForumActivity,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NoticeKind::ProfileSubmitted => "profile_submitted",
            NoticeKind::ProfileDecided => "profile_decided",
            NoticeKind::CouncilNotice => "council_notice",
            NoticeKind::SafeguardingNotice => "safeguarding_notice",
            NoticeKind::DueDiligence => "due_diligence",
            NoticeKind::ConcernRaised => "concern_raised",
            NoticeKind::SafeguardingConcern => "safeguarding_concern",
            NoticeKind::ProviderSuspension => "provider_suspension",
            NoticeKind::PlacementRequest => "placement_request",
            NoticeKind::PlacementUpdate => "placement_update",
            NoticeKind::PlacementReview => "placement_review",
            NoticeKind::MissingRegister => "missing_register",
            NoticeKind::AttendanceAlert => "attendance_alert",
            NoticeKind::AttendanceCorrection => "attendance_correction",
            NoticeKind::ForumMention => "forum_mention",
            NoticeKind::ForumActivity => "forum_activity",
        }
    }

    pub fn parse(key: &str) -> Result<NoticeKind, Invalid> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.key() == key)
            .ok_or_else(|| Invalid::new("Choose a kind of notification from the list"))
    }

    /// Short name, used as the email subject and on the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::ProfileSubmitted => "Profile changes waiting for approval",
            NoticeKind::ProfileDecided => "Decisions on your profile changes",
            NoticeKind::CouncilNotice => "Notices from the council",
            NoticeKind::SafeguardingNotice => "Safeguarding notices",
            NoticeKind::DueDiligence => "Due-diligence checks expiring or lapsed",
            NoticeKind::ConcernRaised => "Concerns raised about providers",
            NoticeKind::SafeguardingConcern => "Safeguarding concerns about providers",
            NoticeKind::ProviderSuspension => "Suspension of your organisation",
            NoticeKind::PlacementRequest => "New placement requests and school-arranged placements",
            NoticeKind::PlacementUpdate => "Changes to placements",
            NoticeKind::PlacementReview => "Placement reviews and deadlines",
            NoticeKind::MissingRegister => "Registers not taken by the cut-off",
            NoticeKind::AttendanceAlert => "Absences of your pupils in alternative provision",
            NoticeKind::AttendanceCorrection => "Corrections to locked registers",
            NoticeKind::ForumMention => "Mentions of you in the provider forum",
            NoticeKind::ForumActivity => "New posts in forum threads and categories you watch",
        }
    }

    /// What an email says there is to see. Never the notification's own text: emails carry no
    /// names or other pupil data, only that there is something and where.
    pub fn email_line(self) -> &'static str {
        match self {
            NoticeKind::ProfileSubmitted => {
                "a provider has sent changes to its profile for approval"
            }
            NoticeKind::ProfileDecided => "the council has decided on changes to your profile",
            NoticeKind::CouncilNotice => "there is a new notice from the council",
            NoticeKind::SafeguardingNotice => "there is a new safeguarding notice from the council",
            NoticeKind::DueDiligence => "a due-diligence check is expiring or has lapsed",
            NoticeKind::ConcernRaised => "a concern has been raised about a provider",
            NoticeKind::SafeguardingConcern => {
                "a safeguarding concern has been raised about a provider"
            }
            NoticeKind::ProviderSuspension => {
                "the council has changed your organisation's suspension"
            }
            NoticeKind::PlacementRequest => "a school has asked for or recorded a placement",
            NoticeKind::PlacementUpdate => "a placement you work on has changed",
            NoticeKind::PlacementReview => "a placement review or deadline needs attention",
            NoticeKind::MissingRegister => "a register has not been taken",
            NoticeKind::AttendanceAlert => "a pupil in alternative provision is absent",
            NoticeKind::AttendanceCorrection => {
                "a correction to a register needs a decision or was decided"
            }
            NoticeKind::ForumMention => "someone mentioned you in the provider forum",
            NoticeKind::ForumActivity => "there are new posts in the provider forum that you watch",
        }
    }

    /// Safeguarding kinds always reach the user: "off" is not offered or accepted.
    pub fn safeguarding(self) -> bool {
        matches!(
            self,
            NoticeKind::SafeguardingNotice | NoticeKind::SafeguardingConcern
        )
    }

    /// The roles that receive this kind (the preferences page lists only these).
    pub fn for_role(self, role: Role) -> bool {
        match self {
            NoticeKind::ProfileSubmitted => role == Role::Progressions,
            NoticeKind::ProfileDecided => role == Role::Provider,
            NoticeKind::CouncilNotice | NoticeKind::SafeguardingNotice => true,
            NoticeKind::DueDiligence => matches!(role, Role::Provider | Role::Progressions),
            NoticeKind::ConcernRaised | NoticeKind::SafeguardingConcern => {
                role == Role::Progressions
            }
            NoticeKind::ProviderSuspension => role == Role::Provider,
            NoticeKind::PlacementRequest => role == Role::Progressions,
            NoticeKind::PlacementUpdate
            | NoticeKind::PlacementReview
            | NoticeKind::MissingRegister => {
                matches!(role, Role::School | Role::Provider | Role::Progressions)
            }
            NoticeKind::AttendanceAlert => role == Role::School,
            NoticeKind::AttendanceCorrection => matches!(role, Role::Provider | Role::Progressions),
            NoticeKind::ForumMention | NoticeKind::ForumActivity => true,
        }
    }

    /// How the kind is delivered until the user chooses: watched forum activity is busy, so it
    /// waits for the daily digest; everything else is emailed at once.
    pub fn default_delivery(self) -> Delivery {
        match self {
            NoticeKind::ForumActivity => Delivery::Digest,
            _ => Delivery::Immediate,
        }
    }
}

/// How a user wants one kind delivered. The in-app inbox always gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// An email at once.
    Immediate,
    /// Listed in the daily digest email.
    Digest,
    /// Inbox only.
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Immediate, Delivery::Digest, Delivery::Off];

    pub fn key(self) -> &'static str {
        match self {
            Delivery::Immediate => "immediate",
            Delivery::Digest => "digest",
            Delivery::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediate => "Email me straight away",
            Delivery::Digest => "Include in my daily email",
            Delivery::Off => "No email (the inbox only)",
        }
    }

    pub fn parse(key: &str) -> Result<Delivery, Invalid> {
        Delivery::ALL
            .into_iter()
            .find(|d| d.key() == key)
            .ok_or_else(|| Invalid::new("Choose how to hear about it"))
    }

    /// A stored or chosen mode, as it applies to `kind` (safeguarding is never off).
    pub fn for_kind(self, kind: NoticeKind) -> Delivery {
        if kind.safeguarding() && self == Delivery::Off {
            Delivery::Immediate
        } else {
            self
        }
    }
}

/// A link inside this service: a path starting with one `/`, no scheme or host, so a
/// notification can never send anyone elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternalLink(String);

impl InternalLink {
    pub fn parse(input: &str) -> Result<InternalLink, Invalid> {
        let s = input.trim();
        let ok = s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && s.len() <= 300
            && s.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(InternalLink(s.to_string()))
        } else {
            Err(Invalid::new(
                "A link must be a path in this service, like /providers",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_is_refused() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.key()).ok(), Some(k));
        }
        assert!(NoticeKind::parse("nope").is_err());
    }

    #[test]
    fn safeguarding_is_never_off() {
        assert_eq!(
            Delivery::Off.for_kind(NoticeKind::SafeguardingNotice),
            Delivery::Immediate
        );
        assert_eq!(
            Delivery::Off.for_kind(NoticeKind::CouncilNotice),
            Delivery::Off
        );
        assert_eq!(
            Delivery::Digest.for_kind(NoticeKind::SafeguardingNotice),
            Delivery::Digest
        );
    }

    #[test]
    fn links_stay_inside_the_service() {
        assert!(InternalLink::parse("/providers/a-b").is_ok());
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "/a b",
            "",
        ] {
            assert!(InternalLink::parse(bad).is_err(), "{bad}");
        }
    }
}
