package httpapi_test

// The cost of each protocol: the same calls, made in parallel against one server on SQLite, through
// gRPC, REST and JSON-RPC. REST and JSON-RPC reach the service through the same middleware, called in
// process (grpcapi.Direct), so their time over gRPC's is what the HTTP adapters cost.
//
//	go test -run '^$' -bench . -benchtime 2s ./httpapi/

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"google.golang.org/grpc/metadata"
)

func BenchmarkProtocols(b *testing.B) {
	s := start(b, sqlite(b), defaultOptions)
	w := newWorld(b, s)
	tenant, nodeType, node := w.get("tenant"), w.get("node_type"), w.get("node")
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", s.admin)
	nodes := pb.NewNodeServiceClient(s.conn)
	data := `{\"title\": \"bench\", \"pages\": 120, \"tags\": [\"a\", \"b\"]}`

	// Each call is one function per protocol; an error fails the benchmark.
	calls := []struct {
		name string
		grpc func() error
		rest func() (*http.Request, int)
		rpc  string
	}{
		{"CreateNode",
			func() error {
				_, err := nodes.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: tenant, NodeTypeId: nodeType, Data: strings.ReplaceAll(data, `\"`, `"`)})
				return err
			},
			func() (*http.Request, int) {
				req, _ := http.NewRequest(http.MethodPost, s.url+"/tenants/"+tenant+"/nodes", strings.NewReader(`{"node_type_id": "`+nodeType+`", "data": "`+data+`"}`))
				req.Header.Set("Content-Type", "application/json")
				return req, http.StatusCreated
			},
			`{"jsonrpc": "2.0", "method": "create_node", "params": {"tenant_id": "` + tenant + `", "node_type_id": "` + nodeType + `", "data": "` + data + `"}, "id": 1}`,
		},
		{"GetNode",
			func() error {
				_, err := nodes.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenant, Id: node})
				return err
			},
			func() (*http.Request, int) {
				req, _ := http.NewRequest(http.MethodGet, s.url+"/tenants/"+tenant+"/nodes/"+node, nil)
				return req, http.StatusOK
			},
			`{"jsonrpc": "2.0", "method": "get_node", "params": {"tenant_id": "` + tenant + `", "id": "` + node + `"}, "id": 1}`,
		},
	}

	for _, c := range calls {
		b.Run(c.name+"/grpc", func(b *testing.B) {
			b.RunParallel(func(loop *testing.PB) {
				for loop.Next() {
					if err := c.grpc(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(c.name+"/rest", func(b *testing.B) {
			b.RunParallel(func(loop *testing.PB) {
				for loop.Next() {
					req, want := c.rest()
					req.Header.Set("Authorization", s.admin)
					if err := roundTrip(s, req, want); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(c.name+"/jsonrpc", func(b *testing.B) {
			b.RunParallel(func(loop *testing.PB) {
				for loop.Next() {
					req, _ := http.NewRequest(http.MethodPost, s.url+"/jsonrpc", strings.NewReader(c.rpc))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", s.admin)
					if err := roundTrip(s, req, http.StatusOK); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// roundTrip sends req and reads the whole answer, which must have status want (and, for JSON-RPC, no
// error).
func roundTrip(s *stack, req *http.Request, want int) error {
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want || strings.Contains(string(body), `"error":`) {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return nil
}
