package sqlstore

import (
	"context"
	"strings"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// ---- custom roles ----

const roleColumns = "tenant_id, name, id, permissions, created_at, updated_at, version"

// Permissions are kept as one text of names separated by spaces: a role's whole definition is one row,
// which the key check reads with a join, the same way on both engines.
func joinPermissions(ps []string) string { return strings.Join(ps, " ") }

func scanRole(r row) (flexdb.Role, error) {
	var x flexdb.Role
	var ps string
	err := r.Scan(&x.TenantID, &x.Name, &x.ID, &ps, &x.CreatedAt, &x.UpdatedAt, &x.Version)
	x.Permissions = strings.Fields(ps)
	x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	return x, err
}

func (s *Store) CreateRole(ctx context.Context, x *flexdb.Role) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO roles ("+roleColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		x.TenantID, x.Name, x.ID, joinPermissions(x.Permissions), x.CreatedAt, x.UpdatedAt, x.Version)
	switch s.db.violated(err) {
	case uniqueViolation:
		return flexdb.Errorf(flexdb.AlreadyExists, "tenant %s already has a role named %q", x.TenantID, x.Name)
	case foreignKeyViolation:
		return notFound("tenant %s not found", x.TenantID)
	}
	if err != nil {
		return fault(err, "create role")
	}
	return nil
}

func roleMissing(name string) error { return notFound("role %q is not defined", name) }

func (s *Store) GetRole(ctx context.Context, tenantID, name string) (*flexdb.Role, error) {
	x, err := one(s.db.reader().QueryRow(ctx, "SELECT "+roleColumns+" FROM roles WHERE tenant_id = $1 AND name = $2", tenantID, name),
		scanRole, func() error { return roleMissing(name) }, "read role")
	return &x, err
}

func (s *Store) UpdateRole(ctx context.Context, u service.RoleUpdate) (*flexdb.Role, error) {
	var ps any
	if u.Permissions != nil {
		ps = joinPermissions(u.Permissions)
	}
	x, err := scanRole(s.db.writer().QueryRow(ctx, `UPDATE roles SET permissions = COALESCE($3, permissions),
		updated_at = $4, version = version + 1
		WHERE tenant_id = $1 AND name = $2 AND (version = $5 OR $5 = 0) RETURNING `+roleColumns,
		u.TenantID, u.Name, ps, u.At, u.ExpectedVersion))
	switch {
	case isNoRows(err):
		return nil, conflict(u.ExpectedVersion, func() (int64, error) {
			x, err := s.GetRole(ctx, u.TenantID, u.Name)
			return x.Version, err
		}, "role", u.Name)
	case err != nil:
		return nil, fault(err, "update role")
	}
	return &x, nil
}

// holders are the memberships and valid service keys of tenant $1 holding role $2.
const (
	roleMembers = "SELECT count(*) FROM tenant_users WHERE tenant_id = $1 AND role = $2"
	roleKeys    = "SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND role = $2 AND user_id IS NULL AND revoked_at IS NULL"
)

// DeleteRole is one statement that deletes only an unheld role; why it deleted nothing is asked after.
func (s *Store) DeleteRole(ctx context.Context, tenantID, name string, expectedVersion int64) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM roles WHERE tenant_id = $1 AND name = $2 AND (version = $3 OR $3 = 0) AND ("+roleMembers+") = 0 AND ("+roleKeys+") = 0",
		tenantID, name, expectedVersion)
	if err != nil {
		return fault(err, "delete role")
	}
	if n > 0 {
		return nil
	}
	var defined, members, keys int
	var version int64
	err = s.db.reader().QueryRow(ctx, "SELECT (SELECT count(*) FROM roles WHERE tenant_id = $1 AND name = $2), "+
		"(SELECT coalesce(max(version), 0) FROM roles WHERE tenant_id = $1 AND name = $2), ("+roleMembers+"), ("+roleKeys+")",
		tenantID, name).Scan(&defined, &version, &members, &keys)
	switch {
	case err != nil:
		return fault(err, "count holders of role")
	case defined == 0:
		return roleMissing(name)
	case expectedVersion != 0 && version != expectedVersion:
		return stale("role", name, version, expectedVersion)
	case members+keys == 0: // the last holder left between the two statements
		return flexdb.Errorf(flexdb.Aborted, "role %q changed during the delete: retry", name)
	}
	return flexdb.Errorf(flexdb.FailedPrecondition,
		"role %q is held by %d members and %d service keys; give them another role, or revoke the keys, first", name, members, keys)
}

func (s *Store) ListRoles(ctx context.Context, tenantID string, q service.ListQuery) ([]flexdb.Role, int, error) {
	l := listSpec[flexdb.Role]{table: "roles", columns: roleColumns, key: "id", scan: scanRole, scope: tenantID}
	l.filter("tenant_id", tenantID)
	return l.run(ctx, s.db.reader(), q)
}
