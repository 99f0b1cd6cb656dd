package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// maxBatch bounds how many calls one JSON-RPC batch may carry.
const maxBatch = 100

// rpcMethod is one JSON-RPC method: a gRPC method of the dbaas proto.
type rpcMethod struct {
	fullName      string // /dbaas.NodeService/CreateNode
	desc          protoreflect.MethodDescriptor
	input, output protoreflect.MessageType
}

// rpcMethods maps snake_case names (create_node) to the proto's RPCs, read from the proto itself, so
// that every RPC is a JSON-RPC method without anyone listing it.
func rpcMethods() map[string]rpcMethod {
	m := map[string]rpcMethod{}
	services := pb.File_dbaas_dbaas_proto.Services()
	for i := 0; i < services.Len(); i++ {
		s := services.Get(i)
		for j := 0; j < s.Methods().Len(); j++ {
			md := s.Methods().Get(j)
			in, _ := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
			out, _ := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
			m[snakeCase(string(md.Name()))] = rpcMethod{fullName: fmt.Sprintf("/%s/%s", s.FullName(), md.Name()), desc: md, input: in, output: out}
		}
	}
	return m
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

var null = json.RawMessage("null")

// jsonRPC serves JSON-RPC 2.0 at one endpoint, calling the gRPC server through conn.
type jsonRPC struct {
	conn     grpc.ClientConnInterface
	methods  map[string]rpcMethod
	discover json.RawMessage // the OpenRPC document, answered by rpc.discover
	// maxBatchBytes bounds the results a batch's response holds: see ServeHTTP.
	maxBatchBytes int
}

func newJSONRPC(conn grpc.ClientConnInterface, discover json.RawMessage, maxBatchBytes int64) *jsonRPC {
	return &jsonRPC{conn: conn, methods: rpcMethods(), discover: discover, maxBatchBytes: int(maxBatchBytes)}
}

func (j *jsonRPC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// One HTTP request, one request id, shared by every call it carries and echoed as REST echoes it:
	// the client's when the gRPC middleware would keep it (at most 128 bytes), else a new one.
	if id := r.Header.Get("X-Request-Id"); id == "" || len(id) > 128 {
		r = r.Clone(r.Context())
		r.Header.Set("X-Request-Id", uuid.NewString())
	}
	w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
	var body bytes.Buffer
	if _, err := body.ReadFrom(r.Body); err != nil {
		writeBodyError(w, err)
		return
	}
	raw := bytes.TrimSpace(body.Bytes())
	if !json.Valid(raw) {
		writeJSON(w, http.StatusOK, fail(null, rpcParseError, "parse error: the body is not valid JSON", nil))
		return
	}
	if raw[0] != '[' {
		if resp, ok := j.one(r, raw, nil); ok {
			writeJSON(w, http.StatusOK, resp)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		return
	}
	var batch []json.RawMessage
	_ = json.Unmarshal(raw, &batch) // valid JSON array: cannot fail
	switch {
	case len(batch) == 0:
		writeJSON(w, http.StatusOK, fail(null, rpcInvalidRequest, "invalid request: empty batch", nil))
		return
	case len(batch) > maxBatch:
		writeJSON(w, http.StatusOK, fail(null, rpcTooLarge, fmt.Sprintf("request too large: a batch holds at most %d calls, not %d", maxBatch, len(batch)),
			errorBody{Code: codeName(codes.ResourceExhausted), Message: "too many calls in one batch"}))
		return
	}
	// The calls run in order while the results so far stay under maxBatchBytes; a result is never
	// dropped once its call ran (it may have written), so the response can pass the bound by one result,
	// itself bounded by the message limit. The calls after that do not run: each with an id answers
	// too large (-32010) saying so, to be sent again; a notification there does not run either.
	var out []rpcResponse
	var refused *rpcError
	size := 0
	for _, call := range batch {
		resp, ok := j.one(r, call, refused)
		if ok {
			out = append(out, resp)
			size += len(resp.Result)
		}
		if refused == nil && size >= j.maxBatchBytes {
			msg := fmt.Sprintf("not run: the batch's results reached the response limit of %d bytes; send this call again, in a smaller batch", j.maxBatchBytes)
			refused = &rpcError{Code: rpcTooLarge, Message: msg, Data: errorBody{Code: codeName(codes.ResourceExhausted), Message: msg}}
		}
	}
	if len(out) == 0 {
		w.WriteHeader(http.StatusNoContent) // only notifications: nothing to answer
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// one handles one call; ok is false for a notification, which gets no response. Members are read by
// their exact names (JSON-RPC's are case-sensitive), each on its own, so that the id of a call with
// other members wrong is still echoed. A valid call is answered with refused, without running, when
// that is set.
func (j *jsonRPC) one(r *http.Request, raw json.RawMessage, refused *rpcError) (resp rpcResponse, ok bool) {
	var call map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &call) != nil {
		return fail(null, rpcInvalidRequest, "invalid request: a call is a JSON object", nil), true
	}
	id, hasID := call["id"]
	if hasID && !validID(id) {
		return fail(null, rpcInvalidRequest, "invalid request: id must be a string, a number or null", nil), true
	}
	if !hasID {
		id = null
	}
	version, versionOK := jsonString(call["jsonrpc"])
	method, methodOK := jsonString(call["method"])
	if !versionOK || version != "2.0" || !methodOK {
		return fail(id, rpcInvalidRequest, `invalid request: "jsonrpc" must be "2.0" and "method" a string`, nil), true
	}
	if refused != nil {
		return rpcResponse{JSONRPC: "2.0", Error: refused, ID: id}, hasID
	}
	result, rerr := j.call(r, method, call["params"])
	if !hasID {
		return rpcResponse{}, false
	}
	if rerr != nil {
		return rpcResponse{JSONRPC: "2.0", Error: rerr, ID: id}, true
	}
	return rpcResponse{JSONRPC: "2.0", Result: result, ID: id}, true
}

// jsonString reads a JSON string; ok is false for anything else, null and absence included.
func jsonString(raw json.RawMessage) (s string, ok bool) {
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func validID(id json.RawMessage) bool {
	if id == nil {
		return true
	}
	switch id[0] {
	case '"', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

func (j *jsonRPC) call(r *http.Request, method string, params json.RawMessage) (json.RawMessage, *rpcError) {
	if method == "rpc.discover" {
		return j.discover, nil
	}
	m, ok := j.methods[method]
	if !ok {
		return nil, &rpcError{Code: rpcMethodNotFound, Message: fmt.Sprintf("method %q not found", method)}
	}
	req := m.input.New().Interface()
	params = bytes.TrimSpace(params)
	switch {
	case len(params) == 0 || string(params) == "null":
	case params[0] != '{':
		return nil, &rpcError{Code: rpcInvalidParams, Message: "invalid params: params must be an object of the request's fields, by name"}
	default:
		if err := unmarshalOptions.Unmarshal(params, req); err != nil {
			return nil, &rpcError{Code: rpcInvalidParams, Message: "invalid params: " + err.Error()}
		}
	}
	resp := m.output.New().Interface()
	ctx := metadata.NewOutgoingContext(r.Context(), callMetadata(r, "jsonrpc"))
	if err := j.conn.Invoke(ctx, m.fullName, req, resp); err != nil {
		st := status.Convert(err)
		return nil, &rpcError{Code: rpcCodeOf(st), Message: st.Message(), Data: bodyOf(st)}
	}
	out, err := marshalOptions.Marshal(resp)
	if err != nil {
		return nil, &rpcError{Code: rpcInternal, Message: "internal error"}
	}
	return out, nil
}

func fail(id json.RawMessage, code int, msg string, data any) rpcResponse {
	return rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: code, Message: msg, Data: data}, ID: id}
}
