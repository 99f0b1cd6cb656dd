package grpcapi

import (
	"log/slog"

	"github.com/flexdb/flexdb/service"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Options tune the gRPC server.
type Options struct {
	MaxRecvBytes int // largest request message
	Metrics      prometheus.Registerer
}

// NewServer returns a gRPC server with the dbaas services, server reflection and the standard health
// service (serving), every call passing through the middleware. Call Health().Shutdown() when draining.
func NewServer(svc *service.Service, log *slog.Logger, opts Options) (*grpc.Server, *health.Server) {
	m := newMiddleware(log, opts.Metrics)
	serverOpts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(m.unary)}
	if opts.MaxRecvBytes > 0 {
		serverOpts = append(serverOpts, grpc.MaxRecvMsgSize(opts.MaxRecvBytes))
	}
	s := grpc.NewServer(serverOpts...)
	Register(s, svc)
	reflection.Register(s)
	h := health.NewServer()
	healthpb.RegisterHealthServer(s, h)
	return s, h
}
