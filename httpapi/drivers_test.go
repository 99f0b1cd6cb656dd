package httpapi_test

// Three drivers make one call, written once as data (an RPC name and its request message in JSON), on
// each protocol: gRPC through conn.Invoke with the request type from the proto registry, REST by the
// method's google.api.http rule, JSON-RPC by the method's snake_case name. Each answers an outcome in
// the same terms, so that a test compares protocols with ==.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// contractCalls are the 28 calls of the original contract (CONTRACT.md), which every protocol keeps.
var contractCalls = []string{
	"CreateTenant", "GetTenant", "UpdateTenant", "DeleteTenant", "ListTenants",
	"CreateUser", "GetUser", "UpdateUser", "DeleteUser", "ListUsers", "AddUserToTenant", "RemoveUserFromTenant", "ListTenantUsers",
	"CreateNodeType", "GetNodeType", "UpdateNodeType", "DeleteNodeType", "ListNodeTypes",
	"CreateNode", "GetNode", "UpdateNode", "DeleteNode", "ListNodes",
	"CreateRelationship", "GetRelationship", "UpdateRelationship", "DeleteRelationship", "ListRelationships",
}

// ---------------------------------------------------------------------------------------------------------
// The proto, read as data

// rpcs lists every RPC of the dbaas proto, in the proto's order.
func rpcs() []protoreflect.MethodDescriptor {
	var out []protoreflect.MethodDescriptor
	services := pb.File_dbaas_dbaas_proto.Services()
	for i := range services.Len() {
		methods := services.Get(i).Methods()
		for j := range methods.Len() {
			out = append(out, methods.Get(j))
		}
	}
	return out
}

func rpcNamed(t testing.TB, name string) protoreflect.MethodDescriptor {
	t.Helper()
	for _, md := range rpcs() {
		if string(md.Name()) == name {
			return md
		}
	}
	t.Fatalf("the proto has no RPC %s", name)
	return nil
}

// fullMethod is the gRPC method name, /dbaas.NodeService/CreateNode.
func fullMethod(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

// snakeCase is the JSON-RPC name of an RPC: CreateNode -> create_node.
func snakeCase(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// httpRule is an RPC's google.api.http option: the verb, the path template, and the body selector.
func httpRule(md protoreflect.MethodDescriptor) (verb, template, body string, ok bool) {
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	if rule == nil {
		return "", "", "", false
	}
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get, rule.GetBody(), true
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post, rule.GetBody(), true
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put, rule.GetBody(), true
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete, rule.GetBody(), true
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch, rule.GetBody(), true
	}
	return "", "", "", false
}

// pathVariable matches {name} in a path template.
var pathVariable = regexp.MustCompile(`\{([a-z_.]+)\}`)

func newMessage(t testing.TB, md protoreflect.MessageDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatalf("message %s: %v", md.FullName(), err)
	}
	return mt.New().Interface()
}

// ---------------------------------------------------------------------------------------------------------
// Outcomes

// outcome is what a call answered, in terms common to the protocols.
type outcome struct {
	Code       codes.Code
	Wire       int      // the protocol's own code: gRPC code, HTTP status, JSON-RPC error code (0 for a result)
	Message    string   // of an error
	Violations []string // of an error: "field: description", in the order given
	Body       string   // of a success: the response message as JSON ("{}" for an empty one)
}

func (o outcome) fields() []string {
	var out []string
	for _, v := range o.Violations {
		out = append(out, v[:strings.Index(v, ": ")])
	}
	slices.Sort(out)
	return out
}

// The mapping under test, written out as the specification: CONTRACT.md's codes and httpapi/errors.go's.
var (
	httpStatusOf = map[codes.Code]int{
		codes.InvalidArgument:    http.StatusBadRequest,
		codes.NotFound:           http.StatusNotFound,
		codes.AlreadyExists:      http.StatusConflict,
		codes.FailedPrecondition: http.StatusBadRequest,
		codes.Aborted:            http.StatusConflict,
		codes.Unauthenticated:    http.StatusUnauthorized,
		codes.PermissionDenied:   http.StatusForbidden,
	}
	rpcCodeOf = map[codes.Code]int{
		codes.InvalidArgument:    -32602,
		codes.NotFound:           -32001,
		codes.AlreadyExists:      -32002,
		codes.FailedPrecondition: -32003,
		codes.PermissionDenied:   -32004,
		codes.Aborted:            -32008,
		codes.Unauthenticated:    -32005,
	}
)

