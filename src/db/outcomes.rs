//! Reintegration follow-ups and the rows the Taskforce report is built from. Report rows carry
//! no pupil identifier: not a name, UPN, date of birth or pupil id; they never leave the server
//! except as aggregates (`outcomes::report`).

use super::{Pool, Tx};
use crate::db::pupils::PupilScope;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

/// Destinations that count as reintegration (DOMAIN.md section 10).
pub const REINTEGRATED: [&str; 2] = ["home_school", "new_mainstream"];

/// When a follow-up `weeks` after a placement's end falls due.
pub fn due_on(end_date: NaiveDate, weeks: i64) -> NaiveDate {
    end_date + chrono::Duration::weeks(weeks)
}

/// Schedules the 6- and 12-week follow-ups of a placement that ended with a return to
/// mainstream (nothing for any other destination). In the transaction that ends it.
pub async fn schedule(
    tx: &mut Tx<'_>,
    placement_id: i64,
    end_date: NaiveDate,
    destination: &str,
) -> Result<(), sqlx::Error> {
    if !REINTEGRATED.contains(&destination) {
        return Ok(());
    }
    for weeks in [6i64, 12] {
        sqlx::query(
            "INSERT INTO placement_followups (placement_id, weeks, due_on) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(placement_id)
        .bind(weeks)
        .bind(due_on(end_date, weeks))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A placement's length in days, from `pl.start_date` to `pl.end_date`.
#[cfg(not(feature = "postgres"))]
const LENGTH_DAYS: &str = "CAST(julianday(pl.end_date) - julianday(pl.start_date) AS INTEGER)";
#[cfg(feature = "postgres")]
const LENGTH_DAYS: &str = "(pl.end_date - pl.start_date)";

/// Writes the report's row (`placement_outcomes`) for each ended placement with an id from
/// `first` to `last`, afresh from the placement, its plan, follow-ups and prior attendance;
/// removes the row of any that is not ended. Called in the transaction of every change to
/// those: a placement ending, a follow-up answered, prior attendance entered.
pub async fn record(tx: &mut Tx<'_>, first: i64, last: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM placement_outcomes WHERE placement_id >= $1 AND placement_id <= $2")
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO placement_outcomes (end_date, placement_id, tier, place_type, provider_id, commissioner, \
         destination, start_date, length_days, max_weeks, followup_6, followup_12, prior_attended, prior_possible) \
         SELECT pl.end_date, pl.id, pl.tier, pl.place_type, pl.provider_id, pl.commissioner, pl.destination, \
         pl.start_date, {LENGTH_DAYS}, pp.max_weeks, f6.still_in_mainstream, f12.still_in_mainstream, pa.attended, pa.possible \
         FROM placements pl \
         LEFT JOIN placement_plans pp ON pp.placement_id = pl.id \
         LEFT JOIN placement_followups f6 ON f6.placement_id = pl.id AND f6.weeks = 6 \
         LEFT JOIN placement_followups f12 ON f12.placement_id = pl.id AND f12.weeks = 12 \
         LEFT JOIN prior_attendance pa ON pa.placement_id = pl.id \
         WHERE pl.id >= $1 AND pl.id <= $2 AND pl.status = 'ended' AND pl.end_date IS NOT NULL \
         AND pl.start_date IS NOT NULL AND pl.provider_id IS NOT NULL AND pl.destination IS NOT NULL"
    ))
    .bind(first)
    .bind(last)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A follow-up as its school or the Progressions Team sees it (they may see the pupil).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct FollowUp {
    pub placement_id: i64,
    pub weeks: i64,
    pub due_on: NaiveDate,
    pub still_in_mainstream: Option<bool>,
    pub note: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub end_date: Option<NaiveDate>,
    pub destination: Option<String>,
    pub commissioner: String,
    pub school_name: String,
    pub legal_forename: String,
    pub legal_surname: String,
    pub preferred_name: Option<String>,
}

fn scope_sql(scope: PupilScope) -> (&'static str, i64) {
    match scope {
        PupilScope::Progressions => ("$1 = $1", 0),
        PupilScope::School(id) => ("pl.school_id = $1", id),
        PupilScope::Provider(id) => ("pl.provider_id = $1", id),
    }
}

/// Follow-ups in scope due by `until`: unanswered first (oldest due first), then answered ones
/// from the last 12 weeks.
pub async fn due(
    pool: &Pool,
    scope: PupilScope,
    until: NaiveDate,
) -> Result<Vec<FollowUp>, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    sqlx::query_as(&format!(
        "SELECT f.placement_id, f.weeks, f.due_on, f.still_in_mainstream, f.note, f.answered_at, \
         pl.end_date, pl.destination, pl.commissioner, s.name AS school_name, \
         p.legal_forename, p.legal_surname, p.preferred_name \
         FROM placement_followups f JOIN placements pl ON pl.id = f.placement_id \
         JOIN pupils p ON p.id = pl.pupil_id JOIN schools s ON s.id = pl.school_id \
         WHERE {pred} AND f.due_on <= $2 AND (f.answered_at IS NULL OR f.due_on >= $3) \
         ORDER BY f.answered_at IS NOT NULL, f.due_on, f.placement_id, f.weeks"
    ))
    .bind(org)
    .bind(until)
    .bind(until - chrono::Duration::weeks(12))
    .fetch_all(pool)
    .await
}

/// Records the answer to a due follow-up in scope. False when there is no such follow-up in
/// scope, it is not yet due, or it was answered already.
pub async fn answer(
    tx: &mut Tx<'_>,
    scope: PupilScope,
    placement_id: i64,
    weeks: i64,
    still_in_mainstream: bool,
    note: &str,
    by: (i64, NaiveDate, DateTime<Utc>),
) -> Result<bool, sqlx::Error> {
    let (pred, org) = scope_sql(scope);
    let r = sqlx::query(&format!(
        "UPDATE placement_followups SET still_in_mainstream = $4, note = $5, answered_by = $6, answered_at = $7 \
         WHERE placement_id = $2 AND weeks = $3 AND answered_at IS NULL AND due_on <= $8 \
         AND placement_id IN (SELECT pl.id FROM placements pl WHERE {pred})"
    ))
    .bind(org)
    .bind(placement_id)
    .bind(weeks)
    .bind(still_in_mainstream)
    .bind(note)
    .bind(by.0)
    .bind(by.2)
    .bind(by.1)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    record(tx, placement_id, placement_id).await?;
    Ok(true)
}

/// Unanswered follow-ups due by `on` not yet reminded: (placement, weeks, due, school,
/// commissioner).
pub async fn to_remind(
    pool: &Pool,
    on: NaiveDate,
) -> Result<Vec<(i64, i64, NaiveDate, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.placement_id, f.weeks, f.due_on, pl.school_id, pl.commissioner \
         FROM placement_followups f JOIN placements pl ON pl.id = f.placement_id \
         WHERE f.due_on <= $1 AND f.answered_at IS NULL AND f.reminded_on IS NULL \
         ORDER BY f.due_on, f.placement_id",
    )
    .bind(on)
    .fetch_all(pool)
    .await
}

