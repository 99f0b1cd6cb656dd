package httpapi_test

// Access over time and across servers: revocation reaching every instance that shares a database, a
// suspended tenant, the per-key rate limit, and the roles a key may hand out.

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
)

// A key revoked through one instance is refused by another instance sharing the PostgreSQL schema, though
// the other instance had checked it, and cached the check, just before. That this happens within
// service.RevocationBound is the key cache's construction (service's TestAuthenticator), not timed here.
func TestRevocationReachesEveryInstance(t *testing.T) {
	cfg := sqlstore.Config{DatabaseURL: pgtest.URL(t)}
	one := startStack(t, cfg, flexdbtest.Options{HTTP: defaultOptions})
	two := startStack(t, cfg, flexdbtest.Options{HTTP: defaultOptions})
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			w := newTenancy(t, one)
			k, owner := w.caller(flexdb.RoleViewer), w.caller(flexdb.RoleOwner)
			get := expand(`{"id": "{{tenant}}"}`, w.get)
			getTenant := rpcNamed(t, "GetTenant")
			if r := p.send(t, two, getTenant, get, k.auth); r.Code != codes.OK {
				t.Fatalf("instance 2 before revocation: %s (%s)", r.Code, r.Message)
			}
			revoke := expand(`{"tenant_id": "{{tenant}}", "id": "`+k.keyID+`"}`, w.get)
			if r := p.send(t, one, rpcNamed(t, "RevokeApiKey"), revoke, owner.auth); r.Code != codes.OK {
				t.Fatalf("RevokeApiKey through instance 1: %s (%s)", r.Code, r.Message)
			}
			took := poll(t, codes.Unauthenticated, func() reply {
				return p.send(t, two, getTenant, get, k.auth)
			})
			t.Logf("instance 2 refused the revoked key %s after the revocation", took.Round(time.Millisecond))
			if r := p.send(t, one, getTenant, get, k.auth); r.Code != codes.Unauthenticated {
				t.Errorf("instance 1 after revocation: %s, want Unauthenticated", r.Code)
			}
			if r := p.send(t, two, getTenant, get, owner.auth); r.Code != codes.OK {
				t.Errorf("instance 2, another key of the tenant: %s (%s)", r.Code, r.Message)
			}
		})
	}
}

// A tenant the platform admin suspends refuses writes by its keys (FailedPrecondition: 400, -32003)
// once their cached checks expire (within service.RevocationBound, by construction), still answers
// their reads, and takes writes again once reactivated.
func TestSuspendedTenantRefusesWritesByItsKeys(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			admin := adminCaller(s)
			for _, p := range protocols {
				t.Run(p.name, func(t *testing.T) {
					w := newTenancy(t, s)
					owner := w.caller(flexdb.RoleOwner)
					call := func(rpc, template string, who caller) reply {
						return p.send(t, s, rpcNamed(t, rpc), expand(template, w.get), who.auth)
					}
					createNode := func() reply {
						return call("CreateNode", isolationSpecs["CreateNode"].requests[0], owner)
					}
					if r := createNode(); r.Code != codes.OK {
						t.Fatalf("CreateNode while active: %s (%s)", r.Code, r.Message)
					}
					if r := call("UpdateTenant", `{"id": "{{tenant}}", "status": "suspended"}`, admin); r.Code != codes.OK {
						t.Fatalf("suspend: %s (%s)", r.Code, r.Message)
					}
					took := poll(t, codes.FailedPrecondition, createNode)
					t.Logf("the suspended tenant refused writes %s after the suspension", took.Round(time.Millisecond))
					if r := createNode(); r.Wire != p.wire(rpcNamed(t, "CreateNode"), codes.FailedPrecondition) {
						t.Errorf("a write to a suspended tenant answers %d, want %d", r.Wire, p.wire(rpcNamed(t, "CreateNode"), codes.FailedPrecondition))
					}
					for _, tc := range []struct {
						rpc  string
						want codes.Code
					}{
						{"UpdateNode", codes.FailedPrecondition},
						{"DeleteNode", codes.FailedPrecondition},
						{"CreateRelationship", codes.FailedPrecondition},
						{"CreateNodeType", codes.FailedPrecondition},
						{"CreateApiKey", codes.FailedPrecondition},
						{"AddUserToTenant", codes.FailedPrecondition},
						{"GetTenant", codes.OK},
						{"GetNode", codes.OK},
						{"ListNodes", codes.OK},
						{"ListRelationships", codes.OK},
						{"ListNodeTypes", codes.OK},
						{"ListTenantUsers", codes.OK},
						{"ListApiKeys", codes.OK},
						{"WhoAmI", codes.OK},
					} {
						if r := call(tc.rpc, isolationSpecs[tc.rpc].requests[0], owner); r.Code != tc.want {
							t.Errorf("%s by the suspended tenant's owner: %s (%s), want %s", tc.rpc, r.Code, r.Message, tc.want)
						}
					}
					if r := call("CreateNode", isolationSpecs["CreateNode"].requests[0], admin); r.Code != codes.OK {
						t.Errorf("the platform admin's write to a suspended tenant: %s (%s), want OK", r.Code, r.Message)
					}
					if r := call("UpdateTenant", `{"id": "{{tenant}}", "status": "active"}`, admin); r.Code != codes.OK {
						t.Fatalf("reactivate: %s (%s)", r.Code, r.Message)
					}
					took = poll(t, codes.OK, createNode)
					t.Logf("the reactivated tenant took writes %s after the reactivation", took.Round(time.Millisecond))
				})
			}
		})
	}
}

