package storetest

import (
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

var tenantSpecs = []spec{
	{"create then get returns the tenant as written", func(t *testing.T, f *fixture) {
		want := f.tenant()
		got, err := f.s.GetTenant(f.ctx, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"update with no fields changes only updated_at and the version", func(t *testing.T, f *fixture) {
		before := f.tenant()
		at := later()
		got, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: before.ID, At: at})
		must(t, err)
		want := *before
		want.UpdatedAt, want.Version = at, 2
		same(t, *got, want)
		read, err := f.s.GetTenant(f.ctx, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update sets every field given, and each update adds one to the version", func(t *testing.T, f *fixture) {
		before := f.tenant()
		_, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: before.ID, Name: "Renamed", At: later()})
		must(t, err)
		at := later()
		got, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: before.ID, Slug: "new-slug", Status: flexdb.TenantSuspended, At: at})
		must(t, err)
		want := flexdb.Tenant{ID: before.ID, Slug: "new-slug", Name: "Renamed", Status: flexdb.TenantSuspended,
			CreatedAt: before.CreatedAt, UpdatedAt: at, Version: 3}
		same(t, *got, want)
		read, err := f.s.GetTenant(f.ctx, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update of an unknown id is NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: newID(), Name: "x", At: later()})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"delete then get is NotFound", func(t *testing.T, f *fixture) {
		x := f.tenant()
		must(t, f.s.DeleteTenant(f.ctx, x.ID, 0))
		_, err := f.s.GetTenant(f.ctx, x.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"get and delete of an unknown id are NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.GetTenant(f.ctx, newID())
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteTenant(f.ctx, newID(), 0), flexdb.NotFound)
	}},
	{"a second tenant with a taken slug is AlreadyExists", func(t *testing.T, f *fixture) {
		x := f.tenant()
		dup := newTenant()
		dup.Slug = x.Slug
		wantCode(t, f.s.CreateTenant(f.ctx, dup), flexdb.AlreadyExists)
		_, err := f.s.GetTenant(f.ctx, dup.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"update to a taken slug is AlreadyExists and changes nothing", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		_, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: y.ID, Slug: x.Slug, Name: "changed", At: later()})
		wantCode(t, err, flexdb.AlreadyExists)
		read, err := f.s.GetTenant(f.ctx, y.ID)
		must(t, err)
		same(t, read, y)
	}},
	{"update to its own slug is allowed", func(t *testing.T, f *fixture) {
		x := f.tenant()
		got, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: x.ID, Slug: x.Slug, At: later()})
		must(t, err)
		if got.Slug != x.Slug || got.Version != 2 {
			t.Fatalf("got %+v", got)
		}
	}},
}

var userSpecs = []spec{
	{"create then get returns the user as written", func(t *testing.T, f *fixture) {
		want := f.user()
		got, err := f.s.GetUser(f.ctx, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"update with no fields changes only updated_at and the version", func(t *testing.T, f *fixture) {
		before := f.user()
		at := later()
		got, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: before.ID, At: at})
		must(t, err)
		want := *before
		want.UpdatedAt, want.Version = at, 2
		same(t, *got, want)
		read, err := f.s.GetUser(f.ctx, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update sets every field given, and each update adds one to the version", func(t *testing.T, f *fixture) {
		before := f.user()
		_, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: before.ID, DisplayName: "Ada", At: later()})
		must(t, err)
		at := later()
		got, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: before.ID, Email: "ada@example.com", At: at})
		must(t, err)
		want := flexdb.User{ID: before.ID, Email: "ada@example.com", DisplayName: "Ada", CreatedAt: before.CreatedAt, UpdatedAt: at, Version: 3}
		same(t, *got, want)
		read, err := f.s.GetUser(f.ctx, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update of an unknown id is NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: newID(), DisplayName: "x", At: later()})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"delete then get is NotFound", func(t *testing.T, f *fixture) {
		x := f.user()
		must(t, f.s.DeleteUser(f.ctx, x.ID, 0))
		_, err := f.s.GetUser(f.ctx, x.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"get and delete of an unknown id are NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.GetUser(f.ctx, newID())
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteUser(f.ctx, newID(), 0), flexdb.NotFound)
	}},
	{"a second user with a taken email is AlreadyExists", func(t *testing.T, f *fixture) {
		x := f.user()
		dup := newUser()
		dup.Email = x.Email
		wantCode(t, f.s.CreateUser(f.ctx, dup), flexdb.AlreadyExists)
		_, err := f.s.GetUser(f.ctx, dup.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"update to a taken email is AlreadyExists and changes nothing", func(t *testing.T, f *fixture) {
		x, y := f.user(), f.user()
		_, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: y.ID, Email: x.Email, DisplayName: "changed", At: later()})
		wantCode(t, err, flexdb.AlreadyExists)
		read, err := f.s.GetUser(f.ctx, y.ID)
		must(t, err)
		same(t, read, y)
	}},
}

