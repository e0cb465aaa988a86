-- Core shape of the AP directory: reference data, organisations, people, accounts, audit.
-- Kept in step with migrations/postgres/0001_core.sql (a test checks the names match).

CREATE TABLE localities (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

-- DfE three-tier model; a council may set a local label.
CREATE TABLE tiers (
    tier         INTEGER PRIMARY KEY CHECK (tier BETWEEN 1 AND 3),
    dfe_meaning  TEXT NOT NULL,
    local_label  TEXT
);

CREATE TABLE place_types (
    key             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    definition      TEXT NOT NULL,
    typical_length  TEXT NOT NULL,
    sort_order      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE key_stages (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

-- DfE primary need codes.
CREATE TABLE needs (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE schools (
    id           INTEGER PRIMARY KEY,
    urn          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    la_code      TEXT NOT NULL,
    establishment_number TEXT,
    type_name    TEXT NOT NULL,
    phase        TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'Open',
    postcode     TEXT NOT NULL,
    latitude     REAL,
    longitude    REAL,
    locality_id  INTEGER REFERENCES localities(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX schools_locality ON schools(locality_id);

CREATE TABLE providers (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    summary            TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    website            TEXT,
    email              TEXT,
    phone              TEXT,
    registration       TEXT NOT NULL CHECK (registration IN ('registered_school', 'non_school', 'online')),
    urn                TEXT,
    ukprn              TEXT,
    ofsted_grade       TEXT,
    on_framework       INTEGER NOT NULL DEFAULT 0,
    framework_lot      TEXT CHECK (framework_lot IN ('primary', 'secondary', 'both')),
    dd_status          TEXT NOT NULL DEFAULT 'pending'
                       CHECK (dd_status IN ('pending', 'approved', 'expiring', 'lapsed', 'suspended')),
    dd_reason          TEXT NOT NULL DEFAULT '',
    accepts_la         INTEGER NOT NULL DEFAULT 1,
    accepts_school     INTEGER NOT NULL DEFAULT 1,
    capacity           INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    places_free        INTEGER NOT NULL DEFAULT 0 CHECK (places_free >= 0),
    places_free_updated_at TEXT,
    qualifications     TEXT NOT NULL DEFAULT '',
    transport          TEXT NOT NULL DEFAULT '',
    days_hours         TEXT NOT NULL DEFAULT '',
    locality_id        INTEGER REFERENCES localities(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX providers_locality ON providers(locality_id);

CREATE TABLE provider_sites (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    address      TEXT NOT NULL,
    postcode     TEXT NOT NULL,
    latitude     REAL,
    longitude    REAL,
    is_main      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX provider_sites_provider ON provider_sites(provider_id);

CREATE TABLE provider_tiers (
    provider_id  INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    tier         INTEGER NOT NULL REFERENCES tiers(tier),
    PRIMARY KEY (provider_id, tier)
);
CREATE TABLE provider_place_types (
    provider_id     INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    place_type_key  TEXT NOT NULL REFERENCES place_types(key),
    PRIMARY KEY (provider_id, place_type_key)
);
CREATE TABLE provider_key_stages (
    provider_id    INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    key_stage_key  TEXT NOT NULL REFERENCES key_stages(key),
    PRIMARY KEY (provider_id, key_stage_key)
);
CREATE TABLE provider_needs (
    provider_id  INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    need_key     TEXT NOT NULL REFERENCES needs(key),
    PRIMARY KEY (provider_id, need_key)
);

-- Only the data the work needs (placements issue): nothing else about a child is kept.
CREATE TABLE pupils (
    id              INTEGER PRIMARY KEY,
    upn             TEXT NOT NULL UNIQUE,
    legal_forename  TEXT NOT NULL,
    legal_surname   TEXT NOT NULL,
    preferred_name  TEXT,
    date_of_birth   TEXT NOT NULL,
    home_school_id  INTEGER NOT NULL REFERENCES schools(id),
    sen_status      TEXT NOT NULL DEFAULT 'none' CHECK (sen_status IN ('none', 'sen_support', 'ehc_plan')),
    looked_after    INTEGER NOT NULL DEFAULT 0,
    needs_summary   TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX pupils_home_school ON pupils(home_school_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('school', 'provider', 'progressions', 'taskforce', 'admin')),
    school_id      INTEGER REFERENCES schools(id),
    provider_id    INTEGER REFERENCES providers(id),
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    last_login_at  TEXT,
    -- A school user belongs to exactly one school, a provider user to one provider, others to neither.
    CHECK ((role = 'school') = (school_id IS NOT NULL)),
    CHECK ((role = 'provider') = (provider_id IS NOT NULL))
);

-- The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ip            TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_attempts (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    ip            TEXT NOT NULL,
    attempted_at  TEXT NOT NULL,
    succeeded     INTEGER NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts(email, attempted_at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, attempted_at);

-- Append-only: who did what to which record, when.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    role        TEXT,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT,
    request_id  TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_user ON audit_log(user_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
