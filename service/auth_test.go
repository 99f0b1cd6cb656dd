package service

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/google/uuid"
)

// Every call the service offers declares its permission; the protocol tests check the proto's list
// against Calls, this one checks that each declaration is one a caller can meet.
func TestEveryOperationDeclaresAPermission(t *testing.T) {
	for op, c := range Calls {
		if c.Permission != Platform && c.Permission != Authenticated && !slices.Contains(TenantPermissions, c.Permission) {
			t.Errorf("%s: permission %q is not one a role can grant", op, c.Permission)
		}
	}
	for _, p := range TenantPermissions {
		used := false
		for _, c := range Calls {
			used = used || c.Permission == p
		}
		if !used && p != MemberKeysManage { // MemberKeysManage is checked inside CreateApiKey
			t.Errorf("permission %s is needed by no call", p)
		}
	}
	if _, err := allow(flexdb.WithPrincipal(context.Background(), flexdb.Principal{Kind: flexdb.PrincipalAdmin}), "NoSuchCall", ""); flexdb.CodeOf(err) != flexdb.PermissionDenied {
		t.Errorf("an undeclared call: got %v, want PermissionDenied even for the admin", err)
	}
}

// The built-in roles are fixed sets, each one's containing the one's below.
func TestBuiltinRoles(t *testing.T) {
	order := []string{flexdb.RoleViewer, flexdb.RoleMember, flexdb.RoleAdmin, flexdb.RoleOwner}
	for i := 1; i < len(order); i++ {
		lower, upper := builtinRoles[order[i-1]], builtinRoles[order[i]]
		if !subset(lower, upper) || subset(upper, lower) {
			t.Errorf("%s %v does not grant strictly more than %s %v", order[i], upper, order[i-1], lower)
		}
	}
	for _, p := range builtinRoles[flexdb.RoleViewer] {
		for _, c := range callsNeeding(p) {
			if c.Writes {
				t.Errorf("viewer grants %s, which a write needs", p)
			}
		}
	}
	if !slices.Equal(builtinRoles[flexdb.RoleOwner], TenantPermissions) {
		t.Errorf("owner grants %v, want every tenant permission", builtinRoles[flexdb.RoleOwner])
	}
}

func callsNeeding(p Permission) []Call {
	var out []Call
	for _, c := range Calls {
		if c.Permission == p {
			out = append(out, c)
		}
	}
	return out
}

