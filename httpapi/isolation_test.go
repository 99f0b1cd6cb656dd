package httpapi_test

// Isolation: every RPC of the proto, on every protocol and both engines, is tried by callers who must
// not get what they ask for, and by those who must. The cases are generated from the proto's list of
// RPCs and the request templates below; an RPC without a template fails the test, so a new RPC is
// covered the day it is added. Two tenants A and B hold the same kinds of data; every text of B carries
// B's marker, and no answer to a caller of A may hold the marker, an id of B the caller did not send
// itself, or a secret of B. At the end, B and A are as they were, every successful mutation wrote
// exactly one audit record naming who did what where, and no secret appears anywhere in the log.
//
// The families of cases, one behaviour each:
//   - roles: in a tenant of its own, each role's key (and the platform admin) makes the call; it works
//     when the role may make it, else PermissionDenied: a viewer writes nothing, a member manages no node
//     types, keys, roles or memberships, no tenant key makes a platform call (f, g, h);
//   - custom roles: in a tenant of its own, a key whose role the tenant defined with exactly what the call
//     needs makes it; one whose role grants every other permission, and one whose role the tenant never
//     defined, are refused (i);
//   - another tenant's ids: A's owner aims the call at B (a);
//   - own tenant, another tenant's ids: A's owner names its own tenant and B's objects (a);
//   - ids that do not exist, as the tenant or inside A (b);
//   - no valid credentials: none, malformed, unknown, or a real key under another scheme (d);
// then lists (c), revocation (e) and a role defined after its members got it (i).

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// access is what a call needs, as the README states it, written here independently of service.Calls.
type access int

const (
	anyone   access = iota + 1 // any valid credential
	platform                   // the platform admin only
	reads                      // a role of at least viewer in the tenant
	writes                     // at least member
	manages                    // at least admin
)

var roleRanks = map[string]int{flexdb.RoleViewer: 1, flexdb.RoleMember: 2, "member_user": 2, flexdb.RoleAdmin: 3, flexdb.RoleOwner: 4}

var accessRanks = map[access]int{reads: 1, writes: 2, manages: 3}

// mayCall reports whether a tenant key with role may make a call needing a.
func mayCall(role string, a access) bool {
	switch a {
	case anyone:
		return true
	case platform:
		return false
	}
	return roleRanks[role] >= accessRanks[a]
}

// needs are, for each call inside a tenant, the permissions a custom role must grant for the call's first
// template to succeed: the call's own permission first, then what the request hands out (a key or a
// member of role viewer, a role granting nodes.read), as the README states them.
var needs = map[string][]string{
	"GetTenant":            {"tenant.read"},
	"AddUserToTenant":      {"members.manage", "tenant.read", "members.read", "roles.read", "node_types.read", "nodes.read", "relationships.read"},
	"RemoveUserFromTenant": {"members.manage"}, "ListTenantUsers": {"members.read"},
	"CreateRole": {"roles.manage", "nodes.read"}, "UpdateRole": {"roles.manage", "nodes.read"}, "DeleteRole": {"roles.manage"},
	"GetRole": {"roles.read"}, "ListRoles": {"roles.read"},
	"CreateNodeType": {"node_types.write"}, "UpdateNodeType": {"node_types.write"}, "DeleteNodeType": {"node_types.write"},
	"GetNodeType": {"node_types.read"}, "ListNodeTypes": {"node_types.read"},
	"CreateNode": {"nodes.write"}, "UpdateNode": {"nodes.write"}, "DeleteNode": {"nodes.write"},
	"GetNode": {"nodes.read"}, "ListNodes": {"nodes.read"},
	"CreateRelationship": {"relationships.write"}, "UpdateRelationship": {"relationships.write"}, "DeleteRelationship": {"relationships.write"},
	"GetRelationship": {"relationships.read"}, "ListRelationships": {"relationships.read"},
	"CreateApiKey": {"keys.manage", "tenant.read", "members.read", "roles.read", "node_types.read", "nodes.read", "relationships.read"},
	"ListApiKeys":  {"keys.manage"}, "RevokeApiKey": {"keys.manage"},
}

