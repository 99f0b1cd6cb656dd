package service

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
)

const badToken = "is not a page token of this list; pass back the next_page_token of the previous page unchanged"

func TestPageSize(t *testing.T) {
	tests := []struct {
		name     string
		size     int32
		wantSize int
	}{
		{"zero means the default, 10", 0, 10},
		{"one", 1, 1},
		{"the maximum, 100", 100, 100},
		{"over the maximum is capped", 101, 100},
		{"far over the maximum is capped", 1 << 30, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, size, err := listQuery(PageRequest{Size: tt.size}, queryKey("tenants"))
			if err != nil {
				t.Fatal(err)
			}
			// One item more than the page holds tells whether a next page exists.
			want := ListQuery{Limit: tt.wantSize + 1}
			if size != tt.wantSize || q != want {
				t.Errorf("page size %d: got size %d, query %+v; want size %d, query %+v", tt.size, size, q, tt.wantSize, want)
			}
		})
	}
}

func TestNegativePageSizeRefused(t *testing.T) {
	_, _, err := listQuery(PageRequest{Size: -1}, queryKey("tenants"))
	assertViolations(t, err, violation("pagination.page_size", "must not be negative"))
}

func TestPageTokenRoundTrip(t *testing.T) {
	key := queryKey("nodes", tenantA, "")
	last := nodeID(7)
	q, _, err := listQuery(PageRequest{Token: encodeToken(key, last)}, key)
	if err != nil {
		t.Fatal(err)
	}
	if q.After != last {
		t.Errorf("token carries %q, want %q", q.After, last)
	}
}

func TestPageTokenRefused(t *testing.T) {
	key := queryKey("nodes", tenantA, "")
	good := encodeToken(key, nodeID(7))
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, token, key string
	}{
		{"made for another tenant", good, queryKey("nodes", tenantB, "")},
		{"made for another filter", good, queryKey("nodes", tenantA, nodeID(99))},
		{"made for another list", good, queryKey("node_types", tenantA)},
		{"garbage", "not a token!", key},
		{"base64 of something else", raw("hello"), key},
		{"truncated", good[:len(good)-4], key},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(tokenVersion + "." + key + "." + nodeID(7))), key},
		{"of the ascending order that lists had before (p1)", raw("p1." + key + "." + nodeID(7)), key},
		{"forged version", raw("p3." + key + "." + nodeID(7)), key},
		{"no version", raw(key + "." + nodeID(7)), key},
		{"extra part", raw(tokenVersion + "." + key + "." + nodeID(7) + ".x"), key},
		{"id not a UUID", raw(tokenVersion + "." + key + ".42"), key},
		{"id not canonical", raw(tokenVersion + "." + key + "." + strings.ToUpper(nodeID(7))), key},
		{"empty id", raw(tokenVersion + "." + key + "."), key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := listQuery(PageRequest{Token: tt.token}, tt.key)
			assertViolations(t, err, violation("pagination.page_token", badToken))
		})
	}
}

// TestListWalksEveryItemOnce follows next tokens from the first page to the last: every item comes
// once, in order, and the last page has no token.
func TestListWalksEveryItemOnce(t *testing.T) {
	all := make([]string, 25)
	for i := range all {
		all[i] = nodeID(i + 1)
	}
	fetch := func(q ListQuery) ([]string, int, error) {
		i := sort.SearchStrings(all, q.After)
		if q.After != "" {
			i++ // keyset: strictly after the cursor
		}
		return all[i:min(len(all), i+q.Limit)], len(all), nil
	}
	var seen []string
	var sizes []int
	p := PageRequest{Size: 10}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("no last page")
		}
		page, err := list(0, p, func(id string) string { return id }, fetch, "nodes", tenantA, "")
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != len(all) {
			t.Errorf("total %d, want %d", page.Total, len(all))
		}
		seen = append(seen, page.Items...)
		sizes = append(sizes, len(page.Items))
		if page.NextToken == "" {
			break
		}
		p.Token = page.NextToken
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
		t.Errorf("page sizes %v, want [10 10 5]", sizes)
	}
	if !reflect.DeepEqual(seen, all) {
		t.Errorf("items %v, want %v", seen, all)
	}
}

// nodeStore lists the nodes of every tenant from one slice, in id order, newest first as the store
// does; any other store call would crash the test on the nil Store.
type nodeStore struct {
	Store
	nodes []flexdb.Node
}

func (s *nodeStore) ListNodes(_ context.Context, _ string, _ NodeFilter, q ListQuery) ([]flexdb.Node, int, error) {
	var out []flexdb.Node
	for _, n := range slices.Backward(s.nodes) {
		if (q.After == "" || n.ID < q.After) && len(out) < q.Limit {
			out = append(out, n)
		}
	}
	return out, len(s.nodes), nil
}