/// Marks a reminder sent; false if another run sent it first.
pub async fn claim_reminder(
    tx: &mut Tx<'_>,
    placement_id: i64,
    weeks: i64,
    on: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE placement_followups SET reminded_on = $3 \
         WHERE placement_id = $1 AND weeks = $2 AND reminded_on IS NULL AND answered_at IS NULL",
    )
    .bind(placement_id)
    .bind(weeks)
    .bind(on)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What the report filters on; each `None` is "all".
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tier: Option<i64>,
    pub place_type: Option<String>,
    pub provider: Option<i64>,
    pub locality: Option<i64>,
    pub registration: Option<String>,
    pub commissioner: Option<String>,
}

/// The filters as SQL over `pl` (placements or their report rows), from parameter `$3` on
/// ($1 and $2 are the period); and the values to bind, in order.
fn filter_sql(f: &Filters) -> (String, Vec<FilterValue>) {
    filters_over(f, "pl", 3, true)
}

/// The filters as SQL over `table`, from parameter `$first` on. Without `all`, only those the
/// attendance counts can apply (tier, provider, locality, registration: the counts hold no
/// place type or route).
fn filters_over(f: &Filters, table: &str, first: usize, all: bool) -> (String, Vec<FilterValue>) {
    let text =
        |v: &Option<String>, applies: bool| v.clone().filter(|_| applies).map(FilterValue::Text);
    let mut sql = String::new();
    let mut values = Vec::new();
    for (clause, v) in [
        ("{t}.tier = ?", f.tier.map(FilterValue::Int)),
        ("{t}.place_type = ?", text(&f.place_type, all)),
        ("{t}.provider_id = ?", f.provider.map(FilterValue::Int)),
        // As subqueries on the provider, not joins: the planner reads the few providers first.
        (
            "{t}.provider_id IN (SELECT pr.id FROM providers pr WHERE pr.locality_id = ?)",
            f.locality.map(FilterValue::Int),
        ),
        (
            "{t}.provider_id IN (SELECT pr.id FROM providers pr WHERE pr.registration = ?)",
            text(&f.registration, true),
        ),
        ("{t}.commissioner = ?", text(&f.commissioner, all)),
    ] {
        if let Some(v) = v {
            let n = first + values.len();
            sql.push_str(&format!(
                " AND {}",
                clause.replace("{t}", table).replace('?', &format!("${n}"))
            ));
            values.push(v);
        }
    }
    (sql, values)
}