var retryAfterInBody = regexp.MustCompile(`"retry_after_seconds":\s*[1-9]`)

// With a rate of 1 call a second and a burst of 5, a key's 6th quick call is refused with
// RESOURCE_EXHAUSTED and a retry-after header (gRPC), 429 with Retry-After (REST) or -32006 (JSON-RPC),
// while another key calls on unaffected.
func TestRateLimitIsPerKey(t *testing.T) {
	const burst = 5
	s := startStack(t, sqlite(t), flexdbtest.Options{HTTP: defaultOptions, GRPC: grpcapi.Options{RatePerSecond: 1, RateBurst: burst}})
	getTenant := rpcNamed(t, "GetTenant")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			w := newTenancy(t, s) // keys of their own, with full buckets
			get := expand(`{"id": "{{tenant}}"}`, w.get)
			k, other := w.caller(flexdb.RoleViewer), w.caller(flexdb.RoleOwner)
			for i := range burst {
				if r := p.send(t, s, getTenant, get, k.auth); r.Code != codes.OK {
					t.Fatalf("call %d of the burst: %s (%s)", i+1, r.Code, r.Message)
				}
			}
			r := p.send(t, s, getTenant, get, k.auth)
			if r.Code != codes.ResourceExhausted {
				t.Fatalf("call %d: %s (%s), want ResourceExhausted", burst+1, r.Code, r.Message)
			}
			switch p.name {
			case "grpc":
				if r.Wire != int(codes.ResourceExhausted) {
					t.Errorf("gRPC code %d", r.Wire)
				}
				if n, err := strconv.Atoi(r.get("retry-after")); err != nil || n < 1 {
					t.Errorf("retry-after header %q, want a number of seconds", r.get("retry-after"))
				}
			case "rest":
				if r.Wire != http.StatusTooManyRequests {
					t.Errorf("HTTP %d, want 429", r.Wire)
				}
				if n, err := strconv.Atoi(r.get("Retry-After")); err != nil || n < 1 {
					t.Errorf("Retry-After header %q, want a number of seconds", r.get("Retry-After"))
				}
			case "jsonrpc":
				if r.Wire != -32006 {
					t.Errorf("JSON-RPC error %d, want -32006", r.Wire)
				}
			}
			// The error body says it too: a JSON-RPC call has no header of its own in a batch.
			if p.name != "grpc" && !retryAfterInBody.Match(r.raw) {
				t.Errorf("the error body has no retry_after_seconds of at least 1: %s", r.raw)
			}
			if r := p.send(t, s, getTenant, get, other.auth); r.Code != codes.OK {
				t.Errorf("another key: %s (%s), want OK", r.Code, r.Message)
			}
		})
	}
}

