//go:build faults

package faults

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cluster is a PostgreSQL server of the test's own, in a temporary directory, so that the test can stop
// and start it without disturbing the shared server other tests use.
type cluster struct {
	bin, dir, port string
	asPostgres     bool // running as root: PostgreSQL refuses root, so its commands run as postgres
	URL            string
}

// newCluster initialises and starts a cluster; it is stopped and removed when the test ends. Without
// PostgreSQL's server programs the test skips, except under CI=true, where it fails.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	out, err := exec.Command("pg_config", "--bindir").Output()
	bin := strings.TrimSpace(string(out))
	if err != nil || !isExecutable(filepath.Join(bin, "initdb")) {
		msg := "PostgreSQL's server programs (pg_config --bindir, initdb, pg_ctl) are not installed; Debian: apt-get install postgresql"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "flexdb-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &cluster{bin: bin, dir: dir, port: freePort(t), asPostgres: os.Geteuid() == 0}
	if c.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.run(t, "initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable", c.port)
	c.Start(t)
	t.Cleanup(func() { c.pgctl(t, "stop", "-m", "immediate") })
	return c
}

// Start starts the server and returns once it accepts connections.
func (c *cluster) Start(t *testing.T) {
	t.Helper()
	c.pgctl(t, "start", "-l", filepath.Join(c.dir, "log"),
		"-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1", c.port, c.dir))
}

// Stop shuts the server down as an operator's restart does (fast: sessions are terminated).
func (c *cluster) Stop(t *testing.T) {
	t.Helper()
	c.pgctl(t, "stop", "-m", "fast")
}

func (c *cluster) pgctl(t *testing.T, args ...string) {
	t.Helper()
	c.run(t, "pg_ctl", append([]string{"-D", filepath.Join(c.dir, "data"), "-w", "-s"}, args...)...)
}

func (c *cluster) run(t *testing.T, program string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(c.bin, program), args...)
	if c.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, program)}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("%s %s: %v\n%s\n%s", program, strings.Join(args, " "), err, out, log)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
