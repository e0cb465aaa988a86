-- Placements: school requests, Progressions matching, intervention plans and reviews; the term
-- calendar that school days are counted on; pupil records anonymised after retention.
-- Kept in step with migrations/postgres/0008_placements.sql.

-- Terms (or half terms) as the council publishes them; a school day is a weekday inside one
-- that is not a closure.
CREATE TABLE term_dates (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    starts_on  TEXT NOT NULL UNIQUE,
    ends_on    TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);

CREATE TABLE closures (
    on_date  TEXT PRIMARY KEY,
    reason   TEXT NOT NULL
);

-- Set when the retention job has removed what identifies the pupil.
ALTER TABLE pupils ADD COLUMN anonymised_at TEXT;

CREATE TABLE placements (
    id                 INTEGER PRIMARY KEY,
    pupil_id           INTEGER NOT NULL REFERENCES pupils(id),
    -- The school that asked for (or commissioned) the place: the pupil's home school.
    school_id          INTEGER NOT NULL REFERENCES schools(id),
    commissioner       TEXT NOT NULL CHECK (commissioner IN ('school', 'la')),
    -- 'request': matched by the Progressions Team; 'direct': commissioned by the school with a
    -- framework provider and recorded so the council knows.
    route              TEXT NOT NULL CHECK (route IN ('request', 'direct')),
    provider_id        INTEGER REFERENCES providers(id),
    tier               INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
    place_type         TEXT NOT NULL REFERENCES place_types(key),
    reason             TEXT NOT NULL CHECK (reason IN ('permanent_exclusion', 'suspension', 'health_needs',
                                                       'at_risk_of_exclusion', 'semh_needs', 'other')),
    exclusion_date     TEXT,
    -- The sixth school day after the exclusion, fixed when the request is made.
    sixth_day          TEXT,
    preferred_start    TEXT NOT NULL,
    sessions_per_week  INTEGER NOT NULL CHECK (sessions_per_week BETWEEN 1 AND 10),
    max_travel_km      INTEGER CHECK (max_travel_km BETWEEN 1 AND 50),
    travel_notes       TEXT NOT NULL DEFAULT '',
    primary_need       TEXT REFERENCES needs(key),
    needs              TEXT NOT NULL DEFAULT '',
    tried              TEXT NOT NULL DEFAULT '',
    wanted_outcome     TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('requested', 'offered', 'accepted', 'active', 'ended', 'withdrawn')),
    start_date         TEXT,
    planned_end        TEXT,
    end_date           TEXT,
    destination        TEXT CHECK (destination IN ('home_school', 'new_mainstream', 'special_school', 'other_ap',
                                                   'post16_eet', 'neet', 'left_area', 'other')),
    destination_note   TEXT NOT NULL DEFAULT '',
    created_by         INTEGER REFERENCES users(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK ((status IN ('active', 'ended')) = (start_date IS NOT NULL)),
    CHECK ((status = 'ended') = (end_date IS NOT NULL AND destination IS NOT NULL)),
    CHECK (status IN ('requested', 'withdrawn') OR provider_id IS NOT NULL),
    CHECK ((reason IN ('permanent_exclusion', 'suspension')) = (exclusion_date IS NOT NULL))
);
CREATE INDEX placements_provider ON placements(provider_id, status);
CREATE INDEX placements_school ON placements(school_id, status);
CREATE INDEX placements_pupil ON placements(pupil_id);
CREATE INDEX placements_status ON placements(status, updated_at);

-- Every offer to a provider and its answer.
CREATE TABLE placement_offers (
    id            INTEGER PRIMARY KEY,
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    provider_id   INTEGER NOT NULL REFERENCES providers(id),
    offered_by    INTEGER REFERENCES users(id),
    offered_at    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL DEFAULT 'pending' CHECK (response IN ('pending', 'accepted', 'declined', 'withdrawn')),
    reason        TEXT NOT NULL DEFAULT '',
    responded_by  INTEGER REFERENCES users(id),
    responded_at  TEXT
);
CREATE INDEX placement_offers_placement ON placement_offers(placement_id);

