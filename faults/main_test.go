//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/sqlstore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// flexdb is the binary under test, built once.
var flexdb string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flexdb-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	flexdb, err = flexdbtest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// storeArgs are the flags that point flexdb serve at an engine's database.
func storeArgs(cfg sqlstore.Config) []string {
	if cfg.DatabaseURL != "" {
		return []string{"--database-url", cfg.DatabaseURL}
	}
	return []string{"--data-dir", cfg.DataDir}
}

// client is a gRPC connection to a process, closed when the test ends.
type client struct {
	conn          *grpc.ClientConn
	tenants       dbaaspb.TenantServiceClient
	nodeTypes     dbaaspb.NodeTypeServiceClient
	nodes         dbaaspb.NodeServiceClient
	relationships dbaaspb.RelationshipServiceClient
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("gRPC client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &client{
		conn:          conn,
		tenants:       dbaaspb.NewTenantServiceClient(conn),
		nodeTypes:     dbaaspb.NewNodeTypeServiceClient(conn),
		nodes:         dbaaspb.NewNodeServiceClient(conn),
		relationships: dbaaspb.NewRelationshipServiceClient(conn),
	}
}

// fixture is one tenant with one node type, made through the API.
type fixture struct{ tenant, nodeType string }

func newFixture(t testing.TB, c *client) fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := c.tenants.CreateTenant(ctx, &dbaaspb.CreateTenantRequest{Slug: fmt.Sprintf("faults-%d", time.Now().UnixNano()), Name: "Faults"})
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	nt, err := c.nodeTypes.CreateNodeType(ctx, &dbaaspb.CreateNodeTypeRequest{
		TenantId: tr.Tenant.Id, Name: "Item",
		Schema: `{"type": "object", "properties": {"writer": {"type": "integer"}, "n": {"type": "integer"}}}`,
	})
	if err != nil {
		t.Fatalf("create node type: %v", err)
	}
	return fixture{tenant: tr.Tenant.Id, nodeType: nt.NodeType.Id}
}
