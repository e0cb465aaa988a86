-- Reintegration follow-ups (DOMAIN.md section 10): 6 and 12 weeks after a placement ends with a
-- return to mainstream, the commissioning school (or the Progressions Team for council-arranged
-- places) confirms whether the pupil is still there. Kept in step with
-- migrations/postgres/0012_outcomes.sql.
CREATE TABLE placement_followups (
    placement_id         INTEGER NOT NULL REFERENCES placements(id),
    weeks                INTEGER NOT NULL CHECK (weeks = 6 OR weeks = 12),
    due_on               TEXT NOT NULL,
    -- NULL until answered.
    still_in_mainstream  INTEGER CHECK (still_in_mainstream = 0 OR still_in_mainstream = 1),
    note                 TEXT NOT NULL DEFAULT '',
    answered_by          INTEGER REFERENCES users(id),
    answered_at          TEXT,
    -- Set when the reminder goes (once).
    reminded_on          TEXT,
    PRIMARY KEY (placement_id, weeks),
    CHECK ((still_in_mainstream IS NULL) = (answered_at IS NULL))
);
CREATE INDEX placement_followups_due ON placement_followups(due_on);

INSERT INTO placement_followups (placement_id, weeks, due_on)
SELECT id, 6, date(end_date, '+42 days') FROM placements
WHERE status = 'ended' AND destination IN ('home_school', 'new_mainstream');
INSERT INTO placement_followups (placement_id, weeks, due_on)
SELECT id, 12, date(end_date, '+84 days') FROM placements
WHERE status = 'ended' AND destination IN ('home_school', 'new_mainstream');

-- The Taskforce report reads the placements that ended in a period.
CREATE INDEX placements_ended ON placements(status, end_date);
