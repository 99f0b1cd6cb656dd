package storetest

import (
	"slices"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// idList is a list call reduced to the ids it returns, so that one spec can hold for every list.
type idList func(q service.ListQuery) ([]string, int, error)

// listers are every list of the store. open makes a scope of the list's own in a fresh store (a tenant,
// a node type, two nodes) and returns the list and add, which writes one more item to it and returns
// its id; add reports errors rather than failing, so that writers running beside the test may call it.
// newestFirst tells the list's order: newest first, by id descending (ids are UUIDv7), as the
// original's ORDER BY created_at DESC; else by id ascending (memberships, by user id, as the original).
var listers = []struct {
	name        string
	newestFirst bool
	open        func(f *fixture) (list idList, add func() (string, error))
}{
	{"tenants", true, func(f *fixture) (idList, func() (string, error)) {
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListTenants(f.ctx, q)
				return ids(items, tenantID), total, err
			}, func() (string, error) {
				x := newTenant()
				return x.ID, f.s.CreateTenant(f.ctx, x)
			}
	}},
	{"users", true, func(f *fixture) (idList, func() (string, error)) {
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListUsers(f.ctx, q)
				return ids(items, userID), total, err
			}, func() (string, error) {
				u := newUser()
				return u.ID, f.s.CreateUser(f.ctx, u)
			}
	}},
	{"members, by user id", false, func(f *fixture) (idList, func() (string, error)) {
		tenant := f.tenant().ID
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListMembers(f.ctx, tenant, q)
				return ids(items, memberID), total, err
			}, func() (string, error) {
				u := newUser()
				if err := f.s.CreateUser(f.ctx, u); err != nil {
					return "", err
				}
				return u.ID, f.s.AddMember(f.ctx, &flexdb.Membership{TenantID: tenant, UserID: u.ID, Role: flexdb.RoleMember, Status: flexdb.MembershipActive})
			}
	}},
	{"node types", true, func(f *fixture) (idList, func() (string, error)) {
		tenant := f.tenant().ID
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListNodeTypes(f.ctx, tenant, q)
				return ids(items, typeID), total, err
			}, func() (string, error) {
				nt := newNodeType(tenant)
				return nt.ID, f.s.CreateNodeType(f.ctx, nt)
			}
	}},
	{"nodes", true, func(f *fixture) (idList, func() (string, error)) {
		nt := f.nodeType(f.tenant().ID)
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListNodes(f.ctx, nt.TenantID, service.NodeFilter{}, q)
				return ids(items, nodeID), total, err
			}, func() (string, error) {
				n := newNode(nt, `{"n": 1}`)
				return n.ID, f.s.CreateNode(f.ctx, n, nt.Version)
			}
	}},
	{"API keys", true, func(f *fixture) (idList, func() (string, error)) {
		tenant := f.tenant().ID
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListAPIKeys(f.ctx, tenant, q)
				return ids(items, keyID), total, err
			}, func() (string, error) {
				k := newKey(tenant, "", flexdb.RoleMember)
				return k.ID, f.s.CreateAPIKey(f.ctx, k)
			}
	}},
	{"roles", true, func(f *fixture) (idList, func() (string, error)) {
		tenant := f.tenant().ID
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListRoles(f.ctx, tenant, q)
				return ids(items, roleID), total, err
			}, func() (string, error) {
				r := newRole(tenant, "nodes.read")
				return r.ID, f.s.CreateRole(f.ctx, r)
			}
	}},
	{"relationships", true, func(f *fixture) (idList, func() (string, error)) {
		nt := f.nodeType(f.tenant().ID)
		a, b := f.node(nt), f.node(nt)
		return func(q service.ListQuery) ([]string, int, error) {
				items, total, err := f.s.ListRelationships(f.ctx, nt.TenantID, service.RelationshipFilter{}, q)
				return ids(items, relID), total, err
			}, func() (string, error) {
				r := newRel(nt.TenantID, a.ID, b.ID, "knows")
				return r.ID, f.s.CreateRelationship(f.ctx, r)
			}
	}},
}

// adds calls add n times, one after the other, and returns the ids in the order they were written.
func (f *fixture) adds(add func() (string, error), n int) []string {
	f.t.Helper()
	out := make([]string, n)
	for i := range out {
		id, err := add()
		must(f.t, err)
		out[i] = id
	}
	return out
}

// newestFirst is ids written one after the other, as a newest-first list returns them.
func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// inListOrder is ids written one after the other, in the order of a list that is newest first or, if
// not, by id ascending.
func inListOrder(ids []string, newest bool) []string {
	if newest {
		return newestFirst(ids)
	}
	return slices.Sorted(slices.Values(ids))
}

