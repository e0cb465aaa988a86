//! Attendance (DOMAIN.md section 9): sessions, the marks a provider records and the national
//! codes they stand for, the code the commissioning school copies, and attendance rates.

use super::Invalid;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

/// Sessions in a school week (Monday morning to Friday afternoon).
pub const SESSION_COUNT: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Session {
    Am,
    Pm,
}

impl Session {
    pub const ALL: [Session; 2] = [Session::Am, Session::Pm];

    pub fn key(self) -> &'static str {
        match self {
            Session::Am => "am",
            Session::Pm => "pm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Session::Am => "morning",
            Session::Pm => "afternoon",
        }
    }

    pub fn parse(s: &str) -> Result<Session, Invalid> {
        match s.trim() {
            "am" => Ok(Session::Am),
            "pm" => Ok(Session::Pm),
            _ => Err(Invalid::new("The session must be am or pm")),
        }
    }

    /// Its place in a weekly pattern (Monday morning is 0): `None` at weekends.
    pub fn pattern_index(self, d: NaiveDate) -> Option<usize> {
        use chrono::Datelike;
        let day = d.weekday().num_days_from_monday() as usize;
        (day < 5).then_some(day * 2 + if self == Session::Pm { 1 } else { 0 })
    }
}

/// What a provider records for a pupil in a session, and the national code it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    Present,
    Late,
    Ill,
    Medical,
    Religious,
    Excluded,
    AuthorisedOther,
    LateAfterClose,
    Holiday,
    Unauthorised,
    NoReason,
    NoTransport,
    Disruption,
}

impl Mark {
    pub const ALL: [Mark; 13] = [
        Mark::Present,
        Mark::Late,
        Mark::Ill,
        Mark::Medical,
        Mark::Religious,
        Mark::Excluded,
        Mark::AuthorisedOther,
        Mark::LateAfterClose,
        Mark::Holiday,
        Mark::Unauthorised,
        Mark::NoReason,
        Mark::NoTransport,
        Mark::Disruption,
    ];

    /// The national code (from August 2024).
    pub fn code(self) -> &'static str {
        match self {
            Mark::Present => "/",
            Mark::Late => "L",
            Mark::Ill => "I",
            Mark::Medical => "M",
            Mark::Religious => "R",
            Mark::Excluded => "E",
            Mark::AuthorisedOther => "C",
            Mark::LateAfterClose => "U",
            Mark::Holiday => "G",
            Mark::Unauthorised => "O",
            Mark::NoReason => "N",
            Mark::NoTransport => "Y1",
            Mark::Disruption => "Y2",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mark::Present => "Present",
            Mark::Late => "Late, before the register closed",
            Mark::Ill => "Ill",
            Mark::Medical => "Medical or dental appointment",
            Mark::Religious => "Religious observance",
            Mark::Excluded => "Suspended or excluded",
            Mark::AuthorisedOther => "Absent for another reason the school agreed",
            Mark::LateAfterClose => "Arrived after the register closed",
            Mark::Holiday => "Holiday not agreed",
            Mark::Unauthorised => "Absent without a good reason",
            Mark::NoReason => "Absent: no reason given yet",
            Mark::NoTransport => "Could not attend: transport not available",
            Mark::Disruption => "Could not attend: widespread disruption",
        }
    }

    /// Marks are stored, sent and received by their national code.
    pub fn from_code(code: &str) -> Result<Mark, Invalid> {
        let c = code.trim();
        Mark::ALL
            .into_iter()
            .find(|m| m.code() == c)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "\"{}\" is not a mark this service records: use one of {}",
                    c.chars().take(10).collect::<String>(),
                    Mark::ALL.map(|m| m.code()).join(" ")
                ))
            })
    }

    pub fn attended(self) -> bool {
        matches!(self, Mark::Present | Mark::Late)
    }
}

/// Whether a national code counts as attended (present or late before close).
pub fn code_attended(code: &str) -> bool {
    matches!(code, "/" | "\\" | "L")
}

/// Whether a code is a possible session: not Q, Y1 to Y7, X, Z or #.
pub fn code_possible(code: &str) -> bool {
    !(code == "Q" || code == "X" || code == "Z" || code == "#" || code.starts_with('Y'))
}

/// The code the commissioning school copies into its own register, and why.
pub fn school_code(
    mark: &str,
    commissioner: &str,
    dual_registered: bool,
    online: bool,
) -> (&'static str, &'static str) {
    if !code_attended(mark) {
        return (
            Mark::from_code(mark).map(|m| m.code()).unwrap_or("N"),
            "the absence code the provider gave",
        );
    }
    if dual_registered {
        ("D", "dual registered: the provider keeps its own register")
    } else if commissioner == "la" {
        ("K", "attended provision arranged by the council")
    } else if online {
        (
            "C",
            "online provision is not attendance: an absence agreed by the school",
        )
    } else {
        ("B", "attended off-site provision the school arranged")
    }
}

/// Sessions attended out of sessions possible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rate {
    pub attended: i64,
    pub possible: i64,
}

/// How a rate stands against the national thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    NoSessions,
    Good,
    /// Below 90%.
    Persistent,
    /// Below 50%.
    Severe,
}

impl Rate {
    pub fn add(&mut self, code: &str) {
        self.add_n(code, 1);
    }

    /// `n` sessions with this code.
    pub fn add_n(&mut self, code: &str, n: i64) {
        if code_possible(code) {
            self.possible += n;
            if code_attended(code) {
                self.attended += n;
            }
        }
    }

