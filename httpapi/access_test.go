package httpapi_test

// Access over time and across servers: revocation reaching every instance that shares a database, a
// suspended tenant, the per-key rate limit, and the roles a key may hand out.

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/sqlstore"
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

// A tenant the platform admin suspends refuses writes by its keys (FailedPrecondition: 412, -32003)
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
			if r := p.send(t, s, getTenant, get, other.auth); r.Code != codes.OK {
				t.Errorf("another key: %s (%s), want OK", r.Code, r.Message)
			}
		})
	}
}

// A tenant key hands out at most its own role: as a key's role (CreateApiKey) and as a member's role
// (AddUserToTenant). Otherwise an admin could make owners.
func TestKeysGrantAtMostTheirOwnRole(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			w := newTenancy(t, s)
			for _, tc := range []struct {
				granter, rpc, role string
				want               codes.Code
			}{
				{flexdb.RoleAdmin, "CreateApiKey", flexdb.RoleOwner, codes.PermissionDenied},
				{flexdb.RoleAdmin, "CreateApiKey", flexdb.RoleAdmin, codes.OK},
				{flexdb.RoleAdmin, "AddUserToTenant", flexdb.RoleOwner, codes.PermissionDenied},
				{flexdb.RoleAdmin, "AddUserToTenant", flexdb.RoleAdmin, codes.OK},
				{flexdb.RoleAdmin, "AddUserToTenant", flexdb.RoleViewer, codes.OK},
				{flexdb.RoleOwner, "CreateApiKey", flexdb.RoleOwner, codes.OK},
				{flexdb.RoleOwner, "AddUserToTenant", flexdb.RoleOwner, codes.OK},
			} {
				t.Run(tc.granter+"/"+tc.rpc+"/"+tc.role, func(t *testing.T) {
					var template string
					if tc.rpc == "CreateApiKey" {
						template = `{"tenant_id": "{{tenant}}", "name": "k", "role": "` + tc.role + `"}`
					} else {
						template = `{"tenant_id": "{{tenant}}", "user_id": "{{outsider}}", "role": "` + tc.role + `"}`
					}
					r := p.send(t, s, rpcNamed(t, tc.rpc), expand(template, w.get), w.caller(tc.granter).auth)
					if r.Code != tc.want {
						t.Errorf("%s: %s (%s), want %s", tc.rpc, r.Code, r.Message, tc.want)
					}

				})
			}
		})
	}
}
