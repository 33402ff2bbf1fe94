DROP INDEX idx_reference_res_target;
