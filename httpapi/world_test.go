package httpapi_test

// A world is the data a scenario needs, made fresh for each protocol that runs it: a tenant, users, node
// types, nodes, a relationship. Requests name them as {{placeholders}}; each is made on first use, through
// the service (fixtures are not under test). Outcomes are compared between protocols after normalize
// turns each world's values back into their placeholder names.

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/google/uuid"
)

type world struct {
	t      testing.TB
	s      *stack
	values map[string]string
	order  []string // placeholder names in the order their values were made
}

func newWorld(t testing.TB, s *stack) *world {
	w := &world{t: t, s: s, values: map[string]string{}}
	letters := make([]byte, 10)
	for i := range letters {
		letters[i] = byte('a' + rand.IntN(26))
	}
	w.set("suffix", string(letters)) // letters only: never part of a UUID
	return w
}

func (w *world) set(name, value string) {
	if _, ok := w.values[name]; !ok {
		w.order = append(w.order, name)
	}
	w.values[name] = value
}

// get returns the value of a placeholder, making it first if need be.
func (w *world) get(name string) string {
	w.t.Helper()
	if v, ok := w.values[name]; ok {
		return v
	}
	w.make(name)
	v, ok := w.values[name]
	if !ok {
		w.t.Fatalf("fixture %s made nothing", name)
	}
	return v
}

// articleSchema is the node type every world's nodes are of: an object with a string title.
const articleSchema = `{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}`

func (w *world) make(name string) {
	w.t.Helper()
	ctx := asAdmin()
	svc, sfx := w.s.svc, w.values["suffix"]
	must := func(err error) {
		w.t.Helper()
		if err != nil {
			w.t.Fatalf("fixture %s: %v", name, err)
		}
	}
	switch name {
	case "nobody": // no credentials at all
		w.set(name, "")
	case "viewer": // the Authorization header of a tenant key with role viewer
		_, secret, err := svc.CreateAPIKey(ctx, w.get("tenant"), "viewer", "", flexdb.RoleViewer)
		must(err)
		w.set(name, "Bearer "+secret)
	case "missing": // an id nothing has
		w.set(name, uuid.Must(uuid.NewV7()).String())
	case "tenant", "tenant_slug":
		tn, err := svc.CreateTenant(ctx, "w-"+sfx, "World")
		must(err)
		w.set("tenant", tn.ID)
		w.set("tenant_slug", tn.Slug)
	case "other_tenant", "other_tenant_slug":
		tn, err := svc.CreateTenant(ctx, "o-"+sfx, "Other")
		must(err)
		w.set("other_tenant", tn.ID)
		w.set("other_tenant_slug", tn.Slug)
	case "user", "user_email":
		u, err := svc.CreateUser(ctx, "u-"+sfx+"@example.com", "User")
		must(err)
		w.set("user", u.ID)
		w.set("user_email", u.Email)
	case "other_user", "other_user_email":
		u, err := svc.CreateUser(ctx, "o-"+sfx+"@example.com", "Other")
		must(err)
		w.set("other_user", u.ID)
		w.set("other_user_email", u.Email)
	case "member": // a user who is a member of the tenant
		u, err := svc.CreateUser(ctx, "m-"+sfx+"@example.com", "Member")
		must(err)
		_, err = svc.AddUserToTenant(ctx, w.get("tenant"), u.ID, flexdb.RoleMember)
		must(err)
		w.set(name, u.ID)
	case "other_member": // another user who is a member of the tenant, made and joined after member
		w.get("member")
		u, err := svc.CreateUser(ctx, "n-"+sfx+"@example.com", "Other member")
		must(err)
		_, err = svc.AddUserToTenant(ctx, w.get("tenant"), u.ID, flexdb.RoleMember)
		must(err)
		w.set(name, u.ID)
	case "key", "other_key": // the id of a service key of the tenant; other_key is made after key
		if name == "other_key" {
			w.get("key")
		}
		k, _, err := svc.CreateAPIKey(ctx, w.get("tenant"), name, "", flexdb.RoleMember)
		must(err)
		w.set(name, k.ID)
	case "node_type":
		nt, err := svc.CreateNodeType(ctx, w.get("tenant"), "Article", "An article", articleSchema)
		must(err)
		w.set(name, nt.ID)
	case "empty_type": // a node type without nodes
		nt, err := svc.CreateNodeType(ctx, w.get("tenant"), "Unused", "", "")
		must(err)
		w.set(name, nt.ID)
	case "node":
		n, err := svc.CreateNode(ctx, w.get("tenant"), w.get("node_type"), `{"title": "first"}`)
		must(err)
		w.set(name, n.ID)
	case "other_node":
		n, err := svc.CreateNode(ctx, w.get("tenant"), w.get("node_type"), `{"title": "second"}`)
		must(err)
		w.set(name, n.ID)
	case "relationship": // node -> other_node
		r, err := svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: w.get("tenant"), SourceNodeID: w.get("node"),
			TargetNodeID: w.get("other_node"), Type: "links", Data: `{"weight": 1}`})
		must(err)
		w.set(name, r.ID)
	case "other_relationship": // other_node -> node, made after relationship
		w.get("relationship")
		r, err := svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: w.get("tenant"), SourceNodeID: w.get("other_node"),
			TargetNodeID: w.get("node"), Type: "links", Data: `{"weight": 2}`})
		must(err)
		w.set(name, r.ID)
	case "role": // a role the tenant defined, which no one holds
		_, err := svc.CreateRole(ctx, w.get("tenant"), "Reviewer", []string{"nodes.read", "nodes.write"})
		must(err)
		w.set(name, "Reviewer")
	case "held_role": // a free-text role two members hold, which the tenant defined
		_, err := svc.CreateRole(ctx, w.get("tenant"), "Team lead (EU) ✓", []string{"nodes.read"})
		must(err)
		for _, who := range []string{"l1", "l2"} {
			u, err := svc.CreateUser(ctx, who+"-"+sfx+"@example.com", "Lead")
			must(err)
			_, err = svc.AddUserToTenant(ctx, w.get("tenant"), u.ID, "Team lead (EU) ✓")
			must(err)
		}
		w.set(name, "Team lead (EU) ✓")
	case "reviewer": // the Authorization header of a service key whose custom role grants nodes.read and roles.manage
		_, err := svc.CreateRole(ctx, w.get("tenant"), "reviewer", []string{"nodes.read", "roles.manage"})
		must(err)
		_, secret, err := svc.CreateAPIKey(ctx, w.get("tenant"), "reviewer", "", "reviewer")
		must(err)
		w.set(name, "Bearer "+secret)
	case "foreign_type": // a node type of the other tenant
		nt, err := svc.CreateNodeType(ctx, w.get("other_tenant"), "Foreign", "", "")
		must(err)
		w.set(name, nt.ID)
	case "foreign_node": // a node of the other tenant
		n, err := svc.CreateNode(ctx, w.get("other_tenant"), w.get("foreign_type"), "{}")
		must(err)
		w.set(name, n.ID)
	default:
		w.t.Fatalf("no fixture makes {{%s}}", name)
	}
}

