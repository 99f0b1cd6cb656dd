package service_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/jsondoc"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/flexdb/flexdb/storetest"
)

// The document limit holds on what is stored, on every path that stores JSON: a short text that grows
// in canonical form (1e999 is stored as a thousand digits) is refused past the limit, naming the field,
// and what is stored is a document the client can send back under the same limit.
func TestDocumentLimitHoldsOnWhatIsStored(t *testing.T) {
	lim := service.DefaultLimits.Document
	storedOver := fmt.Sprintf("is more than the limit of %d bytes as stored: numbers are stored in plain decimal (1e3 as 1000), with a space after each comma and colon", lim.MaxBytes)
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			ctx := flexdb.WithPrincipal(t.Context(), flexdb.Principal{Kind: flexdb.PrincipalAdmin})
			st, err := sqlstore.Open(ctx, e.Config(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			svc := service.New(st, service.DefaultLimits)
			tenant := must(svc.CreateTenant(ctx, "limits", "Limits"))(t)
			nt := must(svc.CreateNodeType(ctx, tenant.ID, "Any", "", ""))(t)
			schemaType := must(svc.CreateNodeType(ctx, tenant.ID, "Schema", "", ""))(t)
			node := must(svc.CreateNode(ctx, tenant.ID, nt.ID, `{}`))(t)
			rel := must(svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: tenant.ID, SourceNodeID: node.ID, TargetNodeID: node.ID, Type: "self"}))(t)

			// Each path writes doc and returns what a later read gives back.
			paths := []struct {
				name, field string
				write       func(doc string) (string, error)
			}{
				{"create node", "data", func(doc string) (string, error) {
					n, err := svc.CreateNode(ctx, tenant.ID, nt.ID, doc)
					if err != nil {
						return "", err
					}
					return must(svc.GetNode(ctx, tenant.ID, n.ID))(t).Data, nil
				}},
				{"update node", "data", func(doc string) (string, error) {
					if _, err := svc.UpdateNode(ctx, tenant.ID, node.ID, doc, "", 0); err != nil {
						return "", err
					}
					return must(svc.GetNode(ctx, tenant.ID, node.ID))(t).Data, nil
				}},
				{"create relationship", "data", func(doc string) (string, error) {
					r, err := svc.CreateRelationship(ctx, flexdb.Relationship{TenantID: tenant.ID, SourceNodeID: node.ID, TargetNodeID: node.ID, Type: "self", Data: doc})
					if err != nil {
						return "", err
					}
					return must(svc.GetRelationship(ctx, tenant.ID, r.ID))(t).Data, nil
				}},
				{"update relationship", "data", func(doc string) (string, error) {
					if _, err := svc.UpdateRelationship(ctx, service.RelationshipUpdate{TenantID: tenant.ID, ID: rel.ID, Data: doc}, ""); err != nil {
						return "", err
					}
					return must(svc.GetRelationship(ctx, tenant.ID, rel.ID))(t).Data, nil
				}},
				{"create node type", "schema", func(doc string) (string, error) {
					x, err := svc.CreateNodeType(ctx, tenant.ID, "Big", "", doc)
					if err != nil {
						return "", err
					}
					return must(svc.GetNodeType(ctx, tenant.ID, x.ID))(t).Schema, nil
				}},
				{"update node type", "schema", func(doc string) (string, error) {
					if _, err := svc.UpdateNodeType(ctx, service.NodeTypeUpdate{TenantID: tenant.ID, ID: schemaType.ID, Schema: doc}); err != nil {
						return "", err
					}
					return must(svc.GetNodeType(ctx, tenant.ID, schemaType.ID))(t).Schema, nil
				}},
			}
			// stored describes everything a refused write must leave as it was.
			stored := func() string {
				all := service.PageRequest{Size: 100}
				types := must(svc.ListNodeTypes(ctx, tenant.ID, all))(t)
				nodes := must(svc.ListNodes(ctx, tenant.ID, service.NodeFilter{}, all))(t)
				rels := must(svc.ListRelationships(ctx, tenant.ID, service.RelationshipFilter{}, all))(t)
				return fmt.Sprintf("%d types, %d nodes, %d relationships; %q %q %q", types.Total, nodes.Total, rels.Total,
					must(svc.GetNode(ctx, tenant.ID, node.ID))(t).Data, must(svc.GetRelationship(ctx, tenant.ID, rel.ID))(t).Data,
					must(svc.GetNodeType(ctx, tenant.ID, schemaType.ID))(t).Schema)
			}

			for _, p := range paths {
				t.Run(p.name+": a document exactly at the limit as stored is kept and can be sent back", func(t *testing.T) {
					doc := storedSize(t, lim.MaxBytes)
					got, err := p.write(doc)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != lim.MaxBytes {
						t.Errorf("stored %d bytes, want %d", len(got), lim.MaxBytes)
					}
					if again, err := jsondoc.Canonical(got, lim); err != nil || again != got {
						t.Errorf("the stored document cannot be sent back as it is: %v", err)
					}
				})
				for _, tc := range []struct{ name, doc string }{
					{"one byte past the limit as stored", storedSize(t, lim.MaxBytes+1)},
					{"1 MiB of 1e999, 175 MB as stored", `{"n":[` + strings.TrimSuffix(strings.Repeat("1e999,", (lim.MaxBytes-10)/6), ",") + `]}`},
				} {
					t.Run(p.name+": "+tc.name+" is refused and changes nothing", func(t *testing.T) {
						if len(tc.doc) > lim.MaxBytes {
							t.Fatalf("the document sent is %d bytes: it must be within the limit as sent", len(tc.doc))
						}
						before := stored()
						_, err := p.write(tc.doc)
						service.AssertViolations(t, err, flexdb.FieldViolation{Field: p.field, Description: storedOver})
						if after := stored(); after != before {
							t.Errorf("the data changed:\nbefore %.300s\nafter  %.300s", before, after)
						}
					})
				}
			}
		})
	}
}

// must returns v once the test it is given has checked err: must(svc.GetNode(ctx, ...))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// storedSize returns a short document, mostly 1e999s, whose canonical text is exactly n bytes.
func storedSize(t *testing.T, n int) string {
	t.Helper()
	numbers := strings.TrimSuffix(strings.Repeat("1e999,", n/1002-1), ",")
	unpadded, err := jsondoc.Canonical(`{"n":[`+numbers+`],"p":""}`, jsondoc.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"n":[` + numbers + `],"p":"` + strings.Repeat("x", n-len(unpadded)) + `"}`
	if c, err := jsondoc.Canonical(doc, jsondoc.Limits{}); err != nil || len(c) != n {
		t.Fatalf("storedSize(%d) is %d bytes as stored (%v)", n, len(c), err)
	}
	return doc
}
