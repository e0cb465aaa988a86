-- Notifications: one row per recipient user (a role or organisation is expanded when raised, so
-- each user reads and clears their own). `mode` is how the user's preference routed it.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    link         TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('immediate', 'digest', 'off')),
    created_at   TEXT NOT NULL,
    read_at      TEXT,
    digested_at  TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, read_at);
CREATE INDEX notifications_digest ON notifications(mode, digested_at);

-- Per user and kind: immediately, in the daily digest, or off (absent: the kind's default).
CREATE TABLE notification_prefs (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    mode     TEXT NOT NULL CHECK (mode IN ('immediate', 'digest', 'off')),
    PRIMARY KEY (user_id, kind)
);

-- One-click unsubscribe: a random token per user and kind, reused in every mail of that kind.
CREATE TABLE unsubscribe_tokens (
    token    TEXT PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    UNIQUE (user_id, kind)
);

-- The durable outbox: a mail is queued in the same transaction as what caused it, sent at least
-- once (a claim older than the lease is taken again after a crash) and recorded once.
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,
    user_id          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    to_address       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    unsubscribe_url  TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    claimed_at       TEXT,
    sent_at          TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);

-- Scheduled jobs: one row per job and day claims the run, so a restart never runs it twice.
CREATE TABLE job_runs (
    job          TEXT NOT NULL,
    run_date     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    outcome      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, run_date)
);