func TestAllow(t *testing.T) {
	tenantA, tenantB := uuid.NewString(), uuid.NewString()
	key := func(role, status string) flexdb.Principal {
		return flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: "k", TenantID: tenantA, Role: role, TenantStatus: status}
	}
	custom := func(role string, perms ...Permission) *flexdb.Principal {
		p := key(role, flexdb.TenantActive)
		for _, x := range perms {
			p.RolePermissions = append(p.RolePermissions, string(x))
		}
		return &p
	}
	admin := flexdb.Principal{Kind: flexdb.PrincipalAdmin}
	dev := flexdb.Principal{Kind: flexdb.PrincipalDevelopment}
	cases := []struct {
		name   string
		who    *flexdb.Principal
		op     string
		tenant string
		want   flexdb.Code // "" for allowed
	}{
		{"no principal is unauthenticated", nil, "GetNode", tenantA, flexdb.Unauthenticated},
		{"admin may do platform calls", &admin, "CreateTenant", "", ""},
		{"admin may act in any tenant", &admin, "CreateNode", tenantB, ""},
		{"development mode acts as admin", &dev, "DeleteTenant", tenantB, ""},
		{"a key may not do platform calls", ptr(key(flexdb.RoleOwner, flexdb.TenantActive)), "CreateTenant", "", flexdb.PermissionDenied},
		{"a key may not list tenants", ptr(key(flexdb.RoleOwner, flexdb.TenantActive)), "ListTenants", "", flexdb.PermissionDenied},
		{"a key may read its tenant", ptr(key(flexdb.RoleViewer, flexdb.TenantActive)), "GetTenant", tenantA, ""},
		{"a key may not touch another tenant", ptr(key(flexdb.RoleOwner, flexdb.TenantActive)), "GetNode", tenantB, flexdb.PermissionDenied},
		{"a viewer reads", ptr(key(flexdb.RoleViewer, flexdb.TenantActive)), "ListNodes", tenantA, ""},
		{"a viewer reads roles", ptr(key(flexdb.RoleViewer, flexdb.TenantActive)), "ListRoles", tenantA, ""},
		{"a viewer may not write", ptr(key(flexdb.RoleViewer, flexdb.TenantActive)), "CreateNode", tenantA, flexdb.PermissionDenied},
		{"a member writes nodes", ptr(key(flexdb.RoleMember, flexdb.TenantActive)), "UpdateNode", tenantA, ""},
		{"a member may not manage node types", ptr(key(flexdb.RoleMember, flexdb.TenantActive)), "CreateNodeType", tenantA, flexdb.PermissionDenied},
		{"a member may not manage keys", ptr(key(flexdb.RoleMember, flexdb.TenantActive)), "CreateApiKey", tenantA, flexdb.PermissionDenied},
		{"a member may not define roles", ptr(key(flexdb.RoleMember, flexdb.TenantActive)), "CreateRole", tenantA, flexdb.PermissionDenied},
		{"an admin manages node types", ptr(key(flexdb.RoleAdmin, flexdb.TenantActive)), "DeleteNodeType", tenantA, ""},
		{"an admin defines roles", ptr(key(flexdb.RoleAdmin, flexdb.TenantActive)), "CreateRole", tenantA, ""},
		{"a suspended tenant refuses writes", ptr(key(flexdb.RoleOwner, flexdb.TenantSuspended)), "CreateNode", tenantA, flexdb.FailedPrecondition},
		{"a suspended tenant refuses role definitions", ptr(key(flexdb.RoleOwner, flexdb.TenantSuspended)), "CreateRole", tenantA, flexdb.FailedPrecondition},
		{"a suspended tenant still reads", ptr(key(flexdb.RoleOwner, flexdb.TenantSuspended)), "GetNode", tenantA, ""},
		{"any key may ask who it is", ptr(key(flexdb.RoleViewer, flexdb.TenantActive)), "WhoAmI", "", ""},
		{"an undefined role grants nothing", custom("auditor"), "GetTenant", tenantA, flexdb.PermissionDenied},
		{"an undefined role may still ask who it is", custom("auditor"), "WhoAmI", "", ""},
		{"a custom role grants what it lists", custom("writer", NodesWrite), "CreateNode", tenantA, ""},
		{"a custom role grants nothing it does not list", custom("writer", NodesWrite), "GetNode", tenantA, flexdb.PermissionDenied},
		{"a custom role's write does not grant the type's", custom("writer", NodesWrite), "CreateNodeType", tenantA, flexdb.PermissionDenied},
		{"a custom role acts only in its tenant", custom("writer", NodesWrite), "CreateNode", tenantB, flexdb.PermissionDenied},
		{"a custom role never reaches platform calls", custom("all", TenantPermissions...), "ListTenants", "", flexdb.PermissionDenied},
		{"a built-in name ignores a definition", custom(flexdb.RoleViewer, NodesWrite), "CreateNode", tenantA, flexdb.PermissionDenied},
		{"a name differing in case is not built-in", custom("Owner"), "GetTenant", tenantA, flexdb.PermissionDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.who != nil {
				ctx = flexdb.WithPrincipal(ctx, *c.who)
			}
			_, err := allow(ctx, c.op, c.tenant)
			if got := code(err); got != c.want {
				t.Fatalf("allow(%s) = %v, want %q", c.op, err, c.want)
			}
		})
	}
}

