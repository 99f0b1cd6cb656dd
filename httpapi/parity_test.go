package httpapi_test

// Parity: every call of the contract, with its success and each of its error classes, answers the same
// through gRPC, REST and JSON-RPC. Each scenario is written once, as data; TestParity runs it on the three
// protocols against one server, each in a world of its own, and checks that
//   - each protocol answers the scenario's code, in its own terms (HTTP status, JSON-RPC error code),
//   - an invalid request names the scenario's fields,
//   - the three answers are the same: message, field violations, response message.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

type scenario struct {
	method  string     // the RPC
	name    string     // the behaviour
	given   []string   // fixtures to make beyond those the request names
	request string     // the request message in JSON, with {{placeholders}}
	code    codes.Code // the outcome
	fields  []string   // for InvalidArgument: the fields named, sorted
}

const (
	success      = codes.OK
	invalid      = codes.InvalidArgument
	notFound     = codes.NotFound
	exists       = codes.AlreadyExists
	precondition = codes.FailedPrecondition
	aborted      = codes.Aborted
)

// scenarios show every call of the contract with each of its outcomes, made by the platform admin.
var scenarios = []scenario{
	// ---- tenants
	{"CreateTenant", "creates a tenant", nil, `{"slug": "t-{{suffix}}", "name": "Acme"}`, success, nil},
	{"CreateTenant", "names every invalid field", nil, `{"slug": "Not A Slug", "name": ""}`, invalid, []string{"name", "slug"}},
	{"CreateTenant", "refuses a slug taken", nil, `{"slug": "{{tenant_slug}}", "name": "Copy"}`, exists, nil},
	{"GetTenant", "reads a tenant", nil, `{"id": "{{tenant}}"}`, success, nil},
	{"GetTenant", "refuses an id that is no UUID", nil, `{"id": "not-a-uuid"}`, invalid, []string{"id"}},
	{"GetTenant", "answers not found for an unknown id", nil, `{"id": "{{missing}}"}`, notFound, nil},
	{"UpdateTenant", "changes the fields given", nil, `{"id": "{{tenant}}", "name": "Renamed", "status": "suspended"}`, success, nil},
	{"UpdateTenant", "names every invalid field", nil, `{"id": "{{tenant}}", "slug": "UPPER", "status": "closed"}`, invalid, []string{"slug", "status"}},
	{"UpdateTenant", "answers not found for an unknown id", nil, `{"id": "{{missing}}", "name": "x"}`, notFound, nil},
	{"UpdateTenant", "refuses a slug taken", nil, `{"id": "{{tenant}}", "slug": "{{other_tenant_slug}}"}`, exists, nil},
	{"DeleteTenant", "deletes a tenant with all its data", []string{"relationship", "member"}, `{"id": "{{tenant}}"}`, success, nil},
	{"DeleteTenant", "refuses an id that is no UUID", nil, `{"id": "42"}`, invalid, []string{"id"}},
	{"DeleteTenant", "answers not found for an unknown id", nil, `{"id": "{{missing}}"}`, notFound, nil},
	{"ListTenants", "pages tenants", nil, `{"pagination": {"page_size": 1}}`, success, nil}, // of other scenarios: the newest are no world's own
	{"ListTenants", "refuses a negative page size", nil, `{"pagination": {"page_size": -1}}`, invalid, []string{"pagination.page_size"}},
	{"ListTenants", "refuses a page token it did not make", nil, `{"pagination": {"page_token": "bogus"}}`, invalid, []string{"pagination.page_token"}},

	// ---- users and memberships
	{"CreateUser", "creates a user", nil, `{"email": "new-{{suffix}}@example.com", "display_name": "Ada"}`, success, nil},
	{"CreateUser", "refuses an address that is no email", nil, `{"email": "not-an-email", "display_name": "Ada"}`, invalid, []string{"email"}},
	{"CreateUser", "requires a display name, as the original did", nil, `{"email": "new-{{suffix}}@example.com"}`, invalid, []string{"display_name"}},
	{"CreateUser", "refuses an email taken", nil, `{"email": "{{user_email}}", "display_name": "Copy"}`, exists, nil},
	{"GetUser", "reads a user", nil, `{"id": "{{user}}"}`, success, nil},
	{"GetUser", "refuses an id that is no UUID", nil, `{"id": "nope"}`, invalid, []string{"id"}},
	{"GetUser", "answers not found for an unknown id", nil, `{"id": "{{missing}}"}`, notFound, nil},
	{"UpdateUser", "changes the fields given", nil, `{"id": "{{user}}", "display_name": "Ada L."}`, success, nil},
	{"UpdateUser", "keeps the display name when it is empty", nil, `{"id": "{{user}}", "email": "moved-{{suffix}}@example.com", "display_name": ""}`, success, nil},
	{"UpdateUser", "refuses an address that is no email", nil, `{"id": "{{user}}", "email": "nope"}`, invalid, []string{"email"}},
	{"UpdateUser", "answers not found for an unknown id", nil, `{"id": "{{missing}}", "display_name": "x"}`, notFound, nil},
	{"UpdateUser", "refuses an email taken", nil, `{"id": "{{user}}", "email": "{{other_user_email}}"}`, exists, nil},
	{"DeleteUser", "deletes a user", nil, `{"id": "{{member}}"}`, success, nil},
	{"DeleteUser", "refuses an id that is no UUID", nil, `{"id": "nope"}`, invalid, []string{"id"}},
	{"DeleteUser", "answers not found for an unknown id", nil, `{"id": "{{missing}}"}`, notFound, nil},
	{"ListUsers", "pages users", nil, `{"pagination": {"page_size": 2}}`, success, nil},
	{"ListUsers", "refuses a negative page size", nil, `{"pagination": {"page_size": -5}}`, invalid, []string{"pagination.page_size"}},
	{"AddUserToTenant", "makes a user a member", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{user}}", "role": "admin"}`, success, nil},
	{"AddUserToTenant", "keeps any role verbatim", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{user}}", "role": "Release Manager ✓"}`, success, nil},
	{"AddUserToTenant", "names every invalid field", nil, `{"tenant_id": "x", "user_id": "{{user}}", "role": "` + strings.Repeat("r", 201) + `"}`, invalid, []string{"role", "tenant_id"}},
	{"AddUserToTenant", "answers not found for an unknown user", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{missing}}"}`, notFound, nil},
	{"AddUserToTenant", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}", "user_id": "{{user}}"}`, notFound, nil},
	{"AddUserToTenant", "refuses a member twice", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{member}}"}`, exists, nil},
	{"RemoveUserFromTenant", "ends a membership", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{member}}"}`, success, nil},
	{"RemoveUserFromTenant", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "user_id": "nope"}`, invalid, []string{"user_id"}},
	{"RemoveUserFromTenant", "answers not found for a user who is no member", nil, `{"tenant_id": "{{tenant}}", "user_id": "{{user}}"}`, notFound, nil},
	{"ListTenantUsers", "lists the members", []string{"member"}, `{"tenant_id": "{{tenant}}"}`, success, nil},
	{"ListTenantUsers", "lists a free-text role verbatim", []string{"held_role"}, `{"tenant_id": "{{tenant}}"}`, success, nil},
	{"ListTenantUsers", "refuses an id that is no UUID", nil, `{"tenant_id": "bad"}`, invalid, []string{"tenant_id"}},
	{"ListTenantUsers", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}"}`, notFound, nil},

	// ---- custom roles
	{"CreateRole", "defines a role", nil, `{"tenant_id": "{{tenant}}", "name": "Reviewer ✓", "permissions": ["nodes.write", "nodes.read"]}`, success, nil},
	{"CreateRole", "refuses a built-in name and an unknown permission", nil, `{"tenant_id": "{{tenant}}", "name": "owner", "permissions": ["everything"]}`, invalid, []string{"name", "permissions"}},
	{"CreateRole", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}", "name": "Reviewer", "permissions": ["nodes.read"]}`, notFound, nil},
	{"CreateRole", "refuses a name the tenant has defined", []string{"role"}, `{"tenant_id": "{{tenant}}", "name": "Reviewer", "permissions": ["nodes.read"]}`, exists, nil},
	{"GetRole", "reads a role", nil, `{"tenant_id": "{{tenant}}", "name": "{{role}}"}`, success, nil},
	{"GetRole", "answers not found for a built-in role", []string{"tenant"}, `{"tenant_id": "{{tenant}}", "name": "admin"}`, notFound, nil},
	{"UpdateRole", "replaces what a role grants", nil, `{"tenant_id": "{{tenant}}", "name": "{{role}}", "permissions": ["tenant.read"]}`, success, nil},
	{"UpdateRole", "refuses to redefine a built-in role", []string{"tenant"}, `{"tenant_id": "{{tenant}}", "name": "viewer", "permissions": ["nodes.write"]}`, invalid, []string{"name"}},
	{"UpdateRole", "is aborted when the role moved past the version expected", nil, `{"tenant_id": "{{tenant}}", "name": "{{role}}", "expected_version": "3"}`, aborted, nil},
	{"DeleteRole", "deletes a role no one holds", nil, `{"tenant_id": "{{tenant}}", "name": "{{role}}"}`, success, nil},
	{"DeleteRole", "is aborted when the role is at another version than expected", nil, `{"tenant_id": "{{tenant}}", "name": "{{role}}", "expected_version": "3"}`, aborted, nil},
	{"DeleteRole", "refuses a role members hold, saying how many", nil, `{"tenant_id": "{{tenant}}", "name": "{{held_role}}"}`, precondition, nil},
	{"DeleteRole", "answers not found for an undefined role", []string{"tenant"}, `{"tenant_id": "{{tenant}}", "name": "Nobody"}`, notFound, nil},
	{"ListRoles", "lists the tenant's roles", []string{"role", "held_role"}, `{"tenant_id": "{{tenant}}"}`, success, nil},
	{"ListRoles", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}"}`, notFound, nil},

	// ---- node types
	{"CreateNodeType", "creates a node type", nil, `{"tenant_id": "{{tenant}}", "name": "Person", "description": "A person", "schema": "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}}"}`, success, nil},
	{"CreateNodeType", "names every invalid field", nil, `{"tenant_id": "{{tenant}}", "name": "", "schema": "{\"type\": 5}"}`, invalid, []string{"name", "schema"}},
	{"CreateNodeType", "refuses a schema that is not JSON", nil, `{"tenant_id": "{{tenant}}", "name": "Person", "schema": "not json"}`, invalid, []string{"schema"}},
	{"CreateNodeType", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}", "name": "Person"}`, notFound, nil},
	{"CreateNodeType", "refuses a name taken in the tenant", []string{"node_type"}, `{"tenant_id": "{{tenant}}", "name": "Article"}`, exists, nil},
	{"GetNodeType", "reads a node type", nil, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, success, nil},
	{"GetNodeType", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"GetNodeType", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"GetNodeType", "answers not found for another tenant's type", nil, `{"tenant_id": "{{other_tenant}}", "id": "{{node_type}}"}`, notFound, nil},
	{"UpdateNodeType", "changes the fields given", nil, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "description": "Updated"}`, success, nil},
	{"UpdateNodeType", "refuses a schema that is no object", nil, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "schema": "[]"}`, invalid, []string{"schema"}},
	{"UpdateNodeType", "answers not found for an unknown id", []string{"tenant"}, `{"tenant_id": "{{tenant}}", "id": "{{missing}}", "name": "x"}`, notFound, nil},
	{"UpdateNodeType", "refuses a name taken in the tenant", []string{"empty_type"}, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "name": "Unused"}`, exists, nil},
	{"DeleteNodeType", "deletes a node type without nodes", nil, `{"tenant_id": "{{tenant}}", "id": "{{empty_type}}"}`, success, nil},
	{"DeleteNodeType", "deletes a node type with its nodes when asked to cascade", []string{"relationship"}, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "cascade": true}`, success, nil},
	{"DeleteNodeType", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"DeleteNodeType", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"DeleteNodeType", "refuses a node type that has nodes", []string{"node"}, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, precondition, nil},
	{"ListNodeTypes", "lists the tenant's node types", []string{"node_type", "empty_type"}, `{"tenant_id": "{{tenant}}"}`, success, nil},
	{"ListNodeTypes", "refuses an id that is no UUID", nil, `{"tenant_id": "bad"}`, invalid, []string{"tenant_id"}},
	{"ListNodeTypes", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}"}`, notFound, nil},

	// ---- nodes
	{"CreateNode", "creates a node", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"title\": \"Hello\", \"tags\": [\"a\"]}"}`, success, nil},
	{"CreateNode", "refuses data that is no object", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "[1, 2]"}`, invalid, []string{"data"}},
	{"CreateNode", "names the place in data that breaks the schema", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"title\": 5}"}`, invalid, []string{"data/title"}},
	{"CreateNode", "refuses data without a required property", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{}"}`, invalid, []string{"data"}},
	{"CreateNode", "answers not found for an unknown node type", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{missing}}", "data": "{}"}`, notFound, nil},
	{"GetNode", "reads a node", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, success, nil},
	{"GetNode", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"GetNode", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"GetNode", "answers not found for another tenant's node", nil, `{"tenant_id": "{{tenant}}", "id": "{{foreign_node}}"}`, notFound, nil},
	{"UpdateNode", "replaces the data", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": \"Changed\"}"}`, success, nil},
	{"UpdateNode", "writes when the node is at the version expected", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": \"Changed\"}", "expected_version": "1"}`, success, nil},
	{"UpdateNode", "is aborted when the node moved past the version expected", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": \"Changed\"}", "expected_version": "7"}`, aborted, nil},
	{"UpdateNode", "names the place in data that breaks the schema", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": []}"}`, invalid, []string{"data/title"}},
	{"UpdateNode", "merges a patch into the document", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "patch": "{\"title\": \"Patched\", \"extra\": {\"a\": 1}}"}`, success, nil},
	{"UpdateNode", "merges a patch at the version expected", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "patch": "{\"title\": \"Patched\"}", "expected_version": "1"}`, success, nil},
	{"UpdateNode", "is aborted when a patch expects another version", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "patch": "{\"title\": \"Patched\"}", "expected_version": "7"}`, aborted, nil},
	{"UpdateNode", "refuses a patch sent with data", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"title\": \"x\"}", "patch": "{\"title\": \"y\"}"}`, invalid, []string{"patch"}},
	{"UpdateNode", "refuses a patch that is no object", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "patch": "[1]"}`, invalid, []string{"patch"}},
	{"UpdateNode", "names the place in the patched document that breaks the schema", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}", "patch": "{\"title\": 5}"}`, invalid, []string{"data/title"}},
	{"UpdateNode", "answers not found when patching an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}", "patch": "{\"title\": \"x\"}"}`, notFound, nil},
	{"UpdateNode", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}", "data": "{\"title\": \"x\"}"}`, notFound, nil},
	{"DeleteNode", "deletes a node with its relationships", []string{"relationship"}, `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, success, nil},
	{"DeleteNode", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"DeleteNode", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"ListNodes", "pages the nodes of a type", []string{"node", "other_node", "empty_type"}, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "pagination": {"page_size": 1}}`, success, nil},
	{"ListNodes", "refuses a filter that is no UUID", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "bad"}`, invalid, []string{"node_type_id"}},
	{"ListNodes", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}"}`, notFound, nil},

	// ---- relationships
	{"CreateRelationship", "creates a relationship", nil, `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{other_node}}", "relationship_type": "cites", "data": "{\"page\": 3}"}`, success, nil},
	{"CreateRelationship", "names every invalid field", nil, `{"tenant_id": "{{tenant}}", "source_node_id": "bad", "target_node_id": "{{other_node}}", "relationship_type": ""}`, invalid, []string{"relationship_type", "source_node_id"}},
	{"CreateRelationship", "answers not found for an unknown target", nil, `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{missing}}", "relationship_type": "cites"}`, notFound, nil},
	{"CreateRelationship", "answers not found for another tenant's node", nil, `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{foreign_node}}", "relationship_type": "cites"}`, notFound, nil},
	{"GetRelationship", "reads a relationship", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`, success, nil},
	{"GetRelationship", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"GetRelationship", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"UpdateRelationship", "changes the fields given", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "relationship_type": "cited-by"}`, success, nil},
	{"UpdateRelationship", "merges a patch into the data", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "patch": "{\"weight\": 2, \"gone\": null}"}`, success, nil},
	{"UpdateRelationship", "refuses a patch sent with data", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "data": "{}", "patch": "{}"}`, invalid, []string{"patch"}},
	{"UpdateRelationship", "refuses data that is no object", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "data": "5"}`, invalid, []string{"data"}},
	{"UpdateRelationship", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}", "relationship_type": "x"}`, notFound, nil},
	{"DeleteRelationship", "deletes a relationship", nil, `{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`, success, nil},
	{"DeleteRelationship", "refuses an id that is no UUID", nil, `{"tenant_id": "{{tenant}}", "id": "bad"}`, invalid, []string{"id"}},
	{"DeleteRelationship", "answers not found for an unknown id", nil, `{"tenant_id": "{{tenant}}", "id": "{{missing}}"}`, notFound, nil},
	{"ListRelationships", "filters by source, target and type", []string{"relationship"}, `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{other_node}}", "relationship_type": "links"}`, success, nil},
	{"ListRelationships", "refuses a filter that is no UUID", nil, `{"tenant_id": "{{tenant}}", "target_node_id": "bad"}`, invalid, []string{"target_node_id"}},
	{"ListRelationships", "answers not found for an unknown tenant", nil, `{"tenant_id": "{{missing}}"}`, notFound, nil},
}

