package service

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/flexdb/flexdb"
	"github.com/google/uuid"
)

// Page sizes, as the original contract has them.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

// PageRequest is the paging part of a list request.
type PageRequest struct {
	Size  int32
	Token string
}

// A page token is a keyset cursor: the last id of the previous page, bound to the query it was made for
// by a hash of that query's scope and filters. Clients see only base64 text. The version names the
// orders cursors follow: p2, newest first (memberships by user id). A p1 token followed ids ascending;
// read in the new order it would skip or repeat items, so it is refused like any foreign token.
const tokenVersion = "p2"

func queryKey(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func encodeToken(key, lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenVersion + "." + key + "." + lastID))
}

// decodeToken returns the last id a token carries, or InvalidArgument if the token is not one this
// server made for the query identified by key.
func decodeToken(token, key string) (string, error) {
	invalid := flexdb.InvalidField("pagination.page_token", "is not a page token of this list; pass back the next_page_token of the previous page unchanged")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", invalid
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[0] != tokenVersion || parts[1] != key {
		return "", invalid
	}
	id, err := uuid.Parse(parts[2])
	if err != nil || id.String() != parts[2] {
		return "", invalid
	}
	return parts[2], nil
}

// listQuery turns a page request into a store query for one more item than the page holds, so that
// the extra item tells whether a next page exists.
func listQuery(p PageRequest, key string) (ListQuery, int, error) {
	size := int(p.Size)
	switch {
	case size < 0:
		return ListQuery{}, 0, flexdb.InvalidField("pagination.page_size", "must not be negative")
	case size == 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize // the original caps rather than refuses
	}
	q := ListQuery{Limit: size + 1}
	if p.Token != "" {
		after, err := decodeToken(p.Token, key)
		if err != nil {
			return ListQuery{}, 0, err
		}
		q.After = after
	}
	return q, size, nil
}

// pageOf cuts the store's answer to the page size, and to maxBytes of documents (see fits), and makes
// the next token.
func pageOf[T any](items []T, total, size, maxBytes int, key string, idOf func(T) string) flexdb.Page[T] {
	p := flexdb.Page[T]{Items: items, Total: total}
	if n := fits(items[:min(size, len(items))], maxBytes); n < len(items) {
		p.Items = items[:n]
		p.NextToken = encodeToken(key, idOf(items[n-1]))
	}
	return p
}

// fits is how many of items, from the first, a page carries: as many as keep the documents' stored
// sizes (storedBytes) within maxBytes, and at least one, since a page that stops short still has to
// move on (a single document is bounded by the document limit). The page after goes on from there,
// so a list of large documents comes in more, smaller pages, with nothing skipped. 0: no byte bound.
func fits[T any](items []T, maxBytes int) int {
	if maxBytes <= 0 {
		return len(items)
	}
	total := 0
	for i, item := range items {
		total += storedBytes(item)
		if total > maxBytes && i > 0 {
			return i
		}
	}
	return len(items)
}

// storedBytes is what an item adds to a page beyond its fixed fields: its documents and free text.
func storedBytes(item any) int {
	switch v := item.(type) {
	case flexdb.Node:
		return len(v.Data)
	case flexdb.Relationship:
		return len(v.Data) + len(v.Type)
	case flexdb.NodeType:
		return len(v.Schema) + len(v.Description) + len(v.Name)
	}
	return 0 // tenants, users, memberships, keys: small fixed fields, bounded by the page size
}

// list runs one paged store query; scope and filters identify the query that tokens are bound to.
// A page holds at most maxBytes of documents (Limits.PageBytes).
func list[T any](maxBytes int, p PageRequest, idOf func(T) string, fetch func(ListQuery) ([]T, int, error), scope ...string) (flexdb.Page[T], error) {
	key := queryKey(scope...)
	q, size, err := listQuery(p, key)
	if err != nil {
		return flexdb.Page[T]{}, err
	}
	items, total, err := fetch(q)
	if err != nil {
		return flexdb.Page[T]{}, err
	}
	return pageOf(items, total, size, maxBytes, key, idOf), nil
}
