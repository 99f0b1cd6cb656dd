-- flex-db schema, SQLite: the PostgreSQL schema in SQLite types (STRICT tables; ids, times and JSON as
-- text; times as fixed-width RFC 3339 in UTC, so text order is time order). Every tenant-scoped key starts
-- with tenant_id, so the database itself refuses a cross-tenant reference.

-- +goose Up
CREATE TABLE tenants (
    id         text PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    status     text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    version    integer NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
    id           text PRIMARY KEY,
    email        text NOT NULL UNIQUE,
    display_name text NOT NULL,
    created_at   text NOT NULL,
    updated_at   text NOT NULL,
    version      integer NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE tenant_users (
    tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    status     text NOT NULL,
    created_at text NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX tenant_users_user_id ON tenant_users (user_id);

CREATE TABLE node_types (
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          text NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    schema      text NOT NULL,
    created_at  text NOT NULL,
    updated_at  text NOT NULL,
    version     integer NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
) STRICT, WITHOUT ROWID;

-- The node type key is NO ACTION, checked at the end of the statement: a node keeps its type from being
-- deleted alone, while deleting the tenant removes both.
CREATE TABLE nodes (
    tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           text NOT NULL,
    node_type_id text NOT NULL,
    data         text NOT NULL,
    created_at   text NOT NULL,
    updated_at   text NOT NULL,
    version      integer NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, node_type_id) REFERENCES node_types (tenant_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX nodes_by_type ON nodes (tenant_id, node_type_id, id);

CREATE TABLE relationships (
    tenant_id         text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                text NOT NULL,
    source_node_id    text NOT NULL,
    target_node_id    text NOT NULL,
    relationship_type text NOT NULL,
    data              text NOT NULL,
    created_at        text NOT NULL,
    updated_at        text NOT NULL,
    version           integer NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, source_node_id) REFERENCES nodes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, target_node_id) REFERENCES nodes (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
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
