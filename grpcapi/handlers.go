// Package grpcapi serves the service layer over gRPC: it translates between the dbaas proto and domain
// types, maps domain errors to gRPC statuses, and holds the interceptors every call passes through
// (REST and JSON-RPC reach the service through the same gRPC server, so they pass through them too).
package grpcapi

import (
	"context"

	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc"
)

// handlers implements the dbaas services; each method only translates.
type handlers struct {
	pb.UnimplementedTenantServiceServer
	pb.UnimplementedUserServiceServer
	pb.UnimplementedNodeTypeServiceServer
	pb.UnimplementedNodeServiceServer
	pb.UnimplementedRelationshipServiceServer
	pb.UnimplementedKeyServiceServer
	pb.UnimplementedRoleServiceServer
	svc *service.Service
}

// Register adds the dbaas services to s.
func Register(s grpc.ServiceRegistrar, svc *service.Service) {
	h := &handlers{svc: svc}
	pb.RegisterTenantServiceServer(s, h)
	pb.RegisterUserServiceServer(s, h)
	pb.RegisterNodeTypeServiceServer(s, h)
	pb.RegisterNodeServiceServer(s, h)
	pb.RegisterRelationshipServiceServer(s, h)
	pb.RegisterKeyServiceServer(s, h)
	pb.RegisterRoleServiceServer(s, h)
}

// ---- tenants ----

func (h *handlers) CreateTenant(ctx context.Context, r *pb.CreateTenantRequest) (*pb.CreateTenantResponse, error) {
	t, err := h.svc.CreateTenant(ctx, r.Slug, r.Name)
	if err != nil {
		return nil, err
	}
	return &pb.CreateTenantResponse{Tenant: tenantPB(t)}, nil
}

func (h *handlers) GetTenant(ctx context.Context, r *pb.GetTenantRequest) (*pb.GetTenantResponse, error) {
	t, err := h.svc.GetTenant(ctx, r.Id)
	if err != nil {
		return nil, err
	}
	return &pb.GetTenantResponse{Tenant: tenantPB(t)}, nil
}