// wantPages walks list page by page, limit items at a time, and fails unless the pages, put together,
// are want in order, every page counting len(want) in all, and the page after the last is empty.
func wantPages(t *testing.T, list idList, want []string, limit int) {
	t.Helper()
	var seen []string
	after := ""
	for {
		got, total, err := list(service.ListQuery{After: after, Limit: limit})
		must(t, err)
		if total != len(want) {
			t.Fatalf("page after %q counts %d in all, want %d", after, total, len(want))
		}
		if len(got) > limit {
			t.Fatalf("page after %q has %d items, more than the limit %d", after, len(got), limit)
		}
		if len(got) == 0 {
			break
		}
		if len(seen)+len(got) > len(want) {
			t.Fatalf("pages hold more than the %d items written", len(want))
		}
		seen = append(seen, got...)
		after = got[len(got)-1]
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("pages of %d:\n got  %v\n want %v", limit, seen, want)
	}
}

var listSpecs = []spec{
	{"every list is newest first, memberships by user id, paging by After and Limit, each page counting all items", func(t *testing.T, f *fixture) {
		for _, l := range listers {
			t.Run(l.name, func(t *testing.T) {
				f := f.on(t)
				list, add := l.open(f)
				want := inListOrder(f.adds(add, 5), l.newestFirst)
				for _, limit := range []int{1, 2, 5, 100} {
					wantPages(t, list, want, limit)
				}
			})
		}
	}},
	{"members come by user id, whenever they joined", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		users := make([]string, 5)
		for i := range users {
			users[i] = f.user().ID
		}
		// Joined in an order that is neither their ids' nor its reverse: 2, 3, 4, 0, 1.
		for i := range users {
			f.member(tenant, users[(i+2)%len(users)])
		}
		wantPages(t, func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListMembers(f.ctx, tenant, q)
			return ids(items, memberID), total, err
		}, users, 2)
	}},
	{"nodes filter by node type, newest first", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		people, places, empty := f.nodeType(tenant), f.nodeType(tenant), f.nodeType(tenant)
		var all, ofPeople, ofPlaces []string
		for i := range 5 {
			nt := people
			if i%2 == 1 {
				nt = places
			}
			id := f.node(nt).ID
			all = append(all, id)
			if nt == people {
				ofPeople = append(ofPeople, id)
			} else {
				ofPlaces = append(ofPlaces, id)
			}
		}
		for _, c := range []struct {
			name   string
			filter service.NodeFilter
			want   []string
		}{
			{"none", service.NodeFilter{}, all},
			{"people", service.NodeFilter{NodeTypeID: people.ID}, ofPeople},
			{"places", service.NodeFilter{NodeTypeID: places.ID}, ofPlaces},
			{"a type with no nodes", service.NodeFilter{NodeTypeID: empty.ID}, nil},
			{"an unknown type", service.NodeFilter{NodeTypeID: newID()}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantPages(t, func(q service.ListQuery) ([]string, int, error) {
					items, total, err := f.s.ListNodes(f.ctx, tenant, c.filter, q)
					return ids(items, nodeID), total, err
				}, newestFirst(c.want), 2)
			})
		}
	}},
	{"relationships filter by source, target and type, alone or combined, newest first", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b, c := f.node(nt), f.node(nt), f.node(nt)
		abKnows, acKnows, bcLikes, caLikes, abLikes := f.rel(a, b, "knows"), f.rel(a, c, "knows"), f.rel(b, c, "likes"), f.rel(c, a, "likes"), f.rel(a, b, "likes")
		for _, x := range []struct {
			name   string
			filter service.RelationshipFilter
			want   []*flexdb.Relationship
		}{
			{"none", service.RelationshipFilter{}, []*flexdb.Relationship{abKnows, acKnows, bcLikes, caLikes, abLikes}},
			{"source", service.RelationshipFilter{SourceNodeID: a.ID}, []*flexdb.Relationship{abKnows, acKnows, abLikes}},
			{"target", service.RelationshipFilter{TargetNodeID: c.ID}, []*flexdb.Relationship{acKnows, bcLikes}},
			{"type", service.RelationshipFilter{Type: "likes"}, []*flexdb.Relationship{bcLikes, caLikes, abLikes}},
			{"source and type", service.RelationshipFilter{SourceNodeID: a.ID, Type: "likes"}, []*flexdb.Relationship{abLikes}},
			{"source and target", service.RelationshipFilter{SourceNodeID: a.ID, TargetNodeID: b.ID}, []*flexdb.Relationship{abKnows, abLikes}},
			{"target and type", service.RelationshipFilter{TargetNodeID: a.ID, Type: "likes"}, []*flexdb.Relationship{caLikes}},
			{"all three", service.RelationshipFilter{SourceNodeID: a.ID, TargetNodeID: b.ID, Type: "knows"}, []*flexdb.Relationship{abKnows}},
			{"matching nothing", service.RelationshipFilter{TargetNodeID: a.ID, Type: "knows"}, nil},
			{"an unknown type", service.RelationshipFilter{Type: "hates"}, nil},
		} {
			t.Run(x.name, func(t *testing.T) {
				var want []string
				for _, r := range x.want {
					want = append(want, r.ID)
				}
				wantPages(t, func(q service.ListQuery) ([]string, int, error) {
					items, total, err := f.s.ListRelationships(f.ctx, nt.TenantID, x.filter, q)
					return ids(items, relID), total, err
				}, newestFirst(want), 2)
			})
		}
	}},
	{"lists return items as written", func(t *testing.T, f *fixture) {
		x, u := f.tenant(), f.user()
		m := f.member(x.ID, u.ID)
		nt := f.nodeType(x.ID)
		a, b := f.node(nt), f.node(nt)
		r := f.rel(a, b, "knows")
		q := service.ListQuery{Limit: 10}
		tenants, _, err := f.s.ListTenants(f.ctx, q)
		must(t, err)
		sameList(t, tenants, []flexdb.Tenant{*x})
		users, _, err := f.s.ListUsers(f.ctx, q)
		must(t, err)
		sameList(t, users, []flexdb.User{*u})
		members, _, err := f.s.ListMembers(f.ctx, x.ID, q)
		must(t, err)
		sameList(t, members, []flexdb.Membership{*m})
		types, _, err := f.s.ListNodeTypes(f.ctx, x.ID, q)
		must(t, err)
		sameList(t, types, []flexdb.NodeType{*nt})
		nodes, _, err := f.s.ListNodes(f.ctx, x.ID, service.NodeFilter{}, q)
		must(t, err)
		sameList(t, nodes, []flexdb.Node{*b, *a})
		rels, _, err := f.s.ListRelationships(f.ctx, x.ID, service.RelationshipFilter{}, q)
		must(t, err)
		sameList(t, rels, []flexdb.Relationship{*r})
	}},
	{"a tenant-scoped list of an unknown tenant is NotFound, whatever its filters", func(t *testing.T, f *fixture) {
		f.tenant()
		for name, list := range tenantLists(f, newID()) {
			t.Run(name, func(t *testing.T) {
				_, _, err := list(service.ListQuery{Limit: 10})
				wantCode(t, err, flexdb.NotFound)
				_, _, err = list(service.ListQuery{After: newID(), Limit: 10})
				wantCode(t, err, flexdb.NotFound)
			})
		}
	}},
	{"a tenant-scoped list of an existing tenant with nothing in it is empty, with a total of 0", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		f.node(f.nodeType(f.tenant().ID)) // another tenant's data is not this tenant's
		for name, list := range tenantLists(f, tenant) {
			t.Run(name, func(t *testing.T) {
				items, total, err := list(service.ListQuery{Limit: 10})
				wantTotal(t, items, total, err, 0, 0)
			})
		}
	}},
	{"a global list of an empty store is empty, with a total of 0", func(t *testing.T, f *fixture) {
		tenants, total, err := f.s.ListTenants(f.ctx, service.ListQuery{Limit: 10})
		wantTotal(t, tenants, total, err, 0, 0)
		users, total, err := f.s.ListUsers(f.ctx, service.ListQuery{Limit: 10})
		wantTotal(t, users, total, err, 0, 0)
	}},
}

