-- Custodian store schema (PostgreSQL). Kept column-for-column in step with migrations/sqlite.
-- Text that search compares or orders uses COLLATE "C" so byte order matches SQLite and prefix
-- range scans (value >= p AND value < p || U+10FFFF) use the btree indexes.
-- Times are microseconds since the Unix epoch (UTC) in 64-bit integer columns on both backends.
-- Partitioning note: every unique key starts with the resource identity so that a partition
-- column (tenant or patient compartment) can be prepended later without changing the design.

-- Every version of every resource. `body` is the exact JSON a read returns; NULL for tombstones.
-- `seq` is a global, monotonically increasing write sequence used for history order and paging.
-- `superseded_at` is the last_updated of the next version (NULL while current), so `_at`
-- ("current at some point during [low, high]") is a plain range filter.
CREATE TABLE resource_versions (
    seq           BIGSERIAL NOT NULL,
    resource_type TEXT    COLLATE "C" NOT NULL,
    resource_id   TEXT    COLLATE "C" NOT NULL,
    version       BIGINT  NOT NULL,
    last_updated  BIGINT  NOT NULL,
    deleted       BOOLEAN NOT NULL,
    body          TEXT,
    superseded_at BIGINT,
    PRIMARY KEY (resource_type, resource_id, version)
);
CREATE INDEX resource_versions_seq ON resource_versions (seq);
CREATE INDEX resource_versions_type_seq ON resource_versions (resource_type, seq);
CREATE INDEX resource_versions_last_updated ON resource_versions (last_updated);

-- The current version of each resource: what search joins to, and the row writers lock.
-- `index_mask` records which idx_* tables hold rows for this resource (bit per table).
CREATE TABLE resources (
    res_pk        BIGSERIAL PRIMARY KEY,
    resource_type TEXT COLLATE "C" NOT NULL,
    resource_id   TEXT COLLATE "C" NOT NULL,
    version       BIGINT  NOT NULL,
    last_updated  BIGINT  NOT NULL,
    deleted       BOOLEAN NOT NULL,
    index_mask    BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (resource_type, resource_id)
);
CREATE INDEX resources_type_last_updated ON resources (resource_type, last_updated);

-- Search index rows: only for current, non-deleted versions. One table per parameter type.
CREATE TABLE idx_string (
    res_pk           BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type    TEXT COLLATE "C" NOT NULL,
    param            TEXT COLLATE "C" NOT NULL,
    value_normalized TEXT COLLATE "C" NOT NULL,
    value_exact      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_normalized, res_pk);
CREATE INDEX idx_string_exact ON idx_string (resource_type, param, value_exact);
CREATE INDEX idx_string_res ON idx_string (res_pk);

CREATE TABLE idx_token (
    res_pk        BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type TEXT COLLATE "C" NOT NULL,
    param         TEXT COLLATE "C" NOT NULL,
    system        TEXT COLLATE "C",
    code          TEXT COLLATE "C",
    display       TEXT COLLATE "C"
);
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, res_pk);
CREATE INDEX idx_token_res ON idx_token (res_pk);

CREATE TABLE idx_date (
    res_pk        BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type TEXT COLLATE "C" NOT NULL,
    param         TEXT COLLATE "C" NOT NULL,
    low           BIGINT  NOT NULL,
    high          BIGINT  NOT NULL
);
CREATE INDEX idx_date_low ON idx_date (resource_type, param, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (resource_type, param, high, low, res_pk);
CREATE INDEX idx_date_res ON idx_date (res_pk);

CREATE TABLE idx_reference (
    res_pk            BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type     TEXT COLLATE "C" NOT NULL,
    param             TEXT COLLATE "C" NOT NULL,
    target_type       TEXT COLLATE "C",
    target_id         TEXT COLLATE "C",
    url               TEXT COLLATE "C",
    identifier_system TEXT COLLATE "C",
    identifier_value  TEXT COLLATE "C"
);
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, resource_type, param);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url);
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system);
CREATE INDEX idx_reference_res ON idx_reference (res_pk);

CREATE TABLE idx_quantity (
    res_pk        BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type TEXT COLLATE "C" NOT NULL,
    param         TEXT COLLATE "C" NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    low           DOUBLE PRECISION NOT NULL,
    high          DOUBLE PRECISION NOT NULL,
    system        TEXT COLLATE "C",
    code          TEXT COLLATE "C",
    unit          TEXT COLLATE "C"
);
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, code, low, high);
CREATE INDEX idx_quantity_res ON idx_quantity (res_pk);

CREATE TABLE idx_number (
    res_pk        BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type TEXT COLLATE "C" NOT NULL,
    param         TEXT COLLATE "C" NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    low           DOUBLE PRECISION NOT NULL,
    high          DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_number_value ON idx_number (resource_type, param, low, high);
CREATE INDEX idx_number_res ON idx_number (res_pk);

CREATE TABLE idx_uri (
    res_pk        BIGINT  NOT NULL REFERENCES resources (res_pk) ON DELETE CASCADE,
    resource_type TEXT COLLATE "C" NOT NULL,
    param         TEXT COLLATE "C" NOT NULL,
    uri           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, uri);
CREATE INDEX idx_uri_res ON idx_uri (res_pk);

-- Conditional-create keys: (type, normalized If-None-Exist criteria) is unique, and the row is
-- written in the same transaction as the create, so two concurrent creates cannot both win.
CREATE TABLE conditional_keys (
    resource_type TEXT COLLATE "C" NOT NULL,
    criteria      TEXT COLLATE "C" NOT NULL,
    resource_id   TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (resource_type, criteria)
);

-- One row per write, in the write's transaction.
CREATE TABLE audit_log (
    seq           BIGSERIAL PRIMARY KEY,
    at            BIGINT  NOT NULL,
    action        TEXT COLLATE "C" NOT NULL,
    resource_type TEXT COLLATE "C" NOT NULL,
    resource_id   TEXT COLLATE "C" NOT NULL,
    version       BIGINT  NOT NULL,
    request_id    TEXT,
    client        TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id);
