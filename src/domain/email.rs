use super::Invalid;

/// An email address, trimmed and lower-cased, so that sign-in and uniqueness ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, Invalid> {
        let s = input.trim().to_lowercase();
        let err =
            || Invalid::new("Enter an email address in the correct format, like name@example.org");
        if s.is_empty() {
            return Err(Invalid::new("Enter an email address"));
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(err)?;
        if local.is_empty()
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(err());
        }
        Ok(Email(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_validates() {
        assert_eq!(
            Email::parse(" School@Demo.Test ").unwrap().as_str(),
            "school@demo.test"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@demo.test",
            "a@@demo.test",
            "a b@demo.test",
            "a@demo..test",
            "a@.test",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
