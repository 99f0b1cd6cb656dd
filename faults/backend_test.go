//go:build faults

package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestBackendsKilledMidTransaction terminates the server's PostgreSQL backends again and again while
// clients write and read: every answer is success or UNAVAILABLE, every acknowledged write is there,
// and afterwards the pool has no connection left busy.
func TestBackendsKilledMidTransaction(t *testing.T) {
	url, app := ownBackends(t)
	p := flexdbtest.Run(t, flexdb, nil, "--database-url", url, "--dev", "--rate-limit", "0")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	admin := adminConn(t)

	a := newAcked()
	stop := make(chan struct{})
	var load sync.WaitGroup
	load.Add(1)
	go func() { defer load.Done(); a.writeFor(c, fx, 8, stop) }()
	kills := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); kills++ {
		if _, err := admin.Exec(context.Background(),
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
			t.Fatalf("terminate backends: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	load.Wait()

	a.checkRefused(t)
	a.verify(t, c, fx)
	waitPoolIdle(t, p)
	t.Logf("%d rounds of killed backends under load: %d writes acknowledged, all read back; the pool went back to idle", kills, len(a.nodes))
}

// TestLockHeldPastTheDeadline holds a row lock in another session past the call's deadline: the update
// answers DEADLINE_EXCEEDED having changed nothing, the pool gets its connection back, and once the
// lock is gone the update works.
func TestLockHeldPastTheDeadline(t *testing.T) {
	url, _ := ownBackends(t)
	p := flexdbtest.Run(t, flexdb, nil, "--database-url", url, "--dev", "--call-timeout", "1s")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	ctx := context.Background()
	n, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: `{"n": 1}`})
	if err != nil {
		t.Fatal(err)
	}

	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM nodes WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, fx.tenant, n.Node.Id); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := c.nodes.UpdateNode(ctx, &dbaaspb.UpdateNodeRequest{TenantId: fx.tenant, Id: n.Node.Id, Data: `{"n": 2}`})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("an update behind a lock held past the deadline answered %v, want DEADLINE_EXCEEDED", err)
		}
	}
	waitPoolIdle(t, p) // while the lock is still held: the cancelled statements gave their connections back
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := c.nodes.UpdateNode(ctx, &dbaaspb.UpdateNodeRequest{TenantId: fx.tenant, Id: n.Node.Id, Data: `{"n": 3}`})
	if err != nil || r.Node.Version != 2 {
		t.Fatalf("the update once the lock is gone: %v, %v; want version 2 (the timed-out updates changed nothing)", r, err)
	}
}

// ownBackends is a fresh schema of the shared test server, reached with an application_name of its own,
// so that the test terminates its server's backends and no one else's.
func ownBackends(t *testing.T) (url, app string) {
	b := make([]byte, 6)
	rand.Read(b)
	app = "flexdb-faults-" + hex.EncodeToString(b)
	return pgtest.URL(t) + "&application_name=" + app, app
}

func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitPoolIdle waits, within a generous bound, until the server's pool has no connection in use.
func waitPoolIdle(t *testing.T, p *flexdbtest.Process) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		inUse := metric(t, p, "flexdb_db_pool_in_use_connections")
		if inUse == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool still has %v connections in use 30 s after the load stopped", inUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric reads one sample of the server's metrics by name (the first, whatever its labels).
func metric(t *testing.T, p *flexdbtest.Process, name string) float64 {
	t.Helper()
	v, err := p.Metric(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
