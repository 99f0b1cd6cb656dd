// Package service holds flex-db's rules: validation, defaults, JSON Schema enforcement and paging. Every
// protocol calls it; it calls a Store. Nothing here knows which protocol or engine is in use.
package service

import (
	"context"
	"strconv"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Service is flex-db's API in domain terms. It is safe for concurrent use.
type Service struct {
	store   Store
	lim     Limits
	schemas *lru.Cache[tenantItem, cachedSchema] // by node type
	// nodeTypes remembers each node's type (which never changes), so that an update of a node seen
	// before is one database round trip. A deleted node leaves it.
	nodeTypes *lru.Cache[tenantItem, string] // by node
	now       func() time.Time
}

// tenantItem is a cache key: an item of a tenant, by id.
type tenantItem struct{ tenant, id string }

// New returns a Service over store, checking requests against lim.
func New(store Store, lim Limits) *Service {
	// Compiled schemas are larger than node-to-type entries, so fewer are kept. A node's entry is about
	// 250 bytes: 10,000 of them, the nodes most recently seen, hold under 3 MB, where 100,000 held a
	// fifth of the server's memory under create load. New fails only for a size below 1.
	schemas, _ := lru.New[tenantItem, cachedSchema](10000)
	nodeTypes, _ := lru.New[tenantItem, string](10000)
	return &Service{store: store, lim: lim, now: now, schemas: schemas, nodeTypes: nodeTypes}
}

// now is UTC with microseconds, what both engines keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (s *Service) check(ctx context.Context, op string) *check {
	return &check{ctx: ctx, op: op, lim: s.lim}
}

// ---- tenants ----

func (s *Service) CreateTenant(ctx context.Context, slug, name string) (*flexdb.Tenant, error) {
	c := s.check(ctx, "CreateTenant")
	c.slug("slug", slug, true)
	c.text("name", name, s.lim.NameChars, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	at := s.now()
	t := &flexdb.Tenant{ID: newID(), Slug: slug, Name: name, Status: flexdb.TenantActive, CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) GetTenant(ctx context.Context, id string) (*flexdb.Tenant, error) {
	c := s.check(ctx, "GetTenant")
	id = c.tenant("id", id)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.store.GetTenant(ctx, id)
}

func (s *Service) UpdateTenant(ctx context.Context, u TenantUpdate) (*flexdb.Tenant, error) {
	c := s.check(ctx, "UpdateTenant")
	u.ID = c.id("id", u.ID)
	c.slug("slug", u.Slug, false)
	c.text("name", u.Name, s.lim.NameChars, false)
	if u.Status != "" {
		c.oneOf("status", u.Status, flexdb.TenantActive, flexdb.TenantSuspended)
	}
	c.version("expected_version", u.ExpectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	u.At = s.now()
	return s.store.UpdateTenant(ctx, u)
}

func (s *Service) DeleteTenant(ctx context.Context, id string, expectedVersion int64) error {
	c := s.check(ctx, "DeleteTenant")
	id = c.id("id", id)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.DeleteTenant(ctx, id, expectedVersion)
}

func (s *Service) ListTenants(ctx context.Context, p PageRequest) (flexdb.Page[flexdb.Tenant], error) {
	if err := s.check(ctx, "ListTenants").err(); err != nil {
		return flexdb.Page[flexdb.Tenant]{}, err
	}
	return list(s.lim.PageBytes, p, func(t flexdb.Tenant) string { return t.ID }, func(q ListQuery) ([]flexdb.Tenant, int, error) {
		return s.store.ListTenants(ctx, q)
	}, "tenants")
}

// ---- users and memberships ----

func (s *Service) CreateUser(ctx context.Context, email, displayName string) (*flexdb.User, error) {
	c := s.check(ctx, "CreateUser")
	email = c.email("email", email, true)
	c.text("display_name", displayName, s.lim.NameChars, true) // required, as in the original
	if err := c.err(); err != nil {
		return nil, err
	}
	at := s.now()
	u := &flexdb.User{ID: newID(), Email: email, DisplayName: displayName, CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) GetUser(ctx context.Context, id string) (*flexdb.User, error) {
	c := s.check(ctx, "GetUser")
	id = c.id("id", id)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.store.GetUser(ctx, id)
}

func (s *Service) UpdateUser(ctx context.Context, u UserUpdate) (*flexdb.User, error) {
	c := s.check(ctx, "UpdateUser")
	u.ID = c.id("id", u.ID)
	u.Email = c.email("email", u.Email, false)
	c.text("display_name", u.DisplayName, s.lim.NameChars, false)
	c.version("expected_version", u.ExpectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	u.At = s.now()
	return s.store.UpdateUser(ctx, u)
}

func (s *Service) DeleteUser(ctx context.Context, id string, expectedVersion int64) error {
	c := s.check(ctx, "DeleteUser")
	id = c.id("id", id)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.DeleteUser(ctx, id, expectedVersion)
}

func (s *Service) ListUsers(ctx context.Context, p PageRequest) (flexdb.Page[flexdb.User], error) {
	if err := s.check(ctx, "ListUsers").err(); err != nil {
		return flexdb.Page[flexdb.User]{}, err
	}
	return list(s.lim.PageBytes, p, func(u flexdb.User) string { return u.ID }, func(q ListQuery) ([]flexdb.User, int, error) {
		return s.store.ListUsers(ctx, q)
	}, "users")
}

// AddUserToTenant makes the user a member of the tenant with role (default member), kept verbatim: a
// built-in role, or any name, which grants what the tenant defines for it (nothing until it does). The
// caller may not give a role granting more than its own.
func (s *Service) AddUserToTenant(ctx context.Context, tenantID, userID, role string) (*flexdb.Membership, error) {
	c := s.check(ctx, "AddUserToTenant")
	tenantID = c.tenant("tenant_id", tenantID)
	userID = c.id("user_id", userID)
	if role == "" {
		role = flexdb.RoleMember
	}
	c.text("role", role, s.lim.NameChars, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := s.mayGive(ctx, c, tenantID, role, "make a member with role"); err != nil {
		return nil, err
	}
	m := &flexdb.Membership{TenantID: tenantID, UserID: userID, Role: role, Status: flexdb.MembershipActive}
	if err := s.store.AddMember(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// mayGive refuses a caller other than the platform admin to give a role that grants what the caller
// lacks, as the role is defined now.
func (s *Service) mayGive(ctx context.Context, c *check, tenantID, role, what string) error {
	if c.principal.Platform() {
		return nil
	}
	ps, err := s.roleGrants(ctx, tenantID, role)
	if err != nil {
		return err
	}
	return c.mayGrant(ps, what+" "+strconv.Quote(role)+", granting")
}

func (s *Service) RemoveUserFromTenant(ctx context.Context, tenantID, userID string) error {
	c := s.check(ctx, "RemoveUserFromTenant")
	tenantID = c.tenant("tenant_id", tenantID)
	userID = c.id("user_id", userID)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.RemoveMember(ctx, tenantID, userID)
}

func (s *Service) ListTenantUsers(ctx context.Context, tenantID string, p PageRequest) (flexdb.Page[flexdb.Membership], error) {
	c := s.check(ctx, "ListTenantUsers")
	tenantID = c.tenant("tenant_id", tenantID)
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.Membership]{}, err
	}
	return list(s.lim.PageBytes, p, func(m flexdb.Membership) string { return m.UserID }, func(q ListQuery) ([]flexdb.Membership, int, error) {
		return s.store.ListMembers(ctx, tenantID, q)
	}, "tenant_users", tenantID)
}
