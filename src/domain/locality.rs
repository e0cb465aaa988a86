use super::tier::truncate;
use super::Invalid;

/// One of a council's localities (Sheffield has seven, "Locality A" to "Locality G").
/// Names are configuration, so a locality is a short key plus a display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locality {
    key: String,
    name: String,
}

impl Locality {
    pub fn new(key: &str, name: &str) -> Result<Locality, Invalid> {
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty()
            || key.len() > 40
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(Invalid::new(format!(
                "A locality key is 1 to 40 letters, digits, hyphens or underscores (got \"{}\")",
                truncate(&key)
            )));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Invalid::new("A locality name is 1 to 80 characters"));
        }
        Ok(Locality {
            key,
            name: name.to_string(),
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_keys_and_names() {
        let l = Locality::new(" A ", "Locality A").unwrap();
        assert_eq!(l.key(), "a");
        assert_eq!(l.name(), "Locality A");
        assert!(Locality::new("north-east_2", "North East").is_ok());
    }

    #[test]
    fn refuses_bad_keys_and_names() {
        assert!(Locality::new("", "x").is_err());
        assert!(Locality::new("a b", "x").is_err());
        assert!(Locality::new("a;drop", "x").is_err());
        assert!(Locality::new(&"a".repeat(41), "x").is_err());
        assert!(Locality::new("a", "  ").is_err());
        assert!(Locality::new("a", &"n".repeat(81)).is_err());
    }
}
