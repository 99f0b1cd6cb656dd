//go:build unix

// Package guides tests what the README and the guides in docs/ tell a reader to do, against the real
// flexdb binary, so that none of it can rot:
//
//   - scripts/walkthrough.sh holds every grpcurl and curl command of the README verbatim and runs them
//     against a server in development mode and one with authentication on;
//   - every ```bash block of docs/*.md runs, as written, one shell session per "## " section (SETUP.md
//     starts and stops its own servers; the other guides get one started here), every ```python block
//     runs with python3 and every ```javascript block with node; every ```go block must equal the file
//     named by the <!-- file: path --> line above it, and that file runs;
//   - a block under a <!-- not run: reason --> line is only listed in the log (Docker: what it says is
//     checked in the files instead).
//
// What the test changes in the guides' text before running it: the ports 50051, 5000, 50052 and 5001
// become free ports (SETUP.md's servers also get FLEXDB_GRPC_ADDR and FLEXDB_HTTP_ADDR on them), and the
// PostgreSQL URL postgres://postgres@127.0.0.1:5432/flexdb?sslmode=disable becomes a fresh schema of the
// test server (pgtest). The shell sessions run in a copy of the repository root made of symbolic links,
// with a ./data of their own, GOBIN in it, and grpcurl on PATH.
//
// Needs grpcurl (scripts/test-setup.sh installs it), python3 and node; without one of them the tests
// that need it skip with a message, except under CI=true, where missing grpcurl or python3 fails them.
package guides

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/pgtest"
)

var (
	root      string // the repository
	flexdbBin string // built once by TestMain
	workspace string // the repository root as the guides' shell sessions see it
	grpcurl   string // "" when not found
	setupErr  error
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "flexdb-guides-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	setupErr = setup(tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func setup(tmp string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root = filepath.Dir(wd)
	flexdbBin = filepath.Join(tmp, "bin", "flexdb")
	build := exec.Command("go", "build", "-o", flexdbBin, "./cmd/flexdb")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/flexdb: %v\n%s", err, out)
	}
	if workspace, err = shadow(filepath.Join(tmp, "ws")); err != nil {
		return err
	}
	grpcurl = findGrpcurl()
	return nil
}

