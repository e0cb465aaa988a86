-- Due diligence (DOMAIN.md section 7): check types (admin-configurable; seeded), checks recorded
-- against providers with evidence files, reminders sent, suspension, and concerns.
CREATE TABLE check_types (
    id                 INTEGER PRIMARY KEY,
    key                TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    theme              TEXT NOT NULL CHECK (theme IN ('safeguarding_welfare', 'health_safety', 'admissions_support', 'quality_education', 'governance')),
    evidence           TEXT NOT NULL,
    -- Months a passed check stays valid; NULL: until the evidence's own expiry date (entered).
    validity_months    INTEGER,
    required_registered_school INTEGER NOT NULL DEFAULT 0,
    required_non_school        INTEGER NOT NULL DEFAULT 1,
    required_online            INTEGER NOT NULL DEFAULT 1,
    sort_order         INTEGER NOT NULL,
    active             INTEGER NOT NULL DEFAULT 1
);

INSERT INTO check_types (key, name, theme, evidence, validity_months, required_registered_school, required_non_school, required_online, sort_order) VALUES
 ('legal_status', 'Legal status and registration threshold', 'governance', 'URN and Ofsted report, or a declaration of non-school status and pupil numbers', 4, 1, 1, 1, 1),
 ('staff_vetting', 'Staff vetting (enhanced DBS with barred list, single central record)', 'safeguarding_welfare', 'Single central record extract or written confirmation', 12, 0, 1, 1, 2),
 ('safeguarding', 'Safeguarding policy, trained DSL and deputy', 'safeguarding_welfare', 'Policy and training certificates', 12, 0, 1, 1, 3),
 ('health_safety', 'Health and safety (risk assessments, first aid, fire)', 'health_safety', 'Risk assessments and certificates', 12, 0, 1, 0, 4),
 ('insurance', 'Insurance (employer''s, public liability, professional indemnity)', 'governance', 'Insurance certificates', NULL, 1, 1, 1, 5),
 ('policies', 'Policies (behaviour, attendance, complaints, data protection, equality)', 'admissions_support', 'Policy documents', 12, 0, 1, 1, 6),
 ('quality_education', 'Quality of education (curriculum, English and maths, accreditation, progress)', 'quality_education', 'Curriculum map and a sample learning plan', 12, 0, 1, 1, 7),
 ('observation', 'Teaching and learning observation (council visit)', 'quality_education', 'Visit report with a judgement', 12, 0, 1, 1, 8),
 ('attendance_practice', 'Attendance practice (session registers, absence follow-up, daily reporting)', 'admissions_support', 'A sample register', 12, 0, 1, 1, 9),
 ('financial', 'Financial standing', 'governance', 'Accounts or a credit check', 12, 0, 1, 1, 10),
 ('contract', 'Service level agreement or contract signed', 'governance', 'The signed contract', NULL, 1, 1, 1, 11);

CREATE TABLE provider_checks (
    id             INTEGER PRIMARY KEY,
    provider_id    INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    check_type_id  INTEGER NOT NULL REFERENCES check_types(id),
    checked_on     TEXT NOT NULL,
    result         TEXT NOT NULL CHECK (result IN ('passed', 'failed', 'not_applicable')),
    -- The first day the check is no longer valid (NULL for a failed check).
    expires_on     TEXT,
    officer_id     INTEGER REFERENCES users(id),
    notes          TEXT NOT NULL DEFAULT '',
    recorded_at    TEXT NOT NULL
);
CREATE INDEX provider_checks_latest ON provider_checks(provider_id, check_type_id, checked_on, id);

CREATE TABLE check_evidence (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES provider_checks(id) ON DELETE CASCADE,
    provider_id   INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    stored_name   TEXT NOT NULL UNIQUE,
    uploaded_by   INTEGER REFERENCES users(id),
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX check_evidence_check ON check_evidence(check_id);

-- Expiry reminders sent, so the nightly job sends each once: 30 and 7 days before, and on lapse.
CREATE TABLE check_reminders (
    check_id  INTEGER NOT NULL REFERENCES provider_checks(id) ON DELETE CASCADE,
    stage     TEXT NOT NULL CHECK (stage IN ('d30', 'd7', 'lapsed')),
    sent_at   TEXT NOT NULL,
    PRIMARY KEY (check_id, stage)
);

ALTER TABLE providers ADD COLUMN suspended_on TEXT;
ALTER TABLE providers ADD COLUMN suspension_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE concerns (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    raised_by    INTEGER REFERENCES users(id),
    -- For concerns from the public form (no account): who to reply to, if they said.
    raiser_name     TEXT NOT NULL DEFAULT '',
    raiser_contact  TEXT NOT NULL DEFAULT '',
    raiser_kind  TEXT NOT NULL CHECK (raiser_kind IN ('school', 'provider', 'family', 'council', 'other')),
    category     TEXT NOT NULL CHECK (category IN ('safeguarding', 'quality', 'health_safety', 'attendance', 'other')),
    severity     TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status       TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'resolved', 'escalated')),
    owner_id     INTEGER REFERENCES users(id),
    details      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX concerns_status ON concerns(status, severity, created_at);
CREATE INDEX concerns_provider ON concerns(provider_id);

CREATE TABLE concern_events (
    id          INTEGER PRIMARY KEY,
    concern_id  INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    change      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX concern_events_concern ON concern_events(concern_id, id);
