package storetest

import (
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

var nodeTypeSpecs = []spec{
	{"create then get returns the node type as written", func(t *testing.T, f *fixture) {
		want := f.nodeType(f.tenant().ID)
		got, err := f.s.GetNodeType(f.ctx, want.TenantID, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"update with no fields changes only updated_at and the version", func(t *testing.T, f *fixture) {
		before := f.nodeType(f.tenant().ID)
		at := later()
		got, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: before.TenantID, ID: before.ID, At: at})
		must(t, err)
		want := *before
		want.UpdatedAt, want.Version = at, 2
		same(t, *got, want)
		read, err := f.s.GetNodeType(f.ctx, before.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update sets every field given, and each update adds one to the version", func(t *testing.T, f *fixture) {
		before := f.nodeType(f.tenant().ID)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: before.TenantID, ID: before.ID, Description: "people", At: later()})
		must(t, err)
		at, schema := later(), doc(t, `{"type": "object", "required": ["name"]}`)
		got, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: before.TenantID, ID: before.ID, Name: "Person", Schema: schema, At: at})
		must(t, err)
		want := flexdb.NodeType{ID: before.ID, TenantID: before.TenantID, Name: "Person", Description: "people", Schema: schema,
			CreatedAt: before.CreatedAt, UpdatedAt: at, Version: 3}
		same(t, *got, want)
		read, err := f.s.GetNodeType(f.ctx, before.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update of an unknown id is NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: f.tenant().ID, ID: newID(), Name: "x", At: later()})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"delete then get is NotFound", func(t *testing.T, f *fixture) {
		x := f.nodeType(f.tenant().ID)
		must(t, f.s.DeleteNodeType(f.ctx, x.TenantID, x.ID, false, 0))
		_, err := f.s.GetNodeType(f.ctx, x.TenantID, x.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"get and delete of an unknown id are NotFound, with or without cascade", func(t *testing.T, f *fixture) {
		x := f.tenant()
		_, err := f.s.GetNodeType(f.ctx, x.ID, newID())
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteNodeType(f.ctx, x.ID, newID(), false, 0), flexdb.NotFound)
		wantCode(t, f.s.DeleteNodeType(f.ctx, x.ID, newID(), true, 0), flexdb.NotFound)
	}},
	{"create in an unknown tenant is NotFound", func(t *testing.T, f *fixture) {
		x := newNodeType(newID())
		wantCode(t, f.s.CreateNodeType(f.ctx, x), flexdb.NotFound)
	}},
	{"a second node type with a taken name in the same tenant is AlreadyExists", func(t *testing.T, f *fixture) {
		x := f.nodeType(f.tenant().ID)
		dup := newNodeType(x.TenantID)
		dup.Name = x.Name
		wantCode(t, f.s.CreateNodeType(f.ctx, dup), flexdb.AlreadyExists)
		_, err := f.s.GetNodeType(f.ctx, dup.TenantID, dup.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"the same name in two tenants is two node types", func(t *testing.T, f *fixture) {
		x := f.nodeType(f.tenant().ID)
		other := newNodeType(f.tenant().ID)
		other.Name = x.Name
		must(t, f.s.CreateNodeType(f.ctx, other))
		got, err := f.s.GetNodeType(f.ctx, other.TenantID, other.ID)
		must(t, err)
		same(t, got, other)
	}},
	{"update to a taken name is AlreadyExists and changes nothing", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		x, y := f.nodeType(tenant), f.nodeType(tenant)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: tenant, ID: y.ID, Name: x.Name, Description: "changed", At: later()})
		wantCode(t, err, flexdb.AlreadyExists)
		read, err := f.s.GetNodeType(f.ctx, tenant, y.ID)
		must(t, err)
		same(t, read, y)
	}},
}

