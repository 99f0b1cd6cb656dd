//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/sqlstore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestSQLiteDiskFull runs the server on a small filesystem of the test's own until the disk is full:
// writes then fail with a clear, retryable error, reads keep working, and once space is back writes work
// again; nothing acknowledged is lost and the database passes its integrity checks.
func TestSQLiteDiskFull(t *testing.T) {
	dir := smallFilesystem(t, 8<<20)
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	p := flexdbtest.Run(t, flexdb, nil, "--data-dir", data, "--dev", "--rate-limit", "0")
	c := dial(t, p.GRPC)
	fx := newFixture(t, c)
	a := newAcked()
	ctx := context.Background()
	doc := fmt.Sprintf(`{"n": 0, "text": %q}`, strings.Repeat("x", 16<<10))

	var full error
	for i := 0; full == nil; i++ {
		if i > 10000 {
			t.Fatal("10,000 writes of 16 KiB and the 8 MiB disk is not full")
		}
		r, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: doc})
		if err != nil {
			full = err
			break
		}
		a.nodes[r.Node.Id] = r.Node.Data
	}
	if status.Code(full) != codes.Unavailable || !strings.Contains(status.Convert(full).Message(), "full") {
		t.Errorf("a write on a full disk answered %v, want UNAVAILABLE saying the disk is full", full)
	}
	// Again, to see that the refusal is steady and the server did not fall over.
	if _, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: doc}); status.Code(err) != codes.Unavailable {
		t.Errorf("a second write on a full disk answered %v, want UNAVAILABLE", err)
	}
	a.verify(t, c, fx) // reads keep working
	if _, err := c.nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: fx.tenant, Pagination: &dbaaspb.Pagination{PageSize: 100}}); err != nil {
		t.Errorf("list on a full disk: %v", err)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	r, err := c.nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: fx.tenant, NodeTypeId: fx.nodeType, Data: doc})
	if err != nil {
		t.Fatalf("a write once space is back: %v", err)
	}
	a.nodes[r.Node.Id] = r.Node.Data
	a.verify(t, c, fx)
	if p.Exited() {
		t.Fatalf("the server exited:\n%s", p.Log())
	}
	if err := p.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v\n%s", err, p.Log())
	}
	checkIntegrity(t, sqlstore.Config{DataDir: data})
	t.Logf("disk full after %d nodes of 16 KiB: refused with %q; reads worked; writes worked again once space was back", len(a.nodes)-1, status.Convert(full).Message())
}

// smallFilesystem mounts a tmpfs of size bytes for the test and returns its directory. Mounting needs
// root; without it the test skips, except under CI=true, where it fails.
func smallFilesystem(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		msg := "a small filesystem for the disk-full case needs root (mount -t tmpfs)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "flexdb-faults-disk-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
		os.Remove(dir)
	})
	return dir
}
