package httpapi_test

// REST's conditional requests (RFC 9110, section 13): a versioned item's response carries its version as
// a strong ETag, and PUT and DELETE take it back in If-Match. Requests come from isolationSpecs, so each
// kind of row is reached as every other test reaches it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// versionedKinds are the kinds of rows with a version, by the name their RPCs share.
var versionedKinds = []string{"Tenant", "User", "NodeType", "Node", "Relationship", "Role"}

// itemVersion reads the version of the one item a REST response holds ({"node": {"version": "3", ...}});
// ok is false for a list, an empty response or an item without a version.
func itemVersion(t testing.TB, body string) (version string, ok bool) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &top); err != nil {
		t.Fatalf("response is not a JSON object: %s", body)
	}
	for _, raw := range top {
		var item map[string]any
		if json.Unmarshal(raw, &item) != nil {
			continue
		}
		if v, has := item["version"]; has {
			return fmt.Sprint(v), true // protojson writes an int64 as a string
		}
	}
	return "", false
}

// sendAs makes rpc's REST call as the platform admin from its first isolationSpecs request in tn, with
// extra fields merged into the request and headers (name, value pairs) added.
func sendAs(t *testing.T, tn *tenancy, rpc string, extra map[string]any, headers ...string) reply {
	t.Helper()
	md := rpcNamed(t, rpc)
	var fields map[string]any
	if err := json.Unmarshal(expand(isolationSpecs[rpc].requests[0], tn.get), &fields); err != nil {
		t.Fatalf("%s request: %v", rpc, err)
	}
	for k, v := range extra {
		fields[k] = v
	}
	return sendRESTWith(t, tn.s, md, jsonBytes(t, fields), headers...)
}

// Every REST response of one versioned item, and only such a response, has an ETag: the item's version
// as a strong entity tag.
func TestRESTVersionedItemsCarryTheirVersionAsETag(t *testing.T) {
	mustTag := map[string]bool{}
	for _, kind := range versionedKinds {
		for _, op := range []string{"Create", "Get", "Update"} {
			mustTag[op+kind] = true
		}
	}
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			tagged := map[string]bool{}
			for _, md := range rpcs() {
				rpc := string(md.Name())
				if _, _, _, ok := httpRule(md); !ok {
					continue
				}
				t.Run(rpc, func(t *testing.T) {
					r := sendAs(t, newTenancy(t, s), rpc, nil)
					if r.Code != codes.OK {
						t.Fatalf("%s (%s)", r.Code, r.Message)
					}
					version, one := itemVersion(t, r.Body)
					switch got := r.get("ETag"); {
					case one && got != `"`+version+`"`:
						t.Errorf("ETag %q for an item at version %s, want %q", got, version, `"`+version+`"`)
					case !one && got != "":
						t.Errorf("ETag %q on a response that is not one versioned item: %s", got, r.Body)
					case one:
						tagged[rpc] = true
					}
				})
			}
			for rpc := range mustTag {
				if !tagged[rpc] {
					t.Errorf("%s answered no ETag", rpc)
				}
			}
		})
	}
}