// shadow makes dir a copy of the repository root made of symbolic links, without what a run makes or
// keeps there (data, .bin, .env, .git): the guides run in it as in a checkout, with a ./data of their own.
func shadow(dir string) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		switch e.Name() {
		case "data", ".bin", ".env", ".env.local", ".git", "bin":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func findGrpcurl() string {
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil || strings.TrimSpace(string(out)) == "" {
			continue
		}
		dir := strings.TrimSpace(string(out))
		if v == "GOPATH" {
			dir = filepath.Join(strings.Split(dir, string(os.PathListSeparator))[0], "bin")
		}
		if p := filepath.Join(dir, "grpcurl"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func ready(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// missing skips the test for want of a tool, or fails it under CI, where a skip would be a green run
// that tested nothing.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(what)
	}
	t.Skip(what)
}

func needGrpcurl(t *testing.T) {
	t.Helper()
	ready(t)
	if grpcurl == "" {
		missing(t, "grpcurl is not on PATH nor in $(go env GOPATH)/bin: run scripts/test-setup.sh "+
			"(go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4)")
	}
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		missing(t, "python3 is not on PATH; the guides' examples use it")
	}
}

// ---- the server -------------------------------------------------------------------------------------------

// server is flexdb serve in a child process (flexdbtest.Run), on free loopback ports.
type server = flexdbtest.Process

// start runs flexdb serve with its data in dataDir and waits for GET /health.
func start(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	ready(t)
	return flexdbtest.Run(t, flexdbBin, nil, append([]string{"--data-dir", dataDir}, args...)...)
}

// stop sends SIGTERM and checks a clean exit: status 0, and "drained" in the log, which the server
// writes only when every call finished within its grace period (it says "grace period over" when it
// had to cut some). The wait for the exit is generous, so that a loaded machine cannot fail the test.
func stop(t *testing.T, s *server, grace time.Duration) {
	t.Helper()
	if err := s.Stop(grace + time.Minute); err != nil {
		t.Fatalf("flexdb after SIGTERM: %v, want an exit with status 0:\n%s", err, s.Log())
	}
	if !strings.Contains(s.Log(), `"msg":"drained"`) {
		t.Errorf("flexdb's log does not say it drained within its grace period of %s:\n%s", grace, s.Log())
	}
}

// cleanEnv is this process's environment without the variables that would change what flexdb, the
// scripts or the guides do, and with extra.
func cleanEnv(extra ...string) []string { return append(flexdbtest.CleanEnv(), extra...) }

// ---- the command ------------------------------------------------------------------------------------------

// Development mode serves without authentication, so it must refuse any address but loopback.
func TestDevelopmentModeRefusesNonLoopback(t *testing.T) {
	ready(t)
	cases := []struct {
		name string
		args []string
		env  []string
	}{
		{"grpc on 0.0.0.0", []string{"--dev", "--grpc-addr", "0.0.0.0:0", "--http-addr", "127.0.0.1:0"}, nil},
		{"http on 0.0.0.0", []string{"--dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "0.0.0.0:0"}, nil},
		{"grpc on [::]", []string{"--dev", "--grpc-addr", "[::]:0", "--http-addr", "127.0.0.1:0"}, nil},
		{"variables", nil, []string{"FLEXDB_DEV=true", "FLEXDB_GRPC_ADDR=127.0.0.1:0", "FLEXDB_HTTP_ADDR=0.0.0.0:0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, flexdbBin, append([]string{"serve", "--data-dir", t.TempDir()}, c.args...)...)
			cmd.Env = cleanEnv(c.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("flexdb serve %v: %v, want a non-zero exit status\n%s", c.args, err, out)
			}
			if !strings.Contains(string(out), "loopback") {
				t.Errorf("the refusal does not mention loopback:\n%s", out)
			}
		})
	}
}

// Every setting of the configuration tables of the README and SETUP.md is a flag of flexdb serve.
func TestServeHelpListsTheDocumentedSettings(t *testing.T) {
	ready(t)
	out, err := exec.Command(flexdbBin, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("flexdb serve --help: %v\n%s", err, out)
	}
	var rows [][]string
	for _, doc := range []string{"README.md", "docs/SETUP.md"} {
		found := regexp.MustCompile("(?m)^\\| (`--[^|]*) \\| (`FLEXDB_[^|]*) \\|").FindAllStringSubmatch(read(t, filepath.Join(root, doc)), -1)
		if len(found) < 5 {
			t.Fatalf("found %d rows in the configuration table of %s", len(found), doc)
		}
		rows = append(rows, found...)
	}
	for _, row := range rows {
		for _, name := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(row[1]+row[2], -1) {
			if flag, ok := strings.CutPrefix(name[1], "--"); ok {
				if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(flag) + `\b`).Match(out) { // "  -grpc-addr string"
					t.Errorf("flexdb serve --help does not list %s", name[1])
				}
			} else if !strings.Contains(string(out), "["+name[1]+"]") {
				t.Errorf("flexdb serve --help does not name the variable %s", name[1])
			}
		}
	}
}

// ---- the walkthrough --------------------------------------------------------------------------------------

// scripts/walkthrough.sh holds every grpcurl and curl command of the README, character for character.
func TestWalkthroughHasTheREADMECommands(t *testing.T) {
	ready(t)
	script := read(t, filepath.Join(root, "scripts", "walkthrough.sh"))
	cmds := readmeCommands(read(t, filepath.Join(root, "README.md")))
	if len(cmds) < 14 {
		t.Fatalf("found only %d grpcurl and curl commands in the README:\n%s", len(cmds), strings.Join(cmds, "\n\n"))
	}
	for _, c := range cmds {
		if !strings.Contains(script, c) {
			t.Errorf("scripts/walkthrough.sh does not run this README command as written:\n%s", c)
		}
	}
}

// readmeCommands are the grpcurl and curl commands of the README's ```bash blocks, each with its
// continuation lines (a trailing backslash, or a quote still open).
func readmeCommands(md string) []string {
	var cmds []string
	for _, b := range parseMarkdown(md) {
		if b.lang != "bash" {
			continue
		}
		lines := strings.Split(strings.TrimRight(b.text, "\n"), "\n")
		for i := 0; i < len(lines); i++ {
			if !strings.HasPrefix(lines[i], "grpcurl ") && !strings.HasPrefix(lines[i], "curl ") {
				continue
			}
			cmd := lines[i]
			for (strings.HasSuffix(cmd, `\`) || strings.Count(cmd, "'")%2 == 1) && i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i]
			}
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

func walkthrough(t *testing.T, s *server, key string) (string, error) {
	t.Helper()
	env := cleanEnv("GRPC_ADDR="+s.GRPC, "HTTP_ADDR="+s.HTTP, "PATH="+filepath.Dir(grpcurl)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if key != "" {
		env = append(env, "FLEXDB_KEY="+key)
	}
	return runBash(t, root, env, "scripts/walkthrough.sh", 2*time.Minute)
}

// ---- development mode -------------------------------------------------------------------------------------

func TestDevelopmentMode(t *testing.T) {
	needGrpcurl(t)
	const grace = 5 * time.Second
	s := start(t, t.TempDir(), "--dev", "--shutdown-grace", grace.String())
	if !strings.Contains(s.Log(), "DEVELOPMENT MODE") {
		t.Errorf("development mode does not say so in the log:\n%s", s.Log())
	}

	t.Run("walkthrough", func(t *testing.T) {
		for run := 1; run <= 2; run++ { // a second run must pass too: slugs and emails are its own
			out, err := walkthrough(t, s, "")
			if err != nil || !strings.Contains(out, "walkthrough: OK") {
				t.Fatalf("run %d: %v\n%s", run, err, out)
			}
		}
	})
	t.Run("grpcurl describe shows the proto's comments", func(t *testing.T) {
		// A comment line right above the declaration: reflection serves the proto's documentation.
		cases := []struct{ name, symbol, declaration string }{
			{"a service", "dbaas.NodeService", `service NodeService \{`},
			{"an RPC", "dbaas.NodeService", `rpc CreateNode \(`},
			{"a field", "dbaas.CreateNodeRequest", `string data = 3;`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				out, err := exec.Command(grpcurl, "-plaintext", s.GRPC, "describe", tc.symbol).CombinedOutput()
				if err != nil {
					t.Fatalf("grpcurl describe %s: %v\n%s", tc.symbol, err, out)
				}
				if !regexp.MustCompile(`//[^\n]*\S[^\n]*\n\s*` + tc.declaration).Match(out) {
					t.Errorf("grpcurl describe %s shows no comment above %s:\n%s", tc.symbol, tc.declaration, out)
				}
			})
		}
	})
	guides := []string{"INSOMNIA_GUIDE.md", "CLIENT_INTEGRATION.md"}
	for _, g := range guides {
		t.Run(g, func(t *testing.T) { runGuide(t, g, s, "") })
	}

	t.Run("SIGTERM", func(t *testing.T) { stop(t, s, grace) })
}

// ---- authentication on ------------------------------------------------------------------------------------

func TestAuthenticatedMode(t *testing.T) {
	needGrpcurl(t)
	dataDir := t.TempDir()
	s := start(t, dataDir)

	b, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil {
		t.Fatalf("no admin key in the data directory: %v", err)
	}
	admin := strings.TrimSpace(string(b))
	if fi, _ := os.Stat(filepath.Join(dataDir, "admin.key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.key has mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(s.Log(), admin) {
		t.Errorf("the first start does not print the admin key:\n%s", s.Log())
	}

	t.Run("walkthrough with the admin key", func(t *testing.T) {
		out, err := walkthrough(t, s, admin)
		if err != nil || !strings.Contains(out, "walkthrough: OK") {
			t.Fatalf("%v\n%s", err, out)
		}
		if strings.Contains(out, admin) {
			t.Errorf("the walkthrough shows the key")
		}
	})

	t.Run("walkthrough without a key fails", func(t *testing.T) {
		out, err := walkthrough(t, s, "")
		if err == nil {
			t.Fatalf("the walkthrough passed without a key against a server with authentication on:\n%s", out)
		}
		if !strings.Contains(out, "FAILED: CreateTenant") || !strings.Contains(out, "Unauthenticated") {
			t.Errorf("the walkthrough should stop at CreateTenant, Unauthenticated:\n%s", out)
		}
	})

	t.Run("metrics on their own port only", func(t *testing.T) {
		for _, c := range []struct {
			url    string
			status int
		}{{"http://" + s.Metrics + "/metrics", http.StatusOK}, {"http://" + s.HTTP + "/metrics", http.StatusNotFound}} {
			resp, err := http.Get(c.url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || (c.status == http.StatusOK) != strings.Contains(string(body), "flexdb_db_pool_open_connections") {
				t.Errorf("GET %s: %d, want %d, with the metrics only on the metrics port: %.200s", c.url, resp.StatusCode, c.status, body)
			}
		}
	})

	// What the benchmarks (bench/) read of a server process: its CPU time from /proc and its own metrics.
	t.Run("cost read back from the process", func(t *testing.T) {
		if cpu, err := s.CPUTime(); err != nil || cpu <= 0 {
			t.Errorf("CPUTime after the walkthrough: %v, %v; want some CPU time", cpu, err)
		}
		if n, err := s.Metric("go_memstats_mallocs_total"); err != nil || n <= 0 {
			t.Errorf("Metric(go_memstats_mallocs_total): %v, %v; want a positive count", n, err)
		}
		if n, err := s.Metric("go_memstats_mallocs"); err == nil {
			t.Errorf("Metric(go_memstats_mallocs) = %v, want an error: a name is matched whole, not as a prefix", n)
		}
	})

	t.Run("tenant key", func(t *testing.T) {
		base := "http://" + s.HTTP
		code, tenant := call(t, "POST", base+"/tenants", admin, `{"slug": "keyed", "name": "Keyed"}`)
		if code != http.StatusCreated {
			t.Fatalf("POST /tenants: %d %v", code, tenant)
		}
		id := tenant["tenant"].(map[string]any)["id"].(string)
		code, key := call(t, "POST", base+"/tenants/"+id+"/api-keys", admin, `{"name": "app", "role": "member"}`)
		if code != http.StatusCreated {
			t.Fatalf("POST /tenants/%s/api-keys: %d %v", id, code, key)
		}
		secret := key["secret"].(string)
		if code, who := call(t, "GET", base+"/whoami", secret, ""); code != 200 || who["kind"] != "key" || who["tenant_id"] != id || who["role"] != "member" {
			t.Errorf("GET /whoami with the tenant key: %d %v", code, who)
		}
		if code, body := call(t, "GET", base+"/tenants/"+id+"/nodes", secret, ""); code != 200 {
			t.Errorf("a member's key lists its tenant's nodes: %d %v", code, body)
		}
		if code, body := call(t, "GET", base+"/tenants", secret, ""); code != http.StatusForbidden || body["code"] != "PERMISSION_DENIED" {
			t.Errorf("a tenant key lists all tenants: %d %v", code, body)
		}
		if code, body := call(t, "GET", base+"/tenants", "", ""); code != http.StatusUnauthorized || body["code"] != "UNAUTHENTICATED" {
			t.Errorf("no key: %d %v", code, body)
		}
		// JSON-RPC answers its errors with HTTP 200 (INSOMNIA_GUIDE.md, CLIENT_INTEGRATION.md).
		code, rpc := call(t, "POST", base+"/jsonrpc", "", `{"jsonrpc": "2.0", "method": "list_tenants", "params": {}, "id": 1}`)
		if e, _ := rpc["error"].(map[string]any); code != 200 || e == nil || e["code"] != float64(-32005) {
			t.Errorf("JSON-RPC without a key: %d %v", code, rpc)
		}
		// gRPC with the tenant key, as the README writes it.
		out, err := exec.Command(grpcurl, "-plaintext", "-H", "authorization: Bearer "+secret, "-d", `{"tenant_id": "`+id+`"}`,
			s.GRPC, "dbaas.NodeService/ListNodes").CombinedOutput()
		if err != nil {
			t.Errorf("grpcurl ListNodes with the tenant key: %v\n%s", err, out)
		}
	})

	for _, g := range []string{"INSOMNIA_GUIDE.md", "CLIENT_INTEGRATION.md"} {
		t.Run(g, func(t *testing.T) { runGuide(t, g, s, admin) })
	}

	t.Run("restart keeps the key and prints it no more", func(t *testing.T) {
		stop(t, s, 15*time.Second)
		again := start(t, dataDir)
		if strings.Contains(again.Log(), admin) {
			t.Errorf("the second start prints the admin key again:\n%s", again.Log())
		}
		if code, who := call(t, "GET", "http://"+again.HTTP+"/whoami", admin, ""); code != 200 || who["kind"] != "admin" {
			t.Errorf("GET /whoami with the admin key after a restart: %d %v", code, who)
		}
		stop(t, again, 15*time.Second)
	})
}

func call(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, v
}

// ---- SETUP.md, which starts its own servers ---------------------------------------------------------------

func TestSetupGuide(t *testing.T) {
	needGrpcurl(t)
	if err := os.RemoveAll(filepath.Join(workspace, "data")); err != nil { // a new checkout's, each time
		t.Fatal(err)
	}
	runGuide(t, "SETUP.md", nil, "")
}

// The Docker Compose section is not run (it needs a Docker daemon), and the make targets SETUP.md
// names are the README's: what the guide says of them is checked here.
func TestSetupGuideClaims(t *testing.T) {
	ready(t)
	makefile := read(t, filepath.Join(root, "Makefile"))
	for _, want := range []string{"\nrun:\n\tgo run ./cmd/flexdb serve --dev\n", "\nBIN := $(CURDIR)/.bin\n", "\nbuild:\n\tCGO_ENABLED=0 go build -o $(BIN)/flexdb ./cmd/flexdb\n"} {
		if !strings.Contains(makefile, want) {
			t.Errorf("the Makefile has no %q, which docs/SETUP.md relies on (make run, make build)", want)
		}
	}
	compose := read(t, filepath.Join(root, "docker-compose.yml"))
	dockerfile := read(t, filepath.Join(root, "Dockerfile"))
	for _, want := range []string{"\n  postgres:\n", "image: postgres:15", "\n  flexdb:\n", "build: .", "FLEXDB_DATABASE_URL: postgres://",
		`"50051:50051"`, `"5000:5000"`, "\n  pgdata:"} {
		if !strings.Contains(compose, want) {
			t.Errorf("docker-compose.yml has no %q, which docs/SETUP.md relies on", want)
		}
	}
	flexdbService := compose[strings.Index(compose, "\n  flexdb:\n")+1:]
	if end := regexp.MustCompile(`\n\S`).FindStringIndex(flexdbService); end != nil {
		flexdbService = flexdbService[:end[0]] // up to the next top-level key
	}
	if !strings.Contains(flexdbService, "FLEXDB_ADMIN_KEY: ${FLEXDB_ADMIN_KEY:-}") || strings.Contains(flexdbService, "FLEXDB_DEV") {
		t.Errorf("docker-compose.yml's flexdb service no longer passes FLEXDB_ADMIN_KEY through, or sets FLEXDB_DEV: update docs/SETUP.md")
	}
	if !strings.Contains(flexdbService, "- flexdata:/data") {
		t.Errorf("docker-compose.yml's flexdb service no longer keeps /data on a volume: update what docs/SETUP.md says of /data/admin.key")
	}
	for _, want := range []string{"ENV FLEXDB_DATA_DIR=/data", `CMD ["serve"]`, "distroless/static", "USER 65532"} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile has no %q, which docs/SETUP.md relies on", want)
		}
	}
}

// ---- running a guide --------------------------------------------------------------------------------------

type block struct {
	lang, text, section string
	file                string // <!-- file: path -->
	notRun              string // <!-- not run: why -->
}

func parseMarkdown(md string) []block {
	var blocks []block
	var cur *block
	section, file, notRun := "", "", ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		case strings.HasPrefix(line, "```"):
			cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), section: section, file: file, notRun: notRun}
			file, notRun = "", ""
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		case strings.HasPrefix(line, "<!-- file: "):
			file = strings.TrimSuffix(strings.TrimPrefix(line, "<!-- file: "), " -->")
		case strings.HasPrefix(line, "<!-- not run: "):
			notRun = strings.TrimSuffix(strings.TrimPrefix(line, "<!-- not run: "), " -->")
		case strings.TrimSpace(line) != "":
			file, notRun = "", "" // a marker holds for the block right below it only
		}
	}
	return blocks
}

