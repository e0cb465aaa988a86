//! Registers and marks. A register's pupils are the placements active with the provider that
//! day whose weekly pattern includes the session; marks are read through the same
//! `PupilScope` rule as placements (a school its own placements, a provider its own).

use super::placements::scope_sql;
use super::pupils::PupilScope;
use super::{Pool, Tx};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::FromRow;

/// One pupil on a register, with the mark already recorded if any.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct RegisterLine {
    pub placement_id: i64,
    pub pupil_id: i64,
    pub upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_name: Option<String>,
    pub school_id: i64,
    pub school_name: String,
    pub commissioner: String,
    pub code: Option<String>,
    pub note: Option<String>,
}

/// The predicate for "on this provider's register for ($2 date, $3 pattern position)".
const ON_REGISTER: &str = "pl.provider_id = $1 AND pl.status IN ('active', 'ended') \
    AND pl.start_date <= $2 AND (pl.end_date IS NULL OR pl.end_date >= $2) \
    AND substr(pp.pattern, CAST($3 AS INTEGER), 1) = '1'";

/// The pupils due on a register (`position` is the session's place in the weekly pattern).
pub async fn register_lines(
    pool: &Pool,
    provider_id: i64,
    on: NaiveDate,
    session: &str,
    position: usize,
) -> Result<Vec<RegisterLine>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT pl.id AS placement_id, p.id AS pupil_id, p.upn, p.legal_forename, p.legal_surname, \
         p.preferred_name, pl.school_id, s.name AS school_name, pl.commissioner, m.code, m.note \
         FROM placements pl JOIN placement_plans pp ON pp.placement_id = pl.id \
         JOIN pupils p ON p.id = pl.pupil_id JOIN schools s ON s.id = pl.school_id \
         LEFT JOIN attendance_marks m ON m.placement_id = pl.id AND m.on_date = $2 AND m.session = $4 \
         WHERE {ON_REGISTER} ORDER BY p.legal_surname, p.legal_forename, pl.id"
    ))
    .bind(provider_id)
    .bind(on)
    .bind(position as i64 + 1)
    .bind(session)
    .fetch_all(pool)
    .await
}

/// The placements due on a register, with their pupils' UPNs, read inside the saving
/// transaction so the check and the write agree.
pub async fn register_ids_tx(
    tx: &mut Tx<'_>,
    provider_id: i64,
    on: NaiveDate,
    position: usize,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT pl.id, p.upn FROM placements pl \
         JOIN placement_plans pp ON pp.placement_id = pl.id JOIN pupils p ON p.id = pl.pupil_id \
         WHERE {ON_REGISTER}"
    ))
    .bind(provider_id)
    .bind(on)
    .bind(position as i64 + 1)
    .fetch_all(&mut **tx)
    .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Taken {
    pub taken_at: DateTime<Utc>,
    pub via: String,
    pub taken_by_name: Option<String>,
}

pub async fn taken(
    pool: &Pool,
    provider_id: i64,
    on: NaiveDate,
    session: &str,
) -> Result<Option<Taken>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.taken_at, r.via, u.display_name AS taken_by_name FROM registers r \
         LEFT JOIN users u ON u.id = r.taken_by WHERE r.provider_id = $1 AND r.on_date = $2 AND r.session = $3",
    )
    .bind(provider_id)
    .bind(on)
    .bind(session)
    .fetch_optional(pool)
    .await
}

