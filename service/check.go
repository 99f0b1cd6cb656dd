package service

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/google/uuid"
)

// Limits are the bounds every request is checked against.
type Limits struct {
	NameChars        int // tenant, node type and display names, relationship types
	DescriptionChars int
	EmailChars       int
	Document         jsondoc.Limits // node and relationship data, node type schemas
	// PageBytes bounds the documents a list page carries, by their stored sizes (at least one item
	// still comes), so that a page of large documents stays within the response limit; 0: no bound.
	PageBytes int
}

// DefaultLimits are DESIGN.md's.
var DefaultLimits = Limits{
	NameChars:        200,
	DescriptionChars: 2000,
	EmailChars:       254,
	Document:         jsondoc.Limits{MaxBytes: 1 << 20, MaxDepth: 64},
	PageBytes:        1 << 20, // half the default message limit (2 MiB): room for the other fields and JSON escaping
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// check gathers every violation of a request, so that one error lists them all, and asks allow whether
// the caller may make the call at all: every Service method starts with s.check(ctx, op) and ends its
// checks with c.err().
type check struct {
	ctx        context.Context
	op         string
	tenantID   string
	principal  flexdb.Principal
	lim        Limits
	violations []flexdb.FieldViolation
	tooLarge   bool // a violation is of a size limit: the request is refused as too large
}

func (c *check) add(field, description string) {
	c.violations = append(c.violations, flexdb.FieldViolation{Field: field, Description: description})
}

// err decides access first, so that a caller without it learns nothing from validation, then reports
// every violation.
func (c *check) err() error {
	p, err := allow(c.ctx, c.op, c.tenantID)
	if err != nil {
		return err
	}
	c.principal = p
	if len(c.violations) == 0 {
		return nil
	}
	if c.tooLarge {
		return flexdb.TooLarge(c.violations...)
	}
	return flexdb.Invalid(c.violations...)
}

// tenant checks the id of the tenant the call acts in.
func (c *check) tenant(field, v string) string {
	c.tenantID = c.id(field, v)
	return c.tenantID
}

// id checks a required UUID and returns it in canonical (lower-case, hyphenated) form.
func (c *check) id(field, v string) string {
	if v == "" {
		c.add(field, "is required")
		return ""
	}
	return c.optionalID(field, v)
}

func (c *check) optionalID(field, v string) string {
	if v == "" {
		return ""
	}
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		c.add(field, "must be a UUID such as 0190f0a0-7b7c-7d1e-8f00-000000000000")
		return ""
	}
	return u.String()
}

func (c *check) slug(field, v string, required bool) {
	switch {
	case v == "" && required:
		c.add(field, "is required")
	case v != "" && !slugPattern.MatchString(v):
		c.add(field, "must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit")
	}
}

// text checks a free-text field: valid UTF-8 (PostgreSQL refuses anything else, SQLite would keep it),
// a length limit in characters and no control characters.
func (c *check) text(field, v string, maxChars int, required bool) {
	switch {
	case v == "" && required:
		c.add(field, "is required")
	case !utf8.ValidString(v):
		c.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(v) > maxChars:
		c.add(field, "must be at most "+strconv.Itoa(maxChars)+" characters")
	case strings.IndexFunc(v, unicode.IsControl) >= 0 && field != "description":
		c.add(field, "must not contain control characters")
	case strings.IndexByte(v, 0) >= 0: // a description may hold control characters, but PostgreSQL text cannot hold NUL
		c.add(field, "must not contain the character U+0000, which cannot be stored")
	case v != "" && strings.TrimSpace(v) == "":
		c.add(field, "must not be blank")
	}
}

// email checks an address and returns it in lower case: addresses are unique regardless of case, the
// same way on every engine.
func (c *check) email(field, v string, required bool) string {
	if v == "" {
		if required {
			c.add(field, "is required")
		}
		return ""
	}
	if utf8.RuneCountInString(v) > c.lim.EmailChars {
		c.add(field, "must be at most "+strconv.Itoa(c.lim.EmailChars)+" characters")
		return ""
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@'):], ".") {
		c.add(field, "must be an email address such as ada@example.com")
		return ""
	}
	return strings.ToLower(v)
}

// version checks an expected version: 0 (any) or a version a row can have.
func (c *check) version(field string, v int64) {
	if v < 0 {
		c.add(field, "must be a version (1 or more), or 0 for any")
	}
}

func (c *check) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add(field, "must be one of "+strings.Join(allowed, ", "))
}

// document checks a JSON object field and returns its canonical text; "" becomes "{}" when emptyIsEmpty
// (create), and stays "" (leave unchanged) otherwise.
func (c *check) document(field, v string, emptyIsEmpty bool) string {
	canon, _ := c.documentValue(field, v, emptyIsEmpty)
	return canon
}

// patch checks a merge patch: a JSON object within the document limits, not sent with data (which
// replaces the document the patch would change). It returns the patch's object, nil when there is none.
func (c *check) patch(patch, data string) map[string]any {
	if patch == "" {
		return nil
	}
	if data != "" {
		c.add("patch", "cannot be sent with data: data replaces the document, a patch changes it")
		return nil
	}
	_, p := c.documentValue("patch", patch, false)
	return p
}

// documentValue is document that also returns the decoded object, nil when the text is "" and stays so,
// or is refused: what a schema validates, parsed once.
func (c *check) documentValue(field, v string, emptyIsEmpty bool) (string, map[string]any) {
	if v == "" {
		if emptyIsEmpty {
			return "{}", map[string]any{}
		}
		return "", nil
	}
	canon, doc, err := jsondoc.CanonicalValue(v, c.lim.Document)
	if err != nil {
		var big *jsondoc.TooLargeError
		c.tooLarge = c.tooLarge || errors.As(err, &big)
		c.add(field, err.Error())
		return "", nil
	}
	return canon, doc
}
