package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestConfig(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		vars    map[string]string
		check   func(c *config) bool
		wantErr string
	}{
		{name: "defaults", check: func(c *config) bool {
			return c.GRPCAddr == ":50051" && c.HTTPAddr == ":5000" && c.DataDir == "./data" && c.DatabaseURL == "" &&
				c.ShutdownGrace == 15*time.Second && c.MaxDocumentBytes == 1<<20 && c.MaxDocumentDepth == 64 && !c.Dev &&
				c.CallTimeout == 30*time.Second && c.MetricsAddr == "127.0.0.1:9090" && c.SQLiteSync == "full"
		}},
		{name: "a message limit a document does not fit", args: []string{"--max-body-bytes", "1048576"}, wantErr: "max-body-bytes"},
		{name: "no metrics listener", args: []string{"--metrics-addr="}, check: func(c *config) bool { return c.MetricsAddr == "" }},
		{name: "development mode refuses public metrics", args: []string{"--dev", "--metrics-addr", "0.0.0.0:9090"}, wantErr: "metrics-addr"},
		{name: "the call timeout from its variable", vars: map[string]string{"FLEXDB_CALL_TIMEOUT": "2s"},
			check: func(c *config) bool { return c.CallTimeout == 2*time.Second }},
		{name: "a call timeout of nothing", args: []string{"--call-timeout", "0s"}, wantErr: "call-timeout"},
		{name: "SQLite's faster, less durable mode, from the variable", vars: map[string]string{"FLEXDB_SQLITE_SYNCHRONOUS": "normal"},
			check: func(c *config) bool { return c.SQLiteSync == "normal" }},
		{name: "SQLite's durable mode, from the flag", args: []string{"--sqlite-synchronous", "full"}, vars: map[string]string{"FLEXDB_SQLITE_SYNCHRONOUS": "normal"},
			check: func(c *config) bool { return c.SQLiteSync == "full" }},
		{name: "SQLite without flushes is refused", args: []string{"--sqlite-synchronous", "off"}, wantErr: `sqlite-synchronous "off": must be full or normal`},
		{name: "a variable sets a default", vars: map[string]string{"FLEXDB_GRPC_ADDR": ":6000", "FLEXDB_DB_MAX_CONNS": "7"},
			check: func(c *config) bool { return c.GRPCAddr == ":6000" && c.DBMaxConns == 7 }},
		{name: "a flag wins over its variable", args: []string{"--grpc-addr", ":7000"}, vars: map[string]string{"FLEXDB_GRPC_ADDR": ":6000"},
			check: func(c *config) bool { return c.GRPCAddr == ":7000" }},
		{name: "development mode binds loopback", args: []string{"--dev"},
			check: func(c *config) bool { return c.GRPCAddr == "127.0.0.1:50051" && c.HTTPAddr == "127.0.0.1:5000" }},
		{name: "development mode keeps localhost", args: []string{"--dev", "--http-addr", "localhost:5001"},
			check: func(c *config) bool { return c.HTTPAddr == "localhost:5001" }},
		{name: "development mode refuses a public address", args: []string{"--dev", "--grpc-addr", "0.0.0.0:50051"}, wantErr: "loopback"},
		{name: "development mode from the variable refuses too", vars: map[string]string{"FLEXDB_DEV": "true", "FLEXDB_HTTP_ADDR": "10.0.0.1:5000"}, wantErr: "loopback"},
		{name: "a malformed number", vars: map[string]string{"FLEXDB_DB_MAX_CONNS": "many"}, wantErr: "whole number"},
		{name: "a malformed duration", vars: map[string]string{"FLEXDB_SHUTDOWN_GRACE": "soon"}, wantErr: "duration"},
		{name: "a malformed boolean", vars: map[string]string{"FLEXDB_DEV": "perhaps"}, wantErr: "true or false"},
		{name: "a pool of none", args: []string{"--db-max-conns", "0"}, wantErr: "db-max-conns"},
		{name: "an unknown log format", args: []string{"--log-format", "xml"}, wantErr: "log-format"},
		{name: "a certificate without its key", args: []string{"--tls-cert", "c.pem"}, wantErr: "tls-key"},
		{name: "a stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse("serve", c.args, env(c.vars), io.Discard)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(cfg) {
				t.Fatalf("unexpected config %+v", *cfg)
			}
		})
	}
}

func TestHelpListsEveryVariable(t *testing.T) {
	var out strings.Builder
	if _, err := parse("serve", []string{"--help"}, env(nil), &out); err == nil {
		t.Fatal("--help should stop parsing")
	}
	for _, s := range (&config{}).settings() {
		if !strings.Contains(out.String(), "-"+s.flag) || !strings.Contains(out.String(), s.env) {
			t.Errorf("help lacks --%s [%s]", s.flag, s.env)
		}
	}
}
