package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/jackc/pgx/v5"
)

// backends reaches the PostgreSQL backends of one test's pool, told apart by the application_name the
// pool connects with: other tests (and other people) share the server, and only ours may be killed.
type backends struct {
	t    *testing.T
	conn *pgx.Conn
	name string
}

// ownedPool returns a PostgreSQL config whose connections carry an application_name of their own, and
// a handle on those connections.
func ownedPool(t *testing.T, maxConns int) (sqlstore.Config, *backends) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "flexdb_test_" + hex.EncodeToString(b)
	base := pgtest.URL(t) // carries a query (the schema) already
	url := base + "&application_name=" + name
	conn, err := pgx.Connect(t.Context(), base) // the killer's own connection, not one of the pool's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return sqlstore.Config{DatabaseURL: url, MaxConns: maxConns}, &backends{t: t, conn: conn, name: name}
}

// kill terminates every backend of the pool, as a server restart or an administrator would, waits
// until those backends are gone, and returns how many there were.
func (b *backends) kill() int {
	b.t.Helper()
	// pg_terminate_backend stays in the select list: in WHERE the planner may call it before the
	// conditions that spare other sessions.
	rows, err := b.conn.Query(b.t.Context(), `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`, b.name)
	if err != nil {
		b.t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (int32, error) {
		var pid int32
		var ok bool
		return pid, r.Scan(&pid, &ok)
	})
	if err != nil {
		b.t.Fatal(err)
	}
	for range 500 {
		var left int
		if err := b.conn.QueryRow(b.t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", pids).Scan(&left); err != nil {
			b.t.Fatal(err)
		}
		if left == 0 {
			return len(pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("the backends %v did not go", pids)
	return 0
}

// Killing the store's connections while calls run (what a PostgreSQL restart does to them) answers each
// call with success or UNAVAILABLE, never INTERNAL; the pool reconnects by itself; reads after the kill
// succeed, run again on a fresh connection; and every acknowledged write is still there.
func TestKilledConnectionsAreUnavailableAndRecover(t *testing.T) {
	cfg, pg := ownedPool(t, 8)
	s := open(t, cfg)
	migrate(t, s)
	svc := service.New(s, service.DefaultLimits)
	ctx := flexdb.WithPrincipal(t.Context(), flexdb.Principal{Kind: flexdb.PrincipalAdmin})
	x, err := svc.CreateTenant(ctx, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	nt, err := svc.CreateNodeType(ctx, x.ID, "Task", "", "")
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[string]string{} // id -> data of every create that succeeded
	outcomes := map[flexdb.Code]int{}
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			outcomes["ok"]++
			return
		}
		outcomes[flexdb.CodeOf(err)]++
		if flexdb.CodeOf(err) != flexdb.Unavailable {
			t.Errorf("an answer during the kills is %s: %v", flexdb.CodeOf(err), err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := range 150 {
				switch i % 3 {
				case 0:
					data := fmt.Sprintf(`{"worker":%d,"i":%d}`, w, i)
					n, err := svc.CreateNode(ctx, x.ID, nt.ID, data)
					record(err)
					if err == nil {
						mu.Lock()
						acked[n.ID] = n.Data
						mu.Unlock()
					}
				case 1:
					_, err := svc.ListNodes(ctx, x.ID, service.NodeFilter{}, service.PageRequest{Size: 5})
					record(err)
				case 2:
					_, err := svc.GetTenant(ctx, x.ID)
					record(err)
				}
			}
		})
	}
	killed := 0
	go func() { wg.Wait(); close(stop) }()
	for round := 0; round < 20; round++ {
		select {
		case <-stop:
			round = 20
		case <-time.After(20 * time.Millisecond):
			killed += pg.kill()
		}
	}
	<-stop
	if killed == 0 {
		t.Fatal("no backend was killed: the test tested nothing")
	}
	t.Logf("killed %d backends; answers: %v", killed, outcomes)

	// The pool holds connections whose backends are gone: a read meets one, and runs again.
	if pg.kill() == 0 {
		t.Fatal("the pool kept no connection to kill")
	}
	for id, data := range acked {
		n, err := svc.GetNode(ctx, x.ID, id)
		if err != nil {
			t.Fatalf("reading acknowledged node %s after the kill: %v", id, err)
		}
		if n.Data != data {
			t.Errorf("node %s reads back %s, want %s", id, n.Data, data)
		}
	}
	pg.kill()
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("the store is not ready after the kill: %v", err)
	}
	if _, err := svc.CreateNode(ctx, x.ID, nt.ID, `{"after":true}`); err != nil {
		t.Errorf("a write after the kill: %v", err)
	}
}
