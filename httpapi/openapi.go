package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// openAPISource is generated from the proto by protoc-gen-openapiv2 (make generate).
//
//go:embed openapi.swagger.json
var openAPISource []byte

// openAPIDocument is the generated document with what the generator cannot know: the JSON-RPC endpoint,
// the operational endpoints, and page_size / page_token under the short names the original used.
func openAPIDocument(methods map[string]rpcMethod) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPISource, &doc); err != nil {
		return nil, fmt.Errorf("generated OpenAPI document: %w", err)
	}
	doc["info"] = map[string]any{
		"title":   "flex-db",
		"version": "1.0",
		"description": "Multi-tenant document and graph database. Every call is served alike over REST (below), " +
			"JSON-RPC 2.0 (POST /jsonrpc; rpc.discover returns the OpenRPC document) and gRPC (port 50051, package dbaas, reflection on).",
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range paths {
		for verb, op := range p.(map[string]any) {
			// REST answers 201 to a create and 204 to a delete (restConventions); say so.
			if responses, ok := op.(map[string]any)["responses"].(map[string]any); ok {
				switch ok200 := responses["200"]; verb {
				case "post":
					delete(responses, "200")
					responses["201"] = ok200
				case "delete":
					delete(responses, "200")
					responses["204"] = map[string]any{"description": "Deleted; no body."}
				}
			}
			params, _ := op.(map[string]any)["parameters"].([]any)
			for _, prm := range params {
				prm := prm.(map[string]any)
				if name, _ := prm["name"].(string); strings.HasPrefix(name, "pagination.") {
					prm["name"] = strings.TrimPrefix(name, "pagination.")
				}
			}
		}
	}
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	paths["/jsonrpc"] = map[string]any{"post": map[string]any{
		"operationId": "JSONRPC",
		"tags":        []string{"JSON-RPC"},
		"summary":     "JSON-RPC 2.0: one call, a batch (array) of calls, or notifications (calls without id)",
		"description": "Methods: " + strings.Join(names, ", ") + ", rpc.discover. params is the request message by field name; " +
			"result is the response message. Errors: -32700 parse, -32600 invalid request, -32601 method not found, " +
			"-32602 invalid params, -32603 internal, -32001 not found, -32002 already exists, -32003 failed precondition, " +
			"-32004 permission denied, -32005 unauthenticated, -32006 rate limited, -32007 unavailable, -32008 aborted, " +
			"-32009 deadline exceeded or cancelled, -32010 too large (a document, a message or a batch).",
		"consumes": []string{"application/json"},
		"produces": []string{"application/json"},
		"parameters": []any{map[string]any{"in": "body", "name": "body", "required": true, "schema": map[string]any{
			"type": "object", "required": []string{"jsonrpc", "method"},
			"properties": map[string]any{
				"jsonrpc": map[string]any{"type": "string", "enum": []string{"2.0"}},
				"method":  map[string]any{"type": "string", "enum": append(names, "rpc.discover")},
				"params":  map[string]any{"type": "object"},
				"id":      map[string]any{"type": "string"},
			},
		}}},
		"responses": map[string]any{"200": map[string]any{"description": "JSON-RPC response (or array of responses)"},
			"204": map[string]any{"description": "Only notifications were sent"}},
	}}
	paths["/health"] = map[string]any{"get": map[string]any{"operationId": "Health", "tags": []string{"Operations"},
		"summary": "Liveness: 200 while the process lives", "responses": map[string]any{"200": map[string]any{"description": `{"status": "ok"}`}}}}
	paths["/ready"] = map[string]any{"get": map[string]any{"operationId": "Ready", "tags": []string{"Operations"},
		"summary": "Readiness: 503 while the database cannot be reached", "responses": map[string]any{
			"200": map[string]any{"description": `{"status": "ready"}`}, "503": map[string]any{"description": "database unreachable"}}}}
	return json.MarshalIndent(doc, "", "  ")
}

// openRPCDocument describes every JSON-RPC method, generated from the proto.
func openRPCDocument(methods map[string]rpcMethod) ([]byte, error) {
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	schemas := map[string]any{}
	var ms []any
	for _, n := range names {
		m := methods[n]
		var params []any
		fields := m.desc.Input().Fields()
		for i := 0; i < fields.Len(); i++ {
			f := fields.Get(i)
			params = append(params, map[string]any{"name": string(f.Name()), "schema": fieldSchema(f, schemas)})
		}
		ms = append(ms, map[string]any{
			"name":           n,
			"summary":        fmt.Sprintf("%s.%s", m.desc.Parent().Name(), m.desc.Name()),
			"paramStructure": "by-name",
			"params":         params,
			"result":         map[string]any{"name": string(m.desc.Output().Name()), "schema": messageSchema(m.desc.Output(), schemas)},
		})
	}
	return json.Marshal(map[string]any{
		"openrpc":    "1.2.6",
		"info":       map[string]any{"title": "flex-db JSON-RPC", "version": "1.0"},
		"methods":    ms,
		"components": map[string]any{"schemas": schemas},
	})
}

// messageSchema returns a $ref to the message's schema, adding it to schemas on first use.
func messageSchema(md protoreflect.MessageDescriptor, schemas map[string]any) map[string]any {
	if md.FullName() == "google.protobuf.Timestamp" {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	name := string(md.Name())
	ref := map[string]any{"$ref": "#/components/schemas/" + name}
	if _, ok := schemas[name]; ok {
		return ref
	}
	props := map[string]any{}
	schemas[name] = map[string]any{"type": "object", "properties": props}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		props[string(fields.Get(i).Name())] = fieldSchema(fields.Get(i), schemas)
	}
	return ref
}

func fieldSchema(f protoreflect.FieldDescriptor, schemas map[string]any) map[string]any {
	var s map[string]any
	switch f.Kind() {
	case protoreflect.MessageKind:
		s = messageSchema(f.Message(), schemas)
	case protoreflect.BoolKind:
		s = map[string]any{"type": "boolean"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Uint32Kind:
		s = map[string]any{"type": "integer"}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		s = map[string]any{"type": "string", "format": "int64"} // protojson writes 64-bit integers as strings
	default:
		s = map[string]any{"type": "string"}
	}
	if f.IsList() {
		return map[string]any{"type": "array", "items": s}
	}
	return s
}
