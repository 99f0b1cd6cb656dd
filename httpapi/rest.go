package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// marshalOptions make JSON in proto field names, with every field present, as the original answered.
var marshalOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// unmarshalOptions refuse unknown fields: a misspelt field is a client mistake worth hearing about.
var unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: false}

// forwardedHeaders are the gRPC response headers REST passes on as HTTP headers.
var forwardedHeaders = []string{grpcapi.RequestIDKey, "retry-after"}

// restHandler serves the REST routes generated from the proto's google.api.http rules, calling the
// gRPC server through conn.
func restHandler(conn grpc.ClientConnInterface) (http.Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, wholeJSON{&runtime.JSONPb{MarshalOptions: marshalOptions, UnmarshalOptions: unmarshalOptions}}),
		runtime.WithMetadata(func(ctx context.Context, r *http.Request) metadata.MD { return callMetadata(r, "rest") }),
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }), // callMetadata forwards what counts
		runtime.WithOutgoingHeaderMatcher(func(k string) (string, bool) { return k, slices.Contains(forwardedHeaders, k) }),
		runtime.WithErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			// The matcher above applies to successes only: an error answer would lose the request id
			// and Retry-After without this.
			if md, ok := runtime.ServerMetadataFromContext(ctx); ok {
				for _, k := range forwardedHeaders {
					for _, v := range md.HeaderMD.Get(k) {
						w.Header().Add(k, v)
					}
				}
			}
			_, conditional := versionCondition(r.Context())
			writeError(w, status.Convert(err), conditional)
		}),
		runtime.WithForwardResponseOption(setETag),
		runtime.WithRoutingErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
			if code == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", strings.Join(routes.allowed(r.URL.Path), ", "))
			}
			writeHTTPError(w, code)
		}),
		// A form POST must not reach a GET route, nor become a DELETE by X-HTTP-Method-Override: a wrong
		// method gets 405 like any other.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
	)
	ctx := context.Background()
	cc := conditionalConn{conn}
	for _, register := range []registrar{
		client(pb.NewTenantServiceClient, pb.RegisterTenantServiceHandlerClient),
		client(pb.NewUserServiceClient, pb.RegisterUserServiceHandlerClient),
		client(pb.NewNodeTypeServiceClient, pb.RegisterNodeTypeServiceHandlerClient),
		client(pb.NewNodeServiceClient, pb.RegisterNodeServiceHandlerClient),
		client(pb.NewRelationshipServiceClient, pb.RegisterRelationshipServiceHandlerClient),
		client(pb.NewKeyServiceClient, pb.RegisterKeyServiceHandlerClient),
		client(pb.NewRoleServiceClient, pb.RegisterRoleServiceHandlerClient),
	} {
		if err := register(ctx, mux, cc); err != nil {
			return nil, err
		}
	}
	return restConventions(mux), nil
}

// registrar registers one service's REST routes, calling it through cc.
type registrar func(ctx context.Context, mux *runtime.ServeMux, cc grpc.ClientConnInterface) error

// client makes a registrar from a service's generated client constructor and gateway registration.
func client[C any](newClient func(grpc.ClientConnInterface) C, register func(context.Context, *runtime.ServeMux, C) error) registrar {
	return func(ctx context.Context, mux *runtime.ServeMux, cc grpc.ClientConnInterface) error {
		return register(ctx, mux, newClient(cc))
	}
}

// wholeJSON is JSONPb reading a request body whole: one JSON value and nothing after it. JSONPb alone
// decodes the first value of a stream and ignores the rest, so `{"slug": "a"} junk` would be obeyed. A
// body bound to a string field (PATCH's merge patch) is that field's JSON text, as the body says it.
type wholeJSON struct{ *runtime.JSONPb }

func (m wholeJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		body, err := io.ReadAll(r)
		switch {
		case err != nil:
			return err
		case len(bytes.TrimSpace(body)) == 0:
			return io.EOF // no body: the generated handlers take it as an empty message
		case !json.Valid(body):
			return errors.New("the body is not one JSON value")
		}
		if text, ok := v.(*string); ok {
			*text = string(body)
			return nil
		}
		return m.Unmarshal(body, v)
	})
}

// The gateway keeps its query parser process-wide, whatever mux the option is given to: set it once,
// before any mux exists, so that building several muxes (one per server) cannot race.
func init() { runtime.SetQueryParameterParser(strictQuery{})(nil) }

// strictQuery refuses query parameters the request message has no field for, as unknown body fields
// are refused: a misspelt filter should be heard about, not silently ignored.
type strictQuery struct{ runtime.DefaultQueryParser }

