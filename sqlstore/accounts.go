package sqlstore

import (
	"context"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// ---- tenants ----

const tenantColumns = "id, slug, name, status, created_at, updated_at, version"

func scanTenant(r row) (flexdb.Tenant, error) {
	var t flexdb.Tenant
	err := r.Scan(&t.ID, &t.Slug, &t.Name, &t.Status, &t.CreatedAt, &t.UpdatedAt, &t.Version)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

func (s *Store) slugTaken(err error, slug string) error {
	if s.db.violated(err) == uniqueViolation {
		return flexdb.Errorf(flexdb.AlreadyExists, "a tenant with slug %q already exists", slug)
	}
	return fault(err, "write tenant")
}

func (s *Store) CreateTenant(ctx context.Context, t *flexdb.Tenant) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO tenants ("+tenantColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		t.ID, t.Slug, t.Name, t.Status, t.CreatedAt, t.UpdatedAt, t.Version)
	if err != nil {
		return s.slugTaken(err, t.Slug)
	}
	return nil
}

func (s *Store) GetTenant(ctx context.Context, id string) (*flexdb.Tenant, error) {
	t, err := one(s.db.reader().QueryRow(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE id = $1", id),
		scanTenant, func() error { return notFound("tenant %s not found", id) }, "read tenant")
	return &t, err
}

func (s *Store) UpdateTenant(ctx context.Context, u service.TenantUpdate) (*flexdb.Tenant, error) {
	t, err := scanTenant(s.db.writer().QueryRow(ctx, `UPDATE tenants SET slug = COALESCE($2, slug), name = COALESCE($3, name),
		status = COALESCE($4, status), updated_at = $5, version = version + 1
		WHERE id = $1 AND (version = $6 OR $6 = 0) RETURNING `+tenantColumns,
		u.ID, optional(u.Slug), optional(u.Name), optional(u.Status), u.At, u.ExpectedVersion))
	switch {
	case isNoRows(err):
		return nil, conflict(u.ExpectedVersion, s.tenantVersion(ctx, u.ID), "tenant", u.ID)
	case err != nil:
		return nil, s.slugTaken(err, u.Slug)
	}
	return &t, nil
}

// tenantVersion reads a tenant's version, for conflict.
func (s *Store) tenantVersion(ctx context.Context, id string) func() (int64, error) {
	return func() (int64, error) {
		t, err := s.GetTenant(ctx, id)
		return t.Version, err
	}
}

func (s *Store) DeleteTenant(ctx context.Context, id string, expectedVersion int64) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM tenants WHERE id = $1 AND (version = $2 OR $2 = 0)", id, expectedVersion)
	return deleted(n, err, expectedVersion, s.tenantVersion(ctx, id), func() error { return notFound("tenant %s not found", id) }, "tenant", id)
}

func (s *Store) ListTenants(ctx context.Context, q service.ListQuery) ([]flexdb.Tenant, int, error) {
	l := listSpec[flexdb.Tenant]{table: "tenants", columns: tenantColumns, key: "id", scan: scanTenant}
	return l.run(ctx, s.db.reader(), q)
}

// ---- users ----

const userColumns = "id, email, display_name, created_at, updated_at, version"

func scanUser(r row) (flexdb.User, error) {
	var u flexdb.User
	err := r.Scan(&u.ID, &u.Email, &u.DisplayName, &u.CreatedAt, &u.UpdatedAt, &u.Version)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

func (s *Store) emailTaken(err error, email string) error {
	if s.db.violated(err) == uniqueViolation {
		return flexdb.Errorf(flexdb.AlreadyExists, "a user with email %q already exists", email)
	}
	return fault(err, "write user")
}

func (s *Store) CreateUser(ctx context.Context, u *flexdb.User) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO users ("+userColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		u.ID, u.Email, u.DisplayName, u.CreatedAt, u.UpdatedAt, u.Version)
	if err != nil {
		return s.emailTaken(err, u.Email)
	}
	return nil
}

func (s *Store) GetUser(ctx context.Context, id string) (*flexdb.User, error) {
	u, err := one(s.db.reader().QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id),
		scanUser, func() error { return notFound("user %s not found", id) }, "read user")
	return &u, err
}

func (s *Store) UpdateUser(ctx context.Context, up service.UserUpdate) (*flexdb.User, error) {
	u, err := scanUser(s.db.writer().QueryRow(ctx, `UPDATE users SET email = COALESCE($2, email),
		display_name = COALESCE($3, display_name), updated_at = $4, version = version + 1
		WHERE id = $1 AND (version = $5 OR $5 = 0) RETURNING `+userColumns,
		up.ID, optional(up.Email), optional(up.DisplayName), up.At, up.ExpectedVersion))
	switch {
	case isNoRows(err):
		return nil, conflict(up.ExpectedVersion, s.userVersion(ctx, up.ID), "user", up.ID)
	case err != nil:
		return nil, s.emailTaken(err, up.Email)
	}
	return &u, nil
}

// userVersion reads a user's version, for conflict.
func (s *Store) userVersion(ctx context.Context, id string) func() (int64, error) {
	return func() (int64, error) {
		u, err := s.GetUser(ctx, id)
		return u.Version, err
	}
}

func (s *Store) DeleteUser(ctx context.Context, id string, expectedVersion int64) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM users WHERE id = $1 AND (version = $2 OR $2 = 0)", id, expectedVersion)
	return deleted(n, err, expectedVersion, s.userVersion(ctx, id), func() error { return notFound("user %s not found", id) }, "user", id)
}

func (s *Store) ListUsers(ctx context.Context, q service.ListQuery) ([]flexdb.User, int, error) {
	l := listSpec[flexdb.User]{table: "users", columns: userColumns, key: "id", scan: scanUser}
	return l.run(ctx, s.db.reader(), q)
}

// ---- memberships ----

const memberColumns = "tenant_id, user_id, role, status"

func scanMember(r row) (flexdb.Membership, error) {
	var m flexdb.Membership
	err := r.Scan(&m.TenantID, &m.UserID, &m.Role, &m.Status)
	return m, err
}

func (s *Store) AddMember(ctx context.Context, m *flexdb.Membership) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO tenant_users ("+memberColumns+", created_at) VALUES ($1, $2, $3, $4, $5)",
		m.TenantID, m.UserID, m.Role, m.Status, now())
	switch s.db.violated(err) {
	case noViolation:
		if err != nil {
			return fault(err, "add member")
		}
		return nil
	case uniqueViolation:
		return flexdb.Errorf(flexdb.AlreadyExists, "user %s is already a member of tenant %s", m.UserID, m.TenantID)
	}
	// A missing tenant or user: say which.
	if _, err := s.GetTenant(ctx, m.TenantID); err != nil {
		return err
	}
	if _, err := s.GetUser(ctx, m.UserID); err != nil {
		return err
	}
	return fault(err, "add member")
}

func (s *Store) RemoveMember(ctx context.Context, tenantID, userID string) error {
	n, err := s.db.writer().Exec(ctx, "DELETE FROM tenant_users WHERE tenant_id = $1 AND user_id = $2", tenantID, userID)
	return affected(n, err, func() error { return notFound("user %s is not a member of tenant %s", userID, tenantID) }, "remove member")
}

func (s *Store) ListMembers(ctx context.Context, tenantID string, q service.ListQuery) ([]flexdb.Membership, int, error) {
	l := listSpec[flexdb.Membership]{table: "tenant_users", columns: memberColumns, key: "user_id", ascending: true, scan: scanMember, scope: tenantID}
	l.filter("tenant_id", tenantID)
	return l.run(ctx, s.db.reader(), q)
}
