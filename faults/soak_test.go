//go:build faults

package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// soakDuration is 10 minutes, or FLEXDB_SOAK_DURATION (a Go duration) for a shorter look while
// developing.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("FLEXDB_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FLEXDB_SOAK_DURATION: %v", err)
		}
		return d
	}
	return 10 * time.Minute
}

// TestSoak serves a mixed load for ten minutes (small and maximum-size documents written, read, updated
// and deleted; every page of the tenant walked again and again; bad input refused) and watches the
// server's memory: its RSS stays under 250 MB and flat in the second half, no call fails with a fault,
// and once the load stops the server's goroutines return to their count before it.
func TestSoak(t *testing.T) {
	const maxRSS = 250 << 20
	d := soakDuration(t)
	p := flexdbtest.Run(t, flexdb, nil, "--data-dir", t.TempDir(), "--dev", "--rate-limit", "0")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	goroutinesBefore := goroutines(t, p)

	ctx, stop := context.WithTimeout(context.Background(), d)
	defer stop()
	end, _ := ctx.Deadline()
	var calls, faults atomic.Int64
	var faultMu sync.Mutex
	var firstFaults []string
	// answer counts a call and keeps it as a fault when it is neither success nor the refusal wanted;
	// calls cut short by the end of the soak do not count. The end is read from the clock as well as
	// from ctx: gRPC's own deadline timer can fire before ctx's, and on a loaded machine a call can
	// answer DEADLINE_EXCEEDED for the soak's deadline while ctx.Err() is still nil.
	answer := func(what string, err error, want codes.Code) {
		if ctx.Err() != nil || !time.Now().Before(end) {
			return
		}
		calls.Add(1)
		if status.Code(err) == want {
			return
		}
		faults.Add(1)
		faultMu.Lock()
		if len(firstFaults) < 10 {
			firstFaults = append(firstFaults, fmt.Sprintf("%s: %v (want %s)", what, err, want))
		}
		faultMu.Unlock()
	}

	var load sync.WaitGroup
	run := func(n int, f func(ctx context.Context, worker int)) {
		for w := range n {
			load.Add(1)
			go func() { defer load.Done(); f(ctx, w) }()
		}
	}
	create := func(ctx context.Context, data string) (*dbaaspb.Node, error) {
		r, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: data})
		if err != nil {
			return nil, err
		}
		return r.Node, nil
	}
	// A steady state, so that memory growth is a leak and not a growing data set: 3,000 nodes to walk
	// through, and every document the load writes deleted again.
	for i := range 3000 {
		if _, err := create(context.Background(), fmt.Sprintf(`{"writer": -1, "n": %d, "title": "base"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	// Small documents: create, read, update, delete.
	run(6, func(ctx context.Context, w int) {
		for i := 0; ctx.Err() == nil; i++ {
			n, err := create(ctx, fmt.Sprintf(`{"writer": %d, "n": %d, "title": "soak"}`, w, i))
			answer("create", err, codes.OK)
			if err != nil {
				continue
			}
			_, err = c.nodes.GetNode(ctx, &dbaaspb.GetNodeRequest{TenantId: fx.tenant, Id: n.Id})
			answer("get", err, codes.OK)
			_, err = c.nodes.UpdateNode(ctx, &dbaaspb.UpdateNodeRequest{TenantId: fx.tenant, Id: n.Id, Data: fmt.Sprintf(`{"writer": %d, "n": %d}`, w, -i)})
			answer("update", err, codes.OK)
			_, err = c.nodes.DeleteNode(ctx, &dbaaspb.DeleteNodeRequest{TenantId: fx.tenant, Id: n.Id})
			answer("delete", err, codes.OK)
		}
	})
	// Documents at the size limit, written, read back and deleted, one at a time.
	big := fmt.Sprintf(`{"n": 1, "text": %q}`, strings.Repeat("m", 1<<20-64))
	run(1, func(ctx context.Context, _ int) {
		for ctx.Err() == nil {
			n, err := create(ctx, big)
			answer("create a maximum-size document", err, codes.OK)
			if err != nil {
				continue
			}
			_, err = c.nodes.GetNode(ctx, &dbaaspb.GetNodeRequest{TenantId: fx.tenant, Id: n.Id})
			answer("get a maximum-size document", err, codes.OK)
			_, err = c.nodes.DeleteNode(ctx, &dbaaspb.DeleteNodeRequest{TenantId: fx.tenant, Id: n.Id})
			answer("delete a maximum-size document", err, codes.OK)
		}
	})
	// Deep pages: every page of the tenant's nodes, from the first to the last, again and again.
	run(2, func(ctx context.Context, _ int) {
		for ctx.Err() == nil {
			token := ""
			for ctx.Err() == nil {
				r, err := c.nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: fx.tenant, Pagination: &dbaaspb.Pagination{PageSize: 100, PageToken: token}})
				answer("list", err, codes.OK)
				if err != nil || r.Pagination.NextPageToken == "" {
					break
				}
				token = r.Pagination.NextPageToken
			}
		}
	})
	// Bad input, over gRPC and REST: refused as invalid, every time.
	run(1, func(ctx context.Context, _ int) {
		for ctx.Err() == nil {
			_, err := create(ctx, `{"writer": "not a number"}`)
			answer("a document against its schema", err, codes.InvalidArgument)
			_, err = create(ctx, `{"unclosed": `)
			answer("a document that is no JSON", err, codes.InvalidArgument)
			_, err = c.nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: fx.tenant, Pagination: &dbaaspb.Pagination{PageToken: "bm90IGEgdG9rZW4"}})
			answer("a page token of no list", err, codes.InvalidArgument)
			resp, err := http.Post("http://"+p.HTTP+"/tenants/"+fx.tenant+"/nodes", "application/json", strings.NewReader(`{"node_type_id": 7}`))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					err = fmt.Errorf("REST answered %d", resp.StatusCode)
				} else {
					err = status.Error(codes.InvalidArgument, "")
				}
			}
			answer("a REST body of the wrong type", err, codes.InvalidArgument)
		}
	})

	// RSS and the Go heap in use, every second while the load runs: the heap beside RSS tells a leak in
	// Go from memory held outside it (SQLite's page cache lives in its C allocator).
	var samples, heap []int64
	tick := time.NewTicker(time.Second)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			rss, err := p.RSS()
			if err != nil {
				t.Fatalf("RSS: %v\n%s", err, p.Log())
			}
			samples = append(samples, rss)
			heap = append(heap, int64(metric(t, p, "go_memstats_heap_inuse_bytes")))
			if len(samples)%60 == 0 {
				retained := metric(t, p, "go_memstats_heap_sys_bytes") - metric(t, p, "go_memstats_heap_released_bytes")
				live := metric(t, p, "go_memstats_next_gc_bytes") / 2 // the heap goal is twice the heap live after the last collection
				t.Logf("minute %d: RSS %d MB, Go heap in use %d MB, live %d MB, retained %d MB, outside it %d MB", len(samples)/60, rss>>20, heap[len(heap)-1]>>20,
					int64(live)>>20, int64(retained)>>20, (rss-int64(retained))>>20)
			}
		}
	}
	tick.Stop()
	load.Wait()
	c.conn.Close()

	quarter := func(xs []int64, i int) []int64 { return xs[i*len(xs)/4 : (i+1)*len(xs)/4] }
	peak, q2, q4 := maxOf(samples), median(quarter(samples, 1)), median(quarter(samples, 3))
	t.Logf("soak of %s: %d calls, %d faults; RSS peak %d MB, median %d MB in the second quarter and %d MB in the last; Go heap in use: median %d MB in the second quarter and %d MB in the last",
		d, calls.Load(), faults.Load(), peak>>20, q2>>20, q4>>20, median(quarter(heap, 1))>>20, median(quarter(heap, 3))>>20)
	for _, f := range firstFaults {
		t.Errorf("fault: %s", f)
	}
	if peak > maxRSS {
		t.Errorf("RSS peaked at %d MB, want under %d MB", peak>>20, maxRSS>>20)
	}
	// Flat: the last quarter's median RSS is within 10% of the second quarter's. Medians, because the
	// collector makes a sawtooth and a burst of maximum-size documents a spike; a leak moves the median.
	if q4 > q2+q2/10 {
		t.Errorf("RSS grew in the second half: a median of %d MB in the last quarter, %d MB in the second", q4>>20, q2>>20)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := goroutines(t, p)
		if n <= goroutinesBefore {
			t.Logf("goroutines: %d before the load, %d after", goroutinesBefore, n)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the server has %d goroutines 30 s after the load stopped, %d before it", n, goroutinesBefore)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func median(xs []int64) int64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func maxOf(xs []int64) int64 {
	var m int64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// goroutines reads the server's go_goroutines gauge from its metrics.
func goroutines(t *testing.T, p *flexdbtest.Process) int {
	t.Helper()
	return int(metric(t, p, "go_goroutines"))
}
