package docsui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const specURL = "/openapi.json"

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// refs are the URLs a page loads or links to.
var refs = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)

func TestPagesAreHTMLAndLoadOnlyLocalAssets(t *testing.T) {
	h := Handler(specURL)
	for _, tc := range []struct {
		path    string
		scripts []string // asset names the page must load
	}{
		{"/docs", []string{"swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui-standalone-preset.js", "swagger-ui/swagger-ui.css", "docsui/swagger-init.js"}},
		{"/docs/", []string{"swagger-ui/swagger-ui-bundle.js"}},
		{"/redoc", []string{"redoc/redoc.standalone.js", "docsui/redoc-init.js"}},
		{"/redoc/", []string{"redoc/redoc.standalone.js"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tc.path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", tc.path, rec.Code, rec.Body)
			}
			hd := rec.Header()
			if ct := hd.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := hd.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q", cc)
			}
			if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			body := rec.Body.String()
			if !strings.Contains(body, `data-spec-url="/openapi.json"`) {
				t.Errorf("page does not point at %s:\n%s", specURL, body)
			}
			if strings.Contains(body, "http:") || strings.Contains(body, "https:") || strings.Contains(body, `"//`) {
				t.Errorf("page names an external URL:\n%s", body)
			}
			if strings.Contains(strings.ReplaceAll(body, `<script src=`, ""), "<script") {
				t.Errorf("page has an inline script (the CSP forbids it):\n%s", body)
			}
			loaded := map[string]bool{}
			for _, m := range refs.FindAllStringSubmatch(body, -1) {
				ref := m[1]
				if ref == "data:," || ref == specURL {
					continue
				}
				if !strings.HasPrefix(ref, AssetsPath) {
					t.Errorf("page references %q, outside %s", ref, AssetsPath)
					continue
				}
				_, name, _ := strings.Cut(strings.TrimPrefix(ref, AssetsPath), "/")
				loaded[name] = true
				if a := get(t, h, http.MethodGet, ref, nil); a.Code != http.StatusOK {
					t.Errorf("GET %s: %d", ref, a.Code)
				}
			}
			for _, s := range tc.scripts {
				if !loaded[s] {
					t.Errorf("page does not load %s; it loads %v", s, loaded)
				}
			}
		})
	}
}

func TestEveryAssetIsServedWithItsTypeAndCacheHeaders(t *testing.T) {
	h := Handler(specURL)
	v := load().version
	want := map[string]string{
		"swagger-ui/swagger-ui.css":                              "text/css; charset=utf-8",
		"swagger-ui/swagger-ui-bundle.js":                        "text/javascript; charset=utf-8",
		"swagger-ui/swagger-ui-standalone-preset.js":             "text/javascript; charset=utf-8",
		"swagger-ui/swagger-ui-bundle.js.LICENSE.txt":            "text/plain; charset=utf-8",
		"swagger-ui/swagger-ui-standalone-preset.js.LICENSE.txt": "text/plain; charset=utf-8",
		"swagger-ui/LICENSE":                                     "text/plain; charset=utf-8",
		"swagger-ui/NOTICE":                                      "text/plain; charset=utf-8",
		"redoc/redoc.standalone.js":                              "text/javascript; charset=utf-8",
		"redoc/redoc.standalone.js.LICENSE.txt":                  "text/plain; charset=utf-8",
		"redoc/LICENSE":                                          "text/plain; charset=utf-8",
		"docsui/docsui.css":                                      "text/css; charset=utf-8",
		"docsui/swagger-init.js":                                 "text/javascript; charset=utf-8",
		"docsui/redoc-init.js":                                   "text/javascript; charset=utf-8",
	}
	var served []string
	for name := range load().files {
		served = append(served, name)
	}
	sort.Strings(served)
	if len(served) != len(want) {
		t.Errorf("embedded assets %v, want exactly %d (keep assets/ to the files the pages need and the licences)", served, len(want))
	}
	for name, ct := range want {
		a := load().files[name]
		if a == nil {
			t.Errorf("%s is not embedded", name)
			continue
		}
		url := AssetsPath + v + "/" + name
		rec := get(t, h, http.MethodGet, url, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d", url, rec.Code)
			continue
		}
		hd := rec.Header()
		if got := hd.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ct)
		}
		if got := hd.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("ETag") == "" || hd.Get("Content-Encoding") != "" {
			t.Errorf("%s: headers %v", name, hd)
		}
		if !bytes.Equal(rec.Body.Bytes(), a.data) {
			t.Errorf("%s: body differs from the embedded file", name)
		}
		// A revalidation with the ETag costs no body.
		if rec := get(t, h, http.MethodGet, url, map[string]string{"If-None-Match": hd.Get("ETag")}); rec.Code != http.StatusNotModified {
			t.Errorf("%s: If-None-Match answered %d", name, rec.Code)
		}
	}
}

