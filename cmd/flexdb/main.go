// Command flexdb is the flex-db server: `flexdb serve` serves gRPC and HTTP (REST, JSON-RPC, docs,
// health), and metrics on a port of their own, over embedded SQLite or PostgreSQL; `flexdb migrate` brings the schema up to date.
//
// Wiring, top to bottom: config (config.go) -> store (sqlstore) -> rules (service) -> gRPC (grpcapi)
// -> HTTP adapters calling the same services and middleware (httpapi, grpcapi.Direct).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/httpapi"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const usage = `flexdb: a multi-tenant document and graph database service.

Usage:
  flexdb serve [flags]     serve gRPC and HTTP (run "flexdb serve --help" for every setting)
  flexdb migrate [flags]   bring the database schema up to date, then exit
  flexdb keygen            print a new API key secret (for FLEXDB_ADMIN_KEY)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "flexdb:", err)
		}
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "keygen" {
		fmt.Fprintln(stdout, service.NewSecret())
		return nil
	}
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
	auth, err := authentication(cfg, store, log, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, store, auth, log)
}

// authentication returns how callers are checked: not at all in development mode (said loudly), else
// with the platform admin key and the tenants' keys.
func authentication(cfg *config, store *sqlstore.Store, log *slog.Logger, stderr io.Writer) (grpcapi.Options, error) {
	if cfg.Dev {
		log.Warn("DEVELOPMENT MODE: AUTHENTICATION IS OFF. Every caller acts as the platform admin. Listening on loopback only.",
			"grpc", cfg.GRPCAddr, "http", cfg.HTTPAddr)
		return grpcapi.Options{Development: true}, nil
	}
	admin := cfg.AdminKey
	if admin != "" {
		if _, err := service.ParseBearer("Bearer " + admin); err != nil {
			return grpcapi.Options{}, fmt.Errorf("FLEXDB_ADMIN_KEY is not a flex-db key: make one with flexdb keygen")
		}
	} else {
		var created bool
		var err error
		path := filepath.Join(cfg.DataDir, "admin.key")
		if admin, created, err = adminKeyFile(path); err != nil {
			return grpcapi.Options{}, err
		}
		if created {
			// Printed once, to the terminal, never to the log.
			fmt.Fprintf(stderr, "\nflex-db platform admin key (shown once; also saved with mode 0600 in %s):\n\n    %s\n\n", path, admin)
		}
		log.Info("platform admin key loaded", "file", path)
	}
	return grpcapi.Options{Auth: service.NewAuthenticator(store, admin,
		service.KeyLookups{Timeout: cfg.KeyLookupTimeout, Max: cfg.KeyLookupsMax})}, nil
}

// adminKeyFile reads the admin key kept in path, or makes one and keeps it there.
func adminKeyFile(path string) (key string, created bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		key = strings.TrimSpace(string(b))
		if _, err := service.ParseBearer("Bearer " + key); err != nil {
			return "", false, fmt.Errorf("%s does not hold a flex-db key", path)
		}
		return key, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	key = service.NewSecret()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("write admin key: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, key); err != nil {
		return "", false, fmt.Errorf("write admin key: %w", err)
	}
	return key, true, nil
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
	store, err := sqlstore.Open(ctx, sqlstore.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DBMaxConns,
		SQLiteSynchronous: sqlstore.Synchronous(cfg.SQLiteSync)})
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
	if store.Engine == "sqlite" && sqlstore.Synchronous(cfg.SQLiteSync) == sqlstore.SynchronousNormal {
		log.Warn("sqlite-synchronous is normal: a power loss can lose the last acknowledged writes")
	}
	return store, nil
}

func serve(ctx context.Context, cfg *config, store *sqlstore.Store, opts grpcapi.Options, log *slog.Logger) error {
	// Request and row ids draw their random bits from a buffer refilled 4 KiB at a time rather than
	// one read of the system's generator each: ids are unique, not secret (keys use crypto/rand).
	uuid.EnableRandPool()
	lim := service.DefaultLimits
	lim.Document = jsondoc.Limits{MaxBytes: cfg.MaxDocumentBytes, MaxDepth: cfg.MaxDocumentDepth}
	// A page's documents fill at most half a message, leaving the rest for the other fields and JSON's
	// escaping; at least one item still comes, and a document fits a message (validate).
	lim.PageBytes = cfg.MaxBodyBytes / 2
	svc := service.New(store, lim)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newPoolCollector(store))
	opts.Metrics = reg
	opts.RatePerSecond, opts.RateBurst = cfg.RateLimit, cfg.RateBurst
	opts.AuthFailureRate, opts.AuthFailureBurst, opts.HeldRefusals = cfg.AuthFailureRate, cfg.AuthFailureBurst, cfg.AuthHeldRefusals
	opts.MaxConcurrentStreams = uint32(cfg.MaxStreams)
	opts.MaxRecvBytes = cfg.MaxBodyBytes // one message limit for every protocol, both ways
	opts.MaxSendBytes = cfg.MaxBodyBytes
	opts.CallTimeout = cfg.CallTimeout
	api := grpcapi.NewServer(svc, log, opts)
	grpcServer, health := api.GRPC, api.Health

	grpcLis, httpLis, err := listen(cfg)
	if err != nil {
		return err
	}
	httpServer, err := httpapi.NewServer(api.Direct, store, httpapi.Options{
		MaxBodyBytes: int64(cfg.MaxBodyBytes), CORSOrigins: cfg.CORSOrigins, Log: log,
	})
	if err != nil {
		return err
	}

	errc := make(chan error, 3)
	go func() { errc <- grpcServer.Serve(grpcLis) }()
	go func() { errc <- httpServer.Serve(httpLis) }()
	serving := []any{"grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String()}
	if cfg.MetricsAddr != "" {
		// Metrics on a port of their own, loopback by default: they are for the operator's scraper, not
		// for the public port's callers.
		metricsLis, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			grpcLis.Close()
			httpLis.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		metrics := &http.Server{Handler: httpapi.MetricsHandler(reg), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		defer metrics.Close() // scraped until the calls have drained
		go func() { errc <- metrics.Serve(metricsLis) }()
		serving = append(serving, "metrics", metricsLis.Addr().String())
	}
	log.Info("serving", serving...)

	var failed error
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("listener failed", "error", err)
			failed = fmt.Errorf("listener failed: %w", err) // exit non-zero, so that a supervisor restarts us
		}
	}
	drain(cfg.ShutdownGrace, log, func() { health.Shutdown() }, grpcServer.GracefulStop, grpcServer.Stop, httpServer)
	return failed
}

// listen opens both ports, with TLS when a certificate is configured.
func listen(cfg *config) (grpcLis, httpLis net.Listener, err error) {
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	open := func(addr string, protos ...string) (net.Listener, error) {
		l, err := net.Listen("tcp", addr)
		if err != nil || tlsConfig == nil {
			return l, err
		}
		c := tlsConfig.Clone()
		c.NextProtos = protos
		return tls.NewListener(l, c), nil
	}
	if grpcLis, err = open(cfg.GRPCAddr, "h2"); err != nil {
		return nil, nil, fmt.Errorf("gRPC listener: %w", err)
	}
	if httpLis, err = open(cfg.HTTPAddr, "http/1.1"); err != nil {
		grpcLis.Close()
		return nil, nil, fmt.Errorf("HTTP listener: %w", err)
	}
	return grpcLis, httpLis, nil
}

// drain lets calls in flight finish within grace, then cuts the rest; the store closes after this returns.
func drain(grace time.Duration, log *slog.Logger, notServing func(), graceful, hard func(), httpServer *http.Server) {
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
}
