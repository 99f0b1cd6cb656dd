//go:build faults

package faults

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
)

// TestPostgresRestartUnderLoad stops and starts the server's PostgreSQL while clients write and read:
// every answer is success or UNAVAILABLE, /ready says 503 while the database is down and 200 after,
// writes resume within 2 s of the database answering, the server never restarts, and every
// acknowledged write is there afterwards.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := newCluster(t)
	p := flexdbtest.Run(t, flexdb, nil, "--database-url", pg.URL, "--dev", "--rate-limit", "0")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	seed, err := c.nodes.CreateNode(context.Background(), &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: `{"n": 0}`})
	if err != nil {
		t.Fatal(err)
	}

	a := newAcked()
	stop := make(chan struct{})
	var load sync.WaitGroup
	load.Add(1)
	go func() { defer load.Done(); a.writeFor(c, fx, 8, stop) }()
	for range 4 {
		load.Add(1)
		go func() {
			defer load.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := c.nodes.GetNode(ctx, &dbaaspb.GetNodeRequest{TenantId: fx.tenant, Id: seed.Node.Id})
				cancel()
				a.check(err)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}

	time.Sleep(time.Second)
	pg.Stop(t)
	waitReady(t, p, http.StatusServiceUnavailable)
	time.Sleep(2 * time.Second) // down for a while, under load
	pg.Start(t)
	up := time.Now()
	for !a.lastAck().After(up) {
		if time.Since(up) > 30*time.Second {
			t.Fatalf("no write acknowledged within 30 s of PostgreSQL answering again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	resumed := a.lastAck().Sub(up)
	waitReady(t, p, http.StatusOK)
	time.Sleep(time.Second)
	close(stop)
	load.Wait()

	if resumed > 2*time.Second {
		t.Errorf("writes resumed %s after PostgreSQL answered again, want within 2 s", resumed)
	}
	if p.Exited() {
		t.Fatalf("the server exited while its database restarted:\n%s", p.Log())
	}
	a.checkRefused(t)
	a.verify(t, c, fx)
	t.Logf("PostgreSQL restart under load: writes resumed %s after it answered; %d writes acknowledged, all read back", resumed.Round(time.Millisecond), len(a.nodes))
}

// waitReady waits, up to a generous bound, for GET /ready to answer status.
func waitReady(t *testing.T, p *flexdbtest.Process, status int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.HTTP + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /ready did not answer %d within 30 s (last: %v, %v)", status, resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