// allPermissions are every permission a role may grant.
var allPermissions = []string{"tenant.read", "members.read", "members.manage", "roles.read", "roles.manage", "node_types.read",
	"node_types.write", "nodes.read", "nodes.write", "relationships.read", "relationships.write", "keys.manage", "member_keys.manage"}

// rpcSpec is what the isolation test knows of an RPC.
type rpcSpec struct {
	access access
	// requests are request templates; each runs in every family, the first alone in the role and
	// credential families, where it must succeed for a caller allowed to make it.
	requests []string
	// items, for a list of a tenant's objects, are the placeholders of exactly what it lists; "keys"
	// means every key of the tenant.
	items []string
}

var isolationSpecs = map[string]rpcSpec{
	"CreateTenant": {platform, []string{`{"slug": "{{new_slug}}", "name": "New"}`}, nil},
	"GetTenant":    {reads, []string{`{"id": "{{tenant}}"}`}, nil},
	"UpdateTenant": {platform, []string{`{"id": "{{tenant}}", "name": "Renamed"}`}, nil},
	"DeleteTenant": {platform, []string{`{"id": "{{tenant}}"}`}, nil},
	"ListTenants":  {platform, []string{`{"pagination": {"page_size": 100}}`}, nil},

	"CreateUser":           {platform, []string{`{"email": "{{new_email}}", "display_name": "New"}`}, nil},
	"GetUser":              {platform, []string{`{"id": "{{member}}"}`}, nil},
	"UpdateUser":           {platform, []string{`{"id": "{{member}}", "display_name": "Renamed"}`}, nil},
	"DeleteUser":           {platform, []string{`{"id": "{{member}}"}`}, nil},
	"ListUsers":            {platform, []string{`{"pagination": {"page_size": 100}}`}, nil},
	"AddUserToTenant":      {manages, []string{`{"tenant_id": "{{tenant}}", "user_id": "{{outsider}}", "role": "viewer"}`}, nil},
	"RemoveUserFromTenant": {manages, []string{`{"tenant_id": "{{tenant}}", "user_id": "{{member}}"}`}, nil},
	"ListTenantUsers":      {reads, []string{`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`}, []string{"member"}},

	"CreateNodeType": {manages, []string{`{"tenant_id": "{{tenant}}", "name": "{{new_name}}", "schema": "{\"type\": \"object\"}"}`}, nil},
	"GetNodeType":    {reads, []string{`{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`}, nil},
	"UpdateNodeType": {manages, []string{`{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "description": "Changed"}`}, nil},
	"DeleteNodeType": {manages, []string{
		`{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "cascade": true}`,
		`{"tenant_id": "{{tenant}}", "id": "{{empty_type}}"}`}, nil},
	"ListNodeTypes": {reads, []string{`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`}, []string{"node_type", "empty_type"}},

	"CreateNode": {writes, []string{`{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"title\": \"new\"}"}`}, nil},
	"GetNode":    {reads, []string{`{"tenant_id": "{{tenant}}", "id": "{{node}}"}`}, nil},
	"UpdateNode": {writes, []string{`{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": \"changed\"}"}`}, nil},
	"DeleteNode": {writes, []string{`{"tenant_id": "{{tenant}}", "id": "{{node}}"}`}, nil},
	"ListNodes": {reads, []string{
		`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`,
		`{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}"}`}, []string{"node", "other_node"}},

	"CreateRelationship": {writes, []string{`{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{other_node}}", "relationship_type": "cites"}`}, nil},
	"GetRelationship":    {reads, []string{`{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`}, nil},
	"UpdateRelationship": {writes, []string{`{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "relationship_type": "changed"}`}, nil},
	"DeleteRelationship": {writes, []string{`{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`}, nil},
	"ListRelationships": {reads, []string{
		`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`,
		`{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{other_node}}"}`}, []string{"relationship"}},

	"CreateRole": {manages, []string{`{"tenant_id": "{{tenant}}", "name": "{{new_name}}", "permissions": ["nodes.read"]}`}, nil},
	"GetRole":    {reads, []string{`{"tenant_id": "{{tenant}}", "name": "{{role}}"}`}, nil},
	"UpdateRole": {manages, []string{`{"tenant_id": "{{tenant}}", "name": "{{role}}", "permissions": ["nodes.read"]}`}, nil},
	"DeleteRole": {manages, []string{`{"tenant_id": "{{tenant}}", "name": "{{role}}"}`}, nil},
	"ListRoles":  {reads, []string{`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`}, []string{"role"}},

	"CreateApiKey": {manages, []string{
		`{"tenant_id": "{{tenant}}", "name": "new", "role": "viewer"}`,
		`{"tenant_id": "{{tenant}}", "name": "new", "user_id": "{{member}}"}`}, nil},
	"ListApiKeys":  {manages, []string{`{"tenant_id": "{{tenant}}", "pagination": {"page_size": 100}}`}, []string{"keys"}},
	"RevokeApiKey": {manages, []string{`{"tenant_id": "{{tenant}}", "id": "{{key}}"}`}, nil},
	"WhoAmI":       {anyone, []string{`{}`}, nil},
}

