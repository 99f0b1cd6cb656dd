//go:build unix

package docsui

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestPagesRenderInChromium loads both pages in headless Chromium, from a server on the loopback
// that also serves the real generated OpenAPI document, with every other host name unresolvable:
// the operations must appear in the rendered DOM, so nothing the pages need lies outside this
// server. Without Chromium the test skips, unless CI=true, where it fails (CI installs chromium).
func TestPagesRenderInChromium(t *testing.T) {
	browser := findChromium(t)
	spec, err := os.ReadFile("../httpapi/openapi.swagger.json")
	if err != nil {
		t.Fatalf("the OpenAPI document the pages show: %v", err)
	}

	var mu sync.Mutex
	requested := map[string]int{}
	mux := http.NewServeMux()
	Register(mux, "/openapi.json")
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(spec)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested[r.URL.Path]++
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	for _, tc := range []struct {
		page string
		want []string // in the DOM only once the UI has rendered the document
	}{
		{"/docs", []string{
			`id="operations-TenantService-TenantService_CreateTenant"`,
			`data-path="/tenants/{id}"`,
			`id="operations-RelationshipService-RelationshipService_ListRelationships"`,
		}},
		{"/redoc", []string{ // an operation's section, headed by its summary (the proto's comment)
			`id="operation/TenantService_CreateTenant"`,
			">/tenants/{id}<",
			`id="operation/RelationshipService_ListRelationships"`,
		}},
	} {
		t.Run(strings.TrimPrefix(tc.page, "/"), func(t *testing.T) {
			var dom, console string
			var missing []string
			// Virtual time runs only while the page is idle; a second, longer budget covers a slow
			// machine (the race detector, a busy CI) rather than flaking.
			for _, budget := range []string{"10000", "30000"} {
				dom, console = dumpDOM(t, browser, srv.URL+tc.page, budget)
				missing = missing[:0]
				for _, w := range tc.want {
					if !strings.Contains(dom, w) {
						missing = append(missing, w)
					}
				}
				if len(missing) == 0 {
					break
				}
			}
			if len(missing) > 0 {
				t.Fatalf("%s rendered without %q\nbrowser console:\n%s\nDOM (%d bytes):\n%.3000s", tc.page, missing, console, len(dom), dom)
			}
			// A script, style or fetch refused by the page's CSP is a page that half works. ReDoc's
			// side menu asks for a logo from its vendor's CDN: refusing that one is the point.
			for _, line := range strings.Split(console, "\n") {
				if strings.Contains(line, "Content Security Policy") && !strings.Contains(line, "img-src") {
					t.Errorf("CSP refused something the page needs: %s", line)
				}
			}
		})
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/openapi.json", "swagger-ui/swagger-ui-bundle.js", "redoc/redoc.standalone.js", "docsui/swagger-init.js", "docsui/redoc-init.js"} {
		if !strings.HasPrefix(p, "/") {
			p = AssetsPath + load().version + "/" + p
		}
		if requested[p] == 0 {
			t.Errorf("the browser never asked the server for %s; it asked for %v", p, requested)
		}
	}
}

// findChromium returns the browser's path, or skips the test (fails it when CI=true).
func findChromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH (set CHROMIUM, or apt-get install -y chromium): the docs pages are not tested in a browser"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// dumpDOM runs headless Chromium on url until budget milliseconds of virtual time have passed and
// returns the serialized DOM and the console messages. All host names but the loopback's fail to
// resolve, so neither the page nor the browser's own background services reach outside.
func dumpDOM(t *testing.T, browser, url, budget string) (dom, console string) {
	t.Helper()
	profile, err := os.MkdirTemp("", "docsui-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile) // not t.TempDir: a lingering helper process must not fail the test

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-quic", "--no-first-run", "--no-default-browser-check",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+profile,
		"--enable-logging=stderr", "--v=0",
		"--virtual-time-budget="+budget,
		"--dump-dom", url)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, tail(stderr.String(), 4000))
	}
	var lines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			lines = append(lines, l)
		}
	}
	return stdout.String(), strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
