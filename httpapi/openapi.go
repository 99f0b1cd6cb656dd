package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// openAPIDocument is served at GET /openapi.json as it is: BuildOpenAPI's output, made at generation
// time (make generate) and committed.
//
//go:embed openapi.json
var openAPIDocument []byte

// BuildOpenAPI completes the OpenAPI 3.1 document protoc-gen-connect-openapi makes from the proto's
// google.api.http rules and comments with what the proto does not say: each operation's summary (the
// first sentence of its comment), its success status (restConventions), the errors it can answer and
// their body (errorBody), the paths this port serves itself (ownRoutes), and bearer authentication.
// make proto runs it (through ./httpapi/openapigen); nothing else changes the document.
func BuildOpenAPI(generated []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(generated, &doc); err != nil {
		return nil, fmt.Errorf("generated OpenAPI document: %w", err)
	}
	doc["info"] = map[string]any{
		"title":   "flex-db",
		"version": "1.0",
		"description": "Multi-tenant document and graph database. Every call is served alike over REST (below), " +
			"JSON-RPC 2.0 (POST /jsonrpc; rpc.discover returns the OpenRPC document) and gRPC (port 50051, package dbaas, " +
			"reflection on). With authentication on, every call but the operational ones carries `Authorization: Bearer <key>`.",
	}
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	rules := restRules()
	if err := restoreBindings(paths, schemas, rules); err != nil {
		return nil, err
	}
	for path, item := range paths {
		for verb, op := range item.(map[string]any) {
			r, ok := rules[strings.ToUpper(verb)+" "+path]
			if !ok {
				return nil, fmt.Errorf("generated operation %s %s has no google.api.http rule", verb, path)
			}
			completeOperation(op.(map[string]any), r.md, r.binding)
		}
	}
	for _, r := range ownRoutes() {
		item, _ := paths[r.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[r.path] = item
		}
		item[strings.ToLower(r.method)] = r.op
	}
	tags, _ := doc["tags"].([]any)
	doc["tags"] = append(tags, map[string]any{"name": "JSON-RPC"}, map[string]any{"name": "Operations"})

	schemas["Error"] = errorSchema
	for name, s := range jsonRPCSchemas() {
		schemas[name] = s
	}
	components["securitySchemes"] = map[string]any{"bearer": map[string]any{
		"type": "http", "scheme": "bearer", "bearerFormat": "API key (fdb_…)",
		"description": "A platform admin key or a tenant's API key. Not needed in development mode (--dev).",
	}}
	doc["security"] = []any{map[string]any{"bearer": []any{}}}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

// restoreBindings puts back the operations the generator drops: of an RPC's bindings on one path it
// keeps the last (an additional binding replaces the path's item). A dropped operation is its sibling's
// with the request body of its own binding: the request message without the path's fields for "*". A
// body bound to a string field (UpdateNode's patch) is the JSON object itself, as the REST decoder
// reads it (wholeJSON), not a JSON string.
func restoreBindings(paths, schemas map[string]any, rules map[string]restRoute) error {
	for key, r := range rules {
		item, _ := paths[r.binding.path].(map[string]any)
		verb := strings.ToLower(r.binding.verb)
		if item == nil {
			continue // no operation of the path at all: BuildOpenAPI reports it
		}
		_, generated := item[verb]
		if !generated {
			var sibling map[string]any
			var siblingVerb string
			for _, other := range httpBindings(r.md) {
				if other.path == r.binding.path && other.verb != r.binding.verb {
					sibling, _ = item[strings.ToLower(other.verb)].(map[string]any)
					siblingVerb = other.verb
				}
			}
			if sibling == nil {
				return fmt.Errorf("generated document has no operation for %s", key)
			}
			// The RPC's own operation id stays with its first binding; the other's gets its verb.
			op, id := deepCopy(sibling), fmt.Sprint(sibling["operationId"])
			if httpBindings(r.md)[0] == r.binding {
				op["operationId"], sibling["operationId"] = id, id+"_"+siblingVerb
			} else {
				op["operationId"] = id + "_" + r.binding.verb
			}
			item[verb] = op
		}
		op := item[verb].(map[string]any)
		message, _ := schemas[string(r.md.Input().FullName())].(map[string]any)
		properties, _ := message["properties"].(map[string]any)
		switch body := r.binding.body; {
		case body == "*" && !generated:
			own := maps.Clone(properties)
			for _, part := range strings.Split(r.binding.path, "/") {
				delete(own, strings.Trim(part, "{}"))
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"type": "object", "additionalProperties": false, "properties": own}}}}
		case body != "":
			f := r.md.Input().Fields().ByName(protoreflect.Name(body))
			field, _ := properties[body].(map[string]any)
			if f != nil && f.Kind() == protoreflect.StringKind {
				schema := map[string]any{"type": "object", "description": field["description"]}
				op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
					"application/merge-patch+json": map[string]any{"schema": schema}, "application/json": map[string]any{"schema": schema}}}
			}
		}
	}
	return nil
}

