//go:build unix

package docsui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/flexdb/flexdb/docsui"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/sqlstore"
)

// TestPagesWorkInChromium drives headless Chromium, with every host name but the loopback's
// unresolvable, against a real server with authentication on: in Swagger UI it signs in through the
// Authorize dialog with the admin key and runs GET /whoami with "Try it out" and "Execute", which must
// reach the server with the key and show its 200; ReDoc must render the operations. So nothing either
// page needs lies outside this server. Without Chromium the test skips, unless CI=true, where it fails.
func TestPagesWorkInChromium(t *testing.T) {
	browser := findChromium(t)
	srv := flexdbtest.Start(t, sqlstore.Config{DataDir: t.TempDir()}, flexdbtest.Options{})

	var mu sync.Mutex
	requested := map[string]int{}
	var whoami []string // "<Authorization> <status>" of each GET /whoami
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		srv.Handler.ServeHTTP(rec, r)
		mu.Lock()
		defer mu.Unlock()
		requested[r.URL.Path]++
		if r.URL.Path == "/whoami" {
			whoami = append(whoami, fmt.Sprintf("%s %d", r.Header.Get("Authorization"), rec.status))
		}
	}))
	defer web.Close()

	ctx, console := newBrowser(t, browser)

	t.Run("swagger-ui", func(t *testing.T) {
		const op = `#operations-KeyService-KeyService_WhoAmI`
		err := chromedp.Do(ctx,
			chromedp.Navigate(web.URL+docsui.SwaggerPath),
			chromedp.WaitVisible(css(op)),
			chromedp.Click(css(`.auth-wrapper button.authorize`)),
			chromedp.WaitVisible(css(`.modal-ux input[aria-label="auth-bearer-value"]`)),
			chromedp.SendKeys(css(`.modal-ux input[aria-label="auth-bearer-value"]`), srv.AdminKey),
			chromedp.Click(css(`.modal-ux .auth-btn-wrapper button[type="submit"]`)),
			chromedp.WaitVisible(css(`.modal-ux button.btn-done`)),
			chromedp.Click(css(`.modal-ux button.btn-done`)),
			chromedp.WaitNotPresent(css(`.modal-ux`)),
			chromedp.Click(css(op+` .opblock-summary-control`)),
			chromedp.WaitVisible(css(op+` .try-out__btn`)),
			chromedp.Click(css(op+` .try-out__btn`)),
			chromedp.WaitVisible(css(op+` .execute`)),
			chromedp.Click(css(op+` .execute`)),
			chromedp.WaitVisible(css(op+` .live-responses-table tr.response .response-col_status`)),
		)
		var status, body string
		if err == nil {
			status, err = chromedp.Run(ctx, chromedp.Text(css(op+` .live-responses-table tr.response .response-col_status`)))
		}
		if err == nil {
			body, err = chromedp.Run(ctx, chromedp.Text(css(op+` .live-responses-table tr.response .response-col_description`)))
		}
		if err != nil {
			t.Fatalf("Swagger UI: %v\nbrowser console:\n%s", err, console())
		}
		if strings.TrimSpace(status) != "200" || !strings.Contains(body, `"kind"`) {
			t.Errorf("Execute on GET /whoami shows %q %q; want 200 and the caller", status, body)
		}
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"Bearer " + srv.AdminKey + " 200"}; fmt.Sprint(whoami) != fmt.Sprint(want) {
			t.Errorf("the server saw GET /whoami as %q; want it once, with the key entered in Authorize, answered 200", whoami)
		}
	})

	t.Run("redoc", func(t *testing.T) {
		err := chromedp.Do(ctx,
			chromedp.Navigate(web.URL+docsui.RedocPath),
			chromedp.WaitVisible(css(`[id="tag/RelationshipService/operation/RelationshipService_ListRelationships"]`)),
		)
		var dom string
		if err == nil {
			dom, err = chromedp.Run(ctx, chromedp.OuterHTML(css("html")))
		}
		if err != nil {
			t.Fatalf("ReDoc: %v\nbrowser console:\n%s", err, console())
		}
		for _, want := range []string{`id="tag/TenantService/operation/TenantService_CreateTenant"`, ">/tenants/{id}<", ">/jsonrpc<"} {
			if !strings.Contains(dom, want) {
				t.Errorf("ReDoc rendered without %q", want)
			}
		}
	})

	// A script, style or fetch refused by the page's CSP is a page that half works. ReDoc's side menu
	// asks for a logo from its vendor's CDN: refusing that one is the point.
	for _, line := range strings.Split(console(), "\n") {
		if strings.Contains(line, "Content Security Policy") && !strings.Contains(line, "img-src") {
			t.Errorf("CSP refused something the page needs: %s", line)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/openapi.json", "/swagger-ui/swagger-ui-bundle.js", "/redoc/redoc.standalone.js", "/docsui/swagger-init.js", "/docsui/redoc-init.js"} {
		asked := requested[p] > 0
		for path, n := range requested {
			asked = asked || n > 0 && strings.HasPrefix(path, docsui.AssetsPath) && strings.HasSuffix(path, p)
		}
		if !asked {
			t.Errorf("the browser never asked the server for %s; it asked for %v", p, requested)
		}
	}
}

func css(selector string) chromedp.CSS { return chromedp.CSS(selector) }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// newBrowser starts headless Chromium for the test (stopped when it ends) and returns a tab and what
// the pages logged so far. All host names but the loopback's fail to resolve, so neither the pages nor
// the browser's own background services reach outside.
func newBrowser(t *testing.T, browser string) (context.Context, func() string) {
	t.Helper()
	profile, err := os.MkdirTemp("", "docsui-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: a helper process still writing there must not fail the test.
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 2000),
	)
	// A bound for a stuck browser, generous for a slow machine (the race detector, a busy CI).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)

	var mu sync.Mutex
	var lines []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, m.String())
			mu.Unlock()
		}
	}()
	return ctx, func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, "\n")
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