var nodeSpecs = []spec{
	{"create then get returns the node as written", func(t *testing.T, f *fixture) {
		want := f.node(f.nodeType(f.tenant().ID))
		got, err := f.s.GetNode(f.ctx, want.TenantID, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"update with no data changes only updated_at and the version", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		at := later()
		got, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: nt.TenantID, ID: before.ID, At: at})
		must(t, err)
		want := *before
		want.UpdatedAt, want.Version = at, 2
		same(t, *got, want)
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update with no data keeps the data after its type's schema changed: stored data is not re-checked", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: nt.TenantID, ID: nt.ID, Schema: doc(t, `{"type": "object", "required": ["x"]}`), At: later()})
		must(t, err)
		got, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: nt.TenantID, ID: before.ID, At: later()})
		must(t, err)
		if got.Data != before.Data || got.Version != 2 {
			t.Fatalf("got data %s at version %d, want %s at 2", got.Data, got.Version, before.Data)
		}
	}},
	{"update replaces the data, and each update adds one to the version", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.node(nt)
		u := service.NodeUpdate{TenantID: nt.TenantID, ID: before.ID, NodeTypeID: nt.ID, TypeVersion: nt.Version, Data: doc(t, `{"v": 2}`), At: later()}
		_, err := f.s.UpdateNode(f.ctx, u)
		must(t, err)
		u.Data, u.At = doc(t, `{"v": 3, "w": [1]}`), later()
		got, err := f.s.UpdateNode(f.ctx, u)
		must(t, err)
		want := *before
		want.Data, want.UpdatedAt, want.Version = u.Data, u.At, 3
		same(t, *got, want)
		read, err := f.s.GetNode(f.ctx, nt.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update of an unknown id is NotFound", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		_, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: nt.TenantID, ID: newID(), NodeTypeID: nt.ID, TypeVersion: nt.Version,
			Data: doc(t, `{}`), At: later()})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"delete then get is NotFound", func(t *testing.T, f *fixture) {
		x := f.node(f.nodeType(f.tenant().ID))
		must(t, f.s.DeleteNode(f.ctx, x.TenantID, x.ID, 0))
		_, err := f.s.GetNode(f.ctx, x.TenantID, x.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"get and delete of an unknown id are NotFound", func(t *testing.T, f *fixture) {
		x := f.tenant()
		_, err := f.s.GetNode(f.ctx, x.ID, newID())
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteNode(f.ctx, x.ID, newID(), 0), flexdb.NotFound)
	}},
	{"create with an unknown node type or in an unknown tenant is NotFound", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		unknownType := newNode(nt, `{}`)
		unknownType.NodeTypeID = newID()
		wantCode(t, f.s.CreateNode(f.ctx, unknownType, 1), flexdb.NotFound)
		unknownTenant := newNode(nt, `{}`)
		unknownTenant.TenantID = newID()
		wantCode(t, f.s.CreateNode(f.ctx, unknownTenant, 1), flexdb.NotFound)
		items, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, service.ListQuery{Limit: 10})
		wantTotal(t, items, total, err, 0, 0)
	}},
	{"create checked against a stale node type version is NotFound and writes nothing", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: nt.TenantID, ID: nt.ID, Schema: doc(t, `{"type": "object", "required": ["x"]}`), At: later()})
		must(t, err)
		stale := newNode(nt, `{}`)
		wantCode(t, f.s.CreateNode(f.ctx, stale, nt.Version), flexdb.NotFound)
		_, err = f.s.GetNode(f.ctx, nt.TenantID, stale.ID)
		wantCode(t, err, flexdb.NotFound)
		current := newNode(nt, `{"x": 1}`)
		must(t, f.s.CreateNode(f.ctx, current, nt.Version+1))
	}},
	{"update checked against a stale node type version is NotFound and leaves the node as it was", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		x := f.node(nt)
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: nt.TenantID, ID: nt.ID, Description: "changed", At: later()})
		must(t, err)
		u := service.NodeUpdate{TenantID: nt.TenantID, ID: x.ID, NodeTypeID: nt.ID, TypeVersion: nt.Version, Data: doc(t, `{"v": 2}`), At: later()}
		_, err = f.s.UpdateNode(f.ctx, u)
		wantCode(t, err, flexdb.NotFound)
		read, err := f.s.GetNode(f.ctx, nt.TenantID, x.ID)
		must(t, err)
		same(t, read, x)
		u.TypeVersion = nt.Version + 1
		got, err := f.s.UpdateNode(f.ctx, u)
		must(t, err)
		if got.Data != u.Data || got.Version != 2 {
			t.Fatalf("update at the current type version: got %+v", got)
		}
	}},
	{"update naming a node type the node is not of is NotFound", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		nt, other := f.nodeType(tenant), f.nodeType(tenant)
		x := f.node(nt)
		_, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: tenant, ID: x.ID, NodeTypeID: other.ID, TypeVersion: other.Version,
			Data: doc(t, `{"v": 2}`), At: later()})
		wantCode(t, err, flexdb.NotFound)
		read, err := f.s.GetNode(f.ctx, tenant, x.ID)
		must(t, err)
		same(t, read, x)
	}},
}