// TestIsolationSpecsCoverEveryRPC: every RPC of the proto has a spec whose templates are requests of
// its type naming only known placeholders, and no spec names an RPC the proto lacks.
func TestIsolationSpecsCoverEveryRPC(t *testing.T) {
	known := append(slices.Clone(tenantPlaceholders), freshPlaceholders...)
	seen := map[string]bool{}
	for _, md := range rpcs() {
		name := string(md.Name())
		seen[name] = true
		spec, ok := isolationSpecs[name]
		if !ok || len(spec.requests) == 0 {
			t.Errorf("%s has no request template in isolationSpecs: add one, with the access it needs", name)
			continue
		}
		for _, tmpl := range spec.requests {
			for _, p := range placeholdersOf(tmpl) {
				if !slices.Contains(known, p) {
					t.Errorf("%s: template names {{%s}}, which no fixture makes", name, p)
				}
			}
			req := newMessage(t, md.Input())
			if err := protojson.Unmarshal(expand(tmpl, missingValue), req); err != nil {
				t.Errorf("%s: template %s is not a %s: %v", name, tmpl, md.Input().FullName(), err)
			}
		}
	}
	for name, spec := range isolationSpecs {
		if !seen[name] {
			t.Errorf("isolationSpecs has %s, which the proto does not", name)
		}
		inTenant := spec.access != platform && spec.access != anyone
		if _, ok := needs[name]; ok != inTenant {
			t.Errorf("%s: a call inside a tenant, and only one, lists what a custom role needs for it in needs", name)
		}
		for _, p := range needs[name] {
			if !slices.Contains(allPermissions, p) {
				t.Errorf("%s needs %q, which is no permission", name, p)
			}
		}
	}
}

// isoCase is one behaviour of one RPC.
type isoCase struct {
	name    string
	md      protoreflect.MethodDescriptor
	prepare func(t *testing.T) (caller, []byte) // the caller and the request, made when the case runs
	want    []codes.Code
	// emptyList accepts a success that lists nothing, for a list whose filters name what is not there.
	emptyList bool
	// others are the tenancies none of whose data the reply may hold.
	others []*tenancy
}

var (
	refused = []codes.Code{codes.PermissionDenied, codes.NotFound}
	okOnly  = []codes.Code{codes.OK}
)

