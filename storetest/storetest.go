// Package storetest is the conformance suite of service.Store: the one specification that every engine
// passes, unchanged. An engine's own test calls Run with a function that opens a fresh store of it.
//
// The suite speaks to the store directly, with entities built the way the service builds them (UUIDv7
// ids, UTC times in microseconds, canonical JSON from package jsondoc), since what it checks is the
// store's contract, not the service's rules.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/flexdb/flexdb/service"
	"github.com/google/uuid"
)

// Run checks a store engine against the contract of service.Store. open must return a fresh, migrated,
// empty store on every call (and close it when its test ends); every case gets a store of its own.
func Run(t *testing.T, open func(t *testing.T) service.Store) {
	for _, g := range []struct {
		name  string
		cases []spec
	}{
		{"Tenants", tenantSpecs},
		{"Users", userSpecs},
		{"Memberships", membershipSpecs},
		{"NodeTypes", nodeTypeSpecs},
		{"Nodes", nodeSpecs},
		{"Relationships", relationshipSpecs},
		{"Patches", patchSpecs},
		{"JSON", jsonSpecs},
		{"Lists", listSpecs},
		{"Cascades", cascadeSpecs},
		{"TenantIsolation", isolationSpecs},
		{"APIKeys", keySpecs},
		{"Roles", roleSpecs},
		{"ConditionalWrites", versionSpecs},
		{"Concurrency", concurrencySpecs},
		{"Races", raceSpecs},
	} {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, &fixture{t: t, s: open(t), ctx: t.Context()})
				})
			}
		})
	}
}

// spec is one behaviour of the store: its name says what holds, run shows it.
type spec struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// ---- building entities ----

// fixture is one case's store and the helpers that fill it. The helpers fail the case on any error, so
// a case's own statements are only the calls it is about.
type fixture struct {
	t   *testing.T
	s   service.Store
	ctx context.Context
}

// on is the fixture for a subtest of its case: helpers fail the subtest that calls them.
func (f *fixture) on(t *testing.T) *fixture { return &fixture{t: t, s: f.s, ctx: f.ctx} }

var seq atomic.Int64 // keeps slugs, emails and names unique within a run

