package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"
)

// Permission is what a call needs from its caller: Platform, Authenticated, or a named permission inside
// the call's tenant, which roles grant.
type Permission string

const (
	// Platform calls manage tenants, users and every tenant's keys: the platform admin only.
	Platform Permission = "platform"
	// Authenticated calls need any valid credential.
	Authenticated Permission = "authenticated"

	// Tenant permissions: what a role may grant, each a family of calls inside the role's tenant.
	TenantRead         Permission = "tenant.read"
	MembersRead        Permission = "members.read"
	MembersManage      Permission = "members.manage"
	RolesRead          Permission = "roles.read"
	RolesManage        Permission = "roles.manage"
	NodeTypesRead      Permission = "node_types.read"
	NodeTypesWrite     Permission = "node_types.write"
	NodesRead          Permission = "nodes.read"
	NodesWrite         Permission = "nodes.write"
	RelationshipsRead  Permission = "relationships.read"
	RelationshipsWrite Permission = "relationships.write"
	KeysManage         Permission = "keys.manage"
	// MemberKeysManage is making a key that acts as a member, with whatever role the member has or will
	// have: the owner's alone among the built-in roles, so that an admin cannot reach above itself.
	MemberKeysManage Permission = "member_keys.manage"
)

// TenantPermissions are every permission a role may grant, in the order the README lists them.
var TenantPermissions = []Permission{TenantRead, MembersRead, MembersManage, RolesRead, RolesManage,
	NodeTypesRead, NodeTypesWrite, NodesRead, NodesWrite, RelationshipsRead, RelationshipsWrite, KeysManage, MemberKeysManage}

// Call declares what an RPC needs and does, once: the permission it needs, and whether it writes (a
// suspended tenant refuses it, and each success leaves an audit line).
type Call struct {
	Permission Permission
	Writes     bool
}

// Calls declares every call by its RPC name. A call missing here is refused; a test fails for any RPC
// of the proto missing here.
var Calls = map[string]Call{
	"CreateTenant": {Platform, true}, "UpdateTenant": {Platform, true}, "DeleteTenant": {Platform, true},
	"ListTenants": {Platform, false}, "GetTenant": {TenantRead, false},

	"CreateUser": {Platform, true}, "GetUser": {Platform, false}, "UpdateUser": {Platform, true},
	"DeleteUser": {Platform, true}, "ListUsers": {Platform, false},
	"AddUserToTenant": {MembersManage, true}, "RemoveUserFromTenant": {MembersManage, true},
	"ListTenantUsers": {MembersRead, false},

	"CreateRole": {RolesManage, true}, "UpdateRole": {RolesManage, true}, "DeleteRole": {RolesManage, true},
	"GetRole": {RolesRead, false}, "ListRoles": {RolesRead, false},

	"CreateNodeType": {NodeTypesWrite, true}, "UpdateNodeType": {NodeTypesWrite, true}, "DeleteNodeType": {NodeTypesWrite, true},
	"GetNodeType": {NodeTypesRead, false}, "ListNodeTypes": {NodeTypesRead, false},

	"CreateNode": {NodesWrite, true}, "UpdateNode": {NodesWrite, true}, "DeleteNode": {NodesWrite, true},
	"GetNode": {NodesRead, false}, "ListNodes": {NodesRead, false},

	"CreateRelationship": {RelationshipsWrite, true}, "UpdateRelationship": {RelationshipsWrite, true},
	"DeleteRelationship": {RelationshipsWrite, true},
	"GetRelationship":    {RelationshipsRead, false}, "ListRelationships": {RelationshipsRead, false},

	// A key made for a member additionally needs MemberKeysManage (see CreateAPIKey).
	"CreateApiKey": {KeysManage, true}, "ListApiKeys": {KeysManage, false}, "RevokeApiKey": {KeysManage, true},
	"WhoAmI": {Authenticated, false},
}

var (
	viewerPermissions = []Permission{TenantRead, MembersRead, RolesRead, NodeTypesRead, NodesRead, RelationshipsRead}
	memberPermissions = append(slices.Clone(viewerPermissions), NodesWrite, RelationshipsWrite)
	adminPermissions  = slices.DeleteFunc(slices.Clone(TenantPermissions), func(p Permission) bool { return p == MemberKeysManage })
)

