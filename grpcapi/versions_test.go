package grpcapi_test

import (
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/storetest"
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

// An update that leaves data out changes the version alone, in one statement: racing updates that set
// data lose none of theirs, through the whole stack (the service neither reads nor writes back the data).
func TestUpdateWithoutDataLosesNoConcurrentWrite(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		tenant := c.newTenant(t)
		nt := c.newNodeType(t, tenant.Id, "")
		node := c.newNode(t, tenant.Id, nt.Id, `{"n": 1}`)
		a, b := c.newNode(t, tenant.Id, nt.Id, ""), c.newNode(t, tenant.Id, nt.Id, "")
		rel := c.newRelationship(t, tenant.Id, a.Id, b.Id)
		for _, row := range []struct {
			name, first string
			update      func(data string) (storetest.RacedUpdate, error)
		}{
			{"UpdateNode", node.Data, func(data string) (storetest.RacedUpdate, error) {
				r, err := c.UpdateNode(t.Context(), &pb.UpdateNodeRequest{TenantId: tenant.Id, Id: node.Id, Data: data})
				return storetest.RacedUpdate{Sent: data, Data: r.GetNode().GetData(), Version: r.GetNode().GetVersion()}, err
			}},
			{"UpdateRelationship", rel.Data, func(data string) (storetest.RacedUpdate, error) {
				r, err := c.UpdateRelationship(t.Context(), &pb.UpdateRelationshipRequest{TenantId: tenant.Id, Id: rel.Id, Data: data})
				rr := r.GetRelationship()
				return storetest.RacedUpdate{Sent: data, Data: rr.GetData(), Version: rr.GetVersion()}, err
			}},
		} {
			t.Run(row.name, func(t *testing.T) {
				if err := storetest.LostUpdate(row.first, storetest.Race(t, 8, 10, row.update)); err != nil {
					t.Fatal(err)
				}
			})
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