var membershipSpecs = []spec{
	{"an added member is listed as written", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		m := &flexdb.Membership{TenantID: x.ID, UserID: u.ID, Role: flexdb.RoleAdmin, Status: flexdb.MembershipActive}
		must(t, f.s.AddMember(f.ctx, m))
		got, total, err := f.s.ListMembers(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantTotal(t, got, total, err, 1, 1)
		same(t, got[0], *m)
	}},
	{"adding a member twice is AlreadyExists", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		f.member(x.ID, u.ID)
		again := &flexdb.Membership{TenantID: x.ID, UserID: u.ID, Role: flexdb.RoleOwner, Status: flexdb.MembershipActive}
		wantCode(t, f.s.AddMember(f.ctx, again), flexdb.AlreadyExists)
		got, _, err := f.s.ListMembers(f.ctx, x.ID, service.ListQuery{Limit: 10})
		must(t, err)
		if len(got) != 1 || got[0].Role != flexdb.RoleMember {
			t.Fatalf("members after a refused add: %+v", got)
		}
	}},
	{"adding to an unknown tenant or an unknown user is NotFound", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		for _, m := range []flexdb.Membership{
			{TenantID: newID(), UserID: u.ID, Role: flexdb.RoleMember, Status: flexdb.MembershipActive},
			{TenantID: x.ID, UserID: newID(), Role: flexdb.RoleMember, Status: flexdb.MembershipActive},
		} {
			wantCode(t, f.s.AddMember(f.ctx, &m), flexdb.NotFound)
		}
	}},
	{"a removed member is no longer listed", func(t *testing.T, f *fixture) {
		x, u, v := f.tenant(), f.user(), f.user()
		f.member(x.ID, u.ID)
		keep := f.member(x.ID, v.ID)
		must(t, f.s.RemoveMember(f.ctx, x.ID, u.ID))
		got, total, err := f.s.ListMembers(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantTotal(t, got, total, err, 1, 1)
		same(t, got[0], *keep)
	}},
	{"removing a user who is not a member is NotFound", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		wantCode(t, f.s.RemoveMember(f.ctx, x.ID, u.ID), flexdb.NotFound)
		wantCode(t, f.s.RemoveMember(f.ctx, newID(), u.ID), flexdb.NotFound)
	}},
	{"a user belongs to many tenants, each listing only its own members", func(t *testing.T, f *fixture) {
		x, y, u, v := f.tenant(), f.tenant(), f.user(), f.user()
		mx, my, mv := f.member(x.ID, u.ID), f.member(y.ID, u.ID), f.member(y.ID, v.ID)
		got, total, err := f.s.ListMembers(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantTotal(t, got, total, err, 1, 1)
		same(t, got[0], *mx)
		got, total, err = f.s.ListMembers(f.ctx, y.ID, service.ListQuery{Limit: 10})
		wantTotal(t, got, total, err, 2, 2)
		sameList(t, got, []flexdb.Membership{*my, *mv}) // in user id order: u was created first
	}},
}