// tenantLists are the tenant-scoped list calls, filters included, for specs about the tenant alone.
func tenantLists(f *fixture, tenant string) map[string]idList {
	return map[string]idList{
		"members": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListMembers(f.ctx, tenant, q)
			return ids(items, memberID), total, err
		},
		"node types": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListNodeTypes(f.ctx, tenant, q)
			return ids(items, typeID), total, err
		},
		"nodes": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListNodes(f.ctx, tenant, service.NodeFilter{}, q)
			return ids(items, nodeID), total, err
		},
		"nodes of a type": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListNodes(f.ctx, tenant, service.NodeFilter{NodeTypeID: newID()}, q)
			return ids(items, nodeID), total, err
		},
		"API keys": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListAPIKeys(f.ctx, tenant, q)
			return ids(items, keyID), total, err
		},
		"roles": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListRoles(f.ctx, tenant, q)
			return ids(items, roleID), total, err
		},
		"relationships": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListRelationships(f.ctx, tenant, service.RelationshipFilter{}, q)
			return ids(items, relID), total, err
		},
		"relationships filtered": func(q service.ListQuery) ([]string, int, error) {
			items, total, err := f.s.ListRelationships(f.ctx, tenant, service.RelationshipFilter{SourceNodeID: newID(), TargetNodeID: newID(), Type: "knows"}, q)
			return ids(items, relID), total, err
		},
	}
}