// deepCopy copies a decoded JSON object, so that completing one operation cannot change another.
func deepCopy(v map[string]any) map[string]any {
	b, _ := json.Marshal(v) // decoded JSON marshals again
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// restRoute is an RPC and one of its routes.
type restRoute struct {
	md      protoreflect.MethodDescriptor
	binding httpBinding
}

// restRules maps "VERB /path/{template}" to the RPC its google.api.http rule routes there.
func restRules() map[string]restRoute {
	out := map[string]restRoute{}
	for _, m := range rpcMethods() {
		for _, b := range httpBindings(m.desc) {
			out[b.verb+" "+b.path] = restRoute{md: m.desc, binding: b}
		}
	}
	return out
}

func completeOperation(op map[string]any, md protoreflect.MethodDescriptor, b httpBinding) {
	if d, _ := op["description"].(string); d != "" {
		op["summary"] = firstSentence(d)
	}
	params, _ := op["parameters"].([]any)
	for _, prm := range params {
		prm := prm.(map[string]any)
		if name, _ := prm["name"].(string); strings.HasPrefix(name, "pagination.") {
			prm["name"] = strings.TrimPrefix(name, "pagination.") // restConventions takes the short names
		}
	}
	verb, body := b.verb, b.body
	switch verb {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		op["parameters"] = append(params, map[string]any{"name": "If-Match", "in": "header", "required": false,
			"schema":      map[string]any{"type": "string"},
			"description": `Do it only if the row is at this version: "*", or the ETag of a read ("3"). 412 when it is not; nothing changes.`})
	}
	responses, _ := op["responses"].(map[string]any)
	switch success := successStatusOf(verb); success {
	case http.StatusOK:
	case http.StatusNoContent:
		delete(responses, "200")
		responses["204"] = map[string]any{"description": "Done; no body."}
	default:
		responses[strconv.Itoa(success)] = responses["200"]
		delete(responses, "200")
	}
	if item, _ := versionedItem(md.Output()); item != nil {
		if ok, _ := responses[strconv.Itoa(successStatusOf(verb))].(map[string]any); ok != nil {
			ok["headers"] = map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"},
				"description": `The item's version as a strong entity tag ("3"), for If-Match.`}}
		}
	}
	for status, reasons := range errorStatuses(md, verb, body != "") {
		responses[strconv.Itoa(status)] = errorResponse(reasons)
	}
}

// firstSentence is a comment's first sentence (up to ". " or its first blank line), on one line.
func firstSentence(s string) string {
	s, _, _ = strings.Cut(s, "\n\n")
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return s
}

