use super::Invalid;
use std::fmt;

/// The DfE three-tier AP model (SEND and AP Improvement Plan, March 2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Targeted support in mainstream schools.
    One,
    /// Time-limited placements to assess and address needs; aim: return to the home school.
    Two,
    /// Transitional placements for pupils who need to move on.
    Three,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::One, Tier::Two, Tier::Three];

    /// Accepts `1`, `2`, `3`, with or without a `tier` prefix (as found in council spreadsheets).
    pub fn parse(input: &str) -> Result<Tier, Invalid> {
        let s = input.trim().to_ascii_lowercase();
        let s = match s.strip_prefix("tier") {
            Some(rest) => rest.trim_start_matches([' ', '-', '_']),
            None => s.as_str(),
        };
        match s {
            "1" => Ok(Tier::One),
            "2" => Ok(Tier::Two),
            "3" => Ok(Tier::Three),
            _ => Err(Invalid::new(format!(
                "Tier must be 1, 2 or 3 (got \"{}\")",
                truncate(input)
            ))),
        }
    }

    pub fn from_number(n: i64) -> Result<Tier, Invalid> {
        Tier::parse(&n.to_string())
    }

    pub fn number(self) -> i64 {
        match self {
            Tier::One => 1,
            Tier::Two => 2,
            Tier::Three => 3,
        }
    }

    /// The DfE meaning, stored as the default label; councils may set a local label.
    pub fn dfe_meaning(self) -> &'static str {
        match self {
            Tier::One => "Targeted support in mainstream schools",
            Tier::Two => "Time-limited placements to assess and address needs",
            Tier::Three => "Transitional placements for pupils who need to move on",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tier {}", self.number())
    }
}

/// Keeps echoed user input short in messages.
pub(crate) fn truncate(s: &str) -> String {
    let t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_and_prefixed_forms() {
        assert_eq!(Tier::parse("1").unwrap(), Tier::One);
        assert_eq!(Tier::parse(" Tier 2 ").unwrap(), Tier::Two);
        assert_eq!(Tier::parse("tier-3").unwrap(), Tier::Three);
        assert_eq!(Tier::from_number(3).unwrap().number(), 3);
    }

    #[test]
    fn refuses_anything_else() {
        for bad in ["", "0", "4", "one", "1.5", "tier", "-1"] {
            assert!(Tier::parse(bad).is_err(), "{bad} should be refused");
        }
        let err = Tier::parse("x".repeat(100).as_str()).unwrap_err();
        assert!(err.0.len() < 120, "message echoes a truncated value");
    }
}
