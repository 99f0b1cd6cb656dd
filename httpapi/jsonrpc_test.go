package httpapi_test

// JSON-RPC 2.0 conformance (https://www.jsonrpc.org/specification), one rule per case.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
)

// answer is one expected response: the id it echoes (as JSON) and its error code, 0 for a result.
type answer struct {
	id   string
	code int
}

func TestJSONRPCConformance(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	valid := `{"jsonrpc": "2.0", "method": "list_tenants", "params": {}, "id": %s}`
	notification := `{"jsonrpc": "2.0", "method": "list_tenants", "params": {}}`
	for _, tc := range []struct {
		name string
		body string
		want []answer // nil: no response at all (HTTP 204, empty body)
		// batch: the answers come as an array, in any order
		batch bool
	}{
		// Parse errors and invalid requests
		{"a body that is not JSON is a parse error with id null", `{"jsonrpc": "2.0", "method": "list_tenants", "id": 1`, []answer{{"null", -32700}}, false},
		{"an empty body is a parse error", ``, []answer{{"null", -32700}}, false},
		{"a call that is a number is an invalid request", `42`, []answer{{"null", -32600}}, false},
		{"a call that is a string is an invalid request", `"list_tenants"`, []answer{{"null", -32600}}, false},
		{"a call without jsonrpc is an invalid request", `{"method": "list_tenants", "id": 1}`, []answer{{"1", -32600}}, false},
		{"jsonrpc other than \"2.0\" is an invalid request", `{"jsonrpc": "1.0", "method": "list_tenants", "id": 2}`, []answer{{"2", -32600}}, false},
		{"jsonrpc as a number is an invalid request", `{"jsonrpc": 2.0, "method": "list_tenants", "id": 3}`, []answer{{"3", -32600}}, false},
		{"a call without method is an invalid request", `{"jsonrpc": "2.0", "id": 4}`, []answer{{"4", -32600}}, false},
		{"a method that is not a string is an invalid request", `{"jsonrpc": "2.0", "method": 5, "id": 5}`, []answer{{"5", -32600}}, false},
		{"a method that is null is an invalid request", `{"jsonrpc": "2.0", "method": null, "id": 6}`, []answer{{"6", -32600}}, false},
		{"member names are case-sensitive", `{"JSONRPC": "2.0", "METHOD": "list_tenants", "id": 7}`, []answer{{"7", -32600}}, false},
		{"an id that is an object is an invalid request", `{"jsonrpc": "2.0", "method": "list_tenants", "id": {"a": 1}}`, []answer{{"null", -32600}}, false},
		{"an id that is an array is an invalid request", `{"jsonrpc": "2.0", "method": "list_tenants", "id": [1]}`, []answer{{"null", -32600}}, false},
		{"an id that is a boolean is an invalid request", `{"jsonrpc": "2.0", "method": "list_tenants", "id": true}`, []answer{{"null", -32600}}, false},

		// Methods and params
		{"an unknown method is method not found", `{"jsonrpc": "2.0", "method": "drop_everything", "id": 8}`, []answer{{"8", -32601}}, false},
		{"the RPC's own name is not a method", `{"jsonrpc": "2.0", "method": "ListTenants", "id": 9}`, []answer{{"9", -32601}}, false},
		{"params by position are invalid params", `{"jsonrpc": "2.0", "method": "get_tenant", "params": ["0190f0a0-7b7c-7d1e-8f00-000000000000"], "id": 10}`, []answer{{"10", -32602}}, false},
		{"params as a string are invalid params", `{"jsonrpc": "2.0", "method": "get_tenant", "params": "x", "id": 11}`, []answer{{"11", -32602}}, false},
		{"an unknown field in params is invalid params", `{"jsonrpc": "2.0", "method": "list_tenants", "params": {"page_size": 1}, "id": 12}`, []answer{{"12", -32602}}, false},
		{"a field of the wrong type is invalid params", `{"jsonrpc": "2.0", "method": "create_tenant", "params": {"slug": 5, "name": "x"}, "id": 13}`, []answer{{"13", -32602}}, false},
		{"params may be left out", `{"jsonrpc": "2.0", "method": "list_tenants", "id": 14}`, []answer{{"14", 0}}, false},

		// Ids are echoed exactly
		{"a string id is echoed", fmt.Sprintf(valid, `"abc-1"`), []answer{{`"abc-1"`, 0}}, false},
		{"a number id is echoed", fmt.Sprintf(valid, `42`), []answer{{`42`, 0}}, false},
		{"a negative, fractional id is echoed as written", fmt.Sprintf(valid, `-1.50`), []answer{{`-1.50`, 0}}, false},
		{"a number id beyond 64 bits is echoed as written", fmt.Sprintf(valid, `123456789012345678901234567890`), []answer{{`123456789012345678901234567890`, 0}}, false},
		{"a null id is echoed, and answered", fmt.Sprintf(valid, `null`), []answer{{`null`, 0}}, false},

		// Notifications
		{"a notification gets no response", notification, nil, false},
		{"a notification of an unknown method gets no response", `{"jsonrpc": "2.0", "method": "drop_everything"}`, nil, false},
		{"a batch of notifications gets no response", "[" + notification + ", " + notification + "]", nil, false},

		// Batches
		{"an empty batch is one invalid request, not an array", `[]`, []answer{{"null", -32600}}, false},
		{"a batch answers each call that is not a notification, matched by id", "[" +
			fmt.Sprintf(valid, `"a"`) + `, 42, ` + notification + `, {"jsonrpc": "2.0", "method": "nope", "id": "c"}, ` +
			`{"jsonrpc": "2.0", "method": "get_tenant", "params": {"id": "bad"}, "id": "d"}, ` +
			`{"jsonrpc": "2.0", "method": "get_tenant", "params": {"id": "0190f0a0-7b7c-7d1e-8f00-000000000000"}, "id": "e"}]`,
			[]answer{{`"a"`, 0}, {"null", -32600}, {`"c"`, -32601}, {`"d"`, -32602}, {`"e"`, -32001}}, true},
		{"a batch of one is answered with an array of one", "[" + fmt.Sprintf(valid, `1`) + "]", []answer{{"1", 0}}, true},
		{"a batch of invalid calls answers each", `[1, 2]`, []answer{{"null", -32600}, {"null", -32600}}, true},
		{"a batch of more than 100 calls is one error, too large", "[" + strings.Repeat(fmt.Sprintf(valid, `1`)+", ", 100) + fmt.Sprintf(valid, `1`) + "]", []answer{{"null", -32010}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodPost, "/jsonrpc", "application/json", []byte(tc.body))
			if tc.want == nil {
				if r.status != http.StatusNoContent || len(r.body) != 0 {
					t.Fatalf("%d %s, want 204 and no body", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("HTTP %d %s, want 200", r.status, r.body)
			}
			trimmed := bytes.TrimSpace(r.body)
			if isArray := len(trimmed) > 0 && trimmed[0] == '['; isArray != tc.batch {
				t.Fatalf("%s: an array: %v, want %v", r.body, isArray, tc.batch)
			}
			var replies []rpcReply
			if tc.batch {
				err := json.Unmarshal(trimmed, &replies)
				if err != nil {
					t.Fatalf("not an array of responses: %s", r.body)
				}
			} else {
				var one rpcReply
				if err := json.Unmarshal(trimmed, &one); err != nil {
					t.Fatalf("not a response: %s", r.body)
				}
				replies = append(replies, one)
			}
			var got []answer
			for _, rep := range replies {
				a := answer{id: string(rep.ID)}
				if rep.Error != nil {
					a.code = rep.Error.Code
				}
				if rep.JSONRPC != "2.0" || rep.ID == nil || (rep.Error == nil) == (rep.Result == nil) {
					t.Errorf("a response holds jsonrpc \"2.0\", an id, and either result or error: %+v", rep)
				}
				got = append(got, a)
			}
			order := func(a, b answer) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
			slices.SortFunc(got, order)
			want := slices.SortedFunc(slices.Values(tc.want), order)
			if !slices.Equal(got, want) {
				t.Errorf("answers %v, want %v: %s", got, want, r.body)
			}
		})
	}
}

// TestJSONRPCResultIsTheResponseMessage: result is the gRPC response message in JSON, proto field
// names, every field present.
func TestJSONRPCResultIsTheResponseMessage(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	node := w.get("node")
	r := s.postJSON(t, "/jsonrpc", `{"jsonrpc": "2.0", "method": "get_node", "params": {"tenant_id": "`+w.get("tenant")+`", "id": "`+node+`"}, "id": 1}`)
	var reply rpcReply
	if err := json.Unmarshal(r.body, &reply); err != nil || reply.Result == nil {
		t.Fatalf("get_node: %s", r.body)
	}
	resp, err := pb.NewNodeServiceClient(s.conn).GetNode(metadata.AppendToOutgoingContext(t.Context(), "authorization", s.admin),
		&pb.GetNodeRequest{TenantId: w.get("tenant"), Id: node})
	if err != nil {
		t.Fatalf("gRPC GetNode: %v", err)
	}
	want, _ := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(resp)
	if !sameJSON(string(reply.Result), string(want)) {
		t.Errorf("result %s\nwant the gRPC response %s", reply.Result, want)
	}
}
