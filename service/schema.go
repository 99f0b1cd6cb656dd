package service

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL names a node type's schema while it compiles; relative $refs resolve against it and reach
// the loader below, which refuses them.
const schemaURL = "mem:///node-type-schema.json"

// noLoader refuses every external $ref: a schema must not make the server read files or the network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("$ref to %s: schemas may only refer within themselves", url)
}

// compileSchema checks that text is a JSON Schema (draft 2020-12 unless $schema names another) and
// returns it compiled. Formats are asserted: a database that stores "format": "email" should check it.
func compileSchema(text string, lim jsondoc.Limits) (*jsonschema.Schema, error) {
	doc, err := jsondoc.Parse(text, lim)
	if err != nil {
		return nil, err
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, errors.New("must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("is not a JSON Schema: %s", clean(err.Error()))
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("is not a JSON Schema: %s", clean(err.Error()))
	}
	return s, nil
}

// clean drops the internal schema URL from library messages.
func clean(msg string) string {
	return strings.ReplaceAll(msg, schemaURL, "schema")
}

// validateDoc checks a node's data against its type's schema; each violation names its place in the
// document as a JSON pointer under field ("data/title").
func validateDoc(s *jsonschema.Schema, field, canonical string) error {
	doc, err := jsondoc.Parse(canonical, jsondoc.Limits{})
	if err != nil {
		return flexdb.InvalidField(field, "%s", err.Error())
	}
	err = s.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var vs []flexdb.FieldViolation
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil || len(u.Errors) > 0 {
			continue
		}
		vs = append(vs, flexdb.FieldViolation{Field: field + u.InstanceLocation, Description: clean(u.Error.String())})
	}
	if len(vs) == 0 {
		vs = append(vs, flexdb.FieldViolation{Field: field, Description: clean(ve.Error())})
	}
	return flexdb.Invalid(vs...)
}

// schemaCache keeps compiled schemas by node type and version, so that creating a node costs no schema
// read and no compile. Entries are checked, not trusted: the store writes a node only while its type
// is at the cached version.
type schemaCache struct {
	mu      sync.RWMutex
	entries map[string]cachedSchema
}

type cachedSchema struct {
	version int64
	schema  *jsonschema.Schema
}

// maxCachedSchemas bounds memory; past it the cache starts over, which costs one read per type.
const maxCachedSchemas = 10000

func (c *schemaCache) get(tenantID, typeID string) (cachedSchema, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[tenantID+"/"+typeID]
	return e, ok
}

func (c *schemaCache) put(tenantID, typeID string, e cachedSchema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedSchemas {
		c.entries = make(map[string]cachedSchema)
	}
	c.entries[tenantID+"/"+typeID] = e
}