// The errors an operation can answer are read from tables: the codes every call can end with, those a
// kind of call (its name's first word) adds, and the HTTP status each code becomes (httpStatusOf,
// errors.go). A call that writes (service.Calls) may also meet a suspended tenant (FailedPrecondition), a
// call with a body the body checks of bodyLimit, and a PUT, PATCH or DELETE an If-Match that no longer
// holds (412).
var (
	everyCallCodes = []codes.Code{codes.InvalidArgument, codes.Unauthenticated, codes.PermissionDenied,
		codes.ResourceExhausted, codes.Internal, codes.Unavailable, codes.DeadlineExceeded}
	kindCodes = map[string][]codes.Code{
		"Create": {codes.NotFound, codes.AlreadyExists}, // the parent it names; a unique key taken
		"Add":    {codes.NotFound, codes.AlreadyExists},
		"Get":    {codes.NotFound},
		"List":   {codes.NotFound},
		"Update": {codes.NotFound, codes.AlreadyExists, codes.Aborted}, // Aborted: expected_version moved on
		"Delete": {codes.NotFound, codes.Aborted},
		"Remove": {codes.NotFound},
		"Revoke": {codes.NotFound},
	}
	bodyStatuses = map[int]string{
		http.StatusRequestEntityTooLarge: "RESOURCE_EXHAUSTED: the body, or a document in it, is larger than the server's limit",
		http.StatusUnsupportedMediaType:  "INVALID_ARGUMENT: the body is not sent as application/json",
	}
	ifMatchStatus = "ABORTED under If-Match: the row is no longer at the version If-Match names; nothing changed"
	codeMeaning   = map[codes.Code]string{
		codes.InvalidArgument:    "the request is invalid; field_violations name each field and the rule it breaks",
		codes.Unauthenticated:    "no key, or a key that is not valid",
		codes.PermissionDenied:   "the key's role does not allow this call here",
		codes.ResourceExhausted:  "the key's rate limit is reached; Retry-After says when to try again",
		codes.Internal:           "a fault of the server",
		codes.Unavailable:        "the database does not answer; retry",
		codes.DeadlineExceeded:   "the call ran past its deadline; nothing it did was kept",
		codes.NotFound:           "an id the request names does not exist (in this tenant)",
		codes.AlreadyExists:      "a unique key (slug, email, name, membership) is taken",
		codes.Aborted:            "the row is no longer at expected_version; nothing changed",
		codes.FailedPrecondition: "the call cannot proceed in the current state (a suspended tenant, a node type that still has nodes)",
	}
)

// errorStatuses maps each HTTP error status the call md (served as verb) can answer to the reasons for it.
func errorStatuses(md protoreflect.MethodDescriptor, verb string, hasBody bool) map[int][]string {
	rpc := string(md.Name())
	kind := rpc
	if i := strings.IndexFunc(rpc[1:], func(r rune) bool { return r >= 'A' && r <= 'Z' }); i >= 0 {
		kind = rpc[:i+1]
	}
	cs := append(slices.Clone(everyCallCodes), kindCodes[kind]...)
	if service.Calls[rpc].Writes {
		cs = append(cs, codes.FailedPrecondition)
	}
	out := map[int][]string{}
	for _, c := range cs {
		if c == codes.NotFound && !namesAnID(md.Input()) {
			continue // nothing to be found missing
		}
		reason := codeName(c)
		if m := codeMeaning[c]; m != "" {
			reason += ": " + m
		}
		s := httpStatusOf(status.New(c, ""), false)
		if c == codes.ResourceExhausted {
			s = http.StatusTooManyRequests // the rate limit's, the one RESOURCE_EXHAUSTED every call can meet
		}
		out[s] = append(out[s], reason)
	}
	if hasBody {
		for s, why := range bodyStatuses {
			out[s] = append(out[s], why)
		}
	}
	switch verb {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		out[http.StatusPreconditionFailed] = append(out[http.StatusPreconditionFailed], ifMatchStatus)
	}
	for _, reasons := range out {
		sort.Strings(reasons)
	}
	return out
}

// namesAnID reports whether a request has an id field (id, tenant_id, ...).
func namesAnID(md protoreflect.MessageDescriptor) bool {
	for i := 0; i < md.Fields().Len(); i++ {
		if n := string(md.Fields().Get(i).Name()); n == "id" || strings.HasSuffix(n, "_id") {
			return true
		}
	}
	return false
}

func errorResponse(reasons []string) map[string]any {
	return map[string]any{
		"description": strings.Join(reasons, "; ") + ".",
		"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
	}
}

