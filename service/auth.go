package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flexdb/flexdb"
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

// Authenticator turns secrets into principals.
type Authenticator struct {
	keys      KeyStore
	adminHash []byte
	now       func() time.Time

	mu       sync.Mutex
	cache    map[string]cachedKey
	checking map[string]*keyCheck // lookups under way, by hash: callers of the same key share one
}

type cachedKey struct {
	p       flexdb.Principal
	err     error
	checked time.Time
}

// keyCheck is one store lookup of a key, which every caller of that key waits for.
type keyCheck struct {
	done chan struct{}
	p    flexdb.Principal
	err  error
}

// maxCachedKeys bounds the cache, which also holds recent refusals so that guessed keys cannot make
// every call a database read.
const maxCachedKeys = 100000

// NewAuthenticator checks secrets against the platform admin key and the store's keys.
func NewAuthenticator(keys KeyStore, adminSecret string) *Authenticator {
	a := &Authenticator{keys: keys, now: time.Now, cache: map[string]cachedKey{}, checking: map[string]*keyCheck{}}
	if adminSecret != "" {
		a.adminHash = []byte(hashSecret(adminSecret))
	}
	return a
}

// Authenticate returns the principal a secret proves, or Unauthenticated.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (flexdb.Principal, error) {
	hash := hashSecret(secret)
	if subtle.ConstantTimeCompare([]byte(hash), a.adminHash) == 1 {
		return flexdb.Principal{Kind: flexdb.PrincipalAdmin, KeyID: "admin"}, nil
	}
	now := a.now()
	a.mu.Lock()
	if c, ok := a.cache[hash]; ok && now.Sub(c.checked) < RevocationBound {
		a.mu.Unlock()
		return c.p, c.err
	}
	// One lookup per key at a time: when a busy key's entry expires, its many callers wait for one
	// read rather than each making its own. The lookup is not cancelled with the caller that started
	// it, whose result the others wait for; each caller stops waiting when its own call ends.
	c, running := a.checking[hash]
	if !running {
		c = &keyCheck{done: make(chan struct{})}
		a.checking[hash] = c
		go a.check(context.WithoutCancel(ctx), hash, now, c)
	}
	a.mu.Unlock()
	select {
	case <-c.done:
		return c.p, c.err
	case <-ctx.Done():
		return flexdb.Principal{}, ctx.Err()
	}
}

// check looks a key up and keeps the answer for RevocationBound from now, when the lookup started.
func (a *Authenticator) check(ctx context.Context, hash string, now time.Time, c *keyCheck) {
	c.p, c.err = a.keys.KeyPrincipal(ctx, hash)
	a.mu.Lock()
	delete(a.checking, hash)
	if c.err == nil || flexdb.CodeOf(c.err) == flexdb.Unauthenticated { // a fault is not an answer worth keeping
		if len(a.cache) >= maxCachedKeys {
			a.cache = map[string]cachedKey{}
		}
		a.cache[hash] = cachedKey{p: c.p, err: c.err, checked: now}
	}
	a.mu.Unlock()
	close(c.done)
}
