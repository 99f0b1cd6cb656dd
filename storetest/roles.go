package storetest

import (
	"fmt"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// newRole builds a custom role as the service does: permissions sorted, without repeats.
func newRole(tenantID string, permissions ...string) *flexdb.Role {
	at := now()
	return &flexdb.Role{ID: newID(), TenantID: tenantID, Name: fmt.Sprintf("Role %d", next()), Permissions: permissions,
		CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) role(tenantID string, permissions ...string) *flexdb.Role {
	f.t.Helper()
	x := newRole(tenantID, permissions...)
	must(f.t, f.s.CreateRole(f.ctx, x))
	return x
}

func (f *fixture) roles(tenantID string) []flexdb.Role {
	f.t.Helper()
	items, _, err := f.s.ListRoles(f.ctx, tenantID, service.ListQuery{Limit: 100})
	must(f.t, err)
	return items
}

// holder makes a member of tenantID with role.
func (f *fixture) holder(tenantID, role string) *flexdb.User {
	f.t.Helper()
	u := f.user()
	must(f.t, f.s.AddMember(f.ctx, &flexdb.Membership{TenantID: tenantID, UserID: u.ID, Role: role, Status: flexdb.MembershipActive}))
	return u
}

var roleSpecs = []spec{
	{"a created role reads and lists back as written, newest first", func(t *testing.T, f *fixture) {
		x := f.tenant()
		first, second := f.role(x.ID, "nodes.read", "nodes.write"), f.role(x.ID, "tenant.read")
		got, err := f.s.GetRole(f.ctx, x.ID, first.Name)
		must(t, err)
		same(t, got, first)
		sameList(t, f.roles(x.ID), []flexdb.Role{*second, *first})
	}},
	{"a role's name is kept verbatim: names differing in case are two roles", func(t *testing.T, f *fixture) {
		x := f.tenant()
		lower, upper := newRole(x.ID, "nodes.read"), newRole(x.ID, "nodes.write")
		lower.Name, upper.Name = "reviewer ünïcode", "Reviewer ünïcode"
		must(t, f.s.CreateRole(f.ctx, lower))
		must(t, f.s.CreateRole(f.ctx, upper))
		got, err := f.s.GetRole(f.ctx, x.ID, upper.Name)
		must(t, err)
		same(t, got, upper)
	}},
	{"a second role of the same name in a tenant is AlreadyExists, in another tenant it is not", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		r := f.role(x.ID, "nodes.read")
		dup := newRole(x.ID, "nodes.write")
		dup.Name = r.Name
		wantCode(t, f.s.CreateRole(f.ctx, dup), flexdb.AlreadyExists)
		sameList(t, f.roles(x.ID), []flexdb.Role{*r})
		elsewhere := newRole(y.ID, "nodes.write")
		elsewhere.Name = r.Name
		must(t, f.s.CreateRole(f.ctx, elsewhere))
	}},
	{"a role in an unknown tenant is NotFound", func(t *testing.T, f *fixture) {
		wantCode(t, f.s.CreateRole(f.ctx, newRole(newID(), "nodes.read")), flexdb.NotFound)
		_, _, err := f.s.ListRoles(f.ctx, newID(), service.ListQuery{Limit: 10})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"an update replaces the permissions, or keeps them when nil, and adds one to the version", func(t *testing.T, f *fixture) {
		x := f.tenant()
		r := f.role(x.ID, "nodes.read")
		at := later()
		got, err := f.s.UpdateRole(f.ctx, service.RoleUpdate{TenantID: x.ID, Name: r.Name, Permissions: []string{"nodes.write", "tenant.read"}, At: at})
		must(t, err)
		want := *r
		want.Permissions, want.UpdatedAt, want.Version = []string{"nodes.write", "tenant.read"}, at, 2
		same(t, got, &want)
		got, err = f.s.UpdateRole(f.ctx, service.RoleUpdate{TenantID: x.ID, Name: r.Name, ExpectedVersion: 2, At: at})
		must(t, err)
		want.Version = 3
		same(t, got, &want)
		_, err = f.s.UpdateRole(f.ctx, service.RoleUpdate{TenantID: x.ID, Name: r.Name, ExpectedVersion: 2, At: at})
		wantCode(t, err, flexdb.Aborted)
		_, err = f.s.UpdateRole(f.ctx, service.RoleUpdate{TenantID: x.ID, Name: "no such role", At: at})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"a deleted role is gone; deleting it again is NotFound", func(t *testing.T, f *fixture) {
		x := f.tenant()
		r, kept := f.role(x.ID, "nodes.read"), f.role(x.ID, "nodes.read")
		must(t, f.s.DeleteRole(f.ctx, x.ID, r.Name, 0))
		_, err := f.s.GetRole(f.ctx, x.ID, r.Name)
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteRole(f.ctx, x.ID, r.Name, 0), flexdb.NotFound)
		sameList(t, f.roles(x.ID), []flexdb.Role{*kept})
	}},
	{"a delete expecting another version is Aborted and deletes nothing; at the role's version it deletes", func(t *testing.T, f *fixture) {
		x := f.tenant()
		r := f.role(x.ID, "nodes.read")
		err := f.s.DeleteRole(f.ctx, x.ID, r.Name, r.Version+1)
		wantCode(t, err, flexdb.Aborted)
		wantMessage(t, err, "version")
		sameList(t, f.roles(x.ID), []flexdb.Role{*r})
		must(t, f.s.DeleteRole(f.ctx, x.ID, r.Name, r.Version))
		wantCode(t, f.s.DeleteRole(f.ctx, x.ID, r.Name, r.Version), flexdb.NotFound)
	}},
	{"deleting a role that members and service keys hold is FailedPrecondition saying how many, and deletes nothing", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		r := f.role(x.ID, "nodes.read")
		f.holder(x.ID, r.Name)
		f.holder(x.ID, r.Name)
		f.key(x.ID, "", r.Name)
		f.holder(y.ID, r.Name) // another tenant's member of the same role name does not count
		err := f.s.DeleteRole(f.ctx, x.ID, r.Name, 0)
		wantCode(t, err, flexdb.FailedPrecondition)
		wantMessage(t, err, "2 members", "1 service keys")
		sameList(t, f.roles(x.ID), []flexdb.Role{*r})
	}},
	{"a revoked service key does not hold its role", func(t *testing.T, f *fixture) {
		x := f.tenant()
		r := f.role(x.ID, "nodes.read")
		k := f.key(x.ID, "", r.Name)
		must(t, f.s.RevokeAPIKey(f.ctx, x.ID, k.ID, later()))
		must(t, f.s.DeleteRole(f.ctx, x.ID, r.Name, 0))
	}},
	{"a key of a defined role carries its permissions; of a built-in or undefined role, none", func(t *testing.T, f *fixture) {
		x := f.tenant()
		r := f.role(x.ID, "nodes.read", "nodes.write")
		for _, c := range []struct {
			role string
			want []string
		}{{r.Name, r.Permissions}, {flexdb.RoleViewer, nil}, {"undefined", nil}} {
			p, err := f.s.KeyPrincipal(f.ctx, f.key(x.ID, "", c.role).Hash)
			must(t, err)
			if p.Role != c.role || fmt.Sprint(p.RolePermissions) != fmt.Sprint(c.want) || (c.want == nil) != (p.RolePermissions == nil) {
				t.Errorf("key of role %q: role %q with %#v, want %#v", c.role, p.Role, p.RolePermissions, c.want)
			}
		}
	}},
	{"a member's key carries the permissions of the member's role as defined now", func(t *testing.T, f *fixture) {
		x := f.tenant()
		u := f.holder(x.ID, "later")
		k := f.key(x.ID, u.ID, "")
		p, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
		if p.Role != "later" || p.RolePermissions != nil {
			t.Fatalf("before the role is defined: %+v", p)
		}
		r := newRole(x.ID, "nodes.read")
		r.Name = "later"
		must(t, f.s.CreateRole(f.ctx, r))
		p, err = f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
		same(t, p, flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: k.ID, TenantID: x.ID, UserID: u.ID, Role: "later",
			TenantStatus: flexdb.TenantActive, RolePermissions: []string{"nodes.read"}})
	}},
	{"another tenant's role is neither read, listed, changed nor deleted, nor granted to its keys", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		r := f.role(x.ID, "nodes.read")
		_, err := f.s.GetRole(f.ctx, y.ID, r.Name)
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.UpdateRole(f.ctx, service.RoleUpdate{TenantID: y.ID, Name: r.Name, Permissions: []string{"nodes.write"}, At: later()})
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteRole(f.ctx, y.ID, r.Name, 0), flexdb.NotFound)
		if got := f.roles(y.ID); len(got) != 0 {
			t.Fatalf("B lists A's roles: %+v", got)
		}
		p, err := f.s.KeyPrincipal(f.ctx, f.key(y.ID, "", r.Name).Hash)
		must(t, err)
		if p.RolePermissions != nil {
			t.Fatalf("B's key of the same role name has A's permissions: %v", p.RolePermissions)
		}
		got, err := f.s.GetRole(f.ctx, x.ID, r.Name)
		must(t, err)
		same(t, got, r)
	}},
	{"deleting a tenant removes its roles", func(t *testing.T, f *fixture) {
		x := f.tenant()
		f.role(x.ID, "nodes.read")
		must(t, f.s.DeleteTenant(f.ctx, x.ID, 0))
		_, _, err := f.s.ListRoles(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantCode(t, err, flexdb.NotFound)
	}},
}