/// Marks the register taken; `false` if it already was.
pub async fn take(
    tx: &mut Tx<'_>,
    provider_id: i64,
    on: NaiveDate,
    session: &str,
    by: Option<i64>,
    via: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO registers (provider_id, on_date, session, taken_by, taken_at, via) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(provider_id)
    .bind(on)
    .bind(session)
    .bind(by)
    .bind(at)
    .bind(via)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The mark now held for a placement and session, under the write lock.
pub async fn current(
    tx: &mut Tx<'_>,
    placement_id: i64,
    on: NaiveDate,
    session: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT code FROM attendance_marks WHERE placement_id = $1 AND on_date = $2 AND session = $3",
    )
    .bind(placement_id)
    .bind(on)
    .bind(session)
    .fetch_optional(&mut **tx)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn put_mark(
    tx: &mut Tx<'_>,
    placement_id: i64,
    on: NaiveDate,
    session: &str,
    provider_id: i64,
    code: &str,
    note: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO attendance_marks (placement_id, on_date, session, provider_id, code, note, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (placement_id, on_date, session) DO UPDATE SET \
         code = excluded.code, note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(placement_id)
    .bind(on)
    .bind(session)
    .bind(provider_id)
    .bind(code)
    .bind(note)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The last `n` marks of a placement before a session, newest first (for absence patterns).
pub async fn before(
    tx: &mut Tx<'_>,
    placement_id: i64,
    on: NaiveDate,
    session: &str,
    n: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT code FROM attendance_marks WHERE placement_id = $1 AND \
         (on_date < $2 OR (on_date = $2 AND session < $3)) ORDER BY on_date DESC, session DESC LIMIT $4",
    )
    .bind(placement_id)
    .bind(on)
    .bind(session)
    .bind(n)
    .fetch_all(&mut **tx)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_change(
    tx: &mut Tx<'_>,
    placement_id: i64,
    on: NaiveDate,
    session: &str,
    old_code: &str,
    new_code: &str,
    reason: &str,
    status: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO mark_changes (placement_id, on_date, session, old_code, new_code, reason, status, \
         requested_by, requested_at, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         CASE WHEN $7 = 'applied' THEN $8 END, CASE WHEN $7 = 'applied' THEN $9 END) RETURNING id",
    )
    .bind(placement_id)
    .bind(on)
    .bind(session)
    .bind(old_code)
    .bind(new_code)
    .bind(reason)
    .bind(status)
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ChangeRow {
    pub id: i64,
    pub placement_id: i64,
    pub on_date: NaiveDate,
    pub session: String,
    pub old_code: String,
    pub new_code: String,
    pub reason: String,
    pub status: String,
    pub requested_by: Option<i64>,
    pub requested_by_name: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub provider_name: String,
    pub legal_forename: String,
    pub legal_surname: String,
}

const CHANGES: &str = "SELECT c.id, c.placement_id, c.on_date, c.session, c.old_code, c.new_code, c.reason, \
    c.status, c.requested_by, ru.display_name AS requested_by_name, c.requested_at, du.display_name AS decided_by_name, \
    c.decided_at, pr.name AS provider_name, p.legal_forename, p.legal_surname \
    FROM mark_changes c JOIN placements pl ON pl.id = c.placement_id JOIN pupils p ON p.id = pl.pupil_id \
    JOIN providers pr ON pr.id = pl.provider_id \
    LEFT JOIN users ru ON ru.id = c.requested_by LEFT JOIN users du ON du.id = c.decided_by";

/// Changes to one placement's marks (in scope), newest first.
pub async fn changes_of(
    pool: &Pool,
    scope: PupilScope,
    placement_id: i64,
) -> Result<Vec<ChangeRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "{CHANGES} WHERE {pred} AND c.placement_id = $2 ORDER BY c.requested_at DESC, c.id DESC"
    ))
    .bind(org)
    .bind(placement_id)
    .fetch_all(pool)
    .await
}

/// Changes waiting for the Progressions Team, oldest first.
pub async fn pending(pool: &Pool) -> Result<Vec<ChangeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CHANGES} WHERE c.status = 'pending' ORDER BY c.requested_at, c.id"
    ))
    .fetch_all(pool)
    .await
}