enum FilterValue {
    Int(i64),
    Text(String),
}

macro_rules! bind_filters {
    ($q:expr, $values:expr) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                FilterValue::Int(i) => q.bind(*i),
                FilterValue::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }};
}

/// The placements that ended in a period (filtered), counted for the report: aggregates
/// only, so a year at national scale is a few thousand numbers, not 100,000 rows.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// (tier, destination, placements)
    pub destinations: Vec<(i64, String, i64)>,
    /// (provider id, name, locality, ended, reintegrated)
    pub providers: Vec<ProviderCount>,
    /// (end date, ended, reintegrated)
    pub days: Vec<(NaiveDate, i64, i64)>,
    /// (tier, length in days, placements, how many of them ran past their maximum period)
    pub lengths: Vec<(i64, i64, i64, i64)>,
    /// Reintegrated placements by (tier, end date, 6-week answer, 12-week answer, placements).
    pub followups: Vec<FollowUpCount>,
    /// (placements with attendance before recorded, sessions attended, sessions possible)
    pub prior: (i64, i64, i64),
}

pub type ProviderCount = (i64, String, Option<String>, i64, i64);
pub type FollowUpCount = (i64, NaiveDate, Option<bool>, Option<bool>, i64);

/// Reintegration as SQL over `pl` (DOMAIN.md section 10; `REINTEGRATED`).
fn reintegrated_sql() -> String {
    let keys: Vec<String> = REINTEGRATED.iter().map(|d| format!("'{d}'")).collect();
    format!("pl.destination IN ({})", keys.join(", "))
}

/// Runs `select` over the period's rows of `placement_outcomes` (filtered), with `tail`
/// (grouping) after the conditions.
async fn over_period<T>(
    pool: &Pool,
    f: &Filters,
    select: &str,
    tail: &str,
) -> Result<Vec<T>, sqlx::Error>
where
    T: Send + Unpin + for<'r> FromRow<'r, <super::Db as sqlx::Database>::Row>,
{
    over_period_as(pool, f, "{rows}", select, tail).await
}

/// As `over_period`, with the select placed at `{rows}` in `outer`.
async fn over_period_as<T>(
    pool: &Pool,
    f: &Filters,
    outer: &str,
    select: &str,
    tail: &str,
) -> Result<Vec<T>, sqlx::Error>
where
    T: Send + Unpin + for<'r> FromRow<'r, <super::Db as sqlx::Database>::Row>,
{
    let (sql, values) = filter_sql(f);
    let rows = format!(
        "SELECT {select} FROM placement_outcomes pl WHERE pl.end_date >= $1 AND pl.end_date <= $2{sql} {tail}"
    );
    let q = outer.replace("{rows}", &rows);
    let query = sqlx::query_as::<_, T>(&q).bind(f.from).bind(f.to);
    bind_filters!(query, &values).fetch_all(pool).await
}

