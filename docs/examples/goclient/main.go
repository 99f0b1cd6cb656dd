// Command goclient is the Go client of docs/CLIENT_INTEGRATION.md: over gRPC, with the generated stubs
// of github.com/flexdb/flexdb/api/dbaaspb, it makes a tenant, a node type, two nodes and a relationship
// between them, reads the nodes back page by page, and shows how a rejected call explains itself.
//
//	FLEXDB_KEY=fdb_... go run ./docs/examples/goclient -addr localhost:50051
//
// FLEXDB_KEY is sent as "authorization: Bearer <key>" metadata on every call; leave it unset against a
// server in development mode (flexdb serve --dev).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/flexdb/flexdb/api/dbaaspb"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	addr := flag.String("addr", "localhost:50051", "flex-db gRPC address")
	flag.Parse()

	// Plaintext, as flexdb serve without --tls-cert; with TLS use credentials.NewClientTLSFromCert(nil, "").
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	// Every call made with this context carries the key.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if key := os.Getenv("FLEXDB_KEY"); key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}

	keys := dbaaspb.NewKeyServiceClient(conn)
	tenants := dbaaspb.NewTenantServiceClient(conn)
	nodeTypes := dbaaspb.NewNodeTypeServiceClient(conn)
	nodes := dbaaspb.NewNodeServiceClient(conn)
	relationships := dbaaspb.NewRelationshipServiceClient(conn)

	me, err := keys.WhoAmI(ctx, &dbaaspb.WhoAmIRequest{})
	check(err)
	fmt.Println("calling as:", me.GetKind())

	// Slugs are unique: this one is new on every run.
	slug := fmt.Sprintf("go-client-%d", time.Now().UnixNano())
	t, err := tenants.CreateTenant(ctx, &dbaaspb.CreateTenantRequest{Slug: slug, Name: "Go client"})
	check(err)
	tenantID := t.GetTenant().GetId()
	fmt.Println("tenant:", tenantID, t.GetTenant().GetSlug())

	nt, err := nodeTypes.CreateNodeType(ctx, &dbaaspb.CreateNodeTypeRequest{
		TenantId: tenantID,
		Name:     "Task",
		Schema:   `{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}`,
	})
	check(err)
	typeID := nt.GetNodeType().GetId()

	var ids []string
	for _, title := range []string{"Write the client", "Ship it"} {
		n, err := nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{
			TenantId:   tenantID,
			NodeTypeId: typeID,
			Data:       fmt.Sprintf(`{"title": %q}`, title), // data and schema are JSON text
		})
		check(err)
		ids = append(ids, n.GetNode().GetId())
	}

	r, err := relationships.CreateRelationship(ctx, &dbaaspb.CreateRelationshipRequest{
		TenantId:         tenantID,
		SourceNodeId:     ids[1],
		TargetNodeId:     ids[0],
		RelationshipType: "depends_on",
	})
	check(err)
	fmt.Println("relationship:", r.GetRelationship().GetId(), r.GetRelationship().GetRelationshipType())

	// Pages: pass next_page_token back until it comes back empty.
	page := &dbaaspb.Pagination{PageSize: 1}
	for {
		list, err := nodes.ListNodes(ctx, &dbaaspb.ListNodesRequest{TenantId: tenantID, NodeTypeId: typeID, Pagination: page})
		check(err)
		for _, n := range list.GetNodes() {
			fmt.Println("node:", n.GetId(), n.GetData())
		}
		if list.GetPagination().GetNextPageToken() == "" {
			break
		}
		page.PageToken = list.GetPagination().GetNextPageToken()
	}

	// A node that breaks its type's schema is InvalidArgument, with one field violation per broken rule.
	_, err = nodes.CreateNode(ctx, &dbaaspb.CreateNodeRequest{TenantId: tenantID, NodeTypeId: typeID, Data: `{"title": 42}`})
	if status.Code(err) != codes.InvalidArgument {
		log.Fatalf("a title that is not a string: got %v, want InvalidArgument", err)
	}
	fmt.Println("rejected:", status.Convert(err).Message())
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fmt.Printf("  %s: %s\n", v.GetField(), v.GetDescription())
			}
		}
	}
}

func check(err error) {
	if err != nil {
		st := status.Convert(err)
		log.Fatalf("%s: %s", st.Code(), st.Message())
	}
}
