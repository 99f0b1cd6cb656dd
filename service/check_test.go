package service

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
)

// These tests hold the request rules. The rules run before any store call, so a refused request needs
// no store: the services below have none, and a rule that let a bad request through would crash the
// test on the nil store. Service calls run as the platform admin, whom access control lets through, so
// that what they meet is validation.

// asAdmin is a context whose caller may make every call.
func asAdmin() context.Context {
	return flexdb.WithPrincipal(context.Background(), flexdb.Principal{Kind: flexdb.PrincipalAdmin})
}

type fv = flexdb.FieldViolation

func violation(field, description string) fv { return fv{Field: field, Description: description} }

const (
	tenantA = "0190f0a0-7b7c-7d1e-8f00-00000000000a"
	tenantB = "0190f0a0-7b7c-7d1e-8f00-00000000000b"
	userID  = "0190f0a0-7b7c-7d1e-8f00-0000000000c1"
)

func TestRequestsListEveryViolation(t *testing.T) {
	s := New(nil, DefaultLimits)
	ctx := asAdmin()
	tests := []struct {
		name string
		call func() error
		want []fv
	}{
		{"create tenant: slug and name required", func() error { _, err := s.CreateTenant(ctx, "", ""); return err },
			[]fv{violation("slug", "is required"), violation("name", "is required")}},
		{"create tenant: bad slug and blank name together", func() error { _, err := s.CreateTenant(ctx, "Acme", "  "); return err },
			[]fv{violation("slug", "must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit"), violation("name", "must not be blank")}},
		{"get tenant: id required", func() error { _, err := s.GetTenant(ctx, ""); return err },
			[]fv{violation("id", "is required")}},
		{"update tenant: id required, nothing else", func() error { _, err := s.UpdateTenant(ctx, TenantUpdate{}); return err },
			[]fv{violation("id", "is required")}},
		{"update tenant: unknown status", func() error { _, err := s.UpdateTenant(ctx, TenantUpdate{ID: tenantA, Status: "deleted"}); return err },
			[]fv{violation("status", "must be one of active, suspended")}},
		{"create user: email and display name required, as in the original", func() error { _, err := s.CreateUser(ctx, "", ""); return err },
			[]fv{violation("email", "is required"), violation("display_name", "is required")}},
		{"update user: an empty display name is left as it is", func() error { _, err := s.UpdateUser(ctx, UserUpdate{}); return err },
			[]fv{violation("id", "is required")}},
		{"create role: name and permissions required", func() error { _, err := s.CreateRole(ctx, "", "", nil); return err },
			[]fv{violation("tenant_id", "is required"), violation("name", "is required"), violation("permissions", "must name at least one permission")}},
		{"create role: a built-in name cannot be redefined", func() error { _, err := s.CreateRole(ctx, tenantA, "admin", []string{"nodes.read"}); return err },
			[]fv{violation("name", "is the built-in role admin, whose permissions are fixed; choose another name")}},
		{"create role: permissions are known names", func() error {
			_, err := s.CreateRole(ctx, tenantA, "auditor", []string{"nodes.read", "nodes.delete"})
			return err
		}, []fv{violation("permissions", `has "nodes.delete", which is not a permission; permissions are `+permissionList)}},
		{"update role: a built-in role cannot be redefined", func() error {
			_, err := s.UpdateRole(ctx, RoleUpdate{TenantID: tenantA, Name: "owner", Permissions: []string{"nodes.read"}})
			return err
		}, []fv{violation("name", "is the built-in role owner, whose permissions are fixed; choose another name")}},
		{"delete role: a built-in role cannot be deleted", func() error { return s.DeleteRole(ctx, tenantA, "viewer", 0) },
			[]fv{violation("name", "is the built-in role viewer, whose permissions are fixed; choose another name")}},
		{"add user to tenant: both ids required", func() error { _, err := s.AddUserToTenant(ctx, "", "", ""); return err },
			[]fv{violation("tenant_id", "is required"), violation("user_id", "is required")}},
		{"create node type: tenant and name required", func() error { _, err := s.CreateNodeType(ctx, "", "", "", ""); return err },
			[]fv{violation("tenant_id", "is required"), violation("name", "is required")}},
		{"create node type: schema must compile", func() error { _, err := s.CreateNodeType(ctx, tenantA, "Post", "", `{"type": 5}`); return err },
			[]fv{violation("schema", "is not a valid JSON Schema: at /type: matches none of the alternatives: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'; or got number, want array")}},
		{"create node: tenant and type required", func() error { _, err := s.CreateNode(ctx, "", "", ""); return err },
			[]fv{violation("tenant_id", "is required"), violation("node_type_id", "is required")}},
		{"create node: data must be an object", func() error { _, err := s.CreateNode(ctx, tenantA, tenantB, `[1]`); return err },
			[]fv{violation("data", "must be a JSON object")}},
		{"create relationship: ends and type required", func() error { _, err := s.CreateRelationship(ctx, flexdb.Relationship{}); return err },
			[]fv{violation("tenant_id", "is required"), violation("source_node_id", "is required"), violation("target_node_id", "is required"), violation("relationship_type", "is required")}},
		{"list nodes: filter id must be a UUID", func() error {
			_, err := s.ListNodes(ctx, tenantA, NodeFilter{NodeTypeID: "x"}, PageRequest{})
			return err
		}, []fv{violation("node_type_id", "must be a UUID such as 0190f0a0-7b7c-7d1e-8f00-000000000000")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertViolations(t, tt.call(), tt.want...)
		})
	}
}