/// The period's ended placements, counted six ways side by side.
pub async fn summary(pool: &Pool, f: &Filters) -> Result<Summary, sqlx::Error> {
    let k = format!(
        "CAST(SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT)",
        reintegrated_sql()
    );
    let by_provider = format!("pl.provider_id, CAST(COUNT(*) AS BIGINT) AS n, {k} AS k");
    let by_day = format!("pl.end_date, CAST(COUNT(*) AS BIGINT), {k}");
    let followed = format!(
        "AND {} GROUP BY pl.tier, pl.end_date, pl.followup_6, pl.followup_12",
        reintegrated_sql()
    );
    let (destinations, providers, days, lengths, followups, prior) = tokio::try_join!(
        over_period(pool, f, "pl.tier, pl.destination, CAST(COUNT(*) AS BIGINT)", "GROUP BY pl.tier, pl.destination"),
        // Labelled in the same read: a name per provider, not per placement.
        over_period_as(
            pool,
            f,
            "SELECT p.id, p.name, l.name, x.n, x.k FROM ({rows}) x JOIN providers p ON p.id = x.provider_id \
             LEFT JOIN localities l ON l.id = p.locality_id",
            &by_provider,
            "GROUP BY pl.provider_id",
        ),
        over_period(pool, f, &by_day, "GROUP BY pl.end_date"),
        over_period(
            pool,
            f,
            "pl.tier, pl.length_days, CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN pl.max_weeks IS NOT NULL \
             AND pl.length_days > pl.max_weeks * 7 THEN 1 ELSE 0 END) AS BIGINT)",
            "GROUP BY pl.tier, pl.length_days",
        ),
        over_period(
            pool,
            f,
            "pl.tier, pl.end_date, pl.followup_6, pl.followup_12, CAST(COUNT(*) AS BIGINT)",
            &followed,
        ),
        over_period::<(i64, i64, i64)>(
            pool,
            f,
            "CAST(COUNT(pl.prior_possible) AS BIGINT), CAST(COALESCE(SUM(pl.prior_attended), 0) AS BIGINT), \
             CAST(COALESCE(SUM(pl.prior_possible), 0) AS BIGINT)",
            "",
        ),
    )?;
    Ok(Summary {
        destinations,
        providers,
        days,
        lengths,
        followups,
        prior: prior.first().copied().unwrap_or_default(),
    })
}

/// Sessions attended and possible during the placements that ended in the period and have
/// attendance before the placement recorded (so the two are about the same pupils).
pub async fn during_with_prior(pool: &Pool, f: &Filters) -> Result<(i64, i64), sqlx::Error> {
    let (sql, values) = filter_sql(f);
    let q = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN m.code = '/' OR m.code = 'L' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN m.code = 'Y1' OR m.code = 'Y2' THEN 0 ELSE 1 END), 0) AS BIGINT) \
         FROM placement_outcomes pl \
         JOIN attendance_marks m ON m.placement_id = pl.placement_id \
         WHERE pl.prior_possible IS NOT NULL AND pl.end_date >= $1 AND pl.end_date <= $2{sql}"
    );
    let query = sqlx::query_as::<_, (i64, i64)>(&q).bind(f.from).bind(f.to);
    bind_filters!(query, &values).fetch_one(pool).await
}

/// Attendance at providers in the period by tier, from the daily counts (provider, tier,
/// locality and registration filters apply; place type and route are not in the counts).
pub async fn attendance_by_tier(
    pool: &Pool,
    f: &Filters,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let (sql, values) = filters_over(f, "c", 7, false);
    let q = format!(
        "SELECT c.tier, CAST(SUM(c.attended) AS BIGINT), CAST(SUM(c.possible) AS BIGINT) \
         FROM {} WHERE 1 = 1{sql} GROUP BY c.tier ORDER BY c.tier",
        super::attendance::PERIOD_COUNTS
    );
    let query =
        super::attendance::bind_period(sqlx::query_as::<_, (i64, i64, i64)>(&q), f.from, f.to);
    bind_filters!(query, &values).fetch_all(pool).await
}

/// Placements at some time in the period, by tier, with the filters the attendance counts
/// apply: what each tier's attendance rate is about. (tier, placements, whether they are of 5
/// pupils or more), so a rate about 1 to 4 pupils can be suppressed.
pub async fn placed_by_tier(
    pool: &Pool,
    f: &Filters,
) -> Result<Vec<(i64, i64, bool)>, sqlx::Error> {
    const PLACED: &str =
        "FROM placements pl WHERE pl.status IN ('active', 'ended') AND pl.start_date <= $2 \
                          AND (pl.end_date IS NULL OR pl.end_date >= $1)";
    let (sql, values) = filters_over(f, "pl", 3, false);
    let q = format!(
        "SELECT pl.tier, CAST(COUNT(*) AS BIGINT) {PLACED}{sql} GROUP BY pl.tier ORDER BY pl.tier"
    );
    let query = sqlx::query_as::<_, (i64, i64)>(&q).bind(f.from).bind(f.to);
    let tiers = bind_filters!(query, &values).fetch_all(pool).await?;
    // Whether there are 5 different pupils, without counting them all: a distinct count of
    // 150,000 placements costs more than the rest of the report's attendance.
    let n = 3 + values.len();
    let q = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT DISTINCT pl.pupil_id {PLACED}{sql} AND pl.tier = ${n} LIMIT 5) x"
    );
    let mut out = Vec::new();
    for (tier, placements) in tiers {
        let five = placements >= 5 && {
            let query = sqlx::query_scalar::<_, i64>(&q).bind(f.from).bind(f.to);
            bind_filters!(query, &values)
                .bind(tier)
                .fetch_one(pool)
                .await?
                >= 5
        };
        out.push((tier, placements, five));
    }
    Ok(out)
}

