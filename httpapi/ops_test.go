package httpapi_test

// Around the API: liveness, readiness, metrics and the OpenAPI document.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestHealthAnswersOK(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	r := s.do(t, http.MethodGet, "/health", "", nil, "Authorization", "")
	if r.status != http.StatusOK || !sameJSON(string(r.body), `{"status": "ok"}`) {
		t.Errorf("GET /health: %d %s, want 200 {\"status\": \"ok\"}", r.status, r.body)
	}
}

// pinger is a database whose answer a test decides.
type pinger struct{ err error }

func (p *pinger) Ping(context.Context) error { return p.err }

func TestReadyFollowsTheDatabase(t *testing.T) {
	t.Run("answers 200 while the database answers, 503 once it does not", func(t *testing.T) {
		db := &pinger{}
		s := startWith(t, sqlite(t), defaultOptions, db)
		if r := s.do(t, http.MethodGet, "/ready", "", nil); r.status != http.StatusOK {
			t.Errorf("database up: %d %s, want 200", r.status, r.body)
		}
		db.err = errors.New("connection refused")
		r := s.do(t, http.MethodGet, "/ready", "", nil)
		if r.status != http.StatusServiceUnavailable || field(decode(t, r.body), "status") != "unavailable" {
			t.Errorf("database down: %d %s, want 503 {\"status\": \"unavailable\", ...}", r.status, r.body)
		}
		if strings.Contains(string(r.body), "connection refused") {
			t.Errorf("readiness shows the database's error to anyone: %s", r.body)
		}
	})
	for _, e := range engines {
		t.Run("answers 503 once the "+e.Name+" store is closed", func(t *testing.T) {
			s := start(t, e.Config(t), defaultOptions)
			if r := s.do(t, http.MethodGet, "/ready", "", nil); r.status != http.StatusOK {
				t.Fatalf("open store: %d %s, want 200", r.status, r.body)
			}
			s.store.Close()
			if r := s.do(t, http.MethodGet, "/ready", "", nil); r.status != http.StatusServiceUnavailable {
				t.Errorf("closed store: %d %s, want 503", r.status, r.body)
			}
		})
	}
}

func TestMetricsCountCallsOfEveryProtocol(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	md := rpcNamed(t, "GetTenant")
	missing := newWorld(t, s).get("missing")
	for _, p := range protocols {
		p.call(t, s, md, []byte(`{"id": "`+missing+`"}`), s.admin)
		p.call(t, s, md, []byte(`{"id": "bad"}`), s.admin)
		p.call(t, s, rpcNamed(t, "ListTenants"), []byte(`{}`), s.admin)
	}
	resp, err := s.http.Get(s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics on the metrics listener: %d %v", resp.StatusCode, err)
	}
	metrics := string(body)
	for _, p := range []string{"grpc", "rest", "jsonrpc"} {
		for _, tc := range []struct{ method, code string }{
			{"/dbaas.TenantService/GetTenant", "NotFound"},
			{"/dbaas.TenantService/GetTenant", "InvalidArgument"},
			{"/dbaas.TenantService/ListTenants", "OK"},
		} {
			labels := `code="` + tc.code + `",method="` + tc.method + `",protocol="` + p + `"`
			if n := sample(metrics, "flexdb_requests_total", labels); n != 1 {
				t.Errorf("flexdb_requests_total{%s} = %v, want 1", labels, n)
			}
		}
		labels := `method="/dbaas.TenantService/GetTenant",protocol="` + p + `"`
		if n := sample(metrics, "flexdb_request_duration_seconds_count", labels); n != 2 {
			t.Errorf("flexdb_request_duration_seconds_count{%s} = %v, want 2", labels, n)
		}
	}
	if !strings.Contains(metrics, "# TYPE flexdb_request_duration_seconds histogram") {
		t.Errorf("flexdb_request_duration_seconds is not a histogram")
	}
}

// The public port serves no metrics: they have a listener of their own (--metrics-addr).
func TestThePublicPortServesNoMetrics(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := s.do(t, method, "/metrics", "", nil)
		if r.status != http.StatusNotFound || strings.Contains(string(r.body), "flexdb_requests_total") {
			t.Errorf("%s /metrics on the public port: %d %.200s, want 404", method, r.status, r.body)
		}
	}
}

// sample reads the value of one sample from the Prometheus text format, -1 if it is not there.
func sample(metrics, name, labels string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name+"{"+labels+"}") + ` (\S+)$`).FindStringSubmatch(metrics)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
