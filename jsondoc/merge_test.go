package jsondoc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/flexdb/flexdb/jsondoc"
)

// RFC 7396's examples (Appendix A) whose documents and patches are objects, and the rules around them.
func TestMergePatch(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string
	}{
		{"a member changes", `{"a":"b"}`, `{"a":"c"}`, `{"a": "c"}`},
		{"a member is added", `{"a":"b"}`, `{"b":"c"}`, `{"a": "b", "b": "c"}`},
		{"null removes a member", `{"a":"b"}`, `{"a":null}`, `{}`},
		{"null removes one member and keeps the others", `{"a":"b","b":"c"}`, `{"a":null}`, `{"b": "c"}`},
		{"an array replaces an array whole", `{"a":["b"]}`, `{"a":"c"}`, `{"a": "c"}`},
		{"a value replaces an array", `{"a":"c"}`, `{"a":["b"]}`, `{"a": ["b"]}`},
		{"objects merge, null inside removes", `{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a": {"b": "d"}}`},
		{"an array of objects is replaced, not merged", `{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a": [1]}`},
		{"an object replaces a scalar and keeps no nulls", `{"e":null}`, `{"a":1,"e":{"f":null,"g":2}}`, `{"a": 1, "e": {"g": 2}}`},
		{"an empty patch changes nothing", `{"a":1}`, `{}`, `{"a": 1}`},
		{"numbers keep their text in canonical form", `{"n":1.50}`, `{"m":1e3}`, `{"m": 1000, "n": 1.50}`},
		{"nested objects merge deeply", `{"a":{"b":{"c":1,"d":2}}}`, `{"a":{"b":{"c":3}}}`, `{"a": {"b": {"c": 3, "d": 2}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := jsondoc.Canonical(tt.doc, lim)
			if err != nil {
				t.Fatal(err)
			}
			_, patch, err := jsondoc.CanonicalValue(tt.patch, lim)
			if err != nil {
				t.Fatal(err)
			}
			got, value, err := jsondoc.MergePatch(doc, patch, lim)
			if err != nil || got != tt.want {
				t.Fatalf("MergePatch(%s, %s) = %s, %v; want %s", tt.doc, tt.patch, got, err, tt.want)
			}
			if again, err := jsondoc.Canonical(got, lim); err != nil || again != got || value == nil {
				t.Errorf("the result is not canonical or has no value: %s, %v", again, err)
			}
		})
	}
}

// A merged document over the size limit is refused as too large, as a document sent whole would be.
func TestMergePatchKeepsTheSizeLimit(t *testing.T) {
	small := jsondoc.Limits{MaxBytes: 64, MaxDepth: 8}
	_, patch, err := jsondoc.CanonicalValue(`{"b": "`+strings.Repeat("y", 40)+`"}`, small)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"a": "` + strings.Repeat("x", 40) + `"}`
	got, _, err := jsondoc.MergePatch(doc, patch, small)
	var big *jsondoc.TooLargeError
	if !errors.As(err, &big) || big.Limit != 64 || big.Size <= 64 {
		t.Fatalf("a merge to over 64 bytes: %s, %v; want a TooLargeError over the limit of 64", got, err)
	}
}