/// Exclusion placements whose sixth school day fell in the period: (started by it, all).
pub async fn sixth_day(pool: &Pool, f: &Filters) -> Result<(i64, i64), sqlx::Error> {
    let (sql, values) = filter_sql(f);
    let q = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN pl.start_date IS NOT NULL AND pl.start_date <= pl.sixth_day THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT) FROM placements pl \
         WHERE pl.sixth_day IS NOT NULL AND pl.sixth_day >= $1 AND pl.sixth_day <= $2 \
         AND pl.status IN ('active', 'ended'){sql}"
    );
    let query = sqlx::query_as::<_, (i64, i64)>(&q).bind(f.from).bind(f.to);
    bind_filters!(query, &values).fetch_one(pool).await
}

/// Sufficiency now, by place type and locality: (place type, locality, places, filled,
/// waiting), only where any is non-zero. Places are approved providers' capacity (a provider
/// offering two place types counts under each); filled is active placements; waiting is
/// requests not yet placed, by the school's locality. Three grouped reads, merged here.
pub async fn sufficiency(pool: &Pool) -> Result<Vec<(String, String, i64, i64, i64)>, sqlx::Error> {
    type Key = (String, Option<i64>);
    let places: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT ppt.place_type_key, pr.locality_id, CAST(SUM(pr.capacity) AS BIGINT) FROM providers pr \
         JOIN provider_place_types ppt ON ppt.provider_id = pr.id \
         WHERE pr.dd_status IN ('approved', 'expiring') GROUP BY ppt.place_type_key, pr.locality_id",
    )
    .fetch_all(pool)
    .await?;
    let filled: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT pl.place_type, pr.locality_id, CAST(COUNT(*) AS BIGINT) FROM placements pl \
         JOIN providers pr ON pr.id = pl.provider_id WHERE pl.status = 'active' \
         GROUP BY pl.place_type, pr.locality_id",
    )
    .fetch_all(pool)
    .await?;
    let waiting: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT pl.place_type, s.locality_id, CAST(COUNT(*) AS BIGINT) FROM placements pl \
         JOIN schools s ON s.id = pl.school_id WHERE pl.status IN ('requested', 'offered', 'accepted') \
         GROUP BY pl.place_type, s.locality_id",
    )
    .fetch_all(pool)
    .await?;
    let mut cells: std::collections::HashMap<Key, [i64; 3]> = std::collections::HashMap::new();
    for (i, set) in [places, filled, waiting].into_iter().enumerate() {
        for (pt, loc, n) in set {
            cells.entry((pt, loc)).or_default()[i] += n;
        }
    }
    let place_types: Vec<(String, String)> =
        sqlx::query_as("SELECT key, name FROM place_types ORDER BY sort_order, name")
            .fetch_all(pool)
            .await?;
    let mut localities: Vec<(Option<i64>, String)> =
        sqlx::query_as("SELECT id, name FROM localities ORDER BY sort_order, name")
            .fetch_all(pool)
            .await?;
    localities.push((None, "No locality".into()));
    let mut out = Vec::new();
    for (key, name) in &place_types {
        for (id, loc) in &localities {
            if let Some(c) = cells.get(&(key.clone(), *id)) {
                if c.iter().any(|n| *n != 0) {
                    out.push((name.clone(), loc.clone(), c[0], c[1], c[2]));
                }
            }
        }
    }
    Ok(out)
}

/// Open concerns about providers, by status (no detail).
pub async fn open_concerns(pool: &Pool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM concerns WHERE status <> 'resolved' GROUP BY status ORDER BY status",
    )
    .fetch_all(pool)
    .await
}

/// Terms (as the calendar holds them) that overlap the period.
pub async fn terms(
    pool: &Pool,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, NaiveDate, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, starts_on, ends_on FROM term_dates WHERE ends_on >= $1 AND starts_on <= $2 ORDER BY starts_on",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