pub async fn change(tx: &mut Tx<'_>, id: i64) -> Result<Option<ChangeRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CHANGES} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn decide_change(
    tx: &mut Tx<'_>,
    id: i64,
    status: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE mark_changes SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One mark with what the school needs to copy it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct MarkRow {
    pub placement_id: i64,
    pub pupil_id: i64,
    pub upn: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_name: Option<String>,
    pub school_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub registration: String,
    pub commissioner: String,
    pub dual_registered: Option<bool>,
    pub on_date: NaiveDate,
    pub session: String,
    pub code: String,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
}

/// Marks in scope between two dates, by pupil, date and session.
pub async fn marks(
    pool: &Pool,
    scope: PupilScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MarkRow>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "SELECT m.placement_id, p.id AS pupil_id, p.upn, p.legal_forename, p.legal_surname, p.preferred_name, \
         pl.school_id, m.provider_id, pr.name AS provider_name, pr.registration, pl.commissioner, \
         pp.dual_registered, m.on_date, m.session, m.code, m.note, m.recorded_at \
         FROM attendance_marks m JOIN placements pl ON pl.id = m.placement_id \
         JOIN pupils p ON p.id = pl.pupil_id JOIN providers pr ON pr.id = m.provider_id \
         LEFT JOIN placement_plans pp ON pp.placement_id = pl.id \
         WHERE {pred} AND m.on_date >= $2 AND m.on_date <= $3 \
         ORDER BY p.legal_surname, p.legal_forename, m.placement_id, m.on_date, m.session"
    ))
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Codes of one placement's marks between two dates (for its rate).
pub async fn codes_of(
    pool: &Pool,
    placement_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT code FROM attendance_marks WHERE placement_id = $1 AND on_date >= $2 AND on_date <= $3",
    )
    .bind(placement_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Counts by a grouping key: (key, code, sessions). Grouping keys are fixed SQL, never input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Provider,
    Tier,
    Locality,
    City,
}

impl Grouping {
    pub fn parse(s: Option<&str>) -> Option<Grouping> {
        match s.unwrap_or("provider") {
            "provider" => Some(Grouping::Provider),
            "tier" => Some(Grouping::Tier),
            "locality" => Some(Grouping::Locality),
            "city" => Some(Grouping::City),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Grouping::Provider => "provider",
            Grouping::Tier => "tier",
            Grouping::Locality => "locality",
            Grouping::City => "city",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Grouping::Provider => "pr.name",
            Grouping::Tier => "CAST(c.tier AS TEXT)",
            Grouping::Locality => "COALESCE(l.name, 'No locality')",
            Grouping::City => "'The city'",
        }
    }
}

/// Sessions attended and possible per group between two dates, from the per-provider counts
/// (aggregates only), read as `PeriodRanges` says.
pub async fn rates(
    pool: &Pool,
    grouping: Grouping,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    let g = grouping.sql();
    let q = format!(
        "SELECT {g} AS group_name, CAST(SUM(c.attended) AS BIGINT), CAST(SUM(c.possible) AS BIGINT) \
         FROM {PERIOD_COUNTS} JOIN providers pr ON pr.id = c.provider_id \
         LEFT JOIN localities l ON l.id = pr.locality_id \
         GROUP BY 1 ORDER BY 1"
    );
    bind_period(sqlx::query_as(&q), from, to)
        .fetch_all(pool)
        .await
}

/// The counts of a period as `c` (provider_id, tier, attended, possible), in five ranges, each
/// one range of its table's key (see `PeriodRanges`). Binds: $1 from, $2 to, then $3 d1, $4 d2,
/// $5 m1, $6 m2 (`bind_period`).
pub(crate) const PERIOD_COUNTS: &str =
    "(SELECT provider_id, tier, attended, possible FROM attendance_counts \
     WHERE on_date >= $1 AND on_date < $3 \
     UNION ALL SELECT provider_id, tier, attended, possible FROM attendance_counts_monthly \
     WHERE month >= $5 AND month < $6 \
     UNION ALL SELECT provider_id, tier, attended, possible FROM attendance_counts \
     WHERE on_date >= $4 AND on_date <= $2 \
     UNION ALL SELECT provider_id, tier, -attended, -possible FROM attendance_counts \
     WHERE on_date >= $5 AND on_date < $1 \
     UNION ALL SELECT provider_id, tier, -attended, -possible FROM attendance_counts \
     WHERE on_date > $2 AND on_date < $6) c";

