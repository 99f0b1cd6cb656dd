package httpapi_test

// Hostile input: each request gets the 4xx (or JSON-RPC error) it deserves, never a 5xx, and leaves the
// data as it was.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flexdb/flexdb/service"
)

func TestHostileInputIsRefusedAndChangesNothing(t *testing.T) {
	const limit = 64 << 10
	s := start(t, sqlite(t), httpapiOptions(limit, ""))
	w := newWorld(t, s)
	tenant, node := w.get("tenant"), w.get("node")
	w.get("relationship")
	tenantPath, nodePath := "/tenants/"+tenant, "/tenants/"+tenant+"/nodes/"+node
	nested := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	rpc := func(method, params string) string {
		return `{"jsonrpc": "2.0", "method": "` + method + `", "params": ` + params + `, "id": 1}`
	}
	before := census(t, s, tenant, node)

	for _, tc := range []struct {
		name, method, path, contentType, body string
		headers                               []string
		status                                int // HTTP status
		rpcCode                               int // for /jsonrpc answered 200: the error code
	}{
		// Malformed JSON
		{"REST: JSON cut short", "POST", "/tenants", "application/json", `{"slug": "evil", `, nil, 400, 0},
		{"REST: text after the JSON", "POST", "/tenants", "application/json", `{"slug": "evil", "name": "x"} {"slug": "evil-2"}`, nil, 400, 0},
		{"REST: a JSON array for a message", "POST", "/tenants", "application/json", `[{"slug": "evil", "name": "x"}]`, nil, 400, 0},
		{"REST: JSON null for a message", "PUT", tenantPath, "application/json", `null`, nil, 400, 0},
		{"JSON-RPC: JSON cut short", "POST", "/jsonrpc", "application/json", `{"jsonrpc": "2.0", "method": "delete_tenant", "params": {"id": "` + tenant + `"}, "id": 1`, nil, 200, -32700},
		{"JSON-RPC: text after the JSON", "POST", "/jsonrpc", "application/json", rpc("delete_tenant", `{"id": "`+tenant+`"}`) + ` x`, nil, 200, -32700},

		// Wrong JSON types, unknown and duplicate fields
		{"REST: a number for a string", "POST", "/tenants", "application/json", `{"slug": 5, "name": "x"}`, nil, 400, 0},
		{"REST: an object for a JSON-text field", "PUT", nodePath, "application/json", `{"data": {"title": "x"}}`, nil, 400, 0},
		{"REST: a string for a boolean", "DELETE", "/tenants/" + tenant + "/node-types/" + w.get("node_type") + "?cascade=yes", "", "", nil, 400, 0},
		{"REST: an unknown field", "POST", "/tenants", "application/json", `{"slug": "evil", "name": "x", "status": "active", "admin": true}`, nil, 400, 0},
		{"REST: a field twice", "POST", "/tenants", "application/json", `{"slug": "evil", "slug": "evil-2", "name": "x"}`, nil, 400, 0},
		{"REST: a page size that is no number", "GET", "/tenants?page_size=ten", "", "", nil, 400, 0},
		{"REST: a page size beyond 32 bits", "GET", "/tenants?page_size=99999999999", "", "", nil, 400, 0},
		{"JSON-RPC: a number for a string", "POST", "/jsonrpc", "application/json", rpc("update_node", `{"tenant_id": "`+tenant+`", "id": "`+node+`", "data": 5}`), nil, 200, -32602},
		{"JSON-RPC: an unknown field", "POST", "/jsonrpc", "application/json", rpc("update_tenant", `{"id": "`+tenant+`", "name": "x", "owner": "me"}`), nil, 200, -32602},
		{"JSON-RPC: a page size beyond 32 bits", "POST", "/jsonrpc", "application/json", rpc("list_tenants", `{"pagination": {"page_size": 1e10}}`), nil, 200, -32602},

		// Deep nesting
		{"REST: 10000 nested arrays", "POST", "/tenants", "application/json", `{"slug": ` + nested + `, "name": "x"}`, nil, 400, 0},
		{"JSON-RPC: 10000 nested arrays in params", "POST", "/jsonrpc", "application/json", rpc("create_tenant", `{"slug": `+nested+`}`), nil, 200, -32700},
		{"JSON-RPC: 5000 nested arrays in params", "POST", "/jsonrpc", "application/json", rpc("create_tenant", `{"slug": `+nested[:5000]+nested[15000:]+`}`), nil, 200, -32602},
		{"REST: node data nested past the document limit", "PUT", nodePath, "application/json", `{"data": "{\"title\": \"x\", \"deep\": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}"}`, nil, 400, 0},

		// Invalid UTF-8 and control characters
		{"REST: invalid UTF-8 in a string", "PUT", tenantPath, "application/json", "{\"name\": \"\xff\xfe\"}", nil, 400, 0},
		{"REST: invalid UTF-8 in node data", "PUT", nodePath, "application/json", "{\"data\": \"{\\\"title\\\": \\\"\xc3\\\"}\"}", nil, 400, 0},
		{"REST: a lone surrogate in node data", "PUT", nodePath, "application/json", `{"data": "{\"title\": \"\\ud800\"}"}`, nil, 400, 0},
		{"REST: a NUL in a name", "PUT", tenantPath, "application/json", `{"name": "a\u0000b"}`, nil, 400, 0},
		{"JSON-RPC: invalid UTF-8 in params", "POST", "/jsonrpc", "application/json", rpc("update_tenant", "{\"id\": \""+tenant+"\", \"name\": \"\xff\"}"), nil, 200, -32602},
		{"JSON-RPC: invalid UTF-8 in the method", "POST", "/jsonrpc", "application/json", rpc("delete_tenant\xff", `{"id": "`+tenant+`"}`), nil, 200, -32601},

		// Huge bodies
		{"REST: a body over the limit", "PUT", tenantPath, "application/json", `{"name": "` + strings.Repeat("x", limit) + `"}`, nil, 413, 0},
		{"REST: node data over the limit", "PUT", nodePath, "application/json", `{"data": "{\"title\": \"` + strings.Repeat("x", limit) + `\"}"}`, nil, 413, 0},
		{"JSON-RPC: a batch over the limit", "POST", "/jsonrpc", "application/json", "[" + strings.Repeat(rpc("delete_tenant", `{"id": "`+tenant+`"}`)+",", limit/60) + "1]", nil, 413, 0},

		// Wrong methods, content types and paths
		{"REST: a form POST to a GET route", "POST", nodePath, "application/x-www-form-urlencoded", "", nil, 405, 0},
		{"REST: a form POST asking to be a DELETE", "POST", tenantPath, "application/x-www-form-urlencoded", "", []string{"X-HTTP-Method-Override", "DELETE"}, 405, 0},
		{"REST: PATCH", "PATCH", tenantPath, "application/json", `{"name": "x"}`, nil, 405, 0},
		{"REST: a body as text/plain", "PUT", tenantPath, "text/plain", `{"name": "x"}`, nil, 415, 0},
		{"REST: a body as a form", "PUT", tenantPath, "application/x-www-form-urlencoded", `name=x`, nil, 415, 0},
		{"JSON-RPC: a body as text/plain", "POST", "/jsonrpc", "text/plain", rpc("delete_tenant", `{"id": "`+tenant+`"}`), nil, 415, 0},
		{"JSON-RPC: GET", "GET", "/jsonrpc", "", "", nil, 405, 0},
		{"REST: a path that climbs", "DELETE", "/tenants/..%2f..%2f" + tenant, "", "", nil, 404, 0},
		{"REST: an id of 10000 bytes", "DELETE", "/tenants/" + strings.Repeat("a", 10000), "", "", nil, 400, 0},
		{"REST: an id that is SQL", "DELETE", "/tenants/" + "x'%20OR%20'1'='1", "", "", nil, 400, 0},
		{"REST: a malformed timeout", "DELETE", tenantPath, "", "", []string{"Grpc-Timeout", "soon"}, 400, 0},

		// Credentials
		{"REST: no credentials", "DELETE", tenantPath, "", "", []string{"Authorization", ""}, 401, 0},
		{"REST: a key that is no key", "DELETE", tenantPath, "", "", []string{"Authorization", "Bearer fdb_" + strings.Repeat("A", 43)}, 401, 0},
		{"REST: credentials of another scheme", "DELETE", tenantPath, "", "", []string{"Authorization", "Basic YWRtaW46YWRtaW4="}, 401, 0},
		{"JSON-RPC: no credentials", "POST", "/jsonrpc", "application/json", rpc("delete_tenant", `{"id": "`+tenant+`"}`), []string{"Authorization", ""}, 200, -32005},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := s.do(t, tc.method, tc.path, tc.contentType, body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("%d %.300s, want %d", r.status, r.body, tc.status)
			}
			if tc.rpcCode != 0 {
				if code := field(decode(t, r.body), "error", "code"); code != float64(tc.rpcCode) {
					t.Errorf("JSON-RPC error %v, want %d: %.300s", code, tc.rpcCode, r.body)
				}
			} else if tc.status != 400 || r.header.Get("Content-Type") == "application/json" {
				// Only net/http's own 400 for a request it cannot parse is not JSON.
				if code, _ := field(decode(t, r.body), "code").(string); code == "" {
					t.Errorf("an error body without a code: %.300s", r.body)
				}
			}
		})
	}

	if after := census(t, s, tenant, node); after != before {
		t.Errorf("the data changed:\nbefore %s\nafter  %s", before, after)
	}
}

// census describes everything stored: how many of each kind, and the node attacked, in full.
func census(t *testing.T, s *stack, tenant, node string) string {
	t.Helper()
	ctx := asAdmin()
	all := service.PageRequest{Size: 100}
	tenants, err1 := s.svc.ListTenants(ctx, all)
	users, err2 := s.svc.ListUsers(ctx, all)
	types, err3 := s.svc.ListNodeTypes(ctx, tenant, all)
	nodes, err4 := s.svc.ListNodes(ctx, tenant, service.NodeFilter{}, all)
	rels, err5 := s.svc.ListRelationships(ctx, tenant, service.RelationshipFilter{}, all)
	n, err6 := s.svc.GetNode(ctx, tenant, node)
	tn, err7 := s.svc.GetTenant(ctx, tenant)
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			t.Fatalf("census: %v", err)
		}
	}
	return fmt.Sprintf("tenants %d, users %d, node types %d, nodes %d, relationships %d; tenant %+v; node %+v",
		tenants.Total, users.Total, types.Total, nodes.Total, rels.Total, *tn, *n)
}
