package service

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/flexdb/flexdb"
)

// ---- custom roles ----

// CreateRole defines a role of the tenant: a name that is not built-in, and the permissions it grants,
// none of them beyond the caller's own.
func (s *Service) CreateRole(ctx context.Context, tenantID, name string, permissions []string) (*flexdb.Role, error) {
	c := s.check(ctx, "CreateRole")
	tenantID = c.tenant("tenant_id", tenantID)
	c.roleName("name", name)
	permissions = c.permissions("permissions", permissions, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := c.mayGrant(grants(name, permissions), "define role "+name); err != nil {
		return nil, err
	}
	at := s.now()
	r := &flexdb.Role{ID: newID(), TenantID: tenantID, Name: name, Permissions: permissions, CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := s.store.CreateRole(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) GetRole(ctx context.Context, tenantID, name string) (*flexdb.Role, error) {
	c := s.check(ctx, "GetRole")
	tenantID = c.tenant("tenant_id", tenantID)
	c.text("name", name, s.lim.NameChars, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s.store.GetRole(ctx, tenantID, name)
}

// UpdateRole replaces what a role grants (empty permissions leave it as it is); keys holding it act
// with the new permissions within RevocationBound.
func (s *Service) UpdateRole(ctx context.Context, u RoleUpdate) (*flexdb.Role, error) {
	c := s.check(ctx, "UpdateRole")
	u.TenantID = c.tenant("tenant_id", u.TenantID)
	c.roleName("name", u.Name)
	u.Permissions = c.permissions("permissions", u.Permissions, false)
	c.version("expected_version", u.ExpectedVersion)
	if err := c.err(); err != nil {
		return nil, err
	}
	if err := c.mayGrant(grants(u.Name, u.Permissions), "make role "+u.Name+" grant"); err != nil {
		return nil, err
	}
	u.At = s.now()
	return s.store.UpdateRole(ctx, u)
}

// DeleteRole removes a role no membership or valid service key holds; a non-zero expectedVersion makes
// it conditional (Aborted when the role moved on).
func (s *Service) DeleteRole(ctx context.Context, tenantID, name string, expectedVersion int64) error {
	c := s.check(ctx, "DeleteRole")
	tenantID = c.tenant("tenant_id", tenantID)
	c.roleName("name", name)
	c.version("expected_version", expectedVersion)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.DeleteRole(ctx, tenantID, name, expectedVersion)
}

func (s *Service) ListRoles(ctx context.Context, tenantID string, p PageRequest) (flexdb.Page[flexdb.Role], error) {
	c := s.check(ctx, "ListRoles")
	tenantID = c.tenant("tenant_id", tenantID)
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.Role]{}, err
	}
	return list(s.lim.PageBytes, p, func(r flexdb.Role) string { return r.ID }, func(q ListQuery) ([]flexdb.Role, int, error) {
		return s.store.ListRoles(ctx, tenantID, q)
	}, "roles", tenantID)
}

// roleGrants is what role grants in the tenant now: a built-in role's fixed set, a defined role's
// permissions, nothing for a name the tenant has not defined.
func (s *Service) roleGrants(ctx context.Context, tenantID, role string) ([]Permission, error) {
	if isBuiltinRole(role) {
		return grants(role, nil), nil
	}
	r, err := s.store.GetRole(ctx, tenantID, role)
	switch {
	case flexdb.CodeOf(err) == flexdb.NotFound:
		return nil, nil
	case err != nil:
		return nil, err
	}
	return grants(role, r.Permissions), nil
}

// mayGrant refuses, unless the caller is the platform admin, to hand out permissions beyond the
// caller's own: no one makes a member, a key or a role above itself.
func (c *check) mayGrant(ps []Permission, what string) error {
	p := c.principal
	if p.Platform() {
		return nil
	}
	own := grants(p.Role, p.RolePermissions)
	var beyond []string
	for _, x := range ps {
		if !slices.Contains(own, x) {
			beyond = append(beyond, string(x))
		}
	}
	if len(beyond) > 0 {
		return flexdb.Errorf(flexdb.PermissionDenied, "role %q may not %s %s, which it does not have itself", p.Role, what, strings.Join(beyond, ", "))
	}
	return nil
}

// roleName checks the name of a role to define: free text, but not a built-in role, whose permissions
// are fixed, and without a slash, so that REST can address the role by its name in the path (a member
// may still hold such a role name, which grants nothing).
func (c *check) roleName(field, v string) {
	c.text(field, v, c.lim.NameChars, true)
	if isBuiltinRole(v) {
		c.add(field, "is the built-in role "+v+", whose permissions are fixed; choose another name")
	}
	if strings.Contains(v, "/") {
		c.add(field, `must not contain "/": REST names a role in its path`)
	}
}

// permissions checks permission names and returns them sorted, without repeats.
func (c *check) permissions(field string, ps []string, required bool) []string {
	if len(ps) == 0 {
		if required {
			c.add(field, "must name at least one permission")
		}
		return nil
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if !slices.Contains(TenantPermissions, Permission(p)) {
			names := make([]string, len(TenantPermissions))
			for i, t := range TenantPermissions {
				names[i] = string(t)
			}
			c.add(field, "has "+strconv.Quote(p)+", which is not a permission; permissions are "+strings.Join(names, ", "))
			continue
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
