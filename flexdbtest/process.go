package flexdbtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Build compiles cmd/flexdb into dir and returns the binary's path. It is for tests of what only a real
// process shows (a crash, a restart, its memory, its command line) and runs once per test binary, from
// TestMain, so it takes no testing.T.
func Build(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "flexdb")
	build := exec.Command("go", "build", "-o", bin, "./cmd/flexdb")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/flexdb: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod above the working directory (a test runs in its package's).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Process is `flexdb serve` running in a child process on free loopback ports.
type Process struct {
	GRPC, HTTP string // host:port, read back from the "serving" log line
	cmd        *exec.Cmd
	exited     chan struct{}
	waitErr    error
	log        LogBuffer
}

// Run starts bin serve with args (on top of loopback ports chosen by the system) and env (on top of
// this process's environment without FLEXDB_ variables), and waits until GET /health answers 200. The
// process is killed when the test ends, if it still runs.
func Run(t testing.TB, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{exited: make(chan struct{})}
	args = append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(CleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start flexdb: %v", err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Kill)

	deadline := time.Now().Add(time.Minute)
	for p.GRPC == "" {
		select {
		case <-p.exited:
			t.Fatalf("flexdb %s exited: %v\n%s", strings.Join(args, " "), p.waitErr, p.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("flexdb did not log \"serving\" within a minute:\n%s", p.Log())
		}
		for _, line := range strings.Split(p.Log(), "\n") {
			var l struct{ Msg, GRPC, HTTP string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving" {
				p.GRPC, p.HTTP = l.GRPC, l.HTTP
			}
		}
	}
	for {
		resp, err := http.Get("http://" + p.HTTP + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /health did not answer 200: %v\n%s", err, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CleanEnv is this process's environment without the variables that would change what flexdb does.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FLEXDB_") || k == "GRPC_ADDR" || k == "HTTP_ADDR" || k == "GOBIN" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Kill ends the process with SIGKILL, as a crash or the OOM killer would, and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Stop sends SIGTERM and waits up to timeout for the process to exit; it returns the exit error.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(timeout):
		return fmt.Errorf("flexdb still runs %s after SIGTERM", timeout)
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Log is everything the process wrote to stdout and stderr so far.
func (p *Process) Log() string { return string(p.log.Bytes()) }

// RSS is the process's resident memory in bytes, from /proc (Linux).
func (p *Process) RSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.cmd.Process.Pid)
}
