//! Due diligence: a provider's status derived from its checks, the placement gate, and the
//! registration-threshold warning (DOMAIN.md section 7). Pure rules; no I/O.

use super::Invalid;
use chrono::NaiveDate;
use serde::Serialize;

/// Days before an expiry at which a provider becomes `expiring`.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DdStatus {
    Pending,
    Approved,
    Expiring,
    Lapsed,
    Suspended,
}

impl DdStatus {
    pub fn key(self) -> &'static str {
        match self {
            DdStatus::Pending => "pending",
            DdStatus::Approved => "approved",
            DdStatus::Expiring => "expiring",
            DdStatus::Lapsed => "lapsed",
            DdStatus::Suspended => "suspended",
        }
    }
    pub fn parse(s: &str) -> Result<DdStatus, Invalid> {
        [
            DdStatus::Pending,
            DdStatus::Approved,
            DdStatus::Expiring,
            DdStatus::Lapsed,
            DdStatus::Suspended,
        ]
        .into_iter()
        .find(|d| d.key() == s)
        .ok_or_else(|| Invalid::new("Unknown due-diligence status"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Passed,
    Failed,
    NotApplicable,
}

impl CheckResult {
    pub const ALL: [CheckResult; 3] = [
        CheckResult::Passed,
        CheckResult::Failed,
        CheckResult::NotApplicable,
    ];
    pub fn key(self) -> &'static str {
        match self {
            CheckResult::Passed => "passed",
            CheckResult::Failed => "failed",
            CheckResult::NotApplicable => "not_applicable",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CheckResult::Passed => "Passed",
            CheckResult::Failed => "Failed",
            CheckResult::NotApplicable => "Not applicable",
        }
    }
    pub fn parse(s: &str) -> Result<CheckResult, Invalid> {
        CheckResult::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| Invalid::new("Choose passed, failed or not applicable"))
    }
}

/// One required check and the latest record of it, if any.
#[derive(Debug, Clone)]
pub struct RequiredCheck {
    pub name: String,
    pub latest: Option<Recorded>,
}

#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    pub result: CheckResult,
    pub checked_on: NaiveDate,
    /// The first day the check is no longer valid.
    pub expires_on: Option<NaiveDate>,
}

/// "3 March 2027".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The status and the reason, always in words. A check is valid on the days before its
/// expiry date: on that date it has expired. Order of precedence: suspended, then failed or
/// expired (lapsed), then not yet checked (pending), then expiring within 30 days.
pub fn derive(
    required: &[RequiredCheck],
    suspended: Option<(NaiveDate, &str)>,
    today: NaiveDate,
) -> (DdStatus, String) {
    if let Some((on, _)) = suspended {
        return (
            DdStatus::Suspended,
            format!("Suspended on {}: not taking new placements.", long_date(on)),
        );
    }
    let mut lapsed: Vec<String> = Vec::new();
    let mut missing = 0;
    let mut soonest: Option<(NaiveDate, &str)> = None;
    for c in required {
        match &c.latest {
            None => missing += 1,
            Some(r) if r.result == CheckResult::Failed => {
                lapsed.push(format!(
                    "{} check failed on {}.",
                    c.name,
                    long_date(r.checked_on)
                ));
            }
            Some(r) => match r.expires_on {
                Some(e) if e <= today => {
                    lapsed.push(format!("{} expired on {}.", c.name, long_date(e)));
                }
                Some(e)
                    if (e - today).num_days() <= EXPIRING_WITHIN_DAYS
                        && soonest.is_none_or(|(s, _)| e < s) =>
                {
                    soonest = Some((e, c.name.as_str()));
                }
                _ => {}
            },
        }
    }
    if !lapsed.is_empty() {
        return (DdStatus::Lapsed, lapsed.join(" "));
    }
    if missing > 0 {
        let done = required.len() - missing;
        return (
            DdStatus::Pending,
            format!(
                "Due diligence has started: {done} of {} checks are complete.",
                required.len()
            ),
        );
    }
    if let Some((e, name)) = soonest {
        return (
            DdStatus::Expiring,
            format!("{name} expires on {}.", long_date(e)),
        );
    }
    (
        DdStatus::Approved,
        "All required checks are passed and in date.".into(),
    )
}

/// The placement gate: every path that starts a placement calls this. A registered school may
/// take placements whatever its checks say (Ofsted inspects it), unless the council has
/// suspended it; other provision needs due diligence approved (or expiring, still in date).
pub fn placement_gate(
    provider: &str,
    registration: &str,
    status: DdStatus,
    reason: &str,
) -> Result<(), String> {
    match (status, registration) {
        (DdStatus::Suspended, _) => Err(format!(
            "{provider} is suspended by the council and is not taking new placements."
        )),
        (_, "registered_school") => Ok(()),
        (DdStatus::Approved | DdStatus::Expiring, _) => Ok(()),
        (DdStatus::Pending, _) => Err(format!(
            "{provider} cannot take placements until the council's due diligence is complete. {reason}"
        )),
        (DdStatus::Lapsed, _) => Err(format!(
            "{provider} cannot take new placements: due diligence has lapsed. {reason}"
        )),
    }
}

/// Full-time placements at one provider, for the registration threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FullTimeCount {
    pub pupils: u32,
    pub with_ehc_plan: u32,
    pub looked_after: u32,
}