// A caller hands out only permissions it has: to a member, a key or a role.
func TestMayGrant(t *testing.T) {
	key := func(role string, perms ...Permission) flexdb.Principal {
		p := flexdb.Principal{Kind: flexdb.PrincipalKey, Role: role}
		for _, x := range perms {
			p.RolePermissions = append(p.RolePermissions, string(x))
		}
		return p
	}
	cases := []struct {
		name  string
		who   flexdb.Principal
		gives []Permission
		ok    bool
	}{
		{"the platform admin gives anything", flexdb.Principal{Kind: flexdb.PrincipalAdmin}, TenantPermissions, true},
		{"an admin gives admin", key(flexdb.RoleAdmin), builtinRoles[flexdb.RoleAdmin], true},
		{"an admin may not give owner", key(flexdb.RoleAdmin), builtinRoles[flexdb.RoleOwner], false},
		{"an owner gives owner", key(flexdb.RoleOwner), builtinRoles[flexdb.RoleOwner], true},
		{"anyone gives a role granting nothing", key("nobody"), nil, true},
		{"a custom role gives its own permissions", key("lead", MembersManage, NodesRead, NodesWrite), []Permission{NodesRead}, true},
		{"a custom role may not give more", key("lead", MembersManage, NodesRead), []Permission{NodesRead, NodesWrite}, false},
		{"a custom role may not give viewer without every read", key("lead", MembersManage, NodesRead), builtinRoles[flexdb.RoleViewer], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := (&check{principal: c.who}).mayGrant(c.gives, "give")
			if c.ok != (err == nil) {
				t.Fatalf("mayGrant(%v) = %v, want ok=%v", c.gives, err, c.ok)
			}
			if err != nil && flexdb.CodeOf(err) != flexdb.PermissionDenied {
				t.Fatalf("refusal code %v, want PermissionDenied", flexdb.CodeOf(err))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func code(err error) flexdb.Code {
	if err == nil {
		return ""
	}
	return flexdb.CodeOf(err)
}

func TestParseBearer(t *testing.T) {
	good := NewSecret()
	cases := []struct {
		name, header string
		ok           bool
	}{
		{"a bearer key", "Bearer " + good, true},
		{"the scheme in any case", "bearer " + good, true},
		{"empty", "", false},
		{"no scheme", good, false},
		{"basic scheme", "Basic " + good, false},
		{"no prefix", "Bearer " + strings.TrimPrefix(good, keyPrefix), false},
		{"too short", "Bearer " + good[:len(good)-1], false},
		{"too long", "Bearer " + good + "A", false},
		{"not base64url", "Bearer " + good[:len(good)-1] + "*", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			secret, err := ParseBearer(c.header)
			if c.ok != (err == nil) {
				t.Fatalf("ParseBearer(%q) = %q, %v; want ok=%v", c.header, secret, err, c.ok)
			}
			if err != nil && flexdb.CodeOf(err) != flexdb.Unauthenticated {
				t.Fatalf("refusal code %v, want Unauthenticated", flexdb.CodeOf(err))
			}
		})
	}
}

func TestNewSecretsAreDistinct256BitKeys(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := NewSecret()
		if _, err := ParseBearer("Bearer " + s); err != nil {
			t.Fatalf("a new secret does not parse: %v", err)
		}
		if seen[s] {
			t.Fatal("a secret repeated")
		}
		seen[s] = true
	}
}

// countingKeys answers like a store and counts the reads.
type countingKeys struct {
	reads   atomic.Int64
	revoked atomic.Bool
	fault   error
}

func (k *countingKeys) KeyPrincipal(ctx context.Context, hash string) (flexdb.Principal, error) {
	k.reads.Add(1)
	if k.fault != nil {
		return flexdb.Principal{}, k.fault
	}
	if k.revoked.Load() {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unauthenticated, "the API key is not valid")
	}
	return flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: "k1"}, nil
}