// expected: what each section's output must show (regular expressions), keyed by guide and section.
// Those marked nodeOnly are the output of a javascript block, run only where node is installed.
var expected = map[string]map[string][]string{
	"SETUP.md": {
		"Install": {`Usage: flexdb serve`, `\[FLEXDB_DATABASE_URL\]`},
		"Development mode: SQLite, no authentication": {`DEVELOPMENT MODE`, `walkthrough: OK`, `"msg":"drained"`},
		"Authentication: the admin key and tenant keys": {
			`platform admin key \(shown once`, `"kind": ?"admin"`, `"kind": ?"key"`, `"role": ?"admin"`, `"name": ?"Task"`,
			`PERMISSION_DENIED`, `UNAUTHENTICATED`, `"msg":"drained"`},
		"PostgreSQL":                          {`"engine":"postgres"`, `walkthrough: OK`, `"msg":"drained"`},
		"Several instances on one PostgreSQL": {`(?s)walkthrough: OK.*walkthrough: OK`, `"total_count": ?([5-9]|[1-9][0-9]+)\b`, `(?s)"msg":"drained".*"msg":"drained"`},
	},
	"INSOMNIA_GUIDE.md": {
		"Before you start":                        {`"status": ?"ok"`},
		"gRPC, through server reflection":         {`dbaas.RelationshipService`, `rpc CreateTenant`, `"tenants"`},
		"REST, by importing the OpenAPI document": {`"tenants"`},
		"JSON-RPC, as plain POST requests":        {`"result":\{"tenants"`, `"openrpc"`},
	},
	"CLIENT_INTEGRATION.md": {
		"Go, over gRPC": {`calling as: (development|admin)`, `relationship: .* depends_on`, `node: .*Write the client`,
			`node: .*Ship it`, `data/title: `},
		"curl, over REST": {`"name": ?"Note"`, `"node_types": ?\[`, `NOT_FOUND`},
		"JSON-RPC, from any language": {`node .* Call flex-db from Python`, `expected: -32001`,
			nodeOnly + `tenant .* js-`, nodeOnly + `batch answer 2 \[ 'tenants', 'pagination' \]`},
	},
}

