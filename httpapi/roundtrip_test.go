package httpapi_test

// An object written through one protocol reads back identically through all three: the same JSON, to the
// microsecond of its timestamps, as the write answered.

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// lifecycle writes every kind of object and changes it; each write is read back by the call after it.
var lifecycle = []struct {
	write, request string // the call that writes, and its request
	object         string // the field of the write's response holding the object written
	saveAs         string // the placeholder its id is kept under, if any
	read, query    string // the call that reads it back, and its request
	at             string // where the read's response holds the object
}{
	{"CreateTenant", `{"slug": "rt-{{suffix}}", "name": "Round trip"}`, "tenant", "tenant",
		"GetTenant", `{"id": "{{tenant}}"}`, "tenant"},
	{"UpdateTenant", `{"id": "{{tenant}}", "name": "Round trip, renamed"}`, "tenant", "",
		"GetTenant", `{"id": "{{tenant}}"}`, "tenant"},
	{"CreateUser", `{"email": "rt-{{suffix}}@example.com", "display_name": "Grace"}`, "user", "user",
		"GetUser", `{"id": "{{user}}"}`, "user"},
	{"UpdateUser", `{"id": "{{user}}", "display_name": "Grace Hopper"}`, "user", "",
		"GetUser", `{"id": "{{user}}"}`, "user"},
	{"AddUserToTenant", `{"tenant_id": "{{tenant}}", "user_id": "{{user}}", "role": "owner"}`, "tenant_user", "",
		"ListTenantUsers", `{"tenant_id": "{{tenant}}"}`, "tenant_users.0"},
	{"CreateNodeType", `{"tenant_id": "{{tenant}}", "name": "Book", "description": "Bücher ✓ — \"quoted\"\n", "schema": "{\"type\": \"object\", \"properties\": {\"pages\": {\"type\": \"integer\"}}}"}`, "node_type", "node_type",
		"GetNodeType", `{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, "node_type"},
	{"UpdateNodeType", `{"tenant_id": "{{tenant}}", "id": "{{node_type}}", "description": "Books"}`, "node_type", "",
		"GetNodeType", `{"tenant_id": "{{tenant}}", "id": "{{node_type}}"}`, "node_type"},
	{"CreateNode", `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "data": "{\"pages\": 300, \"price\": 12.50, \"title\": \"Ünïcødé 🚀\", \"tags\": [\"a\", null, true], \"nested\": {\"z\": 1, \"a\": {}}}"}`, "node", "node",
		"GetNode", `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, "node"},
	{"CreateNode", `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}"}`, "node", "other_node",
		"GetNode", `{"tenant_id": "{{tenant}}", "id": "{{other_node}}"}`, "node"},
	{"UpdateNode", `{"tenant_id": "{{tenant}}", "id": "{{node}}", "data": "{\"pages\": 301, \"big\": 123456789012345678901234567890}"}`, "node", "",
		"GetNode", `{"tenant_id": "{{tenant}}", "id": "{{node}}"}`, "node"},
	{"CreateRelationship", `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}", "target_node_id": "{{other_node}}", "relationship_type": "sequel", "data": "{\"since\": \"1952\"}"}`, "relationship", "relationship",
		"GetRelationship", `{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`, "relationship"},
	{"UpdateRelationship", `{"tenant_id": "{{tenant}}", "id": "{{relationship}}", "relationship_type": "prequel"}`, "relationship", "",
		"GetRelationship", `{"tenant_id": "{{tenant}}", "id": "{{relationship}}"}`, "relationship"},
}

// lists read everything the lifecycle wrote, as lists; the three protocols must answer the same.
var lists = []struct{ call, request string }{
	{"ListTenantUsers", `{"tenant_id": "{{tenant}}"}`},
	{"ListNodeTypes", `{"tenant_id": "{{tenant}}"}`},
	{"ListNodes", `{"tenant_id": "{{tenant}}", "node_type_id": "{{node_type}}", "pagination": {"page_size": 100}}`},
	{"ListRelationships", `{"tenant_id": "{{tenant}}", "source_node_id": "{{node}}"}`},
}

func TestWrittenObjectsReadBackIdenticallyEverywhere(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			for _, writer := range protocols {
				t.Run("written_with_"+writer.name, func(t *testing.T) {
					w := newWorld(t, s)
					for _, step := range lifecycle {
						wrote := writer.call(t, s, rpcNamed(t, step.write), w.expand(step.request), s.admin)
						if wrote.Code != codes.OK {
							t.Fatalf("%s: %s %s", step.write, wrote.Code, wrote.Message)
						}
						object := pick(t, wrote.Body, step.object)
						if step.saveAs != "" {
							id, _ := field(decode(t, []byte(object)), "id").(string)
							w.set(step.saveAs, id)
						}
						for _, reader := range protocols {
							read := reader.call(t, s, rpcNamed(t, step.read), w.expand(step.query), s.admin)
							if read.Code != codes.OK {
								t.Fatalf("%s after %s: %s %s", step.read, step.write, read.Code, read.Message)
							}
							if got := pick(t, read.Body, step.at); !sameJSON(got, object) {
								t.Errorf("%s wrote with %s\n%s\n%s reads it with %s as\n%s", step.write, writer.name, object, step.read, reader.name, got)
							}
						}
					}
					for _, l := range lists {
						var first string
						for i, reader := range protocols {
							read := reader.call(t, s, rpcNamed(t, l.call), w.expand(l.request), s.admin)
							if read.Code != codes.OK {
								t.Fatalf("%s: %s %s", l.call, read.Code, read.Message)
							}
							if i == 0 {
								first = read.Body
							} else if !sameJSON(read.Body, first) {
								t.Errorf("%s answers %s with %s\nand %s with %s", l.call, first, protocols[0].name, read.Body, reader.name)
							}
						}
					}
				})
			}
		})
	}
}

// pick returns the JSON at a dotted path of a JSON text ("tenant_users.0": the first item of a list).
func pick(t testing.TB, text, path string) string {
	t.Helper()
	v := decode(t, []byte(text))
	for _, k := range strings.Split(path, ".") {
		if i, err := strconv.Atoi(k); err == nil {
			list, _ := v.([]any)
			if i >= len(list) {
				t.Fatalf("%s: no %s in %s", path, k, text)
			}
			v = list[i]
			continue
		}
		v = field(v, k)
	}
	if v == nil {
		t.Fatalf("%s: nothing at %s", text, path)
	}
	return string(jsonBytes(t, v))
}
