-- Reference rows by their resource with the columns _has, chains and _include read, so those
-- lookups are answered from the index alone (idx_reference_res still serves deletes).
CREATE INDEX idx_reference_res_target ON idx_reference (res_pk, param, target_type, target_id);
