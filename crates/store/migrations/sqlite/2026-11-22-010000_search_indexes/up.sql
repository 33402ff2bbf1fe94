-- Search walks the current resources of one type in primary-key order (the default sort and
-- the keyset paging order) and probes each row's filters: (type, deleted) then the rowid.
CREATE INDEX resources_search ON resources (resource_type, deleted, res_pk);
