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

// pageOf cuts the store's answer to the page size and makes the next token.
func pageOf[T any](items []T, total, size int, key string, idOf func(T) string) flexdb.Page[T] {
	p := flexdb.Page[T]{Items: items, Total: total}
	if len(items) > size {
		p.Items = items[:size]
		p.NextToken = encodeToken(key, idOf(items[size-1]))
	}
	return p
}

// list runs one paged store query; scope and filters identify the query that tokens are bound to.
func list[T any](p PageRequest, idOf func(T) string, fetch func(ListQuery) ([]T, int, error), scope ...string) (flexdb.Page[T], error) {
	key := queryKey(scope...)
	q, size, err := listQuery(p, key)
	if err != nil {
		return flexdb.Page[T]{}, err
	}
	items, total, err := fetch(q)
	if err != nil {
		return flexdb.Page[T]{}, err
	}
	return pageOf(items, total, size, key, idOf), nil
}
