package grpcapi

import (
	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func pageRequest(p *pb.Pagination) service.PageRequest {
	return service.PageRequest{Size: p.GetPageSize(), Token: p.GetPageToken()}
}

func pageResponse[T any](p flexdb.Page[T]) *pb.PaginationResponse {
	return &pb.PaginationResponse{NextPageToken: p.NextToken, TotalCount: int32(p.Total)}
}

// each converts every item of a page.
func each[T, P any](items []T, conv func(*T) P) []P {
	out := make([]P, len(items))
	for i := range items {
		out[i] = conv(&items[i])
	}
	return out
}

func tenantPB(t *flexdb.Tenant) *pb.Tenant {
	return &pb.Tenant{Id: t.ID, Slug: t.Slug, Name: t.Name, Status: t.Status,
		CreatedAt: timestamppb.New(t.CreatedAt), UpdatedAt: timestamppb.New(t.UpdatedAt), Version: t.Version}
}

func userPB(u *flexdb.User) *pb.User {
	return &pb.User{Id: u.ID, Email: u.Email, DisplayName: u.DisplayName,
		CreatedAt: timestamppb.New(u.CreatedAt), UpdatedAt: timestamppb.New(u.UpdatedAt), Version: u.Version}
}

func memberPB(m *flexdb.Membership) *pb.TenantUser {
	return &pb.TenantUser{TenantId: m.TenantID, UserId: m.UserID, Role: m.Role, Status: m.Status}
}

func rolePB(r *flexdb.Role) *pb.Role {
	return &pb.Role{TenantId: r.TenantID, Name: r.Name, Permissions: r.Permissions,
		CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt), Version: r.Version}
}

func nodeTypePB(t *flexdb.NodeType) *pb.NodeType {
	return &pb.NodeType{Id: t.ID, TenantId: t.TenantID, Name: t.Name, Description: t.Description, Schema: t.Schema,
		CreatedAt: timestamppb.New(t.CreatedAt), UpdatedAt: timestamppb.New(t.UpdatedAt), Version: t.Version}
}

func nodePB(n *flexdb.Node) *pb.Node {
	return &pb.Node{Id: n.ID, TenantId: n.TenantID, NodeTypeId: n.NodeTypeID, Data: n.Data,
		CreatedAt: timestamppb.New(n.CreatedAt), UpdatedAt: timestamppb.New(n.UpdatedAt), Version: n.Version}
}

func relationshipPB(r *flexdb.Relationship) *pb.Relationship {
	return &pb.Relationship{Id: r.ID, TenantId: r.TenantID, SourceNodeId: r.SourceNodeID, TargetNodeId: r.TargetNodeID,
		RelationshipType: r.Type, Data: r.Data,
		CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt), Version: r.Version}
}

func keyPB(k *flexdb.APIKey) *pb.ApiKey {
	out := &pb.ApiKey{Id: k.ID, TenantId: k.TenantID, Name: k.Name, UserId: k.UserID, Role: k.Role, CreatedAt: timestamppb.New(k.CreatedAt)}
	if k.RevokedAt != nil {
		out.RevokedAt = timestamppb.New(*k.RevokedAt)
	}
	return out
}
