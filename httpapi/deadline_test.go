package httpapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// lockNode makes another session hold a write lock the node's update must wait for, until unlock (or the
// end of the test): on PostgreSQL the row (SELECT ... FOR UPDATE), on SQLite the whole file (BEGIN
// IMMEDIATE), since SQLite locks no finer than that.
func lockNode(t *testing.T, engine string, cfg sqlstore.Config, nodeID string) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	if engine == "postgres" {
		conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(ctx) })
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback(ctx) })
		if _, err := tx.Exec(ctx, "SELECT 1 FROM nodes WHERE id = $1 FOR UPDATE", nodeID); err != nil {
			t.Fatal(err)
		}
		return func() { must(t, tx.Rollback(ctx)) }
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, "flexdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.ExecContext(ctx, "ROLLBACK") })
	return func() {
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		must(t, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A call still waiting for the database at the server's call timeout answers DEADLINE_EXCEEDED on every
// protocol (504 on REST, -32009 on JSON-RPC); its statement is cancelled and its connection goes back
// to the pool, so that the call after the lock is gone succeeds.
func TestACallPastItsDeadlineIsCancelled(t *testing.T) {
	protocols := []struct {
		name string
		call func(t testing.TB, s *stack, md protoreflect.MethodDescriptor, request []byte, auth string) outcome
		wire int
	}{
		{"grpc", callGRPC, int(codes.DeadlineExceeded)},
		{"rest", callREST, http.StatusGatewayTimeout},
		{"jsonrpc", callJSONRPC, -32009},
	}
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			cfg := e.Config(t)
			s := startStack(t, cfg, flexdbtest.Options{GRPC: grpcapi.Options{CallTimeout: 300 * time.Millisecond}})
			x, err := s.svc.CreateTenant(asAdmin(), "acme", "Acme")
			if err != nil {
				t.Fatal(err)
			}
			nt, err := s.svc.CreateNodeType(asAdmin(), x.ID, "Task", "", "")
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.svc.CreateNode(asAdmin(), x.ID, nt.ID, `{"v":1}`)
			if err != nil {
				t.Fatal(err)
			}
			update := rpcNamed(t, "UpdateNode")
			request := func(v int) []byte {
				return []byte(fmt.Sprintf(`{"tenant_id": %q, "id": %q, "data": "{\"v\":%d}"}`, x.ID, n.ID, v))
			}

			unlock := lockNode(t, e.Name, cfg, n.ID)
			for _, p := range protocols {
				o := p.call(t, s, update, request(2), s.admin)
				if o.Code != codes.DeadlineExceeded || o.Wire != p.wire {
					t.Errorf("%s: %s (%d) %q, want DEADLINE_EXCEEDED (%d)", p.name, o.Code, o.Wire, o.Message, p.wire)
				}
			}
			unlock()

			// No connection is left busy with a cancelled call.
			for i := 0; s.store.Stats().InUse > 0; i++ {
				if i == 500 {
					t.Fatalf("connections still in use after every call answered: %+v", s.store.Stats())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if o := callGRPC(t, s, update, request(3), s.admin); o.Code != codes.OK {
				t.Fatalf("the update after the lock: %s %q", o.Code, o.Message)
			}
			got, err := s.svc.GetNode(asAdmin(), x.ID, n.ID)
			if err != nil || got.Data != `{"v": 3}` || got.Version != 2 {
				t.Fatalf("node after the update: %+v %v, want data {\"v\": 3} at version 2: the cancelled updates wrote nothing", got, err)
			}
		})
	}
}
