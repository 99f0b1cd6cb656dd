package storetest

import (
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// world is a tenant with one of everything in it.
type world struct {
	tenant   *flexdb.Tenant
	user     *flexdb.User
	member   *flexdb.Membership
	nodeType *flexdb.NodeType
	a, b     *flexdb.Node
	rel      *flexdb.Relationship // a -> b
}

func (f *fixture) world() *world {
	f.t.Helper()
	w := &world{tenant: f.tenant(), user: f.user()}
	w.member = f.member(w.tenant.ID, w.user.ID)
	w.nodeType = f.nodeType(w.tenant.ID)
	w.a, w.b = f.node(w.nodeType), f.node(w.nodeType)
	w.rel = f.rel(w.a, w.b, "knows")
	return w
}

// intact fails unless w reads back exactly as it was written, and holds nothing else.
func (f *fixture) intact(w *world) {
	f.t.Helper()
	t, ctx, id := f.t, f.ctx, w.tenant.ID
	tenant, err := f.s.GetTenant(ctx, id)
	must(t, err)
	same(t, tenant, w.tenant)
	user, err := f.s.GetUser(ctx, w.user.ID)
	must(t, err)
	same(t, user, w.user)
	q := service.ListQuery{Limit: 10}
	members, _, err := f.s.ListMembers(ctx, id, q)
	must(t, err)
	sameList(t, members, []flexdb.Membership{*w.member})
	types, _, err := f.s.ListNodeTypes(ctx, id, q)
	must(t, err)
	sameList(t, types, []flexdb.NodeType{*w.nodeType})
	nodes, _, err := f.s.ListNodes(ctx, id, service.NodeFilter{}, q)
	must(t, err)
	sameList(t, nodes, []flexdb.Node{*w.b, *w.a}) // newest first
	rels, _, err := f.s.ListRelationships(ctx, id, service.RelationshipFilter{}, q)
	must(t, err)
	sameList(t, rels, []flexdb.Relationship{*w.rel})
}

var cascadeSpecs = []spec{
	{"deleting a tenant removes its node types, nodes, relationships and memberships, and nothing of another's", func(t *testing.T, f *fixture) {
		gone, kept := f.world(), f.world()
		must(t, f.s.DeleteTenant(f.ctx, gone.tenant.ID, 0))
		id := gone.tenant.ID
		_, err := f.s.GetNodeType(f.ctx, id, gone.nodeType.ID)
		wantCode(t, err, flexdb.NotFound)
		for _, n := range []*flexdb.Node{gone.a, gone.b} {
			_, err = f.s.GetNode(f.ctx, id, n.ID)
			wantCode(t, err, flexdb.NotFound)
		}
		_, err = f.s.GetRelationship(f.ctx, id, gone.rel.ID)
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.GetUser(f.ctx, gone.user.ID) // users are global: they outlive their tenants
		must(t, err)

		// Made anew with the same id, the tenant is empty: its rows went, they are not merely hidden.
		again := newTenant()
		again.ID = id
		must(t, f.s.CreateTenant(f.ctx, again))
		for name, list := range tenantLists(f, id) {
			items, total, err := list(service.ListQuery{Limit: 10})
			if err != nil || total != 0 || len(items) != 0 {
				t.Errorf("%s of the re-created tenant: %d items of %d, %v", name, len(items), total, err)
			}
		}
		f.intact(kept)
	}},
	{"deleting a user removes its memberships in every tenant, and no one else's", func(t *testing.T, f *fixture) {
		x, y := f.tenant(), f.tenant()
		leaving, staying := f.user(), f.user()
		f.member(x.ID, leaving.ID)
		f.member(y.ID, leaving.ID)
		kept := f.member(x.ID, staying.ID)
		must(t, f.s.DeleteUser(f.ctx, leaving.ID, 0))
		members, total, err := f.s.ListMembers(f.ctx, x.ID, service.ListQuery{Limit: 10})
		wantTotal(t, members, total, err, 1, 1)
		same(t, members[0], *kept)
		members, total, err = f.s.ListMembers(f.ctx, y.ID, service.ListQuery{Limit: 10})
		wantTotal(t, members, total, err, 0, 0)
	}},
	{"deleting a node removes the relationships that start or end at it, and no others", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b, c := f.node(nt), f.node(nt), f.node(nt)
		f.rel(a, b, "knows")
		f.rel(b, c, "knows")
		f.rel(b, b, "self")
		ca := f.rel(c, a, "knows")
		must(t, f.s.DeleteNode(f.ctx, nt.TenantID, b.ID, 0))
		rels, total, err := f.s.ListRelationships(f.ctx, nt.TenantID, service.RelationshipFilter{}, service.ListQuery{Limit: 10})
		wantTotal(t, rels, total, err, 1, 1)
		same(t, rels[0], *ca)
		nodes, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, service.ListQuery{Limit: 10})
		wantTotal(t, nodes, total, err, 2, 2)
	}},
	{"deleting a node type that has nodes is FailedPrecondition, says how many, and removes nothing", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b := f.node(nt), f.node(nt)
		f.node(nt)
		r := f.rel(a, b, "knows")
		err := f.s.DeleteNodeType(f.ctx, nt.TenantID, nt.ID, false, 0)
		wantCode(t, err, flexdb.FailedPrecondition)
		wantMessage(t, err, "3 nodes")
		_, err = f.s.GetNodeType(f.ctx, nt.TenantID, nt.ID)
		must(t, err)
		nodes, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, service.ListQuery{Limit: 10})
		wantTotal(t, nodes, total, err, 3, 3)
		_, err = f.s.GetRelationship(f.ctx, r.TenantID, r.ID)
		must(t, err)
	}},
	{"deleting a node type with cascade removes it, its nodes and their relationships, and nothing else", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		gone, kept := f.nodeType(tenant), f.nodeType(tenant)
		g1, g2, k1, k2 := f.node(gone), f.node(gone), f.node(kept), f.node(kept)
		f.rel(g1, g2, "knows")
		f.rel(g1, k1, "knows")
		f.rel(k2, g2, "knows")
		kk := f.rel(k1, k2, "knows")
		must(t, f.s.DeleteNodeType(f.ctx, tenant, gone.ID, true, 0))
		_, err := f.s.GetNodeType(f.ctx, tenant, gone.ID)
		wantCode(t, err, flexdb.NotFound)
		types, _, err := f.s.ListNodeTypes(f.ctx, tenant, service.ListQuery{Limit: 10})
		must(t, err)
		sameList(t, types, []flexdb.NodeType{*kept})
		nodes, _, err := f.s.ListNodes(f.ctx, tenant, service.NodeFilter{}, service.ListQuery{Limit: 10})
		must(t, err)
		sameList(t, nodes, []flexdb.Node{*k2, *k1}) // newest first
		rels, _, err := f.s.ListRelationships(f.ctx, tenant, service.RelationshipFilter{}, service.ListQuery{Limit: 10})
		must(t, err)
		sameList(t, rels, []flexdb.Relationship{*kk})
	}},
}