func (q strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		if !hasFieldPath(msg.ProtoReflect().Descriptor(), strings.Split(key, ".")) {
			return fmt.Errorf("unknown query parameter %q", key) // the gateway makes it InvalidArgument
		}
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// hasFieldPath reports whether a dotted path of field names (proto or JSON) leads through md.
func hasFieldPath(md protoreflect.MessageDescriptor, path []string) bool {
	for i, name := range path {
		f := md.Fields().ByName(protoreflect.Name(name))
		if f == nil {
			f = md.Fields().ByJSONName(name)
		}
		switch {
		case f == nil:
			return false
		case i == len(path)-1:
			return true
		case f.Message() == nil:
			return false
		}
		md = f.Message()
	}
	return false
}

// restRoutes are the proto's HTTP rules: the methods each path template answers.
type restRoutes map[string][]string

// routes is read from the proto once; a 405 names the methods its path does answer (RFC 9110).
var routes = func() restRoutes {
	out := restRoutes{}
	for _, m := range rpcMethods() {
		for _, b := range httpBindings(m.desc) {
			out[b.path] = append(out[b.path], b.verb)
		}
	}
	return out
}()

// httpBinding is one route of an RPC's google.api.http rule: its method, path template and body field.
type httpBinding struct{ verb, path, body string }

// httpBindings reads an RPC's google.api.http rule: its route, then its additional bindings (UpdateNode
// answers PUT with the whole request and PATCH with a merge patch).
func httpBindings(md protoreflect.MethodDescriptor) []httpBinding {
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	if rule == nil {
		return nil
	}
	var out []httpBinding
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		for verb, path := range map[string]string{http.MethodGet: r.GetGet(), http.MethodPost: r.GetPost(),
			http.MethodPut: r.GetPut(), http.MethodDelete: r.GetDelete(), http.MethodPatch: r.GetPatch()} {
			if path != "" {
				out = append(out, httpBinding{verb: verb, path: path, body: r.GetBody()})
			}
		}
	}
	return out
}

// allowed lists the methods of the templates path matches ({field} matches one segment), sorted.
func (rs restRoutes) allowed(path string) []string {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	var verbs []string
	for template, methods := range rs {
		parts := strings.Split(strings.Trim(template, "/"), "/")
		if len(parts) != len(segments) {
			continue
		}
		match := true
		for i, p := range parts {
			if !strings.HasPrefix(p, "{") && p != segments[i] {
				match = false
				break
			}
		}
		if match {
			verbs = append(verbs, methods...)
		}
	}
	slices.Sort(verbs)
	return slices.Compact(verbs)
}

// callMetadata is what an HTTP request passes on to the gRPC middleware.
func callMetadata(r *http.Request, protocol string) metadata.MD {
	md := metadata.Pairs(grpcapi.ProtocolKey, protocol, grpcapi.ClientAddrKey, r.RemoteAddr)
	if id := r.Header.Get("X-Request-Id"); id != "" {
		md.Set(grpcapi.RequestIDKey, id)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		md.Set("authorization", auth)
	}
	return md
}

// restConventions adds what the original REST API did beyond the generated routes: 201 for a create
// (POST), 204 with no body for a delete, and page_size / page_token as plain query parameters.
func restConventions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Has("page_size") || q.Has("page_token") {
			for _, k := range []string{"page_size", "page_token"} {
				if v, ok := q[k]; ok {
					q["pagination."+k] = v
					delete(q, k)
				}
			}
			r.URL.RawQuery = q.Encode()
		}
		if r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete {
			if values := r.Header.Values("If-Match"); len(values) > 0 {
				version, err := parseIfMatch(strings.Join(values, ", "))
				if err != nil {
					writeError(w, grpcapi.Status(flexdb.InvalidField("If-Match", "%v", err)), false)
					return
				}
				r = r.WithContext(context.WithValue(r.Context(), ifMatchKey{}, version))
			}
		}
		if s := successStatusOf(r.Method); s != http.StatusOK {
			w = &successStatus{ResponseWriter: w, status: s}
		}
		next.ServeHTTP(w, r)
	})
}

// successStatusOf is what a REST call of method answers when it succeeds: 201 to a create (POST), 204
// to a delete, 200 otherwise. The OpenAPI document says the same (BuildOpenAPI).
func successStatusOf(method string) int {
	switch method {
	case http.MethodPost:
		return http.StatusCreated
	case http.MethodDelete:
		return http.StatusNoContent
	}
	return http.StatusOK
}

// successStatus replaces a 200 with status; for 204 it drops the body.
type successStatus struct {
	http.ResponseWriter
	status  int
	written bool
	noBody  bool
}

