-- flex-db schema, PostgreSQL. Every tenant-scoped key starts with tenant_id, so the database itself
-- refuses a cross-tenant reference and the schema can be distributed by tenant_id on Citus. Lists page
-- by id: ids are UUIDv7, so the primary key order is creation order.

-- +goose Up
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    status     text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);

CREATE TABLE users (
    id           uuid PRIMARY KEY,
    email        text NOT NULL UNIQUE,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL
);

CREATE TABLE tenant_users (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    status     text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_users_user_id ON tenant_users (user_id);

CREATE TABLE node_types (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    schema      jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- The node type key is NO ACTION, checked at the end of the statement: a node keeps its type from being
-- deleted alone, while deleting the tenant removes both.
CREATE TABLE nodes (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    node_type_id uuid NOT NULL,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, node_type_id) REFERENCES node_types (tenant_id, id)
);
CREATE INDEX nodes_by_type ON nodes (tenant_id, node_type_id, id);
CREATE INDEX nodes_data ON nodes USING gin (data jsonb_path_ops);

CREATE TABLE relationships (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    source_node_id    uuid NOT NULL,
    target_node_id    uuid NOT NULL,
    relationship_type text NOT NULL,
    data              jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, source_node_id) REFERENCES nodes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, target_node_id) REFERENCES nodes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX relationships_by_source ON relationships (tenant_id, source_node_id, relationship_type, id);
CREATE INDEX relationships_by_target ON relationships (tenant_id, target_node_id, relationship_type, id);
CREATE INDEX relationships_by_type ON relationships (tenant_id, relationship_type, id);

-- +goose Down
DROP TABLE relationships;
DROP TABLE nodes;
DROP TABLE node_types;
DROP TABLE tenant_users;
DROP TABLE users;
DROP TABLE tenants;
