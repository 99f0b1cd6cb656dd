package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// Writers in these specs report with t.Errorf, never t.Fatal: only the test's own goroutine may stop it.

var concurrencySpecs = []spec{
	{"paging 250 nodes by 7 while others are written sees each of them once, and nothing twice", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		original := make(map[string]bool)
		for range 250 {
			original[f.node(nt).ID] = true
		}

		stop := make(chan struct{})
		var inserted atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 100 { // bounded, so that the pages below reach an end
					select {
					case <-stop:
						return
					default:
					}
					if err := f.s.CreateNode(f.ctx, newNode(nt, `{"late": true}`), nt.Version); err != nil {
						t.Errorf("concurrent insert: %v", err)
						return
					}
					inserted.Add(1)
				}
			})
		}
		for deadline := time.Now().Add(10 * time.Second); inserted.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond) // let the writers get going before the first page
		}

		seen := make(map[string]int)
		after, pages := "", 0
		var err error
		for {
			var page []flexdb.Node
			page, _, err = f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, service.ListQuery{After: after, Limit: 7})
			if err != nil || len(page) == 0 {
				break
			}
			pages++
			for _, n := range page {
				if n.ID <= after {
					t.Errorf("page %d: id %s does not follow %s", pages, n.ID, after)
				}
				seen[n.ID]++
				after = n.ID
			}
		}
		close(stop)
		wg.Wait()
		must(t, err)

		for id := range original {
			if seen[id] != 1 {
				t.Errorf("node %s seen %d times, want once", id, seen[id])
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("node %s seen %d times", id, n)
			}
		}
		t.Logf("%d pages; %d nodes written meanwhile, %d of them seen", pages, inserted.Load(), len(seen)-len(original))
	}},
	{"16 writers creating and updating nodes at once all succeed, and the count is exact", func(t *testing.T, f *fixture) {
		const writers, ops = 16, 25 // each writer: create, update, create, update, ..., create
		nt := f.nodeType(f.tenant().ID)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				var last *flexdb.Node
				for i := range ops {
					if i%2 == 0 {
						last = newNode(nt, fmt.Sprintf(`{"op": %d, "writer": %d}`, i, w)) // canonical already
						if err := f.s.CreateNode(f.ctx, last, nt.Version); err != nil {
							t.Errorf("writer %d, create %d: %v", w, i, err)
							return
						}
					} else {
						data := fmt.Sprintf(`{"op": %d, "writer": %d, "updated": true}`, i, w)
						got, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: nt.TenantID, ID: last.ID, NodeTypeID: nt.ID,
							TypeVersion: nt.Version, Data: data, At: later()})
						if err != nil {
							t.Errorf("writer %d, update %d: %v", w, i, err)
							return
						}
						if got.Version != 2 || got.Data != data {
							t.Errorf("writer %d, update %d: got version %d, data %s", w, i, got.Version, got.Data)
						}
					}
					// A writer reads its own write at once, from whichever connection serves reads.
					if got, err := f.s.GetNode(f.ctx, nt.TenantID, last.ID); err != nil {
						t.Errorf("writer %d, read after op %d: %v", w, i, err)
						return
					} else if got.Version != int64(1+i%2) {
						t.Errorf("writer %d, read after op %d: version %d", w, i, got.Version)
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}

		created, updated := writers*((ops+1)/2), writers*(ops/2)
		versions := map[int64]int{}
		after := ""
		for {
			page, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, service.ListQuery{After: after, Limit: 100})
			must(t, err)
			if total != created {
				t.Fatalf("total %d, want %d", total, created)
			}
			if len(page) == 0 {
				break
			}
			for _, n := range page {
				versions[n.Version]++
			}
			after = page[len(page)-1].ID
		}
		if versions[1] != created-updated || versions[2] != updated || len(versions) != 2 {
			t.Fatalf("nodes by version: %v, want %d at 1 and %d at 2", versions, created-updated, updated)
		}
	}},
	{"of 16 concurrent creates with one slug, one succeeds and the others are AlreadyExists", func(t *testing.T, f *fixture) {
		codes := make([]flexdb.Code, 16)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range codes {
			wg.Go(func() {
				x := newTenant()
				x.Slug = "contested"
				<-start
				if err := f.s.CreateTenant(f.ctx, x); err != nil {
					codes[i] = flexdb.CodeOf(err)
				}
			})
		}
		close(start)
		wg.Wait()
		count := map[flexdb.Code]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[""] != 1 || count[flexdb.AlreadyExists] != len(codes)-1 {
			t.Fatalf("outcomes (\"\" is success): %v", count)
		}
	}},
}
