-- Quality visits scored against the four themes of the DfE voluntary national standards, with
-- actions the provider answers; and framework rounds with the providers admitted to each.
CREATE TABLE quality_visits (
    id                 INTEGER PRIMARY KEY,
    provider_id        INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('observation', 'annual_qa')),
    visit_date         TEXT NOT NULL,
    officer_id         INTEGER REFERENCES users(id),
    -- 4 strong, 3 secure, 2 developing, 1 inadequate.
    score_safeguarding INTEGER NOT NULL CHECK (score_safeguarding BETWEEN 1 AND 4),
    score_health_safety INTEGER NOT NULL CHECK (score_health_safety BETWEEN 1 AND 4),
    score_admissions   INTEGER NOT NULL CHECK (score_admissions BETWEEN 1 AND 4),
    score_education    INTEGER NOT NULL CHECK (score_education BETWEEN 1 AND 4),
    strengths          TEXT NOT NULL DEFAULT '',
    improvements       TEXT NOT NULL DEFAULT '',
    pupil_voice        TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL
);
CREATE INDEX quality_visits_provider ON quality_visits(provider_id, visit_date);

CREATE TABLE visit_actions (
    id                 INTEGER PRIMARY KEY,
    visit_id           INTEGER NOT NULL REFERENCES quality_visits(id) ON DELETE CASCADE,
    provider_id        INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    action             TEXT NOT NULL,
    owner              TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    response           TEXT NOT NULL DEFAULT '',
    responded_at       TEXT,
    completed_at       TEXT
);
CREATE INDEX visit_actions_due ON visit_actions(status, due_on);
CREATE INDEX visit_actions_provider ON visit_actions(provider_id);

CREATE TABLE framework_rounds (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    CHECK (ends_on > starts_on)
);

CREATE TABLE framework_members (
    round_id       INTEGER NOT NULL REFERENCES framework_rounds(id) ON DELETE CASCADE,
    provider_id    INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    lot            TEXT NOT NULL CHECK (lot IN ('primary', 'secondary', 'both')),
    contract_signed_on TEXT,
    contract_ends_on   TEXT,
    PRIMARY KEY (round_id, provider_id)
);