/// Binds a period for `PERIOD_COUNTS`: $1 to $6.
pub(crate) fn bind_period<'q, O>(
    q: sqlx::query::QueryAs<'q, super::Db, O, <super::Db as sqlx::Database>::Arguments<'q>>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::query::QueryAs<'q, super::Db, O, <super::Db as sqlx::Database>::Arguments<'q>> {
    let r = PeriodRanges::of(from, to);
    q.bind(from)
        .bind(to)
        .bind(r.d1)
        .bind(r.d2)
        .bind(r.m1)
        .bind(r.m2)
}

/// The first day of a month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(m: NaiveDate) -> NaiveDate {
    m.checked_add_months(chrono::Months::new(1)).unwrap_or(m)
}

/// How a period is read from the counts: the monthly totals for months `[m1, m2)`, the daily
/// counts added for `[from, d1)` and `[d2, to]`, and the daily counts taken away for the days
/// of those months outside the period, `[m1, from)` and `(to, m2)`. A part month at either end
/// is read whichever way touches fewer days: a term starting on 5 January reads January's
/// total less its first four days rather than 27 days of daily counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRanges {
    pub d1: NaiveDate,
    pub m1: NaiveDate,
    pub m2: NaiveDate,
    pub d2: NaiveDate,
}

impl PeriodRanges {
    pub fn of(from: NaiveDate, to: NaiveDate) -> PeriodRanges {
        let after_to = to.succ_opt().unwrap_or(to);
        // Start: from the 1st, or subtract the days before `from`, or add the days to the
        // next month.
        let first = month_of(from);
        let m1 = if from == first || (from - first) < (next_month(first) - from) {
            first
        } else {
            next_month(first)
        };
        // End: to the month's end, or subtract the days after `to`, or add the days of its
        // month up to `to`.
        let last = month_of(to);
        let m2 =
            if after_to == next_month(last) || (next_month(last) - after_to) < (after_to - last) {
                next_month(last)
            } else {
                last
            };
        if m1 >= m2 {
            // No month worth reading whole: daily counts only, [from, to].
            return PeriodRanges {
                d1: after_to,
                m1: from,
                m2: from,
                d2: after_to,
            };
        }
        PeriodRanges {
            d1: m1.max(from),
            m1,
            m2,
            d2: m2.min(after_to),
        }
    }
}

const ATTENDED: &str = "CAST(SUM(CASE WHEN m.code IN ('/', 'L') THEN 1 ELSE 0 END) AS BIGINT)";
const POSSIBLE: &str = "CAST(SUM(CASE WHEN m.code IN ('Y1', 'Y2') THEN 0 ELSE 1 END) AS BIGINT)";

/// Adds (`sign` 1) or takes away (-1) a provider's day of counts from its month's totals.
async fn apply_day_to_month(
    tx: &mut Tx<'_>,
    provider_id: i64,
    on: NaiveDate,
    sign: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO attendance_counts_monthly (month, provider_id, tier, attended, possible) \
         SELECT $3, provider_id, tier, $4 * attended, $4 * possible FROM attendance_counts \
         WHERE on_date = $2 AND provider_id = $1 \
         ON CONFLICT (month, provider_id, tier) DO UPDATE SET \
         attended = attendance_counts_monthly.attended + excluded.attended, \
         possible = attendance_counts_monthly.possible + excluded.possible",
    )
    .bind(provider_id)
    .bind(on)
    .bind(month_of(on))
    .bind(sign)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recounts one provider's day from its marks (after a register or a correction), and its
/// month's totals by the difference.
pub async fn recount(tx: &mut Tx<'_>, provider_id: i64, on: NaiveDate) -> Result<(), sqlx::Error> {
    apply_day_to_month(tx, provider_id, on, -1).await?;
    sqlx::query("DELETE FROM attendance_counts WHERE provider_id = $1 AND on_date = $2")
        .bind(provider_id)
        .bind(on)
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO attendance_counts (provider_id, on_date, tier, attended, possible) \
         SELECT m.provider_id, m.on_date, pl.tier, {ATTENDED}, {POSSIBLE} FROM attendance_marks m \
         JOIN placements pl ON pl.id = m.placement_id WHERE m.provider_id = $1 AND m.on_date = $2 \
         GROUP BY m.provider_id, m.on_date, pl.tier"
    ))
    .bind(provider_id)
    .bind(on)
    .execute(&mut **tx)
    .await?;
    apply_day_to_month(tx, provider_id, on, 1).await?;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
