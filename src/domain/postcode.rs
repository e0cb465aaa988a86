use super::tier::truncate;
use super::Invalid;
use std::fmt;

/// A UK postcode, normalised to upper case with one space before the inward code (`S5 7AU`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Postcode(String);

/// Letters used in the inward code's unit (never C, I, K, M, O or V).
const INWARD_UNIT: &str = "ABDEFGHJLNPQRSTUWXYZ";

impl Postcode {
    pub fn parse(input: &str) -> Result<Postcode, Invalid> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let err = || {
            Invalid::new(format!(
                "Enter a real postcode, like S5 7AU (got \"{}\")",
                truncate(input.trim())
            ))
        };
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(err());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let ib = inward.as_bytes();
        if !(ib[0].is_ascii_digit()
            && INWARD_UNIT.contains(ib[1] as char)
            && INWARD_UNIT.contains(ib[2] as char))
        {
            return Err(err());
        }
        if !valid_outward(outward) {
            return Err(err());
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (`S5`), which is what a district-level geocoder knows.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

/// Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.
fn valid_outward(o: &str) -> bool {
    let b = o.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) {
        return false;
    }
    let rest = &b[letters..];
    match rest {
        [d] => d.is_ascii_digit(),
        [d1, d2] => d1.is_ascii_digit() && (d2.is_ascii_digit() || d2.is_ascii_alphabetic()),
        _ => false,
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_case_and_spacing() {
        assert_eq!(Postcode::parse("s57au").unwrap().as_str(), "S5 7AU");
        assert_eq!(Postcode::parse("  S10  2TN ").unwrap().as_str(), "S10 2TN");
        assert_eq!(Postcode::parse("SW1A 1AA").unwrap().as_str(), "SW1A 1AA");
        assert_eq!(Postcode::parse("W1A 0AX").unwrap().outward(), "W1A");
    }

    #[test]
    fn refuses_bad_shapes() {
        for bad in [
            "", "S5", "S5 7A", "5S 7AU", "S5 7CU", "SSS5 7AU", "S5 AAU", "S5 7AU9", "<script>",
        ] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_is_idempotent(s in "\\PC{0,12}") {
            if let Ok(p) = Postcode::parse(&s) {
                prop_assert_eq!(Postcode::parse(p.as_str()).unwrap(), p);
            }
        }
    }
}
