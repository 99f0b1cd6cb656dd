package flexdbtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles cmd/flexdb into dir and returns the binary's path. It is for tests of what only a real
// process shows (a crash, a restart, its memory, its command line) and runs once per test binary, from
// TestMain, so it takes no testing.T.
func Build(dir string) (string, error) { return BuildCommand(dir, "./cmd/flexdb") }

// BuildCommand compiles the main package pkg (a path from the module root, such as ./bench/floor) into
// dir and returns the binary's path, named after the package's last element.
func BuildCommand(dir, pkg string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
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
	GRPC, HTTP, Metrics string // host:port, read back from the "serving" log line
	cmd                 *exec.Cmd
	exited              chan struct{}
	waitErr             error
	log                 boundedLog
}

// Run starts bin serve with args (on top of loopback ports chosen by the system, metrics included) and
// env (on top of this process's environment without FLEXDB_ variables), and waits until GET /health answers 200. The
// process is killed when the test ends, if it still runs.
func Run(t testing.TB, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{exited: make(chan struct{})}
	args = append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, args...)
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
			var l struct{ Msg, GRPC, HTTP, Metrics string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving" {
				p.GRPC, p.HTTP, p.Metrics = l.GRPC, l.HTTP, l.Metrics
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

// Log is what the process wrote to stdout and stderr so far: all of it, or for a long run its first
// and latest lines with what came between left out.
func (p *Process) Log() string { return p.log.String() }

// boundedLog keeps a child's output, up to its first logHead bytes (the start-up lines) and its latest
// logTail: a server logging every call for minutes writes hundreds of megabytes, which a test must
// neither hold nor copy, and which the child must not wait on a slow reader to write.
type boundedLog struct {
	mu      sync.Mutex
	head    []byte
	tail    []byte
	dropped int64
}

const logHead, logTail = 256 << 10, 1 << 20

func (b *boundedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if room := logHead - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	b.tail = append(b.tail, p...)
	if over := len(b.tail) - logTail; over > logTail { // cut at twice the size: a copy per logTail bytes written
		b.dropped += int64(over)
		b.tail = append(b.tail[:0], b.tail[over:]...)
	}
	return n, nil
}

func (b *boundedLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return string(b.head) + string(b.tail)
	}
	return fmt.Sprintf("%s\n... %d bytes left out ...\n%s", b.head, b.dropped, b.tail)
}

// Pid is the process's id, for reading what /proc says of it.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// CPUTime is the CPU time the process has used so far, user and system, over all its threads, from
// /proc/<pid>/stat (Linux; in clock ticks of 10 ms, USER_HZ being 100 on every Linux ABI).
func (p *Process) CPUTime() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are counted after its closing one.
	_, rest, ok := strings.Cut(string(stat), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %q", p.Pid(), stat)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime and stime, the stat's 14th and 15th fields
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", p.Pid(), err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// Metric reads one sample of the process's metrics (GET /metrics on its metrics listener) by name: the
// first one, whatever its labels.
func (p *Process) Metric(name string) (float64, error) {
	resp, err := http.Get("http://" + p.Metrics + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			fields := strings.Fields(rest)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", line, err)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("no %s in the metrics", name)
}

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