const MONTH_OF_DAY: &str = "substr(on_date, 1, 7) || '-01'";
#[cfg(feature = "postgres")]
const MONTH_OF_DAY: &str = "CAST(date_trunc('month', on_date) AS DATE)";

/// Rebuilds every count from the marks (after loading data outside the register path).
pub async fn recount_all(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM attendance_counts")
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO attendance_counts (provider_id, on_date, tier, attended, possible) \
         SELECT m.provider_id, m.on_date, pl.tier, {ATTENDED}, {POSSIBLE} FROM attendance_marks m \
         JOIN placements pl ON pl.id = m.placement_id GROUP BY m.provider_id, m.on_date, pl.tier"
    ))
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM attendance_counts_monthly")
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO attendance_counts_monthly (month, provider_id, tier, attended, possible) \
         SELECT {MONTH_OF_DAY}, provider_id, tier, CAST(SUM(attended) AS BIGINT), CAST(SUM(possible) AS BIGINT) \
         FROM attendance_counts GROUP BY 1, 2, 3"
    ))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Providers with placements due on a session's register that have not taken it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Missing {
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_slug: String,
    pub pupils: i64,
}

pub async fn missing(
    pool: &Pool,
    on: NaiveDate,
    session: &str,
    position: usize,
) -> Result<Vec<Missing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT pr.id AS provider_id, pr.name AS provider_name, pr.slug AS provider_slug, COUNT(*) AS pupils \
         FROM placements pl JOIN placement_plans pp ON pp.placement_id = pl.id JOIN providers pr ON pr.id = pl.provider_id \
         WHERE pl.status IN ('active', 'ended') AND pl.start_date <= $1 AND (pl.end_date IS NULL OR pl.end_date >= $1) \
         AND substr(pp.pattern, CAST($3 AS INTEGER), 1) = '1' \
         AND NOT EXISTS (SELECT 1 FROM registers r WHERE r.provider_id = pl.provider_id AND r.on_date = $1 AND r.session = $2) \
         GROUP BY pr.id, pr.name, pr.slug ORDER BY pr.name",
    )
    .bind(on)
    .bind(session)
    .bind(position as i64 + 1)
    .fetch_all(pool)
    .await
}

/// Schools with pupils on a provider's register for a session (to tell them it is missing).
pub async fn schools_on(
    pool: &Pool,
    provider_id: i64,
    on: NaiveDate,
    position: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT DISTINCT pl.school_id FROM placements pl JOIN placement_plans pp ON pp.placement_id = pl.id \
         WHERE {ON_REGISTER}"
    ))
    .bind(provider_id)
    .bind(on)
    .bind(position as i64 + 1)
    .fetch_all(pool)
    .await
}

pub async fn claim_reminder(
    pool: &Pool,
    provider_id: i64,
    on: NaiveDate,
    session: &str,
    stage: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO register_reminders (provider_id, on_date, session, stage, sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(provider_id)
    .bind(on)
    .bind(session)
    .bind(stage)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, Copy, FromRow, serde::Serialize)]
pub struct Prior {
    pub possible: i64,
    pub attended: i64,
}

pub async fn prior(pool: &Pool, placement_id: i64) -> Result<Option<Prior>, sqlx::Error> {
    sqlx::query_as("SELECT possible, attended FROM prior_attendance WHERE placement_id = $1")
        .bind(placement_id)
        .fetch_optional(pool)
        .await
}

pub async fn set_prior(
    tx: &mut Tx<'_>,
    placement_id: i64,
    possible: i64,
    attended: i64,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO prior_attendance (placement_id, possible, attended, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (placement_id) DO UPDATE SET possible = excluded.possible, attended = excluded.attended, \
         entered_by = excluded.entered_by, entered_at = excluded.entered_at",
    )
    .bind(placement_id)
    .bind(possible)
    .bind(attended)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    // An ended placement's report row carries it.
    super::outcomes::record(tx, placement_id, placement_id).await?;
    Ok(())
}