// authScenarios show that credentials are checked alike on every protocol: caller names the placeholder
// of the Authorization header sent.
var authScenarios = []struct {
	caller string
	scenario
}{
	{"nobody", scenario{"ListTenants", "refuses a call without credentials", nil, `{}`, codes.Unauthenticated, nil}},
	{"viewer", scenario{"CreateNode", "refuses a write with a viewer's key", nil, `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"title\": \"x\"}"}`, codes.PermissionDenied, nil}},
	{"viewer", scenario{"GetNode", "lets a viewer read", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, success, nil}},
	{"reviewer", scenario{"GetNode", "lets a custom role read what it grants", nil, `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, success, nil}},
	{"reviewer", scenario{"GetNodeType", "refuses a custom role what it does not grant", nil, `{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, codes.PermissionDenied, nil}},
	{"reviewer", scenario{"CreateRole", "refuses a custom role to define a role beyond its own", nil, `{"tenant_id": "{{tenant}}", "name": "Boss", "permissions": ["keys.manage"]}`, codes.PermissionDenied, nil}},
}

// orderScenarios show every list's default order, the original's: newest first (ORDER BY created_at
// DESC), except ListTenantUsers, by user id. given makes the items, one after the other, right before the
// call; order names them as the list must return them.
var orderScenarios = []struct {
	scenario
	order []string
}{
	{scenario{"ListTenants", "lists newest first", []string{"tenant", "other_tenant"}, `{"pagination": {"page_size": 2}}`, success, nil}, []string{"other_tenant", "tenant"}},
	{scenario{"ListUsers", "lists newest first", []string{"user", "other_user"}, `{"pagination": {"page_size": 2}}`, success, nil}, []string{"other_user", "user"}},
	{scenario{"ListTenantUsers", "lists members by user id, not newest first", []string{"member", "other_member"}, `{"tenant_id": "{{tenant}}"}`, success, nil}, []string{"member", "other_member"}},
	{scenario{"ListNodeTypes", "lists newest first", []string{"node_type", "empty_type"}, `{"tenant_id": "{{tenant}}"}`, success, nil}, []string{"empty_type", "node_type"}},
	{scenario{"ListNodes", "lists newest first", []string{"node", "other_node"}, `{"tenant_id": "{{tenant}}"}`, success, nil}, []string{"other_node", "node"}},
	{scenario{"ListRelationships", "lists newest first", []string{"relationship", "other_relationship"}, `{"tenant_id": "{{tenant}}"}`, success, nil}, []string{"other_relationship", "relationship"}},
	{scenario{"ListApiKeys", "lists newest first", []string{"key", "other_key"}, `{"tenant_id": "{{tenant}}"}`, success, nil}, []string{"other_key", "key"}},
}

// errorClasses are the outcomes each call of the contract can have beyond success; the table must show
// every one of them.
var errorClasses = map[string][]codes.Code{
	"CreateTenant": {invalid, exists}, "GetTenant": {invalid, notFound}, "UpdateTenant": {invalid, notFound, exists},
	"DeleteTenant": {invalid, notFound}, "ListTenants": {invalid},
	"CreateUser": {invalid, exists}, "GetUser": {invalid, notFound}, "UpdateUser": {invalid, notFound, exists},
	"DeleteUser": {invalid, notFound}, "ListUsers": {invalid},
	"AddUserToTenant": {invalid, notFound, exists}, "RemoveUserFromTenant": {invalid, notFound}, "ListTenantUsers": {invalid, notFound},
	"CreateNodeType": {invalid, notFound, exists}, "GetNodeType": {invalid, notFound}, "UpdateNodeType": {invalid, notFound, exists},
	"DeleteNodeType": {invalid, notFound, precondition}, "ListNodeTypes": {invalid, notFound},
	"CreateNode": {invalid, notFound}, "GetNode": {invalid, notFound}, "UpdateNode": {invalid, notFound},
	"DeleteNode": {invalid, notFound}, "ListNodes": {invalid, notFound},
	"CreateRelationship": {invalid, notFound}, "GetRelationship": {invalid, notFound}, "UpdateRelationship": {invalid, notFound},
	"DeleteRelationship": {invalid, notFound}, "ListRelationships": {invalid, notFound},
}

func TestScenariosCoverEveryCallAndErrorClass(t *testing.T) {
	if len(contractCalls) != 28 || len(errorClasses) != 28 {
		t.Fatalf("the contract has 28 calls; listed: %d, with error classes: %d", len(contractCalls), len(errorClasses))
	}
	shown := map[string][]codes.Code{}
	for _, sc := range scenarios {
		rpcNamed(t, sc.method)
		shown[sc.method] = append(shown[sc.method], sc.code)
		if (sc.code == invalid) != (len(sc.fields) > 0) {
			t.Errorf("%s %s: an invalid request names its fields, and only an invalid one", sc.method, sc.name)
		}
		if !slices.IsSorted(sc.fields) {
			t.Errorf("%s %s: list the fields sorted", sc.method, sc.name)
		}
	}
	for _, call := range contractCalls {
		for _, c := range append([]codes.Code{success}, errorClasses[call]...) {
			if !slices.Contains(shown[call], c) {
				t.Errorf("no scenario shows %s answering %s", call, c)
			}
		}
	}
}

func TestParity(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			for _, sc := range scenarios {
				t.Run(sc.method+"/"+strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) { runScenario(t, s, sc, "") })
			}
			for _, sc := range authScenarios {
				t.Run(sc.method+"/"+strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) { runScenario(t, s, sc.scenario, sc.caller) })
			}
		})
	}
}

