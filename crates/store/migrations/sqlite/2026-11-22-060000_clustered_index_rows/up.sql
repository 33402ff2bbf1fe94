-- Index rows clustered by resource: each idx_* table becomes WITHOUT ROWID with the primary
-- key (res_pk, n), n numbering a resource's rows in that table from 0. The table itself is
-- then the per-resource index (deletes on update, per-row probes, sort keys, _has/_include
-- lookups), so the separate idx_*_res indexes and the rowid B-tree are gone, and a new
-- resource's rows are appended at the table's right edge. Also dropped: idx_string_exact
-- (:exact is answered by the value index: equal strings have equal normalized forms) and
-- idx_reference_res_target (the table itself now covers it); the url and identifier indexes
-- of references become partial (most references have neither). Every Patient written paid
-- about 40 fewer B-tree inserts (a Synthea Patient: about 66 instead of 107) (docs/benchmarks.md, "Index rows clustered by resource").

CREATE TABLE idx_string_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value_normalized TEXT    NOT NULL,
    value_exact      TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_string_clustered (res_pk, n, resource_type, param, value_normalized, value_exact)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, value_normalized, value_exact
    FROM idx_string;
DROP TABLE idx_string;
ALTER TABLE idx_string_clustered RENAME TO idx_string;
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_normalized, res_pk);

CREATE TABLE idx_token_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    system        TEXT,
    code          TEXT,
    display       TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_token_clustered (res_pk, n, resource_type, param, system, code, display)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, system, code, display
    FROM idx_token;
DROP TABLE idx_token;
ALTER TABLE idx_token_clustered RENAME TO idx_token;
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, res_pk);

CREATE TABLE idx_date_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    low           INTEGER NOT NULL,
    high          INTEGER NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_date_clustered (res_pk, n, resource_type, param, low, high)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, low, high
    FROM idx_date;
DROP TABLE idx_date;
ALTER TABLE idx_date_clustered RENAME TO idx_date;
CREATE INDEX idx_date_low ON idx_date (resource_type, param, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (resource_type, param, high, low, res_pk);

CREATE TABLE idx_reference_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
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
INSERT INTO idx_reference_clustered (res_pk, n, resource_type, param, target_type, target_id, url, identifier_system, identifier_value)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, target_type, target_id, url, identifier_system, identifier_value
    FROM idx_reference;
DROP TABLE idx_reference;
ALTER TABLE idx_reference_clustered RENAME TO idx_reference;
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, resource_type, param);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system)
    WHERE identifier_value IS NOT NULL;

CREATE TABLE idx_quantity_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
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
INSERT INTO idx_quantity_clustered (res_pk, n, resource_type, param, value, low, high, system, code, unit)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, value, low, high, system, code, unit
    FROM idx_quantity;
DROP TABLE idx_quantity;
ALTER TABLE idx_quantity_clustered RENAME TO idx_quantity;
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, code, low, high);

CREATE TABLE idx_number_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value         REAL    NOT NULL,
    low           REAL    NOT NULL,
    high          REAL    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_number_clustered (res_pk, n, resource_type, param, value, low, high)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, value, low, high
    FROM idx_number;
DROP TABLE idx_number;
ALTER TABLE idx_number_clustered RENAME TO idx_number;
CREATE INDEX idx_number_value ON idx_number (resource_type, param, low, high);

CREATE TABLE idx_uri_clustered (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    uri           TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_uri_clustered (res_pk, n, resource_type, param, uri)
    SELECT res_pk, ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY rowid) - 1,
           resource_type, param, uri
    FROM idx_uri;
DROP TABLE idx_uri;
ALTER TABLE idx_uri_clustered RENAME TO idx_uri;
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, uri);