const nodeOnly = "[node] "

// runGuide runs docs/<name>'s blocks. With s, the guide talks to that server (50051 and 5000 are its
// ports) with key in FLEXDB_KEY; without, the guide starts its own servers on free ports.
func runGuide(t *testing.T, name string, s *server, key string) {
	t.Helper()
	needGrpcurl(t)
	blocks := parseMarkdown(read(t, filepath.Join(root, "docs", name)))
	want := expected[name]

	ports := map[string]string{}
	if s != nil {
		ports["50051"], ports["5000"] = port(s.GRPC), port(s.HTTP)
	} else {
		for _, p := range []string{"50051", "5000", "50052", "5001"} {
			ports[p] = freePort(t)
		}
	}
	portRE := regexp.MustCompile(`:(50051|50052|5000|5001)\b`)
	substitute := func(text, pgURL string) string {
		text = portRE.ReplaceAllStringFunc(text, func(m string) string {
			if p, ok := ports[m[1:]]; ok {
				return ":" + p
			}
			return m
		})
		if pgURL != "" {
			text = strings.ReplaceAll(text, pgGuideURL, pgURL)
		}
		return text
	}
	env := cleanEnv(
		"PATH="+strings.Join([]string{filepath.Join(workspace, "bin"), filepath.Dir(grpcurl), os.Getenv("PATH")}, string(os.PathListSeparator)),
		"GOBIN="+filepath.Join(workspace, "bin"),
		"FLEXDB_GRPC_ADDR=127.0.0.1:"+ports["50051"], "FLEXDB_HTTP_ADDR=127.0.0.1:"+ports["5000"],
		"FLEXDB_METRICS_ADDR=127.0.0.1:0", // servers of the guides run side by side
		"GRPC_ADDR=localhost:"+ports["50051"], "HTTP_ADDR=localhost:"+ports["5000"],
	)
	if key != "" {
		env = append(env, "FLEXDB_KEY="+key)
	}

	var sections []string
	bySection := map[string][]block{}
	for _, b := range blocks {
		switch {
		case b.notRun != "":
			t.Logf("%s, %q: a %s block is not run (%s):\n%s", name, b.section, b.lang, b.notRun, b.text)
			continue
		case b.lang == "go":
			if b.file == "" {
				t.Errorf("%s, %q: a go block must name its file (<!-- file: path -->) so that it is compiled and run", name, b.section)
			} else if got := read(t, filepath.Join(root, b.file)); got != b.text {
				t.Errorf("%s, %q: the go block differs from %s; paste the file into the guide again", name, b.section, b.file)
			}
			continue
		case b.lang == "bash" || b.lang == "python" || b.lang == "javascript":
		case b.lang == "sh" || b.lang == "shell" || b.lang == "console" || b.lang == "zsh":
			t.Errorf("%s, %q: shell commands go in ```bash blocks, which this test runs", name, b.section)
			continue
		default:
			continue // text, JSON: not code
		}
		if len(bySection[b.section]) == 0 {
			sections = append(sections, b.section)
		}
		bySection[b.section] = append(bySection[b.section], b)
	}
	for section := range want {
		if len(bySection[section]) == 0 {
			t.Errorf("%s has no section %q with code, which this test expects", name, section)
		}
	}

	for _, section := range sections {
		t.Run(section, func(t *testing.T) {
			var script strings.Builder
			var pgURL string
			for _, b := range bySection[section] {
				if strings.Contains(b.text, pgGuideURL) && pgURL == "" {
					pgURL = pgtest.URL(t) // skips without PostgreSQL (fails under CI)
				}
				if strings.Contains(b.text, "python3") || b.lang == "python" {
					needPython(t)
				}
			}
			var out strings.Builder
			ranNode := false
			for i, b := range bySection[section] {
				text := substitute(b.text, pgURL)
				switch b.lang {
				case "bash":
					script.WriteString(text)
				case "python":
					o, err := runFile(t, env, fmt.Sprintf("block%d.py", i), text, "python3")
					out.WriteString(o)
					if err != nil {
						t.Fatalf("the python block failed: %v\n%s\n---\n%s", err, text, o)
					}
				case "javascript":
					if _, err := exec.LookPath("node"); err != nil {
						t.Logf("node is not on PATH: the javascript block is not run")
						continue
					}
					ranNode = true
					o, err := runFile(t, env, fmt.Sprintf("block%d.mjs", i), text, "node")
					out.WriteString(o)
					if err != nil {
						t.Fatalf("the javascript block failed: %v\n%s\n---\n%s", err, text, o)
					}
				}
			}
			if script.Len() > 0 {
				o, err := runBash(t, workspace, env, "set -eo pipefail\n"+script.String(), 5*time.Minute)
				out.WriteString(o)
				if err != nil {
					t.Fatalf("the shell session failed: %v\n--- script:\n%s\n--- output:\n%s", err, script.String(), o)
				}
			}
			t.Logf("output:\n%s", out.String())
			for _, re := range want[section] {
				re, forNode := strings.CutPrefix(re, nodeOnly)
				if forNode && !ranNode {
					continue
				}
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("the output does not match %s:\n%s", re, out.String())
				}
			}
			if name == "INSOMNIA_GUIDE.md" && strings.HasPrefix(section, "REST") {
				checkOpenAPI(t, filepath.Join(workspace, "flexdb-openapi.json"))
			}
		})
	}
}

