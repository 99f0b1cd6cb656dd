package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

const keyColumns = "tenant_id, id, name, user_id, role, hash, created_at, revoked_at"

func scanKey(r row) (flexdb.APIKey, error) {
	var k flexdb.APIKey
	var userID *string
	err := r.Scan(&k.TenantID, &k.ID, &k.Name, &userID, &k.Role, &k.Hash, &k.CreatedAt, &k.RevokedAt)
	if userID != nil {
		k.UserID = *userID
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
		k.RevokedAt = &t
	}
	return k, err
}

func (s *Store) CreateAPIKey(ctx context.Context, k *flexdb.APIKey) error {
	_, err := s.db.writer().Exec(ctx, "INSERT INTO api_keys ("+keyColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
		k.TenantID, k.ID, k.Name, optional(k.UserID), k.Role, k.Hash, k.CreatedAt)
	if s.db.violated(err) == uniqueViolation { // its id or its hash: neither is the client's to choose
		return flexdb.Errorf(flexdb.AlreadyExists, "API key %s already exists", k.ID)
	}
	if s.db.violated(err) != foreignKeyViolation {
		if err != nil {
			return fault(err, "create API key")
		}
		return nil
	}
	if _, err := s.GetTenant(ctx, k.TenantID); err != nil {
		return err
	}
	return notFound("user_id: user %s is not a member of tenant %s", k.UserID, k.TenantID)
}

func (s *Store) ListAPIKeys(ctx context.Context, tenantID string, q service.ListQuery) ([]flexdb.APIKey, int, error) {
	l := listSpec[flexdb.APIKey]{table: "api_keys", columns: keyColumns, key: "id", scan: scanKey, scope: tenantID}
	l.filter("tenant_id", tenantID)
	return l.run(ctx, s.db.reader(), q)
}

func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time) error {
	n, err := s.db.writer().Exec(ctx, "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL", tenantID, id, at)
	return affected(n, err, func() error { return notFound("API key %s not found or already revoked", id) }, "revoke API key")
}

// KeyPrincipal finds the valid key with hash and what it may do now: a member's key takes the
// member's current role, and stops working when the membership ends; a role the tenant defined comes
// with what it grants, read in the same statement.
func (s *Store) KeyPrincipal(ctx context.Context, hash string) (flexdb.Principal, error) {
	var p flexdb.Principal
	var userID, role, permissions *string
	err := s.db.reader().QueryRow(ctx, `SELECT k.id, k.tenant_id, k.user_id, CASE WHEN k.user_id IS NULL THEN k.role ELSE m.role END,
		r.permissions, t.status
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
		LEFT JOIN tenant_users m ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
		LEFT JOIN roles r ON r.tenant_id = k.tenant_id AND r.name = CASE WHEN k.user_id IS NULL THEN k.role ELSE m.role END
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).Scan(&p.KeyID, &p.TenantID, &userID, &role, &permissions, &p.TenantStatus)
	if isNoRows(err) {
		return p, flexdb.Errorf(flexdb.Unauthenticated, "the API key is not valid")
	}
	if err != nil {
		return p, fault(err, "check API key")
	}
	p.Kind = flexdb.PrincipalKey
	if userID != nil {
		p.UserID = *userID
	}
	if role == nil { // a member's key whose membership ended
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unauthenticated, "the API key is not valid")
	}
	p.Role = *role
	if permissions != nil {
		p.RolePermissions = strings.Fields(*permissions)
	}
	return p, nil
}