// isolationSpecs: whatever ids a call passes, it reads and changes only the data of the tenant it names.
// Tenant A's ids are passed with tenant B.
var isolationSpecs = []spec{
	{"a node in B of A's node type is NotFound, and nothing is written", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.tenant()
		n := newNode(a.nodeType, `{}`)
		n.TenantID = b.ID
		wantCode(t, f.s.CreateNode(f.ctx, n, a.nodeType.Version), flexdb.NotFound)
		nodes, total, err := f.s.ListNodes(f.ctx, b.ID, service.NodeFilter{}, service.ListQuery{Limit: 10})
		wantTotal(t, nodes, total, err, 0, 0)
		f.intact(a)
	}},
	{"a relationship in B with an endpoint in A is NotFound, naming the endpoint, and nothing is written", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.world()
		for _, c := range []struct {
			name, from, to, field string
		}{
			{"source", a.a.ID, b.a.ID, "source_node_id"},
			{"target", b.a.ID, a.a.ID, "target_node_id"},
			{"both", a.a.ID, a.b.ID, "_node_id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				f := f.on(t)
				err := f.s.CreateRelationship(f.ctx, newRel(b.tenant.ID, c.from, c.to, "knows"))
				wantCode(t, err, flexdb.NotFound)
				wantMessage(t, err, c.field)
				f.intact(a)
				f.intact(b)
			})
		}
	}},
	{"A's node type, nodes and relationships are NotFound when read through B", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.tenant()
		_, err := f.s.GetNodeType(f.ctx, b.ID, a.nodeType.ID)
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.GetNode(f.ctx, b.ID, a.a.ID)
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.GetRelationship(f.ctx, b.ID, a.rel.ID)
		wantCode(t, err, flexdb.NotFound)
	}},
	{"updates of A's rows through B are NotFound and change nothing", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.world()
		_, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: b.tenant.ID, ID: a.nodeType.ID, Name: "taken", At: later()})
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: b.tenant.ID, ID: a.a.ID, NodeTypeID: a.nodeType.ID,
			TypeVersion: a.nodeType.Version, Data: doc(t, `{"taken": true}`), At: later()})
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: b.tenant.ID, ID: a.a.ID, NodeTypeID: b.nodeType.ID,
			TypeVersion: b.nodeType.Version, Data: doc(t, `{"taken": true}`), At: later()})
		wantCode(t, err, flexdb.NotFound)
		_, err = f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: b.tenant.ID, ID: a.rel.ID, Type: "taken", At: later()})
		wantCode(t, err, flexdb.NotFound)
		f.intact(a)
		f.intact(b)
	}},
	{"deletes of A's rows through B are NotFound and remove nothing", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.world()
		wantCode(t, f.s.DeleteRelationship(f.ctx, b.tenant.ID, a.rel.ID, 0), flexdb.NotFound)
		wantCode(t, f.s.DeleteNode(f.ctx, b.tenant.ID, a.a.ID, 0), flexdb.NotFound)
		wantCode(t, f.s.DeleteNodeType(f.ctx, b.tenant.ID, a.nodeType.ID, false, 0), flexdb.NotFound)
		wantCode(t, f.s.DeleteNodeType(f.ctx, b.tenant.ID, a.nodeType.ID, true, 0), flexdb.NotFound)
		wantCode(t, f.s.RemoveMember(f.ctx, b.tenant.ID, a.user.ID), flexdb.NotFound)
		f.intact(a)
		f.intact(b)
	}},
	{"B's lists never include A's rows, even filtered by A's ids", func(t *testing.T, f *fixture) {
		a, b := f.world(), f.world()
		f.intact(b) // each list of B holds exactly B's rows
		nodes, total, err := f.s.ListNodes(f.ctx, b.tenant.ID, service.NodeFilter{NodeTypeID: a.nodeType.ID}, service.ListQuery{Limit: 10})
		wantTotal(t, nodes, total, err, 0, 0)
		for _, filter := range []service.RelationshipFilter{
			{SourceNodeID: a.a.ID},
			{TargetNodeID: a.b.ID},
			{SourceNodeID: a.a.ID, TargetNodeID: a.b.ID, Type: a.rel.Type},
		} {
			rels, total, err := f.s.ListRelationships(f.ctx, b.tenant.ID, filter, service.ListQuery{Limit: 10})
			wantTotal(t, rels, total, err, 0, 0)
		}
	}},
}
