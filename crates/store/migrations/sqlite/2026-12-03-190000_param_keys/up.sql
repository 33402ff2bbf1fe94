-- Index rows name their (type, parameter) pair by one integer, param_key, instead of the two
-- text columns resource_type and param (crates/store/src/param_key.rs). Those were the leading
-- columns of every value index: 15-25 bytes stored twice per row and compared at every B-tree
-- step. The key is FNV-1a (31 bits) of 'type|code'; custodian_param_key() is that function,
-- registered on the connection that runs the migrations (conn.rs), so the rows written by
-- older versions get the keys newer ones compute.
--
-- SQLite cannot drop a column that an index uses, so each table is rebuilt with its rows in
-- key order and its indexes created again with param_key in front.

CREATE TABLE idx_string_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    value_normalized  TEXT    NOT NULL,
    value_exact       TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_string_keyed (res_pk, n, param_key, value_normalized, value_exact)
    SELECT res_pk, n, custodian_param_key(resource_type, param), value_normalized, value_exact FROM idx_string ORDER BY res_pk, n;
DROP TABLE idx_string;
ALTER TABLE idx_string_keyed RENAME TO idx_string;
CREATE INDEX idx_string_value ON idx_string (param_key, value_normalized, res_pk);

CREATE TABLE idx_token_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    system            TEXT,
    code              TEXT,
    display           TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_token_keyed (res_pk, n, param_key, system, code, display)
    SELECT res_pk, n, custodian_param_key(resource_type, param), system, code, display FROM idx_token ORDER BY res_pk, n;
DROP TABLE idx_token;
ALTER TABLE idx_token_keyed RENAME TO idx_token;
CREATE INDEX idx_token_code ON idx_token (param_key, code, system, res_pk);

CREATE TABLE idx_date_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    low               INTEGER NOT NULL,
    high              INTEGER NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_date_keyed (res_pk, n, param_key, low, high)
    SELECT res_pk, n, custodian_param_key(resource_type, param), low, high FROM idx_date ORDER BY res_pk, n;
DROP TABLE idx_date;
ALTER TABLE idx_date_keyed RENAME TO idx_date;
CREATE INDEX idx_date_low ON idx_date (param_key, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (param_key, high, low, res_pk);

CREATE TABLE idx_reference_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    target_type       TEXT,
    target_id         TEXT,
    url               TEXT,
    identifier_system TEXT,
    identifier_value  TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_reference_keyed (res_pk, n, param_key, target_type, target_id, url, identifier_system, identifier_value)
    SELECT res_pk, n, custodian_param_key(resource_type, param), target_type, target_id, url, identifier_system, identifier_value FROM idx_reference ORDER BY res_pk, n;
DROP TABLE idx_reference;
ALTER TABLE idx_reference_keyed RENAME TO idx_reference;
CREATE INDEX idx_reference_target ON idx_reference (param_key, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, param_key);
CREATE INDEX idx_reference_url ON idx_reference (param_key, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (param_key, identifier_value, identifier_system) WHERE identifier_value IS NOT NULL;

CREATE TABLE idx_quantity_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    value             REAL    NOT NULL,
    low               REAL    NOT NULL,
    high              REAL    NOT NULL,
    system            TEXT,
    code              TEXT,
    unit              TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_quantity_keyed (res_pk, n, param_key, value, low, high, system, code, unit)
    SELECT res_pk, n, custodian_param_key(resource_type, param), value, low, high, system, code, unit FROM idx_quantity ORDER BY res_pk, n;
DROP TABLE idx_quantity;
ALTER TABLE idx_quantity_keyed RENAME TO idx_quantity;
CREATE INDEX idx_quantity_value ON idx_quantity (param_key, code, low, high);

CREATE TABLE idx_number_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    value             REAL    NOT NULL,
    low               REAL    NOT NULL,
    high              REAL    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_number_keyed (res_pk, n, param_key, value, low, high)
    SELECT res_pk, n, custodian_param_key(resource_type, param), value, low, high FROM idx_number ORDER BY res_pk, n;
DROP TABLE idx_number;
ALTER TABLE idx_number_keyed RENAME TO idx_number;
CREATE INDEX idx_number_value ON idx_number (param_key, low, high);

CREATE TABLE idx_uri_keyed (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    param_key     INTEGER NOT NULL,
    uri               TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
INSERT INTO idx_uri_keyed (res_pk, n, param_key, uri)
    SELECT res_pk, n, custodian_param_key(resource_type, param), uri FROM idx_uri ORDER BY res_pk, n;
DROP TABLE idx_uri;
ALTER TABLE idx_uri_keyed RENAME TO idx_uri;
CREATE INDEX idx_uri_value ON idx_uri (param_key, uri);
