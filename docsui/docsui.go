// Package docsui serves the API documentation pages over the server's OpenAPI document: Swagger UI
// at /docs and ReDoc at /redoc.
//
// Their JavaScript and CSS come from the npm packages swagger-ui-dist and redoc, at the exact versions
// pinned in package.json and package-lock.json beside this file, and are embedded in the binary (the
// embed directive) rather than loaded from a CDN. The server must work with no internet (a laptop, a
// test, an air-gapped network), a CDN would see every reader of the docs, and the docs a binary shows are then
// the ones it was built and tested with. For the same reason the pages name no web fonts and their
// Content-Security-Policy lets the browser fetch nothing but this server.
//
// assets/ holds the copied npm files and is committed; `make generate` (sync-assets.sh) rebuilds it
// byte for byte from the lock file. static/ holds the two small pages and their start-up scripts.
package docsui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Paths of the pages and of the assets they load.
const (
	SwaggerPath = "/docs"
	RedocPath   = "/redoc"
	// AssetsPath prefixes every asset URL; the segment after it is a hash of all embedded files, so
	// that an asset URL never changes content and can be cached for good.
	AssetsPath = "/docs/assets/"
)

// title is the page title of both pages.
const title = "flex-db API"

//go:embed assets static
var embedded embed.FS

// Register mounts Handler(specURL) on mux at /docs, /docs/ (and the assets under it) and /redoc, for
// GET and HEAD. The patterns carry a method so that they stay more specific than a catch-all "/" or
// "GET /" pattern of the same mux.
func Register(mux *http.ServeMux, specURL string) {
	h := Handler(specURL)
	mux.Handle("GET "+SwaggerPath, h)
	mux.Handle("GET "+SwaggerPath+"/", h)
	mux.Handle("GET "+RedocPath, h)
	mux.Handle("GET "+RedocPath+"/", h)
}

// Handler returns the handler of the documentation pages, both pointed at the OpenAPI document at
// specURL (such as "/openapi.json"; an absolute URL of another origin also works if that origin
// allows CORS). It answers the paths SwaggerPath, RedocPath (each with or without a trailing slash)
// and everything under AssetsPath, and 404 to any other path, so it can be mounted on those paths of
// any mux.
//
// Pages are sent with Cache-Control no-cache; assets with a year-long immutable cache, an ETag, and
// gzip when the client accepts it (the assets are 3.3 MB, 0.9 MB gzipped).
func Handler(specURL string) http.Handler {
	s := load()
	h := &handler{set: s}
	assets := AssetsPath + s.version
	data := struct{ Title, SpecURL, Assets string }{title, specURL, assets}
	h.swagger = newPage(render(s.swaggerPage, data))
	h.redoc = newPage(render(s.redocPage, data))
	h.csp = contentSecurityPolicy(specURL)
	return h
}

type handler struct {
	set            *assetSet
	swagger, redoc page
	csp            string
}

type page struct {
	body []byte
	etag string
}

func newPage(body []byte) page {
	sum := sha256.Sum256(body)
	return page{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == SwaggerPath || p == SwaggerPath+"/":
		h.page(w, r, h.swagger)
	case p == RedocPath || p == RedocPath+"/":
		h.page(w, r, h.redoc)
	case strings.HasPrefix(p, AssetsPath):
		h.asset(w, r, strings.TrimPrefix(p, AssetsPath))
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) page(w http.ResponseWriter, r *http.Request, p page) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("ETag", p.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(p.body))
}

// asset serves rest, which is "<version>/<name>". An old or unknown version is still served (a page
// of the previous release during a rolling deploy) but not cached for good.
func (h *handler) asset(w http.ResponseWriter, r *http.Request, rest string) {
	version, name, ok := strings.Cut(rest, "/")
	a := h.set.files[name]
	if !ok || a == nil {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	if version == h.set.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	body, etag := a.data, a.etag
	if a.compressible {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = a.gzipped(), a.etagGzip
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding lists gzip with a non-zero weight.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(params), "=")
		if strings.TrimSpace(k) != "q" {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q > 0
	}
	return false
}

// contentSecurityPolicy lets the pages load scripts, styles, images and fonts from this server only
// (data: images are inline icons), fetch the document and try requests out on this server (and on
// specURL's origin when it names another), and run ReDoc's search worker from a blob: URL. Inline
// styles are allowed because both UIs set style attributes from React; inline scripts are not.
func contentSecurityPolicy(specURL string) string {
	connect := "'self'"
	if u, err := url.Parse(specURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connect,
		"worker-src blob:",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'self'",
	}, "; ")
}

func render(t *template.Template, data any) []byte {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic("docsui: " + err.Error()) // the templates are embedded: only a broken build fails here
	}
	return b.Bytes()
}

// assetSet is everything embedded, read once per process.
type assetSet struct {
	version                string // hash of all assets, the cache-busting segment of their URLs
	files                  map[string]*asset
	swaggerPage, redocPage *template.Template
}

type asset struct {
	data           []byte
	contentType    string
	etag, etagGzip string
	compressible   bool

	gzipOnce sync.Once
	gz       []byte
}

// gzipped compresses the asset on first use, so a server that never shows its docs pays nothing.
func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(a.data)
		zw.Close()
		a.gz = b.Bytes()
	})
	return a.gz
}

var load = sync.OnceValue(func() *assetSet {
	s := &assetSet{files: map[string]*asset{}}
	// URL names: the npm files keep their assets/ layout (swagger-ui/…, redoc/…); the hand-written
	// scripts and CSS of static/ appear as docsui/….
	add := func(dir, prefix string) {
		err := fs.WalkDir(embedded, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".html") {
				return err
			}
			data, err := embedded.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			tag := hex.EncodeToString(sum[:12])
			ct, compressible := contentType(p)
			s.files[prefix+strings.TrimPrefix(p, dir+"/")] = &asset{
				data: data, contentType: ct, compressible: compressible && len(data) > 1024,
				etag: `"` + tag + `"`, etagGzip: `"` + tag + `-gz"`,
			}
			return nil
		})
		if err != nil {
			panic("docsui: " + err.Error())
		}
	}
	add("assets", "")
	add("static", "docsui/")

	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	all := sha256.New()
	for _, n := range names {
		all.Write([]byte(n + "\x00" + s.files[n].etag + "\x00"))
	}
	s.version = hex.EncodeToString(all.Sum(nil))[:12]

	s.swaggerPage = template.Must(template.ParseFS(embedded, "static/swagger.html"))
	s.redocPage = template.Must(template.ParseFS(embedded, "static/redoc.html"))
	return s
})

// contentType is set from a fixed table rather than the system's MIME database, which differs
// between machines. Files with no known extension are the licence texts (LICENSE, NOTICE).
func contentType(name string) (ct string, compressible bool) {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	default:
		return "text/plain; charset=utf-8", true
	}
}