// builtinRoles are the roles every tenant has, with fixed permissions: each grants what the one below
// it does and more.
var builtinRoles = map[string][]Permission{
	flexdb.RoleViewer: viewerPermissions,
	flexdb.RoleMember: memberPermissions,
	flexdb.RoleAdmin:  adminPermissions,
	flexdb.RoleOwner:  TenantPermissions,
}

// isBuiltinRole reports whether a role name is one of the four every tenant has.
func isBuiltinRole(name string) bool { _, ok := builtinRoles[name]; return ok }

// grants returns what role grants, given the tenant's definition of it (nil when there is none): a
// built-in role its fixed set, any other name what its definition lists.
func grants(role string, defined []string) []Permission {
	if ps, ok := builtinRoles[role]; ok {
		return ps
	}
	out := make([]Permission, len(defined))
	for i, p := range defined {
		out[i] = Permission(p)
	}
	return out
}

// subset reports whether every permission of some is also in all.
func subset(some, all []Permission) bool {
	for _, p := range some {
		if !slices.Contains(all, p) {
			return false
		}
	}
	return true
}

// allow decides whether the caller in ctx may make call op on tenantID ("" for calls outside tenants).
// It is the one place where access is decided.
func allow(ctx context.Context, op, tenantID string) (flexdb.Principal, error) {
	call, ok := Calls[op]
	if !ok {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.PermissionDenied, "%s declares no permission", op)
	}
	p, ok := flexdb.PrincipalFrom(ctx)
	if !ok {
		return p, flexdb.Errorf(flexdb.Unauthenticated, "an API key is required: send Authorization: Bearer <key>")
	}
	switch {
	case p.Platform() || call.Permission == Authenticated:
		return p, nil
	case call.Permission == Platform:
		return p, flexdb.Errorf(flexdb.PermissionDenied, "%s is for the platform admin only", op)
	case tenantID != p.TenantID:
		return p, flexdb.Errorf(flexdb.PermissionDenied, "this API key is not valid for tenant %s", tenantID)
	case !slices.Contains(grants(p.Role, p.RolePermissions), call.Permission):
		return p, flexdb.Errorf(flexdb.PermissionDenied, "role %q does not grant %s, which %s needs", p.Role, call.Permission, op)
	case call.Writes && p.TenantStatus == flexdb.TenantSuspended:
		return p, flexdb.Errorf(flexdb.FailedPrecondition, "tenant %s is suspended: it accepts no writes", tenantID)
	}
	return p, nil
}

// ---- credentials ----

// keyPrefix marks flex-db secrets, so that they are easy to spot in a leak scan.
const keyPrefix = "fdb_"

// NewSecret returns a new API key secret: 256 random bits.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return keyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the store keeps of a secret. Secrets carry 256 random bits, so a plain SHA-256
// is enough: there is nothing to guess.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// ParseBearer returns the secret of an "Authorization: Bearer <secret>" value.
func ParseBearer(header string) (string, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", flexdb.Errorf(flexdb.Unauthenticated, `credentials must be sent as "Authorization: Bearer <key>"`)
	}
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, keyPrefix) || len(secret) != len(keyPrefix)+43 {
		return "", flexdb.Errorf(flexdb.Unauthenticated, "the API key is malformed")
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret[len(keyPrefix):]); err != nil {
		return "", flexdb.Errorf(flexdb.Unauthenticated, "the API key is malformed")
	}
	return secret, nil
}

// KeyStore finds the principal of a key by the hash of its secret.
type KeyStore interface {
	KeyPrincipal(ctx context.Context, hash string) (flexdb.Principal, error)
}

// RevocationBound is how long a key check is trusted: a revoked key stops working within it on every
// instance sharing the database, and a busy key costs at most one database read per period.
const RevocationBound = time.Second

// Key lookup defaults (KeyLookups' zero values).
const (
	// DefaultKeyLookupTimeout bounds one store read of a key: a database that hangs answers UNAVAILABLE
	// in time instead of holding every caller of an uncached key.
	DefaultKeyLookupTimeout = 2 * time.Second
	// DefaultKeyLookupsMax caps store reads of keys in flight, so that uncached keys cannot take every
	// database connection from the calls themselves.
	DefaultKeyLookupsMax = 16
	// DefaultCachedKeys bounds the key cache, which also holds recent refusals so that a guessed key
	// repeated costs no database read.
	DefaultCachedKeys = 100000
)

// keyMemory is how long the cache remembers a key's last answer past RevocationBound: the answer is not
// trusted after RevocationBound, but a key whose last check found it valid stays Known (see Known) so
// that its re-check is never held back by its caller's address.
const keyMemory = 10 * time.Minute

