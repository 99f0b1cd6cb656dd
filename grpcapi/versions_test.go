package grpcapi_test

import (
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read, change, write back with the version read: a concurrent writer's change is never lost, the
// second writer hears ABORTED instead.
func TestConditionalUpdateOverGRPC(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		tenant := c.newTenant(t)
		nt := c.newNodeType(t, tenant.Id, "")
		node := c.newNode(t, tenant.Id, nt.Id, `{"n": 1}`)
		cases := []struct {
			name     string
			expected int64
			want     codes.Code
		}{
			{"expecting the version read succeeds", 1, codes.OK},
			{"expecting that version again is aborted: another write came first", 1, codes.Aborted},
			{"expecting a version the node never had is aborted", 99, codes.Aborted},
			{"a negative version is invalid", -1, codes.InvalidArgument},
			{"no expectation always writes", 0, codes.OK},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.UpdateNode(t.Context(), &pb.UpdateNodeRequest{TenantId: tenant.Id, Id: node.Id, Data: `{"n": 2}`, ExpectedVersion: tc.expected})
				if got := status.Code(err); got != tc.want {
					t.Fatalf("UpdateNode(expected_version=%d) = %v, want %v", tc.expected, err, tc.want)
				}
			})
		}
		got, err := c.GetNode(t.Context(), &pb.GetNodeRequest{TenantId: tenant.Id, Id: node.Id})
		if err != nil || got.Node.Version != 3 {
			t.Fatalf("after two updates that happened: %v, version %d, want 3", err, got.GetNode().GetVersion())
		}
	})
}

// A delete may name the version read too: on another version it is ABORTED and deletes nothing.
func TestConditionalDeleteOverGRPC(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		tenant := c.newTenant(t)
		nt := c.newNodeType(t, tenant.Id, "")
		node := c.newNode(t, tenant.Id, nt.Id, `{"n": 1}`)
		for _, tc := range []struct {
			name     string
			expected int64
			want     codes.Code
		}{
			{"a negative version is invalid", -1, codes.InvalidArgument},
			{"expecting a version the node does not have is aborted", 2, codes.Aborted},
			{"expecting the version read deletes", 1, codes.OK},
			{"the node is gone", 1, codes.NotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.DeleteNode(t.Context(), &pb.DeleteNodeRequest{TenantId: tenant.Id, Id: node.Id, ExpectedVersion: tc.expected})
				if got := status.Code(err); got != tc.want {
					t.Fatalf("DeleteNode(expected_version=%d) = %v, want %v", tc.expected, err, tc.want)
				}
			})
		}
	})
}
