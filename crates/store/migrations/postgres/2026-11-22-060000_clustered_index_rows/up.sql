-- Index rows keyed by resource, as on SQLite (where the tables become WITHOUT ROWID): a column
-- n numbers one resource's rows in each idx_* table from 0, and (res_pk, n) is the primary key.
-- Here the primary key replaces the idx_*_res indexes (deletes on update and per-resource
-- lookups); idx_string_exact goes (:exact is answered by the value index and the exact
-- column), and the url and identifier indexes of references become partial. The covering
-- idx_reference_res_target stays: PostgreSQL reads it without visiting the heap.

ALTER TABLE idx_string ADD COLUMN n INTEGER;
UPDATE idx_string AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_string) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_string ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_string_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_string_res;

ALTER TABLE idx_token ADD COLUMN n INTEGER;
UPDATE idx_token AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_token) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_token ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_token_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_token_res;

ALTER TABLE idx_date ADD COLUMN n INTEGER;
UPDATE idx_date AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_date) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_date ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_date_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_date_res;

ALTER TABLE idx_reference ADD COLUMN n INTEGER;
UPDATE idx_reference AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_reference) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_reference ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_reference_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_reference_res;

ALTER TABLE idx_quantity ADD COLUMN n INTEGER;
UPDATE idx_quantity AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_quantity) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_quantity ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_quantity_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_quantity_res;

ALTER TABLE idx_number ADD COLUMN n INTEGER;
UPDATE idx_number AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_number) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_number ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_number_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_number_res;

ALTER TABLE idx_uri ADD COLUMN n INTEGER;
UPDATE idx_uri AS t SET n = o.n
    FROM (SELECT ctid AS row, (ROW_NUMBER() OVER (PARTITION BY res_pk ORDER BY ctid) - 1)::INTEGER AS n
          FROM idx_uri) AS o
    WHERE t.ctid = o.row;
ALTER TABLE idx_uri ALTER COLUMN n SET NOT NULL,
    ADD CONSTRAINT idx_uri_pkey PRIMARY KEY (res_pk, n);
DROP INDEX idx_uri_res;

DROP INDEX idx_string_exact;
DROP INDEX idx_reference_url;
DROP INDEX idx_reference_identifier;
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system)
    WHERE identifier_value IS NOT NULL;
