-- Monthly totals beside the daily counts: a year's city-wide rate read 2.9 million daily rows at
-- national scale; whole months come from here and only the part months at either end from the
-- daily table. Kept in the same transactions as the daily counts. Kept in step with
-- migrations/sqlite/0011_attendance_months.sql.
CREATE TABLE attendance_counts_monthly (
    -- The first day of the month.
    month        DATE NOT NULL,
    provider_id  BIGINT NOT NULL REFERENCES providers(id),
    tier         BIGINT NOT NULL,
    attended     BIGINT NOT NULL,
    possible     BIGINT NOT NULL,
    PRIMARY KEY (month, provider_id, tier)
);

INSERT INTO attendance_counts_monthly (month, provider_id, tier, attended, possible)
SELECT CAST(date_trunc('month', on_date) AS DATE), provider_id, tier, SUM(attended), SUM(possible)
FROM attendance_counts GROUP BY 1, 2, 3;
