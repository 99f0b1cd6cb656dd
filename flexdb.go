// Package flexdb holds the domain of flex-db: tenants, users and their memberships, and inside a tenant
// node types, nodes and relationships, with the typed errors every layer speaks. It depends on nothing
// else in the module; the service, store and protocol packages all depend on it.
package flexdb

import "time"

// Tenant statuses. A suspended tenant keeps its data.
const (
	TenantActive    = "active"
	TenantSuspended = "suspended"
)

// The built-in membership roles, strongest first. A role is free text: any other name is a role the
// tenant may define (Role), which grants nothing until it does.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleViewer = "viewer"
)

// MembershipActive is the only membership status so far; the field exists for the original contract.
const MembershipActive = "active"

// Tenant is one customer of the service: everything else but users lives inside one.
type Tenant struct {
	ID        string
	Slug      string
	Name      string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// User is a person, global to the service; memberships tie users to tenants.
type User struct {
	ID          string
	Email       string
	DisplayName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Membership is a user's place in a tenant.
type Membership struct {
	TenantID string
	UserID   string
	Role     string
	Status   string
}

// Role is a role a tenant defined: what a membership or key of that name may do. ID orders the tenant's
// roles by creation for paging; Name is the key clients use.
type Role struct {
	ID          string
	TenantID    string
	Name        string
	Permissions []string // sorted, without repeats
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// NodeType declares a kind of document within a tenant; Schema is a JSON Schema every node must satisfy.
type NodeType struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	Schema      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Node is a JSON document of a NodeType. Data is canonical JSON text (see package jsondoc).
type Node struct {
	ID         string
	TenantID   string
	NodeTypeID string
	Data       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// Relationship is a typed, directed edge between two nodes of one tenant, with JSON data of its own.
type Relationship struct {
	ID           string
	TenantID     string
	SourceNodeID string
	TargetNodeID string
	Type         string
	Data         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Page is one page of a list: its items, the token of the next page ("" on the last) and the number of
// items matching the query over all pages.
type Page[T any] struct {
	Items     []T
	NextToken string
	Total     int
}
