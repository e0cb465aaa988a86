-- Kept in step with migrations/sqlite/0010. PostgreSQL's CHECK lists are not slow per row, so
-- only the unused index goes: every query finds a register by its whole key.
DROP INDEX IF EXISTS registers_date;