func (s *successStatus) WriteHeader(code int) {
	if s.written {
		return
	}
	s.written = true
	if code == http.StatusOK {
		code = s.status
		s.noBody = code == http.StatusNoContent
	}
	if s.noBody {
		s.Header().Del("Content-Type")
		s.Header().Del("Content-Length")
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *successStatus) Write(b []byte) (int, error) {
	if !s.written {
		s.WriteHeader(http.StatusOK)
	}
	if s.noBody {
		return len(b), nil
	}
	return s.ResponseWriter.Write(b)
}

func (s *successStatus) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// writeError answers a failed call with its HTTP status and a JSON error body; conditional says that
// its expected version came from If-Match.
func writeError(w http.ResponseWriter, st *status.Status, conditional bool) {
	writeJSON(w, httpStatusOf(st, conditional), bodyOf(st))
}

// ---- conditional requests (RFC 9110, section 13) ----
//
// A row's version is its entity tag: every response of one versioned item carries it as a strong ETag
// ("3"), and PUT, PATCH and DELETE take it back in If-Match, which becomes the request message's
// expected_version, the condition the service already enforces. So a mismatch changes nothing, as
// with expected_version in a body, and only the status differs: 412 here, 409 there (httpStatusOf).

// ifMatchKey holds a request's If-Match in its context: the version it names, or 0 for "*".
type ifMatchKey struct{}

// versionCondition returns the version a request's If-Match names; ok is false without one, and for
// "*", which any existing row matches and so adds no condition to the call.
func versionCondition(ctx context.Context) (version int64, ok bool) {
	version, _ = ctx.Value(ifMatchKey{}).(int64)
	return version, version > 0
}

// parseIfMatch reads an If-Match value: "*" (0), or one strong entity tag holding a version ("3").
// A list of tags, or a weak one (which strong comparison never matches), cannot be a version condition.
func parseIfMatch(v string) (int64, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "*":
		return 0, nil
	case strings.Contains(v, ","):
		return 0, errors.New(`must be "*" or one entity tag, not a list`)
	case strings.HasPrefix(v, "W/"):
		return 0, errors.New(`must be a strong entity tag as ETag gives it, such as "3": a weak one never matches`)
	}
	// Our tags are versions in canonical decimal: any other tag ("03", "abc") is none of ours.
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n < 1 || v != etag(n) {
		return 0, errors.New(`must be "*" or an entity tag as ETag gives it, a version in quotes such as "3"`)
	}
	return n, nil
}

// etag is a version as a strong entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// conditionalConn is the gateway's way to the gRPC server: it moves a request's If-Match onto the
// request message's expected_version, whatever route and binding (path, query, body) made the message.
type conditionalConn struct{ grpc.ClientConnInterface }

func (c conditionalConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if version, ok := versionCondition(ctx); ok {
		if err := expectVersion(args.(proto.Message).ProtoReflect(), version); err != nil {
			return err
		}
	}
	return c.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
}

// expectVersion sets m's expected_version to version: refused when m has no such field (the call has
// no version to match), or when the body named another.
func expectVersion(m protoreflect.Message, version int64) error {
	f := m.Descriptor().Fields().ByName("expected_version")
	if f == nil || f.Kind() != protoreflect.Int64Kind {
		return grpcapi.Status(flexdb.InvalidField("If-Match", `names a version, and this call has none to match: send "*" or no If-Match`)).Err()
	}
	if body := m.Get(f).Int(); body != 0 && body != version {
		return grpcapi.Status(flexdb.InvalidField("If-Match", "names version %d, and expected_version %d", version, body)).Err()
	}
	m.Set(f, protoreflect.ValueOfInt64(version))
	return nil
}

// setETag gives a response of one versioned item its version as a strong entity tag. Lists, empty
// responses and unversioned items get none.
func setETag(_ context.Context, w http.ResponseWriter, resp proto.Message) error {
	m := resp.ProtoReflect()
	if item, version := versionedItem(m.Descriptor()); item != nil && m.Has(item) {
		w.Header().Set("ETag", etag(m.Get(item).Message().Get(version).Int()))
	}
	return nil
}

// versionedItem finds, in a response message, the field holding one item with a version (and that
// version field); nil for lists, empty responses and unversioned items.
func versionedItem(md protoreflect.MessageDescriptor) (item, version protoreflect.FieldDescriptor) {
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Message() == nil || f.Cardinality() == protoreflect.Repeated {
			continue
		}
		if v := f.Message().Fields().ByName("version"); v != nil && v.Kind() == protoreflect.Int64Kind {
			return f, v
		}
	}
	return nil, nil
}

// writeHTTPError answers a request that never reached a call (no route, wrong method, ...).
func writeHTTPError(w http.ResponseWriter, httpCode int) {
	code := codes.InvalidArgument
	switch httpCode {
	case http.StatusNotFound:
		code = codes.NotFound
	case http.StatusMethodNotAllowed:
		code = codes.Unimplemented
	}
	writeJSON(w, httpCode, errorBody{Code: codeName(code), Message: strings.ToLower(http.StatusText(httpCode))})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
