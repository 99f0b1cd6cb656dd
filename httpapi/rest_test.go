package httpapi_test

// REST beyond what every protocol shares: statuses, query parameters, routing errors, content types,
// body limits, compression, CORS and request ids.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestRESTCreateAnswers201WithTheObject(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	r := s.postJSON(t, "/tenants", `{"slug": "acme", "name": "Acme"}`)
	if r.status != http.StatusCreated || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /tenants: %d %s %s, want 201 application/json", r.status, r.header.Get("Content-Type"), r.body)
	}
	if slug := field(decode(t, r.body), "tenant", "slug"); slug != "acme" {
		t.Errorf("POST /tenants answers %s, want {\"tenant\": {..., \"slug\": \"acme\"}}", r.body)
	}
}

func TestRESTDeleteAnswers204WithAnEmptyBody(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	for _, tc := range []struct {
		name     string
		encoding string
	}{
		{"plain", ""},
		{"when the client accepts gzip", "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodDelete, "/users/"+w.get("user"), "", nil, "Accept-Encoding", tc.encoding)
			delete(w.values, "user")
			if r.status != http.StatusNoContent || len(r.body) != 0 {
				t.Fatalf("DELETE: %d %q, want 204 and no body", r.status, r.body)
			}
			for _, h := range []string{"Content-Type", "Content-Encoding", "Content-Length"} {
				if v := r.header.Get(h); v != "" && !(h == "Content-Length" && v == "0") {
					t.Errorf("DELETE: 204 with %s: %s", h, v)
				}
			}
		})
	}
}

func TestRESTPagesWithPageSizeAndPageToken(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	for _, n := range []string{"node", "other_node", "relationship"} {
		w.get(n)
	}
	third := s.postJSON(t, "/tenants/"+w.get("tenant")+"/nodes", `{"node_type_id": "`+w.get("node_type")+`", "data": "{\"title\": \"third\"}"}`)
	want := []string{field(decode(t, third.body), "node", "id").(string), w.get("other_node"), w.get("node")} // newest first

	var got []string
	token, pages := "", 0
	for {
		path := "/tenants/" + w.get("tenant") + "/nodes?page_size=2"
		if token != "" {
			path += "&page_token=" + token
		}
		r := s.do(t, http.MethodGet, path, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var page struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
			Pagination struct {
				NextPageToken string `json:"next_page_token"`
				TotalCount    int    `json:"total_count"`
			} `json:"pagination"`
		}
		_ = json.Unmarshal(r.body, &page)
		if page.Pagination.TotalCount != 3 || len(page.Nodes) > 2 {
			t.Errorf("GET %s: %d nodes of %d, want at most 2 of 3", path, len(page.Nodes), page.Pagination.TotalCount)
		}
		for _, n := range page.Nodes {
			got = append(got, n.ID)
		}
		pages++
		if token = page.Pagination.NextPageToken; token == "" || pages > 3 {
			break
		}
	}
	if pages != 2 || !slices.Equal(got, want) {
		t.Errorf("pages of 2: %d pages holding %q, want 2 pages holding %q", pages, got, want)
	}
}

func TestRESTFiltersByQueryParameters(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	tenant := "/tenants/" + w.get("tenant")
	// A second type with a node, and a second relationship going back with another type.
	other := field(decode(t, s.postJSON(t, tenant+"/node-types", `{"name": "Note"}`).body), "node_type", "id").(string)
	note := field(decode(t, s.postJSON(t, tenant+"/nodes", `{"node_type_id": "`+other+`"}`).body), "node", "id").(string)
	back := field(decode(t, s.postJSON(t, tenant+"/relationships", `{"source_node_id": "`+w.get("other_node")+
		`", "target_node_id": "`+w.get("node")+`", "relationship_type": "answers"}`).body), "relationship", "id").(string)
	w.get("relationship")

	for _, tc := range []struct {
		name, path, list string
		want             []string
	}{
		{"nodes of a type", tenant + "/nodes?node_type_id=" + w.get("node_type"), "nodes", []string{w.get("node"), w.get("other_node")}},
		{"nodes of another type", tenant + "/nodes?node_type_id=" + other, "nodes", []string{note}},
		{"every node without a filter", tenant + "/nodes", "nodes", []string{w.get("node"), w.get("other_node"), note}},
		{"relationships from a node", tenant + "/relationships?source_node_id=" + w.get("node"), "relationships", []string{w.get("relationship")}},
		{"relationships to a node", tenant + "/relationships?target_node_id=" + w.get("node"), "relationships", []string{back}},
		{"relationships of a type", tenant + "/relationships?relationship_type=answers", "relationships", []string{back}},
		{"filters together", tenant + "/relationships?source_node_id=" + w.get("node") + "&relationship_type=answers", "relationships", nil},
		{"every relationship without a filter", tenant + "/relationships", "relationships", []string{w.get("relationship"), back}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodGet, tc.path, "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", tc.path, r.status, r.body)
			}
			var got []string
			items, _ := field(decode(t, r.body), tc.list).([]any)
			for _, it := range items {
				got = append(got, field(it, "id").(string))
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("GET %s: %q, want %q", tc.path, got, want)
			}
			if total := field(decode(t, r.body), "pagination", "total_count"); total != float64(len(tc.want)) {
				t.Errorf("GET %s: total_count %v, want %d", tc.path, total, len(tc.want))
			}
		})
	}
}

