-- Custom roles: what a tenant's role name grants. Memberships and keys name roles as free text, so no
-- foreign key ties them here; a name without a row grants nothing. permissions holds the granted
-- permission names, sorted, separated by single spaces (names never contain one). id orders the
-- tenant's roles by creation for paging.

-- +goose Up
CREATE TABLE roles (
    tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    id          text NOT NULL,
    permissions text NOT NULL,
    created_at  text NOT NULL,
    updated_at  text NOT NULL,
    version     integer NOT NULL,
    PRIMARY KEY (tenant_id, name),
    UNIQUE (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- A refused delete counts who holds the role.
CREATE INDEX tenant_users_by_role ON tenant_users (tenant_id, role);
CREATE INDEX api_keys_by_role ON api_keys (tenant_id, role) WHERE user_id IS NULL AND revoked_at IS NULL;

-- +goose Down
DROP INDEX api_keys_by_role;
DROP INDEX tenant_users_by_role;
DROP TABLE roles;
