-- The provider forum: categories with the roles that may read and post in each (the read rule
-- is applied in the SQL of every forum read), threads, and posts stored both as their Markdown
-- source and as sanitised HTML rendered once on save.
CREATE TABLE forum_categories (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

-- A role listed here reads the category; `may_post` lets it start threads and reply.
CREATE TABLE forum_category_roles (
    category_id  INTEGER NOT NULL REFERENCES forum_categories(id),
    role         TEXT NOT NULL,
    may_post     INTEGER NOT NULL,
    PRIMARY KEY (category_id, role)
);

CREATE TABLE forum_threads (
    id           INTEGER PRIMARY KEY,
    category_id  INTEGER NOT NULL REFERENCES forum_categories(id),
    title        TEXT NOT NULL,
    author_id    INTEGER NOT NULL REFERENCES users(id),
    pinned       INTEGER NOT NULL DEFAULT 0,
    locked       INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    last_post_at TEXT NOT NULL
);
CREATE INDEX forum_threads_category ON forum_threads(category_id, pinned, last_post_at);

CREATE TABLE forum_posts (
    id           INTEGER PRIMARY KEY,
    thread_id    INTEGER NOT NULL REFERENCES forum_threads(id),
    author_id    INTEGER NOT NULL REFERENCES users(id),
    reply_to     INTEGER REFERENCES forum_posts(id),
    source       TEXT NOT NULL,
    html         TEXT NOT NULL,
    -- published, held (waiting for a moderator) or removed.
    status       TEXT NOT NULL CHECK (status IN ('published', 'held', 'removed')),
    held_reason  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX forum_posts_thread ON forum_posts(thread_id, created_at);
CREATE INDEX forum_posts_held ON forum_posts(status, created_at);
CREATE INDEX forum_posts_author ON forum_posts(author_id, status);

INSERT INTO forum_categories (key, name, description, sort_order) VALUES
 ('notices', 'Notices from the council', 'News and notices from the council for providers and schools.', 1),
 ('safeguarding', 'Safeguarding', 'Safeguarding practice, updates and questions. Never name a child or give details that could identify one.', 2),
 ('curriculum', 'Curriculum and qualifications', 'Teaching, courses and qualifications that work for pupils in alternative provision.', 3),
 ('reintegration', 'Reintegration practice', 'What helps pupils return to school or move on, and what does not.', 4),
 ('training', 'Training and events', 'Training, briefings and events for staff.', 5),
 ('questions', 'Questions', 'Ask other providers and the council.', 6);

INSERT INTO forum_category_roles (category_id, role, may_post) VALUES
 ((SELECT id FROM forum_categories WHERE key = 'notices'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'notices'), 'provider', 0),
 ((SELECT id FROM forum_categories WHERE key = 'notices'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'notices'), 'taskforce', 0),
 ((SELECT id FROM forum_categories WHERE key = 'notices'), 'admin', 1),
 ((SELECT id FROM forum_categories WHERE key = 'safeguarding'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'safeguarding'), 'provider', 1),
 ((SELECT id FROM forum_categories WHERE key = 'safeguarding'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'safeguarding'), 'taskforce', 0),
 ((SELECT id FROM forum_categories WHERE key = 'safeguarding'), 'admin', 1),
 ((SELECT id FROM forum_categories WHERE key = 'curriculum'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'curriculum'), 'provider', 1),
 ((SELECT id FROM forum_categories WHERE key = 'curriculum'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'curriculum'), 'taskforce', 1),
 ((SELECT id FROM forum_categories WHERE key = 'curriculum'), 'admin', 1),
 ((SELECT id FROM forum_categories WHERE key = 'reintegration'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'reintegration'), 'provider', 1),
 ((SELECT id FROM forum_categories WHERE key = 'reintegration'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'reintegration'), 'taskforce', 1),
 ((SELECT id FROM forum_categories WHERE key = 'reintegration'), 'admin', 1),
 ((SELECT id FROM forum_categories WHERE key = 'training'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'training'), 'provider', 1),
 ((SELECT id FROM forum_categories WHERE key = 'training'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'training'), 'taskforce', 0),
 ((SELECT id FROM forum_categories WHERE key = 'training'), 'admin', 1),
 ((SELECT id FROM forum_categories WHERE key = 'questions'), 'school', 0),
 ((SELECT id FROM forum_categories WHERE key = 'questions'), 'provider', 1),
 ((SELECT id FROM forum_categories WHERE key = 'questions'), 'progressions', 1),
 ((SELECT id FROM forum_categories WHERE key = 'questions'), 'taskforce', 1),
 ((SELECT id FROM forum_categories WHERE key = 'questions'), 'admin', 1);