// TestDefaultOrder calls each list on each protocol right after making its world, so that a global list's
// newest items are that world's, and reads the order of the world's items in the answer.
func TestDefaultOrder(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			for _, sc := range orderScenarios {
				md := rpcNamed(t, sc.method)
				t.Run(sc.method+"/"+strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
					for _, p := range protocols {
						w := newWorld(t, s)
						for _, g := range sc.given {
							w.get(g)
						}
						o := p.call(t, s, md, w.expand(sc.request), s.admin)
						if o.Code != sc.code {
							t.Fatalf("%s: %s (%s), want %s", p.name, o.Code, o.Message, sc.code)
						}
						var got []string
						for _, m := range placeholder.FindAllStringSubmatch(w.normalize(o).Body, -1) {
							if slices.Contains(sc.order, m[1]) {
								got = append(got, m[1])
							}
						}
						if !slices.Equal(got, sc.order) {
							t.Errorf("%s: items in the order %q, want %q", p.name, got, sc.order)
						}
					}
				})
			}
		})
	}
}

// runScenario makes a world for each protocol first, then calls: a read sees the same data on all three.
// caller names the placeholder of the Authorization to send; "" sends the platform admin's.
func runScenario(t *testing.T, s *stack, sc scenario, caller string) {
	md := rpcNamed(t, sc.method)
	worlds := make([]*world, len(protocols))
	requests := make([][]byte, len(protocols))
	callers := make([]string, len(protocols))
	for i := range protocols {
		worlds[i] = newWorld(t, s)
		for _, g := range sc.given {
			worlds[i].get(g)
		}
		requests[i] = worlds[i].expand(sc.request)
		callers[i] = s.admin
		if caller != "" {
			callers[i] = worlds[i].get(caller)
		}
	}
	outcomes := make([]outcome, len(protocols))
	for i, p := range protocols {
		outcomes[i] = p.call(t, s, md, requests[i], callers[i])
	}

	var first outcome
	for i, p := range protocols {
		o := outcomes[i]
		if o.Code != sc.code {
			t.Errorf("%s: %s (%s), want %s", p.name, o.Code, o.Message, sc.code)
			continue
		}
		if want := p.wire(md, sc.code); o.Wire != want {
			t.Errorf("%s: answered %d for %s, want %d", p.name, o.Wire, sc.code, want)
		}
		if got := o.fields(); !slices.Equal(got, sc.fields) {
			t.Errorf("%s: names fields %q, want %q (%s)", p.name, got, sc.fields, strings.Join(o.Violations, "; "))
		}
		n := worlds[i].normalize(o)
		n.Wire = 0
		if i == 0 {
			first = n
			continue
		}
		if fmt.Sprint(n) != fmt.Sprint(first) {
			t.Errorf("%s and %s answer differently:\n%s: %+v\n%s: %+v", protocols[0].name, p.name, protocols[0].name, first, p.name, n)
		}
	}
}
