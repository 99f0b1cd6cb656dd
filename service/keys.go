package service

import (
	"context"

	"github.com/flexdb/flexdb"
)

// CreateAPIKey makes a key of the tenant and returns it with its secret, which is not kept. A service
// key (no userID) gets role (built-in or not, as for memberships), granting at most the creator's own
// permissions; a member's key acts with whatever role the member has at each call, so making one needs
// MemberKeysManage.
func (s *Service) CreateAPIKey(ctx context.Context, tenantID, name, userID, role string) (*flexdb.APIKey, string, error) {
	c := s.check(ctx, "CreateApiKey")
	tenantID = c.tenant("tenant_id", tenantID)
	userID = c.optionalID("user_id", userID)
	c.text("name", name, s.lim.NameChars, false)
	switch {
	case userID != "" && role != "":
		c.add("role", "must be empty for a member's key, which takes the member's role")
	case userID == "" && role == "":
		role = flexdb.RoleMember
	}
	if role != "" {
		c.text("role", role, s.lim.NameChars, true)
	}
	if err := c.err(); err != nil {
		return nil, "", err
	}
	if userID != "" {
		if err := c.mayGrant([]Permission{MemberKeysManage}, "create a key for a member: that needs"); err != nil {
			return nil, "", err
		}
	} else if err := s.mayGive(ctx, c, tenantID, role, "create a key with role"); err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	k := &flexdb.APIKey{ID: newID(), TenantID: tenantID, Name: name, UserID: userID, Role: role, Hash: hashSecret(secret), CreatedAt: s.now()}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

func (s *Service) ListAPIKeys(ctx context.Context, tenantID string, p PageRequest) (flexdb.Page[flexdb.APIKey], error) {
	c := s.check(ctx, "ListApiKeys")
	tenantID = c.tenant("tenant_id", tenantID)
	if err := c.err(); err != nil {
		return flexdb.Page[flexdb.APIKey]{}, err
	}
	return list(s.lim.PageBytes, p, func(k flexdb.APIKey) string { return k.ID }, func(q ListQuery) ([]flexdb.APIKey, int, error) {
		return s.store.ListAPIKeys(ctx, tenantID, q)
	}, "api_keys", tenantID)
}

// RevokeAPIKey stops a key; every instance refuses it within RevocationBound.
func (s *Service) RevokeAPIKey(ctx context.Context, tenantID, id string) error {
	c := s.check(ctx, "RevokeApiKey")
	tenantID = c.tenant("tenant_id", tenantID)
	id = c.id("id", id)
	if err := c.err(); err != nil {
		return err
	}
	return s.store.RevokeAPIKey(ctx, tenantID, id, s.now())
}

// WhoAmI returns the caller's principal.
func (s *Service) WhoAmI(ctx context.Context) (flexdb.Principal, error) {
	c := s.check(ctx, "WhoAmI")
	if err := c.err(); err != nil {
		return flexdb.Principal{}, err
	}
	return c.principal, nil
}
