package grpcapi

// The middleware's own specification: what every call gets whatever its handler does. The handlers here
// are stand-ins, so that a panic, a fault or a cancellation can be made on purpose.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// logs collects log records as JSON lines; servers write from many goroutines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// calls returns the records of calls (not, say, audit records), decoded.
func (l *logs) calls(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["msg"] == "call" {
			out = append(out, rec)
		}
	}
	return out
}

func newTestMiddleware(opts Options) (*middleware, *logs) {
	l := &logs{}
	opts.Development = true // authentication has its own tests
	return newMiddleware(slog.New(slog.NewJSONHandler(l, nil)), opts), l
}

const testMethod = "/dbaas.NodeService/GetNode"

// tcpPeer is how a call from the network looks to the middleware.
func tcpPeer(ctx context.Context) context.Context {
	return peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}})
}

func TestMiddlewareHandlesEveryOutcome(t *testing.T) {
	cases := []struct {
		name    string
		handler grpc.UnaryHandler
		code    codes.Code
		msg     string // the status message, exactly
		level   string
		fields  []string      // BadRequest fields
		logged  string        // part of the log line's error
		retry   time.Duration // the RetryInfo delay; 0: no RetryInfo
	}{
		{name: "a success passes the response through", code: codes.OK, level: "INFO",
			handler: func(ctx context.Context, req any) (any, error) { return "response", nil }},
		{name: "a domain error becomes its code with its message", code: codes.NotFound, msg: "node x not found", level: "INFO",
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, flexdb.Errorf(flexdb.NotFound, "node x not found")
			}},
		{name: "field violations travel as a BadRequest", code: codes.InvalidArgument, level: "INFO", fields: []string{"data/title", "id"},
			msg: "invalid request: data/title: must be a string; id: is required",
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, flexdb.Invalid(flexdb.FieldViolation{Field: "data/title", Description: "must be a string"},
					flexdb.FieldViolation{Field: "id", Description: "is required"})
			}},
		{name: "a fault is Internal, its cause kept from the caller and logged", code: codes.Internal, msg: "internal error", level: "ERROR",
			logged: "connection refused",
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, flexdb.Wrap(errors.New("dial tcp 10.0.0.7:5432: connection refused"), "read node failed")
			}},
		{name: "an error of no known kind is Internal", code: codes.Internal, msg: "internal error", level: "ERROR", logged: "surprise",
			handler: func(ctx context.Context, req any) (any, error) { return nil, errors.New("surprise") }},
		{name: "a panic is Internal, logged with its value and stack", code: codes.Internal, msg: "internal error", level: "ERROR",
			logged:  "panic in /dbaas.NodeService/GetNode: nil map",
			handler: func(ctx context.Context, req any) (any, error) { panic("nil map") }},
		{name: "a cancelled call is Canceled", code: codes.Canceled, level: "INFO", msg: "the call was cancelled",
			handler: func(ctx context.Context, req any) (any, error) { return nil, context.Canceled }},
		{name: "a missed deadline is DeadlineExceeded", code: codes.DeadlineExceeded, level: "INFO", msg: "the call's deadline passed",
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, flexdb.Wrap(context.DeadlineExceeded, "read node failed")
			}},
		{name: "an unreachable database is Unavailable with a retry hint, its cause kept from the caller", code: codes.Unavailable,
			msg: "read node: the database is unavailable; try again", level: "INFO", retry: time.Second,
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, &flexdb.Error{Code: flexdb.Unavailable, Message: "read node: the database is unavailable; try again",
					Cause: errors.New("FATAL: the database system is shutting down (SQLSTATE 57P03)")}
			}},
		{name: "a gRPC status passes through", code: codes.Unavailable, level: "INFO", msg: "draining",
			handler: func(ctx context.Context, req any) (any, error) {
				return nil, status.Error(codes.Unavailable, "draining")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, l := newTestMiddleware(Options{})
			resp, err := m.unary(tcpPeer(t.Context()), "request", &grpc.UnaryServerInfo{FullMethod: testMethod}, tc.handler)

			st := status.Convert(err)
			if st.Code() != tc.code || st.Message() != tc.msg {
				t.Errorf("status = %s %q, want %s %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if tc.code == codes.OK && resp != "response" {
				t.Errorf("response = %v, want the handler's", resp)
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.FieldViolations {
						fields = append(fields, v.Field)
					}
				}
			}
			if got := retryAfter(st); got != tc.retry {
				t.Errorf("RetryInfo delay = %v, want %v", got, tc.retry)
			}
			if strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("BadRequest fields = %q, want %q", fields, tc.fields)
			}

			recs := l.calls(t)
			if len(recs) != 1 {
				t.Fatalf("%d call log records, want 1: %v", len(recs), recs)
			}
			rec := recs[0]
			if rec["level"] != tc.level || rec["method"] != testMethod || rec["code"] != tc.code.String() || rec["protocol"] != "grpc" {
				t.Errorf("log record %v, want level %s, method %s, code %s, protocol grpc", rec, tc.level, testMethod, tc.code)
			}
			if d, ok := rec["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("log record without a duration: %v", rec)
			}
			if id, _ := rec["request_id"].(string); uuid.Validate(id) != nil {
				t.Errorf("log record without a request id: %v", rec)
			}
			logged, _ := rec["error"].(string)
			if tc.logged == "" && logged != "" || !strings.Contains(logged, tc.logged) {
				t.Errorf("logged error %q, want it to contain %q", logged, tc.logged)
			}
			if tc.logged != "" && strings.Contains(st.Message(), tc.logged) {
				t.Errorf("the caller sees the cause: %q", st.Message())
			}
		})
	}
}

