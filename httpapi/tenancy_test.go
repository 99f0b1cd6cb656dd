package httpapi_test

// A tenancy is one tenant with everything a tenant holds: node types, nodes, a relationship, a member,
// and API keys of every role, all made through the service as the platform admin (fixtures are not
// under test). Every text it stores carries its marker, a string no other tenancy has, so that a test
// can tell from the bytes of a response whether any of the tenancy's data is in it.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"github.com/google/uuid"
)

// Placeholders a request template may name. The tenant's own name the tenant's objects; the fresh ones
// are made anew each time they are named and belong to no tenant (new names, a user of the platform
// who is a member nowhere).
var (
	tenantPlaceholders = []string{"tenant", "tenant_slug", "node_type", "empty_type", "node", "other_node", "relationship", "member", "key", "role"}
	freshPlaceholders  = []string{"new_slug", "new_email", "new_name", "outsider"}
)

// Roles of tenant keys, weakest first.
var tenantRoles = []string{flexdb.RoleViewer, flexdb.RoleMember, flexdb.RoleAdmin, flexdb.RoleOwner}

type apiKey struct{ id, secret string }

func (k apiKey) auth() string { return "Bearer " + k.secret }

type tenancy struct {
	t      testing.TB
	s      *stack
	marker string
	values map[string]string // tenant placeholders made so far
	keys   map[string]apiKey // by role; "member_user" is the member's own key, which takes the member's role
}

// letters returns n random lower-case letters: never part of a UUID, a slug of another fixture or,
// in practice, of a base64 secret.
func letters(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	return string(b)
}

func newTenancy(t testing.TB, s *stack) *tenancy {
	return &tenancy{t: t, s: s, marker: "mk" + letters(14), values: map[string]string{}, keys: map[string]apiKey{}}
}

// full is a tenancy with every placeholder and every key made now, so that all(): its ids, is complete.
func fullTenancy(t testing.TB, s *stack) *tenancy {
	tn := newTenancy(t, s)
	for _, name := range tenantPlaceholders {
		tn.get(name)
	}
	for _, role := range append(slices.Clone(tenantRoles), "member_user") {
		tn.key(role)
	}
	return tn
}

func (tn *tenancy) must(what string, err error) {
	tn.t.Helper()
	if err != nil {
		tn.t.Fatalf("fixture %s: %v", what, err)
	}
}

// get returns a placeholder's value: a tenant placeholder's is made on first use and kept, a fresh
// one's is made each time.
func (tn *tenancy) get(name string) string {
	tn.t.Helper()
	if v, ok := tn.values[name]; ok {
		return v
	}
	ctx, svc, m := asAdmin(), tn.s.svc, tn.marker
	var v string
	switch name {
	case "tenant", "tenant_slug":
		t, err := svc.CreateTenant(ctx, "t-"+m, "Tenant "+m)
		tn.must(name, err)
		tn.values["tenant"], tn.values["tenant_slug"] = t.ID, t.Slug
		return tn.values[name]
	case "node_type":
		schema := `{"description": "` + m + `", "type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}`
		nt, err := svc.CreateNodeType(ctx, tn.get("tenant"), "Article "+m, "About "+m, schema)
		tn.must(name, err)
		v = nt.ID
	case "empty_type":
		nt, err := svc.CreateNodeType(ctx, tn.get("tenant"), "Empty "+m, "Unused "+m, "")
		tn.must(name, err)
		v = nt.ID
	case "node", "other_node":
		n, err := svc.CreateNode(ctx, tn.get("tenant"), tn.get("node_type"), `{"title": "`+name+` `+m+`"}`)
		tn.must(name, err)
		v = n.ID
	case "relationship":
		r, err := svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: tn.get("tenant"), SourceNodeID: tn.get("node"),
			TargetNodeID: tn.get("other_node"), Type: "links-" + m, Data: `{"note": "` + m + `"}`})
		tn.must(name, err)
		v = r.ID
	case "member":
		u, err := svc.CreateUser(ctx, m+"-member@example.com", "Member "+m)
		tn.must(name, err)
		_, err = svc.AddUserToTenant(ctx, tn.get("tenant"), u.ID, flexdb.RoleMember)
		tn.must(name, err)
		v = u.ID
	case "role": // a custom role no one holds. Its name is the role's key, so it is random like an id (the
		// leak check treats it as one) rather than carrying the marker, which a NotFound echoing the
		// request's name would otherwise show.
		r, err := svc.CreateRole(ctx, tn.get("tenant"), "Role "+letters(16), []string{"nodes.read"})
		tn.must(name, err)
		v = r.Name
	case "key": // a key no caller uses, to revoke
		k, secret, err := svc.CreateAPIKey(ctx, tn.get("tenant"), "Spare "+m, "", flexdb.RoleViewer)
		tn.must(name, err)
		tn.s.secrets.add(secret)
		v = k.ID
	case "new_slug":
		return "n-" + letters(16)
	case "new_email":
		return "n-" + letters(16) + "@example.com"
	case "new_name":
		return "New " + letters(16)
	case "outsider":
		u, err := svc.CreateUser(ctx, "o-"+letters(16)+"@example.com", "Outsider")
		tn.must(name, err)
		return u.ID
	default:
		tn.t.Fatalf("no fixture makes {{%s}}", name)
	}
	tn.values[name] = v
	return v
}