func TestBigAssetsAreGzipped(t *testing.T) {
	h := Handler(specURL)
	name := "swagger-ui/swagger-ui-bundle.js"
	url := AssetsPath + load().version + "/" + name
	rec := get(t, h, http.MethodGet, url, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("GET %s with gzip: %d %v", url, rec.Code, rec.Header())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, load().files[name].data) {
		t.Fatalf("gunzipped body differs from the embedded file (err %v)", err)
	}
	if etag := rec.Header().Get("ETag"); etag == load().files[name].etag {
		t.Errorf("gzip and identity share the ETag %s", etag)
	}
	if rec := get(t, h, http.MethodGet, url, map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got %q", rec.Header().Get("Content-Encoding"))
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	h := Handler(specURL)
	v := load().version
	for _, tc := range []struct {
		method, path string
		code         int
		cache        string
	}{
		{http.MethodHead, "/docs", http.StatusOK, "no-cache"},
		{http.MethodHead, AssetsPath + v + "/redoc/redoc.standalone.js", http.StatusOK, "public, max-age=31536000, immutable"},
		// A page of another build still gets its assets, just not cached for good.
		{http.MethodGet, AssetsPath + "0123456789ab/redoc/redoc.standalone.js", http.StatusOK, "no-cache"},
		{http.MethodGet, AssetsPath + v + "/redoc/redoc.standalone.js.map", http.StatusNotFound, ""},
		{http.MethodGet, AssetsPath + v + "/../docsui.go", http.StatusNotFound, ""},
		{http.MethodGet, AssetsPath + v + "/docsui/swagger.html", http.StatusNotFound, ""},
		{http.MethodGet, AssetsPath + "redoc/redoc.standalone.js", http.StatusNotFound, ""},
		{http.MethodGet, AssetsPath, http.StatusNotFound, ""},
		{http.MethodGet, "/docsx", http.StatusNotFound, ""},
		{http.MethodGet, "/elsewhere", http.StatusNotFound, ""},
		{http.MethodPost, "/docs", http.StatusMethodNotAllowed, ""},
	} {
		rec := get(t, h, tc.method, tc.path, nil)
		if rec.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.code)
		}
		if tc.cache != "" && rec.Header().Get("Cache-Control") != tc.cache {
			t.Errorf("%s %s: Cache-Control %q, want %q", tc.method, tc.path, rec.Header().Get("Cache-Control"), tc.cache)
		}
		if tc.method == http.MethodHead && rec.Body.Len() != 0 {
			t.Errorf("HEAD %s has a body", tc.path)
		}
	}
}

func TestSpecURLIsEscapedAndWidensConnectSrc(t *testing.T) {
	h := Handler(`/x"><script>alert(1)</script>`)
	body := get(t, h, http.MethodGet, "/redoc", nil).Body.String()
	if strings.Contains(body, "<script>alert") {
		t.Errorf("spec URL not escaped:\n%s", body)
	}
	h = Handler("javascript:alert(1)")
	if body := get(t, h, http.MethodGet, "/docs", nil).Body.String(); strings.Contains(body, `="javascript:`) {
		t.Errorf("javascript: spec URL kept:\n%s", body)
	}
	h = Handler("https://api.example.test:8443/openapi.json")
	csp := get(t, h, http.MethodGet, "/docs", nil).Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://api.example.test:8443;") {
		t.Errorf("CSP %q does not let the page fetch the document", csp)
	}
}

func TestRegisterBesideACatchAll(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "catch-all", http.StatusTeapot) })
	Register(mux, specURL) // panics if its patterns conflict with the catch-all
	for path, code := range map[string]int{
		"/docs": 200, "/docs/": 200, "/redoc": 200, "/redoc/": 200,
		AssetsPath + load().version + "/docsui/redoc-init.js": 200,
		"/docs/nothing": 404, "/health": http.StatusTeapot,
	} {
		if rec := get(t, mux, http.MethodGet, path, nil); rec.Code != code {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, code)
		}
	}
}

// TestHandWrittenFilesNameNoExternalURL: the pages and their scripts must work with no internet.
func TestHandWrittenFilesNameNoExternalURL(t *testing.T) {
	err := fs.WalkDir(embedded, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := embedded.ReadFile(p)
		if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).Find(data); m != nil {
			t.Errorf("%s names %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAssetsMatchPinnedVersions catches a version bumped in package.json whose assets were not
// regenerated (make generate), or a lock file left behind.
func TestAssetsMatchPinnedVersions(t *testing.T) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	for file, v := range map[string]any{"package.json": &pkg, "package-lock.json": &lock} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	bundles := map[string]string{"swagger-ui-dist": "swagger-ui/swagger-ui-bundle.js", "redoc": "redoc/redoc.standalone.js"}
	if len(pkg.Dependencies) != len(bundles) {
		t.Errorf("package.json dependencies %v, want exactly %v", pkg.Dependencies, bundles)
	}
	for name, bundle := range bundles {
		v := pkg.Dependencies[name]
		if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("package.json pins %s at %q, not an exact version", name, v)
			continue
		}
		if got := lock.Packages["node_modules/"+name].Version; got != v {
			t.Errorf("package-lock.json has %s %q, package.json %q: run npm install --prefix docsui", name, got, v)
		}
		if !bytes.Contains(load().files[bundle].data, []byte(`"`+v+`"`)) {
			t.Errorf("assets/%s is not %s %s: run make generate", bundle, name, v)
		}
	}
}
