//! Demo placements: a city's worth in every status, dated around today so deadlines, reviews
//! and the sixth-day check show as they would on a real morning. The demo school's pupils
//! follow a fixed script so each account has something to do.

use super::data::PlannedProvider;
use crate::db::placements::{self as store, NewPlacement, NewPlan, NewReview};
use crate::db::{self, Tx};
use crate::domain::calendar::Calendar;
use crate::domain::placement as rules;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A pupil as the demo inserted it.
pub struct Pupil {
    pub id: i64,
    pub school_id: i64,
}

/// What happens to one pupil in the demo.
#[derive(Clone, Copy, PartialEq)]
enum Plan {
    Requested,
    Offered,
    Accepted,
    Active { overdue: bool },
    Ended,
    Withdrawn,
}

const OBJECTIVES: &[(&str, &str)] = &[
    (
        "Attend every session on the timetable",
        "Attendance of 90% or more over four weeks",
    ),
    (
        "Manage frustration without leaving the room",
        "Two or fewer incidents a fortnight, from the provider's log",
    ),
    (
        "Complete the Level 1 unit in English",
        "Unit signed off by the assessor",
    ),
    (
        "Rebuild a relationship with the home school",
        "A successful half-day back in school each week",
    ),
    (
        "Take part in a small group safely",
        "Joins a group of four for a whole session, three weeks running",
    ),
    (
        "Choose a post-16 course",
        "An application made with the careers adviser",
    ),
];

pub(super) fn at(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(9, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t))
        .unwrap_or_else(db::now)
}

/// A reason that fits the place type.
pub(super) fn reason_for(place_type: &str, rng: &mut ChaCha8Rng) -> rules::Reason {
    use rules::Reason::*;
    match place_type {
        "exclusion" => PermanentExclusion,
        "medical" => HealthNeeds,
        "step_out" | "intervention_assessment" | "outreach" => AtRisk,
        "ks1_3_full_time" | "ks4_full_time" => *[PermanentExclusion, Semh, AtRisk]
            .choose(rng)
            .unwrap_or(&Semh),
        _ => *[Semh, AtRisk, Suspension, Other]
            .choose(rng)
            .unwrap_or(&Semh),
    }
}

/// Destinations in proportions like Sheffield's: medical AP 27% back to mainstream and 20% to
/// special school; a registered provider for excluded pupils (the Inclusion Centre) 4.8%,
/// whatever the place type; time-limited tier 2 places most often back home.
pub(super) fn destination_table(
    provider: &PlannedProvider,
    place_type: &str,
) -> &'static [(rules::Destination, u32)] {
    use rules::Destination::*;
    let pupil_referral =
        provider.registration == "registered_school" && provider.place_types.contains(&"exclusion");
    match place_type {
        _ if pupil_referral => &[
            (NewMainstream, 48),
            (SpecialSchool, 200),
            (Post16Eet, 302),
            (OtherAp, 250),
            (Neet, 120),
            (LeftArea, 50),
            (Other, 30),
        ],
        "medical" => &[
            (HomeSchool, 180),
            (NewMainstream, 90),
            (SpecialSchool, 200),
            (Post16Eet, 200),
            (OtherAp, 180),
            (Neet, 70),
            (LeftArea, 40),
            (Other, 40),
        ],
        "exclusion" => &[
            (NewMainstream, 50),
            (SpecialSchool, 200),
            (Post16Eet, 300),
            (OtherAp, 250),
            (Neet, 120),
            (LeftArea, 50),
            (Other, 30),
        ],
        _ => &[
            (HomeSchool, 450),
            (NewMainstream, 100),
            (SpecialSchool, 80),
            (Post16Eet, 150),
            (OtherAp, 120),
            (Neet, 60),
            (LeftArea, 20),
            (Other, 20),
        ],
    }
}

/// A destination drawn by chance from the provider's table.
fn destination_for(
    provider: &PlannedProvider,
    place_type: &str,
    rng: &mut ChaCha8Rng,
) -> rules::Destination {
    let table = destination_table(provider, place_type);
    let mut roll = rng.gen_range(0..table.iter().map(|t| t.1).sum::<u32>());
    for (d, w) in table {
        if roll < *w {
            return *d;
        }
        roll -= w;
    }
    rules::Destination::HomeSchool
}

fn takes_placements(p: &PlannedProvider) -> bool {
    p.dd != "suspended"
        && (p.registration == "registered_school" || matches!(p.dd, "approved" | "expiring"))
}

