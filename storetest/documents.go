package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
)

// documents are JSON objects whose canonical text (jsondoc.Canonical, which the service stores) must read
// back byte for byte from every engine: PostgreSQL keeps jsonb and prints it anew, so canonical text is
// exactly what jsonb prints.
var documents = []struct{ name, text string }{
	{"empty object", `{}`},
	{"keys in jsonb order", `{"bbb": 1, "a": 2, "cc": 3, "b": 4, "": 5, "ab": 6}`},
	{"unicode text", `{"name": "Zoë Ñandú 東京 🚀", "rtl": "שלום", "combining": "é"}`},
	{"escapes", `{"s": "quote \" backslash \\ slash \/ tab \t newline \n return \r bs \b ff \f ctl \u0001\u001f del \u007f"}`},
	{"unicode escapes", `{"e": "\u00e9\u4E2D\ud83d\ude00", "separators": "\u2028\u2029", "bom": "\ufeff"}`},
	{"numbers", `{"a": 1.50, "b": 100, "c": -0, "d": 1e2, "e": 15e-3, "f": -12.500, "g": 0.1, "h": 123456789012345678901234567890,
		"i": 1E-7, "j": 2.5E+3, "k": -0.0, "l": 0, "m": -7}`},
	{"nested arrays", `{"m": [[1, [2, [3, []]]], [], [{}], {"x": {"y": {"z": [true, false, null]}}}]}`},
	{"64 levels deep", strings.Repeat(`{"a": `, 63) + `[]` + strings.Repeat(`}`, 63)},
	{"64 KiB of text", `{"text": "` + strings.Repeat("flex-db ", 8<<10) + `"}`},
}

var jsonSpecs = []spec{
	{"node data reads back byte-identical from get and list", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		for _, d := range documents {
			t.Run(d.name, func(t *testing.T) {
				f := f.on(t)
				data := doc(t, d.text)
				n := f.nodeWith(nt, data)
				got, err := f.s.GetNode(f.ctx, n.TenantID, n.ID)
				must(t, err)
				wantText(t, got.Data, data)
				listed, _, err := f.s.ListNodes(f.ctx, n.TenantID, service.NodeFilter{}, service.ListQuery{Limit: 100})
				must(t, err)
				i := slices.IndexFunc(listed, func(x flexdb.Node) bool { return x.ID == n.ID })
				if i < 0 {
					t.Fatalf("list did not return node %s", n.ID)
				}
				wantText(t, listed[i].Data, data)
			})
		}
	}},
	{"node data written by update reads back byte-identical", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		n := f.node(nt)
		for _, d := range documents {
			t.Run(d.name, func(t *testing.T) {
				f := f.on(t)
				data := doc(t, d.text)
				updated, err := f.s.UpdateNode(f.ctx, service.NodeUpdate{TenantID: n.TenantID, ID: n.ID, NodeTypeID: nt.ID, TypeVersion: nt.Version,
					Data: data, At: later()})
				must(t, err)
				wantText(t, updated.Data, data)
				got, err := f.s.GetNode(f.ctx, n.TenantID, n.ID)
				must(t, err)
				wantText(t, got.Data, data)
			})
		}
	}},
	{"relationship data reads back byte-identical, as created and as updated", func(t *testing.T, f *fixture) {
		nt := f.nodeType(f.tenant().ID)
		a, b := f.node(nt), f.node(nt)
		for _, d := range documents {
			t.Run(d.name, func(t *testing.T) {
				f := f.on(t)
				data := doc(t, d.text)
				r := newRel(a.TenantID, a.ID, b.ID, "knows")
				r.Data = data
				must(t, f.s.CreateRelationship(f.ctx, r))
				got, err := f.s.GetRelationship(f.ctx, r.TenantID, r.ID)
				must(t, err)
				wantText(t, got.Data, data)

				other := f.rel(a, b, "knows")
				updated, err := f.s.UpdateRelationship(f.ctx, service.RelationshipUpdate{TenantID: other.TenantID, ID: other.ID, Data: data, At: later()})
				must(t, err)
				wantText(t, updated.Data, data)
			})
		}
	}},
	{"node type schemas read back byte-identical, as created and as updated", func(t *testing.T, f *fixture) {
		tenant := f.tenant().ID
		for _, d := range documents {
			t.Run(d.name, func(t *testing.T) {
				f := f.on(t)
				schema := doc(t, d.text)
				nt := newNodeType(tenant)
				nt.Schema = schema
				must(t, f.s.CreateNodeType(f.ctx, nt))
				got, err := f.s.GetNodeType(f.ctx, tenant, nt.ID)
				must(t, err)
				wantText(t, got.Schema, schema)

				other := f.nodeType(tenant)
				updated, err := f.s.UpdateNodeType(f.ctx, service.NodeTypeUpdate{TenantID: tenant, ID: other.ID, Schema: schema, At: later()})
				must(t, err)
				wantText(t, updated.Schema, schema)
			})
		}
	}},
}

func wantText(t testing.TB, got, want string) {
	t.Helper()
	if got != want {
		if len(got) > 300 || len(want) > 300 {
			t.Fatalf("document differs: got %d bytes, want %d", len(got), len(want))
		}
		t.Fatalf("document differs:\n got  %s\n want %s", got, want)
	}
}
