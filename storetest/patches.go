package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// appendKey is an Apply that adds "key": 1 to the document it is given (text, as stored): the store
// must hand Apply the document as it is when the write runs.
func appendKey(typeVersion int64, key string) func(string, string) (string, int64, error) {
	return func(_, data string) (string, int64, error) {
		body := strings.TrimSuffix(strings.TrimSpace(data), "}")
		if strings.TrimSpace(strings.TrimPrefix(body, "{")) != "" {
			body += ", "
		}
		return body + fmt.Sprintf("%q: 1}", key), typeVersion, nil
	}
}

var patchSpecs = []spec{
	{"a patch writes what Apply makes of the current data, with the node's type, and adds one to the version", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.nodeWith(nt, doc(t, `{"a": 1}`))
		at := later()
		var sawType, sawData string
		got, err := f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: before.ID, At: at,
			Apply: func(typeID, data string) (string, int64, error) {
				sawType, sawData = typeID, data
				return doc(t, `{"a": 1, "b": 2}`), nt.Version, nil
			}})
		must(t, err)
		if sawType != nt.ID || sawData != before.Data {
			t.Fatalf("Apply got type %s and data %s, want %s and %s", sawType, sawData, nt.ID, before.Data)
		}
		want := *before
		want.Data, want.UpdatedAt, want.Version = doc(t, `{"a": 1, "b": 2}`), at, 2
		same(t, *got, want)
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"a patch whose Apply fails writes nothing and answers Apply's error", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		refused := flexdb.InvalidField("data", "refused by the test")
		_, err := f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: before.ID, At: later(),
			Apply: func(string, string) (string, int64, error) { return "", 0, refused }})
		if !errors.Is(err, refused) {
			t.Fatalf("got %v, want Apply's error", err)
		}
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		same(t, *read, *before)
	}},
	{"a patch of an unknown node is NotFound, and at another version than expected Aborted, without calling Apply", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		called := false
		apply := func(string, string) (string, int64, error) { called = true; return "{}", nt.Version, nil }
		_, err := f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: newID(), At: later(), Apply: apply})
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: before.ID, ExpectedVersion: 5, At: later(), Apply: apply})
		wantCode(t, err, flexdb.Aborted)
		if called {
			t.Error("Apply ran for a patch that could not be written")
		}
	}},
	{"a patch checked against a type version that moved on is NotFound and writes nothing", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: nt.TenantID, ID: nt.ID, Schema: doc(t, `{"type": "object"}`), At: later()})
		must(t, err)
		_, err = f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: before.ID, At: later(), Apply: appendKey(nt.Version, "b")})
		wantCode(t, err, flexdb.NotFound)
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		same(t, *read, *before)
	}},
	{"concurrent patches of one node each see the others' writes: none is lost", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.nodeWith(nt, doc(t, `{}`))
		const writers = 16
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.s.PatchNode(f.ctx, service.NodePatch{TenantID: nt.TenantID, ID: before.ID, At: later(), Apply: appendKey(nt.Version, fmt.Sprintf("w%02d", i))})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		for i := range writers {
			if !strings.Contains(read.Data, fmt.Sprintf(`"w%02d": 1`, i)) {
				t.Errorf("writer %d's key is missing: %s", i, read.Data)
			}
		}
		if read.Version != writers+1 {
			t.Errorf("version %d, want %d", read.Version, writers+1)
		}
	}},
	{"a relationship patch writes what Apply makes of the current data, and a new type when one is given", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b := f.node(nt), f.node(nt)
		before := f.rel(a, b, "knows")
		at := later()
		var saw string
		got, err := f.s.PatchRelationship(f.ctx, service.RelationshipPatch{TenantID: before.TenantID, ID: before.ID, Type: "likes", At: at,
			Apply: func(data string) (string, error) { saw = data; return doc(t, `{"w": 2}`), nil }})
		must(t, err)
		if saw != before.Data {
			t.Errorf("Apply got %s, want %s", saw, before.Data)
		}
		want := *before
		want.Type, want.Data, want.UpdatedAt, want.Version = "likes", doc(t, `{"w": 2}`), at, 2
		same(t, *got, want)
		_, err = f.s.PatchRelationship(f.ctx, service.RelationshipPatch{TenantID: before.TenantID, ID: before.ID, ExpectedVersion: 1, At: later(),
			Apply: func(string) (string, error) { return "{}", nil }})
		wantCode(t, err, flexdb.Aborted)
		_, err = f.s.PatchRelationship(f.ctx, service.RelationshipPatch{TenantID: before.TenantID, ID: newID(), At: later(),
			Apply: func(string) (string, error) { return "{}", nil }})
		wantCode(t, err, flexdb.NotFound)
	}},
}