var relationshipSpecs = []spec{
	{"create then get returns the relationship as written", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		want := f.rel(f.node(nt), f.node(nt), "knows")
		got, err := f.s.GetRelationship(f.ctx, want.TenantID, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"a node may relate to itself", func(t *testing.T, f *fixture) {
		n := f.node(f.nodeType(f.tenant().ID))
		want := f.rel(n, n, "self")
		got, err := f.s.GetRelationship(f.ctx, want.TenantID, want.ID)
		must(t, err)
		same(t, got, want)
	}},
	{"update with no fields changes only updated_at and the version", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.rel(f.node(nt), f.node(nt), "knows")
		at := later()
		got, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: before.TenantID, ID: before.ID, At: at})
		must(t, err)
		want := *before
		want.UpdatedAt, want.Version = at, 2
		same(t, *got, want)
		read, err := f.s.GetRelationship(f.ctx, before.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update sets every field given, and each update adds one to the version", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		before := f.rel(f.node(nt), f.node(nt), "knows")
		_, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: before.TenantID, ID: before.ID, Type: "likes", At: later()})
		must(t, err)
		at, data := later(), doc(t, `{"weight": 0.5}`)
		got, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: before.TenantID, ID: before.ID, Data: data, At: at})
		must(t, err)
		want := *before
		want.Type, want.Data, want.UpdatedAt, want.Version = "likes", data, at, 3
		same(t, *got, want)
		read, err := f.s.GetRelationship(f.ctx, before.TenantID, before.ID)
		must(t, err)
		same(t, *read, want)
	}},
	{"update of an unknown id is NotFound", func(t *testing.T, f *fixture) {
		_, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: f.tenant().ID, ID: newID(), Type: "x", At: later()})
		wantCode(t, err, flexdb.NotFound)
	}},
	{"delete then get is NotFound, and the nodes stay", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b := f.node(nt), f.node(nt)
		x := f.rel(a, b, "knows")
		must(t, f.s.DeleteRelationship(f.ctx, x.TenantID, x.ID, 0))
		_, err := f.s.GetRelationship(f.ctx, x.TenantID, x.ID)
		wantCode(t, err, flexdb.NotFound)
		for _, n := range []*flexdb.Node{a, b} {
			_, err := f.s.GetNode(f.ctx, n.TenantID, n.ID)
			must(t, err)
		}
	}},
	{"get and delete of an unknown id are NotFound", func(t *testing.T, f *fixture) {
		x := f.tenant()
		_, err := f.s.GetRelationship(f.ctx, x.ID, newID())
		wantCode(t, err, flexdb.NotFound)
		wantCode(t, f.s.DeleteRelationship(f.ctx, x.ID, newID(), 0), flexdb.NotFound)
	}},
	{"create with a missing endpoint is NotFound, naming the field", func(t *testing.T, f *fixture) {
		n := f.node(f.nodeType(f.tenant().ID))
		for _, c := range []struct {
			name, from, to, field string
		}{
			{"source", newID(), n.ID, "source_node_id"},
			{"target", n.ID, newID(), "target_node_id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := f.s.CreateRelationship(f.ctx, newRel(n.TenantID, c.from, c.to, "knows"))
				wantCode(t, err, flexdb.NotFound)
				wantMessage(t, err, c.field)
			})
		}
	}},
}