-- The placement's history as its parties read it (the audit log keeps the rest).
CREATE TABLE placement_events (
    id            INTEGER PRIMARY KEY,
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    at            TEXT NOT NULL,
    user_id       INTEGER REFERENCES users(id),
    status        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX placement_events_placement ON placement_events(placement_id, at);

-- The intervention plan: one per placement.
CREATE TABLE placement_plans (
    placement_id      INTEGER PRIMARY KEY REFERENCES placements(id),
    next_step         TEXT NOT NULL CHECK (next_step IN ('home_school', 'new_school', 'post16')),
    -- Ten sessions, Monday morning to Friday afternoon, as 0/1.
    pattern           TEXT NOT NULL CHECK (length(pattern) = 10),
    hours_per_week    REAL NOT NULL CHECK (hours_per_week > 0 AND hours_per_week <= 40),
    part_time_reason  TEXT NOT NULL DEFAULT '',
    max_weeks         INTEGER NOT NULL CHECK (max_weeks BETWEEN 1 AND 52),
    dual_registered   INTEGER NOT NULL DEFAULT 0,
    updated_by        INTEGER REFERENCES users(id),
    updated_at        TEXT NOT NULL,
    CHECK (hours_per_week >= 18 OR part_time_reason <> '')
);

CREATE TABLE plan_objectives (
    id            INTEGER PRIMARY KEY,
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    position      INTEGER NOT NULL,
    objective     TEXT NOT NULL,
    measure       TEXT NOT NULL,
    target_date   TEXT NOT NULL
);
CREATE INDEX plan_objectives_placement ON plan_objectives(placement_id, position);

CREATE TABLE placement_reviews (
    id                  INTEGER PRIMARY KEY,
    placement_id        INTEGER NOT NULL REFERENCES placements(id),
    held_on             TEXT NOT NULL,
    attendance_summary  TEXT NOT NULL DEFAULT '',
    pupil_voice         TEXT NOT NULL DEFAULT '',
    parent_voice        TEXT NOT NULL DEFAULT '',
    decision            TEXT NOT NULL CHECK (decision IN ('continue', 'change', 'end')),
    notes               TEXT NOT NULL DEFAULT '',
    recorded_by         INTEGER REFERENCES users(id),
    created_at          TEXT NOT NULL
);
CREATE INDEX placement_reviews_placement ON placement_reviews(placement_id, held_on);

-- Progress on each objective as it was worded at the review, so a later change to the plan
-- leaves the review as it was.
CREATE TABLE review_progress (
    review_id     INTEGER NOT NULL REFERENCES placement_reviews(id),
    position      INTEGER NOT NULL,
    objective     TEXT NOT NULL,
    progress      TEXT NOT NULL,
    PRIMARY KEY (review_id, position)
);

-- One reminder per placement, due date and stage, so the nightly job never repeats itself.
CREATE TABLE review_reminders (
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    due_on        TEXT NOT NULL,
    stage         TEXT NOT NULL CHECK (stage IN ('due_soon', 'overdue', 'sixth_day', 'ending')),
    sent_at       TEXT NOT NULL,
    PRIMARY KEY (placement_id, due_on, stage)
);

-- Sheffield-like term dates for three academic years; the admin page keeps them current.
INSERT INTO term_dates (name, starts_on, ends_on) VALUES
    ('Autumn 1 2025', '2025-09-03', '2025-10-24'),
    ('Autumn 2 2025', '2025-11-03', '2025-12-19'),
    ('Spring 1 2026', '2026-01-05', '2026-02-13'),
    ('Spring 2 2026', '2026-02-23', '2026-03-27'),
    ('Summer 1 2026', '2026-04-13', '2026-05-22'),
    ('Summer 2 2026', '2026-06-01', '2026-07-22'),
    ('Autumn 1 2026', '2026-09-03', '2026-10-23'),
    ('Autumn 2 2026', '2026-11-02', '2026-12-18'),
    ('Spring 1 2027', '2027-01-04', '2027-02-12'),
    ('Spring 2 2027', '2027-02-22', '2027-03-25'),
    ('Summer 1 2027', '2027-04-12', '2027-05-28'),
    ('Summer 2 2027', '2027-06-07', '2027-07-21'),
    ('Autumn 1 2027', '2027-09-02', '2027-10-22'),
    ('Autumn 2 2027', '2027-11-01', '2027-12-17'),
    ('Spring 1 2028', '2028-01-04', '2028-02-11'),
    ('Spring 2 2028', '2028-02-21', '2028-03-31'),
    ('Summer 1 2028', '2028-04-18', '2028-05-26'),
    ('Summer 2 2028', '2028-06-05', '2028-07-21');

INSERT INTO closures (on_date, reason) VALUES
    ('2026-05-04', 'Early May bank holiday'),
    ('2027-05-03', 'Early May bank holiday'),
    ('2028-05-01', 'Early May bank holiday');