#[allow(clippy::too_many_arguments)]
pub async fn seed(
    tx: &mut Tx<'_>,
    cal: &Calendar,
    today: NaiveDate,
    pupils: &[Pupil],
    providers: &[(i64, &PlannedProvider)],
    demo_school: i64,
    demo_provider: (i64, &PlannedProvider),
    progressions: Option<i64>,
) -> Result<usize, sqlx::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let last_school_day = (1..20)
        .map(|i| today - Duration::days(i))
        .find(|d| cal.is_school_day(*d));
    let open: Vec<&(i64, &PlannedProvider)> =
        providers.iter().filter(|p| takes_placements(p.1)).collect();
    let mut made = 0;
    // The demo school's script, in pupil order; two pupils have no placement.
    let script = [
        Some((Plan::Active { overdue: false }, true)),
        Some((Plan::Requested, false)),
        Some((Plan::Offered, true)),
        Some((Plan::Accepted, true)),
        Some((Plan::Active { overdue: true }, true)),
        Some((Plan::Active { overdue: false }, true)),
        Some((Plan::Ended, true)),
        Some((Plan::Active { overdue: false }, false)),
        Some((Plan::Ended, false)),
        Some((Plan::Withdrawn, false)),
        None,
        None,
    ];
    let mut demo_i = 0;
    for pupil in pupils {
        let (plan, at_demo) = if pupil.school_id == demo_school {
            let s = script.get(demo_i).copied().flatten();
            demo_i += 1;
            match s {
                Some(x) => x,
                None => continue,
            }
        } else {
            if !rng.gen_bool(0.45) {
                continue;
            }
            let plan = match rng.gen_range(0..100) {
                0..=49 => Plan::Active {
                    overdue: rng.gen_bool(0.15),
                },
                50..=84 => Plan::Ended,
                85..=89 => Plan::Requested,
                90..=92 => Plan::Offered,
                93..=95 => Plan::Accepted,
                _ => Plan::Withdrawn,
            };
            (plan, false)
        };
        let (provider_id, provider) = if at_demo {
            demo_provider
        } else {
            match open.choose(&mut rng) {
                Some(p) => (p.0, p.1),
                None => continue,
            }
        };
        let tier = *provider.tiers.choose(&mut rng).unwrap_or(&2);
        let place_type = *provider
            .place_types
            .choose(&mut rng)
            .unwrap_or(&"engagement");
        let reason = reason_for(place_type, &mut rng);
        let part_time = matches!(
            place_type,
            "engagement" | "outreach" | "step_out" | "medical"
        ) && rng.gen_bool(0.4);
        let hours = if part_time {
            [9.0, 12.5, 15.0][rng.gen_range(0..3)]
        } else {
            25.0
        };
        let weeks = if place_type == "step_out" {
            6
        } else {
            [12, 18, 26, 39][rng.gen_range(0..4)]
        };
        // When it started (or is to start).
        let start = match plan {
            Plan::Ended => today - Duration::days(rng.gen_range(120..600)),
            Plan::Active { overdue: true } => today - Duration::days(rng.gen_range(60..110)),
            Plan::Active { overdue: false } => today - Duration::days(rng.gen_range(3..40)),
            Plan::Accepted => today + Duration::days(rng.gen_range(3..15)),
            _ => today + Duration::days(rng.gen_range(2..20)),
        };
        let exclusion_date = reason.is_exclusion().then(|| {
            if plan == Plan::Requested {
                today - Duration::days(2)
            } else {
                start - Duration::days(rng.gen_range(2..10))
            }
        });
        let sixth = exclusion_date.and_then(|d| rules::sixth_day(cal, d));
        let created = exclusion_date
            .map(|d| d + Duration::days(1))
            .unwrap_or(start - Duration::days(rng.gen_range(7..30)))
            .min(today);
        let status = match plan {
            Plan::Requested => "requested",
            Plan::Offered => "offered",
            Plan::Accepted => "accepted",
            Plan::Active { .. } => "active",
            // Ended ones start active and are ended below, as the service would.
            Plan::Ended => "active",
            Plan::Withdrawn => "withdrawn",
        };
        let matched = !matches!(plan, Plan::Requested | Plan::Withdrawn);
        let started = matches!(plan, Plan::Active { .. } | Plan::Ended);
        let id = store::insert(
            tx,
            &NewPlacement {
                pupil_id: pupil.id,
                school_id: pupil.school_id,
                commissioner: reason.commissioner().key(),
                route: "request",
                provider_id: matched.then_some(provider_id),
                tier,
                place_type,
                reason: reason.key(),
                exclusion_date,
                sixth_day: sixth,
                preferred_start: start,
                sessions_per_week: if part_time { 4 } else { 10 },
                max_travel_km: Some(rng.gen_range(5..15)),
                travel_notes: "Bus pass provided by the school.",
                primary_need: Some("SEMH"),
                needs: "Needs a calm, small-group setting with a consistent key worker; struggles with transitions between lessons.",
                tried: "Pastoral support plan, reduced timetable for two weeks, in-school inclusion room.",
                wanted_outcome: "Back in a full timetable with the confidence to manage the school day.",
                status,
                start_date: started.then_some(start),
                created_by: None,
            },
            at(created),
        )
        .await?;
        store::event(
            tx,
            id,
            None,
            "requested",
            "Requested by the school.",
            at(created),
        )
        .await?;
        if matched {
            let offered = created + Duration::days(1);
            store::insert_offer(tx, id, provider_id, progressions, "", at(offered)).await?;
            store::event(
                tx,
                id,
                progressions,
                "offered",
                &format!("Offered to {}", provider.name),
                at(offered),
            )
            .await?;
            if plan != Plan::Offered {
                store::answer_offer(
                    tx,
                    id,
                    "accepted",
                    "",
                    None,
                    at(offered + Duration::days(1)),
                )
                .await?;
                store::event(
                    tx,
                    id,
                    None,
                    "accepted",
                    &format!("{} accepted.", provider.name),
                    at(offered + Duration::days(1)),
                )
                .await?;
            }
        }
        if plan == Plan::Withdrawn {
            store::event(
                tx,
                id,
                None,
                "withdrawn",
                "The pupil's family moved out of the city.",
                at(created + Duration::days(3)),
            )
            .await?;
        }
        if matched && plan != Plan::Offered {
            let chosen: Vec<(String, String, NaiveDate)> = OBJECTIVES
                .choose_multiple(&mut rng, 2)
                .map(|(o, m)| {
                    (
                        o.to_string(),
                        m.to_string(),
                        start + Duration::weeks(weeks.min(12)),
                    )
                })
                .collect();
            let pattern = if part_time {
                "1010101000"
            } else {
                "1111111111"
            };
            store::save_plan(
                tx,
                id,
                &NewPlan {
                    next_step: if tier == 3 { "new_school" } else { "home_school" },
                    pattern,
                    hours_per_week: hours,
                    part_time_reason: if part_time { "Phased start agreed with the family, building up to full time as the pupil settles." } else { "" },
                    max_weeks: weeks,
                    dual_registered: provider.registration == "registered_school" && rng.gen_bool(0.5),
                    objectives: &chosen,
                },
                None,
                at(created),
            )
            .await?;
            if started {
                store::set_planned_end(tx, id, Some(start + Duration::weeks(weeks)), at(start))
                    .await?;
                store::event(
                    tx,
                    id,
                    progressions,
                    "active",
                    &format!("Started at {}.", provider.name),
                    at(start),
                )
                .await?;
                // Reviews every half term so far, except an overdue one's latest.
                let mut since = start;
                loop {
                    let due = rules::review_due(cal, since);
                    let held = due - Duration::days(rng.gen_range(0..5));
                    let last_day = if plan == Plan::Ended {
                        start + Duration::weeks(weeks)
                    } else {
                        today
                    };
                    if held >= last_day || matches!(plan, Plan::Active { overdue: true }) {
                        break;
                    }
                    let progress: Vec<(i64, String, String)> = chosen
                        .iter()
                        .enumerate()
                        .map(|(i, (o, _, _))| {
                            (
                                i as i64 + 1,
                                o.clone(),
                                "Steady progress; on track for the target date.".to_string(),
                            )
                        })
                        .collect();
                    store::insert_review(
                        tx,
                        id,
                        &NewReview {
                            held_on: held,
                            attendance_summary:
                                "91% of sessions; absences explained by the family.",
                            pupil_voice: "Likes the practical work and says staff listen.",
                            parent_voice: "Pleased with the change at home.",
                            decision: "continue",
                            notes: "",
                            progress: &progress,
                        },
                        None,
                        at(held),
                    )
                    .await?;
                    since = held;
                }
            }
            if started {
                let last = if plan == Plan::Ended {
                    (start + Duration::weeks(weeks)).min(today - Duration::days(3))
                } else {
                    today - Duration::days(1)
                };
                let rate = rng.gen_range(0.55..0.99);
                // The demo provider has yet to take its last afternoon register: something to
                // catch up on.
                let history = History {
                    placement_id: id,
                    provider_id,
                    pattern,
                    start,
                    last,
                    rate,
                    skip_pm: last_school_day.filter(|_| provider_id == demo_provider.0),
                };
                marks(tx, cal, &mut rng, &history).await?;
            }
            if plan == Plan::Ended {
                let end = (start + Duration::weeks(weeks)).min(today - Duration::days(3));
                let dest = destination_for(provider, place_type, &mut rng);
                end_placement(tx, id, end, dest).await?;
            }
        }
        made += 1;
    }
    // The register history above was written mark by mark: count it once.
    crate::db::attendance::recount_all(tx).await?;
    Ok(made)
}

