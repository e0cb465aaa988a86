-- The Taskforce report at national scale (issue 9). Kept in step with
-- migrations/postgres/0013_outcome_summary.sql.
--
-- One narrow row per ended placement with what the report counts, written in the same
-- transaction as the placement's end, a follow-up answer or a change to the attendance before
-- it (`db::outcomes::record`). Keyed by end date, so a period's report reads one contiguous
-- range instead of joining placements to plans, follow-ups and prior attendance row by row
-- (100,000 placements: 1.0 s of joins in the sqlite3 shell against 0.01 s for this range).
CREATE TABLE placement_outcomes (
    end_date        TEXT NOT NULL,
    placement_id    INTEGER NOT NULL REFERENCES placements(id),
    tier            INTEGER NOT NULL,
    place_type      TEXT NOT NULL,
    provider_id     INTEGER NOT NULL REFERENCES providers(id),
    commissioner    TEXT NOT NULL,
    destination     TEXT NOT NULL,
    start_date      TEXT NOT NULL,
    length_days     INTEGER NOT NULL,
    max_weeks       INTEGER,
    -- The 6- and 12-week follow-up answers: NULL until answered (or when there is none).
    followup_6      INTEGER,
    followup_12     INTEGER,
    prior_attended  INTEGER,
    prior_possible  INTEGER,
    PRIMARY KEY (end_date, placement_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX placement_outcomes_placement ON placement_outcomes(placement_id);
-- A provider's (or a locality's providers') placements in a period.
CREATE INDEX placement_outcomes_provider ON placement_outcomes(provider_id, end_date);

INSERT INTO placement_outcomes
SELECT pl.end_date, pl.id, pl.tier, pl.place_type, pl.provider_id, pl.commissioner, pl.destination,
       pl.start_date, CAST(julianday(pl.end_date) - julianday(pl.start_date) AS INTEGER), pp.max_weeks, f6.still_in_mainstream, f12.still_in_mainstream, pa.attended, pa.possible
FROM placements pl
LEFT JOIN placement_plans pp ON pp.placement_id = pl.id
LEFT JOIN placement_followups f6 ON f6.placement_id = pl.id AND f6.weeks = 6
LEFT JOIN placement_followups f12 ON f12.placement_id = pl.id AND f12.weeks = 12
LEFT JOIN prior_attendance pa ON pa.placement_id = pl.id
WHERE pl.status = 'ended' AND pl.end_date IS NOT NULL AND pl.start_date IS NOT NULL
  AND pl.provider_id IS NOT NULL AND pl.destination IS NOT NULL;

-- Pupils placed in a period (by tier) and places filled now (by place type) read only this
-- index, not the placement rows.
CREATE INDEX placements_report ON placements(status, start_date, end_date, tier, place_type, provider_id, pupil_id);

-- Exclusion placements by their sixth school day, for the sixth-day compliance figures.
CREATE INDEX placements_sixth_day ON placements(sixth_day) WHERE sixth_day IS NOT NULL;
