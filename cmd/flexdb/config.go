package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
)

// config is everything flexdb serve and flexdb migrate can be told. Each setting is a flag whose default
// comes from a FLEXDB_* variable when that is set; flags win over variables.
type config struct {
	GRPCAddr         string
	HTTPAddr         string
	MetricsAddr      string
	DataDir          string
	DatabaseURL      string
	DBMaxConns       int
	SQLiteSync       string
	ShutdownGrace    time.Duration
	CallTimeout      time.Duration
	LogLevel         string
	LogFormat        string
	MaxDocumentBytes int
	MaxDocumentDepth int
	MaxBodyBytes     int
	CORSOrigins      string
	Dev              bool
	AdminKey         string
	RateLimit        float64
	RateBurst        int
	AuthFailureRate  float64
	AuthFailureBurst int
	AuthHeldRefusals int
	KeyLookupTimeout time.Duration
	KeyLookupsMax    int
	MaxStreams       int
	TLSCert, TLSKey  string
}

// setting describes one configuration entry for flags, variables and the help text alike.
type setting struct {
	flag, env, usage string
	bind             func(fs *flag.FlagSet, name, usage string, fromEnv string) error
}

func stringSetting(p *string, flagName, env, def, usage string) setting {
	return setting{flagName, env, usage, func(fs *flag.FlagSet, name, usage, v string) error {
		if v == "" {
			v = def
		}
		fs.StringVar(p, name, v, usage)
		return nil
	}}
}

func intSetting(p *int, flagName, env string, def int, usage string) setting {
	return setting{flagName, env, usage, func(fs *flag.FlagSet, name, usage, v string) error {
		n := def
		if v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				return fmt.Errorf("%s=%q: must be a whole number", name, v)
			}
		}
		fs.IntVar(p, name, n, usage)
		return nil
	}}
}

func boolSetting(p *bool, flagName, env, usage string) setting {
	return setting{flagName, env, usage, func(fs *flag.FlagSet, name, usage, v string) error {
		b := false
		if v != "" {
			var err error
			if b, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%s=%q: must be true or false", name, v)
			}
		}
		fs.BoolVar(p, name, b, usage)
		return nil
	}}
}

func floatSetting(p *float64, flagName, env string, def float64, usage string) setting {
	return setting{flagName, env, usage, func(fs *flag.FlagSet, name, usage, v string) error {
		f := def
		if v != "" {
			var err error
			if f, err = strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("%s=%q: must be a number", name, v)
			}
		}
		fs.Float64Var(p, name, f, usage)
		return nil
	}}
}

func durationSetting(p *time.Duration, flagName, env string, def time.Duration, usage string) setting {
	return setting{flagName, env, usage, func(fs *flag.FlagSet, name, usage, v string) error {
		d := def
		if v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				return fmt.Errorf("%s=%q: must be a duration such as 15s", name, v)
			}
		}
		fs.DurationVar(p, name, d, usage)
		return nil
	}}
}

