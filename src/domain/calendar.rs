//! The council's school calendar: a school day is a weekday inside a term that is not a
//! closure (bank holiday, training day). The sixth-day rule and review dates count school days.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeSet;

/// One term (or half term) as the council publishes it, first and last day inclusive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Term {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Sorted by start.
    terms: Vec<Term>,
    closures: BTreeSet<NaiveDate>,
}

/// How far the calendar looks for school days before it gives up: a date beyond the last term
/// published has no school days, and counting must not loop for ever.
const SEARCH_LIMIT_DAYS: i64 = 400;

impl Calendar {
    pub fn new(mut terms: Vec<Term>, closures: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        terms.sort_by_key(|t| t.starts_on);
        Calendar {
            terms,
            closures: closures.into_iter().collect(),
        }
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    pub fn is_school_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.closures.contains(&d)
            && self
                .terms
                .iter()
                .any(|t| t.starts_on <= d && d <= t.ends_on)
    }

    /// The `n`th school day after `from` (not counting `from` itself), or `None` when the
    /// published calendar does not reach that far.
    pub fn school_days_after(&self, from: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut d = from;
        let mut counted = 0;
        for _ in 0..SEARCH_LIMIT_DAYS {
            d += Duration::days(1);
            if self.is_school_day(d) {
                counted += 1;
                if counted == n {
                    return Some(d);
                }
            }
        }
        None
    }

    /// School days in `from..=to`.
    pub fn school_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut d = from;
        while d <= to {
            if self.is_school_day(d) {
                n += 1;
            }
            d += Duration::days(1);
        }
        n
    }

    /// The term a date falls in (holidays fall in none).
    pub fn term_of(&self, d: NaiveDate) -> Option<&Term> {
        self.terms
            .iter()
            .find(|t| t.starts_on <= d && d <= t.ends_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn autumn() -> Calendar {
        Calendar::new(
            vec![
                Term {
                    name: "Autumn 2".into(),
                    starts_on: d("2026-11-02"),
                    ends_on: d("2026-12-18"),
                },
                Term {
                    name: "Spring 1".into(),
                    starts_on: d("2027-01-04"),
                    ends_on: d("2027-02-12"),
                },
            ],
            [d("2026-11-27")],
        )
    }

    #[test]
    fn weekends_holidays_and_closures_are_not_school_days() {
        let c = autumn();
        assert!(c.is_school_day(d("2026-11-24")));
        assert!(!c.is_school_day(d("2026-11-28")), "Saturday");
        assert!(!c.is_school_day(d("2026-11-27")), "closure");
        assert!(!c.is_school_day(d("2026-12-21")), "Christmas holiday");
        assert!(c.is_school_day(d("2026-12-18")), "last day of term counts");
        assert!(c.is_school_day(d("2027-01-04")), "first day of term counts");
    }

    #[test]
    fn counting_skips_what_is_not_a_school_day() {
        let c = autumn();
        // Monday 23 Nov: Tue 24, Wed 25, Thu 26, (Fri 27 closed), Mon 30, Tue 1, Wed 2.
        assert_eq!(
            c.school_days_after(d("2026-11-23"), 6),
            Some(d("2026-12-02"))
        );
        // Across the Christmas holiday.
        assert_eq!(
            c.school_days_after(d("2026-12-17"), 1),
            Some(d("2026-12-18"))
        );
        assert_eq!(
            c.school_days_after(d("2026-12-17"), 2),
            Some(d("2027-01-04"))
        );
        // Beyond the published calendar there is no answer, rather than a wrong one.
        assert_eq!(c.school_days_after(d("2027-02-11"), 5), None);
        assert_eq!(c.school_days_between(d("2026-11-23"), d("2026-11-29")), 4);
    }
}
