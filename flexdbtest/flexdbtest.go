// Package flexdbtest starts a real flex-db server stack for a test, wired as cmd/flexdb wires it: a
// migrated store on the engine the test chooses, the service over it, the gRPC server on a loopback TCP
// port, and the HTTP handler in front of the same services and middleware, called in process.
//
// It exists so that the end-to-end tests of grpcapi and httpapi test the one server production runs,
// and so that neither keeps a copy of the wiring of its own.
package flexdbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/httpapi"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Options are what a test changes of the stack. The zero value is a server that authenticates callers
// with its admin key and the store's API keys, and logs nothing.
type Options struct {
	// GRPC are the gRPC server's options. Auth is the server's admin key and the store's keys unless
	// Development is set; Metrics is the server's registry.
	GRPC grpcapi.Options
	// HTTP are the HTTP handler's options; Log is the server's log.
	HTTP httpapi.Options
	// Ready is the HTTP readiness check; nil: the store.
	Ready httpapi.Pinger
	// Log receives the server's log as JSON lines (a *LogBuffer, to read it back); nil: no log at all.
	Log io.Writer
	// Keys wraps the key lookups of the authenticator (to count them); nil: the store itself.
	Keys func(service.KeyStore) service.KeyStore
}

// Server is one running stack and the ways to reach it.
type Server struct {
	Store    *sqlstore.Store
	Service  *service.Service // for fixtures and for checking what is stored; never the thing under test
	GRPC     *grpc.Server     // for serving on a listener of a test's own as well
	Conn     *grpc.ClientConn // a gRPC client over TCP on 127.0.0.1
	Handler  http.Handler     // the HTTP handler itself, for calls without a network
	HTTP     *httptest.Server // the HTTP handler served on 127.0.0.1
	Metrics  *httptest.Server // the metrics listener (httpapi.MetricsHandler) on 127.0.0.1
	AdminKey string           // the platform admin key's secret (not asked for in development mode)
}

// Start serves a fresh, migrated database of cfg; everything stops when the test ends.
func Start(t testing.TB, cfg sqlstore.Config, opts Options) *Server {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	s := &Server{Store: store, Service: service.New(store, service.DefaultLimits), AdminKey: service.NewSecret()}

	log := slog.New(slog.DiscardHandler)
	if opts.Log != nil {
		log = slog.New(slog.NewJSONHandler(opts.Log, nil))
	}
	reg := prometheus.NewRegistry()
	grpcOpts := opts.GRPC
	grpcOpts.Metrics = reg
	if !grpcOpts.Development {
		var keys service.KeyStore = store
		if opts.Keys != nil {
			keys = opts.Keys(store)
		}
		grpcOpts.Auth = service.NewAuthenticator(keys, s.AdminKey, service.KeyLookups{})
	}
	api := grpcapi.NewServer(s.Service, log, grpcOpts)
	s.GRPC = api.GRPC
	t.Cleanup(s.GRPC.Stop)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = s.GRPC.Serve(lis) }()
	if s.Conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatalf("gRPC client: %v", err)
	}
	t.Cleanup(func() { s.Conn.Close() })

	ready := opts.Ready
	if ready == nil {
		ready = store
	}
	httpOpts := opts.HTTP
	httpOpts.Log = log
	if s.Handler, err = httpapi.NewHandler(api.Direct, ready, httpOpts); err != nil {
		t.Fatalf("HTTP handler: %v", err)
	}
	s.HTTP = httptest.NewServer(s.Handler)
	t.Cleanup(s.HTTP.Close)
	s.Metrics = httptest.NewServer(httpapi.MetricsHandler(reg))
	t.Cleanup(s.Metrics.Close)
	return s
}

// LogBuffer collects a server's log (Options.Log) for a test to read; the server writes from many
// goroutines, and the test reads while it does.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of everything logged so far.
func (b *LogBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}

// Records returns the records logged so far whose message is msg, decoded; a line that is not JSON
// fails the test.
func (b *LogBuffer) Records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(b.Bytes(), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("a log line is not JSON: %s", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