func (h *handlers) UpdateTenant(ctx context.Context, r *pb.UpdateTenantRequest) (*pb.UpdateTenantResponse, error) {
	t, err := h.svc.UpdateTenant(ctx, service.TenantUpdate{ID: r.Id, Slug: r.Slug, Name: r.Name, Status: r.Status, ExpectedVersion: r.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &pb.UpdateTenantResponse{Tenant: tenantPB(t)}, nil
}

func (h *handlers) DeleteTenant(ctx context.Context, r *pb.DeleteTenantRequest) (*pb.DeleteTenantResponse, error) {
	return &pb.DeleteTenantResponse{}, h.svc.DeleteTenant(ctx, r.Id, r.ExpectedVersion)
}

func (h *handlers) ListTenants(ctx context.Context, r *pb.ListTenantsRequest) (*pb.ListTenantsResponse, error) {
	p, err := h.svc.ListTenants(ctx, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListTenantsResponse{Tenants: each(p.Items, tenantPB), Pagination: pageResponse(p)}, nil
}

// ---- users and memberships ----

func (h *handlers) CreateUser(ctx context.Context, r *pb.CreateUserRequest) (*pb.CreateUserResponse, error) {
	u, err := h.svc.CreateUser(ctx, r.Email, r.DisplayName)
	if err != nil {
		return nil, err
	}
	return &pb.CreateUserResponse{User: userPB(u)}, nil
}

func (h *handlers) GetUser(ctx context.Context, r *pb.GetUserRequest) (*pb.GetUserResponse, error) {
	u, err := h.svc.GetUser(ctx, r.Id)
	if err != nil {
		return nil, err
	}
	return &pb.GetUserResponse{User: userPB(u)}, nil
}

func (h *handlers) UpdateUser(ctx context.Context, r *pb.UpdateUserRequest) (*pb.UpdateUserResponse, error) {
	u, err := h.svc.UpdateUser(ctx, service.UserUpdate{ID: r.Id, Email: r.Email, DisplayName: r.DisplayName, ExpectedVersion: r.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &pb.UpdateUserResponse{User: userPB(u)}, nil
}

func (h *handlers) DeleteUser(ctx context.Context, r *pb.DeleteUserRequest) (*pb.DeleteUserResponse, error) {
	return &pb.DeleteUserResponse{}, h.svc.DeleteUser(ctx, r.Id, r.ExpectedVersion)
}

func (h *handlers) ListUsers(ctx context.Context, r *pb.ListUsersRequest) (*pb.ListUsersResponse, error) {
	p, err := h.svc.ListUsers(ctx, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListUsersResponse{Users: each(p.Items, userPB), Pagination: pageResponse(p)}, nil
}

func (h *handlers) AddUserToTenant(ctx context.Context, r *pb.AddUserToTenantRequest) (*pb.AddUserToTenantResponse, error) {
	m, err := h.svc.AddUserToTenant(ctx, r.TenantId, r.UserId, r.Role)
	if err != nil {
		return nil, err
	}
	return &pb.AddUserToTenantResponse{TenantUser: memberPB(m)}, nil
}

func (h *handlers) RemoveUserFromTenant(ctx context.Context, r *pb.RemoveUserFromTenantRequest) (*pb.RemoveUserFromTenantResponse, error) {
	return &pb.RemoveUserFromTenantResponse{}, h.svc.RemoveUserFromTenant(ctx, r.TenantId, r.UserId)
}

func (h *handlers) ListTenantUsers(ctx context.Context, r *pb.ListTenantUsersRequest) (*pb.ListTenantUsersResponse, error) {
	p, err := h.svc.ListTenantUsers(ctx, r.TenantId, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListTenantUsersResponse{TenantUsers: each(p.Items, memberPB), Pagination: pageResponse(p)}, nil
}

// ---- custom roles ----

func (h *handlers) CreateRole(ctx context.Context, r *pb.CreateRoleRequest) (*pb.CreateRoleResponse, error) {
	x, err := h.svc.CreateRole(ctx, r.TenantId, r.Name, r.Permissions)
	if err != nil {
		return nil, err
	}
	return &pb.CreateRoleResponse{Role: rolePB(x)}, nil
}

func (h *handlers) GetRole(ctx context.Context, r *pb.GetRoleRequest) (*pb.GetRoleResponse, error) {
	x, err := h.svc.GetRole(ctx, r.TenantId, r.Name)
	if err != nil {
		return nil, err
	}
	return &pb.GetRoleResponse{Role: rolePB(x)}, nil
}

func (h *handlers) UpdateRole(ctx context.Context, r *pb.UpdateRoleRequest) (*pb.UpdateRoleResponse, error) {
	x, err := h.svc.UpdateRole(ctx, service.RoleUpdate{TenantID: r.TenantId, Name: r.Name, Permissions: r.Permissions, ExpectedVersion: r.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &pb.UpdateRoleResponse{Role: rolePB(x)}, nil
}

func (h *handlers) DeleteRole(ctx context.Context, r *pb.DeleteRoleRequest) (*pb.DeleteRoleResponse, error) {
	return &pb.DeleteRoleResponse{}, h.svc.DeleteRole(ctx, r.TenantId, r.Name, r.ExpectedVersion)
}

func (h *handlers) ListRoles(ctx context.Context, r *pb.ListRolesRequest) (*pb.ListRolesResponse, error) {
	p, err := h.svc.ListRoles(ctx, r.TenantId, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListRolesResponse{Roles: each(p.Items, rolePB), Pagination: pageResponse(p)}, nil
}

// ---- node types ----

func (h *handlers) CreateNodeType(ctx context.Context, r *pb.CreateNodeTypeRequest) (*pb.CreateNodeTypeResponse, error) {
	t, err := h.svc.CreateNodeType(ctx, r.TenantId, r.Name, r.Description, r.Schema)
	if err != nil {
		return nil, err
	}
	return &pb.CreateNodeTypeResponse{NodeType: nodeTypePB(t)}, nil
}

func (h *handlers) GetNodeType(ctx context.Context, r *pb.GetNodeTypeRequest) (*pb.GetNodeTypeResponse, error) {
	t, err := h.svc.GetNodeType(ctx, r.TenantId, r.Id)
	if err != nil {
		return nil, err
	}
	return &pb.GetNodeTypeResponse{NodeType: nodeTypePB(t)}, nil
}

func (h *handlers) UpdateNodeType(ctx context.Context, r *pb.UpdateNodeTypeRequest) (*pb.UpdateNodeTypeResponse, error) {
	t, err := h.svc.UpdateNodeType(ctx, service.NodeTypeUpdate{TenantID: r.TenantId, ID: r.Id, Name: r.Name,
		Description: r.Description, Schema: r.Schema, ExpectedVersion: r.ExpectedVersion})
	if err != nil {
		return nil, err
	}
	return &pb.UpdateNodeTypeResponse{NodeType: nodeTypePB(t)}, nil
}

func (h *handlers) DeleteNodeType(ctx context.Context, r *pb.DeleteNodeTypeRequest) (*pb.DeleteNodeTypeResponse, error) {
	return &pb.DeleteNodeTypeResponse{}, h.svc.DeleteNodeType(ctx, r.TenantId, r.Id, r.Cascade, r.ExpectedVersion)
}

func (h *handlers) ListNodeTypes(ctx context.Context, r *pb.ListNodeTypesRequest) (*pb.ListNodeTypesResponse, error) {
	p, err := h.svc.ListNodeTypes(ctx, r.TenantId, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListNodeTypesResponse{NodeTypes: each(p.Items, nodeTypePB), Pagination: pageResponse(p)}, nil
}

// ---- nodes ----

func (h *handlers) CreateNode(ctx context.Context, r *pb.CreateNodeRequest) (*pb.CreateNodeResponse, error) {
	n, err := h.svc.CreateNode(ctx, r.TenantId, r.NodeTypeId, r.Data)
	if err != nil {
		return nil, err
	}
	return &pb.CreateNodeResponse{Node: nodePB(n)}, nil
}

func (h *handlers) GetNode(ctx context.Context, r *pb.GetNodeRequest) (*pb.GetNodeResponse, error) {
	n, err := h.svc.GetNode(ctx, r.TenantId, r.Id)
	if err != nil {
		return nil, err
	}
	return &pb.GetNodeResponse{Node: nodePB(n)}, nil
}

func (h *handlers) UpdateNode(ctx context.Context, r *pb.UpdateNodeRequest) (*pb.UpdateNodeResponse, error) {
	n, err := h.svc.UpdateNode(ctx, r.TenantId, r.Id, r.Data, r.Patch, r.ExpectedVersion)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateNodeResponse{Node: nodePB(n)}, nil
}

func (h *handlers) DeleteNode(ctx context.Context, r *pb.DeleteNodeRequest) (*pb.DeleteNodeResponse, error) {
	return &pb.DeleteNodeResponse{}, h.svc.DeleteNode(ctx, r.TenantId, r.Id, r.ExpectedVersion)
}

func (h *handlers) ListNodes(ctx context.Context, r *pb.ListNodesRequest) (*pb.ListNodesResponse, error) {
	p, err := h.svc.ListNodes(ctx, r.TenantId, service.NodeFilter{NodeTypeID: r.NodeTypeId}, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListNodesResponse{Nodes: each(p.Items, nodePB), Pagination: pageResponse(p)}, nil
}

// ---- relationships ----

func (h *handlers) CreateRelationship(ctx context.Context, r *pb.CreateRelationshipRequest) (*pb.CreateRelationshipResponse, error) {
	x, err := h.svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: r.TenantId, SourceNodeID: r.SourceNodeId,
		TargetNodeID: r.TargetNodeId, Type: r.RelationshipType, Data: r.Data})
	if err != nil {
		return nil, err
	}
	return &pb.CreateRelationshipResponse{Relationship: relationshipPB(x)}, nil
}

func (h *handlers) GetRelationship(ctx context.Context, r *pb.GetRelationshipRequest) (*pb.GetRelationshipResponse, error) {
	x, err := h.svc.GetRelationship(ctx, r.TenantId, r.Id)
	if err != nil {
		return nil, err
	}
	return &pb.GetRelationshipResponse{Relationship: relationshipPB(x)}, nil
}

func (h *handlers) UpdateRelationship(ctx context.Context, r *pb.UpdateRelationshipRequest) (*pb.UpdateRelationshipResponse, error) {
	x, err := h.svc.UpdateRelationship(ctx, service.RelationshipUpdate{TenantID: r.TenantId, ID: r.Id, Type: r.RelationshipType,
		Data: r.Data, ExpectedVersion: r.ExpectedVersion}, r.Patch)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateRelationshipResponse{Relationship: relationshipPB(x)}, nil
}

func (h *handlers) DeleteRelationship(ctx context.Context, r *pb.DeleteRelationshipRequest) (*pb.DeleteRelationshipResponse, error) {
	return &pb.DeleteRelationshipResponse{}, h.svc.DeleteRelationship(ctx, r.TenantId, r.Id, r.ExpectedVersion)
}

func (h *handlers) ListRelationships(ctx context.Context, r *pb.ListRelationshipsRequest) (*pb.ListRelationshipsResponse, error) {
	p, err := h.svc.ListRelationships(ctx, r.TenantId, service.RelationshipFilter{SourceNodeID: r.SourceNodeId,
		TargetNodeID: r.TargetNodeId, Type: r.RelationshipType}, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListRelationshipsResponse{Relationships: each(p.Items, relationshipPB), Pagination: pageResponse(p)}, nil
}

// ---- keys ----

func (h *handlers) CreateApiKey(ctx context.Context, r *pb.CreateApiKeyRequest) (*pb.CreateApiKeyResponse, error) {
	k, secret, err := h.svc.CreateAPIKey(ctx, r.TenantId, r.Name, r.UserId, r.Role)
	if err != nil {
		return nil, err
	}
	return &pb.CreateApiKeyResponse{ApiKey: keyPB(k), Secret: secret}, nil
}

func (h *handlers) ListApiKeys(ctx context.Context, r *pb.ListApiKeysRequest) (*pb.ListApiKeysResponse, error) {
	p, err := h.svc.ListAPIKeys(ctx, r.TenantId, pageRequest(r.Pagination))
	if err != nil {
		return nil, err
	}
	return &pb.ListApiKeysResponse{ApiKeys: each(p.Items, keyPB), Pagination: pageResponse(p)}, nil
}

func (h *handlers) RevokeApiKey(ctx context.Context, r *pb.RevokeApiKeyRequest) (*pb.RevokeApiKeyResponse, error) {
	return &pb.RevokeApiKeyResponse{}, h.svc.RevokeAPIKey(ctx, r.TenantId, r.Id)
}

func (h *handlers) WhoAmI(ctx context.Context, _ *pb.WhoAmIRequest) (*pb.WhoAmIResponse, error) {
	p, err := h.svc.WhoAmI(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.WhoAmIResponse{Kind: p.Kind, KeyId: p.KeyID, TenantId: p.TenantID, UserId: p.UserID, Role: p.Role}, nil
}
