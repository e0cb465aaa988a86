//! Placements (DOMAIN.md section 8): the words a placement is recorded in, and its rules: the
//! sixth-day duty, full time, the step-out limit, review dates and the census setting type.

use super::calendar::Calendar;
use super::Invalid;
use chrono::{Duration, NaiveDate};

/// Declares a closed vocabulary stored by key, with the words people read.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($variant:ident => ($key:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(input: &str) -> Result<$name, Invalid> {
                let s = input.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.key() == s)
                    .ok_or_else(|| Invalid::new(concat!("Choose ", $what, " from the list")))
            }

            /// `key`, `label` pairs for a form's options.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                $name::ALL.iter().map(|v| (v.key(), v.label())).collect()
            }
        }
    };
}

vocabulary!(
    /// Why the pupil needs a place.
    Reason, "the main reason", {
    PermanentExclusion => ("permanent_exclusion", "Permanent exclusion"),
    Suspension => ("suspension", "Suspension (more than 5 days)"),
    HealthNeeds => ("health_needs", "Health needs"),
    AtRisk => ("at_risk_of_exclusion", "At risk of exclusion"),
    Semh => ("semh_needs", "Social, emotional and mental health needs"),
    Other => ("other", "Other"),
});

impl Reason {
    /// Exclusions carry the sixth-day duty and need the date of the exclusion.
    pub fn is_exclusion(self) -> bool {
        matches!(self, Reason::PermanentExclusion | Reason::Suspension)
    }

    /// Section 19: the council arranges education for excluded pupils and those too ill to
    /// attend; otherwise the school commissions the place.
    pub fn commissioner(self) -> Commissioner {
        match self {
            Reason::PermanentExclusion | Reason::HealthNeeds => Commissioner::La,
            _ => Commissioner::School,
        }
    }
}

vocabulary!(
    /// Who pays for and answers for the place (the attendance code follows from it).
    Commissioner, "who commissions the place", {
    School => ("school", "The school"),
    La => ("la", "The council (Section 19)"),
});

vocabulary!(
    /// Where a placement is in its life.
    Status, "a status", {
    Requested => ("requested", "Waiting for a match"),
    Offered => ("offered", "Offered to a provider"),
    Accepted => ("accepted", "Accepted, waiting to start"),
    Active => ("active", "Active"),
    Ended => ("ended", "Ended"),
    Withdrawn => ("withdrawn", "Withdrawn"),
});

vocabulary!(
    /// Where the pupil went at the end (DOMAIN.md section 10).
    Destination, "a destination", {
    HomeSchool => ("home_school", "Returned to the home school"),
    NewMainstream => ("new_mainstream", "Moved to a new mainstream school"),
    SpecialSchool => ("special_school", "Moved to a special school"),
    OtherAp => ("other_ap", "Moved to another alternative provision placement"),
    Post16Eet => ("post16_eet", "Post-16 education, employment or training"),
    Neet => ("neet", "Not in education, employment or training"),
    LeftArea => ("left_area", "Left the area"),
    Other => ("other", "Other"),
});

vocabulary!(
    /// The planned next step, written into the intervention plan.
    NextStep, "the planned next step", {
    HomeSchool => ("home_school", "Return to the home school"),
    NewSchool => ("new_school", "Move to a new school"),
    Post16 => ("post16", "Post-16 education or training"),
});

vocabulary!(
    /// A review's decision.
    Decision, "a decision", {
    Continue => ("continue", "Continue the placement as planned"),
    Change => ("change", "Change the plan"),
    End => ("end", "End the placement"),
});

vocabulary!(
    /// SEN status, as the school records it.
    SenStatus, "the SEN status", {
    None => ("none", "No special educational needs"),
    SenSupport => ("sen_support", "SEN support"),
    EhcPlan => ("ehc_plan", "Education, health and care (EHC) plan"),
});

/// Hours a week at or above which education is full time (the independent-school
/// registration test and Section 19's expectation).
pub const FULL_TIME_HOURS: f64 = 18.0;

/// Step-out placements last at most six weeks.
pub const STEP_OUT_MAX_WEEKS: i64 = 6;

/// Reviews are due this many school days after the start or the last review: about a half term.
pub const REVIEW_INTERVAL_SCHOOL_DAYS: u32 = 30;

/// A review is shown as "due soon" this many school days ahead.
pub const REVIEW_SOON_SCHOOL_DAYS: i64 = 5;

/// The end of the maximum period is flagged this many days ahead.
pub const ENDING_SOON_DAYS: i64 = 14;

/// A new plan's maximum period: six weeks for step out, a term otherwise.
pub fn default_max_weeks(place_type: &str) -> i64 {
    if place_type == "step_out" {
        STEP_OUT_MAX_WEEKS
    } else {
        12
    }
}

/// A new plan's next step: tier 3 aims at a new school, tiers 1 and 2 at the home school.
pub fn default_next_step(tier: i64) -> NextStep {
    if tier == 3 {
        NextStep::NewSchool
    } else {
        NextStep::HomeSchool
    }
}

