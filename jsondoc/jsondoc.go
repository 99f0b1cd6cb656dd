// Package jsondoc checks JSON documents against size and depth limits and rewrites them in flex-db's
// canonical form: the exact text PostgreSQL's jsonb prints for the same value (keys ordered by length,
// then bytes; ", " and ": " separators; numbers in plain decimal notation keeping their scale). Storing
// canonical text makes a document read back byte-identical on SQLite and PostgreSQL, and lets the
// PostgreSQL store return jsonb's text as it is, with no re-encoding on the read path.
package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits bound what a document may be.
type Limits struct {
	// MaxBytes bounds both the text as sent and its canonical text as stored: canonical text can be
	// longer (1e999 is a thousand digits; "," becomes ", "), and what is stored must be a document a
	// client can send back.
	MaxBytes int
	MaxDepth int // nesting of objects and arrays; the top-level object is depth 1
}

// maxNumberDigits bounds the plain-decimal form of a number, which is what both engines store; 1e100000
// is a short text but a 100,000-digit number.
const maxNumberDigits = 1000

// TooLargeError is a document over Limits.MaxBytes: too large, whatever else it may be.
type TooLargeError struct{ Size, Limit int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("is %d bytes, more than the limit of %d", e.Size, e.Limit)
}

// Canonical checks that text is one JSON object within lim and returns its canonical text. The error
// says what is wrong in words fit for a field violation.
func Canonical(text string, lim Limits) (string, error) {
	canon, _, err := CanonicalValue(text, lim)
	return canon, err
}

// CanonicalValue is Canonical that also returns the decoded object (numbers as json.Number, as sent),
// so that a caller that validates the document against a schema does not parse it a second time.
func CanonicalValue(text string, lim Limits) (string, map[string]any, error) {
	v, err := parse(text, lim)
	if err != nil {
		return "", nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", nil, errors.New("must be a JSON object")
	}
	b := &output{max: lim.MaxBytes}
	b.Grow(len(text) + len(text)/8)
	if err := write(b, v); err != nil {
		return "", nil, err
	}
	return b.String(), obj, nil
}

// output is canonical text being written, measured as it grows: a document past the limit is refused
// once it gets there, without writing the rest (a 1 MiB text of 1e999s would be 175 MB).
type output struct {
	strings.Builder
	max int // 0: no limit
}

// full reports a text past the limit. Checking after each value and separator overshoots by at most
// one value, which is no longer than the text sent (a string) or a thousand digits (a number).
func (b *output) full() error {
	if b.max > 0 && b.Len() > b.max {
		return fmt.Errorf("is more than the limit of %d bytes as stored: numbers are stored in plain decimal (1e3 as 1000), with a space after each comma and colon", b.max)
	}
	return nil
}

// Parse checks text like Canonical and returns the decoded value (numbers as json.Number), for callers
// such as a JSON Schema validator that work on values.
func Parse(text string, lim Limits) (any, error) {
	return parse(text, lim)
}

func parse(text string, lim Limits) (any, error) {
	if lim.MaxBytes > 0 && len(text) > lim.MaxBytes {
		return nil, &TooLargeError{Size: len(text), Limit: lim.MaxBytes}
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("is not valid UTF-8")
	}
	depth, lone := scan(text)
	if lim.MaxDepth > 0 && depth > lim.MaxDepth {
		return nil, fmt.Errorf("nests %d levels deep, more than the limit of %d", depth, lim.MaxDepth)
	}
	if lone != "" {
		return nil, fmt.Errorf(`holds the escape %s, half of a UTF-16 surrogate pair without its other half`, lone)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, notJSON(err)
	}
	// Only white space may follow. Token reports anything else, even a stray "}" it cannot tokenize.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("is not valid JSON: text after the end of the document")
	}
	return v, nil
}

// notJSON words a decoding error for a client.
func notJSON(err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("is not valid JSON: the text is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("is not valid JSON: the text ends before the document does")
	case errors.As(err, &syntax):
		return fmt.Errorf("is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset)
	}
	return fmt.Errorf("is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// scan measures the nesting of brackets outside strings and finds the first \u escape of a lone UTF-16
// surrogate. It runs before decoding so that a deep document is refused without the decoder's
// recursion, and because the decoder silently turns a lone surrogate into U+FFFD where PostgreSQL
// refuses it: a document must not change on its way in.
func scan(text string) (deepest int, lone string) {
	depth := 0
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
				if c != 'u' {
					break
				}
				r, ok := hex4(text, i+1)
				if !ok || !utf16.IsSurrogate(r) {
					break
				}
				low, ok := hex4(text, i+7)
				if r >= 0xDC00 || !ok || text[i+5:i+7] != `\u` || low < 0xDC00 || low > 0xDFFF {
					if lone == "" {
						lone = text[i-1 : i+5]
					}
					break
				}
				i += 10 // past the pair's last hex digit
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest, lone
}

// hex4 reads the four hex digits of a \u escape at text[i:].
func hex4(text string, i int) (rune, bool) {
	if i+4 > len(text) {
		return 0, false
	}
	n, err := strconv.ParseUint(text[i:i+4], 16, 16)
	return rune(n), err == nil
}

func write(b *output, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		n, err := plainNumber(string(v))
		if err != nil {
			return err
		}
		b.WriteString(n)
	case string:
		if err := writeString(b, v); err != nil {
			return err
		}
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := write(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writeString(b, k); err != nil {
				return err
			}
			b.WriteString(": ")
			if err := b.full(); err != nil { // the key, which write does not measure
				return err
			}
			if err := write(b, v[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("holds an unexpected %T", v)
	}
	return b.full()
}

// writeString escapes as PostgreSQL's escape_json does. NUL is refused: jsonb cannot hold it.
func writeString(b *output, s string) error {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			return errors.New(`holds the character \u0000, which cannot be stored`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return nil
}

// plainNumber writes a JSON number as PostgreSQL's numeric prints it: no exponent, the scale the text
// implies (1.50 stays 1.50, 1e2 becomes 100, 15e-3 becomes 0.015), and no sign on zero.
func plainNumber(number string) (string, error) {
	neg := strings.HasPrefix(number, "-")
	s := strings.TrimPrefix(number, "-")
	mant, expText, _ := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if expText != "" {
		e, err := strconv.Atoi(expText)
		if err != nil || e > maxNumberDigits || e < -maxNumberDigits {
			return "", fmt.Errorf("holds the number %s, beyond the %d-digit limit", number, maxNumberDigits)
		}
		exp = e
	}
	intPart, fracPart, _ := strings.Cut(mant, ".")
	digits := intPart + fracPart
	point := len(intPart) + exp // position of the decimal point within digits
	scale := max(0, len(fracPart)-exp)
	if max(point, 1)+scale > maxNumberDigits { // the digits written: at least one before the point
		return "", fmt.Errorf("holds the number %s, beyond the %d-digit limit", number, maxNumberDigits)
	}

	var whole, frac string
	switch {
	case point <= 0:
		whole, frac = "0", strings.Repeat("0", -point)+digits
	case point >= len(digits):
		whole, frac = digits+strings.Repeat("0", point-len(digits)), ""
	default:
		whole, frac = digits[:point], digits[point:]
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if len(frac) < scale {
		frac += strings.Repeat("0", scale-len(frac))
	}
	frac = frac[:scale]

	var out bytes.Buffer
	if neg && strings.Trim(whole+frac, "0") != "" {
		out.WriteByte('-')
	}
	out.WriteString(whole)
	if scale > 0 {
		out.WriteByte('.')
		out.WriteString(frac)
	}
	return out.String(), nil
}