// A tenant key hands out at most its own permissions: as a key's role (CreateApiKey), as a member's role
// (AddUserToTenant) and as what a role grants (CreateRole). Otherwise an admin could make owners.
func TestKeysGrantAtMostTheirOwnRole(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	lead := []string{"members.manage", "keys.manage", "roles.manage", "nodes.read", "nodes.write"} // a custom role
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			w := newTenancy(t, s)
			for _, tc := range []struct {
				granter string
				grants  []string // for a custom granter: what its role grants
				rpc     string
				role    string // given; for CreateRole, the permission the new role grants
				want    codes.Code
			}{
				{flexdb.RoleAdmin, nil, "CreateApiKey", flexdb.RoleOwner, codes.PermissionDenied},
				{flexdb.RoleAdmin, nil, "CreateApiKey", flexdb.RoleAdmin, codes.OK},
				{flexdb.RoleAdmin, nil, "AddUserToTenant", flexdb.RoleOwner, codes.PermissionDenied},
				{flexdb.RoleAdmin, nil, "AddUserToTenant", flexdb.RoleAdmin, codes.OK},
				{flexdb.RoleAdmin, nil, "AddUserToTenant", flexdb.RoleViewer, codes.OK},
				{flexdb.RoleAdmin, nil, "CreateRole", "member_keys.manage", codes.PermissionDenied},
				{flexdb.RoleAdmin, nil, "CreateRole", "keys.manage", codes.OK},
				{flexdb.RoleOwner, nil, "CreateApiKey", flexdb.RoleOwner, codes.OK},
				{flexdb.RoleOwner, nil, "AddUserToTenant", flexdb.RoleOwner, codes.OK},
				{flexdb.RoleOwner, nil, "CreateRole", "member_keys.manage", codes.OK},
				{"lead", lead, "AddUserToTenant", flexdb.RoleMember, codes.PermissionDenied}, // member reads node types
				{"lead", lead, "AddUserToTenant", "undefined role", codes.OK},                // which grants nothing
				{"lead", lead, "CreateApiKey", flexdb.RoleViewer, codes.PermissionDenied},
				{"lead", lead, "CreateRole", "nodes.write", codes.OK},
				{"lead", lead, "CreateRole", "node_types.write", codes.PermissionDenied},
			} {
				t.Run(tc.granter+"/"+tc.rpc+"/"+tc.role, func(t *testing.T) {
					var template string
					switch tc.rpc {
					case "CreateApiKey":
						template = `{"tenant_id": "{{tenant}}", "name": "k", "role": "` + tc.role + `"}`
					case "CreateRole":
						template = `{"tenant_id": "{{tenant}}", "name": "{{new_name}}", "permissions": ["` + tc.role + `"]}`
					default:
						template = `{"tenant_id": "{{tenant}}", "user_id": "{{outsider}}", "role": "` + tc.role + `"}`
					}
					var granter caller
					if tc.grants != nil {
						granter = w.customCaller(tc.grants)
					} else {
						granter = w.caller(tc.granter)
					}
					r := p.send(t, s, rpcNamed(t, tc.rpc), expand(template, w.get), granter.auth)
					if r.Code != tc.want {
						t.Errorf("%s: %s (%s), want %s", tc.rpc, r.Code, r.Message, tc.want)
					}
				})
			}
		})
	}
}