// restSuccess is REST's status for a successful call: 201 for a create, 204 for a delete, else 200.
func restSuccess(verb string) int {
	switch verb {
	case http.MethodPost:
		return http.StatusCreated
	case http.MethodDelete:
		return http.StatusNoContent
	}
	return http.StatusOK
}

// codeByName reads google.rpc.Code names (NOT_FOUND), as REST bodies and JSON-RPC error data carry them.
func codeByName(name string) codes.Code {
	if n, ok := code.Code_value[name]; ok {
		return codes.Code(n)
	}
	return codes.Unknown
}

// ---------------------------------------------------------------------------------------------------------
// The drivers

type protocol struct {
	name string
	// call makes the call with auth as its Authorization ("" for none).
	call func(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) outcome
	// wire is the protocol's code for an outcome of md with code c.
	wire func(md protoreflect.MethodDescriptor, c codes.Code) int
	// send is call keeping everything the server answered (reply).
	send func(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) reply
}

var protocols = []protocol{
	{"grpc", callGRPC, func(_ protoreflect.MethodDescriptor, c codes.Code) int { return int(c) }, sendGRPC},
	{"rest", callREST, func(md protoreflect.MethodDescriptor, c codes.Code) int {
		if c == codes.OK {
			verb, _, _, _ := httpRule(md)
			return restSuccess(verb)
		}
		return httpStatusOf[c]
	}, sendREST},
	{"jsonrpc", callJSONRPC, func(_ protoreflect.MethodDescriptor, c codes.Code) int { return rpcCodeOf[c] }, sendJSONRPC},
}

// reply is an outcome with what it was read from: every byte the server answered (for a test that
// searches them) and the response headers under lower-case names (gRPC header and trailer metadata,
// or HTTP headers).
type reply struct {
	outcome
	raw    []byte
	header map[string][]string
}

// get returns the first value of a response header.
func (r reply) get(name string) string {
	if v := r.header[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// httpReply keeps an HTTP response whole: body and headers, names and values, are all in raw.
func httpReply(o outcome, r response) reply {
	rp := reply{outcome: o, raw: slices.Clone(r.body), header: map[string][]string{}}
	for k, vs := range r.header {
		k = strings.ToLower(k)
		rp.header[k] = append(rp.header[k], vs...)
		for _, v := range vs {
			rp.raw = append(append(append(rp.raw, '\n'), k+": "...), v...)
		}
	}
	return rp
}

// answerOptions print a gRPC response as REST and JSON-RPC do: proto field names, every field present.
var answerOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

func callGRPC(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) outcome {
	t.Helper()
	return sendGRPC(t, s, md, request, auth).outcome
}

// sendGRPC is callGRPC keeping the reply: raw holds the status (message and details, in the proto
// encoding) or the response message (in the proto encoding and as JSON), then every header and
// trailer, names and values.
func sendGRPC(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) reply {
	t.Helper()
	req, resp := newMessage(t, md.Input()), newMessage(t, md.Output())
	if err := protojson.Unmarshal(request, req); err != nil {
		t.Fatalf("gRPC: request %s is not a %s: %v", request, md.Input().FullName(), err)
	}
	ctx := context.Background()
	if auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	var header, trailer metadata.MD
	var r reply
	if err := s.conn.Invoke(ctx, fullMethod(md), req, resp, grpc.Header(&header), grpc.Trailer(&trailer)); err != nil {
		st := status.Convert(err)
		o := outcome{Code: st.Code(), Wire: int(st.Code()), Message: st.Message()}
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					o.Violations = append(o.Violations, v.GetField()+": "+v.GetDescription())
				}
			}
		}
		raw, _ := proto.Marshal(st.Proto())
		r = reply{outcome: o, raw: raw}
	} else {
		b, err := answerOptions.Marshal(resp)
		if err != nil {
			t.Fatalf("gRPC: marshal response: %v", err)
		}
		raw, _ := proto.Marshal(resp)
		r = reply{outcome: outcome{Code: codes.OK, Body: string(b)}, raw: append(raw, b...)}
	}
	r.header = map[string][]string{}
	for _, md := range []metadata.MD{header, trailer} {
		for k, vs := range md {
			r.header[k] = append(r.header[k], vs...)
			for _, v := range vs {
				r.raw = append(append(append(r.raw, '\n'), k+": "...), v...)
			}
		}
	}
	return r
}

// errorJSON is the error body of REST and the error data of JSON-RPC.
type errorJSON struct {
	Code            string `json:"code"`
	Message         string `json:"message"`
	FieldViolations []struct {
		Field       string `json:"field"`
		Description string `json:"description"`
	} `json:"field_violations"`
}

