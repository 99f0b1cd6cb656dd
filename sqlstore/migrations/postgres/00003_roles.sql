-- Custom roles: what a tenant's role name grants. Memberships and keys name roles as free text, so no
-- foreign key ties them here; a name without a row grants nothing. permissions holds the granted
-- permission names, sorted, separated by single spaces (names never contain one). id orders the
-- tenant's roles by creation for paging.

-- +goose Up
CREATE TABLE roles (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    id          uuid NOT NULL,
    permissions text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL,
    PRIMARY KEY (tenant_id, name),
    UNIQUE (tenant_id, id)
);

-- A refused delete counts who holds the role.
CREATE INDEX tenant_users_by_role ON tenant_users (tenant_id, role);
CREATE INDEX api_keys_by_role ON api_keys (tenant_id, role) WHERE user_id IS NULL AND revoked_at IS NULL;

-- +goose Down
DROP INDEX api_keys_by_role;
DROP INDEX tenant_users_by_role;
DROP TABLE roles;
