package service_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
)

// countingStore is a real store that counts the reads an update can avoid.
type countingStore struct {
	service.Store
	getNode, getNodeType atomic.Int64
}

func (c *countingStore) GetNode(ctx context.Context, tenantID, id string) (*flexdb.Node, error) {
	c.getNode.Add(1)
	return c.Store.GetNode(ctx, tenantID, id)
}

func (c *countingStore) GetNodeType(ctx context.Context, tenantID, id string) (*flexdb.NodeType, error) {
	c.getNodeType.Add(1)
	return c.Store.GetNodeType(ctx, tenantID, id)
}

// Writes of nodes are one statement each once the service has seen the node and its type: the
// schema and the node's type come from caches that the statement itself checks.
func TestNodeWritesAreOneStatement(t *testing.T) {
	ctx := flexdb.WithPrincipal(t.Context(), flexdb.Principal{Kind: flexdb.PrincipalAdmin})
	st, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: st}
	svc := service.New(store, service.DefaultLimits)
	tenant, err := svc.CreateTenant(ctx, "rt", "Round trips")
	if err != nil {
		t.Fatal(err)
	}
	nt, err := svc.CreateNodeType(ctx, tenant.ID, "Task", "", `{"type": "object", "properties": {"n": {"type": "integer"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.CreateNode(ctx, tenant.ID, nt.ID, `{"n": 1}`)
	if err != nil {
		t.Fatal(err)
	}

	reads := func() (int64, int64) { return store.getNode.Swap(0), store.getNodeType.Swap(0) }
	reads()
	cases := []struct {
		name              string
		svc               *service.Service
		write             func(svc *service.Service) error
		wantNode, wantTyp int64
	}{
		{"a create of a known type reads nothing", svc, func(svc *service.Service) error {
			_, err := svc.CreateNode(ctx, tenant.ID, nt.ID, `{"n": 2}`)
			return err
		}, 0, 0},
		{"an update of a node created here reads nothing", svc, func(svc *service.Service) error {
			_, err := svc.UpdateNode(ctx, tenant.ID, first.ID, `{"n": 3}`, "", 0)
			return err
		}, 0, 0},
		{"another instance reads the node and the type once", service.New(store, service.DefaultLimits), func(svc *service.Service) error {
			_, err := svc.UpdateNode(ctx, tenant.ID, first.ID, `{"n": 4}`, "", 0)
			return err
		}, 1, 1},
		{"an update with no data reads nothing: the statement keeps the row's data", service.New(store, service.DefaultLimits), func(svc *service.Service) error {
			_, err := svc.UpdateNode(ctx, tenant.ID, first.ID, "", "", 0)
			return err
		}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.write(c.svc); err != nil {
				t.Fatal(err)
			}
			if node, typ := reads(); node != c.wantNode || typ != c.wantTyp {
				t.Fatalf("%d node reads and %d node type reads, want %d and %d", node, typ, c.wantNode, c.wantTyp)
			}
		})
	}

	t.Run("an update of a node deleted since is NotFound, and the deleted node left the cache", func(t *testing.T) {
		if err := svc.DeleteNode(ctx, tenant.ID, first.ID, 0); err != nil {
			t.Fatal(err)
		}
		reads()
		if _, err := svc.UpdateNode(ctx, tenant.ID, first.ID, `{"n": 5}`, "", 0); flexdb.CodeOf(err) != flexdb.NotFound {
			t.Fatalf("got %v, want NotFound", err)
		}
		// The cache no longer knows the node, so the update looks for it (and finds none): a cache of
		// every node ever written would grow without bound under create-and-delete load.
		if node, typ := reads(); node != 1 || typ != 0 {
			t.Fatalf("%d node reads and %d node type reads, want 1 and 0", node, typ)
		}
	})
	t.Run("a changed schema is read again and applies", func(t *testing.T) {
		second, err := svc.CreateNode(ctx, tenant.ID, nt.ID, `{"n": 6}`)
		if err != nil {
			t.Fatal(err)
		}
		other := service.New(store, service.DefaultLimits) // another instance changes the schema
		if _, err := other.UpdateNodeType(ctx, service.NodeTypeUpdate{TenantID: tenant.ID, ID: nt.ID,
			Schema: `{"type": "object", "properties": {"n": {"type": "string"}}}`}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateNode(ctx, tenant.ID, second.ID, `{"n": 7}`, "", 0); flexdb.CodeOf(err) != flexdb.InvalidArgument {
			t.Fatalf("data breaking the new schema: got %v, want InvalidArgument", err)
		}
		if _, err := svc.UpdateNode(ctx, tenant.ID, second.ID, `{"n": "seven"}`, "", 0); err != nil {
			t.Fatalf("data fitting the new schema: %v", err)
		}
	})
}