// pgGuideURL is the PostgreSQL URL the guides use; the test puts a schema of its own in its place.
const pgGuideURL = "postgres://postgres@127.0.0.1:5432/flexdb?sslmode=disable"

// checkOpenAPI checks what INSOMNIA_GUIDE.md says of the document Insomnia imports.
func checkOpenAPI(t *testing.T, path string) {
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Servers []any          `json:"servers"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(read(t, path)), &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("the OpenAPI document is not OpenAPI 3.1 (openapi=%q): update INSOMNIA_GUIDE.md", doc.OpenAPI)
	}
	if len(doc.Servers) > 0 {
		t.Errorf("the OpenAPI document now names servers (%v): update INSOMNIA_GUIDE.md", doc.Servers)
	}
	for _, p := range []string{"/tenants", "/tenants/{tenant_id}/nodes", "/jsonrpc"} {
		if doc.Paths[p] == nil {
			t.Errorf("the OpenAPI document has no path %s", p)
		}
	}
}

// runBash runs script in dir in a process group of its own. Whatever the script leaves running (a
// server it did not stop) fails the test and is killed.
func runBash(t *testing.T, dir string, env []string, script string, timeout time.Duration) (string, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		syscall.Kill(-pgid, syscall.SIGKILL)
		err = fmt.Errorf("still running after %s: %v", timeout, <-done)
	}
	if syscall.Kill(-pgid, 0) == nil {
		t.Errorf("the script left processes running:\n%s", script)
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

func runFile(t *testing.T, env []string, name, text, interpreter string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, interpreter, path)
	cmd.Dir, cmd.Env = workspace, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func port(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		panic(err)
	}
	return p
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