// isolationCases generates the cases of every RPC of the proto; A and B are full tenancies.
func isolationCases(t *testing.T, s *stack, a, b *tenancy) []isoCase {
	var cases []isoCase
	for _, md := range rpcs() {
		name := string(md.Name())
		spec, ok := isolationSpecs[name]
		if !ok || len(spec.requests) == 0 {
			t.Errorf("%s has no request template in isolationSpecs", name)
			continue
		}
		isList := strings.HasPrefix(name, "List")

		// Roles, each in a tenant of its own.
		for _, role := range append(slices.Clone(tenantRoles), "member_user", "platform_admin") {
			c := isoCase{name: name + "/role/" + role, md: md, others: []*tenancy{a, b}}
			switch {
			case role == "platform_admin":
				c.want, c.others = okOnly, nil // the platform admin sees every tenant
			case mayCall(role, spec.access):
				c.want = okOnly
			default:
				c.want = []codes.Code{codes.PermissionDenied}
			}
			c.prepare = func(t *testing.T) (caller, []byte) {
				w := newTenancy(t, s)
				who := adminCaller(s)
				if role != "platform_admin" {
					who = w.caller(role)
				}
				return who, expand(spec.requests[0], w.get)
			}
			cases = append(cases, c)
		}

		// Custom roles, each in a tenant of its own (i).
		exact := needs[name]
		var others []string // every permission but the call's own
		if len(exact) > 0 {
			others = slices.DeleteFunc(slices.Clone(allPermissions), func(p string) bool { return p == exact[0] })
		} else {
			others = allPermissions // a platform call, or one any key makes
		}
		for _, cr := range []struct {
			name  string
			perms []string
			ok    bool
		}{
			{"exactly_what_it_needs", exact, true},
			{"everything_else", others, spec.access == anyone},
			{"undefined", nil, spec.access == anyone},
		} {
			if cr.name == "exactly_what_it_needs" && len(exact) == 0 {
				continue
			}
			c := isoCase{name: name + "/custom_role/" + cr.name, md: md, want: []codes.Code{codes.PermissionDenied}, others: []*tenancy{a, b}}
			if cr.ok {
				c.want = okOnly
			}
			c.prepare = func(t *testing.T) (caller, []byte) {
				w := newTenancy(t, s)
				return w.customCaller(cr.perms), expand(spec.requests[0], w.get)
			}
			cases = append(cases, c)
		}

		for i, tmpl := range spec.requests {
			suffix := ""
			if i > 0 {
				suffix = fmt.Sprintf("_%d", i+1)
			}
			names := placeholdersOf(tmpl)
			ownsTenant := slices.Contains(names, "tenant")
			var owned []string // tenant placeholders beyond the tenant itself
			for _, n := range names {
				if n != "tenant" && n != "tenant_slug" && slices.Contains(tenantPlaceholders, n) {
					owned = append(owned, n)
				}
			}
			aOwner := func(resolve func(string) string) func(t *testing.T) (caller, []byte) {
				return func(t *testing.T) (caller, []byte) { return a.caller(flexdb.RoleOwner), expand(tmpl, resolve) }
			}
			fresh := func(name string) (string, bool) {
				if slices.Contains(freshPlaceholders, name) {
					return a.get(name), true
				}
				return "", false
			}

			// (a) Everything aimed at B.
			foreign := isoCase{name: name + "/another_tenants_ids" + suffix, md: md, want: refused, others: []*tenancy{b},
				prepare: aOwner(func(n string) string {
					if v, ok := fresh(n); ok {
						return v
					}
					return b.get(n)
				})}
			if spec.access == anyone {
				foreign.want = okOnly
			}
			cases = append(cases, foreign)

			// inTenantA names A's tenant and takes every other object from rest.
			inTenantA := func(rest func(string) string) func(string) string {
				return func(n string) string {
					if v, ok := fresh(n); ok {
						return v
					}
					if n == "tenant" || n == "tenant_slug" {
						return a.get(n)
					}
					return rest(n)
				}
			}

			// (a) A's own tenant, B's objects.
			if ownsTenant && len(owned) > 0 {
				cases = append(cases, isoCase{name: name + "/own_tenant_another_tenants_ids" + suffix, md: md, want: refused,
					emptyList: isList, others: []*tenancy{b},
					prepare: aOwner(inTenantA(b.get))})
			}

			// (b) Ids that do not exist: as the tenant, or inside A.
			if len(owned) > 0 || ownsTenant {
				cases = append(cases, isoCase{name: name + "/ids_that_do_not_exist" + suffix, md: md, want: refused, others: []*tenancy{b},
					prepare: aOwner(func(n string) string {
						if v, ok := fresh(n); ok {
							return v
						}
						return missingValue(n)
					})})
			}
			if ownsTenant && len(owned) > 0 {
				cases = append(cases, isoCase{name: name + "/own_tenant_ids_that_do_not_exist" + suffix, md: md, want: refused,
					emptyList: isList, others: []*tenancy{b},
					prepare: aOwner(inTenantA(missingValue))})
			}
		}

		// (d) No valid credentials, aimed at A's own objects.
		for _, bad := range []struct{ name, auth string }{
			{"no_key", ""},
			{"malformed_key", "Bearer not-a-key"},
			{"unknown_key", "Bearer " + unknownSecret(s)},
			{"real_key_under_another_scheme", "Basic " + a.key(flexdb.RoleOwner).secret},
			{"real_key_without_a_scheme", a.key(flexdb.RoleOwner).secret},
		} {
			cases = append(cases, isoCase{name: name + "/unauthenticated/" + bad.name, md: md,
				want: []codes.Code{codes.Unauthenticated}, others: []*tenancy{a, b},
				prepare: func(t *testing.T) (caller, []byte) {
					return caller{name: bad.name, auth: bad.auth}, expand(spec.requests[0], a.get)
				}})
		}
	}
	return cases
}

