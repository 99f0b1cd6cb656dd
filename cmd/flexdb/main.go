// Command flexdb is the flex-db server: `flexdb serve` serves gRPC and HTTP (REST, JSON-RPC, docs,
// health, metrics) over embedded SQLite or PostgreSQL; `flexdb migrate` brings the schema up to date.
//
// Wiring, top to bottom: config (config.go) -> store (sqlstore) -> rules (service) -> gRPC (grpcapi)
// -> HTTP adapters in front of gRPC (httpapi).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/httpapi"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const usage = `flexdb: a multi-tenant document and graph database service.

Usage:
  flexdb serve [flags]     serve gRPC and HTTP (run "flexdb serve --help" for every setting)
  flexdb migrate [flags]   bring the database schema up to date, then exit
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], getenv, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "flexdb:", err)
		}
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "migrate") {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cfg, err := parse(args[0], args[1:], getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log := newLogger(cfg, stderr)
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if args[0] == "migrate" {
		log.Info("schema is up to date")
		return nil
	}
	return serve(ctx, cfg, store, log)
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func openStore(ctx context.Context, cfg *config, log *slog.Logger) (*sqlstore.Store, error) {
	store, err := sqlstore.Open(ctx, sqlstore.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	where := cfg.DataDir
	if store.Engine == "postgres" {
		where = "PostgreSQL"
	}
	log.Info("database ready", "engine", store.Engine, "where", where)
	return store, nil
}

func serve(ctx context.Context, cfg *config, store *sqlstore.Store, log *slog.Logger) error {
	lim := service.DefaultLimits
	lim.Document = jsondoc.Limits{MaxBytes: cfg.MaxDocumentBytes, MaxDepth: cfg.MaxDocumentDepth}
	svc := service.New(store, lim)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	grpcServer, health := grpcapi.NewServer(svc, log, grpcapi.Options{Metrics: reg})

	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("gRPC listener: %w", err)
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("HTTP listener: %w", err)
	}
	inproc, err := grpcapi.InProcess(grpcServer)
	if err != nil {
		return err
	}
	defer inproc.Close()
	httpServer, err := httpapi.NewServer(inproc.Conn, store, reg, httpapi.Options{
		MaxBodyBytes: int64(cfg.MaxBodyBytes), CORSOrigins: cfg.CORSOrigins, Log: log,
	})
	if err != nil {
		return err
	}

	errc := make(chan error, 2)
	go func() { errc <- grpcServer.Serve(grpcLis) }()
	go func() { errc <- httpServer.Serve(httpLis) }()
	log.Info("serving", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String())

	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("listener failed", "error", err)
		}
	}
	return drain(cfg.ShutdownGrace, log, func() { health.Shutdown() }, grpcServer.GracefulStop, grpcServer.Stop, httpServer)
}

// drain lets calls in flight finish within grace, then cuts the rest; the store closes after this returns.
func drain(grace time.Duration, log *slog.Logger, notServing func(), graceful, hard func(), httpServer *http.Server) error {
	log.Info("shutting down", "grace", grace.String())
	notServing()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan struct{})
	go func() {
		_ = httpServer.Shutdown(ctx)
		graceful()
		close(done)
	}()
	select {
	case <-done:
		log.Info("drained")
	case <-ctx.Done():
		log.Warn("grace period over; closing calls still in flight")
		httpServer.Close()
		hard()
	}
	return nil
}