func (c *config) settings() []setting {
	return []setting{
		stringSetting(&c.GRPCAddr, "grpc-addr", "FLEXDB_GRPC_ADDR", ":50051", "gRPC listen address"),
		stringSetting(&c.HTTPAddr, "http-addr", "FLEXDB_HTTP_ADDR", ":5000", "HTTP listen address (REST, JSON-RPC, docs, health)"),
		stringSetting(&c.MetricsAddr, "metrics-addr", "FLEXDB_METRICS_ADDR", "127.0.0.1:9090", "Prometheus metrics listen address (GET /metrics), kept off the HTTP port; empty for none"),
		stringSetting(&c.DataDir, "data-dir", "FLEXDB_DATA_DIR", "./data", "directory of the embedded SQLite database, used when no database URL is set"),
		stringSetting(&c.DatabaseURL, "database-url", "FLEXDB_DATABASE_URL", "", "PostgreSQL URL (postgres://user@host:5432/db); empty means embedded SQLite"),
		intSetting(&c.DBMaxConns, "db-max-conns", "FLEXDB_DB_MAX_CONNS", 32, "PostgreSQL connection pool size"),
		stringSetting(&c.SQLiteSync, "sqlite-synchronous", "FLEXDB_SQLITE_SYNCHRONOUS", string(sqlstore.SynchronousFull),
			"full: every acknowledged SQLite write survives a power loss; normal: about 3 times faster writes, but a power loss can lose the last ones"),
		durationSetting(&c.ShutdownGrace, "shutdown-grace", "FLEXDB_SHUTDOWN_GRACE", 15*time.Second, "how long SIGINT/SIGTERM waits for calls in flight before closing"),
		durationSetting(&c.CallTimeout, "call-timeout", "FLEXDB_CALL_TIMEOUT", 30*time.Second, "longest a call may run (a client's shorter deadline wins); past it its database work is cancelled and it answers DEADLINE_EXCEEDED"),
		stringSetting(&c.LogLevel, "log-level", "FLEXDB_LOG_LEVEL", "info", "debug, info, warn or error"),
		stringSetting(&c.LogFormat, "log-format", "FLEXDB_LOG_FORMAT", "json", "json or text"),
		intSetting(&c.MaxDocumentBytes, "max-document-bytes", "FLEXDB_MAX_DOCUMENT_BYTES", 1<<20, "largest JSON document (node data, relationship data, schema), as sent and as stored in canonical form"),
		intSetting(&c.MaxDocumentDepth, "max-document-depth", "FLEXDB_MAX_DOCUMENT_DEPTH", 64, "deepest nesting of a JSON document"),
		intSetting(&c.MaxBodyBytes, "max-body-bytes", "FLEXDB_MAX_BODY_BYTES", 2<<20, "largest message: an HTTP request body or a gRPC message either way; a list page carries at most half of it in documents (at least one item), a JSON-RPC batch's results about all of it"),
		stringSetting(&c.CORSOrigins, "cors-origins", "FLEXDB_CORS_ORIGINS", "", "comma-separated origins allowed by CORS; * for any; empty for none"),
		boolSetting(&c.Dev, "dev", "FLEXDB_DEV", "development mode: authentication OFF, every caller is platform admin; listens on loopback only"),
		stringSetting(&c.AdminKey, "admin-key", "FLEXDB_ADMIN_KEY", "", "platform admin key (make one with flexdb keygen); when empty, one is generated on first start into <data-dir>/admin.key"),
		floatSetting(&c.RateLimit, "rate-limit", "FLEXDB_RATE_LIMIT", 1000, "calls per second allowed per API key (token bucket); 0 for no limit"),
		intSetting(&c.RateBurst, "rate-burst", "FLEXDB_RATE_BURST", 2000, "burst size of the per-key token bucket"),
		floatSetting(&c.AuthFailureRate, "auth-failure-rate", "FLEXDB_AUTH_FAILURE_RATE", 20, "calls per second allowed per client address without a key known valid (none, malformed, unknown or refused), charged before any key lookup; 0 for no limit"),
		intSetting(&c.AuthFailureBurst, "auth-failure-burst", "FLEXDB_AUTH_FAILURE_BURST", 100, "burst size of the per-address token bucket of auth-failure-rate"),
		intSetting(&c.AuthHeldRefusals, "auth-held-refusals", "FLEXDB_AUTH_HELD_REFUSALS", 1024, "refusals over auth-failure-rate held for their Retry-After before answering, at most this many at once (the rest answer at once), which slows a flooder; 0 for none"),
		durationSetting(&c.KeyLookupTimeout, "key-lookup-timeout", "FLEXDB_KEY_LOOKUP_TIMEOUT", service.DefaultKeyLookupTimeout, "longest a database read of an uncached API key may take (waiting for a free lookup included); past it the call answers UNAVAILABLE"),
		intSetting(&c.KeyLookupsMax, "key-lookups-max", "FLEXDB_KEY_LOOKUPS_MAX", service.DefaultKeyLookupsMax, "database reads of uncached API keys in flight at once; more wait, within key-lookup-timeout"),
		intSetting(&c.MaxStreams, "max-concurrent-streams", "FLEXDB_MAX_CONCURRENT_STREAMS", 256, "gRPC calls in flight per connection"),
		stringSetting(&c.TLSCert, "tls-cert", "FLEXDB_TLS_CERT", "", "PEM certificate file: serve both ports over TLS (with tls-key)"),
		stringSetting(&c.TLSKey, "tls-key", "FLEXDB_TLS_KEY", "", "PEM private key file of tls-cert"),
	}
}