func TestMiddlewareLogsTheRequestIDAndProtocol(t *testing.T) {
	longID := strings.Repeat("r", 129)
	cases := []struct {
		name     string
		ctx      func(ctx context.Context) context.Context
		id       string // the request id logged; "uuid" for a new one
		protocol string
	}{
		{"a caller's request id is kept", func(ctx context.Context) context.Context {
			return metadata.NewIncomingContext(tcpPeer(ctx), metadata.Pairs(RequestIDKey, "req-42"))
		}, "req-42", "grpc"},
		{"without a request id the call gets a new one", tcpPeer, "uuid", "grpc"},
		{"a request id over 128 characters is replaced", func(ctx context.Context) context.Context {
			return metadata.NewIncomingContext(tcpPeer(ctx), metadata.Pairs(RequestIDKey, longID))
		}, "uuid", "grpc"},
		{"a network caller cannot claim another protocol", func(ctx context.Context) context.Context {
			return metadata.NewIncomingContext(tcpPeer(ctx), metadata.Pairs(ProtocolKey, "rest"))
		}, "uuid", "grpc"},
		{"the HTTP adapters' in-process calls name their protocol", func(ctx context.Context) context.Context {
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: inProcessAddr{}})
			return metadata.NewIncomingContext(ctx, metadata.Pairs(ProtocolKey, "jsonrpc"))
		}, "uuid", "jsonrpc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, l := newTestMiddleware(Options{Metrics: prometheus.NewRegistry()})
			ok := func(ctx context.Context, req any) (any, error) { return "response", nil }
			if _, err := m.unary(tc.ctx(t.Context()), "request", &grpc.UnaryServerInfo{FullMethod: testMethod}, ok); err != nil {
				t.Fatal(err)
			}
			recs := l.calls(t)
			if len(recs) != 1 {
				t.Fatalf("%d call log records, want 1: %v", len(recs), recs)
			}
			id, _ := recs[0]["request_id"].(string)
			if tc.id == "uuid" && uuid.Validate(id) != nil || tc.id != "uuid" && id != tc.id {
				t.Errorf("request_id %q, want %s", id, tc.id)
			}
			if recs[0]["protocol"] != tc.protocol {
				t.Errorf("protocol %v, want %s", recs[0]["protocol"], tc.protocol)
			}
			var counted dto.Metric
			if err := m.calls.WithLabelValues(tc.protocol, testMethod, "OK").Write(&counted); err != nil {
				t.Fatal(err)
			}
			if n := counted.GetCounter().GetValue(); n != 1 {
				t.Errorf("flexdb_requests_total{protocol=%q} = %v, want 1", tc.protocol, n)
			}
		})
	}
}

