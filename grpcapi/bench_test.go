package grpcapi_test

// Throughput of the hot calls through the whole stack: a gRPC client over loopback TCP, the middleware
// (with JSON logging of every call), the service's rules and JSON Schema check, and each engine. About
// 16 goroutines call at once over one connection, as a busy client pool would.
//
//	go test -run '^$' -bench . -benchtime 2s ./grpcapi/

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
)

// callers is how many goroutines call concurrently.
const callers = 16

// benchEachEngine runs bench as a sub-benchmark per engine, on a server of its own holding one tenant
// with a node type (bookSchema) and seeded nodes.
func benchEachEngine(b *testing.B, seeded int, bench func(b *testing.B, c *client, tenantID, typeID string, nodes []string)) {
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			cfg := e.Config(b)
			cfg.MaxConns = 32 // the server's default pool size (flexdb serve --db-max-conns)
			c := startLogging(b, cfg, io.Discard)
			tenant := c.newTenant(b)
			typ := c.newNodeType(b, tenant.Id, bookSchema)
			nodes := make([]string, seeded)
			for i := range nodes {
				nodes[i] = c.newNode(b, tenant.Id, typ.Id, fmt.Sprintf(`{"title": "Book %d", "pages": %d}`, i, 100+i)).Id
			}
			b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			bench(b, c, tenant.Id, typ.Id, nodes)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

func BenchmarkCreateNode(b *testing.B) {
	benchEachEngine(b, 0, func(b *testing.B, c *client, tenantID, typeID string, _ []string) {
		b.RunParallel(func(loop *testing.PB) {
			ctx := context.Background()
			req := &pb.CreateNodeRequest{TenantId: tenantID, NodeTypeId: typeID, Data: `{"title": "Dune", "author": "Frank Herbert", "pages": 412}`}
			for loop.Next() {
				if _, err := c.CreateNode(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkGetNode(b *testing.B) {
	benchEachEngine(b, 1000, func(b *testing.B, c *client, tenantID, _ string, nodes []string) {
		var next atomic.Int64
		b.RunParallel(func(loop *testing.PB) {
			ctx := context.Background()
			i := int(next.Add(97)) // each caller starts elsewhere in the seeded nodes
			for loop.Next() {
				i = (i + 1) % len(nodes)
				if _, err := c.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenantID, Id: nodes[i]}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkListNodes(b *testing.B) {
	benchEachEngine(b, 100, func(b *testing.B, c *client, tenantID, typeID string, _ []string) {
		b.RunParallel(func(loop *testing.PB) {
			ctx := context.Background()
			req := &pb.ListNodesRequest{TenantId: tenantID, Pagination: &pb.Pagination{PageSize: 10}}
			for loop.Next() {
				r, err := c.ListNodes(ctx, req)
				if err != nil || len(r.Nodes) != 10 {
					b.Errorf("ListNodes: %d nodes, %v", len(r.GetNodes()), err)
					return
				}
			}
		})
	})
}