/// What a part-time plan made at the start says until the plan is written.
pub const PART_TIME_TO_BE_SET: &str = "To be set in the intervention plan";

/// The sixth school day after an exclusion: full-time education must begin no later.
pub fn sixth_day(calendar: &Calendar, exclusion_date: NaiveDate) -> Option<NaiveDate> {
    calendar.school_days_after(exclusion_date, 6)
}

/// Whether the sixth-day duty was missed: started after the sixth day, or not started and
/// the sixth day has passed. `None` sixth day (beyond the calendar) is never a breach.
pub fn sixth_day_breached(
    sixth: Option<NaiveDate>,
    start: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    match (sixth, start) {
        (Some(six), Some(start)) => start > six,
        (Some(six), None) => today > six,
        (None, _) => false,
    }
}

/// When the next review is due: a half term of school days after the start or the last review.
/// Beyond the published calendar, six calendar weeks.
pub fn review_due(calendar: &Calendar, since: NaiveDate) -> NaiveDate {
    calendar
        .school_days_after(since, REVIEW_INTERVAL_SCHOOL_DAYS)
        .unwrap_or(since + Duration::weeks(6))
}

/// How a review stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    NotYet,
    DueSoon,
    Overdue,
}

pub fn review_state(calendar: &Calendar, due: NaiveDate, today: NaiveDate) -> ReviewState {
    if today > due {
        ReviewState::Overdue
    } else if calendar.school_days_between(today, due) <= REVIEW_SOON_SCHOOL_DAYS {
        ReviewState::DueSoon
    } else {
        ReviewState::NotYet
    }
}

/// Hours a week, from a form: 0.5 to 40, in half hours at most.
pub fn hours_per_week(input: &str) -> Result<f64, Invalid> {
    let msg = "Enter the hours a week as a number from 0.5 to 40, like 25 or 12.5";
    let h: f64 = input.trim().parse().map_err(|_| Invalid::new(msg))?;
    if !h.is_finite() || !(0.5..=40.0).contains(&h) || (h * 2.0).fract() != 0.0 {
        return Err(Invalid::new(msg));
    }
    Ok(h)
}

pub fn is_full_time(hours: f64) -> bool {
    hours >= FULL_TIME_HOURS
}

/// The maximum period in weeks: 1 to 52, and no more than six for a step-out place.
pub fn max_weeks(input: &str, place_type: &str) -> Result<i64, Invalid> {
    let w: i64 = input
        .trim()
        .parse()
        .map_err(|_| Invalid::new("Enter the maximum period as a whole number of weeks"))?;
    if !(1..=52).contains(&w) {
        return Err(Invalid::new(
            "The maximum period must be from 1 to 52 weeks",
        ));
    }
    if place_type == "step_out" && w > STEP_OUT_MAX_WEEKS {
        return Err(Invalid::new(
            "A step-out place lasts at most 6 weeks: enter 6 or fewer",
        ));
    }
    Ok(w)
}

/// The school census AP module's setting: the provider's URN, else its UKPRN, else a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CensusSetting {
    Urn(String),
    Ukprn(String),
    /// NFE non-maintained FE, OOT one-to-one tuition, OTH other unregistered, WBP work-based.
    Type(&'static str),
}

pub fn census_setting(
    urn: Option<&str>,
    ukprn: Option<&str>,
    registration: &str,
    place_type: &str,
) -> CensusSetting {
    let present = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    if let Some(u) = present(urn) {
        return CensusSetting::Urn(u);
    }
    if let Some(u) = present(ukprn) {
        return CensusSetting::Ukprn(u);
    }
    CensusSetting::Type(match (registration, place_type) {
        (_, "vocational") => "WBP",
        ("online", _) | (_, "outreach") => "OOT",
        _ => "OTH",
    })
}

/// A weekly pattern: which of the ten sessions (Monday morning to Friday afternoon) the pupil
/// attends, stored as ten `0`/`1` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern([bool; 10]);

pub const SESSION_NAMES: [&str; 10] = [
    "Monday morning",
    "Monday afternoon",
    "Tuesday morning",
    "Tuesday afternoon",
    "Wednesday morning",
    "Wednesday afternoon",
    "Thursday morning",
    "Thursday afternoon",
    "Friday morning",
    "Friday afternoon",
];

impl Pattern {
    pub fn from_sessions(chosen: &[usize]) -> Result<Pattern, Invalid> {
        let mut p = [false; 10];
        for &i in chosen {
            *p.get_mut(i)
                .ok_or_else(|| Invalid::new("Choose sessions from the list"))? = true;
        }
        if !p.iter().any(|b| *b) {
            return Err(Invalid::new(
                "Choose at least one session the pupil attends",
            ));
        }
        Ok(Pattern(p))
    }

    pub fn parse(stored: &str) -> Result<Pattern, Invalid> {
        let bits: Vec<usize> = stored
            .chars()
            .enumerate()
            .filter(|(_, c)| *c == '1')
            .map(|(i, _)| i)
            .collect();
        if stored.len() != 10 || stored.chars().any(|c| c != '0' && c != '1') {
            return Err(Invalid::new("A pattern is ten sessions"));
        }
        Pattern::from_sessions(&bits)
    }