// panickyHealth panics when asked about the service "panic", and answers SERVING otherwise.
type panickyHealth struct {
	healthpb.UnimplementedHealthServer
}

func (panickyHealth) Check(_ context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if r.Service == "panic" {
		var m map[string]int
		m["boom"]++ //lint:ignore SA5000 the point: a real runtime panic, assignment to entry in nil map
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// A panic in a handler fails that call with Internal, and the server goes on serving: the test runs a
// server built as NewServer builds it, over TCP, with a handler that panics.
func TestServerKeepsServingAfterAPanic(t *testing.T) {
	m, l := newTestMiddleware(Options{})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(m.unary))
	healthpb.RegisterHealthServer(srv, panickyHealth{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := healthpb.NewHealthClient(conn)

	for i := range 3 {
		_, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "panic"})
		if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
			t.Fatalf("call %d: %s %q, want Internal \"internal error\"", i, st.Code(), st.Message())
		}
		r, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil || r.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("the call after a panic: %v %v, want SERVING", r, err)
		}
	}
	var panics int
	for _, rec := range l.calls(t) {
		if e, _ := rec["error"].(string); strings.Contains(e, "assignment to entry in nil map") && rec["level"] == "ERROR" {
			panics++
		}
	}
	if n := len(l.calls(t)); n != 6 || panics != 3 {
		t.Errorf("%d call records with %d panics, want 6 with 3", n, panics)
	}
}

// failingHealth answers every check with err.
type failingHealth struct {
	healthpb.UnimplementedHealthServer
	err error
}

func (h failingHealth) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	return nil, h.err
}

// An UNAVAILABLE answer tells the client when to try again in the retry-after header too, which REST
// passes on as Retry-After.
func TestUnavailableSaysWhenToRetry(t *testing.T) {
	m, _ := newTestMiddleware(Options{})
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(m.unary))
	healthpb.RegisterHealthServer(srv, failingHealth{err: &flexdb.Error{Code: flexdb.Unavailable, Message: "read node: the database is unavailable; try again"}})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var header metadata.MD
	_, err = healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{}, grpc.Header(&header))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want Unavailable", err)
	}
	if got := header.Get("retry-after"); len(got) != 1 || got[0] != "1" {
		t.Errorf("retry-after header %q, want [\"1\"]", got)
	}
}

// The server's call timeout bounds every call; a client's earlier deadline stays in force.
func TestCallTimeoutBoundsEveryCall(t *testing.T) {
	const timeout = time.Minute
	cases := []struct {
		name   string
		client time.Duration // the client's deadline; 0 for none
		want   time.Duration // the deadline the handler sees, at most this far away
		min    time.Duration // and at least this far
	}{
		{"a call without a deadline gets the server's", 0, timeout, timeout - 10*time.Second},
		{"a client's shorter deadline wins", time.Second, time.Second, 0},
		{"a client's longer deadline is cut to the server's", time.Hour, timeout, timeout - 10*time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestMiddleware(Options{CallTimeout: timeout})
			ctx := tcpPeer(t.Context())
			if tc.client > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.client)
				defer cancel()
			}
			var left time.Duration
			_, err := m.unary(ctx, "request", &grpc.UnaryServerInfo{FullMethod: testMethod}, func(ctx context.Context, req any) (any, error) {
				d, ok := ctx.Deadline()
				if !ok {
					return nil, errors.New("no deadline")
				}
				left = time.Until(d)
				return "response", nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if left > tc.want || left < tc.min {
				t.Errorf("the handler's deadline is %v away, want between %v and %v", left, tc.min, tc.want)
			}
		})
	}
}
