package httpapi_test

// Every RPC of the proto is served on every protocol. The lists below come from the proto itself, so a
// new RPC is covered the day it is added, with nothing to update here.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEveryRPCIsServedOnEveryProtocol calls each RPC of the proto without credentials: a call that
// reaches the gRPC server is refused as unauthenticated there, while one that is not routed gets 404 or
// 405 (REST) or -32601 (JSON-RPC) from the HTTP layer.
func TestEveryRPCIsServedOnEveryProtocol(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, md := range rpcs() {
		t.Run(string(md.Name()), func(t *testing.T) {
			t.Run("rest", func(t *testing.T) {
				verb, template, body, ok := httpRule(md)
				if !ok {
					t.Fatalf("%s has no google.api.http rule, so no REST route", md.Name())
				}
				path := pathVariable.ReplaceAllLiteralString(template, "0190f0a0-7b7c-7d1e-8f00-000000000000")
				var payload []byte
				contentType := ""
				if body != "" {
					payload, contentType = []byte("{}"), "application/json"
				}
				r := s.do(t, verb, path, contentType, payload, "Authorization", "")
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s %s: %d %s, want 401 from the gRPC server", verb, path, r.status, r.body)
				}
			})
			t.Run("jsonrpc", func(t *testing.T) {
				call := `{"jsonrpc": "2.0", "method": "` + snakeCase(string(md.Name())) + `", "params": {}, "id": 1}`
				r := s.do(t, http.MethodPost, "/jsonrpc", "application/json", []byte(call), "Authorization", "")
				var reply rpcReply
				if err := json.Unmarshal(r.body, &reply); err != nil || reply.Error == nil || reply.Error.Code != -32005 {
					t.Errorf("%s: %s, want error -32005 (unauthenticated) from the gRPC server", call, r.body)
				}
			})
		})
	}
}

// TestContractCallsKeepTheirRoutes holds the REST routes of CONTRACT.md: the proto's google.api.http
// rules must keep every one of them (path variables may be named as the proto likes).
func TestContractCallsKeepTheirRoutes(t *testing.T) {
	routes := map[string]string{
		"CreateTenant": "POST /tenants", "GetTenant": "GET /tenants/{}", "UpdateTenant": "PUT /tenants/{}",
		"DeleteTenant": "DELETE /tenants/{}", "ListTenants": "GET /tenants",
		"CreateUser": "POST /users", "GetUser": "GET /users/{}", "UpdateUser": "PUT /users/{}",
		"DeleteUser": "DELETE /users/{}", "ListUsers": "GET /users",
		"AddUserToTenant": "POST /tenants/{}/users", "RemoveUserFromTenant": "DELETE /tenants/{}/users/{}",
		"ListTenantUsers": "GET /tenants/{}/users",
		"CreateNodeType":  "POST /tenants/{}/node-types", "GetNodeType": "GET /tenants/{}/node-types/{}",
		"UpdateNodeType": "PUT /tenants/{}/node-types/{}", "DeleteNodeType": "DELETE /tenants/{}/node-types/{}",
		"ListNodeTypes": "GET /tenants/{}/node-types",
		"CreateNode":    "POST /tenants/{}/nodes", "GetNode": "GET /tenants/{}/nodes/{}", "UpdateNode": "PUT /tenants/{}/nodes/{}",
		"DeleteNode": "DELETE /tenants/{}/nodes/{}", "ListNodes": "GET /tenants/{}/nodes",
		"CreateRelationship": "POST /tenants/{}/relationships", "GetRelationship": "GET /tenants/{}/relationships/{}",
		"UpdateRelationship": "PUT /tenants/{}/relationships/{}", "DeleteRelationship": "DELETE /tenants/{}/relationships/{}",
		"ListRelationships": "GET /tenants/{}/relationships",
	}
	for _, call := range contractCalls {
		verb, template, _, ok := httpRule(rpcNamed(t, call))
		got := verb + " " + pathVariable.ReplaceAllLiteralString(template, "{}")
		if !ok || got != routes[call] {
			t.Errorf("%s: route %q, want %q", call, got, routes[call])
		}
	}
}

func TestDiscoverListsEveryMethod(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	r := s.postJSON(t, "/jsonrpc", `{"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}`)
	var reply struct {
		Result struct {
			OpenRPC string `json:"openrpc"`
			Methods []struct {
				Name   string `json:"name"`
				Params []struct {
					Name string `json:"name"`
				} `json:"params"`
			} `json:"methods"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.body, &reply); err != nil || reply.Result.OpenRPC == "" {
		t.Fatalf("rpc.discover: %s, want an OpenRPC document", r.body)
	}
	var listed []string
	params := map[string][]string{}
	for _, m := range reply.Result.Methods {
		listed = append(listed, m.Name)
		for _, p := range m.Params {
			params[m.Name] = append(params[m.Name], p.Name)
		}
	}
	var want []string
	for _, md := range rpcs() {
		name := snakeCase(string(md.Name()))
		want = append(want, name)
		var fields []string
		for i := range md.Input().Fields().Len() {
			fields = append(fields, string(md.Input().Fields().Get(i).Name()))
		}
		if !slices.Equal(params[name], fields) {
			t.Errorf("rpc.discover: %s takes %q, want the request's fields %q", name, params[name], fields)
		}
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("rpc.discover lists\n%s\nwant the proto's RPCs\n%s", strings.Join(listed, " "), strings.Join(want, " "))
	}
	for _, call := range contractCalls {
		if !slices.Contains(listed, snakeCase(call)) {
			t.Errorf("rpc.discover does not list %s, a call of the contract", snakeCase(call))
		}
	}
}