    pub fn stored(&self) -> String {
        self.0.iter().map(|b| if *b { '1' } else { '0' }).collect()
    }

    pub fn sessions(&self) -> i64 {
        self.0.iter().filter(|b| **b).count() as i64
    }

    pub fn attends(&self, i: usize) -> bool {
        self.0.get(i).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Term;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> Calendar {
        Calendar::new(
            vec![Term {
                name: "Autumn 2".into(),
                starts_on: d("2026-11-02"),
                ends_on: d("2026-12-18"),
            }],
            [],
        )
    }

    #[test]
    fn sixth_day_boundaries() {
        let c = cal();
        // Excluded Monday 9 Nov: school days after are Tue 10 … the sixth is Tue 17 Nov.
        let six = sixth_day(&c, d("2026-11-09"));
        assert_eq!(six, Some(d("2026-11-17")));
        assert!(!sixth_day_breached(
            six,
            Some(d("2026-11-17")),
            d("2026-11-30")
        ));
        assert!(sixth_day_breached(
            six,
            Some(d("2026-11-18")),
            d("2026-11-30")
        ));
        // Not started: a breach only once the sixth day has passed.
        assert!(!sixth_day_breached(six, None, d("2026-11-17")));
        assert!(sixth_day_breached(six, None, d("2026-11-18")));
        // An exclusion on a Friday counts from Monday.
        assert_eq!(sixth_day(&c, d("2026-11-13")), Some(d("2026-11-23")));
        // No calendar that far: never reported as a breach.
        assert!(!sixth_day_breached(None, None, d("2030-01-01")));
    }

    #[test]
    fn review_due_boundaries() {
        let c = cal();
        // 30 school days after Mon 2 Nov: 6 weeks of 5 days, Mon 14 Dec.
        let due = review_due(&c, d("2026-11-02"));
        assert_eq!(due, d("2026-12-14"));
        assert_eq!(review_state(&c, due, d("2026-12-14")), ReviewState::DueSoon);
        assert_eq!(review_state(&c, due, d("2026-12-15")), ReviewState::Overdue);
        // Five school days ahead is "soon"; six is not.
        assert_eq!(review_state(&c, due, d("2026-12-08")), ReviewState::DueSoon);
        assert_eq!(review_state(&c, due, d("2026-12-07")), ReviewState::NotYet);
        // Beyond the calendar: six calendar weeks.
        assert_eq!(review_due(&c, d("2027-03-01")), d("2027-04-12"));
    }

    #[test]
    fn full_time_and_step_out() {
        assert!(is_full_time(18.0));
        assert!(!is_full_time(17.5));
        assert_eq!(hours_per_week("17.5"), Ok(17.5));
        assert!(hours_per_week("17.3").is_err());
        assert!(hours_per_week("0").is_err());
        assert!(hours_per_week("NaN").is_err());
        assert!(hours_per_week("41").is_err());
        assert_eq!(max_weeks("6", "step_out"), Ok(6));
        assert!(max_weeks("7", "step_out").is_err());
        assert_eq!(max_weeks("7", "medical"), Ok(7));
        assert!(max_weeks("0", "medical").is_err());
    }

    #[test]
    fn census_setting_prefers_urn_then_ukprn() {
        assert_eq!(
            census_setting(
                Some("140123"),
                Some("10012345"),
                "registered_school",
                "exclusion"
            ),
            CensusSetting::Urn("140123".into())
        );
        assert_eq!(
            census_setting(None, Some("10012345"), "non_school", "vocational"),
            CensusSetting::Ukprn("10012345".into())
        );
        assert_eq!(
            census_setting(Some(" "), None, "non_school", "vocational"),
            CensusSetting::Type("WBP")
        );
        assert_eq!(
            census_setting(None, None, "online", "medical"),
            CensusSetting::Type("OOT")
        );
        assert_eq!(
            census_setting(None, None, "non_school", "engagement"),
            CensusSetting::Type("OTH")
        );
    }

    #[test]
    fn patterns_round_trip() {
        let p = Pattern::from_sessions(&[0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
        assert_eq!(p.stored(), "1111111100");
        assert_eq!(p.sessions(), 8);
        assert_eq!(Pattern::parse("1111111100").unwrap(), p);
        assert!(Pattern::from_sessions(&[]).is_err());
        assert!(Pattern::from_sessions(&[10]).is_err());
        assert!(Pattern::parse("11").is_err());
    }

    #[test]
    fn vocabularies_parse_their_keys_only() {
        assert_eq!(Reason::parse("suspension"), Ok(Reason::Suspension));
        assert!(Reason::parse("Suspension").is_err());
        assert!(Reason::PermanentExclusion.is_exclusion());
        assert!(!Reason::HealthNeeds.is_exclusion());
        assert_eq!(Reason::HealthNeeds.commissioner(), Commissioner::La);
        assert_eq!(Destination::parse("neet"), Ok(Destination::Neet));
    }
}