// parse reads variables from getenv and then flags from args.
func parse(name string, args []string, getenv func(string) string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("flexdb "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	ss := c.settings()
	for _, s := range ss {
		if err := s.bind(fs, s.flag, s.usage+" ["+s.env+"]", getenv(s.env)); err != nil {
			return nil, fmt.Errorf("%s: %w", s.env, err)
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: flexdb %s [flags]\n\nEvery flag can also be set by the variable in brackets.\n\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", strings.Join(fs.Args(), " "))
	}
	return c, c.validate()
}

func (c *config) validate() error {
	if err := sqlstore.Synchronous(c.SQLiteSync).Validate(); err != nil {
		return err
	}
	switch {
	case c.DBMaxConns < 1:
		return fmt.Errorf("db-max-conns must be at least 1")
	case c.CallTimeout <= 0:
		return fmt.Errorf("call-timeout must be positive")
	case c.MaxDocumentBytes < 1 || c.MaxDocumentDepth < 1 || c.MaxBodyBytes < 1:
		return fmt.Errorf("max-document-bytes, max-document-depth and max-body-bytes must be positive")
	case c.MaxBodyBytes <= c.MaxDocumentBytes:
		return fmt.Errorf("max-body-bytes must be larger than max-document-bytes: a document travels in one message with the other fields")
	case c.LogFormat != "json" && c.LogFormat != "text":
		return fmt.Errorf("log-format must be json or text")
	case c.RateLimit < 0 || c.RateBurst < 1 || c.MaxStreams < 1:
		return fmt.Errorf("rate-limit must not be negative; rate-burst and max-concurrent-streams must be positive")
	case c.AuthFailureRate < 0 || c.AuthFailureBurst < 1 || c.AuthHeldRefusals < 0:
		return fmt.Errorf("auth-failure-rate and auth-held-refusals must not be negative; auth-failure-burst must be positive")
	case c.KeyLookupTimeout <= 0 || c.KeyLookupsMax < 1:
		return fmt.Errorf("key-lookup-timeout and key-lookups-max must be positive")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("tls-cert and tls-key go together")
	}
	if c.Dev {
		// Development mode serves without authentication, so it must not be reachable from the network.
		var err error
		if c.GRPCAddr, err = loopbackOnly(c.GRPCAddr); err != nil {
			return fmt.Errorf("grpc-addr: %w", err)
		}
		if c.HTTPAddr, err = loopbackOnly(c.HTTPAddr); err != nil {
			return fmt.Errorf("http-addr: %w", err)
		}
		if c.MetricsAddr != "" {
			if c.MetricsAddr, err = loopbackOnly(c.MetricsAddr); err != nil {
				return fmt.Errorf("metrics-addr: %w", err)
			}
		}
	}
	return nil
}

// loopbackOnly binds an address without a host to 127.0.0.1 and refuses any host that is not loopback.
func loopbackOnly(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("development mode (authentication off) refuses to listen on %s: use a loopback address such as 127.0.0.1", host)
	}
	return addr, nil
}

func getenv(k string) string { return os.Getenv(k) }
