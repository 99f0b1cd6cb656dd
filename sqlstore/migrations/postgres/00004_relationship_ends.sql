-- A node's relationships by one end alone (or both ends), newest first, read in index order: the indexes
-- of 00001 lead with the end and the type, so without these the page was a sort of the node's edges.

-- +goose Up
CREATE INDEX relationships_by_source_id ON relationships (tenant_id, source_node_id, id);
CREATE INDEX relationships_by_target_id ON relationships (tenant_id, target_node_id, id);

-- +goose Down
DROP INDEX relationships_by_target_id;
DROP INDEX relationships_by_source_id;
