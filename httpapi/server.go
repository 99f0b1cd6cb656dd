// Package httpapi serves flex-db's HTTP port: REST (generated from the proto by grpc-gateway), JSON-RPC
// 2.0, the OpenAPI document with Swagger UI and ReDoc, health and readiness; and, on a listener of its
// own, the metrics (MetricsHandler). REST and JSON-RPC
// only translate: they call the gRPC services in process, through the same middleware (grpcapi.Direct), so
// every rule and every piece of middleware is the one gRPC calls meet.
package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/flexdb/flexdb/docsui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// Options tune the HTTP server.
type Options struct {
	MaxBodyBytes int64  // larger request bodies get 413; 0 means DefaultMaxBodyBytes
	CORSOrigins  string // comma-separated; "*" for any; "" for none
	Log          *slog.Logger
}

// DefaultMaxBodyBytes caps request bodies when Options leave it unset.
const DefaultMaxBodyBytes = 2 << 20

// Pinger is the readiness check: the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// NewServer returns the HTTP server of the API; conn reaches the gRPC server (grpcapi.Server.Direct).
func NewServer(conn grpc.ClientConnInterface, db Pinger, opts Options) (*http.Server, error) {
	h, err := NewHandler(conn, db, opts)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}, nil
}

// NewHandler is NewServer's handler, for tests and embedding.
func NewHandler(conn grpc.ClientConnInterface, db Pinger, opts Options) (http.Handler, error) {
	rest, err := restHandler(conn)
	if err != nil {
		return nil, err
	}
	openRPC, err := openRPCDocument(rpcMethods())
	if err != nil {
		return nil, err
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	limit := bodyLimit(opts.MaxBodyBytes)

	// What this port serves beside REST, by ownRoutes' "METHOD /path".
	handlers := map[string]http.Handler{
		"POST /jsonrpc": limit(newJSONRPC(conn, openRPC, opts.MaxBodyBytes)),
		"GET /health": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}),
		"GET /ready": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := db.Ping(ctx); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the database does not answer"})
				return
			}
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		}),
		"GET /openapi.json": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(openAPIDocument)
		}),
	}
	mux := http.NewServeMux()
	mux.Handle("/", limit(rest))
	own := ownRoutes()
	for _, r := range own {
		pattern := r.method + " " + r.path
		h, ok := handlers[pattern]
		if !ok {
			return nil, fmt.Errorf("httpapi: no handler for %s", pattern)
		}
		mux.Handle(pattern, h)
		// Another method gets 405 here rather than REST's 404 from "/".
		mux.Handle(r.path, onlyMethod(r.method))
	}
	if len(handlers) != len(own) {
		return nil, fmt.Errorf("httpapi: %d handlers for %d routes: every route served is documented in ownRoutes", len(handlers), len(own))
	}
	docsui.Register(mux, "/openapi.json")
	return cors(opts.CORSOrigins, gzipped(mux)), nil
}

// MetricsHandler serves reg's metrics in the Prometheus format at GET /metrics, and nothing else. It
// belongs on a listener of its own, kept off the public port: the metrics tell call rates, errors and
// pool sizes to whoever asks, with no authentication.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

// ownRoute is a path this port serves itself, beside the REST routes of the proto's google.api.http
// rules, with its OpenAPI operation (BuildOpenAPI puts it in the document).
type ownRoute struct {
	method, path string
	op           map[string]any
}

// ownRoutes are the routes NewHandler serves beside REST's (and the documentation pages of docsui).
func ownRoutes() []ownRoute {
	return []ownRoute{
		{http.MethodPost, "/jsonrpc", jsonRPCOperation()},
		{http.MethodGet, "/health", operational("Health", "Liveness: 200 while the process lives.", map[string]any{
			"200": jsonAnswer(`{"status": "ok"}`, statusSchema)})},
		{http.MethodGet, "/ready", operational("Ready", "Readiness: 200 while the database answers, 503 while it does not.", map[string]any{
			"200": jsonAnswer(`{"status": "ready"}`, statusSchema),
			"503": jsonAnswer(`{"status": "unavailable", "reason": "..."}`, statusSchema)})},
		{http.MethodGet, "/openapi.json", operational("OpenAPI", "This document.", map[string]any{
			"200": jsonAnswer("The OpenAPI 3.1 document of REST and JSON-RPC.", map[string]any{"type": "object"})})},
	}
}

// Route is one method and path template the HTTP port answers.
type Route struct{ Method, Path string }

// Routes lists what NewHandler's handler answers but for the documentation pages (docsui): the REST
// routes of the proto's google.api.http rules and the port's own routes.
func Routes() []Route {
	var out []Route
	for path, verbs := range routes {
		for _, v := range verbs {
			out = append(out, Route{v, path})
		}
	}
	for _, r := range ownRoutes() {
		out = append(out, Route{r.method, r.path})
	}
	return out
}

// onlyMethod answers a method other than method (GET: or HEAD) on a path that serves only method.
func onlyMethod(method string) http.Handler {
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeHTTPError(w, http.StatusMethodNotAllowed)
	})
}

// bodyLimit reads a request body whole, answering 413 past max bytes and 415 for a body that is not
// JSON, before any decoder sees it.
func bodyLimit(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				writeBodyError(w, &http.MaxBytesError{Limit: max})
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			if err != nil {
				writeBodyError(w, err)
				return
			}
			if len(body) > 0 {
				// A merge patch may say what it is (RFC 7396's media type); it is JSON all the same.
				mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
				if err != nil || mt != "application/json" && (mt != "application/merge-patch+json" || r.Method != http.MethodPatch) {
					writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Code: "INVALID_ARGUMENT", Message: "the body must be JSON, sent with Content-Type: application/json (or application/merge-patch+json for PATCH)"})
					return
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
}

func writeBodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		// RESOURCE_EXHAUSTED, as gRPC names a message over its limit.
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Code: codeName(codes.ResourceExhausted), Message: fmt.Sprintf("request too large: the body is larger than %d bytes", tooBig.Limit)})
		return
	}
	writeJSON(w, http.StatusBadRequest, errorBody{Code: "INVALID_ARGUMENT", Message: "the request body could not be read"})
}
