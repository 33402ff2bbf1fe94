-- The keys cannot be turned back into type and code: the tables get their former columns,
-- and lose their rows. Run `custodian reindex` with the older version afterwards.

DELETE FROM idx_string;
ALTER TABLE idx_string DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_normalized, res_pk);

DELETE FROM idx_token;
ALTER TABLE idx_token DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, res_pk);

DELETE FROM idx_date;
ALTER TABLE idx_date DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_date_low ON idx_date (resource_type, param, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (resource_type, param, high, low, res_pk);

DELETE FROM idx_reference;
ALTER TABLE idx_reference DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, resource_type, param);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (resource_type, param, identifier_value, identifier_system) WHERE identifier_value IS NOT NULL;
CREATE INDEX idx_reference_res_target ON idx_reference (res_pk, param, target_type, target_id);

DELETE FROM idx_quantity;
ALTER TABLE idx_quantity DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, code, low, high);

DELETE FROM idx_number;
ALTER TABLE idx_number DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_number_value ON idx_number (resource_type, param, low, high);

DELETE FROM idx_uri;
ALTER TABLE idx_uri DROP COLUMN param_key, ADD COLUMN resource_type TEXT COLLATE "C" NOT NULL, ADD COLUMN param TEXT COLLATE "C" NOT NULL;
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, uri);
