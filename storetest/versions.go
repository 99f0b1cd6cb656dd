package storetest

import (
	"sync"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// versioned is one kind of mutable row, seen through what conditional updates need: make a row, update
// it expecting a version (0: any), and read its version back.
type versioned struct {
	kind string
	make func(f *fixture) (update func(expected int64) (int64, error), read func() int64, missing func(expected int64) error)
}

var versionedKinds = []versioned{
	{"tenant", func(f *fixture) (func(int64) (int64, error), func() int64, func(int64) error) {
		x := f.tenant()
		update := func(e int64) (int64, error) {
			got, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: x.ID, Name: "renamed", ExpectedVersion: e, At: later()})
			if err != nil {
				return 0, err
			}
			return got.Version, nil
		}
		read := func() int64 { got, err := f.s.GetTenant(f.ctx, x.ID); must(f.t, err); return got.Version }
		missing := func(e int64) error {
			_, err := f.s.UpdateTenant(f.ctx, service.TenantUpdate{ID: newID(), Name: "x", ExpectedVersion: e, At: later()})
			return err
		}
		return update, read, missing
	}},
	{"user", func(f *fixture) (func(int64) (int64, error), func() int64, func(int64) error) {
		x := f.user()
		update := func(e int64) (int64, error) {
			got, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: x.ID, DisplayName: "renamed", ExpectedVersion: e, At: later()})
			if err != nil {
				return 0, err
			}
			return got.Version, nil
		}
		read := func() int64 { got, err := f.s.GetUser(f.ctx, x.ID); must(f.t, err); return got.Version }
		missing := func(e int64) error {
			_, err := f.s.UpdateUser(f.ctx, service.UserUpdate{ID: newID(), DisplayName: "x", ExpectedVersion: e, At: later()})
			return err
		}
		return update, read, missing
	}},
	{"node type", func(f *fixture) (func(int64) (int64, error), func() int64, func(int64) error) {
		x := f.nodeType(f.tenant().ID)
		update := func(e int64) (int64, error) {
			got, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: x.TenantID, ID: x.ID, Description: "d", ExpectedVersion: e, At: later()})
			if err != nil {
				return 0, err
			}
			return got.Version, nil
		}
		read := func() int64 { got, err := f.s.GetNodeType(f.ctx, x.TenantID, x.ID); must(f.t, err); return got.Version }
		missing := func(e int64) error {
			_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: x.TenantID, ID: newID(), Description: "d", ExpectedVersion: e, At: later()})
			return err
		}
		return update, read, missing
	}},
	{"node", func(f *fixture) (func(int64) (int64, error), func() int64, func(int64) error) {
		nt := f.nodeType(f.tenant().ID)
		x := f.node(nt)
		update := func(e int64) (int64, error) {
			got, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: x.TenantID, ID: x.ID, NodeTypeID: nt.ID, TypeVersion: nt.Version,
				Data: doc(f.t, `{"n": 2}`), ExpectedVersion: e, At: later()})
			if err != nil {
				return 0, err
			}
			return got.Version, nil
		}
		read := func() int64 { got, err := f.s.GetNode(f.ctx, x.TenantID, x.ID); must(f.t, err); return got.Version }
		missing := func(e int64) error {
			_, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: x.TenantID, ID: newID(), NodeTypeID: nt.ID, TypeVersion: nt.Version,
				Data: "{}", ExpectedVersion: e, At: later()})
			return err
		}
		return update, read, missing
	}},
	{"relationship", func(f *fixture) (func(int64) (int64, error), func() int64, func(int64) error) {
		nt := f.nodeType(f.tenant().ID)
		x := f.rel(f.node(nt), f.node(nt), "knows")
		update := func(e int64) (int64, error) {
			got, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: x.TenantID, ID: x.ID, Type: "likes", ExpectedVersion: e, At: later()})
			if err != nil {
				return 0, err
			}
			return got.Version, nil
		}
		read := func() int64 {
			got, err := f.s.GetRelationship(f.ctx, x.TenantID, x.ID)
			must(f.t, err)
			return got.Version
		}
		missing := func(e int64) error {
			_, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: x.TenantID, ID: newID(), Type: "x", ExpectedVersion: e, At: later()})
			return err
		}
		return update, read, missing
	}},
}

// versionSpecs: an update that names the version it read happens only on that version, so that no
// concurrent update is ever lost.
var versionSpecs = func() []spec {
	var specs []spec
	for _, k := range versionedKinds {
		specs = append(specs,
			spec{k.kind + ": an update expecting the current version happens", func(t *testing.T, f *fixture) {
				update, read, _ := k.make(f)
				got, err := update(read())
				must(t, err)
				if got != 2 || read() != 2 {
					t.Fatalf("version %d after the update (read %d), want 2", got, read())
				}
			}},
			spec{k.kind + ": an update expecting an old version is Aborted and changes nothing", func(t *testing.T, f *fixture) {
				update, read, _ := k.make(f)
				_, err := update(0)
				must(t, err)
				_, err = update(1)
				wantCode(t, err, flexdb.Aborted)
				wantMessage(t, err, "version 2", "expected 1")
				if v := read(); v != 2 {
					t.Fatalf("version %d after the refused update, want 2", v)
				}
			}},
			spec{k.kind + ": an update expecting a version of a missing row is NotFound", func(t *testing.T, f *fixture) {
				_, _, missing := k.make(f)
				wantCode(t, missing(1), flexdb.NotFound)
			}},
			spec{k.kind + ": of racing updates expecting one version, exactly one happens", func(t *testing.T, f *fixture) {
				update, read, _ := k.make(f)
				const racers = 8
				var wg sync.WaitGroup
				errs := make(chan error, racers)
				for range racers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := update(1)
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				won := 0
				for err := range errs {
					if err == nil {
						won++
					} else if flexdb.CodeOf(err) != flexdb.Aborted {
						t.Errorf("a losing update: %v, want Aborted", err)
					}
				}
				if won != 1 || read() != 2 {
					t.Fatalf("%d updates happened (version %d), want exactly 1 (version 2)", won, read())
				}
			}},
		)
	}
	return specs
}()