// key returns the tenant's key of role (made on first use); "member_user" is the member's own key.
func (tn *tenancy) key(role string) apiKey {
	tn.t.Helper()
	if k, ok := tn.keys[role]; ok {
		return k
	}
	var k *flexdb.APIKey
	var secret string
	var err error
	if role == "member_user" {
		k, secret, err = tn.s.svc.CreateAPIKey(asAdmin(), tn.get("tenant"), "Member key "+tn.marker, tn.get("member"), "")
	} else {
		k, secret, err = tn.s.svc.CreateAPIKey(asAdmin(), tn.get("tenant"), role+" key "+tn.marker, "", role)
	}
	tn.must(role+" key", err)
	tn.s.secrets.add(secret)
	tn.keys[role] = apiKey{id: k.ID, secret: secret}
	return tn.keys[role]
}

// customCaller returns a service key of a custom role the tenant defines now, granting perms (none
// defined at all when perms is nil: a role name the tenant never defined).
func (tn *tenancy) customCaller(perms []string) caller {
	tn.t.Helper()
	role := "Custom " + letters(12)
	if perms != nil {
		_, err := tn.s.svc.CreateRole(asAdmin(), tn.get("tenant"), role, perms)
		tn.must("custom role", err)
	}
	k, secret, err := tn.s.svc.CreateAPIKey(asAdmin(), tn.get("tenant"), role+" key", "", role)
	tn.must("custom role key", err)
	tn.s.secrets.add(secret)
	return caller{name: role, auth: "Bearer " + secret, kind: flexdb.PrincipalKey, keyID: k.ID}
}

// caller is who a call is made as: the Authorization sent, and the principal the audit log must name.
type caller struct {
	name  string
	auth  string
	kind  string // flexdb.PrincipalKey or flexdb.PrincipalAdmin; "" for a caller without valid credentials
	keyID string
}

func (tn *tenancy) caller(role string) caller {
	k := tn.key(role)
	return caller{name: role, auth: k.auth(), kind: flexdb.PrincipalKey, keyID: k.id}
}

func adminCaller(s *stack) caller {
	return caller{name: "platform_admin", auth: s.admin, kind: flexdb.PrincipalAdmin, keyID: "admin"}
}

// ids are every id and key id of the tenancy; secrets its keys' secrets.
func (tn *tenancy) ids() []string {
	out := slices.Collect(maps.Values(tn.values))
	for _, k := range tn.keys {
		out = append(out, k.id)
	}
	return out
}

func (tn *tenancy) secrets() []string {
	var out []string
	for _, k := range tn.keys {
		out = append(out, k.secret)
	}
	return out
}

// keyIDs are the ids of the keys made for the tenancy, the spare one included.
func (tn *tenancy) keyIDs() []string {
	out := []string{tn.get("key")}
	for _, k := range tn.keys {
		out = append(out, k.id)
	}
	slices.Sort(out)
	return out
}

// snapshot is everything stored of the tenancy, as the platform admin reads it through the service.
func (tn *tenancy) snapshot() string {
	tn.t.Helper()
	ctx, svc, id := asAdmin(), tn.s.svc, tn.get("tenant")
	all := service.PageRequest{Size: service.MaxPageSize}
	var b strings.Builder
	add := func(what string, v any, err error) {
		tn.must("snapshot "+what, err)
		fmt.Fprintf(&b, "%s: %+v\n", what, v)
	}
	t, err := svc.GetTenant(ctx, id)
	add("tenant", t, err)
	u, err := svc.GetUser(ctx, tn.get("member"))
	add("member", u, err)
	nts, err := svc.ListNodeTypes(ctx, id, all)
	add("node types", nts, err)
	ns, err := svc.ListNodes(ctx, id, service.NodeFilter{}, all)
	add("nodes", ns, err)
	rs, err := svc.ListRelationships(ctx, id, service.RelationshipFilter{}, all)
	add("relationships", rs, err)
	ms, err := svc.ListTenantUsers(ctx, id, all)
	add("members", ms, err)
	roles, err := svc.ListRoles(ctx, id, all)
	add("roles", roles, err)
	ks, err := svc.ListAPIKeys(ctx, id, all)
	tn.must("snapshot keys", err)
	for _, k := range ks.Items {
		fmt.Fprintf(&b, "key: %s %s %s %s %s %s revoked=%v\n", k.TenantID, k.ID, k.Name, k.UserID, k.Role, k.Hash, k.RevokedAt != nil)
	}
	return b.String()
}

// expand replaces every {{name}} of a template with resolve(name).
func expand(template string, resolve func(string) string) []byte {
	return []byte(placeholder.ReplaceAllStringFunc(template, func(p string) string { return resolve(p[2 : len(p)-2]) }))
}

// placeholdersOf lists the placeholders a template names.
func placeholdersOf(template string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		out = append(out, m[1])
	}
	return out
}

// missingValue is what a tenant placeholder becomes when aimed at nothing: an id nothing has.
func missingValue(name string) string {
	if name == "tenant_slug" {
		return "x-" + letters(16)
	}
	return uuid.Must(uuid.NewV7()).String()
}
