-- The keys cannot be turned back into type and code: the tables get their former shape,
-- empty. Run `custodian reindex` with the older version afterwards to fill them again.

DROP TABLE idx_string;
CREATE TABLE idx_string (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value_normalized  TEXT    NOT NULL,
    value_exact       TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_normalized, res_pk);

DROP TABLE idx_token;
CREATE TABLE idx_token (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    system            TEXT,
    code              TEXT,
    display           TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, res_pk);

DROP TABLE idx_date;
CREATE TABLE idx_date (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    low               INTEGER NOT NULL,
    high              INTEGER NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_date_low ON idx_date (resource_type, param, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (resource_type, param, high, low, res_pk);

DROP TABLE idx_reference;
CREATE TABLE idx_reference (
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
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, resource_type, param);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system) WHERE identifier_value IS NOT NULL;

DROP TABLE idx_quantity;
CREATE TABLE idx_quantity (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value             REAL    NOT NULL,
    low               REAL    NOT NULL,
    high              REAL    NOT NULL,
    system            TEXT,
    code              TEXT,
    unit              TEXT,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, code, low, high);

DROP TABLE idx_number;
CREATE TABLE idx_number (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    value             REAL    NOT NULL,
    low               REAL    NOT NULL,
    high              REAL    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_number_value ON idx_number (resource_type, param, low, high);

DROP TABLE idx_uri;
CREATE TABLE idx_uri (
    res_pk        INTEGER NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    n             INTEGER NOT NULL,
    resource_type TEXT    NOT NULL,
    param         TEXT    NOT NULL,
    uri               TEXT    NOT NULL,
    PRIMARY KEY (res_pk, n)
) WITHOUT ROWID;
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, uri);
