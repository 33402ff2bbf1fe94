-- Index rows name their (type, parameter) pair by one integer, param_key, instead of the two
-- text columns resource_type and param (crates/store/src/param_key.rs). Those were the leading
-- columns of every value index: 15-25 bytes stored twice per row and compared at every B-tree
-- step. The key is FNV-1a (31 bits) of 'type|code' in UTF-8, computed here by
-- custodian_param_key() once per distinct pair; the migration tests check that it agrees
-- with the Rust function. The value indexes go first (the UPDATE need not maintain them)
-- and are created again on param_key. The UPDATE leaves each table's old row versions
-- behind and DROP COLUMN does not reclaim the text: VACUUM FULL (or pg_repack) afterwards
-- gives the space back (docs/configuration.md).

CREATE FUNCTION custodian_param_key(resource_type TEXT, code TEXT) RETURNS INTEGER
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    bytes BYTEA := convert_to(resource_type || '|' || code, 'UTF8');
    h BIGINT := 2166136261;
BEGIN
    FOR i IN 0 .. length(bytes) - 1 LOOP
        h := ((h # get_byte(bytes, i)::BIGINT) * 16777619) & 4294967295;
    END LOOP;
    RETURN (h & 2147483647)::INTEGER;
END;
$$;

DROP INDEX idx_string_value;
ALTER TABLE idx_string ADD COLUMN param_key INTEGER;
UPDATE idx_string AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_string) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_string ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_string_value ON idx_string (param_key, value_normalized, res_pk);

DROP INDEX idx_token_code;
ALTER TABLE idx_token ADD COLUMN param_key INTEGER;
UPDATE idx_token AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_token) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_token ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_token_code ON idx_token (param_key, code, system, res_pk);

DROP INDEX idx_date_low;
DROP INDEX idx_date_high;
ALTER TABLE idx_date ADD COLUMN param_key INTEGER;
UPDATE idx_date AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_date) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_date ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_date_low ON idx_date (param_key, low, high, res_pk);
CREATE INDEX idx_date_high ON idx_date (param_key, high, low, res_pk);

DROP INDEX idx_reference_target;
DROP INDEX idx_reference_rev;
DROP INDEX idx_reference_url;
DROP INDEX idx_reference_identifier;
DROP INDEX idx_reference_res_target;
ALTER TABLE idx_reference ADD COLUMN param_key INTEGER;
UPDATE idx_reference AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_reference) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_reference ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_reference_target ON idx_reference (param_key, target_id, target_type, res_pk);
CREATE INDEX idx_reference_rev ON idx_reference (target_type, target_id, param_key);
CREATE INDEX idx_reference_url ON idx_reference (param_key, url) WHERE url IS NOT NULL;
CREATE INDEX idx_reference_identifier ON idx_reference (param_key, identifier_value, identifier_system) WHERE identifier_value IS NOT NULL;
CREATE INDEX idx_reference_res_target ON idx_reference (res_pk, param_key, target_type, target_id);

DROP INDEX idx_quantity_value;
ALTER TABLE idx_quantity ADD COLUMN param_key INTEGER;
UPDATE idx_quantity AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_quantity) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_quantity ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_quantity_value ON idx_quantity (param_key, code, low, high);

DROP INDEX idx_number_value;
ALTER TABLE idx_number ADD COLUMN param_key INTEGER;
UPDATE idx_number AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_number) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_number ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_number_value ON idx_number (param_key, low, high);

DROP INDEX idx_uri_value;
ALTER TABLE idx_uri ADD COLUMN param_key INTEGER;
UPDATE idx_uri AS x SET param_key = k.key
    FROM (SELECT DISTINCT resource_type, param, custodian_param_key(resource_type, param) AS key
          FROM idx_uri) AS k
    WHERE x.resource_type = k.resource_type AND x.param = k.param;
ALTER TABLE idx_uri ALTER COLUMN param_key SET NOT NULL, DROP COLUMN resource_type, DROP COLUMN param;
CREATE INDEX idx_uri_value ON idx_uri (param_key, uri);

DROP FUNCTION custodian_param_key(TEXT, TEXT);
