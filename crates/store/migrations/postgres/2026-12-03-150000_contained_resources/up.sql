-- Contained resources that search can find (`_contained=true|both`). Each is a `resources`
-- row of its own, typed `#<Type>` so that no ordinary search, include or chain ever sees it,
-- with `resource_id` `<ContainerType>/<containerId>#<containedId>` and `container_pk` its
-- container's row; its index rows hang off its own `res_pk` like any resource's, so several
-- parameters must match the same contained resource. They are written with every version of
-- the container and removed with it (the container's `index_mask` says whether it has any).
-- The index is partial: ordinary resources (NULL) add no entry to it.
ALTER TABLE resources ADD COLUMN container_pk BIGINT;
CREATE INDEX resources_container ON resources (container_pk) WHERE container_pk IS NOT NULL;