// If-Match on PUT and DELETE is the call's expected_version: on a mismatch 412 and nothing changes;
// "*" matches any existing row; a value that is no entity tag of ours is 400. The same mismatch sent as
// expected_version stays ABORTED (409).
func TestRESTIfMatch(t *testing.T) {
	servers := map[string]*stack{} // one per engine; every case makes a tenancy of its own
	for _, e := range engines {
		servers[e.Name] = start(t, e.Config(t), defaultOptions)
	}
	// Each case starts from a row at version 2 (one update after its creation): "{{v}}" is 2 and
	// "{{old}}" 1 in ifMatch.
	for _, tc := range []struct {
		name     string
		op       string // Update (PUT) or Delete (DELETE)
		ifMatch  string // "" for none
		expected int64  // expected_version in the body (PUT) or the query (DELETE); 0 for none
		status   int
		code     codes.Code
		changes  bool
	}{
		{"PUT, If-Match the current version", "Update", `"{{v}}"`, 0, http.StatusOK, codes.OK, true},
		{"PUT, If-Match an old version", "Update", `"{{old}}"`, 0, http.StatusPreconditionFailed, codes.Aborted, false},
		{"PUT, If-Match *", "Update", `*`, 0, http.StatusOK, codes.OK, true},
		{"PUT, If-Match a version not in quotes", "Update", `{{v}}`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"PUT, If-Match a weak tag", "Update", `W/"{{v}}"`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"PUT, If-Match a list", "Update", `"{{v}}", "{{old}}"`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"PUT, If-Match a tag that is no version", "Update", `"abc"`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"PUT, If-Match and expected_version naming the same version", "Update", `"{{v}}"`, 2, http.StatusOK, codes.OK, true},
		{"PUT, If-Match and expected_version disagreeing", "Update", `"{{v}}"`, 1, http.StatusBadRequest, codes.InvalidArgument, false},
		{"PUT, an old expected_version without If-Match", "Update", "", 1, http.StatusConflict, codes.Aborted, false},
		{"DELETE, If-Match the current version", "Delete", `"{{v}}"`, 0, http.StatusNoContent, codes.OK, true},
		{"DELETE, If-Match an old version", "Delete", `"{{old}}"`, 0, http.StatusPreconditionFailed, codes.Aborted, false},
		{"DELETE, If-Match *", "Delete", `*`, 0, http.StatusNoContent, codes.OK, true},
		{"DELETE, If-Match a version not in quotes", "Delete", `{{v}}`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"DELETE, If-Match a weak tag", "Delete", `W/"{{v}}"`, 0, http.StatusBadRequest, codes.InvalidArgument, false},
		{"DELETE, an old expected_version without If-Match", "Delete", "", 1, http.StatusConflict, codes.Aborted, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range engines {
				t.Run(e.Name, func(t *testing.T) {
					s := servers[e.Name]
					for _, kind := range versionedKinds {
						t.Run(kind, func(t *testing.T) {
							tn := newTenancy(t, s)
							if r := sendAs(t, tn, "Update"+kind, nil); r.Code != codes.OK || r.get("ETag") != `"2"` {
								t.Fatalf("the update to version 2: %s (%s), ETag %q", r.Code, r.Message, r.get("ETag"))
							}
							var extra map[string]any
							if tc.expected != 0 {
								extra = map[string]any{"expected_version": tc.expected}
							}
							var headers []string
							if tc.ifMatch != "" {
								headers = []string{"If-Match", strings.NewReplacer("{{v}}", "2", "{{old}}", "1").Replace(tc.ifMatch)}
							}
							r := sendAs(t, tn, tc.op+kind, extra, headers...)
							if r.Wire != tc.status || r.Code != tc.code {
								t.Fatalf("%d %s (%s), want %d %s", r.Wire, r.Code, r.Message, tc.status, tc.code)
							}
							if tc.code == codes.InvalidArgument && tc.ifMatch != "" && tc.expected == 0 && !strings.Contains(r.Message, "If-Match") {
								t.Errorf("the error does not name If-Match: %s", r.Message)
							}
							after := sendAs(t, tn, "Get"+kind, nil)
							switch {
							case !tc.changes && (after.Code != codes.OK || after.get("ETag") != `"2"`):
								t.Errorf("after a refused %s: %s, ETag %q, want the row unchanged at version 2", tc.op, after.Code, after.get("ETag"))
							case tc.changes && tc.op == "Update" && after.get("ETag") != `"3"`:
								t.Errorf("after the update: ETag %q, want \"3\"", after.get("ETag"))
							case tc.changes && tc.op == "Delete" && after.Code != codes.NotFound:
								t.Errorf("after the delete: %s, want NotFound", after.Code)
							}
						})
					}
				})
			}
		})
	}
}

// If-Match on a row that does not exist is NotFound whatever it names: a server answers as it would
// without the condition when that answer is an error (RFC 9110, section 13.2.1).
func TestRESTIfMatchOnAMissingRowIsNotFound(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, rpc := range []string{"UpdateNode", "DeleteNode"} {
		for _, tag := range []string{`"1"`, `*`} {
			t.Run(rpc+" "+tag, func(t *testing.T) {
				tn := newTenancy(t, s)
				tn.values["node"] = missingValue("node")
				if r := sendAs(t, tn, rpc, nil, "If-Match", tag); r.Wire != http.StatusNotFound {
					t.Errorf("%d %s (%s), want 404", r.Wire, r.Code, r.Message)
				}
			})
		}
	}
}

// A call whose request has no version to match refuses an If-Match naming one, and takes "*".
func TestRESTIfMatchOnAnUnversionedCall(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, tc := range []struct {
		tag    string
		status int
	}{{`"1"`, http.StatusBadRequest}, {`*`, http.StatusNoContent}} {
		t.Run(tc.tag, func(t *testing.T) {
			r := sendAs(t, newTenancy(t, s), "RemoveUserFromTenant", nil, "If-Match", tc.tag)
			if r.Wire != tc.status {
				t.Errorf("%d %s (%s), want %d", r.Wire, r.Code, r.Message, tc.status)
			}
		})
	}
}

// FAILED_PRECONDITION is 400, as google.rpc.Code maps it: 412 is for If-Match alone, and a delete that
// If-Match allows but the data refuses is still 400.
func TestRESTFailedPreconditionIs400(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			for _, tc := range []struct {
				name    string
				headers []string
			}{
				{"without If-Match", nil},
				{"with If-Match the current version", []string{"If-Match", `"1"`}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tn := newTenancy(t, s)
					tn.get("node") // the node type has a node
					r := sendAs(t, tn, "DeleteNodeType", map[string]any{"cascade": false}, tc.headers...)
					if r.Wire != http.StatusBadRequest || r.Code != codes.FailedPrecondition {
						t.Fatalf("deleting a node type with nodes: %d %s (%s), want 400 FAILED_PRECONDITION", r.Wire, r.Code, r.Message)
					}
					if after := sendAs(t, tn, "GetNodeType", nil); after.Code != codes.OK {
						t.Errorf("the node type after the refused delete: %s", after.Code)
					}
				})
			}
		})
	}
}