// errorSchema is errorBody's.
var errorSchema = map[string]any{
	"type":     "object",
	"title":    "Error",
	"required": []any{"code", "message"},
	"properties": map[string]any{
		"code":    map[string]any{"type": "string", "description": "The gRPC code name, such as NOT_FOUND.", "examples": []any{"NOT_FOUND"}},
		"message": map[string]any{"type": "string"},
		"field_violations": map[string]any{"type": "array", "description": "With INVALID_ARGUMENT: each field and the rule it breaks.",
			"items": map[string]any{"type": "object", "required": []any{"field", "description"}, "properties": map[string]any{
				"field":       map[string]any{"type": "string", "description": "The field, or a JSON pointer into a document (data/title)."},
				"description": map[string]any{"type": "string"},
			}}},
		"retry_after_seconds": map[string]any{"type": "integer", "description": "With a rate limit or UNAVAILABLE: seconds to wait before trying again, as Retry-After says."},
	},
}

func jsonRPCSchemas() map[string]any {
	methods := rpcMethods()
	names := make([]any, 0, len(methods)+1)
	for n := range methods {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].(string) < names[j].(string) })
	names = append(names, "rpc.discover")
	id := map[string]any{"type": []any{"string", "integer", "null"}}
	return map[string]any{
		"JSONRPCRequest": map[string]any{
			"type": "object", "required": []any{"jsonrpc", "method"},
			"properties": map[string]any{
				"jsonrpc": map[string]any{"const": "2.0"},
				"method":  map[string]any{"type": "string", "enum": names},
				"params":  map[string]any{"type": "object", "description": "The RPC's request message by proto field name."},
				"id":      id,
			},
		},
		"JSONRPCResponse": map[string]any{
			"type": "object", "required": []any{"jsonrpc", "id"},
			"properties": map[string]any{
				"jsonrpc": map[string]any{"const": "2.0"},
				"result":  map[string]any{"description": "The RPC's response message."},
				"error": map[string]any{"type": "object", "required": []any{"code", "message"}, "properties": map[string]any{
					"code":    map[string]any{"type": "integer"},
					"message": map[string]any{"type": "string"},
					"data":    map[string]any{"$ref": "#/components/schemas/Error"},
				}},
				"id": id,
			},
		},
	}
}

// jsonRPCOperation is the OpenAPI operation of POST /jsonrpc.
func jsonRPCOperation() map[string]any {
	oneOrMany := func(ref string) map[string]any {
		return map[string]any{"oneOf": []any{
			map[string]any{"$ref": ref},
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": ref}},
		}}
	}
	responses := map[string]any{
		"200": map[string]any{"description": "The response, or an array of responses to a batch; errors are inside (error.code).",
			"content": map[string]any{"application/json": map[string]any{"schema": oneOrMany("#/components/schemas/JSONRPCResponse")}}},
		"204": map[string]any{"description": "Only notifications (calls without id) were sent; no body."},
	}
	for s, why := range bodyStatuses {
		responses[strconv.Itoa(s)] = errorResponse([]string{"INVALID_ARGUMENT: " + why})
	}
	return map[string]any{
		"operationId": "JSONRPC",
		"tags":        []any{"JSON-RPC"},
		"summary":     "JSON-RPC 2.0: one call, a batch (array) of calls, or notifications (calls without id).",
		"description": "Methods are the RPC names in snake_case, and rpc.discover (the OpenRPC document). params is the " +
			"request message by field name; result is the response message. Errors: -32700 parse, -32600 invalid request, " +
			"-32601 method not found, -32602 invalid params, -32603 internal, -32001 not found, -32002 already exists, " +
			"-32003 failed precondition, -32004 permission denied, -32005 unauthenticated, -32006 rate limited, " +
			"-32007 unavailable, -32008 aborted, -32009 deadline exceeded or cancelled, -32010 too large (a document, a " +
			"message or a batch); error.data is the REST error body.",
		"requestBody": map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": oneOrMany("#/components/schemas/JSONRPCRequest")}}},
		"responses": responses,
	}
}

// operational is an OpenAPI operation that needs no key.
func operational(id, summary string, responses map[string]any) map[string]any {
	return map[string]any{"operationId": id, "tags": []any{"Operations"}, "summary": summary, "security": []any{}, "responses": responses}
}

func jsonAnswer(description string, schema map[string]any) map[string]any {
	return map[string]any{"description": description, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

var statusSchema = map[string]any{"type": "object", "required": []any{"status"}, "properties": map[string]any{
	"status": map[string]any{"type": "string"}, "reason": map[string]any{"type": "string"},
}}

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
