package jsondoc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flexdb/flexdb/jsondoc"
	"github.com/jackc/pgx/v5"
)

// lim is DESIGN.md's: 1 MiB and 64 levels.
var lim = jsondoc.Limits{MaxBytes: 1 << 20, MaxDepth: 64}

func TestCanonicalForm(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Layout.
		{"separators are comma-space and colon-space", `{"a":[1,2,{"b":null}],"c":true}`, `{"a": [1, 2, {"b": null}], "c": true}`},
		{"white space between tokens goes", "{ \"a\" :\n\t[ 1 , 2 ] }", `{"a": [1, 2]}`},
		{"empty object", `{}`, `{}`},
		{"empty containers inside", `{"a":[],"b":{}}`, `{"a": [], "b": {}}`},
		{"literals", `{"a":true,"b":false,"c":null}`, `{"a": true, "b": false, "c": null}`},
		{"array order is kept", `{"a":[3,1,2]}`, `{"a": [3, 1, 2]}`},

		// Key order: shorter keys first, then byte order.
		{"shorter keys first", `{"bbb":1,"aa":2,"c":3}`, `{"c": 3, "aa": 2, "bbb": 1}`},
		{"same length in byte order", `{"b":1,"a":2,"B":3}`, `{"B": 3, "a": 2, "b": 1}`},
		{"length counts bytes, not characters", `{"é":1,"z":2,"ab":3}`, `{"z": 2, "ab": 3, "é": 1}`},
		{"nested objects are ordered too", `{"o":{"yy":1,"x":2}}`, `{"o": {"x": 2, "yy": 1}}`},
		{"objects in arrays are ordered too", `{"a":[{"yy":1,"x":2}]}`, `{"a": [{"x": 2, "yy": 1}]}`},
		{"duplicate key: the last wins", `{"a":1,"b":2,"a":3}`, `{"a": 3, "b": 2}`},
		{"duplicate nested key: the last wins", `{"o":{"a":1,"a":{"b":2}}}`, `{"o": {"a": {"b": 2}}}`},

		// Strings, escaped the way PostgreSQL's escape_json does.
		{"quote and backslash are escaped", `{"a":"q\"b\\s"}`, `{"a": "q\"b\\s"}`},
		{"slash is not escaped", `{"a":"\/x/"}`, `{"a": "/x/"}`},
		{"short escapes", `{"a":"\b\f\n\r\t"}`, `{"a": "\b\f\n\r\t"}`},
		{"other controls as lower-case \\u00XX", `{"a":"\u0001\u001F"}`, `{"a": "\u0001\u001f"}`},
		{"DEL is not escaped", `{"a":"\u007f"}`, "{\"a\": \"\x7f\"}"},
		{"non-ASCII escapes become characters", `{"a":"\u00e9\u65E5"}`, `{"a": "é日"}`},
		{"U+2028 and U+2029 stay raw", `{"a":"\u2028\u2029"}`, "{\"a\": \"\u2028\u2029\"}"},
		{"surrogate pair becomes one character", `{"a":"\ud83d\ude00"}`, `{"a": "😀"}`},
		{"raw UTF-8 is kept", `{"a":"Zürich 東京 😀"}`, `{"a": "Zürich 東京 😀"}`},
		{"keys are escaped like values", `{"a\"\n":1}`, `{"a\"\n": 1}`},

		// Numbers, printed as PostgreSQL's numeric does.
		{"integer", `{"n":42}`, `{"n": 42}`},
		{"negative", `{"n":-1.5}`, `{"n": -1.5}`},
		{"trailing zeros keep their scale", `{"n":1.50}`, `{"n": 1.50}`},
		{"exponent becomes digits", `{"n":1e2}`, `{"n": 100}`},
		{"upper-case exponent with plus", `{"n":1E+2}`, `{"n": 100}`},
		{"negative exponent", `{"n":15e-3}`, `{"n": 0.015}`},
		{"negative exponent keeps the mantissa's scale", `{"n":1.0E-2}`, `{"n": 0.010}`},
		{"exponent moves the point", `{"n":123.456e1}`, `{"n": 1234.56}`},
		{"exponent eats the fraction", `{"n":2.5E3}`, `{"n": 2500}`},
		{"zero exponent", `{"n":5e0}`, `{"n": 5}`},
		{"negative zero", `{"n":-0}`, `{"n": 0}`},
		{"negative zero with scale", `{"n":-0.0}`, `{"n": 0.0}`},
		{"negative zero with exponent", `{"n":-0e5}`, `{"n": 0}`},
		{"zeros scaled up", `{"n":0.000e5}`, `{"n": 0}`},
		{"zero scaled down", `{"n":0e-5}`, `{"n": 0.00000}`},
		{"beyond float64 precision", `{"n":12345678901234567890.12345678901234567890}`, `{"n": 12345678901234567890.12345678901234567890}`},
		{"1000 digits is the limit", `{"n":1e999}`, `{"n": 1` + strings.Repeat("0", 999) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsondoc.Canonical(tt.in, lim)
			if err != nil {
				t.Fatalf("Canonical(%s): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Canonical(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  jsondoc.Limits
		want string // the message, or its start where the rest comes from encoding/json
	}{
		{"array", `[1, 2]`, lim, "must be a JSON object"},
		{"string", `"a"`, lim, "must be a JSON object"},
		{"number", `5`, lim, "must be a JSON object"},
		{"null", `null`, lim, "must be a JSON object"},
		{"boolean", `true`, lim, "must be a JSON object"},

		{"empty text", ``, lim, "is not valid JSON: the text is empty"},
		{"white space only", " \n ", lim, "is not valid JSON: the text is empty"},
		{"unterminated object", `{"a": 1`, lim, "is not valid JSON: the text ends before the document does"},
		{"missing value", `{"a":}`, lim, "is not valid JSON: invalid character '}' looking for beginning of value (at byte 6)"},
		{"trailing comma", `{"a": 1,}`, lim, "is not valid JSON: invalid character '}'"},
		{"single quotes", `{'a': 1}`, lim, "is not valid JSON: invalid character '\\''"},
		{"leading zero", `{"a": 01}`, lim, "is not valid JSON: invalid character '1'"},
		{"NaN", `{"a": NaN}`, lim, "is not valid JSON: invalid character 'N'"},
		{"raw control character in a string", "{\"a\": \"x\ny\"}", lim, "is not valid JSON: invalid character '\\n' in string literal"},

		{"trailing word", `{"a": 1} x`, lim, "is not valid JSON: text after the end of the document"},
		{"trailing brace", `{"a": 1}}`, lim, "is not valid JSON: text after the end of the document"},
		{"trailing bracket", `{"a": 1}]`, lim, "is not valid JSON: text after the end of the document"},
		{"second document", `{"a": 1} {}`, lim, "is not valid JSON: text after the end of the document"},
		{"trailing number", `{"a": 1} 2`, lim, "is not valid JSON: text after the end of the document"},

		{"invalid UTF-8 in a value", "{\"a\": \"\xff\"}", lim, "is not valid UTF-8"},
		{"invalid UTF-8 in a key", "{\"\xc3\x28\": 1}", lim, "is not valid UTF-8"},
		{"UTF-8 encoded surrogate", "{\"a\": \"\xed\xa0\x80\"}", lim, "is not valid UTF-8"},
		{`\u0000 in a value`, `{"a": "x\u0000"}`, lim, `holds the character \u0000, which cannot be stored`},
		{`\u0000 in a key`, `{"\u0000": 1}`, lim, `holds the character \u0000, which cannot be stored`},
		{`\u0000 deep inside`, `{"a": [{"b": ["\u0000"]}]}`, lim, `holds the character \u0000, which cannot be stored`},
		{"lone high surrogate", `{"a": "\ud800"}`, lim, `holds the escape \ud800, half of a UTF-16 surrogate pair without its other half`},
		{"lone low surrogate", `{"a": "\uDC00x"}`, lim, `holds the escape \uDC00, half of a UTF-16 surrogate pair without its other half`},
		{"high surrogate before a non-surrogate", `{"a": "\ud83d\u0041"}`, lim, `holds the escape \ud83d, half of a UTF-16 surrogate pair without its other half`},
		{"swapped surrogate pair", `{"a": "\ude00\ud83d"}`, lim, `holds the escape \ude00, half of a UTF-16 surrogate pair without its other half`},
		{"lone surrogate in a key", `{"\ud800": 1}`, lim, `holds the escape \ud800, half of a UTF-16 surrogate pair without its other half`},

		{"one byte over the limit", `{"a": 1234}`, jsondoc.Limits{MaxBytes: 10}, "is 11 bytes, more than the limit of 10"},
		{"one byte over the limit as stored, not as sent", `{"a":1e3}`, jsondoc.Limits{MaxBytes: 10}, storedOver(10)},
		{"one 1e999 past a small limit", `{"a": 1e999}`, jsondoc.Limits{MaxBytes: 100}, storedOver(100)},
		{"1e999 repeated: 8 KiB sent, 1.1 MB stored", `{"a": [` + repeat("1e999", ",", 1100) + `]}`, lim, storedOver(1 << 20)},
		{"1e999 repeated in nested objects and arrays", `{"a": [` + repeat(`{"b":1e999,"c":[1e999]}`, ",", 600) + `]}`, lim, storedOver(1 << 20)},
		{"1e-999 repeated", `{"a": [` + repeat("1e-999", ",", 1100) + `]}`, lim, storedOver(1 << 20)},
		{"a compact array within the limit as sent, past it with canonical spaces", `{"a":[` + repeat("0", ",", 400000) + `]}`, lim, storedOver(1 << 20)},
		{"65 levels", nest(65, `1`), lim, "nests 65 levels deep, more than the limit of 64"},
		{"65 levels of arrays inside an object", `{"a": ` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, lim, "nests 65 levels deep, more than the limit of 64"},

		{"huge exponent", `{"a": 1e100000}`, lim, "holds the number 1e100000, beyond the 1000-digit limit"},
		{"huge negative exponent", `{"a": 1e-100000}`, lim, "holds the number 1e-100000, beyond the 1000-digit limit"},
		{"huge exponent of a negative number", `{"a": -1e100000}`, lim, "holds the number -1e100000, beyond the 1000-digit limit"},
		{"exponent beyond int", `{"a": 1e99999999999999999999}`, lim, "holds the number 1e99999999999999999999, beyond the 1000-digit limit"},
		{"1001 digits by exponent", `{"a": 1e1000}`, lim, "holds the number 1e1000, beyond the 1000-digit limit"},
		{"1001 digits by negative exponent, counting the 0 before the point", `{"a": 0e-1000}`, lim, "holds the number 0e-1000, beyond the 1000-digit limit"},
		{"1001 digits written out", `{"a": 1` + strings.Repeat("0", 1000) + `}`, lim, "holds the number 1" + strings.Repeat("0", 1000) + ", beyond the 1000-digit limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsondoc.Canonical(tt.in, tt.lim)
			if err == nil {
				t.Fatalf("Canonical(%.80q) = %.80q, want an error %q", tt.in, got, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Canonical(%.80q) error\n got %q\nwant %q", tt.in, err, tt.want)
			}
		})
	}
}

// storedOver is the refusal of a document whose canonical text is past limit bytes.
func storedOver(limit int) string {
	return fmt.Sprintf("is more than the limit of %d bytes as stored: numbers are stored in plain decimal (1e3 as 1000), with a space after each comma and colon", limit)
}

// repeat is n copies of s joined by sep.
func repeat(s, sep string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+sep, n), sep)
}

