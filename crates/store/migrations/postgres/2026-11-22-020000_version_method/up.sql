-- How each version was written (POST, PUT or DELETE), for history bundles: a version 1
-- written by PUT (update-as-create) must not be replayed as a POST, which would assign a new id.
ALTER TABLE resource_versions ADD COLUMN method TEXT;