func TestSlug(t *testing.T) {
	const rule = "must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit"
	tests := []struct {
		name     string
		slug     string
		required bool
		want     string // "" for valid
	}{
		{"letters", "acme", true, ""},
		{"one character", "a", true, ""},
		{"digits and hyphens", "0-acme-2", true, ""},
		{"trailing hyphen", "acme-", true, ""},
		{"63 characters", strings.Repeat("a", 63), true, ""},
		{"64 characters", strings.Repeat("a", 64), true, rule},
		{"upper case", "Acme", true, rule},
		{"leading hyphen", "-acme", true, rule},
		{"underscore", "acme_corp", true, rule},
		{"space", "acme corp", true, rule},
		{"non-ASCII letter", "café", true, rule},
		{"trailing newline", "acme\n", true, rule},
		{"empty and required", "", true, "is required"},
		{"empty and optional", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &check{lim: DefaultLimits}
			c.slug("slug", tt.slug, tt.required)
			assertOne(t, c, "slug", tt.want)
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name     string
		field    string
		v        string
		required bool
		want     string
	}{
		{"plain", "name", "Acme Corp", true, ""},
		{"unicode", "name", "Zürich 東京 😀", true, ""},
		{"200 characters", "name", strings.Repeat("a", 200), true, ""},
		{"200 characters of two bytes each", "name", strings.Repeat("é", 200), true, ""},
		{"201 characters", "name", strings.Repeat("a", 201), true, "must be at most 200 characters"},
		{"201 characters of two bytes each", "name", strings.Repeat("é", 201), true, "must be at most 200 characters"},
		{"tab", "name", "a\tb", true, "must not contain control characters"},
		{"newline", "name", "a\nb", true, "must not contain control characters"},
		{"NUL", "name", "a\x00b", true, "must not contain control characters"},
		{"C1 control", "name", "a\u0085b", true, "must not contain control characters"},
		{"invalid UTF-8", "name", "a\xffb", true, "must be valid UTF-8"},
		{"description may hold newlines", "description", "line one\nline two", false, ""},
		{"description must be valid UTF-8", "description", "a\xffb", false, "must be valid UTF-8"},
		{"blank", "name", " \u3000 ", true, "must not be blank"},
		{"spaces", "name", "   ", false, "must not be blank"},
		{"empty and required", "name", "", true, "is required"},
		{"empty and optional", "name", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &check{lim: DefaultLimits}
			c.text(tt.field, tt.v, DefaultLimits.NameChars, tt.required)
			assertOne(t, c, tt.field, tt.want)
		})
	}
}

func TestEmail(t *testing.T) {
	const rule = "must be an email address such as ada@example.com"
	tests := []struct {
		name     string
		email    string
		required bool
		want     string // the address as kept
		wantErr  string
	}{
		{"plain", "ada@example.com", true, "ada@example.com", ""},
		{"lower-cased", "Ada.Lovelace@Example.COM", true, "ada.lovelace@example.com", ""},
		{"plus tag", "ada+db@example.com", true, "ada+db@example.com", ""},
		{"254 characters", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", true, strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", ""},
		{"255 characters", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", true, "", "must be at most 254 characters"},
		{"no at sign", "ada.example.com", true, "", rule},
		{"no domain", "ada@", true, "", rule},
		{"no local part", "@example.com", true, "", rule},
		{"domain without a dot", "ada@localhost", true, "", rule},
		{"display name form", "Ada <ada@example.com>", true, "", rule},
		{"surrounding space", " ada@example.com", true, "", rule},
		{"two addresses", "ada@example.com, bob@example.com", true, "", rule},
		{"invalid UTF-8", "a\xffa@example.com", true, "", rule},
		{"empty and required", "", true, "", "is required"},
		{"empty and optional", "", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &check{lim: DefaultLimits}
			got := c.email("email", tt.email, tt.required)
			assertOne(t, c, "email", tt.wantErr)
			if got != tt.want {
				t.Errorf("email(%q) = %q, want %q", tt.email, got, tt.want)
			}
		})
	}
}