// unknownSecret is a well-formed key the server never made; it is recorded with the secrets, since it
// must not reach the log either.
func unknownSecret(s *stack) string {
	secret := service.NewSecret()
	s.secrets.add(secret)
	return secret
}

func TestIsolation(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			logs := &flexdbtest.LogBuffer{}
			s := startStack(t, e.Config(t), flexdbtest.Options{HTTP: defaultOptions, Log: logs})
			a, b := fullTenancy(t, s), fullTenancy(t, s)
			aBefore, bBefore := a.snapshot(), b.snapshot()
			book := &auditBook{want: map[string]auditRecord{}}
			cases := isolationCases(t, s, a, b)

			for _, p := range protocols {
				t.Run(p.name, func(t *testing.T) {
					for _, c := range cases {
						t.Run(c.name, func(t *testing.T) { runIsoCase(t, s, p, book, c) })
					}
					t.Run("lists_hold_only_the_tenants_rows", func(t *testing.T) { checkLists(t, s, p, book, a, b) })
					t.Run("a_revoked_key_stops_working", func(t *testing.T) { checkRevocation(t, s, p, book) })
					t.Run("a_members_key_stops_working_when_the_membership_ends", func(t *testing.T) { checkMembershipEnd(t, s, p, book) })
					t.Run("a_role_defined_after_the_membership_takes_effect", func(t *testing.T) { checkRoleDefinedLater(t, s, p, book) })
				})
			}

			if got := b.snapshot(); got != bBefore {
				t.Errorf("B changed:\nbefore:\n%s\nafter:\n%s", bBefore, got)
			}
			if got := a.snapshot(); got != aBefore {
				t.Errorf("A changed:\nbefore:\n%s\nafter:\n%s", aBefore, got)
			}
			t.Run("every_mutation_is_audited_once", func(t *testing.T) { book.check(t, logs) })
			t.Run("no_secret_is_logged", func(t *testing.T) { checkNoSecretLogged(t, logs.Bytes(), s.secrets.all()) })
		})
	}
}

func runIsoCase(t *testing.T, s *stack, p protocol, book *auditBook, c isoCase) {
	who, request := c.prepare(t)
	r := book.send(t, s, p, c.md, request, who)
	switch {
	case slices.Contains(c.want, r.Code):
	case c.emptyList && r.Code == codes.OK && listsNothing(t, r.Body):
	default:
		t.Fatalf("%s as %s: %s (%s), want one of %v\nrequest: %s", c.md.Name(), who.name, r.Code, r.Message, c.want, request)
	}
	if want := p.wire(c.md, r.Code); r.Wire != want {
		t.Errorf("answered %d for %s, want %d", r.Wire, r.Code, want)
	}
	for _, o := range c.others {
		if leaked := leaks(r.raw, request, o); len(leaked) > 0 {
			t.Errorf("%s as %s: the reply holds another tenant's %s\nrequest: %s\nreply: %s", c.md.Name(), who.name,
				strings.Join(leaked, ", "), request, r.raw)
		}
	}
}

// leaks names what of o the reply holds: its marker (in every text it stores), an id the request did
// not carry, or a secret.
func leaks(raw, request []byte, o *tenancy) []string {
	var out []string
	if bytes.Contains(raw, []byte(o.marker)) {
		out = append(out, "data (marker "+o.marker+")")
	}
	for _, id := range o.ids() {
		if bytes.Contains(raw, []byte(id)) && !bytes.Contains(request, []byte(id)) {
			out = append(out, "id "+id)
		}
	}
	for _, secret := range o.secrets() {
		if bytes.Contains(raw, []byte(secret)) {
			out = append(out, "secret")
		}
	}
	return out
}