func TestRESTRoutingErrors(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	id := "0190f0a0-7b7c-7d1e-8f00-000000000000"
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
		allow        string // the Allow header of a 405
	}{
		{http.MethodPatch, "/tenants", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, POST"},
		{http.MethodDelete, "/tenants", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, POST"},
		{http.MethodPost, "/tenants/" + id, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "DELETE, GET, PUT"},
		{http.MethodPut, "/tenants/" + id + "/nodes", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, POST"},
		{http.MethodGet, "/tenants/" + id + "/users/" + id, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "DELETE"},
		{http.MethodGet, "/jsonrpc", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "POST"},
		{http.MethodPost, "/health", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, HEAD"},
		{http.MethodDelete, "/ready", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, HEAD"},
		{http.MethodGet, "/metrics", http.StatusNotFound, "NOT_FOUND", ""}, // on a listener of its own
		{http.MethodPut, "/openapi.json", http.StatusMethodNotAllowed, "UNIMPLEMENTED", "GET, HEAD"},
		{http.MethodGet, "/", http.StatusNotFound, "NOT_FOUND", ""},
		{http.MethodGet, "/nope", http.StatusNotFound, "NOT_FOUND", ""},
		{http.MethodPost, "/nope", http.StatusNotFound, "NOT_FOUND", ""},
		{http.MethodGet, "/tenants/" + id + "/widgets", http.StatusNotFound, "NOT_FOUND", ""},
		{http.MethodGet, "/tenants/" + id + "/nodes/" + id + "/extra", http.StatusNotFound, "NOT_FOUND", ""},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			r := s.do(t, tc.method, tc.path, "", nil)
			if r.status != tc.status || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s %s, want %d with a JSON body", r.status, r.header.Get("Content-Type"), r.body, tc.status)
			}
			if code := field(decode(t, r.body), "code"); code != tc.code {
				t.Errorf("code %v, want %s: %s", code, tc.code, r.body)
			}
			if tc.allow != "" && r.header.Get("Allow") != tc.allow {
				t.Errorf("Allow %q, want %q", r.header.Get("Allow"), tc.allow)
			}
		})
	}
}

func TestBodiesMustBeJSON(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	for _, tc := range []struct {
		name, contentType string
		status            int
	}{
		{"application/json", "application/json", http.StatusCreated},
		{"application/json with a charset", "application/json; charset=utf-8", http.StatusCreated},
		{"no content type", "", http.StatusUnsupportedMediaType},
		{"text/plain", "text/plain", http.StatusUnsupportedMediaType},
		{"a form", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"XML", "application/xml", http.StatusUnsupportedMediaType},
		{"a malformed content type", "application/json;;", http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, s)
			r := s.do(t, http.MethodPost, "/tenants", tc.contentType, []byte(`{"slug": "`+w.get("suffix")+`", "name": "x"}`))
			if r.status != tc.status {
				t.Errorf("REST: %d %s, want %d", r.status, r.body, tc.status)
			}
			call := `{"jsonrpc": "2.0", "method": "list_tenants", "id": 1}`
			want := http.StatusOK
			if tc.status == http.StatusUnsupportedMediaType {
				want = tc.status
			}
			if r := s.do(t, http.MethodPost, "/jsonrpc", tc.contentType, []byte(call)); r.status != want {
				t.Errorf("JSON-RPC: %d %s, want %d", r.status, r.body, want)
			}
		})
	}
}

func TestBodiesOverTheLimitGet413(t *testing.T) {
	const limit = 512
	s := start(t, sqlite(t), httpapiOptions(limit, ""))
	name := func(n int) string { return strings.Repeat("n", n) }
	// A body at the limit is read; one byte more is refused, whether its length is declared or not.
	atLimit := `{"slug": "at-limit", "name": "` + name(limit-len(`{"slug": "at-limit", "name": ""}`)) + `"}`
	over := atLimit[:len(atLimit)-2] + `n"}`
	rpcOver := `{"jsonrpc": "2.0", "method": "list_tenants", "params": {}, "id": "` + name(limit) + `"}`
	for _, tc := range []struct {
		name, path, body string
		chunked          bool
		status           int
	}{
		{"REST at the limit", "/tenants", atLimit, false, http.StatusBadRequest}, // read, then refused for its too-long name
		{"REST over the limit", "/tenants", over, false, http.StatusRequestEntityTooLarge},
		{"REST over the limit, chunked", "/tenants", over, true, http.StatusRequestEntityTooLarge},
		{"JSON-RPC over the limit", "/jsonrpc", rpcOver, false, http.StatusRequestEntityTooLarge},
		{"JSON-RPC over the limit, chunked", "/jsonrpc", rpcOver, true, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, _ := http.NewRequest(http.MethodPost, s.url+tc.path, body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", s.admin)
			r := s.send(t, req)
			if r.status != tc.status {
				t.Fatalf("%d bytes: %d %s, want %d", len(tc.body), r.status, r.body, tc.status)
			}
			if tc.status == http.StatusRequestEntityTooLarge && field(decode(t, r.body), "code") != "RESOURCE_EXHAUSTED" {
				t.Errorf("413 without a JSON error body: %s", r.body)
			}
		})
	}
}

func TestResponsesAreGzippedForClientsThatAcceptIt(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	newWorld(t, s).get("tenant")
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"REST", http.MethodGet, "/tenants", ""},
		{"REST error", http.MethodGet, "/nope", ""},
		{"JSON-RPC", http.MethodPost, "/jsonrpc", `{"jsonrpc": "2.0", "method": "list_tenants", "id": 1}`},
		{"OpenAPI", http.MethodGet, "/openapi.json", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			contentType := ""
			if tc.body != "" {
				body, contentType = []byte(tc.body), "application/json"
			}
			plain := s.do(t, tc.method, tc.path, contentType, body)
			zipped := s.do(t, tc.method, tc.path, contentType, body, "Accept-Encoding", "gzip")
			if plain.header.Get("Content-Encoding") != "" {
				t.Errorf("without Accept-Encoding: Content-Encoding %s", plain.header.Get("Content-Encoding"))
			}
			if zipped.header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("with Accept-Encoding: gzip: Content-Encoding %q, Vary %q", zipped.header.Get("Content-Encoding"), zipped.header.Get("Vary"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
			if err != nil {
				t.Fatalf("not gzip: %v", err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("not gzip: %v", err)
			}
			if zipped.status != plain.status || !sameJSON(string(unzipped), string(plain.body)) {
				t.Errorf("gzipped: %d %s\nplain: %d %s", zipped.status, unzipped, plain.status, plain.body)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	const origin = "https://app.example.com"
	s := start(t, sqlite(t), httpapiOptions(2<<20, origin+", https://admin.example.com"))
	preflight := func(from string) response {
		return s.do(t, http.MethodOptions, "/tenants", "", nil, "Authorization", "", "Origin", from,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
	}
	t.Run("a preflight from a configured origin is answered", func(t *testing.T) {
		r := preflight(origin)
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin {
			t.Fatalf("%d, Allow-Origin %q: want 204 allowing %s", r.status, h.Get("Access-Control-Allow-Origin"), origin)
		}
		for header, want := range map[string][]string{
			"Access-Control-Allow-Methods": {"GET", "POST", "PUT", "DELETE"},
			"Access-Control-Allow-Headers": {"authorization", "content-type", "x-request-id", "if-match"},
		} {
			for _, v := range want {
				if !strings.Contains(strings.ToLower(h.Get(header)), strings.ToLower(v)) {
					t.Errorf("%s: %q, want %s in it", header, h.Get(header), v)
				}
			}
		}
		if !strings.Contains(h.Get("Vary"), "Origin") {
			t.Errorf("Vary %q, want Origin in it", h.Get("Vary"))
		}
	})
	t.Run("a preflight from another origin is not allowed", func(t *testing.T) {
		if r := preflight("https://evil.example.com"); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("Access-Control-Allow-Origin %q for an origin not configured", r.header.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("a call from a configured origin may read the response and its request id", func(t *testing.T) {
		r := s.do(t, http.MethodGet, "/tenants", "", nil, "Origin", origin)
		if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("%d, Allow-Origin %q, Expose-Headers %q", r.status, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Expose-Headers"))
		}
	})
	t.Run("a call without an origin gets no CORS headers", func(t *testing.T) {
		if r := s.do(t, http.MethodGet, "/tenants", "", nil); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestRequestIDsAreEchoed(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	rpc := []byte(`{"jsonrpc": "2.0", "method": "list_tenants", "id": 1}`)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		sent               string
		echoed             bool // else a new id is made
	}{
		{"REST, the client's", http.MethodGet, "/tenants", nil, "req-42", true},
		{"REST, none sent", http.MethodGet, "/tenants", nil, "", false},
		{"REST, too long to keep", http.MethodGet, "/tenants", nil, strings.Repeat("x", 200), false},
		{"REST, with an error", http.MethodGet, "/tenants/bad", nil, "req-43", true},
		{"JSON-RPC, the client's", http.MethodPost, "/jsonrpc", rpc, "req-44", true},
		{"JSON-RPC, none sent", http.MethodPost, "/jsonrpc", rpc, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			contentType := ""
			if tc.body != nil {
				contentType = "application/json"
			}
			r := s.do(t, tc.method, tc.path, contentType, tc.body, "X-Request-Id", tc.sent)
			got := r.header.Values("X-Request-Id")
			switch {
			case len(got) != 1:
				t.Errorf("X-Request-Id %q, want one", got)
			case tc.echoed && got[0] != tc.sent:
				t.Errorf("X-Request-Id %q, want %q echoed", got[0], tc.sent)
			case !tc.echoed && (got[0] == tc.sent || anyUUID.FindString(got[0]) != got[0]):
				t.Errorf("X-Request-Id %q, want a new UUID", got[0])
			}
		})
	}
}

// Query parameters are the request's fields, by proto or JSON name; anything else is refused, as an
// unknown body field is, rather than silently ignored.
func TestRESTQueryParameters(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	nodes := "/tenants/" + w.get("tenant") + "/nodes"
	cases := []struct {
		name, query string
		want        int
	}{
		{"the original's short page size", "?page_size=1", http.StatusOK},
		{"the page size by its field path", "?pagination.page_size=1", http.StatusOK},
		{"the page size by its JSON name", "?pagination.pageSize=1", http.StatusOK},
		{"a filter", "?node_type_id=" + w.get("node_type"), http.StatusOK},
		{"a misspelt page size", "?page_sise=1", http.StatusBadRequest},
		{"a misspelt filter", "?node_type=" + w.get("node_type"), http.StatusBadRequest},
		{"a path beyond a scalar", "?node_type_id.x=1", http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(t, http.MethodGet, nodes+c.query, "", nil)
			if r.status != c.want {
				t.Fatalf("GET %s: %d %s, want %d", c.query, r.status, r.body, c.want)
			}
			if c.want == http.StatusBadRequest && !strings.Contains(string(r.body), "unknown query parameter") {
				t.Fatalf("GET %s: %s, want it to name the unknown parameter", c.query, r.body)
			}
		})
	}
}

// A role's name is free text, so REST carries it percent-encoded in the path: a name with a space, a
// percent sign, a question mark or a hash is reachable by GET, PUT and DELETE like any other. A slash is
// refused when the role is defined, since no path could name it.
func TestRESTRoleNamesArePercentEncodedInThePath(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	tenant := w.get("tenant")
	for _, name := range []string{"on call", "50% off", "who?", "#1", "a+b"} {
		t.Run(name, func(t *testing.T) {
			if r := s.postJSON(t, "/tenants/"+tenant+"/roles", fmt.Sprintf(`{"name": %q, "permissions": ["nodes.read"]}`, name)); r.status != http.StatusCreated {
				t.Fatalf("POST role: %d %s", r.status, r.body)
			}
			path := "/tenants/" + tenant + "/roles/" + url.PathEscape(name)
			if r := s.do(t, http.MethodGet, path, "", nil); r.status != http.StatusOK || field(decode(t, r.body), "role", "name") != name {
				t.Fatalf("GET %s: %d %s, want 200 with the role %q", path, r.status, r.body, name)
			}
			if r := s.do(t, http.MethodPut, path, "application/json", []byte(`{"permissions": ["nodes.read", "nodes.write"]}`)); r.status != http.StatusOK {
				t.Fatalf("PUT %s: %d %s, want 200", path, r.status, r.body)
			}
			if r := s.do(t, http.MethodDelete, path, "", nil); r.status != http.StatusNoContent {
				t.Fatalf("DELETE %s: %d %s, want 204", path, r.status, r.body)
			}
		})
	}
	t.Run("a name with a slash is refused", func(t *testing.T) {
		r := s.postJSON(t, "/tenants/"+tenant+"/roles", `{"name": "team/leads", "permissions": ["nodes.read"]}`)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"field":"name"`) || !strings.Contains(string(r.body), `must not contain \"/\"`) {
			t.Fatalf("POST a role named team/leads: %d %s, want 400 naming the field and the slash", r.status, r.body)
		}
	})
}

// PATCH takes an RFC 7396 merge patch as its body, as application/merge-patch+json or application/json:
// members merge into the document as it is, null removes one, If-Match guards it like PUT; the
// patched document is checked against the type's schema.
func TestRESTPatchMergesIntoTheDocument(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	w := newWorld(t, s)
	node := "/tenants/" + w.get("tenant") + "/nodes/" + w.get("node") // {"title": "first"}
	rel := "/tenants/" + w.get("tenant") + "/relationships/" + w.get("relationship")
	steps := []struct {
		name, path, contentType, body string
		ifMatch                       string
		status                        int
		data                          string // the document after, as stored; "" when not checked
	}{
		{"a member added, as a merge patch", node, "application/merge-patch+json", `{"tags": ["a"], "meta": {"x": 1, "y": 2}}`, "", http.StatusOK,
			`{"meta": {"x": 1, "y": 2}, "tags": ["a"], "title": "first"}`},
		{"objects merge, null removes, arrays are replaced", node, "application/json", `{"meta": {"x": null, "z": 3}, "tags": ["b", "c"]}`, "", http.StatusOK,
			`{"meta": {"y": 2, "z": 3}, "tags": ["b", "c"], "title": "first"}`},
		{"If-Match the current version", node, "application/merge-patch+json", `{"title": "second"}`, `"3"`, http.StatusOK,
			`{"meta": {"y": 2, "z": 3}, "tags": ["b", "c"], "title": "second"}`},
		{"If-Match an old version changes nothing", node, "application/merge-patch+json", `{"title": "third"}`, `"1"`, http.StatusPreconditionFailed, ""},
		{"a patch that breaks the schema changes nothing", node, "application/merge-patch+json", `{"title": 5}`, "", http.StatusBadRequest, ""},
		{"a patch that is no JSON object", node, "application/merge-patch+json", `[1, 2]`, "", http.StatusBadRequest, ""},
		{"a body of another media type", node, "text/plain", `{"title": "x"}`, "", http.StatusUnsupportedMediaType, ""},
		{"a relationship's data", rel, "application/merge-patch+json", `{"weight": null, "since": 2020}`, "", http.StatusOK, `{"since": 2020}`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			headers := []string{}
			if st.ifMatch != "" {
				headers = append(headers, "If-Match", st.ifMatch)
			}
			r := s.do(t, http.MethodPatch, st.path, st.contentType, []byte(st.body), headers...)
			if r.status != st.status {
				t.Fatalf("PATCH %s: %d %s, want %d", st.body, r.status, r.body, st.status)
			}
			if st.data == "" {
				return
			}
			item := "node"
			if st.path == rel {
				item = "relationship"
			}
			if got := field(decode(t, r.body), item, "data"); got != st.data {
				t.Errorf("data after the patch: %s, want %s", got, st.data)
			}
		})
	}
	if got, _ := field(decode(t, s.do(t, http.MethodGet, node, "", nil).body), "node", "data").(string); !strings.Contains(got, `"title": "second"`) {
		t.Errorf("after the refused patches the node holds %s, want the title second", got)
	}
}