// TestPageTokenIsBoundToItsQuery checks binding as the service does it: a next_page_token of tenant
// A's nodes is good for that list only.
func TestPageTokenIsBoundToItsQuery(t *testing.T) {
	store := &nodeStore{}
	for i := range 15 {
		store.nodes = append(store.nodes, flexdb.Node{ID: nodeID(i + 1)})
	}
	s := New(store, DefaultLimits)
	ctx := asAdmin()
	first, err := s.ListNodes(ctx, tenantA, NodeFilter{}, PageRequest{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	token := first.NextToken
	if token == "" {
		t.Fatal("no next page token")
	}

	accepted := []struct {
		name string
		call func() (flexdb.Page[flexdb.Node], error)
	}{
		{"the same list", func() (flexdb.Page[flexdb.Node], error) {
			return s.ListNodes(ctx, tenantA, NodeFilter{}, PageRequest{Size: 10, Token: token})
		}},
		{"the same tenant written in upper case", func() (flexdb.Page[flexdb.Node], error) {
			return s.ListNodes(ctx, strings.ToUpper(tenantA), NodeFilter{}, PageRequest{Size: 10, Token: token})
		}},
		{"another page size", func() (flexdb.Page[flexdb.Node], error) {
			return s.ListNodes(ctx, tenantA, NodeFilter{}, PageRequest{Size: 3, Token: token})
		}},
	}
	for _, tt := range accepted {
		t.Run("accepted/"+tt.name, func(t *testing.T) {
			page, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) == 0 || page.Items[0].ID != nodeID(5) {
				t.Errorf("next page starts with %v, want node 5", page.Items)
			}
		})
	}

	refused := []struct {
		name string
		call func() error
	}{
		{"another tenant's nodes", func() error {
			_, err := s.ListNodes(ctx, tenantB, NodeFilter{}, PageRequest{Token: token})
			return err
		}},
		{"the same tenant's nodes of one type", func() error {
			_, err := s.ListNodes(ctx, tenantA, NodeFilter{NodeTypeID: nodeID(99)}, PageRequest{Token: token})
			return err
		}},
		{"the same tenant's node types", func() error {
			_, err := s.ListNodeTypes(ctx, tenantA, PageRequest{Token: token})
			return err
		}},
		{"the same tenant's relationships", func() error {
			_, err := s.ListRelationships(ctx, tenantA, RelationshipFilter{}, PageRequest{Token: token})
			return err
		}},
		{"the same tenant's members", func() error {
			_, err := s.ListTenantUsers(ctx, tenantA, PageRequest{Token: token})
			return err
		}},
		{"tenants", func() error {
			_, err := s.ListTenants(ctx, PageRequest{Token: token})
			return err
		}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			assertViolations(t, tt.call(), violation("pagination.page_token", badToken))
		})
	}
}

// nodeID is a canonical UUID that sorts by i.
func nodeID(i int) string { return fmt.Sprintf("0190f0a0-7b7c-7d1e-8f00-%012x", i) }

// A page stops before the document that would take its documents past the byte bound, and still holds
// one item at least; the pages after go on from there, so every item comes once, in order.
func TestPagesStopAtTheirByteBound(t *testing.T) {
	cases := []struct {
		name     string
		sizes    []int // each node's stored data size, in list order
		pageSize int32
		maxBytes int
		pages    []int
	}{
		{"documents within the bound fill the page", []int{100, 100, 100}, 10, 1000, []int{3}},
		{"a page stops before the document that would pass the bound", []int{400, 400, 400}, 10, 1000, []int{2, 1}},
		{"documents exactly at the bound fit", []int{500, 500, 1}, 10, 1000, []int{2, 1}},
		{"a document larger than the bound still comes, alone", []int{2000, 10, 10}, 10, 1000, []int{1, 2}},
		{"every document larger than the bound: one a page", []int{2000, 2000, 2000}, 10, 1000, []int{1, 1, 1}},
		{"the page size still applies", []int{1, 1, 1, 1, 1}, 2, 1000, []int{2, 2, 1}},
		{"no bound", []int{2000, 2000, 2000}, 10, 0, []int{3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := make([]flexdb.Node, len(tc.sizes))
			for i, n := range tc.sizes {
				all[i] = flexdb.Node{ID: nodeID(i + 1), Data: strings.Repeat("x", n)}
			}
			fetch := func(q ListQuery) ([]flexdb.Node, int, error) {
				i := sort.Search(len(all), func(i int) bool { return all[i].ID > q.After })
				return all[i:min(len(all), i+q.Limit)], len(all), nil
			}
			var pages []int
			var seen []string
			p := PageRequest{Size: tc.pageSize}
			for range len(all) + 1 {
				page, err := list(tc.maxBytes, p, func(n flexdb.Node) string { return n.ID }, fetch, "nodes")
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, len(page.Items))
				for _, n := range page.Items {
					seen = append(seen, n.ID)
				}
				if p.Token = page.NextToken; p.Token == "" {
					break
				}
			}
			if !reflect.DeepEqual(pages, tc.pages) {
				t.Errorf("pages of %v items, want %v", pages, tc.pages)
			}
			var want []string
			for _, n := range all {
				want = append(want, n.ID)
			}
			if !reflect.DeepEqual(seen, want) {
				t.Errorf("items %v, want %v", seen, want)
			}
		})
	}
}