func (e errorJSON) outcome(wire int) outcome {
	o := outcome{Code: codeByName(e.Code), Wire: wire, Message: e.Message}
	for _, v := range e.FieldViolations {
		o.Violations = append(o.Violations, v.Field+": "+v.Description)
	}
	return o
}

// restRequest turns a request message in JSON into the HTTP request its google.api.http rule makes:
// path variables from their fields, the other fields in the body (body "*") or as query parameters,
// pagination's under their short names (page_size, page_token) as CONTRACT.md has them.
func restRequest(t testing.TB, md protoreflect.MethodDescriptor, request []byte) (verb, target string, body []byte) {
	t.Helper()
	verb, template, bodySel, ok := httpRule(md)
	if !ok {
		t.Fatalf("REST: %s has no google.api.http rule", md.Name())
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(request, &fields); err != nil {
		t.Fatalf("REST: request %s: %v", request, err)
	}
	target = pathVariable.ReplaceAllStringFunc(template, func(v string) string {
		name := v[1 : len(v)-1]
		value := scalar(fields[name])
		delete(fields, name)
		return url.PathEscape(value)
	})
	if bodySel == "*" {
		b, _ := json.Marshal(fields)
		return verb, target, b
	}
	q := url.Values{}
	for name, raw := range fields {
		var nested map[string]json.RawMessage
		if json.Unmarshal(raw, &nested) != nil {
			q.Set(name, scalar(raw))
			continue
		}
		prefix := name + "."
		if name == "pagination" {
			prefix = ""
		}
		for k, v := range nested {
			q.Set(prefix+k, scalar(v))
		}
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return verb, target, nil
}

// scalar is a JSON scalar as a URL carries it: a string unquoted, anything else as written.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func callREST(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) outcome {
	t.Helper()
	return sendREST(t, s, md, request, auth).outcome
}

// sendREST is callREST keeping the reply: the body and every header.
func sendREST(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) reply {
	t.Helper()
	return sendRESTWith(t, s, md, request, "Authorization", auth)
}

// sendRESTWith is sendREST with request headers of its own (name, value pairs, as stack.do takes them).
func sendRESTWith(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, headers ...string) reply {
	t.Helper()
	verb, target, body := restRequest(t, md, request)
	contentType := ""
	if body != nil {
		contentType = "application/json"
	}
	r := s.do(t, verb, target, contentType, body, headers...)
	if r.status >= 200 && r.status < 300 {
		if r.status == http.StatusNoContent {
			if len(r.body) != 0 {
				t.Errorf("REST %s %s: 204 with a body: %q", verb, target, r.body)
			}
			return httpReply(outcome{Code: codes.OK, Wire: r.status, Body: "{}"}, r)
		}
		return httpReply(outcome{Code: codes.OK, Wire: r.status, Body: string(r.body)}, r)
	}
	var e errorJSON
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("REST %s %s: %d with a body that is not a JSON error: %q", verb, target, r.status, r.body)
	}
	return httpReply(e.outcome(r.status), r)
}

// rpcReply is a JSON-RPC response.
type rpcReply struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int       `json:"code"`
		Message string    `json:"message"`
		Data    errorJSON `json:"data"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

func callJSONRPC(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) outcome {
	t.Helper()
	return sendJSONRPC(t, s, md, request, auth).outcome
}

// sendJSONRPC is callJSONRPC keeping the reply: the body and every header.
func sendJSONRPC(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) reply {
	t.Helper()
	call := fmt.Sprintf(`{"jsonrpc": "2.0", "method": %q, "params": %s, "id": 7}`, snakeCase(string(md.Name())), request)
	r := s.do(t, http.MethodPost, "/jsonrpc", "application/json", []byte(call), "Authorization", auth)
	if r.status != http.StatusOK {
		t.Fatalf("JSON-RPC %s: HTTP %d: %s", md.Name(), r.status, r.body)
	}
	var reply rpcReply
	if err := json.Unmarshal(r.body, &reply); err != nil {
		t.Fatalf("JSON-RPC %s: not a response: %s", md.Name(), r.body)
	}
	if reply.JSONRPC != "2.0" || string(reply.ID) != "7" || (reply.Error == nil) == (reply.Result == nil) {
		t.Fatalf("JSON-RPC %s: a response has jsonrpc 2.0, the call's id, and either result or error: %s", md.Name(), r.body)
	}
	if reply.Error != nil {
		return httpReply(reply.Error.Data.outcome(reply.Error.Code), r)
	}
	return httpReply(outcome{Code: codes.OK, Body: string(reply.Result)}, r)
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return bytes.Equal(ca, cb)
}