    /// Percent to one decimal place; `None` with no possible sessions.
    pub fn percent(self) -> Option<f64> {
        (self.possible > 0)
            .then(|| (self.attended as f64 * 1000.0 / self.possible as f64).round() / 10.0)
    }

    pub fn band(self) -> Band {
        if self.possible == 0 {
            Band::NoSessions
        } else if self.attended * 2 < self.possible {
            Band::Severe
        } else if self.attended * 10 < self.possible * 9 {
            Band::Persistent
        } else {
            Band::Good
        }
    }
}

/// Today in Europe/London: the register day, whatever the server's clock zone.
pub fn london_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&London).date_naive()
}

/// The UTC instant of a London wall-clock time on a day (the later one if the clocks go back,
/// the next valid one if they go forward).
pub fn london_instant(day: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    match London.from_local_datetime(&day.and_time(t)) {
        chrono::LocalResult::Single(x) => x.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
        chrono::LocalResult::None => London
            .from_local_datetime(&(day.and_time(t) + chrono::Duration::hours(1)))
            .earliest()
            .map(|x| x.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_time(t))),
    }
}

/// Whether a session's register is missing at `now`: not taken, and its cut-off has passed.
pub fn is_missing(taken: bool, day: NaiveDate, cutoff: NaiveTime, now: DateTime<Utc>) -> bool {
    !taken && now >= london_instant(day, cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for m in Mark::ALL {
            assert_eq!(Mark::from_code(m.code()), Ok(m));
        }
        assert!(
            Mark::from_code("B").is_err(),
            "B is the school's code, not the provider's"
        );
        assert!(Mark::from_code("").is_err());
        assert!(Mark::from_code("//").is_err());
    }

    #[test]
    fn the_school_code_follows_who_arranged_the_place() {
        assert_eq!(school_code("/", "la", false, false).0, "K");
        assert_eq!(school_code("L", "school", false, false).0, "B");
        assert_eq!(school_code("/", "school", true, false).0, "D");
        assert_eq!(school_code("/", "la", true, false).0, "D");
        // Online provision is never B.
        assert_eq!(school_code("/", "school", false, true).0, "C");
        assert_eq!(school_code("/", "la", false, true).0, "K");
        assert_eq!(school_code("I", "school", false, false).0, "I");
        assert_eq!(school_code("N", "la", true, false).0, "N");
    }

    #[test]
    fn rates_leave_out_sessions_that_are_not_possible() {
        let mut r = Rate::default();
        for c in ["/", "L", "N", "Y1", "Y2", "X", "Z", "#", "Q", "I"] {
            r.add(c);
        }
        assert_eq!(
            r,
            Rate {
                attended: 2,
                possible: 4
            }
        );
        assert_eq!(r.percent(), Some(50.0));
        assert_eq!(r.band(), Band::Persistent, "exactly 50% is not severe");
        assert_eq!(
            Rate {
                attended: 9,
                possible: 10
            }
            .band(),
            Band::Good,
            "exactly 90%"
        );
        assert_eq!(
            Rate {
                attended: 89,
                possible: 100
            }
            .band(),
            Band::Persistent
        );
        assert_eq!(
            Rate {
                attended: 49,
                possible: 100
            }
            .band(),
            Band::Severe
        );
        assert_eq!(Rate::default().band(), Band::NoSessions);
        assert_eq!(Rate::default().percent(), None);
        assert_eq!(
            Rate {
                attended: 2,
                possible: 3
            }
            .percent(),
            Some(66.7)
        );
    }

    #[test]
    fn sessions_sit_in_the_weekly_pattern() {
        assert_eq!(
            Session::Am.pattern_index(d("2026-11-23")),
            Some(0),
            "Monday morning"
        );
        assert_eq!(
            Session::Pm.pattern_index(d("2026-11-27")),
            Some(9),
            "Friday afternoon"
        );
        assert_eq!(Session::Am.pattern_index(d("2026-11-28")), None, "Saturday");
    }

    #[test]
    fn london_midnight_and_cut_offs() {
        // 23:30 UTC in summer is already tomorrow in London; in winter it is still today.
        assert_eq!(london_date(utc("2026-06-30T23:30:00Z")), d("2026-07-01"));
        assert_eq!(london_date(utc("2026-11-24T23:30:00Z")), d("2026-11-24"));
        assert_eq!(london_date(utc("2026-11-25T00:00:00Z")), d("2026-11-25"));
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        // Winter: 10:00 London is 10:00 UTC; summer: 09:00 UTC.
        assert!(!is_missing(
            false,
            d("2026-11-24"),
            ten,
            utc("2026-11-24T09:59:59Z")
        ));
        assert!(is_missing(
            false,
            d("2026-11-24"),
            ten,
            utc("2026-11-24T10:00:00Z")
        ));
        assert!(is_missing(
            false,
            d("2026-06-30"),
            ten,
            utc("2026-06-30T09:00:00Z")
        ));
        assert!(!is_missing(
            false,
            d("2026-06-30"),
            ten,
            utc("2026-06-30T08:59:59Z")
        ));
        assert!(!is_missing(
            true,
            d("2026-11-24"),
            ten,
            utc("2026-11-24T12:00:00Z")
        ));
        // The day the clocks go forward (29 March 2026), 01:30 does not exist in London.
        let half_one = NaiveTime::from_hms_opt(1, 30, 0).unwrap();
        assert_eq!(
            london_instant(d("2026-03-29"), half_one),
            utc("2026-03-29T01:30:00Z")
        );
    }
}
