package storetest

import (
	"sync"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// versioned is one kind of mutable row, seen through what conditional writes need.
type versioned struct {
	kind string
	make func(f *fixture) versionedRow
}

// versionedRow is one row made for a case: update and delete it expecting a version (0: any), read its
// version back, and write a row of its kind that does not exist.
type versionedRow struct {
	update        func(expected int64) (int64, error)
	read          func() int64
	missing       func(expected int64) error // an update of a missing row
	remove        func(expected int64) error
	removeMissing func(expected int64) error
	exists        func() bool
}

// exists reports whether get finds its row, failing the case on anything but NotFound.
func exists(f *fixture, get func() error) bool {
	err := get()
	if flexdb.CodeOf(err) == flexdb.NotFound {
		return false
	}
	must(f.t, err)
	return true
}

var versionedKinds = []versioned{
	{"tenant", func(f *fixture) versionedRow {
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
		remove := func(e int64) error { return f.s.DeleteTenant(f.ctx, x.ID, e) }
		removeMissing := func(e int64) error { return f.s.DeleteTenant(f.ctx, newID(), e) }
		there := func() bool { return exists(f, func() error { _, err := f.s.GetTenant(f.ctx, x.ID); return err }) }
		return versionedRow{update, read, missing, remove, removeMissing, there}
	}},
	{"user", func(f *fixture) versionedRow {
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
		remove := func(e int64) error { return f.s.DeleteUser(f.ctx, x.ID, e) }
		removeMissing := func(e int64) error { return f.s.DeleteUser(f.ctx, newID(), e) }
		there := func() bool { return exists(f, func() error { _, err := f.s.GetUser(f.ctx, x.ID); return err }) }
		return versionedRow{update, read, missing, remove, removeMissing, there}
	}},
	{"node type", func(f *fixture) versionedRow {
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
		remove := func(e int64) error { return f.s.DeleteNodeType(f.ctx, x.TenantID, x.ID, false, e) }
		removeMissing := func(e int64) error { return f.s.DeleteNodeType(f.ctx, x.TenantID, newID(), false, e) }
		there := func() bool {
			return exists(f, func() error { _, err := f.s.GetNodeType(f.ctx, x.TenantID, x.ID); return err })
		}
		return versionedRow{update, read, missing, remove, removeMissing, there}
	}},
	{"node", func(f *fixture) versionedRow {
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
		remove := func(e int64) error { return f.s.DeleteNode(f.ctx, x.TenantID, x.ID, e) }
		removeMissing := func(e int64) error { return f.s.DeleteNode(f.ctx, x.TenantID, newID(), e) }
		there := func() bool {
			return exists(f, func() error { _, err := f.s.GetNode(f.ctx, x.TenantID, x.ID); return err })
		}
		return versionedRow{update, read, missing, remove, removeMissing, there}
	}},
	{"relationship", func(f *fixture) versionedRow {
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
		remove := func(e int64) error { return f.s.DeleteRelationship(f.ctx, x.TenantID, x.ID, e) }
		removeMissing := func(e int64) error { return f.s.DeleteRelationship(f.ctx, x.TenantID, newID(), e) }
		there := func() bool {
			return exists(f, func() error { _, err := f.s.GetRelationship(f.ctx, x.TenantID, x.ID); return err })
		}
		return versionedRow{update, read, missing, remove, removeMissing, there}
	}},
}

// versionSpecs: an update or a delete that names the version it read happens only on that version, so
// that no concurrent update is ever lost, nor a row deleted that its deleter has not seen.
var versionSpecs = func() []spec {
	var specs []spec
	for _, k := range versionedKinds {
		specs = append(specs,
			spec{k.kind + ": an update expecting the current version happens", func(t *testing.T, f *fixture) {
				r := k.make(f)
				got, err := r.update(r.read())
				must(t, err)
				if got != 2 || r.read() != 2 {
					t.Fatalf("version %d after the update (read %d), want 2", got, r.read())
				}
			}},
			spec{k.kind + ": an update expecting an old version is Aborted and changes nothing", func(t *testing.T, f *fixture) {
				r := k.make(f)
				_, err := r.update(0)
				must(t, err)
				_, err = r.update(1)
				wantCode(t, err, flexdb.Aborted)
				wantMessage(t, err, "version 2", "expected 1")
				if v := r.read(); v != 2 {
					t.Fatalf("version %d after the refused update, want 2", v)
				}
			}},
			spec{k.kind + ": an update expecting a version of a missing row is NotFound", func(t *testing.T, f *fixture) {
				wantCode(t, k.make(f).missing(1), flexdb.NotFound)
			}},
			spec{k.kind + ": of racing updates expecting one version, exactly one happens", func(t *testing.T, f *fixture) {
				r := k.make(f)
				const racers = 8
				var wg sync.WaitGroup
				errs := make(chan error, racers)
				for range racers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := r.update(1)
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
				if won != 1 || r.read() != 2 {
					t.Fatalf("%d updates happened (version %d), want exactly 1 (version 2)", won, r.read())
				}
			}},
			spec{k.kind + ": a delete expecting the current version happens", func(t *testing.T, f *fixture) {
				r := k.make(f)
				_, err := r.update(0)
				must(t, err)
				must(t, r.remove(2))
				if r.exists() {
					t.Fatal("the row is still there after the delete")
				}
			}},
			spec{k.kind + ": a delete expecting an old version is Aborted and deletes nothing", func(t *testing.T, f *fixture) {
				r := k.make(f)
				_, err := r.update(0)
				must(t, err)
				err = r.remove(1)
				wantCode(t, err, flexdb.Aborted)
				wantMessage(t, err, "version 2", "expected 1")
				if !r.exists() || r.read() != 2 {
					t.Fatal("the refused delete changed the row")
				}
			}},
			spec{k.kind + ": a delete expecting no version (0) happens at any version", func(t *testing.T, f *fixture) {
				r := k.make(f)
				_, err := r.update(0)
				must(t, err)
				must(t, r.remove(0))
				if r.exists() {
					t.Fatal("the row is still there after the delete")
				}
			}},
			spec{k.kind + ": a delete expecting a version of a missing row is NotFound", func(t *testing.T, f *fixture) {
				wantCode(t, k.make(f).removeMissing(1), flexdb.NotFound)
			}},
		)
	}
	specs = append(specs, spec{"node type: a cascading delete expecting an old version is Aborted and deletes no node", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		n := f.node(nt)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: nt.TenantID, ID: nt.ID, Description: "d", At: later()})
		must(t, err)
		err = f.s.DeleteNodeType(f.ctx, nt.TenantID, nt.ID, true, 1)
		wantCode(t, err, flexdb.Aborted)
		_, err = f.s.GetNode(f.ctx, n.TenantID, n.ID)
		must(t, err)
		_, err = f.s.GetNodeType(f.ctx, nt.TenantID, nt.ID)
		must(t, err)
	}})
	return specs
}()
