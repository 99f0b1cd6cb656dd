package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// newKey builds a key as the service does: the store sees only the hash of a secret it never knew.
func newKey(tenantID, userID, role string) *flexdb.APIKey {
	sum := sha256.Sum256([]byte(rand.Text()))
	return &flexdb.APIKey{ID: newID(), TenantID: tenantID, Name: "ci", UserID: userID, Role: role,
		Hash: hex.EncodeToString(sum[:]), CreatedAt: now()}
}

func (f *fixture) key(tenantID, userID, role string) *flexdb.APIKey {
	f.t.Helper()
	k := newKey(tenantID, userID, role)
	must(f.t, f.s.CreateAPIKey(f.ctx, k))
	return k
}

func (f *fixture) keys(tenantID string) []flexdb.APIKey {
	f.t.Helper()
	items, _, err := f.s.ListAPIKeys(f.ctx, tenantID, service.ListQuery{Limit: 100})
	must(f.t, err)
	return items
}

var keySpecs = []spec{
	{"a created key is listed as written, not revoked", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		f.member(x.ID, u.ID)
		serviceKey, memberKey := f.key(x.ID, "", flexdb.RoleAdmin), f.key(x.ID, u.ID, "")
		sameList(t, f.keys(x.ID), []flexdb.APIKey{*memberKey, *serviceKey}) // newest first
	}},
	{"a service key proves its tenant and its own role", func(t *testing.T, f *fixture) {
		x := f.tenant()
		k := f.key(x.ID, "", flexdb.RoleViewer)
		p, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
		same(t, p, flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: k.ID, TenantID: x.ID, Role: flexdb.RoleViewer, TenantStatus: flexdb.TenantActive})
	}},
	{"a member's key proves the member, with the member's role", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		must(t, f.s.AddMember(f.ctx, &flexdb.Membership{TenantID: x.ID, UserID: u.ID, Role: flexdb.RoleOwner, Status: flexdb.MembershipActive}))
		k := f.key(x.ID, u.ID, "")
		p, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
		same(t, p, flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: k.ID, TenantID: x.ID, UserID: u.ID, Role: flexdb.RoleOwner, TenantStatus: flexdb.TenantActive})
	}},
	{"a key reports its tenant's current status", func(t *testing.T, f *fixture) {
		x := f.tenant()
		k := f.key(x.ID, "", flexdb.RoleMember)
		_, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: x.ID, Status: flexdb.TenantSuspended, At: later()})
		must(t, err)
		p, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
		if p.TenantStatus != flexdb.TenantSuspended {
			t.Fatalf("tenant status %q, want %q", p.TenantStatus, flexdb.TenantSuspended)
		}
	}},
	{"an unknown hash is Unauthenticated", func(t *testing.T, f *fixture) {
		f.key(f.tenant().ID, "", flexdb.RoleMember)
		_, err := f.s.KeyPrincipal(f.ctx, newKey("", "", "").Hash)
		wantCode(t, err, flexdb.Unauthenticated)
	}},
	{"a revoked key is Unauthenticated, and listed with the time it was revoked", func(t *testing.T, f *fixture) {
		x := f.tenant()
		k, other := f.key(x.ID, "", flexdb.RoleMember), f.key(x.ID, "", flexdb.RoleMember)
		at := later()
		must(t, f.s.RevokeAPIKey(f.ctx, x.ID, k.ID, at))
		_, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		wantCode(t, err, flexdb.Unauthenticated)
		_, err = f.s.KeyPrincipal(f.ctx, other.Hash)
		must(t, err)
		revoked := *k
		revoked.RevokedAt = &at
		sameList(t, f.keys(x.ID), []flexdb.APIKey{*other, revoked}) // newest first
	}},
	{"revoking a key twice, or an unknown key, is NotFound", func(t *testing.T, f *fixture) {
		x := f.tenant()
		k := f.key(x.ID, "", flexdb.RoleMember)
		first := later()
		must(t, f.s.RevokeAPIKey(f.ctx, x.ID, k.ID, first))
		wantCode(t, f.s.RevokeAPIKey(f.ctx, x.ID, k.ID, later()), flexdb.NotFound)
		wantCode(t, f.s.RevokeAPIKey(f.ctx, x.ID, newID(), later()), flexdb.NotFound)
		if got := f.keys(x.ID)[0].RevokedAt; got == nil || !got.Equal(first) {
			t.Fatalf("revoked at %v, want the first revocation's %v", got, first)
		}
	}},
	{"a key in an unknown tenant is NotFound", func(t *testing.T, f *fixture) {
		wantCode(t, f.s.CreateAPIKey(f.ctx, newKey(newID(), "", flexdb.RoleMember)), flexdb.NotFound)
	}},
	{"a key for a user who is not a member is NotFound, naming user_id", func(t *testing.T, f *fixture) {
		x, y, u := f.tenant(), f.tenant(), f.user()
		f.member(y.ID, u.ID) // a member elsewhere is not a member here
		for _, userID := range []string{u.ID, newID()} {
			err := f.s.CreateAPIKey(f.ctx, newKey(x.ID, userID, ""))
			wantCode(t, err, flexdb.NotFound)
			wantMessage(t, err, "user_id")
		}
		if keys := f.keys(x.ID); len(keys) != 0 {
			t.Fatalf("keys after refused creates: %+v", keys)
		}
	}},
	{"a second key with a taken hash is AlreadyExists", func(t *testing.T, f *fixture) {
		x := f.tenant()
		k := f.key(x.ID, "", flexdb.RoleMember)
		dup := newKey(x.ID, "", flexdb.RoleOwner)
		dup.Hash = k.Hash
		wantCode(t, f.s.CreateAPIKey(f.ctx, dup), flexdb.AlreadyExists)
		sameList(t, f.keys(x.ID), []flexdb.APIKey{*k})
	}},
	{"a member's key goes when the membership ends, or the user", func(t *testing.T, f *fixture) {
		x, u, v := f.tenant(), f.user(), f.user()
		f.member(x.ID, u.ID)
		f.member(x.ID, v.ID)
		byRemoval, byDeletion, serviceKey := f.key(x.ID, u.ID, ""), f.key(x.ID, v.ID, ""), f.key(x.ID, "", flexdb.RoleMember)
		must(t, f.s.RemoveMember(f.ctx, x.ID, u.ID))
		must(t, f.s.DeleteUser(f.ctx, v.ID, 0))
		for _, k := range []*flexdb.APIKey{byRemoval, byDeletion} {
			_, err := f.s.KeyPrincipal(f.ctx, k.Hash)
			wantCode(t, err, flexdb.Unauthenticated)
		}
		sameList(t, f.keys(x.ID), []flexdb.APIKey{*serviceKey})
	}},
	{"deleting a tenant removes its keys, and no other tenant's", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		gone, kept := f.key(x.ID, "", flexdb.RoleMember), f.key(y.ID, "", flexdb.RoleMember)
		must(t, f.s.DeleteTenant(f.ctx, x.ID, 0))
		_, err := f.s.KeyPrincipal(f.ctx, gone.Hash)
		wantCode(t, err, flexdb.Unauthenticated)
		_, _, err = f.s.ListAPIKeys(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantCode(t, err, flexdb.NotFound)
		sameList(t, f.keys(y.ID), []flexdb.APIKey{*kept})
	}},
	{"another tenant's key is neither listed nor revoked", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		k := f.key(x.ID, "", flexdb.RoleMember)
		mine := f.key(y.ID, "", flexdb.RoleMember)
		wantCode(t, f.s.RevokeAPIKey(f.ctx, y.ID, k.ID, later()), flexdb.NotFound)
		sameList(t, f.keys(y.ID), []flexdb.APIKey{*mine})
		_, err := f.s.KeyPrincipal(f.ctx, k.Hash)
		must(t, err)
	}},
}
