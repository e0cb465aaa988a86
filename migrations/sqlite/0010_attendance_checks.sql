-- SQLite evaluates a CHECK's `IN (...)` list of three or more values by building a lookup
-- table for every row written: the 13-code check on marks took about 1 µs a row, more than
-- the rest of the insert (measured with 1.95 million rows, docs/BENCHMARKS.md). The same rules
-- written as `=` comparisons cost next to nothing. Marks and registers are rebuilt with them;
-- nothing references either table. The registers_date index is not recreated: every query
-- finds a register by its whole key, and the index cost an import as much as the registers
-- themselves. Kept in step with migrations/postgres/0010.

CREATE TABLE attendance_marks_new (
    placement_id  INTEGER NOT NULL REFERENCES placements(id),
    on_date       TEXT NOT NULL,
    session       TEXT NOT NULL CHECK (session = 'am' OR session = 'pm'),
    -- The provider whose register it is (a placement's provider never changes once active).
    provider_id   INTEGER NOT NULL REFERENCES providers(id),
    code          TEXT NOT NULL CHECK (code = '/' OR code = 'L' OR code = 'I' OR code = 'M'
                      OR code = 'R' OR code = 'E' OR code = 'C' OR code = 'U' OR code = 'G'
                      OR code = 'O' OR code = 'N' OR code = 'Y1' OR code = 'Y2'),
    note          TEXT NOT NULL DEFAULT '',
    recorded_by   INTEGER REFERENCES users(id),
    recorded_at   TEXT NOT NULL,
    PRIMARY KEY (placement_id, on_date, session)
);
INSERT INTO attendance_marks_new SELECT placement_id, on_date, session, provider_id, code, note,
    recorded_by, recorded_at FROM attendance_marks;
DROP TABLE attendance_marks;
ALTER TABLE attendance_marks_new RENAME TO attendance_marks;
CREATE INDEX attendance_marks_provider ON attendance_marks(provider_id, on_date);

CREATE TABLE registers_new (
    provider_id  INTEGER NOT NULL REFERENCES providers(id),
    on_date      TEXT NOT NULL,
    session      TEXT NOT NULL CHECK (session = 'am' OR session = 'pm'),
    taken_by     INTEGER REFERENCES users(id),
    taken_at     TEXT NOT NULL,
    via          TEXT NOT NULL CHECK (via = 'page' OR via = 'api' OR via = 'import'),
    PRIMARY KEY (provider_id, on_date, session)
);
INSERT INTO registers_new SELECT provider_id, on_date, session, taken_by, taken_at, via
    FROM registers;
DROP TABLE registers;
ALTER TABLE registers_new RENAME TO registers;