// listsNothing reports whether every list in a response is empty.
func listsNothing(t testing.TB, body string) bool {
	m, ok := decode(t, []byte(body)).(map[string]any)
	if !ok {
		return false
	}
	lists := 0
	for _, v := range m {
		if l, ok := v.([]any); ok {
			lists++
			if len(l) > 0 {
				return false
			}
		}
	}
	return lists > 0
}

// checkLists: each tenant's owner lists its node types, nodes, relationships, members and keys, and sees
// exactly its own (c).
func checkLists(t *testing.T, s *stack, p protocol, book *auditBook, a, b *tenancy) {
	for _, md := range rpcs() {
		spec := isolationSpecs[string(md.Name())]
		if spec.items == nil {
			continue
		}
		for _, pair := range []struct {
			name        string
			self, other *tenancy
		}{{"a", a, b}, {"b", b, a}} {
			t.Run(string(md.Name())+"/by_"+pair.name, func(t *testing.T) {
				self := pair.self
				request := expand(spec.requests[0], self.get)
				r := book.send(t, s, p, md, request, self.caller(flexdb.RoleOwner))
				if r.Code != codes.OK {
					t.Fatalf("%s: %s (%s)", md.Name(), r.Code, r.Message)
				}
				var want []string
				for _, item := range spec.items {
					if item == "keys" {
						want = append(want, self.keyIDs()...)
					} else {
						want = append(want, self.get(item))
					}
				}
				slices.Sort(want)
				var got []string
				for _, v := range decode(t, []byte(r.Body)).(map[string]any) {
					items, ok := v.([]any)
					if !ok {
						continue
					}
					for _, it := range items {
						if tid := field(it, "tenant_id"); tid != self.get("tenant") {
							t.Errorf("an item of tenant %v: %v", tid, it)
						}
						id, _ := field(it, "id").(string)
						if id == "" {
							id, _ = field(it, "user_id").(string)
						}
						if id == "" { // a role, whose name is its key
							id, _ = field(it, "name").(string)
						}
						got = append(got, id)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("lists %v, want %v", got, want)
				}
				if leaked := leaks(r.raw, request, pair.other); len(leaked) > 0 {
					t.Errorf("the list holds the other tenant's %s", strings.Join(leaked, ", "))
				}
			})
		}
	}
}

// poll makes call until it answers code, for at most eventually, and returns how long that took (for the
// log: how soon is the cache's TTL to bound, by construction, not a stopwatch's on a loaded machine).
func poll(t *testing.T, code codes.Code, call func() reply) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := call()
		if r.Code == code {
			return time.Since(start)
		}
		if time.Since(start) > eventually {
			t.Fatalf("still %s (%s) after %s, want %s", r.Code, r.Message, eventually, code)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventually bounds the wait for what must happen within service.RevocationBound: generously, so that
// only a change that never comes fails a test, however loaded the machine.
const eventually = 30 * time.Second

// checkRevocation: a key revoked with RevokeApiKey stops working within RevocationBound (e).
func checkRevocation(t *testing.T, s *stack, p protocol, book *auditBook) {
	w := newTenancy(t, s)
	k, owner := w.caller(flexdb.RoleViewer), w.caller(flexdb.RoleOwner)
	stopsWorking(t, s, p, book, w, k, owner, "RevokeApiKey", `{"tenant_id": "{{tenant}}", "id": "`+k.keyID+`"}`)
	// The owner's listing shows the key revoked.
	list := book.send(t, s, p, rpcNamed(t, "ListApiKeys"), expand(`{"tenant_id": "{{tenant}}"}`, w.get), owner)
	for _, it := range field(decode(t, []byte(list.Body)), "api_keys").([]any) {
		if field(it, "id") == k.keyID && field(it, "revoked_at") == nil {
			t.Errorf("ListApiKeys shows the revoked key as valid: %v", it)
		}
	}
}

// checkMembershipEnd: a member's key dies with the membership (e).
func checkMembershipEnd(t *testing.T, s *stack, p protocol, book *auditBook) {
	w := newTenancy(t, s)
	stopsWorking(t, s, p, book, w, w.caller("member_user"), w.caller(flexdb.RoleOwner),
		"RemoveUserFromTenant", `{"tenant_id": "{{tenant}}", "user_id": "{{member}}"}`)
}

// checkRoleDefinedLater: a member holds a role the tenant has not defined, and its key may do nothing;
// the owner defines the role, and within RevocationBound the key does what the role grants, and no
// more (i).
func checkRoleDefinedLater(t *testing.T, s *stack, p protocol, book *auditBook) {
	w := newTenancy(t, s)
	role := "Later " + letters(12)
	u, err := s.svc.CreateUser(asAdmin(), "l-"+letters(16)+"@example.com", "Later")
	w.must("user", err)
	_, err = s.svc.AddUserToTenant(asAdmin(), w.get("tenant"), u.ID, role)
	w.must("membership", err)
	k, secret, err := s.svc.CreateAPIKey(asAdmin(), w.get("tenant"), "later", u.ID, "")
	w.must("member key", err)
	s.secrets.add(secret)
	member := caller{name: role, auth: "Bearer " + secret, kind: flexdb.PrincipalKey, keyID: k.ID}

	getNode, getType := rpcNamed(t, "GetNode"), rpcNamed(t, "GetNodeType")
	node, nodeType := expand(`{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, w.get), expand(`{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, w.get)
	if r := book.send(t, s, p, getNode, node, member); r.Code != codes.PermissionDenied { // now in the key cache
		t.Fatalf("before the role is defined: %s (%s), want PermissionDenied", r.Code, r.Message)
	}
	define := expand(`{"tenant_id": "{{tenant}}", "name": "`+role+`", "permissions": ["nodes.read"]}`, w.get)
	if r := book.send(t, s, p, rpcNamed(t, "CreateRole"), define, w.caller(flexdb.RoleOwner)); r.Code != codes.OK {
		t.Fatalf("CreateRole: %s (%s)", r.Code, r.Message)
	}
	poll(t, codes.OK, func() reply { return book.send(t, s, p, getNode, node, member) })
	if r := book.send(t, s, p, getType, nodeType, member); r.Code != codes.PermissionDenied {
		t.Errorf("GetNodeType, which the role does not grant: %s (%s), want PermissionDenied", r.Code, r.Message)
	}
}

// stopsWorking: key k works, then the owner's call ends it, and k is refused (within RevocationBound by
// the key cache's construction: service's TestAuthenticator).
func stopsWorking(t *testing.T, s *stack, p protocol, book *auditBook, w *tenancy, k, owner caller, end, endRequest string) {
	t.Helper()
	get := expand(`{"id": "{{tenant}}"}`, w.get)
	if r := book.send(t, s, p, rpcNamed(t, "GetTenant"), get, k); r.Code != codes.OK { // the key is now in the cache
		t.Fatalf("before %s: %s (%s)", end, r.Code, r.Message)
	}
	if r := book.send(t, s, p, rpcNamed(t, end), expand(endRequest, w.get), owner); r.Code != codes.OK {
		t.Fatalf("%s: %s (%s)", end, r.Code, r.Message)
	}
	took := poll(t, codes.Unauthenticated, func() reply {
		return book.send(t, s, p, rpcNamed(t, "GetTenant"), get, k)
	})
	t.Logf("the key was refused %s after %s", took.Round(time.Millisecond), end)
}

// ---------------------------------------------------------------------------------------------------------
// The audit log

// auditRecord is what the audit line of a mutation must say.
type auditRecord struct {
	Principal, KeyID, Method, TenantID, ID string
}

// auditBook sends calls and keeps, by request id, the audit record each successful mutation must have
// written.
type auditBook struct {
	mu   sync.Mutex
	want map[string]auditRecord
}

// mutates reports whether an RPC changes data, by the verb it starts with.
func mutates(md protoreflect.MethodDescriptor) bool {
	for _, verb := range []string{"Create", "Update", "Delete", "Add", "Remove", "Revoke"} {
		if strings.HasPrefix(string(md.Name()), verb) {
			return true
		}
	}
	return false
}

// send makes a call as who, noting the audit record it must write if it is a successful mutation and
// the secret it returns if it makes a key.
func (b *auditBook) send(t testing.TB, s *stack, p protocol, md protoreflect.MethodDescriptor, request []byte, who caller) reply {
	t.Helper()
	r := p.send(t, s, md, request, who.auth)
	if r.Code != codes.OK {
		return r
	}
	if secret, _ := field(decode(t, []byte(r.Body)), "secret").(string); secret != "" {
		s.secrets.add(secret)
	}
	if !mutates(md) {
		return r
	}
	id := r.get("x-request-id")
	if id == "" {
		t.Errorf("%s: the reply names no request id", md.Name())
		return r
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.want[id] = expectedAudit(t, md, request, []byte(r.Body), who)
	return r
}

// expectedAudit is the record a successful mutation must write: who (the principal's kind and key id),
// the method, the tenant acted in ("" for the platform's users) and the object touched: the one made
// for a create, the user for a membership, else the one named.
func expectedAudit(t testing.TB, md protoreflect.MethodDescriptor, request, response []byte, who caller) auditRecord {
	str := func(v any) string { s, _ := v.(string); return s }
	req, resp := decode(t, request), decode(t, response)
	var made any // the object a create answers with
	if f := md.Output().Fields(); f.Len() > 0 && f.Get(0).Kind() == protoreflect.MessageKind {
		made = field(resp, string(f.Get(0).Name()))
	}
	rec := auditRecord{Principal: who.kind, KeyID: who.keyID, Method: fullMethod(md)}
	name := string(md.Name())
	switch {
	case md.Parent().Name() == "RoleService": // a role's name is its key
		rec.ID = str(field(req, "name"))
	case strings.HasPrefix(name, "Create"):
		rec.ID = str(field(made, "id"))
	case name == "AddUserToTenant" || name == "RemoveUserFromTenant":
		rec.ID = str(field(req, "user_id"))
	default:
		rec.ID = str(field(req, "id"))
	}
	switch md.Parent().Name() {
	case "TenantService":
		rec.TenantID = rec.ID
	case "UserService":
		rec.TenantID = str(field(req, "tenant_id")) // "" but for memberships
	default:
		rec.TenantID = str(field(req, "tenant_id"))
	}
	if rec.ID == "" {
		t.Fatalf("%s: no id to expect in its audit record (request %s, response %s)", name, request, response)
	}
	return rec
}

// check compares the log's audit records with the mutations made: one each, saying what it must, and
// none for anything else.
func (b *auditBook) check(t *testing.T, logs *flexdbtest.LogBuffer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := map[string][]auditRecord{}
	records := logs.Records(t, "audit")
	for _, rec := range records {
		for _, k := range []string{"principal", "key_id", "method", "tenant_id", "id", "request_id"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("an audit record without %s: %v", k, rec)
			}
		}
		s := func(k string) string { v, _ := rec[k].(string); return v }
		got[s("request_id")] = append(got[s("request_id")], auditRecord{s("principal"), s("key_id"), s("method"), s("tenant_id"), s("id")})
	}
	for id, want := range b.want {
		switch g := got[id]; {
		case len(g) != 1:
			t.Errorf("request %s (%s): %d audit records, want 1", id, want.Method, len(g))
		case g[0] != want:
			t.Errorf("request %s: audit record\n%+v, want\n%+v", id, g[0], want)
		}
	}
	for id, g := range got {
		if _, ok := b.want[id]; !ok {
			t.Errorf("request %s was audited but is no successful mutation: %+v", id, g)
		}
	}
	if len(b.want) == 0 || len(records) != len(b.want) {
		t.Errorf("%d audit records for %d successful mutations", len(records), len(b.want))
	}
	t.Logf("%d successful mutations, each audited once", len(b.want))
}

// checkNoSecretLogged fails if any 12 consecutive characters of a secret's random part occur in log.
func checkNoSecretLogged(t *testing.T, log []byte, secrets []string) {
	const window = 12
	pieces := map[string]int{}
	for i, s := range secrets {
		body := strings.TrimPrefix(s, "fdb_")
		for j := 0; j+window <= len(body); j++ {
			pieces[body[j:j+window]] = i
		}
	}
	for j := 0; j+window <= len(log); j++ {
		if i, ok := pieces[string(log[j:j+window])]; ok {
			from := max(0, j-200)
			t.Fatalf("the log holds part of secret %d: ...%s...", i, log[from:min(len(log), j+200)])
		}
	}
	if len(log) == 0 || len(secrets) < 10 {
		t.Fatalf("nothing to check: %d bytes of log, %d secrets", len(log), len(secrets))
	}
	t.Logf("%d secrets, none in %d bytes of log", len(secrets), len(log))
}
