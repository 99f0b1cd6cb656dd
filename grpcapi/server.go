package grpcapi

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/flexdb/flexdb/service"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Options tune the gRPC server.
type Options struct {
	// Auth checks credentials. Without it, and without Development, every dbaas call is refused.
	Auth Authenticator
	// Development turns authentication off: every call acts as the platform admin. Only for a
	// server on a loopback address (the command refuses anything else).
	Development bool
	// RatePerSecond and RateBurst make a token bucket per key; 0 means no limit.
	RatePerSecond float64
	RateBurst     int
	// AuthFailureRate and AuthFailureBurst make a token bucket per client address, charged before any
	// key lookup by every call without a key known valid; 0 means no limit. HeldRefusals is how many
	// refusals of it may wait out their Retry-After at once before answering (0: none wait).
	AuthFailureRate  float64
	AuthFailureBurst int
	HeldRefusals     int
	// MaxConcurrentStreams caps calls in flight per connection; 0 keeps gRPC's default.
	MaxConcurrentStreams uint32
	MaxRecvBytes         int // largest request message; 0 keeps gRPC's default (4 MiB)
	MaxSendBytes         int // largest response message (RESOURCE_EXHAUSTED past it); 0 keeps gRPC's default (none)
	// CallTimeout bounds every dbaas call, whatever its protocol: past it the call's database work is
	// cancelled and it answers DEADLINE_EXCEEDED. A client's shorter deadline wins. 0: no bound.
	CallTimeout time.Duration
	Metrics     prometheus.Registerer
}

// Server is the services behind every protocol, with one middleware: a rate limit or a failure budget
// is the same whichever protocol a call comes in on.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server // call Shutdown when draining
	// Direct calls the services in process, for the HTTP adapters.
	Direct *Direct
}

// NewServer returns a gRPC server with the dbaas services, server reflection (with the proto's comments)
// and the standard health service (serving), and the direct path to the same services, every call
// passing through the middleware.
func NewServer(svc *service.Service, log *slog.Logger, opts Options) *Server {
	m := newMiddleware(log, opts)
	serverOpts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(m.unary), grpc.ChainStreamInterceptor(m.stream),
		grpc.NumStreamWorkers(uint32(4 * runtime.GOMAXPROCS(0)))}
	if opts.MaxRecvBytes > 0 {
		serverOpts = append(serverOpts, grpc.MaxRecvMsgSize(opts.MaxRecvBytes))
	}
	if opts.MaxSendBytes > 0 {
		serverOpts = append(serverOpts, grpc.MaxSendMsgSize(opts.MaxSendBytes))
	}
	if opts.MaxConcurrentStreams > 0 {
		serverOpts = append(serverOpts, grpc.MaxConcurrentStreams(opts.MaxConcurrentStreams))
	}

	s := &Server{GRPC: grpc.NewServer(serverOpts...), Health: health.NewServer(), Direct: newDirect(m.unary, opts)}
	Register(registrars{s.GRPC, s.Direct}, svc)
	registerReflection(s.GRPC)
	healthpb.RegisterHealthServer(s.GRPC, s.Health)
	return s
}

// registrars registers a service with each of them.
type registrars []grpc.ServiceRegistrar

func (rs registrars) RegisterService(desc *grpc.ServiceDesc, impl any) {
	for _, r := range rs {
		r.RegisterService(desc, impl)
	}
}
