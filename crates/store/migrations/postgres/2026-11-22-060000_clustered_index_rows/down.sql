-- The previous schema: no ordinal column, per-resource indexes on res_pk.

ALTER TABLE idx_string DROP CONSTRAINT idx_string_pkey, DROP COLUMN n;
CREATE INDEX idx_string_res ON idx_string (res_pk);

ALTER TABLE idx_token DROP CONSTRAINT idx_token_pkey, DROP COLUMN n;
CREATE INDEX idx_token_res ON idx_token (res_pk);

ALTER TABLE idx_date DROP CONSTRAINT idx_date_pkey, DROP COLUMN n;
CREATE INDEX idx_date_res ON idx_date (res_pk);

ALTER TABLE idx_reference DROP CONSTRAINT idx_reference_pkey, DROP COLUMN n;
CREATE INDEX idx_reference_res ON idx_reference (res_pk);

ALTER TABLE idx_quantity DROP CONSTRAINT idx_quantity_pkey, DROP COLUMN n;
CREATE INDEX idx_quantity_res ON idx_quantity (res_pk);

ALTER TABLE idx_number DROP CONSTRAINT idx_number_pkey, DROP COLUMN n;
CREATE INDEX idx_number_res ON idx_number (res_pk);

ALTER TABLE idx_uri DROP CONSTRAINT idx_uri_pkey, DROP COLUMN n;
CREATE INDEX idx_uri_res ON idx_uri (res_pk);

CREATE INDEX idx_string_exact ON idx_string (resource_type, param, value_exact);
DROP INDEX idx_reference_url;
DROP INDEX idx_reference_identifier;
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url);
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system);
