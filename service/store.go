package service

import (
	"context"
	"time"

	"github.com/flexdb/flexdb"
)

// Store keeps flex-db's data. Every engine implements it and passes the conformance suite in storetest.
//
// Errors are *flexdb.Error: NotFound for an id that does not exist within the given tenant (an id of
// another tenant does not exist there), AlreadyExists for a unique key taken, FailedPrecondition for a
// refused delete, Internal for faults. Every method is one transaction.
//
// A delete's non-zero expectedVersion makes it conditional, as ExpectedVersion makes an update: the
// store answers Aborted, deleting nothing, when the row is at another version.
type Store interface {
	CreateTenant(ctx context.Context, t *flexdb.Tenant) error
	GetTenant(ctx context.Context, id string) (*flexdb.Tenant, error)
	UpdateTenant(ctx context.Context, u TenantUpdate) (*flexdb.Tenant, error)
	DeleteTenant(ctx context.Context, id string, expectedVersion int64) error
	ListTenants(ctx context.Context, q ListQuery) ([]flexdb.Tenant, int, error)

	CreateUser(ctx context.Context, u *flexdb.User) error
	GetUser(ctx context.Context, id string) (*flexdb.User, error)
	UpdateUser(ctx context.Context, u UserUpdate) (*flexdb.User, error)
	DeleteUser(ctx context.Context, id string, expectedVersion int64) error
	ListUsers(ctx context.Context, q ListQuery) ([]flexdb.User, int, error)

	AddMember(ctx context.Context, m *flexdb.Membership) error
	RemoveMember(ctx context.Context, tenantID, userID string) error
	// ListMembers pages by user id, ascending; NotFound if the tenant does not exist.
	ListMembers(ctx context.Context, tenantID string, q ListQuery) ([]flexdb.Membership, int, error)

	// CreateRole answers AlreadyExists when the tenant has a role of that name, NotFound when the tenant
	// is missing.
	CreateRole(ctx context.Context, r *flexdb.Role) error
	GetRole(ctx context.Context, tenantID, name string) (*flexdb.Role, error)
	UpdateRole(ctx context.Context, u RoleUpdate) (*flexdb.Role, error)
	// DeleteRole refuses with FailedPrecondition, saying how many, while memberships or valid service
	// keys of the tenant hold the role.
	DeleteRole(ctx context.Context, tenantID, name string, expectedVersion int64) error
	// ListRoles pages by the roles' ids: the order they were defined in.
	ListRoles(ctx context.Context, tenantID string, q ListQuery) ([]flexdb.Role, int, error)

	CreateNodeType(ctx context.Context, nt *flexdb.NodeType) error
	GetNodeType(ctx context.Context, tenantID, id string) (*flexdb.NodeType, error)
	UpdateNodeType(ctx context.Context, u NodeTypeUpdate) (*flexdb.NodeType, error)
	// DeleteNodeType refuses with FailedPrecondition while nodes of the type exist, unless cascade is
	// set: then those nodes and their relationships go too.
	DeleteNodeType(ctx context.Context, tenantID, id string, cascade bool, expectedVersion int64) error
	ListNodeTypes(ctx context.Context, tenantID string, q ListQuery) ([]flexdb.NodeType, int, error)

	// CreateNode inserts n only if its node type exists at typeVersion, the version whose schema the
	// data was checked against; otherwise it answers NotFound and writes nothing.
	CreateNode(ctx context.Context, n *flexdb.Node, typeVersion int64) error
	GetNode(ctx context.Context, tenantID, id string) (*flexdb.Node, error)
	// UpdateNode, like CreateNode, writes new data only while the node's type is still at u.TypeVersion;
	// an update with no Data keeps the row's data (and needs neither NodeTypeID nor TypeVersion).
	UpdateNode(ctx context.Context, u NodeUpdate) (*flexdb.Node, error)
	// PatchNode reads the node with its row locked, runs u.Apply on it and writes the result, in one
	// transaction, so that no concurrent write falls between the read and the write; it writes only
	// while the node's type is still at the version Apply returned (NotFound otherwise, as UpdateNode).
	PatchNode(ctx context.Context, u NodePatch) (*flexdb.Node, error)
	// DeleteNode removes the node and every relationship that starts or ends at it.
	DeleteNode(ctx context.Context, tenantID, id string, expectedVersion int64) error
	ListNodes(ctx context.Context, tenantID string, f NodeFilter, q ListQuery) ([]flexdb.Node, int, error)

	CreateRelationship(ctx context.Context, r *flexdb.Relationship) error
	GetRelationship(ctx context.Context, tenantID, id string) (*flexdb.Relationship, error)
	UpdateRelationship(ctx context.Context, u RelationshipUpdate) (*flexdb.Relationship, error)
	// PatchRelationship is PatchNode for a relationship's data.
	PatchRelationship(ctx context.Context, u RelationshipPatch) (*flexdb.Relationship, error)
	DeleteRelationship(ctx context.Context, tenantID, id string, expectedVersion int64) error
	ListRelationships(ctx context.Context, tenantID string, f RelationshipFilter, q ListQuery) ([]flexdb.Relationship, int, error)

	// CreateAPIKey answers NotFound when the tenant, or the membership of a member's key, is missing.
	CreateAPIKey(ctx context.Context, k *flexdb.APIKey) error
	ListAPIKeys(ctx context.Context, tenantID string, q ListQuery) ([]flexdb.APIKey, int, error)
	// RevokeAPIKey answers NotFound for a key that is missing or already revoked.
	RevokeAPIKey(ctx context.Context, tenantID, id string, at time.Time) error
	KeyStore
}

