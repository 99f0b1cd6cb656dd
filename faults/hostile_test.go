//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestHostileInputAgainstTheBinary sends the real server what an attacker would (malformed and deep
// JSON, bad UTF-8, documents that grow when stored, pages and batches of the largest documents): no
// answer is a 5xx, nothing refused is stored, and no response passes the message limit.
func TestHostileInputAgainstTheBinary(t *testing.T) {
	const messageLimit = 2 << 20 // --max-body-bytes' default
	p := flexdbtest.Run(t, flexdb, nil, "--data-dir", t.TempDir(), "--dev", "--rate-limit", "0")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	ctx := context.Background()
	big := fmt.Sprintf(`{"n": 1, "text": %q}`, strings.Repeat("b", 1<<20-64))
	var bigIDs []string
	for range 6 {
		r, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: big})
		if err != nil {
			t.Fatal(err)
		}
		bigIDs = append(bigIDs, r.Node.Id)
	}
	a, b := bigIDs[0], bigIDs[1]
	before := census(t, c, fx)

	// A document of 1 MiB as sent that would be about 175 MB stored (1e999 is a thousand digits).
	bomb := "[" + strings.TrimSuffix(strings.Repeat("1e999,", (1<<20-16)/6), ",") + "]"
	nested := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	nodes := "/tenants/" + fx.tenant + "/nodes"
	for _, tc := range []struct{ name, method, path, body string }{
		{"node data that grows when stored", "POST", nodes, jsonBody(map[string]any{"node_type_id": fx.nodeType, "data": `{"n": ` + bomb + `}`})},
		{"relationship data that grows when stored", "POST", "/tenants/" + fx.tenant + "/relationships", jsonBody(map[string]any{
			"source_node_id": a, "target_node_id": b, "relationship_type": "x", "data": `{"n": ` + bomb + `}`})},
		{"a schema that grows when stored", "POST", "/tenants/" + fx.tenant + "/node-types", jsonBody(map[string]any{
			"name": "Bomb", "schema": `{"type": "object", "examples": ` + bomb + `}`})},
		{"JSON cut short", "POST", nodes, `{"node_type_id": "` + fx.nodeType + `", `},
		{"text after the JSON", "POST", nodes, jsonBody(map[string]any{"node_type_id": fx.nodeType, "data": "{}"}) + " {}"},
		{"10,000 nested arrays", "POST", nodes, `{"node_type_id": ` + nested + `}`},
		{"a document nested past its limit", "POST", nodes, jsonBody(map[string]any{"node_type_id": fx.nodeType, "data": `{"d": ` + nested[:200] + nested[19800:] + `}`})},
		{"invalid UTF-8", "POST", nodes, "{\"node_type_id\": \"" + fx.nodeType + "\", \"data\": \"{\\\"t\\\": \\\"\xff\xfe\\\"}\"}"},
		{"a body over the limit", "POST", nodes, jsonBody(map[string]any{"node_type_id": fx.nodeType, "data": `{"t": "` + strings.Repeat("x", 3<<20) + `"}`})},
		{"JSON-RPC: a batch of 101 calls", "POST", "/jsonrpc", "[" + strings.TrimSuffix(strings.Repeat(`{"jsonrpc": "2.0", "method": "delete_node", "params": {"tenant_id": "`+fx.tenant+`", "id": "`+a+`"}, "id": 1},`, 101), ",") + "]"},
		{"JSON-RPC: node data that grows when stored", "POST", "/jsonrpc", jsonBody(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "create_node",
			"params": map[string]any{"tenant_id": fx.tenant, "node_type_id": fx.nodeType, "data": `{"n": ` + bomb + `}`}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(t, p, tc.method, tc.path, tc.body)
			if status >= 500 {
				t.Fatalf("%d: %s", status, body)
			}
			if status < 400 && !strings.Contains(string(body), `"error"`) {
				t.Errorf("accepted (%d): %.300s", status, body)
			}
		})
	}
	if after := census(t, c, fx); after != before {
		t.Errorf("hostile input changed what is stored: %+v before, %+v after", before, after)
	}

	// Responses stay under the message limit, however large the documents they carry.
	t.Run("a page of the largest documents", func(t *testing.T) {
		r, err := c.nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: fx.tenant, Pagination: &dbaaspb.Pagination{PageSize: 100}})
		if err != nil {
			t.Fatalf("ListNodes over gRPC: %v", err)
		}
		if len(r.Nodes) >= len(bigIDs) || r.Pagination.NextPageToken == "" {
			t.Errorf("a page of %d documents of 1 MiB (next token %q): want fewer than %d and a next page", len(r.Nodes), r.Pagination.NextPageToken, len(bigIDs))
		}
		status, body := send(t, p, "GET", nodes+"?page_size=100", "")
		if status != http.StatusOK || len(body) > messageLimit {
			t.Errorf("REST page: %d, %d bytes; want 200 within %d bytes", status, len(body), messageLimit)
		}
	})
	t.Run("a JSON-RPC batch of the largest documents", func(t *testing.T) {
		var calls []string
		for i, id := range bigIDs {
			calls = append(calls, fmt.Sprintf(`{"jsonrpc": "2.0", "method": "get_node", "params": {"tenant_id": %q, "id": %q}, "id": %d}`, fx.tenant, id, i))
		}
		status, body := send(t, p, "POST", "/jsonrpc", "["+strings.Join(calls, ",")+"]")
		if status != http.StatusOK || len(body) > messageLimit+(1<<20)+4096 { // the bound, passed by at most one result
			t.Errorf("batch: %d, %d bytes; want 200 within the message limit and one result", status, len(body))
		}
	})
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func send(t *testing.T, p *flexdbtest.Process, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+p.HTTP+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// counts is how much a tenant holds.
type counts struct{ nodeTypes, nodes, relationships int32 }

func census(t *testing.T, c *client, fx fixture) counts {
	t.Helper()
	ctx := context.Background()
	page := &dbaaspb.Pagination{PageSize: 1}
	nt, err := c.nodeTypes.ListNodeTypes(ctx, &dbaaspb.ListNodeTypesRequest{TenantId: fx.tenant, Pagination: page})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: fx.tenant, Pagination: page})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.relationships.ListRelationships(ctx, &dbaaspb.ListRelationshipsRequest{TenantId: fx.tenant, Pagination: page})
	if err != nil && status.Code(err) != codes.OK {
		t.Fatal(err)
	}
	return counts{nt.Pagination.TotalCount, n.Pagination.TotalCount, r.Pagination.TotalCount}
}
