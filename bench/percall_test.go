// Package bench measures flex-db's cost per call against a floor: bench/floor, a bare gRPC server over
// the same database that serves the same calls with grpc-go and the driver alone. Each server runs as a
// process of its own, so what it spends is read from the kernel (/proc/<pid>/stat, user and system
// time over all threads) and from its own Go runtime (go_memstats_mallocs_total on its metrics
// listener), never mixed with the client's. The same load, 16 and then 256 concurrent callers over one
// loopback gRPC connection, runs against flex-db and the floor in turn, twice (flexdb, floor, flexdb#01, floor#01),
// so that a noisy neighbour shows as a disagreement between rounds rather than as a ratio.
//
//	flock /tmp/flexdb-heavy.lock go test -run '^$' -bench PerCall -benchtime 2s ./bench/
//
// Per scenario it reports calls/s, server-us/call (server CPU per call), server-allocs/call and the
// server's RSS after the run. flex-db runs in development mode (no authentication, as the floor has
// none) with its default logging: one JSON line per call, to a pipe the benchmark drains.
package bench_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/pgtest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// callers are how many goroutines call at once: 16, as ghz -c 16 does, and 256, for the memory a
// crowd of callers costs.
var callers = []int{16, 256}

// rounds is how many times each server is measured per scenario, alternating.
const rounds = 2

// binaries are built once per test binary, on the first benchmark, so that `go test ./...` (which runs
// no benchmark) builds nothing.
var binaries struct {
	once          sync.Once
	dir           string
	flexdb, floor string
	err           error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

func build(b *testing.B) (flexdb, floor string) {
	binaries.once.Do(func() {
		if binaries.dir, binaries.err = os.MkdirTemp("", "flexdb-bench-"); binaries.err != nil {
			return
		}
		if binaries.flexdb, binaries.err = flexdbtest.Build(binaries.dir); binaries.err != nil {
			return
		}
		binaries.floor, binaries.err = flexdbtest.BuildCommand(binaries.dir, "./bench/floor")
	})
	if binaries.err != nil {
		b.Fatal(binaries.err)
	}
	return binaries.flexdb, binaries.floor
}

// engines are the database flags both servers get: the same SQLite file, or the same PostgreSQL schema.
var engines = []struct {
	name string
	args func(b *testing.B) []string
}{
	{"sqlite", func(b *testing.B) []string { return []string{"--data-dir", b.TempDir()} }},
	{"postgres", func(b *testing.B) []string { return []string{"--database-url", pgtest.URL(b)} }},
}

// fixture is what flex-db wrote before the runs: a tenant to read (seeded nodes) and one to write.
type fixture struct {
	readTenant  string
	readNodes   []string
	writeTenant string
	writeType   string
	source      string // two nodes of the write tenant, for relationships
	target      string
}

const (
	bookSchema = `{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`
	seeded     = 200
	pageSize   = 50
)

// scenarios are the calls measured; each returns one call for a caller goroutine to repeat.
var scenarios = []struct {
	name string
	call func(f fixture, conn *grpc.ClientConn) func(ctx context.Context) error
}{
	{"GetNode", func(f fixture, conn *grpc.ClientConn) func(context.Context) error {
		c := pb.NewNodeServiceClient(conn)
		i := int(start.Add(37))
		return func(ctx context.Context) error {
			i = (i + 1) % len(f.readNodes)
			_, err := c.GetNode(ctx, &pb.GetNodeRequest{TenantId: f.readTenant, Id: f.readNodes[i]})
			return err
		}
	}},
	{"CreateNode", func(f fixture, conn *grpc.ClientConn) func(context.Context) error {
		c := pb.NewNodeServiceClient(conn)
		req := &pb.CreateNodeRequest{TenantId: f.writeTenant, NodeTypeId: f.writeType, Data: `{"pages":412,"title":"Dune","author":"Frank Herbert"}`}
		return func(ctx context.Context) error {
			_, err := c.CreateNode(ctx, req)
			return err
		}
	}},
	{"ListNodes", func(f fixture, conn *grpc.ClientConn) func(context.Context) error {
		c := pb.NewNodeServiceClient(conn)
		req := &pb.ListNodesRequest{TenantId: f.readTenant, Pagination: &pb.Pagination{PageSize: pageSize}}
		return func(ctx context.Context) error {
			r, err := c.ListNodes(ctx, req)
			if err == nil && len(r.Nodes) != pageSize {
				err = fmt.Errorf("ListNodes answered %d nodes, want %d", len(r.Nodes), pageSize)
			}
			return err
		}
	}},
	{"CreateRelationship", func(f fixture, conn *grpc.ClientConn) func(context.Context) error {
		c := pb.NewRelationshipServiceClient(conn)
		req := &pb.CreateRelationshipRequest{TenantId: f.writeTenant, SourceNodeId: f.source, TargetNodeId: f.target, RelationshipType: "cites", Data: `{"weight":1}`}
		return func(ctx context.Context) error {
			_, err := c.CreateRelationship(ctx, req)
			return err
		}
	}},
}

// start spreads the GetNode callers over the seeded nodes.
var start atomic.Int64

// server is one process under load and the client connection that loads it.
type server struct {
	name string
	proc *flexdbtest.Process
	conn *grpc.ClientConn
}

func BenchmarkPerCall(b *testing.B) {
	flexdbBin, floorBin := build(b)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			args := e.args(b)
			// flex-db first: it migrates the database the floor then serves.
			flexdb := flexdbtest.Run(b, flexdbBin, nil, append([]string{"--dev", "--rate-limit", "0"}, args...)...)
			servers := []server{{name: "flexdb", proc: flexdb, conn: dial(b, flexdb.GRPC)}}
			f := seed(b, servers[0].conn)
			floor := flexdbtest.Run(b, floorBin, nil, args...)
			servers = append(servers, server{name: "floor", proc: floor, conn: dial(b, floor.GRPC)})
			sameNode(b, f, servers)
			for _, sc := range scenarios {
				for _, n := range callers {
					b.Run(fmt.Sprintf("%s/%d-callers", sc.name, n), func(b *testing.B) {
						for range rounds {
							for _, s := range servers {
								b.Run(s.name, func(b *testing.B) { measure(b, s, n, func() func(context.Context) error { return sc.call(f, s.conn) }) })
							}
						}
					})
				}
			}
		})
	}
}