// ListQuery asks for at most Limit items that come after After ("" for the first page) in the list's
// order, which is the list's own: every list is newest first, by id descending (ids are UUIDv7, so id
// order is creation order, as the original's ORDER BY created_at DESC), except ListMembers, by user id
// ascending (as the original). After is the key of the previous page's last item; an index serves every
// page. The count returned beside the items ignores After and Limit. Tenant-scoped lists answer NotFound
// for a tenant that does not exist.
type ListQuery struct {
	After string
	Limit int
}

// In the update types, an empty string leaves its field unchanged (the original contract's semantics);
// At becomes updated_at, and the version grows by one. A non-zero ExpectedVersion makes the update
// conditional: the store answers Aborted, writing nothing, when the row is at another version.

type TenantUpdate struct {
	ID, Slug, Name, Status string
	ExpectedVersion        int64
	At                     time.Time
}

type UserUpdate struct {
	ID, Email, DisplayName string
	ExpectedVersion        int64
	At                     time.Time
}

// RoleUpdate's nil Permissions leave them unchanged; otherwise they replace them whole.
type RoleUpdate struct {
	TenantID, Name  string
	Permissions     []string
	ExpectedVersion int64
	At              time.Time
}

type NodeTypeUpdate struct {
	TenantID, ID, Name, Description, Schema string
	ExpectedVersion                         int64
	At                                      time.Time
}

type NodeUpdate struct {
	TenantID, ID, NodeTypeID, Data string
	TypeVersion, ExpectedVersion   int64
	At                             time.Time
}

type RelationshipUpdate struct {
	TenantID, ID, Type, Data string
	ExpectedVersion          int64
	At                       time.Time
}

// NodePatch changes a node's document from what it is when the write runs: Apply gets the node's type
// and current data and returns the new data and the version of the type whose schema checked it.
type NodePatch struct {
	TenantID, ID    string
	ExpectedVersion int64
	At              time.Time
	Apply           func(nodeTypeID, data string) (newData string, typeVersion int64, err error)
}

// RelationshipPatch changes a relationship's data (and its type, when Type is set) from what it is when
// the write runs: Apply gets the current data and returns the new.
type RelationshipPatch struct {
	TenantID, ID, Type string
	ExpectedVersion    int64
	At                 time.Time
	Apply              func(data string) (string, error)
}

// NodeFilter narrows ListNodes; empty fields match everything.
type NodeFilter struct {
	NodeTypeID string
}

// RelationshipFilter narrows ListRelationships; empty fields match everything.
type RelationshipFilter struct {
	SourceNodeID, TargetNodeID, Type string
}