func next() int64 { return seq.Add(1) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// now is a time as the service makes it: UTC, in microseconds (what both engines keep).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// later is an update's time, surely different from any creation time of the case.
func later() time.Time { return now().Add(time.Hour) }

// doc returns the canonical text of a JSON object, as the service hands documents to the store.
func doc(t testing.TB, text string) string {
	t.Helper()
	c, err := jsondoc.Canonical(text, service.DefaultLimits.Document)
	if err != nil {
		t.Fatalf("jsondoc.Canonical(%s): %v", text, err)
	}
	return c
}

// The new* functions build an entity as the service would; the fixture's methods of the same names
// also write it.

func newTenant() *flexdb.Tenant {
	n, at := next(), now()
	return &flexdb.Tenant{ID: newID(), Slug: fmt.Sprintf("tenant-%d", n), Name: fmt.Sprintf("Tenant %d", n),
		Status: flexdb.TenantActive, CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) tenant() *flexdb.Tenant {
	f.t.Helper()
	x := newTenant()
	must(f.t, f.s.CreateTenant(f.ctx, x))
	return x
}

func newUser() *flexdb.User {
	n, at := next(), now()
	return &flexdb.User{ID: newID(), Email: fmt.Sprintf("user-%d@example.com", n), DisplayName: fmt.Sprintf("User %d", n),
		CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) user() *flexdb.User {
	f.t.Helper()
	x := newUser()
	must(f.t, f.s.CreateUser(f.ctx, x))
	return x
}

func (f *fixture) member(tenantID, userID string) *flexdb.Membership {
	f.t.Helper()
	x := &flexdb.Membership{TenantID: tenantID, UserID: userID, Role: flexdb.RoleMember, Status: flexdb.MembershipActive}
	must(f.t, f.s.AddMember(f.ctx, x))
	return x
}

func newNodeType(tenantID string) *flexdb.NodeType {
	n, at := next(), now()
	return &flexdb.NodeType{ID: newID(), TenantID: tenantID, Name: fmt.Sprintf("Type%d", n), Description: "a kind of document",
		Schema: `{"type": "object"}`, CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) nodeType(tenantID string) *flexdb.NodeType {
	f.t.Helper()
	x := newNodeType(tenantID)
	must(f.t, f.s.CreateNodeType(f.ctx, x))
	return x
}

// node makes a node of nt, checked (as the service would) against nt at its current version.
func (f *fixture) node(nt *flexdb.NodeType) *flexdb.Node {
	f.t.Helper()
	return f.nodeWith(nt, doc(f.t, fmt.Sprintf(`{"n": %d}`, next())))
}

func (f *fixture) nodeWith(nt *flexdb.NodeType, data string) *flexdb.Node {
	f.t.Helper()
	x := newNode(nt, data)
	must(f.t, f.s.CreateNode(f.ctx, x, nt.Version))
	return x
}

func newNode(nt *flexdb.NodeType, data string) *flexdb.Node {
	at := now()
	return &flexdb.Node{ID: newID(), TenantID: nt.TenantID, NodeTypeID: nt.ID, Data: data, CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) rel(from, to *flexdb.Node, typ string) *flexdb.Relationship {
	f.t.Helper()
	x := newRel(from.TenantID, from.ID, to.ID, typ)
	must(f.t, f.s.CreateRelationship(f.ctx, x))
	return x
}

func newRel(tenantID, from, to, typ string) *flexdb.Relationship {
	at := now()
	return &flexdb.Relationship{ID: newID(), TenantID: tenantID, SourceNodeID: from, TargetNodeID: to, Type: typ,
		Data: `{"since": 2024}`, CreatedAt: at, UpdatedAt: at, Version: 1}
}

// ---- checking ----

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode fails unless err is a flexdb error of the given code.
func wantCode(t testing.TB, err error, code flexdb.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := flexdb.CodeOf(err); got != code {
		t.Fatalf("got %s (%v), want %s", got, err, code)
	}
}

// wantMessage fails unless err's client-facing message contains every one of parts.
func wantMessage(t testing.TB, err error, parts ...string) {
	t.Helper()
	var e *flexdb.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *flexdb.Error", err)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
}

// same fails unless got and want, domain structs, agree field by field: times are the same instant and
// in UTC, every other field is equal.
func same[T any](t testing.TB, got, want T) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Fatalf("%T differs from what was written:%s", got, d)
	}
}

// sameList is same for a list, in order.
func sameList[T any](t testing.TB, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d:\n got  %+v\n want %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if d := diff(got[i], want[i]); d != "" {
			t.Fatalf("item %d differs:%s", i, d)
		}
	}
}

func diff(got, want any) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Pointer {
		if g.IsNil() || w.IsNil() {
			if g.IsNil() == w.IsNil() {
				return ""
			}
			return fmt.Sprintf("\n  got %v, want %v", got, want)
		}
		g, w = g.Elem(), w.Elem()
	}
	var b strings.Builder
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		gv, wv := g.Field(i).Interface(), w.Field(i).Interface()
		if gt, ok := gv.(time.Time); ok {
			if wt := wv.(time.Time); !sameTime(gt, wt) {
				fmt.Fprintf(&b, "\n  %s: got %s, want %s", name, gt, wt)
			}
			continue
		}
		if gt, ok := gv.(*time.Time); ok {
			if wt := wv.(*time.Time); (gt == nil) != (wt == nil) || gt != nil && !sameTime(*gt, *wt) {
				fmt.Fprintf(&b, "\n  %s: got %v, want %v", name, gt, wt)
			}
			continue
		}
		if !reflect.DeepEqual(gv, wv) {
			fmt.Fprintf(&b, "\n  %s: got %#v, want %#v", name, gv, wv)
		}
	}
	return b.String()
}

func sameTime(got, want time.Time) bool { return got.Equal(want) && got.Location() == time.UTC }

// wantTotal fails unless a list call succeeded with the given total and number of items.
func wantTotal[T any](t testing.TB, items []T, total int, err error, wantItems, wantTotal int) {
	t.Helper()
	must(t, err)
	if len(items) != wantItems || total != wantTotal {
		t.Fatalf("got %d items of %d, want %d of %d", len(items), total, wantItems, wantTotal)
	}
}

// ids lists the ids of items, in order.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

func nodeID(n flexdb.Node) string         { return n.ID }
func relID(r flexdb.Relationship) string  { return r.ID }
func typeID(n flexdb.NodeType) string     { return n.ID }
func tenantID(x flexdb.Tenant) string     { return x.ID }
func userID(u flexdb.User) string         { return u.ID }
func memberID(m flexdb.Membership) string { return m.UserID }
func keyID(k flexdb.APIKey) string        { return k.ID }
func roleID(r flexdb.Role) string         { return r.ID }
