//go:build faults

package faults

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	_ "modernc.org/sqlite"
)

// acked is what the server said it stored: node and relationship ids with the data it answered.
type acked struct {
	mu            sync.Mutex
	nodes         map[string]string
	relationships map[string]string
	refused       []error   // answers that are neither success nor a retryable fault
	last          time.Time // when the latest node was acknowledged
}

func newAcked() *acked {
	return &acked{nodes: map[string]string{}, relationships: map[string]string{}}
}

// lastAck is when the latest node was acknowledged.
func (a *acked) lastAck() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// write makes nodes (and every fourth one a relationship from the writer's previous node) until ctx
// ends, recording what was acknowledged. While the server or its database is away the only other answer
// allowed is UNAVAILABLE (try again); anything else is kept in refused, unless it came because ctx ended.
func (a *acked) write(ctx context.Context, c *client, fx fixture, writer int) {
	prev := ""
	for n := 0; ctx.Err() == nil; n++ {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		nr, err := c.nodes.CreateNode(callCtx, &dbaaspb.CreateNodeRequest{
			TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: fmt.Sprintf(`{"writer": %d, "n": %d}`, writer, n),
		})
		if err == nil {
			a.mu.Lock()
			a.nodes[nr.Node.Id] = nr.Node.Data
			a.last = time.Now()
			a.mu.Unlock()
			if prev != "" && n%4 == 0 {
				rr, rerr := c.relationships.CreateRelationship(callCtx, &dbaaspb.CreateRelationshipRequest{
					TenantId: fx.tenant, SourceNodeId: prev, TargetNodeId: nr.Node.Id, RelationshipType: "next",
					Data: fmt.Sprintf(`{"writer": %d}`, writer),
				})
				err = rerr
				if rerr == nil {
					a.mu.Lock()
					a.relationships[rr.Relationship.Id] = rr.Relationship.Data
					a.mu.Unlock()
				}
			}
			prev = nr.Node.Id
		}
		cancel()
		if ctx.Err() == nil {
			a.check(err)
		}
		if err != nil && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond) // the server is away: do not spin
		}
	}
}

// check keeps err in refused unless it is nil or UNAVAILABLE.
func (a *acked) check(err error) {
	if err == nil || status.Code(err) == codes.Unavailable {
		return
	}
	a.mu.Lock()
	a.refused = append(a.refused, err)
	a.mu.Unlock()
}

// writeFor runs writers concurrent writers until stop is closed.
func (a *acked) writeFor(c *client, fx fixture, writers int, stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); a.write(ctx, c, fx, w) }()
	}
	<-stop
	cancel()
	wg.Wait()
}

// checkRefused fails the test for every answer that was neither success nor UNAVAILABLE.
func (a *acked) checkRefused(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, err := range a.refused {
		if i == 10 {
			t.Errorf("... and %d more", len(a.refused)-10)
			break
		}
		t.Errorf("a write answered %v, want success or UNAVAILABLE", err)
	}
}

// verify reads every acknowledged write back, 16 at a time, and fails the test for any that is missing
// or differs.
func (a *acked) verify(t *testing.T, c *client, fx fixture) {
	t.Helper()
	a.mu.Lock()
	type item struct {
		id, data string
		node     bool
	}
	var items []item
	for id, data := range a.nodes {
		items = append(items, item{id, data, true})
	}
	for id, data := range a.relationships {
		items = append(items, item{id, data, false})
	}
	a.mu.Unlock()

	work := make(chan item)
	var mu sync.Mutex
	var lost []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				var data string
				var err error
				if it.node {
					var r *dbaaspb.GetNodeResponse
					if r, err = c.nodes.GetNode(ctx, &dbaaspb.GetNodeRequest{TenantId: fx.tenant, Id: it.id}); err == nil {
						data = r.Node.Data
					}
				} else {
					var r *dbaaspb.GetRelationshipResponse
					if r, err = c.relationships.GetRelationship(ctx, &dbaaspb.GetRelationshipRequest{TenantId: fx.tenant, Id: it.id}); err == nil {
						data = r.Relationship.Data
					}
				}
				cancel()
				if err != nil || data != it.data {
					mu.Lock()
					lost = append(lost, fmt.Sprintf("%s: read %q, %v; acknowledged %q", it.id, data, err, it.data))
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range items {
		work <- it
	}
	close(work)
	wg.Wait()
	for i, l := range lost {
		if i == 10 {
			t.Errorf("... %d acknowledged writes lost in all", len(lost))
			break
		}
		t.Errorf("acknowledged write lost: %s", l)
	}
}

// checkIntegrity checks the stopped server's database: SQLite's own integrity and foreign key checks, or
// on PostgreSQL that no row has lost what its foreign keys promise.
func checkIntegrity(t *testing.T, cfg sqlstore.Config) {
	t.Helper()
	ctx := context.Background()
	if cfg.DatabaseURL == "" {
		db, err := sql.Open("sqlite", "file:"+cfg.DataDir+"/flexdb.sqlite?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var result string
		if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil || result != "ok" {
			t.Errorf("PRAGMA integrity_check: %q, %v", result, err)
		}
		rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if rows.Next() {
			t.Errorf("PRAGMA foreign_key_check found rows whose foreign keys are broken")
		}
		return
	}
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`SELECT count(*) FROM nodes n WHERE NOT EXISTS (SELECT 1 FROM node_types t WHERE t.tenant_id = n.tenant_id AND t.id = n.node_type_id)`,
		`SELECT count(*) FROM relationships r WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.tenant_id = r.tenant_id AND n.id = r.source_node_id)
		   OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.tenant_id = r.tenant_id AND n.id = r.target_node_id)`,
	} {
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows, %v", q, n, err)
		}
	}
}