func TestAuthenticator(t *testing.T) {
	admin, key := NewSecret(), NewSecret()
	ctx := context.Background()

	t.Run("the admin key needs no database read", func(t *testing.T) {
		keys := &countingKeys{}
		p, err := NewAuthenticator(keys, admin, KeyLookups{}).Authenticate(ctx, admin)
		if err != nil || p.Kind != flexdb.PrincipalAdmin || keys.reads.Load() != 0 {
			t.Fatalf("got %+v, %v after %d reads", p, err, keys.reads.Load())
		}
	})
	t.Run("no admin key configured admits no admin", func(t *testing.T) {
		keys := &countingKeys{revoked: atomic.Bool{}}
		keys.revoked.Store(true)
		if _, err := NewAuthenticator(keys, "", KeyLookups{}).Authenticate(ctx, admin); flexdb.CodeOf(err) != flexdb.Unauthenticated {
			t.Fatalf("got %v, want Unauthenticated", err)
		}
	})
	t.Run("a key is read once per revocation bound", func(t *testing.T) {
		keys := &countingKeys{}
		a := NewAuthenticator(keys, admin, KeyLookups{})
		clock := time.Unix(1000, 0)
		a.now = func() time.Time { return clock }
		for range 100 {
			if _, err := a.Authenticate(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		if n := keys.reads.Load(); n != 1 {
			t.Fatalf("%d reads for 100 calls within the bound, want 1", n)
		}
		keys.revoked.Store(true)
		clock = clock.Add(time.Second) // the README's promise: a revoked key stops working within one second
		if _, err := a.Authenticate(ctx, key); flexdb.CodeOf(err) != flexdb.Unauthenticated {
			t.Fatalf("a revoked key after the bound: got %v, want Unauthenticated", err)
		}
	})
	t.Run("a store fault is not cached as a refusal", func(t *testing.T) {
		keys := &countingKeys{fault: errors.New("connection reset")}
		a := NewAuthenticator(keys, admin, KeyLookups{})
		a.Authenticate(ctx, key)
		keys.fault = nil
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Fatalf("after the fault cleared: %v", err)
		}
	})
}

// FuzzParseBearer: credentials are the first thing an attacker controls; parsing never panics, and
// whatever it accepts is a well-formed key.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"", "Bearer", "Bearer ", "Bearer " + NewSecret(), "bearer  fdb_" + strings.Repeat("A", 43), "Basic abc", "Bearer fdb_\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		secret, err := ParseBearer(header)
		if err != nil {
			if flexdb.CodeOf(err) != flexdb.Unauthenticated {
				t.Fatalf("refusal with code %v", flexdb.CodeOf(err))
			}
			return
		}
		if !strings.HasPrefix(secret, keyPrefix) || len(secret) != len(keyPrefix)+43 {
			t.Fatalf("accepted a malformed secret %q", secret)
		}
	})
}

// FuzzPageToken: a page token comes back from the client; decoding never panics, and anything it
// accepts is a canonical UUID.
func FuzzPageToken(f *testing.F) {
	key := queryKey("nodes", "t")
	f.Add(encodeToken(key, uuid.NewString()))
	f.Add("")
	f.Add("cDEu")
	f.Add(encodeToken("0000000000000000", uuid.NewString()))
	f.Fuzz(func(t *testing.T, token string) {
		id, err := decodeToken(token, key)
		if err != nil {
			if flexdb.CodeOf(err) != flexdb.InvalidArgument {
				t.Fatalf("refusal with code %v", flexdb.CodeOf(err))
			}
			return
		}
		if u, perr := uuid.Parse(id); perr != nil || u.String() != id {
			t.Fatalf("accepted token %q carries %q, not a canonical UUID", token, id)
		}
	})
}

// gatedKeys is a store whose reads wait for release (or their context), recording the most in flight.
type gatedKeys struct {
	release         chan struct{}
	reads, in, most atomic.Int64
}

func (k *gatedKeys) KeyPrincipal(ctx context.Context, hash string) (flexdb.Principal, error) {
	k.reads.Add(1)
	n := k.in.Add(1)
	defer k.in.Add(-1)
	for m := k.most.Load(); n > m && !k.most.CompareAndSwap(m, n); m = k.most.Load() {
	}
	select {
	case <-k.release:
		return flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: "k1"}, nil
	case <-ctx.Done():
		return flexdb.Principal{}, flexdb.Wrap(ctx.Err(), "read key failed")
	}
}