var placeholder = regexp.MustCompile(`\{\{(\w+)\}\}`)

// expand replaces every {{name}} of a request template with its value in this world.
func (w *world) expand(template string) []byte {
	w.t.Helper()
	return []byte(placeholder.ReplaceAllStringFunc(template, func(p string) string { return w.get(p[2 : len(p)-2]) }))
}

var (
	anyUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	anyTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
)

// normalize makes an outcome comparable with the same scenario's outcome in another world: this world's
// ids and suffix become their placeholder names, other ids (made by the call) <id>, times <time>, and
// page tokens (which carry ids) <token>.
func (w *world) normalize(o outcome) outcome {
	o.Message = w.text(o.Message)
	o.Violations = append([]string(nil), o.Violations...)
	for i := range o.Violations {
		o.Violations[i] = w.text(o.Violations[i])
	}
	if o.Body != "" {
		var v any
		if err := json.Unmarshal([]byte(o.Body), &v); err != nil {
			w.t.Fatalf("response is not JSON: %s", o.Body)
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(w.value("", v))
		o.Body = strings.TrimSpace(b.String())
	}
	return o
}

func (w *world) value(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = w.value(k, x)
		}
	case []any:
		for i, x := range v {
			v[i] = w.value(key, x)
		}
	case string:
		switch {
		case key == "next_page_token" && v != "":
			return "<token>"
		case anyTime.MatchString(v):
			return "<time>"
		}
		return w.text(v)
	}
	return v
}

func (w *world) text(s string) string {
	for _, name := range w.order {
		if v := w.values[name]; anyUUID.MatchString(v) {
			s = strings.ReplaceAll(s, v, "{{"+name+"}}")
		}
	}
	s = anyUUID.ReplaceAllLiteralString(s, "<id>")
	return strings.ReplaceAll(s, w.values["suffix"], "{{suffix}}")
}
