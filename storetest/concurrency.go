package storetest

import (
	"cmp"
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
	{"updates that leave data out, racing updates that set it, lose none of them", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		node := f.node(nt)
		rel := f.rel(node, f.node(nt), "knows")
		for _, row := range []struct {
			name, first string
			update      func(data string) (RacedUpdate, error)
		}{
			{"node", node.Data, func(data string) (RacedUpdate, error) {
				u := service.NodeUpdate{TenantID: node.TenantID, ID: node.ID, Data: data, At: later()}
				if data != "" {
					u.NodeTypeID, u.TypeVersion = nt.ID, nt.Version
				}
				got, err := f.s.UpdateNode(f.ctx, u)
				if err != nil {
					return RacedUpdate{}, err
				}
				return RacedUpdate{Sent: data, Data: got.Data, Version: got.Version}, nil
			}},
			{"relationship", rel.Data, func(data string) (RacedUpdate, error) {
				got, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: rel.TenantID, ID: rel.ID, Data: data, At: later()})
				if err != nil {
					return RacedUpdate{}, err
				}
				return RacedUpdate{Sent: data, Data: got.Data, Version: got.Version}, nil
			}},
		} {
			t.Run(row.name, func(t *testing.T) {
				must(t, LostUpdate(row.first, Race(t, 8, 10, row.update)))
			})
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

// RacedUpdate is one of racing updates of a row: the data it sent ("" for none) and the row's data and
// version it answered.
type RacedUpdate struct {
	Sent, Data string
	Version    int64
}

// Race runs writers goroutines updating one row at once, each times times, every other writer sending
// no data, and returns what the updates that succeeded answered; a failed update fails t.
func Race(t testing.TB, writers, times int, update func(data string) (RacedUpdate, error)) []RacedUpdate {
	var mu sync.Mutex
	var out []RacedUpdate
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range times {
				data := "" // canonical already: keys of one letter, in order
				if w%2 == 0 {
					data = fmt.Sprintf(`{"i": %d, "w": %d}`, i, w)
				}
				got, err := update(data)
				if err != nil {
					t.Errorf("writer %d, update %d: %v", w, i, err)
					return
				}
				mu.Lock()
				out = append(out, got)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// LostUpdate returns an error if updates that raced on a row at version 1 holding first lost a write:
// in the order of the versions they made, they must have made versions 2, 3, and so on, one each, and
// each must answer the data of the last update up to it that sent some (first, if none did).
func LostUpdate(first string, updates []RacedUpdate) error {
	updates = slices.Clone(updates)
	slices.SortFunc(updates, func(a, b RacedUpdate) int { return cmp.Compare(a.Version, b.Version) })
	data := first
	for i, u := range updates {
		if u.Sent != "" {
			data = u.Sent
		}
		if u.Version != int64(i+2) {
			return fmt.Errorf("update %d of %d made version %d, want %d: an update was lost or counted twice", i+1, len(updates), u.Version, i+2)
		}
		if u.Data != data {
			return fmt.Errorf("the update that made version %d (sending %q) answered data %s, want %s: a concurrent write was lost", u.Version, u.Sent, u.Data, data)
		}
	}
	return nil
}
