use super::tier::truncate;
use super::Invalid;
use std::fmt;

/// Unique Reference Number of a school or registered AP: 6 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Urn(String);

impl Urn {
    pub fn parse(input: &str) -> Result<Urn, Invalid> {
        let s = input.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Urn(s.to_string()))
        } else {
            Err(Invalid::new(format!(
                "A URN is 6 digits, like 107136 (got \"{}\")",
                truncate(input)
            )))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// UK Provider Reference Number: 8 digits starting with 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ukprn(String);

impl Ukprn {
    pub fn parse(input: &str) -> Result<Ukprn, Invalid> {
        let s = input.trim();
        if s.len() == 8 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Ukprn(s.to_string()))
        } else {
            Err(Invalid::new(format!(
                "A UKPRN is 8 digits starting with 1, like 10012345 (got \"{}\")",
                truncate(input)
            )))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unique Pupil Number: check letter, 3-digit LA, 4-digit establishment, 2-digit year,
/// 3-digit serial; a temporary UPN ends in a letter instead of the last digit.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Upn(String);

/// The check-letter alphabet: no I, O or S.
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

impl Upn {
    pub fn parse(input: &str) -> Result<Upn, Invalid> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 13 || !s.is_ascii() {
            return Err(Invalid::new(
                "A UPN is 13 characters: a letter then 12 digits (a temporary UPN ends in a letter)",
            ));
        }
        if !b[1..12].iter().all(u8::is_ascii_digit) {
            return Err(Invalid::new(
                "A UPN's 2nd to 12th characters must be digits",
            ));
        }
        let temporary = !b[12].is_ascii_digit();
        if temporary && !UPN_LETTERS.contains(&b[12]) {
            return Err(Invalid::new(
                "A UPN ends in a digit, or for a temporary UPN in a letter other than I, O or S",
            ));
        }
        let expected = check_letter(&b[1..]).expect("validated above");
        if b[0] != expected {
            return Err(Invalid::new(
                "This UPN's check letter does not match its digits: check it has been copied correctly",
            ));
        }
        Ok(Upn(s))
    }

    /// Builds a UPN with the right check letter from its 12 trailing characters.
    pub fn from_parts(la: u16, establishment: u16, year: u8, serial: u16) -> Result<Upn, Invalid> {
        if la > 999 || establishment > 9999 || year > 99 || serial > 999 {
            return Err(Invalid::new("UPN part out of range"));
        }
        let body = format!("{la:03}{establishment:04}{year:02}{serial:03}");
        let letter = check_letter(body.as_bytes()).ok_or_else(|| Invalid::new("bad UPN body"))?;
        Upn::parse(&format!("{}{}", letter as char, body))
    }

    pub fn is_temporary(&self) -> bool {
        !self.0.as_bytes()[12].is_ascii_digit()
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Weights 2..13 over characters 2..13; a trailing letter counts as its index in the alphabet.
fn check_letter(body: &[u8]) -> Option<u8> {
    if body.len() != 12 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in body.iter().enumerate() {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else if i == 11 {
            UPN_LETTERS.iter().position(|&l| l == c)? as u32
        } else {
            return None;
        };
        sum += value * (i as u32 + 2);
    }
    Some(UPN_LETTERS[(sum % 23) as usize])
}

/// UPNs are personal data: debug output must not spill them into logs.
impl fmt::Debug for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Upn(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urn_is_six_digits() {
        assert_eq!(Urn::parse(" 107136 ").unwrap().as_str(), "107136");
        for bad in ["", "10713", "1071366", "10713a", "１０７１３６"] {
            assert!(Urn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ukprn_is_eight_digits_starting_with_one() {
        assert!(Ukprn::parse("10012345").is_ok());
        for bad in ["20012345", "1001234", "100123456", "1001234x"] {
            assert!(Ukprn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upn_check_letter_from_domain_md() {
        assert!(Upn::parse("B801200005001").is_ok());
        assert!(Upn::parse("b801200005001").is_ok(), "case is normalised");
        let e = Upn::parse("A801200005001").unwrap_err();
        assert!(e.0.contains("check letter"));
    }

    #[test]
    fn upn_shape_errors() {
        for bad in [
            "",
            "B80120000500",
            "B8012000050011",
            "B8012X0005001",
            "B80120000500I",
            "É801200005001",
        ] {
            assert!(Upn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn temporary_upn_counts_last_letter_by_index() {
        // body 37312342500 + 'A' (index 0): build the check letter and confirm it parses.
        let body = b"373123425 00A";
        let body: Vec<u8> = body.iter().copied().filter(|c| *c != b' ').collect();
        let letter = check_letter(&body).unwrap();
        let upn = format!("{}{}", letter as char, String::from_utf8(body).unwrap());
        let parsed = Upn::parse(&upn).unwrap();
        assert!(parsed.is_temporary());
    }

    #[test]
    fn debug_does_not_leak() {
        let u = Upn::from_parts(373, 4001, 19, 42).unwrap();
        assert!(!format!("{u:?}").contains("373"));
    }

    proptest! {
        #[test]
        fn built_upns_parse_and_one_changed_digit_fails(la in 0u16..1000, est in 0u16..10000, y in 0u8..100, s in 0u16..1000, pos in 1usize..13) {
            let upn = Upn::from_parts(la, est, y, s).unwrap();
            prop_assert!(Upn::parse(upn.as_str()).is_ok());
            let mut bytes = upn.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + ((bytes[pos] - b'0' + 1) % 10);
            // Weights 2..13 are all non-zero mod 23, so any single-digit change moves the letter.
            prop_assert!(Upn::parse(std::str::from_utf8(&bytes).unwrap()).is_err());
        }

        #[test]
        fn parse_never_panics(s in ".{0,30}") {
            let _ = Upn::parse(&s);
            let _ = Urn::parse(&s);
            let _ = Ukprn::parse(&s);
        }
    }
}
