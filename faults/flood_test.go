//go:build faults

package faults

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc/metadata"
)

// TestBadKeyFlood sends well-formed keys nobody issued, and calls with no key at all, as fast as 32
// clients can over gRPC and REST, while one tenant's good key works: the good key keeps at least 80% of
// the rate it has without the flood, and the server's memory stays bounded.
func TestBadKeyFlood(t *testing.T) {
	const phase, floodRSS = 3 * time.Second, 250 << 20
	admin := service.NewSecret()
	p := flexdbtest.Run(t, flexdb, []string{"FLEXDB_ADMIN_KEY=" + admin}, "--data-dir", t.TempDir(), "--rate-limit", "0")
	c := dial(t, p.GRPC)
	as := func(key string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
	}
	adminCtx := as(admin)
	tr, err := c.tenants.CreateTenant(adminCtx, &dbaaspb.CreateTenantRequest{Slug: "flood", Name: "Flood"})
	if err != nil {
		t.Fatal(err)
	}
	nt, err := c.nodeTypes.CreateNodeType(adminCtx, &dbaaspb.CreateNodeTypeRequest{TenantId: tr.Tenant.Id, Name: "Item", Schema: `{"type": "object"}`})
	if err != nil {
		t.Fatal(err)
	}
	node, err := c.nodes.CreateNode(adminCtx, &dbaaspb.CreateNodeRequest{TenantId: tr.Tenant.Id, NodeTypeId: nt.NodeType.Id, Data: `{}`})
	if err != nil {
		t.Fatal(err)
	}
	key, err := dbaaspb.NewKeyServiceClient(c.conn).CreateApiKey(adminCtx, &dbaaspb.CreateApiKeyRequest{TenantId: tr.Tenant.Id, Name: "good", Role: "member"})
	if err != nil {
		t.Fatal(err)
	}
	good := as(key.Secret)

	// rate is how many GetNode calls per second the good key makes from 4 clients over one phase.
	rate := func() float64 {
		var n atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(phase)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					if _, err := c.nodes.GetNode(good, &dbaaspb.GetNodeRequest{TenantId: tr.Tenant.Id, Id: node.Node.Id}); err != nil {
						t.Errorf("the good key: %v", err)
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / phase.Seconds()
	}
	alone := rate()

	ctx, stopFlood := context.WithCancel(context.Background())
	var flood sync.WaitGroup
	var sent atomic.Int64
	var peakRSS atomic.Int64
	for i := range 32 {
		flood.Add(1)
		go func() {
			defer flood.Done()
			fc := dial(t, p.GRPC) // a connection of its own, as separate attackers have
			for ctx.Err() == nil {
				switch i % 4 {
				case 0: // a new well-formed key each time: nothing to find in a cache
					fc.nodes.GetNode(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+service.NewSecret()), &dbaaspb.GetNodeRequest{TenantId: tr.Tenant.Id, Id: node.Node.Id})
				case 1: // no key at all
					fc.nodes.GetNode(ctx, &dbaaspb.GetNodeRequest{TenantId: tr.Tenant.Id, Id: node.Node.Id})
				default: // the same over REST
					req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.HTTP+"/tenants/"+tr.Tenant.Id+"/nodes/"+node.Node.Id, nil)
					if i%4 == 2 {
						req.Header.Set("Authorization", "Bearer "+service.NewSecret())
					}
					if resp, err := http.DefaultClient.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				sent.Add(1)
			}
		}()
	}
	flood.Add(1)
	go func() {
		defer flood.Done()
		for ctx.Err() == nil {
			if rss, err := p.RSS(); err == nil && rss > peakRSS.Load() {
				peakRSS.Store(rss)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second) // let the flood reach full speed
	flooded := rate()
	stopFlood()
	flood.Wait()

	t.Logf("good key: %.0f calls/s alone, %.0f calls/s under a flood of %d bad calls (%.2f); server RSS peak %d MB",
		alone, flooded, sent.Load(), flooded/alone, peakRSS.Load()>>20)
	if flooded < 0.8*alone {
		t.Errorf("the good key made %.0f calls/s under the flood, %.0f alone: want at least 80%%", flooded, alone)
	}
	if peakRSS.Load() > floodRSS {
		t.Errorf("server RSS peaked at %d MB under the flood, want under %d MB", peakRSS.Load()>>20, floodRSS>>20)
	}
}
