-- Daily attendance: registers taken per provider, school day and session; one mark per placement
-- and session with its national code; corrections with their history; attendance before the
-- placement as the school records it; API tokens for MIS and provider systems.
-- Kept in step with migrations/postgres/0009_attendance.sql.

CREATE TABLE registers (
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    on_date      TEXT NOT NULL,
    session      TEXT NOT NULL CHECK (session IN ('am', 'pm')),
    taken_by     INTEGER REFERENCES users(id),
    taken_at     TEXT NOT NULL,
    via          TEXT NOT NULL CHECK (via IN ('page', 'api', 'import')),
    PRIMARY KEY (provider_id, on_date, session)
);
CREATE INDEX registers_date ON registers(on_date, session);

CREATE TABLE attendance_marks (
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    on_date       TEXT NOT NULL,
    session       TEXT NOT NULL CHECK (session IN ('am', 'pm')),
    -- The provider whose register it is (a placement's provider never changes once active).
    provider_id   INTEGER NOT NULL REFERENCES providers(id),
    code          TEXT NOT NULL CHECK (code IN ('/', 'L', 'I', 'M', 'R', 'E', 'C', 'U', 'G', 'O', 'N', 'Y1', 'Y2')),
    note          TEXT NOT NULL DEFAULT '',
    recorded_by   INTEGER REFERENCES users(id),
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (placement_id, on_date, session)
);
CREATE INDEX attendance_marks_provider ON attendance_marks(provider_id, on_date);

-- Every change to a mark after its register was taken: who, when, old and new, why. Changes to
-- registers older than the lock period wait for the Progressions Team.
CREATE TABLE mark_changes (
    id            INTEGER PRIMARY KEY,
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    on_date       TEXT NOT NULL,
    session       TEXT NOT NULL CHECK (session IN ('am', 'pm')),
    old_code      TEXT NOT NULL,
    new_code      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('applied', 'pending', 'rejected')),
    requested_by  INTEGER REFERENCES users(id),
    requested_at  TEXT NOT NULL,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    TEXT
);
CREATE INDEX mark_changes_mark ON mark_changes(placement_id, on_date, session);
CREATE INDEX mark_changes_status ON mark_changes(status, requested_at);

-- Attendance in the school before the placement, from the school's own records.
CREATE TABLE prior_attendance (
    placement_id  INTEGER PRIMARY KEY REFERENCES placements(id),
    possible      INTEGER NOT NULL CHECK (possible > 0),
    attended      INTEGER NOT NULL CHECK (attended >= 0 AND attended <= possible),
    entered_by    INTEGER REFERENCES users(id),
    entered_at    TEXT NOT NULL
);

-- Bearer tokens for one organisation's system; only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    school_id     INTEGER REFERENCES schools(id),
    provider_id   INTEGER REFERENCES providers(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT,
    CHECK ((school_id IS NULL) <> (provider_id IS NULL))
);

-- One missing-register notice per register and stage.
CREATE TABLE register_reminders (
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    on_date      TEXT NOT NULL,
    session      TEXT NOT NULL,
    stage        TEXT NOT NULL CHECK (stage IN ('provider', 'escalated')),
    sent_at      TEXT NOT NULL,
    PRIMARY KEY (provider_id, on_date, session, stage)
);

-- Sessions attended and possible per provider, day and tier, kept in the same transaction as
-- every change to marks, so city-wide rates read thousands of rows rather than millions.
CREATE TABLE attendance_counts (
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    on_date      TEXT NOT NULL,
    tier         INTEGER NOT NULL,
    attended     INTEGER NOT NULL,
    possible     INTEGER NOT NULL,
    -- Day first: a period's rates are one range of the key, with the counts in it.
    PRIMARY KEY (on_date, provider_id, tier)
) WITHOUT ROWID;
