use super::Invalid;
use std::fmt;

/// A signed-in user's role. The public (anonymous) visitor has no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Staff of one school (bound to its URN).
    School,
    /// Staff of one AP provider.
    Provider,
    /// The LA Progressions Team.
    Progressions,
    /// The AP Taskforce: aggregates only.
    Taskforce,
    /// LA system administrators.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::School,
        Role::Provider,
        Role::Progressions,
        Role::Taskforce,
        Role::Admin,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::School => "school",
            Role::Provider => "provider",
            Role::Progressions => "progressions",
            Role::Taskforce => "taskforce",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::School => "School staff",
            Role::Provider => "Provider staff",
            Role::Progressions => "Progressions Team",
            Role::Taskforce => "AP Taskforce",
            Role::Admin => "Administrator",
        }
    }

    pub fn parse(input: &str) -> Result<Role, Invalid> {
        let norm = input.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.key() == norm)
            .ok_or_else(|| {
                Invalid::new("Choose a role: school, provider, progressions, taskforce or admin")
            })
    }

    /// Whether accounts with this role must belong to a school or a provider.
    pub fn needs_school(self) -> bool {
        self == Role::School
    }
    pub fn needs_provider(self) -> bool {
        self == Role::Provider
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()).unwrap(), r);
        }
        assert_eq!(Role::parse(" ADMIN ").unwrap(), Role::Admin);
        assert!(
            Role::parse("public").is_err(),
            "public is the absence of a role"
        );
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn only_school_and_provider_are_bound() {
        assert!(Role::School.needs_school() && !Role::School.needs_provider());
        assert!(Role::Provider.needs_provider());
        assert!(!Role::Admin.needs_school() && !Role::Admin.needs_provider());
    }
}
