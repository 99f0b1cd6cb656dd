package httpapi_test

// The server every test of this package talks to is the one cmd/flexdb wires (flexdbtest.Start): a store
// on a real engine, the service over it, the gRPC server on a real loopback listener, and the HTTP
// handler in front of the same services and middleware, called in process. Tests reach it as clients
// do: gRPC over TCP, and HTTP through httptest.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/httpapi"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/flexdb/flexdb/storetest"
	"google.golang.org/grpc"
)

// engines are the stores every engine-dependent test runs on.
var engines = storetest.Engines

// sqlite is the engine of tests about HTTP itself, where the engine makes no difference.
func sqlite(t testing.TB) sqlstore.Config { return sqlstore.Config{DataDir: t.TempDir()} }

// defaultOptions are the HTTP settings of most tests: cmd/flexdb's default body limit, no CORS.
var defaultOptions = httpapi.Options{MaxBodyBytes: 2 << 20}

// httpapiOptions are HTTP settings with a body limit and CORS origins of a test's own.
func httpapiOptions(maxBody int64, corsOrigins string) httpapi.Options {
	return httpapi.Options{MaxBodyBytes: maxBody, CORSOrigins: corsOrigins}
}

// stack is one running server and the ways to reach it.
type stack struct {
	store   *sqlstore.Store
	svc     *service.Service // for fixtures and for counting what is stored; never the thing under test
	conn    *grpc.ClientConn // a gRPC client over TCP
	url     string           // the HTTP server's base URL
	metrics string           // the metrics listener's base URL
	http    *http.Client     // keeps connections alive; gzip only when a test asks for it
	admin   string           // "Bearer <the platform admin key>", which every call sends unless told otherwise
	h       http.Handler     // the HTTP handler itself, for tests that call it without a network (fuzzing)
	// secrets are every API key secret this server has handed out in the test (fixtures and calls
	// record theirs), the admin key's included, so that a test can look for them where they must not be.
	secrets *secretList
}

// secretList is a list of secrets, safe for concurrent use.
type secretList struct {
	mu   sync.Mutex
	list []string
}

func (l *secretList) add(secret string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, secret)
}

func (l *secretList) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// asAdmin is a context in which the service acts for the platform admin, for fixtures.
func asAdmin() context.Context {
	return flexdb.WithPrincipal(context.Background(), flexdb.Principal{Kind: flexdb.PrincipalAdmin, KeyID: "admin"})
}

// start serves a fresh, migrated database; everything stops when the test ends.
func start(t testing.TB, cfg sqlstore.Config, opts httpapi.Options) *stack {
	return startWith(t, cfg, opts, nil)
}

// startWith is start with the readiness check replaced by db (nil: the store).
func startWith(t testing.TB, cfg sqlstore.Config, opts httpapi.Options, db httpapi.Pinger) *stack {
	t.Helper()
	return startStack(t, cfg, flexdbtest.Options{HTTP: opts, Ready: db})
}

// startStack is start with every setting of opts.
func startStack(t testing.TB, cfg sqlstore.Config, opts flexdbtest.Options) *stack {
	t.Helper()
	srv := flexdbtest.Start(t, cfg, opts)
	secrets := &secretList{}
	secrets.add(srv.AdminKey)
	client := srv.HTTP.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	client.Transport.(*http.Transport).DisableCompression = true
	client.Timeout = 30 * time.Second
	return &stack{store: srv.Store, svc: srv.Service, conn: srv.Conn, url: srv.HTTP.URL, metrics: srv.Metrics.URL, http: client,
		admin: "Bearer " + srv.AdminKey, h: srv.Handler, secrets: secrets}
}

// response is an HTTP answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one HTTP request as the platform admin; a nil body sends none. Headers come in pairs (name,
// value); an empty value removes the header, Authorization included.
func (s *stack) do(t testing.TB, method, path, contentType string, body []byte, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", s.admin)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return s.send(t, req)
}

func (s *stack) send(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// postJSON sends v (a string is sent as it is) with Content-Type application/json.
func (s *stack) postJSON(t testing.TB, path string, v any) response {
	t.Helper()
	return s.do(t, http.MethodPost, path, "application/json", jsonBytes(t, v))
}

func jsonBytes(t testing.TB, v any) []byte {
	t.Helper()
	switch v := v.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// decode parses JSON into a generic value, failing the test if it is not JSON.
func decode(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON (%v): %.300s", err, b)
	}
	return v
}

// field walks a decoded JSON value along object keys.
func field(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
