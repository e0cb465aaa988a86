-- The forum's second half: edits with their earlier versions, deletion, flags, who read what,
-- who watches what, and attachments.

-- When a post was last edited and who removed it (its author or a moderator).
ALTER TABLE forum_posts ADD COLUMN edited_at TEXT;
ALTER TABLE forum_posts ADD COLUMN removed_by INTEGER REFERENCES users(id);

-- Each earlier version of an edited post, kept for its author and moderators.
CREATE TABLE forum_post_revisions (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES forum_posts(id),
    source     TEXT NOT NULL,
    html       TEXT NOT NULL,
    -- When this version was first written, and when it was replaced and by whom.
    written_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    replaced_by INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX forum_post_revisions_post ON forum_post_revisions(post_id, id);

-- A reader's flag on a post, with their reason, until a moderator keeps or removes the post.
CREATE TABLE forum_flags (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES forum_posts(id),
    flagged_by  INTEGER NOT NULL REFERENCES users(id),
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by INTEGER REFERENCES users(id),
    -- kept or removed
    outcome     TEXT CHECK (outcome IS NULL OR outcome IN ('kept', 'removed'))
);
CREATE UNIQUE INDEX forum_flags_open ON forum_flags(post_id, flagged_by) WHERE resolved_at IS NULL;
CREATE INDEX forum_flags_queue ON forum_flags(resolved_at, created_at);

-- The last post each user has seen in each thread they opened.
CREATE TABLE forum_reads (
    user_id      INTEGER NOT NULL REFERENCES users(id),
    thread_id    INTEGER NOT NULL REFERENCES forum_threads(id),
    last_post_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);

CREATE TABLE forum_thread_watches (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    thread_id INTEGER NOT NULL REFERENCES forum_threads(id),
    PRIMARY KEY (user_id, thread_id)
);
CREATE INDEX forum_thread_watches_thread ON forum_thread_watches(thread_id);

CREATE TABLE forum_category_watches (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    category_id INTEGER NOT NULL REFERENCES forum_categories(id),
    PRIMARY KEY (user_id, category_id)
);
CREATE INDEX forum_category_watches_category ON forum_category_watches(category_id);

-- Files attached to posts: stored under the data directory by `name`, served only to those
-- who can read the post (or, before it is posted, to the uploader).
CREATE TABLE forum_attachments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    post_id      INTEGER REFERENCES forum_posts(id),
    uploader_id  INTEGER NOT NULL REFERENCES users(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX forum_attachments_post ON forum_attachments(post_id);