// KeyLookups bound the store reads of keys; zero values take the defaults.
type KeyLookups struct {
	Timeout   time.Duration // longest one read may take; past it the call answers UNAVAILABLE
	Max       int           // reads in flight at once; a caller beyond them waits, within Timeout
	CacheSize int           // keys remembered, least recently used evicted first
}

// Authenticator turns secrets into principals.
type Authenticator struct {
	keys      KeyStore
	adminHash []byte
	now       func() time.Time
	timeout   time.Duration
	lookups   chan struct{} // a semaphore of store reads in flight

	cache *expirable.LRU[string, cachedKey]
	// checks makes one store read per key at a time: when a busy key's entry expires, its many callers
	// wait for one read rather than each making its own.
	checks singleflight.Group
}

type cachedKey struct {
	p       flexdb.Principal
	err     error
	checked time.Time
}

// NewAuthenticator checks secrets against the platform admin key and the store's keys.
func NewAuthenticator(keys KeyStore, adminSecret string, bounds KeyLookups) *Authenticator {
	bounds.Timeout = cmp.Or(bounds.Timeout, DefaultKeyLookupTimeout)
	bounds.Max = cmp.Or(bounds.Max, DefaultKeyLookupsMax)
	bounds.CacheSize = cmp.Or(bounds.CacheSize, DefaultCachedKeys)
	a := &Authenticator{keys: keys, now: time.Now, timeout: bounds.Timeout, lookups: make(chan struct{}, bounds.Max),
		cache: expirable.NewLRU[string, cachedKey](bounds.CacheSize, nil, keyMemory)}
	if adminSecret != "" {
		a.adminHash = []byte(hashSecret(adminSecret))
	}
	return a
}

func (a *Authenticator) isAdmin(hash string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), a.adminHash) == 1
}

// Known reports whether secret is the admin key or a key whose last check found it valid, however long
// ago within keyMemory: a caller of such a key is not a guesser, and is not charged for failures.
func (a *Authenticator) Known(secret string) bool {
	hash := hashSecret(secret)
	if a.isAdmin(hash) {
		return true
	}
	c, ok := a.cache.Peek(hash)
	return ok && c.err == nil
}

// Authenticate returns the principal a secret proves, or Unauthenticated; Unavailable when the store
// does not answer within the lookup timeout.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (flexdb.Principal, error) {
	hash := hashSecret(secret)
	if a.isAdmin(hash) {
		return flexdb.Principal{Kind: flexdb.PrincipalAdmin, KeyID: "admin"}, nil
	}
	now := a.now()
	if c, ok := a.cache.Get(hash); ok && now.Sub(c.checked) < RevocationBound {
		return c.p, c.err
	}
	// The lookup is not cancelled with the caller that started it, whose result the others wait for;
	// each caller stops waiting when its own call ends.
	done := a.checks.DoChan(hash, func() (any, error) { return a.check(context.WithoutCancel(ctx), hash, now) })
	select {
	case r := <-done:
		p, _ := r.Val.(flexdb.Principal)
		return p, r.Err
	case <-ctx.Done():
		return flexdb.Principal{}, ctx.Err()
	}
}

// check looks a key up, within the lookup timeout and the cap on lookups in flight, and keeps the
// answer for RevocationBound from now, when the lookup started.
func (a *Authenticator) check(ctx context.Context, hash string, now time.Time) (flexdb.Principal, error) {
	// A lookup that finished between this caller's cache miss and its joining the flight has already
	// answered: its callers then make no second read.
	if c, ok := a.cache.Peek(hash); ok && now.Sub(c.checked) < RevocationBound {
		return c.p, c.err
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	select {
	case a.lookups <- struct{}{}:
		defer func() { <-a.lookups }()
	case <-ctx.Done():
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unavailable, "the API key could not be checked in time: too many checks in flight; retry")
	}
	p, err := a.keys.KeyPrincipal(ctx, hash)
	if err != nil && ctx.Err() != nil {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unavailable, "the API key could not be checked in time: the database did not answer within %v; retry", a.timeout)
	}
	if err == nil || flexdb.CodeOf(err) == flexdb.Unauthenticated { // a fault is not an answer worth keeping
		a.cache.Add(hash, cachedKey{p: p, err: err, checked: now})
	}
	return p, err
}
