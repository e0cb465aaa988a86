-- The URN-to-locality table an administrator uploads; the GIAS import assigns schools'
-- localities from it (GIAS itself knows nothing of a council's localities).
CREATE TABLE school_localities (
    urn          TEXT PRIMARY KEY,
    locality_id  INTEGER NOT NULL REFERENCES localities(id)
);
