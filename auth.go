package flexdb

import (
	"context"
	"time"
)

// APIKey is a tenant's credential. Only a hash of its secret is kept.
type APIKey struct {
	ID        string
	TenantID  string
	Name      string
	UserID    string // set for a member's key; empty for a service key
	Role      string
	Hash      string // hex SHA-256 of the secret
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Principal kinds.
const (
	PrincipalAdmin       = "admin"       // the platform admin key
	PrincipalKey         = "key"         // a tenant's key
	PrincipalDevelopment = "development" // authentication is off
)

// Principal is who makes a call, as its credentials prove.
type Principal struct {
	Kind         string
	KeyID        string
	TenantID     string // the tenant a key belongs to
	UserID       string
	Role         string
	TenantStatus string // of TenantID, when the key was last checked
	// RolePermissions are what the tenant's definition of Role grants, read with the key; nil for a
	// built-in role (whose permissions the service knows) and for a role the tenant has not defined.
	RolePermissions []string
}

// Platform reports whether p may act on every tenant.
func (p Principal) Platform() bool { return p.Kind == PrincipalAdmin || p.Kind == PrincipalDevelopment }

type principalKey struct{}

// WithPrincipal returns ctx carrying p; protocol middleware calls it after checking credentials.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, if middleware put one there.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