/// What follows every placement, the history's too: answers to the follow-ups already due,
/// and the attendance schools recorded before placements.
pub async fn finish(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    // Follow-ups already due are answered: most pupils are still in mainstream at 6 weeks,
    // fewer at 12 (and none at 12 who had left by 6). Fixed by placement id, so deterministic.
    for (weeks, still) in [
        (6i64, "placement_id % 20 <> 0 AND placement_id % 7 <> 3"),
        (
            12,
            "placement_id % 20 <> 0 AND placement_id % 7 <> 3 AND placement_id % 9 <> 4",
        ),
    ] {
        sqlx::query(&format!(
            "UPDATE placement_followups SET still_in_mainstream = ({still}), answered_at = $2 \
             WHERE weeks = $1 AND due_on <= $3"
        ))
        .bind(weeks)
        .bind(crate::db::now())
        .bind(crate::attendance::today())
        .execute(&mut **tx)
        .await?;
    }
    // Most schools entered the pupil's attendance before the placement (about 40% to 80%).
    sqlx::query(
        "INSERT INTO prior_attendance (placement_id, possible, attended, entered_at) \
         SELECT id, 120, 50 + (id * 37) % 50, $1 FROM placements \
         WHERE status IN ('active', 'ended') AND id % 4 <> 0 \
         AND id NOT IN (SELECT placement_id FROM prior_attendance)",
    )
    .bind(crate::db::now())
    .execute(&mut **tx)
    .await?;
    // Written above without the service's paths: the report's rows afresh.
    crate::db::outcomes::record(tx, 0, i64::MAX).await?;
    Ok(())
}

