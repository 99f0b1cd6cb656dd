package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkPostgresStoreVsDriver measures what the store adds to the driver: the same statements, at 16
// concurrent callers, once through pgx alone and once through the store. The driver's rate is the
// ceiling any layer above it can reach on this machine.
func BenchmarkPostgresStoreVsDriver(b *testing.B) {
	ctx := context.Background()
	url := pgtest.URL(b)
	store, err := sqlstore.Open(ctx, sqlstore.Config{DatabaseURL: url, MaxConns: 32})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 32
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()

	at := time.Now().UTC().Truncate(time.Microsecond)
	tenant := &flexdb.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Slug: "bench", Name: "Bench", Status: flexdb.TenantActive, CreatedAt: at, UpdatedAt: at, Version: 1}
	nt := &flexdb.NodeType{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, Name: "T", Schema: "{}", CreatedAt: at, UpdatedAt: at, Version: 1}
	node := &flexdb.Node{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, NodeTypeID: nt.ID, Data: `{"n": 1}`, CreatedAt: at, UpdatedAt: at, Version: 1}
	for _, err := range []error{store.CreateTenant(ctx, tenant), store.CreateNodeType(ctx, nt), store.CreateNode(ctx, node, 1)} {
		if err != nil {
			b.Fatal(err)
		}
	}
	newNode := func() *flexdb.Node {
		n := *node
		n.ID = uuid.Must(uuid.NewV7()).String()
		return &n
	}

	parallel := func(b *testing.B, call func() error) {
		b.SetParallelism(8) // 16 callers on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	}
	b.Run("select/driver", func(b *testing.B) {
		parallel(b, func() error {
			var n flexdb.Node
			return pool.QueryRow(ctx, "SELECT tenant_id, id, node_type_id, data, created_at, updated_at, version FROM nodes WHERE tenant_id = $1 AND id = $2",
				tenant.ID, node.ID).Scan(&n.TenantID, &n.ID, &n.NodeTypeID, &n.Data, &n.CreatedAt, &n.UpdatedAt, &n.Version)
		})
	})
	b.Run("select/store", func(b *testing.B) {
		parallel(b, func() error { _, err := store.GetNode(ctx, tenant.ID, node.ID); return err })
	})
	b.Run("insert/driver", func(b *testing.B) {
		parallel(b, func() error {
			n := newNode()
			_, err := pool.Exec(ctx, `INSERT INTO nodes (tenant_id, id, node_type_id, data, created_at, updated_at, version)
				SELECT $1, $2, $3, $4, $5, $6, $7 FROM node_types WHERE tenant_id = $1 AND id = $3 AND version = $8`,
				n.TenantID, n.ID, n.NodeTypeID, n.Data, n.CreatedAt, n.UpdatedAt, n.Version, 1)
			return err
		})
	})
	b.Run("insert/store", func(b *testing.B) {
		parallel(b, func() error { return store.CreateNode(ctx, newNode(), 1) })
	})
}

// BenchmarkSQLiteCreateNodeSynchronous measures what durability costs on SQLite: CreateNode with every
// commit flushed to disk (full, the default) and with flushes left to checkpoints (normal). Run it with
// TMPDIR on a real disk: on tmpfs a flush costs nothing.
func BenchmarkSQLiteCreateNodeSynchronous(b *testing.B) {
	for _, sync := range []sqlstore.Synchronous{sqlstore.SynchronousFull, sqlstore.SynchronousNormal} {
		b.Run(string(sync), func(b *testing.B) {
			ctx := context.Background()
			store, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: b.TempDir(), SQLiteSynchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			if err := store.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			at := time.Now().UTC().Truncate(time.Microsecond)
			tenant := &flexdb.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Slug: "bench", Name: "Bench", Status: flexdb.TenantActive, CreatedAt: at, UpdatedAt: at, Version: 1}
			nt := &flexdb.NodeType{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, Name: "T", Schema: "{}", CreatedAt: at, UpdatedAt: at, Version: 1}
			for _, err := range []error{store.CreateTenant(ctx, tenant), store.CreateNodeType(ctx, nt)} {
				if err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				n := &flexdb.Node{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, NodeTypeID: nt.ID, Data: `{"n": 1}`, CreatedAt: at, UpdatedAt: at, Version: 1}
				if err := store.CreateNode(ctx, n, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