// measure runs b.N calls from callers goroutines (each with its own call, from newCall) and reports
// what the server spent on them.
func measure(b *testing.B, s server, callers int, newCall func() func(context.Context) error) {
	// Reading the metrics allocates in the server: the first two reads measure what one costs, which
	// is taken off the run's count.
	m0, m1 := metric(b, s.proc, "go_memstats_mallocs_total"), metric(b, s.proc, "go_memstats_mallocs_total")
	cpu0, err := s.proc.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(loop *testing.PB) {
		ctx, call := context.Background(), newCall()
		for loop.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu1, err := s.proc.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	m2 := metric(b, s.proc, "go_memstats_mallocs_total")
	rss, err := s.proc.RSS()
	if err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/n, "server-us/call")
	b.ReportMetric(max(0, (m2-m1)-(m1-m0))/n, "server-allocs/call")
	b.ReportMetric(float64(rss)/(1<<20), "server-RSS-MB")
}

func metric(b *testing.B, p *flexdbtest.Process, name string) float64 {
	b.Helper()
	v, err := p.Metric(name)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func dial(b *testing.B, addr string) *grpc.ClientConn {
	b.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// seed writes the fixture through flex-db, so that its rules made every row both servers read.
func seed(b *testing.B, conn *grpc.ClientConn) fixture {
	b.Helper()
	ctx := context.Background()
	tenants, types, nodes := pb.NewTenantServiceClient(conn), pb.NewNodeTypeServiceClient(conn), pb.NewNodeServiceClient(conn)
	newTenant := func(slug string) (tenant, typ string) {
		t, err := tenants.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: slug, Name: slug})
		if err != nil {
			b.Fatal(err)
		}
		nt, err := types.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: t.Tenant.Id, Name: "book", Schema: bookSchema})
		if err != nil {
			b.Fatal(err)
		}
		return t.Tenant.Id, nt.NodeType.Id
	}
	newNode := func(tenant, typ string, i int) string {
		n, err := nodes.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: tenant, NodeTypeId: typ, Data: fmt.Sprintf(`{"title": "Book %d", "pages": %d}`, i, 100+i)})
		if err != nil {
			b.Fatal(err)
		}
		return n.Node.Id
	}
	var f fixture
	var readType string
	f.readTenant, readType = newTenant("reads")
	for i := range seeded {
		f.readNodes = append(f.readNodes, newNode(f.readTenant, readType, i))
	}
	f.writeTenant, f.writeType = newTenant("writes")
	f.source, f.target = newNode(f.writeTenant, f.writeType, 0), newNode(f.writeTenant, f.writeType, 1)
	return f
}

// sameNode checks that both servers answer GetNode alike, so that the floor serves what flex-db does.
func sameNode(b *testing.B, f fixture, servers []server) {
	b.Helper()
	var first *pb.GetNodeResponse
	for _, s := range servers {
		r, err := pb.NewNodeServiceClient(s.conn).GetNode(context.Background(), &pb.GetNodeRequest{TenantId: f.readTenant, Id: f.readNodes[0]})
		if err != nil {
			b.Fatalf("%s GetNode: %v", s.name, err)
		}
		if first == nil {
			first = r
		} else if !proto.Equal(first, r) {
			b.Fatalf("%s answers GetNode %v, %s answers %v", servers[0].name, first, s.name, r)
		}
	}
}