/// Ends a placement through the service's path, with its timeline event.
pub(super) async fn end_placement(
    tx: &mut Tx<'_>,
    id: i64,
    end: NaiveDate,
    dest: rules::Destination,
) -> Result<(), sqlx::Error> {
    let note = if dest == rules::Destination::Other {
        "Elective home education"
    } else {
        ""
    };
    store::end(tx, id, end, dest.key(), note, at(end)).await?;
    store::event(
        tx,
        id,
        None,
        "ended",
        &format!("Ended: {}.", dest.label().to_lowercase()),
        at(end),
    )
    .await
}

/// A register history for one placement: each school day its pattern includes, up to `last`,
/// attended with probability `rate`, otherwise a plausible absence.
struct History<'a> {
    placement_id: i64,
    provider_id: i64,
    pattern: &'a str,
    start: NaiveDate,
    last: NaiveDate,
    rate: f64,
    /// A day whose afternoon register is left untaken.
    skip_pm: Option<NaiveDate>,
}

async fn marks(
    tx: &mut Tx<'_>,
    cal: &Calendar,
    rng: &mut ChaCha8Rng,
    h: &History<'_>,
) -> Result<(), sqlx::Error> {
    let History {
        placement_id,
        provider_id,
        pattern,
        start,
        last,
        rate,
        skip_pm,
    } = *h;
    use crate::db::attendance as att;
    use crate::domain::attendance::{Mark, Session};
    let Ok(pattern) = rules::Pattern::parse(pattern) else {
        return Ok(());
    };
    let mut d = start;
    while d <= last {
        if cal.is_school_day(d) {
            for s in Session::ALL {
                let Some(i) = s.pattern_index(d) else {
                    continue;
                };
                if !pattern.attends(i) || (s == Session::Pm && skip_pm == Some(d)) {
                    continue;
                }
                let mark = if rng.gen_bool(rate) {
                    if rng.gen_bool(0.05) {
                        Mark::Late
                    } else {
                        Mark::Present
                    }
                } else {
                    *[
                        Mark::Ill,
                        Mark::Ill,
                        Mark::Medical,
                        Mark::Unauthorised,
                        Mark::AuthorisedOther,
                        Mark::NoReason,
                    ]
                    .choose(rng)
                    .unwrap_or(&Mark::Ill)
                };
                let at = at(d);
                att::take(tx, provider_id, d, s.key(), None, "import", at).await?;
                att::put_mark(
                    tx,
                    placement_id,
                    d,
                    s.key(),
                    provider_id,
                    mark.code(),
                    "",
                    None,
                    at,
                )
                .await?;
            }
        }
        d += Duration::days(1);
    }
    Ok(())
}
