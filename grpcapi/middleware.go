package grpcapi

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Metadata keys the middleware reads and writes.
const (
	RequestIDKey = "x-request-id"
	// ProtocolKey names the protocol a call came in on ("rest", "jsonrpc"); it is honoured only from
	// in-process peers, the HTTP adapters, and is "grpc" for everyone else.
	ProtocolKey = "x-flexdb-protocol"
)

// InProcessNetwork is the network of the peer address of the HTTP adapters' calls (Direct).
const InProcessNetwork = "in-process"

// middleware is what every call passes through, whatever protocol it came in on: a request id, panic
// recovery, error mapping, one log line and metrics.
type middleware struct {
	opts     Options
	limit    *limiter // per API key
	failures *limiter // per client address, of calls not known to carry a valid key
	log      *slog.Logger
	calls    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// series holds each label set's counter and histogram once looked up (metricKey to
	// callSeries): WithLabelValues hashes its labels on every call. The sets are few, at most
	// protocols x methods x codes.
	series sync.Map
}

type metricKey struct {
	protocol, method string
	code             codes.Code
}

type callSeries struct {
	calls   prometheus.Counter
	latency prometheus.Observer
}

// observe counts a call and its latency.
func (m *middleware) observe(protocol, method string, code codes.Code, elapsed time.Duration) {
	key := metricKey{protocol, method, code}
	s, ok := m.series.Load(key)
	if !ok {
		s, _ = m.series.LoadOrStore(key, callSeries{calls: m.calls.WithLabelValues(protocol, method, code.String()), latency: m.latency.WithLabelValues(protocol, method)})
	}
	cs := s.(callSeries)
	cs.calls.Inc()
	cs.latency.Observe(elapsed.Seconds())
}

func newMiddleware(log *slog.Logger, opts Options) *middleware {
	m := &middleware{
		opts: opts,
		log:  log,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flexdb_requests_total", Help: "Calls by protocol, method and status code.",
		}, []string{"protocol", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "flexdb_request_duration_seconds", Help: "Call latency by protocol and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"protocol", "method"}),
	}
	if opts.Metrics != nil {
		opts.Metrics.MustRegister(m.calls, m.latency)
	}
	m.limit = newLimiter(opts.RatePerSecond, opts.RateBurst, 0)
	m.failures = newLimiter(opts.AuthFailureRate, opts.AuthFailureBurst, opts.HeldRefusals)
	return m
}

func (m *middleware) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	if m.opts.CallTimeout > 0 {
		// The server's deadline covers the key check too; a client's earlier one stays in force.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.opts.CallTimeout)
		defer cancel()
	}
	reqID := first(ctx, RequestIDKey)
	if reqID == "" || len(reqID) > 128 {
		reqID = uuid.NewString()
	}
	protocol := "grpc"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil && p.Addr.Network() == InProcessNetwork {
		if named := first(ctx, ProtocolKey); named != "" {
			protocol = named
		}
	}
	_ = grpc.SetHeader(ctx, metadata.MD{RequestIDKey: {reqID}}) // a literal: Pairs would lower-case the key again

	var who flexdb.Principal
	var resp any
	var err error
	if strings.HasPrefix(info.FullMethod, dbaasPrefix) {
		who, err = m.principal(ctx)
		if err == nil {
			if ok, wait := m.limit.allow(who.Kind + "/" + who.KeyID); !ok {
				err = m.limit.refuse(ctx, wait)
			}
		}
	}
	if err == nil {
		resp, err = m.call(flexdb.WithPrincipal(ctx, who), req, info, handler)
	}
	st := Status(err)
	code := st.Code()
	if d := retryAfter(st); d > 0 {
		// REST passes this header on as Retry-After.
		_ = grpc.SetHeader(ctx, metadata.MD{"retry-after": {strconv.Itoa(int(math.Ceil(d.Seconds())))}})
	}

	elapsed := time.Since(start)
	m.observe(protocol, info.FullMethod, code, elapsed)
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("protocol", protocol), slog.String("method", info.FullMethod), slog.String("code", code.String()),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("request_id", reqID))
	if who.Kind != "" {
		attrs = append(attrs, slog.String("principal", who.Kind), slog.String("key_id", who.KeyID))
	}
	if code == codes.Internal || code == codes.Unknown {
		m.logAttrs(ctx, slog.LevelError, "call", append(attrs, slog.Any("error", err))...)
	} else {
		m.logAttrs(ctx, slog.LevelInfo, "call", attrs...)
	}
	if err == nil && strings.HasPrefix(info.FullMethod, dbaasPrefix) && service.Calls[info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]].Writes {
		tenant, id := auditTarget(req, resp)
		m.logAttrs(ctx, slog.LevelInfo, "audit", slog.String("principal", who.Kind), slog.String("key_id", who.KeyID), slog.String("user_id", who.UserID),
			slog.String("method", info.FullMethod), slog.String("tenant_id", tenant), slog.String("id", id), slog.String("request_id", reqID))
	}
	if err != nil {
		return nil, st.Err()
	}
	return resp, nil
}

// logAttrs writes one line of the call log: what Logger.LogAttrs writes, without the caller's program
// counter, which Logger's methods take on every call (runtime.Callers, about a tenth of the line's
// cost) and which would only ever name this file, since every line comes from here.
func (m *middleware) logAttrs(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if !m.log.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = m.log.Handler().Handle(ctx, r)
}

// stream covers the streaming calls (reflection, health watches): a panic becomes Internal, and each
// stream is logged once when it ends. They need no credentials: they carry no tenant data.
func (m *middleware) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	start := time.Now()
	defer func() {
		attrs := []any{"method", info.FullMethod, "duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if r := recover(); r != nil {
			err = Status(fmt.Errorf("panic in %s: %v", info.FullMethod, r)).Err()
			m.log.Error("stream", append(attrs, "code", codes.Internal.String(), "error", fmt.Sprintf("%v\n%s", r, debug.Stack()))...)
			return
		}
		m.log.Info("stream", append(attrs, "code", Status(err).Code().String())...)
	}()
	return handler(srv, ss)
}

// call runs the handler, turning a panic into an Internal error that keeps the stack for the log.
func (m *middleware) call(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s: %v\n%s", info.FullMethod, r, debug.Stack())
		}
	}()
	return handler(ctx, req)
}

// first is the first value of key in the call's metadata; it reads the one key rather than copying
// the whole metadata (FromIncomingContext), which every call would pay for.
func first(ctx context.Context, key string) string {
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}
