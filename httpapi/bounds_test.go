package httpapi_test

// Every response is bounded: a list page of large documents holds fewer items, a JSON-RPC batch stops
// running calls once its results are large, and no gRPC message passes the message limit.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// nearlyMiB is a node document just under the 1 MiB document limit.
var nearlyMiB = `{"blob": "` + strings.Repeat("x", 1<<20-100) + `"}`

// messageLimit is the production default of --max-body-bytes, the message limit both ways.
const messageLimit = 2 << 20

// largeNodes starts a stack on cfg with grpcOpts and makes n nodes of nearlyMiB in a tenant.
func largeNodes(t *testing.T, cfg sqlstore.Config, grpcOpts grpcapi.Options, n int) (*stack, *flexdb.Tenant, []string) {
	t.Helper()
	s := startStack(t, cfg, flexdbtest.Options{GRPC: grpcOpts, HTTP: defaultOptions})
	x, err := s.svc.CreateTenant(asAdmin(), "big", "Big")
	if err != nil {
		t.Fatal(err)
	}
	nt, err := s.svc.CreateNodeType(asAdmin(), x.ID, "Blob", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		node, err := s.svc.CreateNode(asAdmin(), x.ID, nt.ID, nearlyMiB)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, node.ID)
	}
	return s, x, ids
}

// asAdminCall is a gRPC call context carrying the stack's admin key.
func asAdminCall(s *stack) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", s.admin)
}

// A page of documents near 1 MiB holds one (the page bound is half the 2 MiB message limit, by stored
// size), with a next_page_token; following the tokens yields every node once, in order, on every
// protocol's list alike (the rule is the service's).
func TestLargeDocumentsComeInSmallerPages(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s, x, ids := largeNodes(t, e.Config(t), grpcapi.Options{MaxSendBytes: messageLimit}, 3)
			client := pb.NewNodeServiceClient(s.conn)
			var seen []string
			token := ""
			for range len(ids) + 1 {
				resp, err := client.ListNodes(asAdminCall(s), &pb.ListNodesRequest{TenantId: x.ID, Pagination: &pb.Pagination{PageSize: 10, PageToken: token}})
				if err != nil {
					t.Fatalf("ListNodes: %v", err)
				}
				if len(resp.Nodes) != 1 || resp.Pagination.TotalCount != int32(len(ids)) {
					t.Fatalf("a page of %d nodes of %d, want 1 of %d", len(resp.Nodes), resp.Pagination.TotalCount, len(ids))
				}
				seen = append(seen, resp.Nodes[0].Id)
				if token = resp.Pagination.NextPageToken; token == "" {
					break
				}
			}
			newestFirst := slices.Clone(ids)
			slices.Reverse(newestFirst)
			if strings.Join(seen, ",") != strings.Join(newestFirst, ",") {
				t.Errorf("pages gave %v, want %v (newest first)", seen, newestFirst)
			}

			r := s.do(t, http.MethodGet, "/tenants/"+x.ID+"/nodes?page_size=10", "", nil, "Authorization", s.admin)
			var page struct {
				Nodes      []json.RawMessage `json:"nodes"`
				Pagination struct {
					NextPageToken string `json:"next_page_token"`
				} `json:"pagination"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK {
				t.Fatalf("REST list: %d %v", r.status, err)
			}
			if len(page.Nodes) != 1 || page.Pagination.NextPageToken == "" || len(r.body) > messageLimit {
				t.Errorf("REST page: %d nodes, token %q, %d bytes; want 1 node, a token, at most %d bytes",
					len(page.Nodes), page.Pagination.NextPageToken, len(r.body), messageLimit)
			}
		})
	}
}

// A JSON-RPC batch runs its calls while their results stay under the message limit: two results near
// 1 MiB reach it, so the calls after them do not run (the create among them creates nothing) and each
// answers -32010 (too large) saying so.
func TestJSONRPCBatchStopsAtTheResponseLimit(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s, x, ids := largeNodes(t, e.Config(t), grpcapi.Options{MaxSendBytes: messageLimit}, 1)
			get := fmt.Sprintf(`{"tenant_id": %q, "id": %q}`, x.ID, ids[0])
			nts, err := s.svc.ListNodeTypes(asAdmin(), x.ID, service.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			create := fmt.Sprintf(`{"tenant_id": %q, "node_type_id": %q, "data": "{}"}`, x.ID, nts.Items[0].ID)
			var calls []string
			for i, c := range []struct{ method, params string }{{"get_node", get}, {"get_node", get}, {"get_node", get}, {"create_node", create}} {
				calls = append(calls, fmt.Sprintf(`{"jsonrpc": "2.0", "method": %q, "params": %s, "id": %d}`, c.method, c.params, i+1))
			}
			r := s.do(t, http.MethodPost, "/jsonrpc", "application/json", []byte("["+strings.Join(calls, ",")+"]"), "Authorization", s.admin)
			var replies []rpcReply
			if err := json.Unmarshal(r.body, &replies); err != nil || len(replies) != len(calls) {
				t.Fatalf("batch: %d replies (%v), want %d", len(replies), err, len(calls))
			}
			for i, reply := range replies {
				ran := i < 2
				if ran != (reply.Error == nil) {
					t.Errorf("call %s: error %+v, want it to have run: %v", reply.ID, reply.Error, ran)
				}
				if !ran && (reply.Error.Code != -32010 || reply.Error.Data.Code != "RESOURCE_EXHAUSTED" || !strings.Contains(reply.Error.Message, "not run")) {
					t.Errorf("call %s: %+v, want -32010 RESOURCE_EXHAUSTED saying it did not run", reply.ID, reply.Error)
				}
			}
			if page, err := s.svc.ListNodes(asAdmin(), x.ID, service.NodeFilter{}, service.PageRequest{Size: 1}); err != nil || page.Total != 1 {
				t.Errorf("%d nodes after the batch (%v), want 1: the refused create ran", page.Total, err)
			}
		})
	}
}

// No gRPC response passes the server's send limit: a node larger than it is RESOURCE_EXHAUSTED, not sent.
func TestGRPCResponsesStayWithinTheSendLimit(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s, x, ids := largeNodes(t, e.Config(t), grpcapi.Options{MaxSendBytes: 512 << 10}, 1)
			_, err := pb.NewNodeServiceClient(s.conn).GetNode(asAdminCall(s), &pb.GetNodeRequest{TenantId: x.ID, Id: ids[0]})
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("GetNode of a 1 MiB node with a 512 KiB send limit: %v, want ResourceExhausted", err)
			}
		})
	}
}