// A request too large is RESOURCE_EXHAUSTED saying so (gRPC), 413 (REST) or -32010 (JSON-RPC), never
// "rate limited": no 429, no -32006, no Retry-After. Two limits: a document over its size, and a
// message over gRPC's receive limit (here below the HTTP body limit, so that REST and JSON-RPC reach it).
func TestTooLargeIsNotRateLimited(t *testing.T) {
	const maxRecv = 64 << 10
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := startStack(t, e.Config(t), flexdbtest.Options{HTTP: defaultOptions, GRPC: grpcapi.Options{MaxRecvBytes: 4 << 20}})
			small := startStack(t, e.Config(t), flexdbtest.Options{HTTP: defaultOptions, GRPC: grpcapi.Options{MaxRecvBytes: maxRecv}})
			title := strings.Repeat("x", 1<<20) // with the rest of the document, over the 1 MiB document limit
			for _, tc := range []struct {
				name    string
				s       *stack
				rpc     string
				request string
				message string // in the error message
			}{
				{"a document over its limit", s, "CreateNode", `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"title\": \"` + title + `\"}"}`, "too large"},
				{"a message over gRPC's receive limit", small, "CreateTenant", `{"slug": "{{new_slug}}", "name": "` + strings.Repeat("x", maxRecv) + `"}`, "larger than max"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, p := range protocols {
						t.Run(p.name, func(t *testing.T) {
							w := newTenancy(t, tc.s)
							r := p.send(t, tc.s, rpcNamed(t, tc.rpc), expand(tc.request, w.get), tc.s.admin)
							want := map[string]int{"grpc": int(codes.ResourceExhausted), "rest": http.StatusRequestEntityTooLarge, "jsonrpc": -32010}[p.name]
							if r.Code != codes.ResourceExhausted || r.Wire != want {
								t.Fatalf("%s %d (%.200s), want RESOURCE_EXHAUSTED %d", r.Code, r.Wire, r.Message, want)
							}
							if !strings.Contains(r.Message, tc.message) {
								t.Errorf("message %q does not say %q", r.Message, tc.message)
							}
							if v := r.get("retry-after"); v != "" {
								t.Errorf("retry-after %q on a request too large", v)
							}
						})
					}
				})
			}
		})
	}
}

// Calls without a valid key are limited per client address, before any key lookup, on every protocol:
// with a budget of 3, the 4th bad call is refused as rate limited (429 with Retry-After, -32006),
// whatever address a REST caller claims in a header, while a known key from the same address calls on.
func TestBadCredentialsAreLimitedPerAddress(t *testing.T) {
	const budget = 3
	getTenant := rpcNamed(t, "GetTenant")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			// A stack of its own: every caller here shares 127.0.0.1. The budget does not refill within
			// the test, and refusals answer at once.
			s := startStack(t, sqlite(t), flexdbtest.Options{HTTP: defaultOptions,
				GRPC: grpcapi.Options{AuthFailureRate: 1e-9, AuthFailureBurst: budget}})
			get := []byte(`{"id": "` + uuid.NewString() + `"}`)
			for i, auth := range []string{"", "Bearer " + service.NewSecret(), "Bearer fdb_malformed"} {
				if r := p.send(t, s, getTenant, get, auth); r.Code != codes.Unauthenticated {
					t.Fatalf("bad call %d of the budget: %s (%s), want Unauthenticated", i+1, r.Code, r.Message)
				}
			}
			r := p.send(t, s, getTenant, get, "Bearer "+service.NewSecret())
			if p.name == "rest" { // a client naming another address gets nowhere
				r = sendRESTWith(t, s, getTenant, get, "Authorization", "Bearer "+service.NewSecret(),
					"X-Flexdb-Client-Addr", "10.9.9.9:1", "Grpc-Metadata-X-Flexdb-Client-Addr", "10.9.9.9:1", "X-Forwarded-For", "10.9.9.9")
			}
			limited := map[string]int{"grpc": int(codes.ResourceExhausted), "rest": http.StatusTooManyRequests, "jsonrpc": -32006}
			if r.Code != codes.ResourceExhausted || r.Wire != limited[p.name] {
				t.Fatalf("bad call %d: %s, wire %d (%s), want ResourceExhausted", budget+1, r.Code, r.Wire, r.Message)
			}
			if p.name != "jsonrpc" {
				if n, err := strconv.Atoi(r.get("Retry-After")); err != nil || n < 1 {
					t.Errorf("Retry-After %q, want a number of seconds", r.get("Retry-After"))
				}
			}
			if r := p.send(t, s, getTenant, get, s.admin); r.Code != codes.NotFound {
				t.Errorf("a known key from the same address: %s (%s), want NotFound", r.Code, r.Message)
			}
		})
	}
}
