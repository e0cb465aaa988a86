-- Monthly totals beside the daily counts: a year's city-wide rate read 2.9 million daily rows at
-- national scale (1.5 s); whole months come from here (15,000 providers × 12 rows) and only
-- the part months at either end from the daily table. Kept in the same transactions as the
-- daily counts. Kept in step with migrations/postgres/0011_attendance_months.sql.
CREATE TABLE attendance_counts_monthly (
    -- The first day of the month.
    month        TEXT NOT NULL,
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    tier         INTEGER NOT NULL,
    attended     INTEGER NOT NULL,
    possible     INTEGER NOT NULL,
    PRIMARY KEY (month, provider_id, tier)
) WITHOUT ROWID;

INSERT INTO attendance_counts_monthly (month, provider_id, tier, attended, possible)
SELECT substr(on_date, 1, 7) || '-01', provider_id, tier, SUM(attended), SUM(possible)
FROM attendance_counts GROUP BY 1, 2, 3;