/// A historical mark for the bulk import.
#[derive(Debug, Clone)]
pub struct ImportMark {
    pub placement_id: i64,
    /// The placement's tier (for the daily counts).
    pub tier: i64,
    pub on_date: NaiveDate,
    pub session: &'static str,
    pub provider_id: i64,
    pub code: &'static str,
}

impl ImportMark {
    /// Provider first, then the marks table's key: each provider's placements and its
    /// (provider, day) index entries are then written in one run rather than one per day.
    fn key(&self) -> (i64, i64, NaiveDate, &'static str) {
        (
            self.provider_id,
            self.placement_id,
            self.on_date,
            self.session,
        )
    }
}

/// Sorts rows into the order `import_marks` writes fastest in (it sorts unsorted input itself;
/// this lets a caller do it outside a transaction or a timed section).
pub fn sort_for_import(rows: &mut [ImportMark]) {
    if !rows.is_sorted_by_key(ImportMark::key) {
        rows.sort_unstable_by_key(ImportMark::key);
    }
}

/// Sessions per (day or month, provider, tier).
type DayCounts = std::collections::BTreeMap<(NaiveDate, i64, i64), crate::domain::attendance::Rate>;

/// Adds sessions to a count table keyed (`day_column`, provider_id, tier), in multi-row upserts.
async fn add_counts(
    tx: &mut Tx<'_>,
    table: &str,
    day_column: &str,
    counts: DayCounts,
) -> Result<(), sqlx::Error> {
    let rows: Vec<_> = counts.into_iter().collect();
    for chunk in rows.chunks(IMPORT_BATCH) {
        let mut q = sqlx::QueryBuilder::new(format!(
            "INSERT INTO {table} ({day_column}, provider_id, tier, attended, possible) "
        ));
        q.push_values(chunk, |mut b, ((d, p, t), r)| {
            b.push_bind(*d)
                .push_bind(*p)
                .push_bind(*t)
                .push_bind(r.attended)
                .push_bind(r.possible);
        });
        q.push(format!(
            " ON CONFLICT ({day_column}, provider_id, tier) DO UPDATE SET \
             attended = {table}.attended + excluded.attended, \
             possible = {table}.possible + excluded.possible"
        ));
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Rows per INSERT statement in the bulk import (8 values each, well under SQLite's limit).
pub const IMPORT_BATCH: usize = 400;

/// Inserts historical marks in multi-row statements, with their registers (taken, via
/// `import`) and daily counts, in the caller's transaction. Marks must be new: a mark already
/// held fails the import (and the caller's transaction) rather than being counted twice.
///
/// The rows are sorted first (provider, placement, day, session; see `sort_for_import`):
/// a file in day order would otherwise touch every placement's part of the key B-tree once
/// per day, which for 3.9 million rows took five times as long as key order (BENCHMARKS.md).
/// Counts and registers are totalled over the whole call and written once each.
pub async fn import_marks(
    tx: &mut Tx<'_>,
    rows: &mut [ImportMark],
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    sort_for_import(rows);
    let mut counts = DayCounts::new();
    let mut regs: std::collections::BTreeSet<(i64, NaiveDate, &str)> =
        std::collections::BTreeSet::new();
    let mut inserted = 0;
    for chunk in rows.chunks(IMPORT_BATCH) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO attendance_marks (placement_id, on_date, session, provider_id, code, note, recorded_by, recorded_at) ",
        );
        q.push_values(chunk, |mut b, m| {
            b.push_bind(m.placement_id)
                .push_bind(m.on_date)
                .push_bind(m.session)
                .push_bind(m.provider_id)
                .push_bind(m.code)
                .push_bind("")
                .push_bind(None::<i64>)
                .push_bind(at);
        });
        inserted += q.build().execute(&mut **tx).await?.rows_affected();
        for m in chunk {
            regs.insert((m.provider_id, m.on_date, m.session));
            counts
                .entry((m.on_date, m.provider_id, m.tier))
                .or_default()
                .add(m.code);
        }
    }
    // Each in its table's key order.
    let mut months = DayCounts::new();
    for ((d, p, t), r) in &counts {
        let e = months.entry((month_of(*d), *p, *t)).or_default();
        e.attended += r.attended;
        e.possible += r.possible;
    }
    add_counts(tx, "attendance_counts", "on_date", counts).await?;
    add_counts(tx, "attendance_counts_monthly", "month", months).await?;
    let regs: Vec<_> = regs.into_iter().collect();
    for chunk in regs.chunks(IMPORT_BATCH) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO registers (provider_id, on_date, session, taken_by, taken_at, via) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(None::<i64>)
                .push_bind(at)
                .push_bind("import");
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut **tx).await?;
    }
    Ok(inserted)
}

