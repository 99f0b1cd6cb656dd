package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// Writers in these specs report with t.Errorf, never t.Fatal: only the test's own goroutine may stop it.

var concurrencySpecs = []spec{
	{"paging any list while others write to it returns each item there at the start once, in order, and nothing twice", func(t *testing.T, f *fixture) {
		for _, l := range listers {
			t.Run(l.name, func(t *testing.T) {
				f := f.on(t)
				list, add := l.open(f)
				before := inListOrder(f.adds(add, 60), l.newestFirst)
				there := make(map[string]bool)
				for _, id := range before {
					there[id] = true
				}

				var inserted atomic.Int64
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						for range 25 { // bounded, so that a walk that meets new items still ends
							if _, err := add(); err != nil {
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

				var walk []string
				for after := ""; ; {
					page, _, err := list(service.ListQuery{After: after, Limit: 7})
					if err != nil {
						t.Errorf("page after %q: %v", after, err)
						break
					}
					if len(page) == 0 {
						break
					}
					walk = append(walk, page...)
					after = page[len(page)-1]
				}
				wg.Wait()

				// Items the writers wrote may or may not be in the walk (those committed before its first
				// page are, in a newest-first list); the walk is in the list's order all the same, and holds
				// every item written before the writers started, once.
				for i := 1; i < len(walk); i++ {
					if after, next := walk[i-1], walk[i]; next == after || (next < after) != l.newestFirst {
						t.Errorf("item %d of the walk, %s, does not come after %s in the list's order", i, next, after)
					}
				}
				old := slices.DeleteFunc(slices.Clone(walk), func(id string) bool { return !there[id] })
				if !slices.Equal(old, before) {
					t.Errorf("of the %d items there before the walk, it returned %d:\n got  %v\n want %v", len(before), len(old), old, before)
				}
				t.Logf("%d items walked: the %d written before, and %d of the %d the writers wrote", len(walk), len(old), len(walk)-len(old), inserted.Load())
			})
		}
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
