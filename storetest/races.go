package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// Writes racing the deletion of what they refer to. Whoever wins, each caller gets an answer it can act
// on (the row is gone: NotFound; the delete is refused: FailedPrecondition), never a fault, and the
// database holds no node without its type and no relationship without its nodes.

const (
	raceRounds  = 10
	raceWriters = 16
)

var raceSpecs = []spec{
	{"16 node creates racing the delete of their type: created or NotFound, the delete done or FailedPrecondition, no node without its type", func(t *testing.T, f *fixture) {
		tenant := f.tenant()
		race(t, func() raceRound {
			nt := f.nodeType(tenant.ID)
			return raceRound{
				write:  func(int) error { return f.s.CreateNode(f.ctx, newNode(nt, `{}`), nt.Version) },
				delete: func() error { return f.s.DeleteNodeType(f.ctx, tenant.ID, nt.ID, false, 0) },
				check:  func() { f.noNodeWithoutItsType(nt) },
			}
		}, []flexdb.Code{flexdb.NotFound}, []flexdb.Code{flexdb.FailedPrecondition})
	}},
	{"16 node creates racing a cascading delete of their type: created or NotFound, the delete done, no node without its type", func(t *testing.T, f *fixture) {
		tenant := f.tenant()
		race(t, func() raceRound {
			nt := f.nodeType(tenant.ID)
			return raceRound{
				write:  func(int) error { return f.s.CreateNode(f.ctx, newNode(nt, `{}`), nt.Version) },
				delete: func() error { return f.s.DeleteNodeType(f.ctx, tenant.ID, nt.ID, true, 0) },
				check: func() {
					f.noNodeWithoutItsType(nt)
					wantCode(t, f.nodeTypeErr(nt), flexdb.NotFound) // cascade deletes, however many nodes came
				},
			}
		}, []flexdb.Code{flexdb.NotFound}, nil)
	}},
	{"16 relationship creates racing the delete of one of their nodes: created or NotFound, the delete done, no relationship without its nodes", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		race(t, func() raceRound {
			doomed, other := f.node(nt), f.node(nt)
			return raceRound{
				write: func(i int) error {
					from, to := doomed, other
					if i%2 == 1 { // half of them point at the node deleted
						from, to = other, doomed
					}
					return f.s.CreateRelationship(f.ctx, newRel(nt.TenantID, from.ID, to.ID, "races"))
				},
				delete: func() error { return f.s.DeleteNode(f.ctx, nt.TenantID, doomed.ID, 0) },
				check: func() {
					for _, end := range []service.RelationshipFilter{{SourceNodeID: doomed.ID}, {TargetNodeID: doomed.ID}} {
						_, total, err := f.s.ListRelationships(f.ctx, nt.TenantID, end, service.ListQuery{Limit: 1})
						must(t, err)
						if total != 0 {
							t.Errorf("%d relationships of %+v outlive the node", total, end)
						}
					}
				},
			}
		}, []flexdb.Code{flexdb.NotFound}, nil)
	}},
}

// raceRound is one round of a race: raceWriters writers calling write until delete, called once at the
// same time, has answered; then check, which holds whoever won.
type raceRound struct {
	write  func(i int) error
	delete func() error
	check  func()
}

// race runs raceRounds rounds made by round, failing on any answer but success and the codes allowed
// to the writers and to the delete.
func race(t *testing.T, round func() raceRound, writeMay, deleteMay []flexdb.Code) {
	t.Helper()
	answers := map[string]int{}
	for range raceRounds {
		r := round()
		var mu sync.Mutex
		answer := func(who string, may []flexdb.Code, err error) {
			code := flexdb.Code("")
			if err != nil {
				code = flexdb.CodeOf(err)
			}
			if code != "" && !slices.Contains(may, code) {
				t.Errorf("%s answered %s (%v); allowed: success or %v", who, code, err, may)
			}
			mu.Lock()
			answers[fmt.Sprintf("%s %q", who, code)]++
			mu.Unlock()
		}
		start := make(chan struct{})
		var deleted atomic.Bool
		var wg sync.WaitGroup
		for i := range raceWriters {
			wg.Go(func() {
				<-start
				// Writing on until the delete has answered (or a write fails) keeps writes in flight for
				// as long as the delete is.
				for more := true; more; {
					more = !deleted.Load()
					err := r.write(i)
					answer("write", writeMay, err)
					more = more && err == nil
				}
			})
		}
		wg.Go(func() {
			<-start
			answer("delete", deleteMay, r.delete())
			deleted.Store(true)
		})
		close(start)
		wg.Wait()
		r.check()
		if t.Failed() {
			return
		}
	}
	t.Logf("answers (\"\" is success): %v", answers)
}

// noNodeWithoutItsType fails if nt is gone but nodes of it remain.
func (f *fixture) noNodeWithoutItsType(nt *flexdb.NodeType) {
	f.t.Helper()
	err := f.nodeTypeErr(nt)
	if flexdb.CodeOf(err) != flexdb.NotFound {
		must(f.t, err)
		return
	}
	_, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{NodeTypeID: nt.ID}, service.ListQuery{Limit: 1})
	must(f.t, err)
	if total != 0 {
		f.t.Errorf("node type %s is gone, but %d nodes of it remain", nt.ID, total)
	}
}

func (f *fixture) nodeTypeErr(nt *flexdb.NodeType) error {
	_, err := f.s.GetNodeType(f.ctx, nt.TenantID, nt.ID)
	return err
}