/// Session counts per placement and code in scope between two dates (a provider's or a
/// school's summary): (placement, code, sessions).
pub async fn counts_by_placement(
    pool: &Pool,
    scope: PupilScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "SELECT m.placement_id, m.code, COUNT(*) FROM attendance_marks m JOIN placements pl ON pl.id = m.placement_id \
         WHERE {pred} AND m.on_date >= $2 AND m.on_date <= $3 GROUP BY m.placement_id, m.code"
    ))
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::PeriodRanges;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// Each day of the period counts once and every other day nets to nothing: +1 in an added
    /// daily range or a whole month, -1 in a subtracted range. Checked for every period of up
    /// to 400 days starting in a sample of days across two years.
    #[test]
    fn period_ranges_count_each_day_once() {
        let weight = |r: PeriodRanges, from: NaiveDate, to: NaiveDate, day: NaiveDate| {
            let mut w = 0;
            if day >= from && day < r.d1 {
                w += 1;
            }
            if day >= r.d2 && day <= to {
                w += 1;
            }
            if day >= r.m1 && day < r.m2 {
                w += 1;
            }
            if day >= r.m1 && day < from {
                w -= 1;
            }
            if day > to && day < r.m2 {
                w -= 1;
            }
            w
        };
        let mut from = d("2025-08-01");
        while from < d("2026-09-01") {
            for len in [0i64, 1, 3, 17, 27, 30, 31, 45, 80, 120, 200, 364, 400] {
                let to = from + chrono::Duration::days(len);
                let r = PeriodRanges::of(from, to);
                assert!(r.m1 <= r.m2, "{from}..{to}: {r:?}");
                let mut day = from - chrono::Duration::days(40);
                while day <= to + chrono::Duration::days(40) {
                    let want = i32::from(day >= from && day <= to);
                    assert_eq!(
                        weight(r, from, to, day),
                        want,
                        "{day} in {from}..{to}: {r:?}"
                    );
                    day = day.succ_opt().expect("day");
                }
            }
            from += chrono::Duration::days(3);
        }
    }

    /// The part months are read the shorter way.
    #[test]
    fn part_months_are_read_the_cheaper_way() {
        // A term from 5 January to 27 March: January less 4 days, March less 4 days.
        let r = PeriodRanges::of(d("2026-01-05"), d("2026-03-27"));
        assert_eq!((r.m1, r.m2), (d("2026-01-01"), d("2026-04-01")));
        // From the 20th, the 11 days to the month's end are added; to the 22nd, July's
        // total less its last 9 days.
        let r = PeriodRanges::of(d("2025-09-20"), d("2026-07-22"));
        assert_eq!(
            (r.d1, r.m1, r.m2, r.d2),
            (
                d("2025-10-01"),
                d("2025-10-01"),
                d("2026-08-01"),
                d("2026-07-23")
            )
        );
        // To the 10th: the 10 days are added.
        let r = PeriodRanges::of(d("2025-09-01"), d("2026-07-10"));
        assert_eq!((r.m2, r.d2), (d("2026-07-01"), d("2026-07-01")));
        // Whole months need no daily counts.
        let r = PeriodRanges::of(d("2025-09-01"), d("2026-08-31"));
        assert_eq!(
            (r.d1, r.m1, r.m2, r.d2),
            (
                d("2025-09-01"),
                d("2025-09-01"),
                d("2026-09-01"),
                d("2026-09-01")
            )
        );
    }
}