/// The statutory threshold: an unregistered provider teaching full time 5 or more pupils, or
/// one with an EHC plan, or one looked-after child, must register as an independent school.
/// Returns a warning when `current` plus `adding` would reach it.
pub fn threshold_warning(
    provider: &str,
    registration: &str,
    current: FullTimeCount,
    adding: FullTimeCount,
) -> Option<String> {
    if registration == "registered_school" {
        return None;
    }
    let after = FullTimeCount {
        pupils: current.pupils + adding.pupils,
        with_ehc_plan: current.with_ehc_plan + adding.with_ehc_plan,
        looked_after: current.looked_after + adding.looked_after,
    };
    let why = if after.with_ehc_plan >= 1 && adding.with_ehc_plan >= 1 {
        "a pupil with an EHC plan"
    } else if after.looked_after >= 1 && adding.looked_after >= 1 {
        "a looked-after child"
    } else if after.pupils >= 5 && adding.pupils >= 1 {
        "5 or more pupils"
    } else {
        return None;
    };
    Some(format!(
        "{provider} is not a registered school. Full-time education for {why} would reach the \
         threshold at which it must register as an independent school ({} full-time pupils after \
         this placement). Check the placement pattern with the provider before confirming.",
        after.pupils
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn check(
        name: &str,
        result: CheckResult,
        checked: &str,
        expires: Option<&str>,
    ) -> RequiredCheck {
        RequiredCheck {
            name: name.into(),
            latest: Some(Recorded {
                result,
                checked_on: d(checked),
                expires_on: expires.map(d),
            }),
        }
    }

    const TODAY: &str = "2026-11-24";

    #[test]
    fn expiry_boundaries() {
        let today = d(TODAY);
        let with = |exp: &str| {
            derive(
                &[
                    check("Insurance", CheckResult::Passed, "2026-01-01", Some(exp)),
                    check(
                        "Financial standing",
                        CheckResult::Passed,
                        "2026-06-01",
                        Some("2027-06-01"),
                    ),
                ],
                None,
                today,
            )
        };
        let (s, r) = with("2026-11-24");
        assert_eq!(s, DdStatus::Lapsed, "expiry today: expired");
        assert_eq!(r, "Insurance expired on 24 November 2026.");
        let (s, r) = with("2026-11-25");
        assert_eq!(s, DdStatus::Expiring, "expiry tomorrow");
        assert_eq!(r, "Insurance expires on 25 November 2026.");
        assert_eq!(with("2026-12-24").0, DdStatus::Expiring, "30 days");
        assert_eq!(with("2026-12-25").0, DdStatus::Approved, "31 days");
        assert_eq!(with("2026-11-23").0, DdStatus::Lapsed, "yesterday");
    }

    #[test]
    fn precedence_and_reasons() {
        let today = d(TODAY);
        let failed = check("Staff vetting", CheckResult::Failed, "2026-11-01", None);
        let missing = RequiredCheck {
            name: "Policies".into(),
            latest: None,
        };
        let ok = check(
            "Insurance",
            CheckResult::Passed,
            "2026-01-01",
            Some("2027-01-01"),
        );
        let na = check(
            "Financial standing",
            CheckResult::NotApplicable,
            "2026-02-01",
            Some("2027-02-01"),
        );
        assert_eq!(
            derive(&[ok.clone(), na.clone()], None, today).0,
            DdStatus::Approved,
            "not applicable counts as satisfied"
        );
        let (s, r) = derive(&[ok.clone(), missing.clone()], None, today);
        assert_eq!(s, DdStatus::Pending);
        assert_eq!(r, "Due diligence has started: 1 of 2 checks are complete.");
        let (s, r) = derive(&[failed.clone(), missing.clone()], None, today);
        assert_eq!(s, DdStatus::Lapsed, "a failure outranks a missing check");
        assert_eq!(r, "Staff vetting check failed on 1 November 2026.");
        let (s, r) = derive(&[failed, ok], Some((d("2026-11-04"), "concern")), today);
        assert_eq!(s, DdStatus::Suspended);
        assert_eq!(
            r,
            "Suspended on 4 November 2026: not taking new placements."
        );
        assert_eq!(derive(&[], None, today).0, DdStatus::Approved);
    }

    #[test]
    fn the_gate_on_every_status_and_registration() {
        use DdStatus::*;
        for reg in ["registered_school", "non_school", "online"] {
            for status in [Pending, Approved, Expiring, Lapsed, Suspended] {
                let r = placement_gate("P", reg, status, "Reason.");
                let allowed = match status {
                    Suspended => false,
                    Approved | Expiring => true,
                    Pending | Lapsed => reg == "registered_school",
                };
                assert_eq!(r.is_ok(), allowed, "{reg} {status:?}");
                if let Err(why) = r {
                    assert!(why.starts_with("P "), "names the provider: {why}");
                    if matches!(status, Pending | Lapsed) {
                        assert!(why.ends_with("Reason."), "gives the reason: {why}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_registration_threshold() {
        let n = |pupils, with_ehc_plan, looked_after| FullTimeCount {
            pupils,
            with_ehc_plan,
            looked_after,
        };
        let one = n(1, 0, 0);
        assert!(threshold_warning("P", "non_school", n(3, 0, 0), one).is_none());
        assert!(threshold_warning("P", "non_school", n(4, 0, 0), one)
            .unwrap()
            .contains("5 or more pupils"));
        assert!(threshold_warning("P", "online", n(0, 0, 0), n(1, 1, 0))
            .unwrap()
            .contains("EHC plan"));
        assert!(threshold_warning("P", "non_school", n(0, 0, 0), n(1, 0, 1))
            .unwrap()
            .contains("looked-after"));
        assert!(threshold_warning("P", "registered_school", n(40, 3, 2), n(1, 1, 1)).is_none());
        // A part-time placement adds nothing full time.
        assert!(threshold_warning("P", "non_school", n(4, 0, 0), n(0, 0, 0)).is_none());
    }
}
