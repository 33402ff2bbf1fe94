-- Foreign keys of the index rows checked at COMMIT instead of per statement.
--
-- SQLite gives a multi-row INSERT a statement journal (a copy of every page the statement
-- changes, to undo it alone) when the statement may abort halfway: an immediate foreign key
-- or an ABORT conflict may. The index rows go in as INSERTs of 64 rows, so every one of them
-- paid for that copy: a quarter of the writer's time in index rows under transaction Bundles
-- (docs/benchmarks.md, "Session 6"). With the foreign keys deferred and the INSERTs written
-- `OR FAIL` (batch.rs), no statement needs the journal. The keys are still enforced
-- (foreign_keys stays ON): an index row without its resource fails the COMMIT.
--
-- SQLite cannot change a constraint in place, so each table is rebuilt as it is, only its
-- REFERENCES clause differs; its indexes are created again.

CREATE TABLE idx_string_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value_normalized TEXT    NOT NULL,
    value_exact      TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_string_rebuilt (res_pk, n, resource_type, param, value_normalized, value_exact)
    SELECT res_pk, n, resource_type, param, value_normalized, value_exact FROM idx_string ORDER BY res_pk, n;
DROP TABLE idx_string;
ALTER TABLE idx_string_rebuilt RENAME TO idx_string;
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_normalized, res_pk);

CREATE TABLE idx_token_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    system        TEXT,
    code          TEXT,
    display       TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_token_rebuilt (res_pk, n, resource_type, param, system, code, display)
    SELECT res_pk, n, resource_type, param, system, code, display FROM idx_token ORDER BY res_pk, n;
DROP TABLE idx_token;
ALTER TABLE idx_token_rebuilt RENAME TO idx_token;
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, res_pk);

CREATE TABLE idx_date_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    low           INTEGER NOT NULL,
    high          INTEGER NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_date_rebuilt (res_pk, n, resource_type, param, low, high)
    SELECT res_pk, n, resource_type, param, low, high FROM idx_date ORDER BY res_pk, n;
DROP TABLE idx_date;
ALTER TABLE idx_date_rebuilt RENAME TO idx_date;
CREATE INDEX idx_date_high ON idx_date (resource_type, param, high, low, res_pk);
CREATE INDEX idx_date_low ON idx_date (resource_type, param, low, high, res_pk);

CREATE TABLE idx_reference_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    target_type       TEXT,
    target_id         TEXT,
    url               TEXT,
    identifier_system TEXT,
    identifier_value  TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_reference_rebuilt (res_pk, n, resource_type, param, target_type, target_id, url, identifier_system, identifier_value)
    SELECT res_pk, n, resource_type, param, target_type, target_id, url, identifier_system, identifier_value FROM idx_reference ORDER BY res_pk, n;
DROP TABLE idx_reference;
ALTER TABLE idx_reference_rebuilt RENAME TO idx_reference;
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system)
    WHERE identifier_value IS NOT NULL;
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, resource_type, param);
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, res_pk);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url) WHERE url IS NOT NULL;

CREATE TABLE idx_quantity_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value         REAL    NOT NULL,
    low           REAL    NOT NULL,
    high          REAL    NOT NULL,
    system        TEXT,
    code          TEXT,
    unit          TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_quantity_rebuilt (res_pk, n, resource_type, param, value, low, high, system, code, unit)
    SELECT res_pk, n, resource_type, param, value, low, high, system, code, unit FROM idx_quantity ORDER BY res_pk, n;
DROP TABLE idx_quantity;
ALTER TABLE idx_quantity_rebuilt RENAME TO idx_quantity;
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, code, low, high);

CREATE TABLE idx_number_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value         REAL    NOT NULL,
    low           REAL    NOT NULL,
    high          REAL    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_number_rebuilt (res_pk, n, resource_type, param, value, low, high)
    SELECT res_pk, n, resource_type, param, value, low, high FROM idx_number ORDER BY res_pk, n;
DROP TABLE idx_number;
ALTER TABLE idx_number_rebuilt RENAME TO idx_number;
CREATE INDEX idx_number_value ON idx_number (resource_type, param, low, high);

CREATE TABLE idx_uri_rebuilt (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    uri           TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_uri_rebuilt (res_pk, n, resource_type, param, uri)
    SELECT res_pk, n, resource_type, param, uri FROM idx_uri ORDER BY res_pk, n;
DROP TABLE idx_uri;
ALTER TABLE idx_uri_rebuilt RENAME TO idx_uri;
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, uri);
