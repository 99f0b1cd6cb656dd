package httpapi_test

// Fuzz targets for the decoders an attacker reaches first on the HTTP port: the JSON-RPC endpoint's
// body and REST request bodies. Each target starts one server (SQLite, the platform admin's key) before
// fuzzing and calls its handler directly, so that an execution costs a request, not a server, and a
// panic anywhere in the handler fails the target. Seed corpora are in testdata/fuzz/<target>/.
//
//	go test -run '^$' -fuzz '^FuzzJSONRPC$' -fuzztime 20s ./httpapi/
//	go test -run '^$' -fuzz '^FuzzRESTBody$' -fuzztime 20s ./httpapi/

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flexdb/flexdb/service"
)

// serveHTTP sends one request to the stack's handler as the platform admin, with a JSON body.
func (s *stack) serveHTTP(method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", s.admin)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// FuzzJSONRPC: whatever the body of POST /jsonrpc, the answer is 204 with no body (only notifications)
// or 200 with a well-formed JSON-RPC response, or a non-empty batch of them for a batch; never a 5xx,
// never an internal error (-32603), never a panic.
func FuzzJSONRPC(f *testing.F) {
	s := start(f, sqlite(f), defaultOptions)
	w := newTenancy(f, s)
	tenant, nodeType, node := w.get("tenant"), w.get("node_type"), w.get("node")
	for _, seed := range []string{
		`{"jsonrpc": "2.0", "method": "get_tenant", "params": {"id": "` + tenant + `"}, "id": 1}`,
		`{"jsonrpc": "2.0", "method": "list_nodes", "params": {"tenant_id": "` + tenant + `", "pagination": {"page_size": 2}}, "id": "a"}`,
		`{"jsonrpc": "2.0", "method": "create_node", "params": {"tenant_id": "` + tenant + `", "node_type_id": "` + nodeType + `", "data": "{\"title\": \"x\"}"}, "id": null}`,
		`{"jsonrpc": "2.0", "method": "update_node", "params": {"tenant_id": "` + tenant + `", "id": "` + node + `", "data": "{\"title\": 5}"}, "id": 2}`,
		`[{"jsonrpc": "2.0", "method": "who_am_i", "id": 1}, {"jsonrpc": "2.0", "method": "rpc.discover"}]`,
		`{"jsonrpc": "2.0", "method": "create_tenant", "params": {"slug": "s", "name": "n"}}`,
		`{"jsonrpc": "2.0", "method": "get_node", "params": [1, 2], "id": -1.5e3}`,
		`{"jsonrpc": "1.0", "method": 5, "id": {}}`,
		`[]`, `[1, "x", null]`, `{}`, `null`, `"x"`, `{"jsonrpc": "2.0"`, "\xff\xfe", ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := s.serveHTTP(http.MethodPost, "/jsonrpc", body)
		switch rec.Code {
		case http.StatusNoContent:
			if rec.Body.Len() != 0 {
				t.Fatalf("204 with a body: %q", rec.Body)
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
		out := bytes.TrimSpace(rec.Body.Bytes())
		if !json.Valid(out) {
			t.Fatalf("the answer is not JSON: %q", out)
		}
		if out[0] != '[' {
			checkRPCResponse(t, out)
			return
		}
		in := bytes.TrimSpace(body)
		if len(in) == 0 || in[0] != '[' {
			t.Fatalf("a batch answer to a single call: %s", out)
		}
		var batch []json.RawMessage
		if err := json.Unmarshal(out, &batch); err != nil || len(batch) == 0 {
			t.Fatalf("an empty or broken batch answer: %s", out)
		}
		for _, r := range batch {
			checkRPCResponse(t, r)
		}
	})
}

// checkRPCResponse fails unless raw is one JSON-RPC 2.0 response: jsonrpc "2.0", an id, and either a
// result or an error with an integer code and a message, the code not -32603 (an internal error).
func checkRPCResponse(t *testing.T, raw []byte) {
	t.Helper()
	var r map[string]json.RawMessage
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("a response is no JSON object: %s", raw)
	}
	if string(r["jsonrpc"]) != `"2.0"` {
		t.Fatalf(`a response without "jsonrpc": "2.0": %s`, raw)
	}
	if _, ok := r["id"]; !ok {
		t.Fatalf("a response without an id: %s", raw)
	}
	result, hasResult := r["result"]
	e, hasError := r["error"]
	if hasResult == hasError {
		t.Fatalf("a response has a result or an error, not both or neither: %s", raw)
	}
	if hasResult {
		if len(result) == 0 {
			t.Fatalf("an empty result: %s", raw)
		}
		return
	}
	var rpcErr struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(e, &rpcErr); err != nil || rpcErr.Code == nil || rpcErr.Message == nil {
		t.Fatalf("an error without an integer code and a message: %s", raw)
	}
	if *rpcErr.Code == -32603 {
		t.Fatalf("an internal error: %s", raw)
	}
}

// FuzzRESTBody: whatever the body of POST /tenants and of PUT /tenants/{id}/nodes/{id}, the answer is
// not a 5xx and is JSON; a refusal changes nothing, a success changes exactly what it answers (one new
// tenant; the node at the path, one version on), and nothing outside the path ever changes.
func FuzzRESTBody(f *testing.F) {
	s := start(f, sqlite(f), defaultOptions)
	w, other := newTenancy(f, s), newTenancy(f, s)
	tenant, node := w.get("tenant"), w.get("node")
	otherTenant, otherNode := other.get("tenant"), other.get("node")
	for _, seed := range []string{
		`{"slug": "fuzz", "name": "Fuzz"}`,
		`{"data": "{\"title\": \"changed\"}"}`,
		`{"data": "{\"title\": 5}"}`,
		`{"data": "{\"title\": \"x\"}", "tenant_id": "` + otherTenant + `", "id": "` + otherNode + `"}`,
		`{"data": "{\"title\": \"x\"}", "version": 1, "node_type_id": "` + other.get("node_type") + `"}`,
		`{"slug": "a", "name": "b", "id": "` + otherTenant + `", "status": "suspended"}`,
		`{"slug": "", "name": "\u0000"}`,
		`{"data": "[]"}`, `{"data": ""}`, `{"data": null}`, `{"unknown": 1}`,
		`{} {}`, `[]`, `null`, `"x"`, `1e999`, "\xef\xbb\xbf{}", ``, `{"slug": "dup", "slug": "dup2", "name": "n"}`,
	} {
		f.Add([]byte(seed))
	}
	ctx := asAdmin()
	tenants := func(t *testing.T) int {
		p, err := s.svc.ListTenants(ctx, service.PageRequest{Size: 1})
		if err != nil {
			t.Fatalf("count tenants: %v", err)
		}
		return p.Total
	}
	nodeState := func(t *testing.T, tenantID, id string) (string, int64) {
		n, err := s.svc.GetNode(ctx, tenantID, id)
		if err != nil {
			t.Fatalf("read node: %v", err)
		}
		return fmt.Sprintf("%+v", *n), n.Version
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := tenants(t)
		rec := s.serveHTTP(http.MethodPost, "/tenants", body)
		checkRESTAnswer(t, rec)
		after := tenants(t)
		if rec.Code/100 == 2 {
			if rec.Code != http.StatusCreated || after != before+1 {
				t.Fatalf("POST /tenants answered %d; tenants went from %d to %d", rec.Code, before, after)
			}
			id, _ := field(decode(t, rec.Body.Bytes()), "tenant", "id").(string)
			if _, err := s.svc.GetTenant(ctx, id); err != nil {
				t.Fatalf("the tenant answered is not stored: %v (%s)", err, rec.Body)
			}
		} else if after != before {
			t.Fatalf("POST /tenants answered %d, yet tenants went from %d to %d", rec.Code, before, after)
		}

		path := "/tenants/" + tenant + "/nodes/" + node
		n0, version := nodeState(t, tenant, node)
		o0, _ := nodeState(t, otherTenant, otherNode)
		rec = s.serveHTTP(http.MethodPut, path, body)
		checkRESTAnswer(t, rec)
		n1, _ := nodeState(t, tenant, node)
		o1, _ := nodeState(t, otherTenant, otherNode)
		if o1 != o0 {
			t.Fatalf("PUT %s changed another tenant's node:\n%s\n%s", path, o0, o1)
		}
		if rec.Code/100 != 2 {
			if n1 != n0 {
				t.Fatalf("PUT %s answered %d, yet changed the node:\n%s\n%s", path, rec.Code, n0, n1)
			}
			return
		}
		got := decode(t, rec.Body.Bytes())
		if field(got, "node", "id") != node || field(got, "node", "tenant_id") != tenant {
			t.Fatalf("PUT %s answered another node: %s", path, rec.Body)
		}
		stored, err := s.svc.GetNode(ctx, tenant, node)
		if err != nil || stored.Version != version+1 || field(got, "node", "data") != stored.Data || field(got, "node", "version") != fmt.Sprint(stored.Version) {
			t.Fatalf("PUT %s answered %s, stored %+v (%v)", path, rec.Body, stored, err)
		}
	})
}

// checkRESTAnswer fails for a 5xx, or an answer that is not JSON.
func checkRESTAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	if rec.Code != http.StatusNoContent && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("HTTP %d with a body that is not JSON: %q", rec.Code, rec.Body)
	}
}