func TestAuthenticatorBoundsLookups(t *testing.T) {
	ctx := context.Background()
	t.Run("a lookup past its timeout answers Unavailable, and is not cached", func(t *testing.T) {
		keys := &gatedKeys{release: make(chan struct{})}
		a := NewAuthenticator(keys, "", KeyLookups{Timeout: time.Millisecond})
		key := NewSecret()
		if _, err := a.Authenticate(ctx, key); flexdb.CodeOf(err) != flexdb.Unavailable {
			t.Fatalf("got %v, want Unavailable", err)
		}
		close(keys.release)
		if _, err := a.Authenticate(ctx, key); err != nil {
			t.Fatalf("once the store answers: %v", err)
		}
	})
	t.Run("lookups in flight are capped, and one waiting past the timeout answers Unavailable", func(t *testing.T) {
		keys := &gatedKeys{release: make(chan struct{})}
		a := NewAuthenticator(keys, "", KeyLookups{Timeout: time.Hour, Max: 2})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { a.Authenticate(ctx, NewSecret()) })
		}
		for keys.in.Load() < 2 {
			runtime.Gosched()
		}
		short := NewAuthenticator(keys, "", KeyLookups{Timeout: time.Millisecond, Max: 1})
		short.lookups <- struct{}{} // its one lookup is taken
		if _, err := short.Authenticate(ctx, NewSecret()); flexdb.CodeOf(err) != flexdb.Unavailable {
			t.Fatalf("a lookup beyond the cap: got %v, want Unavailable", err)
		}
		close(keys.release)
		wg.Wait()
		if m := keys.most.Load(); m != 2 {
			t.Fatalf("%d lookups in flight at most, want the cap, 2", m)
		}
	})
	t.Run("concurrent callers of one key share one lookup", func(t *testing.T) {
		keys := &gatedKeys{release: make(chan struct{})}
		a := NewAuthenticator(keys, "", KeyLookups{})
		key := NewSecret()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 50 {
			wg.Go(func() {
				if _, err := a.Authenticate(ctx, key); err != nil {
					failed.Add(1)
				}
			})
		}
		for keys.in.Load() < 1 {
			runtime.Gosched()
		}
		close(keys.release)
		wg.Wait()
		if n, f := keys.reads.Load(), failed.Load(); n != 1 || f != 0 {
			t.Fatalf("%d lookups for 50 concurrent callers (%d failed), want 1", n, f)
		}
	})
	t.Run("a full cache evicts the least recently used: a hot good key survives a flood of fakes", func(t *testing.T) {
		keys := &countingKeys{}
		a := NewAuthenticator(keys, "", KeyLookups{CacheSize: 10})
		a.now = func() time.Time { return time.Unix(1000, 0) } // all within one revocation bound
		good := NewSecret()
		for range 1000 {
			if _, err := a.Authenticate(ctx, good); err != nil {
				t.Fatal(err)
			}
			keys.revoked.Store(true)
			a.Authenticate(ctx, NewSecret())
			keys.revoked.Store(false)
		}
		if n := keys.reads.Load(); n != 1+1000 {
			t.Fatalf("%d reads, want one for the good key and one per fake", n)
		}
	})
}

func TestAuthenticatorKnows(t *testing.T) {
	ctx := context.Background()
	admin, good, bad := NewSecret(), NewSecret(), NewSecret()
	keys := &countingKeys{}
	a := NewAuthenticator(keys, admin, KeyLookups{})
	clock := time.Unix(1000, 0)
	a.now = func() time.Time { return clock }
	a.Authenticate(ctx, good)
	keys.revoked.Store(true)
	a.Authenticate(ctx, bad)
	clock = clock.Add(time.Minute) // past the bound: the answer is re-checked, but the key is still known
	cases := []struct {
		name   string
		secret string
		known  bool
	}{
		{"the admin key", admin, true},
		{"a key last found valid, past the revocation bound", good, true},
		{"a key last refused", bad, false},
		{"a key never seen", NewSecret(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Known(tc.secret); got != tc.known {
				t.Fatalf("Known = %v, want %v", got, tc.known)
			}
		})
	}
}