// nest wraps inner in levels objects: nest(2, "1") is {"a": {"a": 1}}.
func nest(levels int, inner string) string {
	return strings.Repeat(`{"a": `, levels) + inner + strings.Repeat(`}`, levels)
}

func TestCanonicalLimits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  jsondoc.Limits
	}{
		{"exactly the byte limit", `{"a": 123}`, jsondoc.Limits{MaxBytes: 10}},
		{"exactly the byte limit as stored", `{"a":1e2}`, jsondoc.Limits{MaxBytes: 10}},
		{"1e999 repeated up to the limit as stored", `{"a": [` + repeat("1e999", ",", 1040) + `]}`, lim},
		{"64 levels", nest(64, `1`), lim},
		{"64 levels with arrays", `{"a": ` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, lim},
		{"brackets inside strings do not count", nest(64, `"[[[[{{{{"`), lim},
		{"brackets inside keys do not count", nest(63, `{"[[[[{{{{": 1}`), lim},
		{"escaped quotes do not end a string", nest(64, `"\"[[[[\\\"{{{{"`), lim},
		{"zero limits are no limits", nest(1000, `1`), jsondoc.Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jsondoc.Canonical(tt.in, tt.lim); err != nil {
				t.Errorf("Canonical(%.80q): %v", tt.in, err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"keeps numbers exact", `{"n": 12345678901234567890.10}`, map[string]any{"n": json.Number("12345678901234567890.10")}},
		{"accepts any JSON value", `[1, "a"]`, []any{json.Number("1"), "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsondoc.Parse(tt.in, lim)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.in, err)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("Parse(%s) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// TestCanonicalMatchesPostgreSQL holds Canonical to its promise: the text PostgreSQL's jsonb prints.
func TestCanonicalMatchesPostgreSQL(t *testing.T) {
	conn := connect(t)
	ctx := context.Background()

	var controls strings.Builder
	for c := rune(1); c < 0x20; c++ {
		fmt.Fprintf(&controls, `\u%04x`, c)
	}
	same := []struct{ name, doc string }{
		{"empty", `{}`},
		{"key order", `{"bbb": 1, "aa": 2, "c": 3, "B": 4, "a": 5, "é": 6, "zz": 7, "": 8}`},
		{"multi-byte keys", `{"日本": 1, "abcdef": 2, "é": 3, "ab": 4, "😀": 5}`},
		{"duplicate keys", `{"a": 1, "b": 2, "a": 3}`},
		{"duplicate keys of different types", `{"a": {"x": 1}, "a": [1], "a": "last"}`},
		{"nested duplicate keys", `{"o": {"a": 1, "a": {"b": 2, "b": 3}}}`},
		{"nested arrays and objects", `{"a": [[1, [2, [3, {"b": [{}, []]}]]], {"c": {"d": {"e": null}}}]}`},
		{"literals", `{"t": true, "f": false, "n": null, "l": [true, false, null]}`},
		{"quote, backslash, slash", `{"a": "q\"b\\s\/x/"}`},
		{"short escapes", `{"a": "\b\f\n\r\t"}`},
		{"every control character", `{"a": "` + controls.String() + `"}`},
		{"upper-case hex escapes", `{"a": "\u001F\u00E9\u65E5"}`},
		{"DEL and C1 controls", `{"a": "\u007f\u0080\u009f", "b": "` + "\x7f\u0085" + `"}`},
		{"U+2028 and U+2029 escaped", `{"a": "\u2028\u2029"}`},
		{"U+2028 and U+2029 raw", "{\"a\": \"\u2028\u2029\"}"},
		{"BOM and replacement character", `{"a": "\ufeff\ufffd", "b": "` + "\ufeff\ufffd" + `"}`},
		{"surrogate pairs", `{"a": "\ud83d\ude00\uD834\uDD1E"}`},
		{"raw unicode", `{"a": "Zürich 東京 😀 ﷽"}`},
		{"escapes in keys", `{"a\"\\\n\u0001": 1, "\u2028": 2}`},
		{"white space everywhere", " {\n\t\"a\" :\r\n[ 1 ,\t2 ] , \"b\":{ } } \n"},
		{"integers", `{"a": 0, "b": -7, "c": 42, "d": 123456789012345678901234567890}`},
		{"zeros", `{"a": -0, "b": -0.0, "c": 0.000, "d": -0e5, "e": 0e-5, "f": 0.000e5, "g": 0E0}`},
		{"scale", `{"a": 1.50, "b": 1.0, "c": 100.00, "d": -2.500}`},
		{"exponents", `{"a": 1e2, "b": 1E+2, "c": 15e-3, "d": 1.0E-2, "e": 123.456e1, "f": 2.5E3, "g": 5e0, "h": 1e-0}`},
		{"small fractions", `{"a": 0.1, "b": 1e-7, "c": 0.000001, "d": 1.23e-10}`},
		{"long fractions", `{"a": 12345678901234567890.12345678901234567890, "b": 3.14159265358979323846264338327950288}`},
		{"largest exponent within the digit limit", `{"a": 1e999, "b": -9.99e997}`},
		{"smallest exponent within the digit limit", `{"a": 1e-999, "b": 1.5e-998, "c": 0e-999}`},
		{"numbers in arrays", `{"a": [1e2, -0, 1.50, 15e-3]}`},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			want := jsonbText(ctx, t, conn, tt.doc)
			got, err := jsondoc.Canonical(tt.doc, lim)
			if err != nil {
				t.Fatalf("Canonical(%.80q): %v; PostgreSQL prints %.80q", tt.doc, err, want)
			}
			if got != want {
				t.Errorf("Canonical(%.80q)\n got %.200q\nwant %.200q (PostgreSQL)", tt.doc, got, want)
			}
		})
	}

	// What jsonb refuses, Canonical refuses too, rather than store something else.
	refused := []struct{ name, doc string }{
		{`\u0000`, `{"a": "\u0000"}`},
		{"lone high surrogate", `{"a": "\ud800"}`},
		{"lone low surrogate", `{"a": "\udc00"}`},
		{"high surrogate before a non-surrogate", `{"a": "\ud83d\u0041"}`},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			var text string
			if err := conn.QueryRow(ctx, `SELECT $1::text::jsonb::text`, tt.doc).Scan(&text); err == nil {
				t.Fatalf("PostgreSQL accepts %q as %q; this case belongs in the other table", tt.doc, text)
			}
			if got, err := jsondoc.Canonical(tt.doc, lim); err == nil {
				t.Errorf("Canonical(%q) = %q, want an error as PostgreSQL refuses it", tt.doc, got)
			}
		})
	}
}

// jsonbText returns what PostgreSQL prints for doc as jsonb. The parameter goes as text and is cast in
// SQL, so that no client-side JSON encoding stands between the document and PostgreSQL's parser.
func jsonbText(ctx context.Context, t *testing.T, conn *pgx.Conn, doc string) string {
	t.Helper()
	var text string
	if err := conn.QueryRow(ctx, `SELECT $1::text::jsonb::text`, doc).Scan(&text); err != nil {
		t.Fatalf("PostgreSQL refuses %.80q: %v", doc, err)
	}
	return text
}

// connect opens FLEXDB_TEST_DATABASE_URL (or the local default). Without a PostgreSQL the test is
// skipped, except in CI, where a skip would hide that the comparison never ran.
func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	url := os.Getenv("FLEXDB_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		err = conn.Ping(ctx)
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s does not answer (%v); set FLEXDB_TEST_DATABASE_URL to compare Canonical with jsonb", url, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// FuzzCanonical checks that Canonical never panics, that what it accepts comes out as valid JSON within
// the limits it was given (what is stored must be a document a client can send back), and that
// canonical text is canonical already. It runs each input under the real limits and under a small byte
// limit, so that documents near the limit, and ones that grow past it, are easy for the fuzzer to make.
func FuzzCanonical(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"bbb": 1, "aa": 2, "c": 3, "a": 4}`,
		`{"a": [1, 2, {"b": null}], "c": true, "d": false}`,
		`{"a": 1, "a": 2}`,
		`{"n": [1.50, 1e2, 1E+2, 15e-3, -0, -0.0, 0e-5, 123.456e1, -1.5e-3]}`,
		`{"n": 1e100000}`,
		`{"n": [1e999, 1e999, -1e-999]}`,
		`{"n":[1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9,1e9]}`,
		`{"a":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}`,
		`{"s": "q\"b\\s\/\b\f\n\r\t\u0001\u001f\u007f\u2028\ud83d\ude00"}`,
		`{"s": "\ud800"}`,
		`{"s": "\u0000"}`,
		`{"é": {"日本": ["😀"]}}`,
		`{"a": "[[{{"}`,
		`{"a": 1}}`,
		`[1, 2]`,
		nest(64, `1`),
		nest(65, `1`),
		"{\"a\": \"\xff\"}",
	} {
		f.Add(seed)
	}
	small := jsondoc.Limits{MaxBytes: 256, MaxDepth: lim.MaxDepth}
	f.Fuzz(func(t *testing.T, in string) {
		for _, l := range []jsondoc.Limits{lim, small} {
			out, err := jsondoc.Canonical(in, l)
			if err != nil {
				continue
			}
			if !utf8.ValidString(out) || !json.Valid([]byte(out)) {
				t.Fatalf("Canonical(%q) = %q, not valid JSON", in, out)
			}
			if len(out) > l.MaxBytes {
				t.Fatalf("Canonical(%q, %d bytes at most) = %d bytes", in, l.MaxBytes, len(out))
			}
			again, err := jsondoc.Canonical(out, l)
			if err != nil {
				t.Fatalf("Canonical(%q) = %q, which Canonical refuses under the same limits: %v", in, out, err)
			}
			if again != out {
				t.Fatalf("Canonical is not idempotent:\n  in    %q\n  once  %q\n  twice %q", in, out, again)
			}
		}
	})
}
