package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/flexdb/flexdb"
)

// Permission is what a call needs from its caller.
type Permission int

const (
	// Platform calls manage tenants, users and every tenant's keys: the platform admin only.
	Platform Permission = iota + 1
	// Authenticated calls need any valid credential.
	Authenticated
	// TenantRead, TenantWrite and TenantManage act inside the request's tenant and need a role of at
	// least viewer, member and admin there.
	TenantRead
	TenantWrite
	TenantManage
)

// Permissions declares, for every call by its RPC name, the permission it needs. A call missing here
// is refused; a test fails for any RPC of the proto missing here.
var Permissions = map[string]Permission{
	"CreateTenant": Platform, "UpdateTenant": Platform, "DeleteTenant": Platform, "ListTenants": Platform,
	"GetTenant": TenantRead,

	"CreateUser": Platform, "GetUser": Platform, "UpdateUser": Platform, "DeleteUser": Platform, "ListUsers": Platform,
	"AddUserToTenant": TenantManage, "RemoveUserFromTenant": TenantManage, "ListTenantUsers": TenantRead,

	"CreateNodeType": TenantManage, "UpdateNodeType": TenantManage, "DeleteNodeType": TenantManage,
	"GetNodeType": TenantRead, "ListNodeTypes": TenantRead,

	"CreateNode": TenantWrite, "UpdateNode": TenantWrite, "DeleteNode": TenantWrite,
	"GetNode": TenantRead, "ListNodes": TenantRead,

	"CreateRelationship": TenantWrite, "UpdateRelationship": TenantWrite, "DeleteRelationship": TenantWrite,
	"GetRelationship": TenantRead, "ListRelationships": TenantRead,

	"CreateApiKey": TenantManage, "ListApiKeys": TenantManage, "RevokeApiKey": TenantManage,
	"WhoAmI": Authenticated,
}

var roleRank = map[string]int{flexdb.RoleViewer: 1, flexdb.RoleMember: 2, flexdb.RoleAdmin: 3, flexdb.RoleOwner: 4}

var permissionRank = map[Permission]int{TenantRead: 1, TenantWrite: 2, TenantManage: 3}

// allow decides whether the caller in ctx may make call op on tenantID ("" for calls outside tenants).
// It is the one place where access is decided.
func allow(ctx context.Context, op, tenantID string) (flexdb.Principal, error) {
	need, ok := Permissions[op]
	if !ok {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.PermissionDenied, "%s declares no permission", op)
	}
	p, ok := flexdb.PrincipalFrom(ctx)
	if !ok {
		return p, flexdb.Errorf(flexdb.Unauthenticated, "an API key is required: send Authorization: Bearer <key>")
	}
	switch {
	case p.Platform() || need == Authenticated:
		return p, nil
	case need == Platform:
		return p, flexdb.Errorf(flexdb.PermissionDenied, "%s is for the platform admin only", op)
	case tenantID != p.TenantID:
		return p, flexdb.Errorf(flexdb.PermissionDenied, "this API key is not valid for tenant %s", tenantID)
	case roleRank[p.Role] < permissionRank[need]:
		return p, flexdb.Errorf(flexdb.PermissionDenied, "role %s may not call %s", p.Role, op)
	case need >= TenantWrite && p.TenantStatus == flexdb.TenantSuspended && Writes(op):
		return p, flexdb.Errorf(flexdb.FailedPrecondition, "tenant %s is suspended: it accepts no writes", tenantID)
	}
	return p, nil
}

// Writes reports whether the call named op changes data: every call but those that read (Get...,
// List...) and WhoAmI. A suspended tenant refuses these, and each one leaves an audit line.
func Writes(op string) bool {
	return !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && op != "WhoAmI"
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