func TestID(t *testing.T) {
	const (
		id   = "0190f0a0-7b7c-7d1e-8f00-00000000abcd"
		rule = "must be a UUID such as 0190f0a0-7b7c-7d1e-8f00-000000000000"
	)
	tests := []struct {
		name     string
		v        string
		required bool
		want     string // the id as kept
		wantErr  string
	}{
		{"canonical", id, true, id, ""},
		{"upper case is normalised", strings.ToUpper(id), true, id, ""},
		{"mixed case is normalised", "0190F0A0-7b7c-7D1E-8f00-00000000ABcd", true, id, ""},
		{"not a UUID", "tenant-1", true, "", rule},
		{"36 characters, not hex", "0190f0a0-7b7c-7d1e-8f00-00000000abcz", true, "", rule},
		{"hyphens misplaced", "0190f0a07-b7c-7d1e-8f00-00000000abcd", true, "", rule},
		{"too short", id[:35], true, "", rule},
		{"no hyphens", strings.ReplaceAll(id, "-", ""), true, "", rule},
		{"braces", "{" + id + "}", true, "", rule},
		{"urn", "urn:uuid:" + id, true, "", rule},
		{"surrounding space", " " + id, true, "", rule},
		{"empty and required", "", true, "", "is required"},
		{"empty and optional", "", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &check{lim: DefaultLimits}
			var got string
			if tt.required {
				got = c.id("id", tt.v)
			} else {
				got = c.optionalID("id", tt.v)
			}
			assertOne(t, c, "id", tt.wantErr)
			if got != tt.want {
				t.Errorf("id(%q) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestDocumentField(t *testing.T) {
	tests := []struct {
		name         string
		v            string
		emptyIsEmpty bool
		want         string
		wantErr      string
	}{
		{"empty on create is an empty object", "", true, "{}", ""},
		{"empty on update leaves the data unchanged", "", false, "", ""},
		{"kept in canonical form", `{"bb":1,"a":1e2}`, true, `{"a": 100, "bb": 1}`, ""},
		{"not an object", `[]`, true, "", "must be a JSON object"},
		{"too deep", nest(65), true, "", "nests 65 levels deep, more than the limit of 64"},
		{"too big", `{"a": "` + strings.Repeat("x", 1<<20) + `"}`, true, "", "is 1048585 bytes, more than the limit of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &check{lim: DefaultLimits}
			got := c.document("data", tt.v, tt.emptyIsEmpty)
			assertOne(t, c, "data", tt.wantErr)
			if got != tt.want {
				t.Errorf("document(%.40q) = %.40q, want %.40q", tt.v, got, tt.want)
			}
		})
	}
}

func nest(levels int) string {
	return strings.Repeat(`{"a": `, levels) + `1` + strings.Repeat(`}`, levels)
}

// memberStore takes memberships; any other store call would crash the test on the nil Store.
type memberStore struct {
	Store
	added *flexdb.Membership
}

func (m *memberStore) AddMember(_ context.Context, mm *flexdb.Membership) error {
	m.added = mm
	return nil
}

// Membership roles are free text, kept verbatim; the platform admin may give any.
func TestRoles(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		want    string // the role kept
		wantErr string
	}{
		{"owner", "owner", "owner", ""},
		{"admin", "admin", "admin", ""},
		{"member", "member", "member", ""},
		{"viewer", "viewer", "viewer", ""},
		{"none given means member", "", "member", ""},
		{"upper case is another role, kept as given", "Owner", "Owner", ""},
		{"any name, kept verbatim", "Release manager (EU) ✓", "Release manager (EU) ✓", ""},
		{"at most 200 characters", strings.Repeat("r", 200), strings.Repeat("r", 200), ""},
		{"longer is refused", strings.Repeat("r", 201), "", "must be at most 200 characters"},
		{"no control characters", "ops\n", "", "must not contain control characters"},
		{"not blank", "   ", "", "must not be blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &memberStore{}
			s := New(store, DefaultLimits)
			m, err := s.AddUserToTenant(asAdmin(), tenantA, userID, tt.role)
			if tt.wantErr != "" {
				assertViolations(t, err, violation("role", tt.wantErr))
				if store.added != nil {
					t.Error("a refused membership reached the store")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &flexdb.Membership{TenantID: tenantA, UserID: userID, Role: tt.want, Status: flexdb.MembershipActive}
			if !reflect.DeepEqual(m, want) || !reflect.DeepEqual(store.added, want) {
				t.Errorf("membership %+v, stored %+v, want %+v", m, store.added, want)
			}
		})
	}
}

func TestIDsReachTheStoreNormalised(t *testing.T) {
	store := &memberStore{}
	s := New(store, DefaultLimits)
	if _, err := s.AddUserToTenant(asAdmin(), strings.ToUpper(tenantA), strings.ToUpper(userID), ""); err != nil {
		t.Fatal(err)
	}
	if store.added.TenantID != tenantA || store.added.UserID != userID {
		t.Errorf("store got tenant %q, user %q; want %q, %q", store.added.TenantID, store.added.UserID, tenantA, userID)
	}
}

// assertOne checks that c found nothing (want "") or exactly one violation of field. It reads the
// violations rather than c.err(), which decides access first.
func assertOne(t *testing.T, c *check, field, want string) {
	t.Helper()
	var wantVs []fv
	if want != "" {
		wantVs = []fv{violation(field, want)}
	}
	if !reflect.DeepEqual(c.violations, wantVs) {
		t.Errorf("violations\n got %q\nwant %q", c.violations, wantVs)
	}
}

// permissionList is every permission a role may grant, as the README names them.
const permissionList = "tenant.read, members.read, members.manage, roles.read, roles.manage, node_types.read, node_types.write, " +
	"nodes.read, nodes.write, relationships.read, relationships.write, keys.manage, member_keys.manage"
