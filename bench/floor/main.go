// Command floor is the per-call cost floor flex-db is measured against (bench/percall_test.go): a bare
// gRPC server that serves GetNode, CreateNode, ListNodes and CreateRelationship of the dbaas contract with
// grpc-go and the database driver alone (pgx on PostgreSQL, database/sql with modernc.org/sqlite on
// SQLite), one prepared statement per call, over the schema flex-db's migrations made. No middleware, no
// validation, no rules: what a call cannot cost less than on this stack.
//
//	floor serve --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 (--database-url postgres://… | --data-dir DIR)
//
// Its command line, "serving" log line, GET /health and GET /metrics (the Go runtime's and the process's
// collectors) are flexdb serve's, so that flexdbtest.Run starts it and the benchmark reads both servers
// the same way. It never migrates: flex-db is started on the database first.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	_ "modernc.org/sqlite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		return fmt.Errorf("usage: floor serve [flags]")
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	grpcAddr := fs.String("grpc-addr", "127.0.0.1:50051", "gRPC listen address")
	httpAddr := fs.String("http-addr", "127.0.0.1:5000", "GET /health listen address")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9090", "GET /metrics listen address")
	databaseURL := fs.String("database-url", "", "postgres://… for PostgreSQL; empty for SQLite in --data-dir")
	dataDir := fs.String("data-dir", "./data", "the directory of flex-db's SQLite file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	ctx := context.Background()
	var store store
	if *databaseURL != "" {
		cfg, err := pgxpool.ParseConfig(*databaseURL)
		if err != nil {
			return err
		}
		cfg.MaxConns = 32 // flexdb serve's default --db-max-conns
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return err
		}
		store = &postgres{pool: pool}
	} else {
		s, err := openSQLite(filepath.Join(*dataDir, "flexdb.sqlite"))
		if err != nil {
			return err
		}
		store = s
	}

	gl, err := net.Listen("tcp", *grpcAddr)
	if err != nil {
		return err
	}
	hl, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return err
	}
	ml, err := net.Listen("tcp", *metricsAddr)
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	pb.RegisterNodeServiceServer(srv, nodes{store: store})
	pb.RegisterRelationshipServiceServer(srv, relationships{store: store})
	health := http.NewServeMux()
	health.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	metrics := http.NewServeMux()
	metrics.Handle("GET /metrics", promhttp.Handler()) // the default registry: Go runtime and process collectors
	go func() { _ = http.Serve(hl, health) }()
	go func() { _ = http.Serve(ml, metrics) }()

	line, _ := json.Marshal(map[string]string{"msg": "serving", "grpc": gl.Addr().String(), "http": hl.Addr().String(), "metrics": ml.Addr().String()})
	fmt.Println(string(line))
	return srv.Serve(gl)
}

// openSQLite opens flex-db's file as flex-db does (sqlstore/sqlite.go): the same pragmas, one writing
// connection and a pool of read-only ones.
func openSQLite(path string) (*sqlite, error) {
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(full)"
	write, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	read.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	return prepareSQLite(write, read)
}
