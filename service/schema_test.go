package service

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const draft07 = `"$schema": "http://json-schema.org/draft-07/schema#"`

func TestCompileSchemaAccepts(t *testing.T) {
	tests := []struct{ name, schema string }{
		{"empty schema accepts any object", `{}`},
		{"2020-12 by default", `{"type": "object", "properties": {"tags": {"type": "array", "prefixItems": [{"type": "string"}]}}}`},
		{"2020-12 named", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "required": ["title"]}`},
		{"references within the schema", `{"properties": {"n": {"$ref": "#/$defs/positive"}}, "$defs": {"positive": {"minimum": 0}}}`},
		{"references to an anchor", `{"properties": {"n": {"$ref": "#pos"}}, "$defs": {"p": {"$anchor": "pos", "minimum": 0}}}`},
		{"reference to the whole schema", `{"properties": {"child": {"$ref": "#"}}}`},
		{"draft-07 keeps its array form of items", `{` + draft07 + `, "properties": {"t": {"items": [{"type": "string"}]}}}`},
		{"draft-07 definitions", `{` + draft07 + `, "properties": {"n": {"$ref": "#/definitions/p"}}, "definitions": {"p": {"minimum": 0}}}`},
		{"format keywords", `{"properties": {"e": {"format": "email"}, "d": {"format": "date-time"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compileSchema(tt.schema, DefaultLimits.Document); err != nil {
				t.Errorf("compileSchema(%s): %v", tt.schema, err)
			}
		})
	}
}

func TestCompileSchemaRefuses(t *testing.T) {
	tests := []struct{ name, schema, want string }{
		{"boolean schema", `true`, "must be a JSON object"},
		{"array", `[]`, "must be a JSON object"},
		{"invalid JSON", `{"type": }`, "is not valid JSON: invalid character '}' looking for beginning of value (at byte 10)"},
		{"type is a number", `{"type": 5}`,
			"is not a valid JSON Schema: at /type: matches none of the alternatives: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'; or got number, want array"},
		{"unknown type", `{"properties": {"a": {"type": "strin"}}}`,
			"is not a valid JSON Schema: at /properties/a/type: matches none of the alternatives: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'; or got string, want array"},
		{"required is not a list", `{"required": "title"}`, "is not a valid JSON Schema: at /required: got string, want array"},
		{"minimum is not a number", `{"minimum": "3"}`, "is not a valid JSON Schema: at /minimum: got string, want number"},
		{"every finding listed", `{"minimum": "3", "required": "title"}`,
			"is not a valid JSON Schema: at /minimum: got string, want number; at /required: got string, want array"},
		{"invalid pattern", `{"pattern": "("}`, "is not a valid JSON Schema: at /pattern: '(' is not valid regex: error parsing regexp: missing closing ): `(`"},
		{"2020-12 has no array form of items", `{"properties": {"t": {"items": [{"type": "string"}]}}}`,
			"is not a valid JSON Schema: at /properties/t/items: got array, want boolean or object"},
		{"reference to a missing definition", `{"$ref": "#/$defs/missing"}`, `is not a valid JSON Schema: it refers to "#/$defs/missing", which is not in the schema`},
		{"reference to a missing anchor", `{"$ref": "#nowhere"}`, `is not a valid JSON Schema: it refers to "#nowhere", which is not in the schema`},
		{"unknown $schema", `{"$schema": "http://example.com/my-draft"}`,
			`is not a valid JSON Schema: it refers to "http://example.com/my-draft", outside itself; a schema may only refer within itself, as in "#/$defs/name"`},
		{"too deep", nestSchema(65), "nests 65 levels deep, more than the limit of 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileSchema(tt.schema, DefaultLimits.Document)
			if err == nil {
				t.Fatalf("compileSchema(%.80s) compiles, want %q", tt.schema, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("compileSchema(%.80s)\n got %q\nwant %q", tt.schema, err, tt.want)
			}
		})
	}
}

func nestSchema(levels int) string {
	return strings.Repeat(`{"not": `, levels-1) + `{}` + strings.Repeat(`}`, levels-1)
}

// TestCompileSchemaStaysInside checks that a schema cannot make the server fetch a URL or read a file:
// each target below is a valid schema, so a compile that succeeded would prove it was loaded.
func TestCompileSchemaStaysInside(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/schema+json")
		w.Write([]byte(`{"type": "string"}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(file, []byte(`{"type": "string"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, schema, target string }{
		{"http $ref", `{"$ref": "` + srv.URL + `/s.json"}`, srv.URL + "/s.json"},
		{"http $ref in a property", `{"properties": {"a": {"$ref": "` + srv.URL + `/s.json#"}}}`, srv.URL + "/s.json"},
		{"http $schema", `{"$schema": "` + srv.URL + `/meta"}`, srv.URL + "/meta"},
		{"relative $ref against an http $id", `{"$id": "` + srv.URL + `/base/", "$ref": "s.json"}`, srv.URL + "/base/s.json"},
		{"file $ref", `{"$ref": "file://` + file + `"}`, "file://" + file},
		{"file $ref to /etc/passwd", `{"$ref": "file:///etc/passwd"}`, "file:///etc/passwd"},
		{"relative $ref", `{"$ref": "other.json"}`, "other.json"},
		{"relative $ref with a fragment", `{"properties": {"a": {"$ref": "other.json#/x"}}}`, "other.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileSchema(tt.schema, DefaultLimits.Document)
			want := `is not a valid JSON Schema: it refers to "` + tt.target + `", outside itself; a schema may only refer within itself, as in "#/$defs/name"`
			if err == nil || err.Error() != want {
				t.Errorf("compileSchema(%s)\n got %v\nwant %s", tt.schema, err, want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schemas made %d HTTP requests, want none", n)
	}
}

func TestValidateDoc(t *testing.T) {
	const schema = `{
		"type": "object",
		"required": ["title"],
		"additionalProperties": false,
		"properties": {
			"title": {"type": "string", "minLength": 1},
			"email": {"type": "string", "format": "email"},
			"count": {"type": "integer", "minimum": 0},
			"tags": {"type": "array", "items": {"type": "string"}},
			"author": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
			"size": {"$ref": "#/$defs/size"},
			"id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
			"a/b~c": {"type": "boolean"},
			"never": false,
			"colour": {"enum": ["red", "green"]},
			"not_null": {"not": {"type": "null"}},
			"one": {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
			"pet": {"anyOf": [{"type": "string"}, {"type": "object", "required": ["name"], "properties": {"age": {"type": "integer"}}}]}
		},
		"$defs": {"size": {"type": "number", "maximum": 10}}
	}`
	s, err := compileSchema(schema, DefaultLimits.Document)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want []fv // nil: valid
	}{
		{"valid", `{"title": "a", "email": "ada@example.com", "count": 3, "tags": ["x"], "author": {"name": "Ada"}, "size": 9.5, "id": 7}`, nil},
		{"wrong type", `{"title": 5}`, []fv{violation("data/title", "got number, want string")}},
		{"missing required property is reported at the object", `{}`, []fv{violation("data", "missing property 'title'")}},
		{"missing nested property", `{"title": "a", "author": {}}`, []fv{violation("data/author", "missing property 'name'")}},
		{"nested wrong type", `{"title": "a", "author": {"name": 1}}`, []fv{violation("data/author/name", "got number, want string")}},
		{"array item", `{"title": "a", "tags": ["x", 2]}`, []fv{violation("data/tags/1", "got number, want string")}},
		{"format email is asserted", `{"title": "a", "email": "nope"}`, []fv{violation("data/email", "'nope' is not valid email: missing @")}},
		{"minLength", `{"title": ""}`, []fv{violation("data/title", "minLength: got 0, want 1")}},
		{"minimum", `{"title": "a", "count": -1}`, []fv{violation("data/count", "minimum: got -1, want 0")}},
		{"integer", `{"title": "a", "count": 1.5}`, []fv{violation("data/count", "got number, want integer")}},
		{"finding behind a $ref", `{"title": "a", "size": 11}`, []fv{violation("data/size", "maximum: got 11, want 10")}},
		{"anyOf lists its alternatives together", `{"title": "a", "id": 1.5}`,
			[]fv{violation("data/id", "matches none of the alternatives: got number, want string; or got number, want integer")}},
		{"alternatives with several findings", `{"title": "a", "pet": {"age": "x"}}`,
			[]fv{violation("data/pet", "matches none of the alternatives: got object, want string; or missing property 'name' and at /age: got string, want integer")}},
		{"oneOf matching none", `{"title": "a", "one": -1.5}`,
			[]fv{violation("data/one", "matches none of the alternatives: got number, want integer; or minimum: got -1.5, want 0")}},
		{"oneOf matching two", `{"title": "a", "one": 1}`,
			[]fv{violation("data/one", "matches more than one of the oneOf alternatives (0 and 1), and must match exactly one")}},
		{"enum", `{"title": "a", "colour": "blue"}`, []fv{violation("data/colour", "value must be one of 'red', 'green'")}},
		{"not", `{"title": "a", "not_null": null}`, []fv{violation("data/not_null", `must not match the schema under "not"`)}},
		{"property with a false schema", `{"title": "a", "never": 1}`, []fv{violation("data/never", "is not allowed")}},
		{"additional properties are named in order", `{"title": "a", "zz": 1, "aa": 2, "mm": 3}`,
			[]fv{violation("data", "additional properties 'aa', 'mm', 'zz' not allowed")}},
		{"key with / and ~ is escaped in the pointer", `{"title": "a", "a/b~c": 1}`, []fv{violation("data/a~1b~0c", "got number, want boolean")}},
		{"every violation, ordered by field", `{"tags": [1], "email": "x", "count": -1}`, []fv{
			violation("data", "missing property 'title'"),
			violation("data/count", "minimum: got -1, want 0"),
			violation("data/email", "'x' is not valid email: missing @"),
			violation("data/tags/0", "got number, want string"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantViolations(t, s, tt.doc, tt.want) })
	}
}

// wantViolations validates doc against s: no error when want is nil, else exactly want.
func wantViolations(t *testing.T, s *jsonschema.Schema, doc string, want []flexdb.FieldViolation) {
	t.Helper()
	err := validateDoc(s, "data", canon(t, doc))
	if want == nil {
		if err != nil {
			t.Fatalf("validateDoc(%s): %v", doc, err)
		}
		return
	}
	assertViolations(t, err, want...)
}

func TestValidateDocDraft07(t *testing.T) {
	s, err := compileSchema(`{`+draft07+`, "properties": {"t": {"items": [{"type": "string"}]}, "e": {"format": "email"}}}`, DefaultLimits.Document)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want []flexdb.FieldViolation
	}{
		{"tuple items apply by position", `{"t": ["a", 1]}`, nil},
		{"tuple items checked", `{"t": [1]}`, []flexdb.FieldViolation{{Field: "data/t/0", Description: "got number, want string"}}},
		{"format asserted", `{"e": "nope"}`, []flexdb.FieldViolation{{Field: "data/e", Description: "'nope' is not valid email: missing @"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantViolations(t, s, tt.doc, tt.want) })
	}
}

// TestValidateDocRefCycle: a schema whose references loop compiles (the loop may never be reached),
// but a document that reaches it is refused in words that name the loop, not our internal URLs.
func TestValidateDocRefCycle(t *testing.T) {
	s, err := compileSchema(`{"properties": {"x": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}`, DefaultLimits.Document)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateDoc(s, "data", canon(t, `{"y": 1}`)); err != nil {
		t.Errorf("a document away from the loop: %v", err)
	}
	assertViolations(t, validateDoc(s, "data", canon(t, `{"x": 1}`)),
		violation("data/x", `cannot be checked: the schema's references loop back to "#/$defs/a" without end`))
}

// TestViolationsAreStable checks that one document gets one message, whatever order the validator
// visits properties in (a map's).
func TestViolationsAreStable(t *testing.T) {
	s, err := compileSchema(`{"additionalProperties": false, "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}}`, DefaultLimits.Document)
	if err != nil {
		t.Fatal(err)
	}
	doc := canon(t, `{"a": 1, "b": 2, "c": 3, "x": 1, "y": 2, "z": 3}`)
	first := validateDoc(s, "data", doc).Error()
	for range 50 {
		if got := validateDoc(s, "data", doc).Error(); got != first {
			t.Fatalf("messages differ between runs:\n%s\n%s", first, got)
		}
	}
}

// canon is a document as the service checks it: the object its write validates.
func canon(t *testing.T, doc string) map[string]any {
	t.Helper()
	c := &check{lim: DefaultLimits}
	_, out := c.documentValue("data", doc, true)
	if len(c.violations) > 0 {
		t.Fatal(c.violations)
	}
	return out
}

// assertViolations checks that err is InvalidArgument with exactly want.
func assertViolations(t *testing.T, err error, want ...flexdb.FieldViolation) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want violations %v", want)
	}
	if code := flexdb.CodeOf(err); code != flexdb.InvalidArgument {
		t.Fatalf("code %s (%v), want %s", code, err, flexdb.InvalidArgument)
	}
	got := err.(*flexdb.Error).Violations
	if !reflect.DeepEqual(got, want) {
		t.Errorf("violations\n got %q\nwant %q", got, want)
	}
}
