package service

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaURL names a node type's schema while it compiles; relative $refs resolve against it and reach
// the loader below, which refuses them. Messages never show it: see local.
const schemaURL = "mem:///node-type-schema.json"

// errOutside is the loader's answer to every URL: a schema must not make the server read files or the
// network.
var errOutside = errors.New("schemas may only refer within themselves")

type noLoader struct{}

func (noLoader) Load(string) (any, error) { return nil, errOutside }

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
		return nil, notASchema(err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, notASchema(err)
	}
	return s, nil
}

// notASchema words a compile error for the schema's author. The library's own messages name the
// metaschema's URL and our internal one, and nest each finding under "validation failed" lines.
func notASchema(err error) error {
	var (
		invalid *jsonschema.SchemaValidationError
		load    *jsonschema.LoadURLError
		pointer *jsonschema.JSONPointerNotFoundError
		anchor  *jsonschema.AnchorNotFoundError
		ve      *jsonschema.ValidationError
	)
	var why string
	switch {
	case errors.As(err, &invalid) && errors.As(invalid.Err, &ve):
		var parts []string
		for _, v := range violations(ve, "") {
			if v.Field == "" {
				parts = append(parts, v.Description)
			} else {
				parts = append(parts, "at "+v.Field+": "+v.Description)
			}
		}
		why = strings.Join(parts, "; ")
	case errors.As(err, &load):
		why = fmt.Sprintf("it refers to %q, outside itself; a schema may only refer within itself, as in \"#/$defs/name\"", local(load.URL))
	case errors.As(err, &pointer):
		why = fmt.Sprintf("it refers to %q, which is not in the schema", local(pointer.URL))
	case errors.As(err, &anchor):
		why = fmt.Sprintf("it refers to %q, which is not in the schema", local(anchor.Reference))
	default:
		why = strings.ReplaceAll(err.Error(), schemaURL, "schema")
	}
	return fmt.Errorf("is not a valid JSON Schema: %s", why)
}

// local shows a URL as the schema's author wrote it: "#/$defs/x" rather than our internal name for the
// schema, "other.json" rather than its resolution against that name.
func local(url string) string {
	if rest, ok := strings.CutPrefix(url, schemaURL); ok {
		if rest == "" {
			return "#"
		}
		return rest
	}
	return strings.TrimPrefix(url, "mem:///")
}

// validateDoc checks a node's data against its type's schema; each violation names its place in the
// document as a JSON pointer under field ("data/title").
func validateDoc(s *jsonschema.Schema, field string, doc map[string]any) error {
	err := s.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return flexdb.Invalid(violations(ve, field)...)
}

// violations lists what a failed validation found, each at its JSON pointer under field, ordered by
// field. The library reports a tree: group nodes ($ref, allOf, properties, the schema itself) only
// carry their causes, so the leaves say what is wrong; anyOf and oneOf are the exception, as their
// alternatives make sense only together. (The library's flat "basic output" is not used: it replaces
// a finding behind a $ref by the words "validation failed".)
func violations(e *jsonschema.ValidationError, field string) []flexdb.FieldViolation {
	var vs []flexdb.FieldViolation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 || alternatives(e) {
			vs = append(vs, flexdb.FieldViolation{Field: field + pointer(e.InstanceLocation), Description: describe(e)})
			return
		}
		for _, cause := range e.Causes {
			walk(cause)
		}
	}
	walk(e)
	if len(vs) == 0 {
		vs = append(vs, flexdb.FieldViolation{Field: field, Description: "does not match the schema"})
	}
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].Field != vs[j].Field {
			return vs[i].Field < vs[j].Field
		}
		return vs[i].Description < vs[j].Description
	})
	return vs
}

func alternatives(e *jsonschema.ValidationError) bool {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		return len(e.Causes) > 0
	}
	return false
}

// describe says what is wrong at one place, in the library's words where they are clear.
func describe(e *jsonschema.ValidationError) string {
	if alternatives(e) {
		// Each alternative with its own findings, located relative to this place.
		alts := make([]string, len(e.Causes))
		for i, cause := range e.Causes {
			var parts []string
			for _, v := range violations(cause, "") {
				if rel := strings.TrimPrefix(v.Field, pointer(e.InstanceLocation)); rel != "" {
					parts = append(parts, "at "+rel+": "+v.Description)
				} else {
					parts = append(parts, v.Description)
				}
			}
			alts[i] = strings.Join(parts, " and ")
		}
		return "matches none of the alternatives: " + strings.Join(alts, "; or ")
	}
	switch k := e.ErrorKind.(type) {
	case *kind.OneOf:
		if len(k.Subschemas) == 2 {
			return fmt.Sprintf("matches more than one of the oneOf alternatives (%d and %d), and must match exactly one", k.Subschemas[0], k.Subschemas[1])
		}
	case *kind.Not:
		return "must not match the schema under \"not\""
	case *kind.FalseSchema:
		return "is not allowed"
	case *kind.RefCycle:
		return fmt.Sprintf("cannot be checked: the schema's references loop back to %q without end", local(k.URL))
	case *kind.AdditionalProperties:
		names := slices.Sorted(slices.Values(k.Properties)) // the library's order is a map's
		return fmt.Sprintf("additional properties %s not allowed", quoteAll(names))
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		return "does not match the schema"
	}
	// A leaf's basic output carries its message in English, the library's default.
	return e.BasicOutput().Error.String()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// pointer is the JSON pointer (RFC 6901) of a location given as its tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// cachedSchema is a node type's compiled schema at one version. Schemas are cached by node type, so
// that creating a node costs no schema read and no compile. Entries are checked, not trusted: the store
// writes a node only while its type is at the cached version.
type cachedSchema struct {
	version int64
	schema  *jsonschema.Schema
}
