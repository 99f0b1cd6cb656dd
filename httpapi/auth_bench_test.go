package httpapi_test

// What authentication costs a call. The key check is cached for service.RevocationBound, so a busy key
// costs one database read per period, not one per call: TestKeyChecksAreCached counts the store's key
// lookups. The benchmarks time GetNode over gRPC with authentication off (development mode), with a
// tenant key and with the platform admin key (compared by hash, never looked up):
//
//	go test -run '^$' -bench 'Auth' -benchtime 2s ./httpapi/

import (
	"context"

	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc/metadata"
)

// countingKeys counts the key lookups that reach the store.
type countingKeys struct {
	service.KeyStore
	n atomic.Int64
}

func (c *countingKeys) KeyPrincipal(ctx context.Context, hash string) (flexdb.Principal, error) {
	c.n.Add(1)
	return c.KeyStore.KeyPrincipal(ctx, hash)
}

func countingStack(t testing.TB, so flexdbtest.Options) (*stack, *countingKeys) {
	keys := &countingKeys{}
	so.Keys = func(ks service.KeyStore) service.KeyStore { keys.KeyStore = ks; return keys }
	return startStack(t, sqlite(t), so), keys
}

// getNodes makes n GetNode calls (or as many as fit in d, if d > 0) with auth from callers goroutines
// at once, and returns how long they took.
func getNodes(t testing.TB, s *stack, auth, tenant, node string, n, callers int, d time.Duration) time.Duration {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", auth)
	client := pb.NewNodeServiceClient(s.conn)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for (d > 0 && time.Since(start) < d) || (d == 0 && next.Add(1) <= int64(n)) {
				if _, err := client.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenant, Id: node}); err != nil {
					t.Errorf("GetNode: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// 1000 calls with one key, 16 at a time, cost at most one store lookup per RevocationBound they span
// (plus one for a period boundary), not one per call; so do calls from 32 goroutines at once for more
// than two periods, whose callers all find the entry expired at once; the admin key needs no lookup and
// a refused key is cached as well.
func TestKeyChecksAreCached(t *testing.T) {
	const calls, callers = 1000, 16
	s, keys := countingStack(t, flexdbtest.Options{HTTP: defaultOptions})
	w := newTenancy(t, s)
	tenant, node := w.get("tenant"), w.get("node")
	bound := func(took time.Duration) int64 { return int64(took/service.RevocationBound) + 2 }

	t.Run("tenant_key", func(t *testing.T) {
		before := keys.n.Load()
		took := getNodes(t, s, w.key(flexdb.RoleViewer).auth(), tenant, node, calls, callers, 0)
		if n := keys.n.Load() - before; n > bound(took) {
			t.Errorf("%d calls in %s made %d key lookups, want at most %d", calls, took, n, bound(took))
		} else {
			t.Logf("%d calls in %s made %d key lookups", calls, took.Round(time.Millisecond), n)
		}
	})
	t.Run("busy_key_across_periods", func(t *testing.T) {
		before := keys.n.Load()
		took := getNodes(t, s, w.key(flexdb.RoleMember).auth(), tenant, node, 0, 2*callers, 2*service.RevocationBound+200*time.Millisecond)
		if n := keys.n.Load() - before; n > bound(took) {
			t.Errorf("calls for %s made %d key lookups, want at most %d", took, n, bound(took))
		} else {
			t.Logf("calls for %s made %d key lookups", took.Round(time.Millisecond), n)
		}
	})
	t.Run("admin_key", func(t *testing.T) {
		before := keys.n.Load()
		getNodes(t, s, s.admin, tenant, node, calls, callers, 0)
		if n := keys.n.Load() - before; n != 0 {
			t.Errorf("the admin key made %d key lookups, want 0", n)
		}
	})
	t.Run("unknown_key", func(t *testing.T) {
		before := keys.n.Load()
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+unknownSecret(s))
		client := pb.NewNodeServiceClient(s.conn)
		start := time.Now()
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range calls / callers {
					if _, err := client.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenant, Id: node}); err == nil {
						t.Error("an unknown key was accepted")
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		if n := keys.n.Load() - before; n > bound(took) {
			t.Errorf("%d refused calls in %s made %d key lookups, want at most %d", calls, took, n, bound(took))
		}
	})
}

// BenchmarkAuthCost: GetNode over gRPC as the benchmarks of grpcapi call it (16 callers on one
// connection), by how the caller is authenticated. key/dev is the cost of authentication per call.
func BenchmarkAuthCost(b *testing.B) {
	for _, mode := range []string{"development", "tenant_key", "admin_key"} {
		b.Run(mode, func(b *testing.B) {
			so := flexdbtest.Options{HTTP: defaultOptions}
			so.GRPC = grpcapi.Options{Development: mode == "development"}
			s, keys := countingStack(b, so)
			w := newTenancy(b, s)
			tenant, node := w.get("tenant"), w.get("node")
			auth := s.admin
			if mode == "tenant_key" {
				auth = w.key(flexdb.RoleViewer).auth()
			}
			ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", auth)
			client := pb.NewNodeServiceClient(s.conn)
			if _, err := client.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenant, Id: node}); err != nil {
				b.Fatal(err)
			}
			before := keys.n.Load()
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb2 *testing.PB) {
				for pb2.Next() {
					if _, err := client.GetNode(ctx, &pb.GetNodeRequest{TenantId: tenant, Id: node}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(keys.n.Load()-before), "lookups")
		})
	}
}

// BenchmarkAuthenticate is the key check alone, from the cache: a SHA-256 of the secret and a map read.
func BenchmarkAuthenticate(b *testing.B) {
	s, keys := countingStack(b, flexdbtest.Options{HTTP: defaultOptions})
	w := newTenancy(b, s)
	secret := w.key(flexdb.RoleViewer).secret
	auth := service.NewAuthenticator(keys, service.NewSecret(), service.KeyLookups{})
	ctx := context.Background()
	if _, err := auth.Authenticate(ctx, secret); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := auth.Authenticate(ctx, secret); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
