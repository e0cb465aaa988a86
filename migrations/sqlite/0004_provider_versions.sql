-- Every version of a provider's public profile: submitted by provider staff (pending until the
-- Progressions Team decides), or made directly by Progressions. Kept for good: who and when.
CREATE TABLE provider_versions (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    fields        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'superseded', 'direct')),
    submitted_by  INTEGER REFERENCES users(id),
    submitted_at  TEXT NOT NULL,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    TEXT,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX provider_versions_provider ON provider_versions(provider_id, id);
CREATE INDEX provider_versions_status ON provider_versions(status, submitted_at);
