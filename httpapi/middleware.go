package httpapi

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// cors answers preflight requests and marks responses for the configured origins.
func cors(origins string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			allowed[o] = true
		}
	}
	if len(allowed) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (allowed["*"] || allowed[origin]) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, ETag, Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id, If-Match")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// gzipped compresses responses for clients that accept gzip. Compression starts at the first byte of
// body, so empty responses (204) stay empty. Handlers that compress on their own (the docs assets,
// metrics) set Content-Encoding first and are passed through.
func gzipped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipResponse{ResponseWriter: w}
		defer gw.close()
		w.Header().Add("Vary", "Accept-Encoding")
		next.ServeHTTP(gw, r)
	})
}

// gzipResponse holds the status back until the first byte of body, so that it can tell whether there
// is anything to compress.
type gzipResponse struct {
	http.ResponseWriter
	zw      *gzip.Writer
	code    int  // status set by the handler, not yet sent
	started bool // headers sent
	plain   bool // sent without compression
}

func (g *gzipResponse) WriteHeader(code int) {
	if g.code == 0 {
		g.code = code
	}
}

func (g *gzipResponse) start(compress bool) {
	g.started = true
	if g.code == 0 {
		g.code = http.StatusOK
	}
	h := g.Header()
	g.plain = !compress || h.Get("Content-Encoding") != "" || g.code == http.StatusNoContent || g.code == http.StatusNotModified
	if !g.plain {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
	}
	g.ResponseWriter.WriteHeader(g.code)
}

func (g *gzipResponse) Write(b []byte) (int, error) {
	if !g.started {
		g.start(len(b) > 0)
	}
	if g.plain {
		return g.ResponseWriter.Write(b)
	}
	if g.zw == nil {
		g.zw = gzipWriters.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	return g.zw.Write(b)
}

func (g *gzipResponse) close() {
	if !g.started {
		g.start(false)
	}
	if g.zw != nil {
		g.zw.Close()
		gzipWriters.Put(g.zw)
	}
}

func (g *gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }
