package httpapi_test

// The OpenAPI document: a valid OpenAPI 3.1 document, describing exactly the routes the server answers,
// and the answers it really gives.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flexdb/flexdb/httpapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// servedDocument is the document GET /openapi.json answers, parsed.
func servedDocument(t *testing.T, s *stack) ([]byte, libopenapi.Document) {
	t.Helper()
	r := s.do(t, http.MethodGet, "/openapi.json", "", nil, "Authorization", "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	doc, err := libopenapi.NewDocument(r.body)
	if err != nil {
		t.Fatalf("parse the OpenAPI document: %v", err)
	}
	return r.body, doc
}

func TestOpenAPIDocumentIsValidOpenAPI31(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	_, doc := servedDocument(t, s)
	if v := doc.GetSpecInfo().Version; !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi is %q, want 3.1.x", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("invalid OpenAPI 3.1: %s (%s)", e.Message, e.Reason)
		}
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the model: %v", err)
	}
	bearer := model.Model.Components.SecuritySchemes.GetOrZero("bearer")
	if bearer == nil || bearer.Type != "http" || bearer.Scheme != "bearer" {
		t.Errorf("no http bearer security scheme (Swagger UI's Authorize needs it): %+v", bearer)
	}
	if len(model.Model.Security) != 1 || !hasKey(model.Model.Security[0].Requirements.KeysFromOldest(), "bearer") {
		t.Errorf("the document does not ask for the bearer scheme by default: %+v", model.Model.Security)
	}
	eachOperation(model, func(method, path string, op *v3.Operation) {
		if op.Summary == "" || op.OperationId == "" {
			t.Errorf("%s %s has no summary or operationId", method, path)
		}
		for _, p := range op.Parameters {
			if strings.HasPrefix(p.Name, "pagination.") {
				t.Errorf("%s %s: query parameter %s: the contract calls it %s", method, path, p.Name, strings.TrimPrefix(p.Name, "pagination."))
			}
		}
		for code, resp := range op.Responses.Codes.FromOldest() {
			if code[0] != '4' && code[0] != '5' || path == "/ready" {
				continue
			}
			if mt := resp.Content.GetOrZero("application/json"); mt == nil || !strings.HasSuffix(mt.Schema.GetReference(), "/Error") {
				t.Errorf("%s %s: response %s is not the error body", method, path, code)
			}
		}
	})
}

func hasKey(keys iter.Seq[string], key string) bool {
	for k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

func eachOperation(model *libopenapi.DocumentModel[v3.Document], f func(method, path string, op *v3.Operation)) {
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			f(strings.ToUpper(method), path, op)
		}
	}
}

// The server's routes (the proto's google.api.http rules and the port's own) are the document's
// operations, and the running server answers each one that the document lists.
func TestOpenAPIPathsAreTheServedRoutes(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	_, doc := servedDocument(t, s)
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build the model: %v", err)
	}
	var documented, served []string
	eachOperation(model, func(method, path string, _ *v3.Operation) {
		documented = append(documented, method+" "+path)
		// A routing miss answers the bare status text: "not found", "method not allowed".
		r := s.do(t, method, regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "0198a1b2-0000-7000-8000-000000000000"), "", nil)
		var answer struct{ Message string }
		_ = json.Unmarshal(r.body, &answer)
		if msg := answer.Message; r.status == http.StatusMethodNotAllowed ||
			(r.status == http.StatusNotFound && msg == "not found") {
			t.Errorf("the document has %s %s; the server does not route it (%d %s)", method, path, r.status, r.body)
		}
	})
	for _, r := range httpapi.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented operations are not the served routes:\ndocumented %q\nserved     %q", documented, served)
	}
}

// Real answers of the server, each one checked against the document: request and response, status,
// headers and body schema.
func TestOpenAPIDescribesTheAnswers(t *testing.T) {
	s := start(t, sqlite(t), defaultOptions)
	raw, doc := servedDocument(t, s)
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	tenant := field(decode(t, s.postJSON(t, "/tenants", `{"slug": "described", "name": "Described"}`).body), "tenant", "id")
	for _, tc := range []struct {
		name, method, path, body string
		anonymous                bool
		want                     int
	}{
		{"a create answers 201", http.MethodPost, "/tenants", `{"slug": "acme", "name": "Acme"}`, false, 201},
		{"a get answers 200", http.MethodGet, fmt.Sprintf("/tenants/%s", tenant), "", false, 200},
		{"a list answers 200", http.MethodGet, "/tenants?page_size=1", "", false, 200},
		{"an update answers 200", http.MethodPut, fmt.Sprintf("/tenants/%s", tenant), `{"name": "Renamed"}`, false, 200},
		{"a missing id answers 404", http.MethodGet, "/tenants/0198a1b2-0000-7000-8000-000000000000", "", false, 404},
		{"an invalid field answers 400 with field violations", http.MethodPost, "/tenants", `{"slug": "NO", "name": "x"}`, false, 400},
		{"a taken slug answers 409", http.MethodPost, "/tenants", `{"slug": "described", "name": "Again"}`, false, 409},
		{"no key answers 401", http.MethodGet, "/tenants", "", true, 401},
		{"whoami answers 200", http.MethodGet, "/whoami", "", false, 200},
		{"a delete answers 204", http.MethodDelete, fmt.Sprintf("/tenants/%s", tenant), "", false, 204},
		{"a JSON-RPC call answers 200", http.MethodPost, "/jsonrpc", `{"jsonrpc": "2.0", "method": "who_am_i", "id": 1}`, false, 200},
		{"a JSON-RPC batch answers 200", http.MethodPost, "/jsonrpc", `[{"jsonrpc": "2.0", "method": "list_tenants", "id": "a"}]`, false, 200},
		{"health answers 200", http.MethodGet, "/health", "", true, 200},
		{"readiness answers 200", http.MethodGet, "/ready", "", true, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, resp := exchange(t, s, tc.method, tc.path, tc.body, tc.anonymous)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
			if ok, verrs := v.ValidateHttpRequestResponse(req, resp); !ok {
				for _, e := range verrs {
					t.Errorf("%s %s (%d) is not what the document says: %s: %s %v", tc.method, tc.path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
				}
			}
		})
	}
	if !bytes.Contains(raw, []byte(`"field_violations"`)) {
		t.Error("the error body has no field_violations")
	}
}

// exchange sends one request and returns it with its answer, bodies readable again for the validator.
func exchange(t *testing.T, s *stack, method, path, body string, anonymous bool) (*http.Request, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if !anonymous {
		req.Header.Set("Authorization", s.admin)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	req.Body = io.NopCloser(strings.NewReader(body))
	return req, resp
}
