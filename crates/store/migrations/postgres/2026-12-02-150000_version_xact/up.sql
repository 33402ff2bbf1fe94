-- The transaction that wrote each version, so that a `_sort=_lastUpdated` search can page as
-- of its first page's snapshot (`pg_visible_in_snapshot`): `last_updated` is taken before the
-- commit, and concurrent transactions commit out of that order. Existing versions keep NULL
-- (committed long ago, visible to every snapshot); setting the default separately avoids
-- rewriting the table.
ALTER TABLE resource_versions ADD COLUMN xact xid8;
ALTER TABLE resource_versions ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
