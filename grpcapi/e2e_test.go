package grpcapi_test

// End-to-end specification of the gRPC API: a real client calls a real server over TCP on loopback,
// the server stores in a real database, and every test runs on both engines (SQLite in a temporary
// directory, PostgreSQL in a schema of its own). Each table row is one behaviour of one RPC.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/flexdb/flexdb/storetest"
	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ---------------------------------------------------------------------------------------------------------
// The server under test

// engines are the stores every engine-dependent test runs on.
var engines = storetest.Engines

// client is a connection to a server of its own; the five services' clients are embedded, so that
// c.CreateNode(ctx, req) reads like the RPC it is (the 28 RPC names are distinct).
type client struct {
	pb.TenantServiceClient
	pb.UserServiceClient
	pb.NodeTypeServiceClient
	pb.NodeServiceClient
	pb.RelationshipServiceClient
	pb.RoleServiceClient
	conn *grpc.ClientConn
	logs *flexdbtest.LogBuffer
}

// start serves a fresh, migrated database on 127.0.0.1:0 and connects to it, logging to c.logs.
// Everything stops when the test ends.
func start(t testing.TB, cfg sqlstore.Config) *client {
	t.Helper()
	logs := &flexdbtest.LogBuffer{}
	c := startLogging(t, cfg, logs)
	c.logs = logs
	return c
}

// startLogging is start with the server's log going to logTo.
func startLogging(t testing.TB, cfg sqlstore.Config, logTo io.Writer) *client {
	t.Helper()
	conn := flexdbtest.Start(t, cfg, flexdbtest.Options{
		GRPC: grpcapi.Options{Development: true}, // authentication is another specification's
		Log:  logTo,
	}).Conn
	return &client{
		TenantServiceClient:       pb.NewTenantServiceClient(conn),
		UserServiceClient:         pb.NewUserServiceClient(conn),
		NodeTypeServiceClient:     pb.NewNodeTypeServiceClient(conn),
		NodeServiceClient:         pb.NewNodeServiceClient(conn),
		RelationshipServiceClient: pb.NewRelationshipServiceClient(conn),
		RoleServiceClient:         pb.NewRoleServiceClient(conn),
		conn:                      conn,
	}
}

// eachEngine runs test once per engine, each time against a server and database of its own.
func eachEngine(t *testing.T, test func(t *testing.T, c *client)) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) { test(t, start(t, e.Config(t))) })
	}
}

// linesWith returns the lines of the server's log that contain s.
func (c *client) linesWith(s string) []string {
	var out []string
	for _, l := range strings.Split(string(c.logs.Bytes()), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures

var seq atomic.Int64

// unique returns a name no other call of this test binary returns.
func unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

const bookSchema = `{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`

func (c *client) newTenant(t testing.TB) *pb.Tenant {
	t.Helper()
	r, err := c.CreateTenant(context.Background(), &pb.CreateTenantRequest{Slug: unique("t"), Name: "Tenant"})
	must(t, err)
	return r.Tenant
}

func (c *client) newUser(t testing.TB) *pb.User {
	t.Helper()
	r, err := c.CreateUser(context.Background(), &pb.CreateUserRequest{Email: unique("u") + "@example.com", DisplayName: "User"})
	must(t, err)
	return r.User
}

func (c *client) addMember(t testing.TB, tenantID, userID string) {
	t.Helper()
	_, err := c.AddUserToTenant(context.Background(), &pb.AddUserToTenantRequest{TenantId: tenantID, UserId: userID})
	must(t, err)
}

func (c *client) newRole(t testing.TB, tenantID string) *pb.Role {
	t.Helper()
	r, err := c.CreateRole(context.Background(), &pb.CreateRoleRequest{TenantId: tenantID, Name: unique("Role"), Permissions: []string{"nodes.read", "nodes.write"}})
	must(t, err)
	return r.Role
}

func (c *client) newNodeType(t testing.TB, tenantID, schema string) *pb.NodeType {
	t.Helper()
	r, err := c.CreateNodeType(context.Background(), &pb.CreateNodeTypeRequest{TenantId: tenantID, Name: unique("type"), Schema: schema})
	must(t, err)
	return r.NodeType
}

func (c *client) newNode(t testing.TB, tenantID, typeID, data string) *pb.Node {
	t.Helper()
	r, err := c.CreateNode(context.Background(), &pb.CreateNodeRequest{TenantId: tenantID, NodeTypeId: typeID, Data: data})
	must(t, err)
	return r.Node
}

func (c *client) newRelationship(t testing.TB, tenantID, source, target string) *pb.Relationship {
	t.Helper()
	r, err := c.CreateRelationship(context.Background(), &pb.CreateRelationshipRequest{TenantId: tenantID,
		SourceNodeId: source, TargetNodeId: target, RelationshipType: "cites", Data: `{"page": 1}`})
	must(t, err)
	return r.Relationship
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}

// world is a tenant with one of everything, beside another tenant with one of everything: the ids of
// the other tenant are the ones no call made for the first may reach.
type world struct {
	*client
	tenant, other     *pb.Tenant
	user              *pb.User
	typ, otherType    *pb.NodeType // schema: bookSchema
	node, node2       *pb.Node     // node -> node2 by rel
	otherNode         *pb.Node
	rel, otherRel     *pb.Relationship
	schemalessType    *pb.NodeType
	unknown, notAUUID string
}

func newWorld(t testing.TB, c *client) *world {
	t.Helper()
	w := &world{client: c, tenant: c.newTenant(t), other: c.newTenant(t), user: c.newUser(t),
		unknown: uuid.NewString(), notAUUID: "not-a-uuid"}
	c.addMember(t, w.tenant.Id, w.user.Id)
	w.typ = c.newNodeType(t, w.tenant.Id, bookSchema)
	w.schemalessType = c.newNodeType(t, w.tenant.Id, "")
	w.node = c.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Dune"}`)
	w.node2 = c.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Emma"}`)
	w.rel = c.newRelationship(t, w.tenant.Id, w.node.Id, w.node2.Id)
	w.otherType = c.newNodeType(t, w.other.Id, bookSchema)
	w.otherNode = c.newNode(t, w.other.Id, w.otherType.Id, `{"title": "Other"}`)
	w.otherRel = c.newRelationship(t, w.other.Id, w.otherNode.Id, w.otherNode.Id)
	return w
}

// ---------------------------------------------------------------------------------------------------------
// Assertions

// checkStatus asserts err's gRPC code, that its message contains msg, and, when fields is not nil,
// that its google.rpc.BadRequest names exactly those fields (in any order).
func checkStatus(t testing.TB, err error, code codes.Code, fields []string, msg string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("code = %s (%q), want %s", st.Code(), st.Message(), code)
	}
	if !strings.Contains(st.Message(), msg) {
		t.Errorf("message = %q, want it to contain %q", st.Message(), msg)
	}
	if code == codes.OK {
		return
	}
	got := violatedFields(st)
	if code == codes.InvalidArgument && len(got) == 0 {
		t.Errorf("InvalidArgument without a BadRequest naming the fields: %q", st.Message())
	}
	if fields == nil {
		return
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Errorf("field violations = %q, want %q (message %q)", got, want, st.Message())
	}
}

// violatedFields lists the fields of every BadRequest detail of st.
func violatedFields(st *status.Status) []string {
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetDescription() == "" {
					fields = append(fields, v.GetField()+" (without description)")
					continue
				}
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// check fails the test (without stopping it) unless ok.
func check(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

// ---------------------------------------------------------------------------------------------------------
// Every RPC: its success and each of its error classes

// rpcCase is one behaviour of one RPC. call makes the call (creating what it needs first) and may
// check a successful answer; the case then asserts the status.
type rpcCase struct {
	name   string
	call   func(ctx context.Context, t *testing.T, w *world) error
	code   codes.Code
	fields []string // for InvalidArgument: every field the BadRequest names
	msg    string   // part of the status message
}

func TestRPCs(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		for _, tc := range rpcCases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.call(t.Context(), t, w)
				checkStatus(t, err, tc.code, tc.fields, tc.msg)
			})
		}
	})
}

// longName is one character over the name limit.
var longName = strings.Repeat("n", 201)

var rpcCases = []rpcCase{
	// ---- TenantService ----
	{name: "CreateTenant/creates an active tenant at version 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			slug := unique("acme")
			r, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: slug, Name: "Acme"})
			if err == nil {
				x := r.Tenant
				check(t, x.Id != "" && x.Slug == slug && x.Name == "Acme" && x.Status == "active" && x.Version == 1 &&
					x.CreatedAt.IsValid() && x.UpdatedAt.AsTime().Equal(x.CreatedAt.AsTime()), "tenant = %v", x)
			}
			return err
		}},
	{name: "CreateTenant/requires slug and name", code: codes.InvalidArgument, fields: []string{"slug", "name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{})
			return err
		}},
	{name: "CreateTenant/refuses a slug with capitals or spaces", code: codes.InvalidArgument, fields: []string{"slug"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: "Acme Corp", Name: "Acme"})
			return err
		}},
	{name: "CreateTenant/refuses a name over 200 characters", code: codes.InvalidArgument, fields: []string{"name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: unique("long"), Name: longName})
			return err
		}},
	{name: "CreateTenant/refuses a slug already taken", code: codes.AlreadyExists, msg: "slug",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: w.tenant.Slug, Name: "Again"})
			return err
		}},
	{name: "GetTenant/returns the tenant", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetTenant(ctx, &pb.GetTenantRequest{Id: w.tenant.Id})
			if err == nil {
				check(t, proto.Equal(r.Tenant, w.tenant), "got %v, want %v", r.Tenant, w.tenant)
			}
			return err
		}},
	{name: "GetTenant/requires an id", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetTenant(ctx, &pb.GetTenantRequest{})
			return err
		}},
	{name: "GetTenant/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetTenant(ctx, &pb.GetTenantRequest{Id: w.notAUUID})
			return err
		}},
	{name: "GetTenant/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetTenant(ctx, &pb.GetTenantRequest{Id: w.unknown})
			return err
		}},
	{name: "UpdateTenant/changes the fields given and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newTenant(t)
			r, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: before.Id, Name: "Renamed", Status: "suspended"})
			if err == nil {
				x := r.Tenant
				check(t, x.Name == "Renamed" && x.Status == "suspended" && x.Slug == before.Slug && x.Version == 2,
					"tenant = %v", x)
			}
			return err
		}},
	{name: "UpdateTenant/refuses an unknown status", code: codes.InvalidArgument, fields: []string{"status"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: w.tenant.Id, Status: "deleted"})
			return err
		}},
	{name: "UpdateTenant/refuses a malformed slug and id together", code: codes.InvalidArgument, fields: []string{"id", "slug"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: w.notAUUID, Slug: "-bad"})
			return err
		}},
	{name: "UpdateTenant/refuses a slug already taken", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: w.tenant.Id, Slug: w.other.Slug})
			return err
		}},
	{name: "UpdateTenant/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: w.unknown, Name: "X"})
			return err
		}},
	{name: "DeleteTenant/deletes the tenant", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newTenant(t)
			_, err := w.DeleteTenant(ctx, &pb.DeleteTenantRequest{Id: x.Id})
			if err == nil {
				_, err := w.GetTenant(ctx, &pb.GetTenantRequest{Id: x.Id})
				check(t, status.Code(err) == codes.NotFound, "GetTenant after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteTenant/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteTenant(ctx, &pb.DeleteTenantRequest{Id: w.unknown})
			return err
		}},
	{name: "DeleteTenant/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteTenant(ctx, &pb.DeleteTenantRequest{Id: w.notAUUID})
			return err
		}},
	{name: "ListTenants/lists every tenant", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.ListTenants(ctx, &pb.ListTenantsRequest{Pagination: &pb.Pagination{PageSize: 100}})
			if err == nil {
				check(t, slices.ContainsFunc(r.Tenants, func(x *pb.Tenant) bool { return proto.Equal(x, w.tenant) }),
					"tenant %s missing from %v", w.tenant.Id, r.Tenants)
				check(t, int(r.Pagination.TotalCount) == len(r.Tenants), "total_count %d, %d tenants", r.Pagination.TotalCount, len(r.Tenants))
			}
			return err
		}},
	{name: "ListTenants/refuses a negative page size", code: codes.InvalidArgument, fields: []string{"pagination.page_size"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListTenants(ctx, &pb.ListTenantsRequest{Pagination: &pb.Pagination{PageSize: -1}})
			return err
		}},
	{name: "ListTenants/refuses a page token it did not make", code: codes.InvalidArgument, fields: []string{"pagination.page_token"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListTenants(ctx, &pb.ListTenantsRequest{Pagination: &pb.Pagination{PageToken: "garbage"}})
			return err
		}},

	// ---- UserService ----
	{name: "CreateUser/creates a user at version 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			email := unique("ada") + "@example.com"
			r, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: email, DisplayName: "Ada"})
			if err == nil {
				x := r.User
				check(t, x.Id != "" && x.Email == email && x.DisplayName == "Ada" && x.Version == 1 && x.CreatedAt.IsValid(), "user = %v", x)
			}
			return err
		}},
	{name: "CreateUser/keeps the email in lower case", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			local := unique("grace")
			r, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: strings.ToUpper(local) + "@Example.COM", DisplayName: "Grace"})
			if err == nil {
				check(t, r.User.Email == local+"@example.com", "email = %q", r.User.Email)
			}
			return err
		}},
	{name: "CreateUser/requires an email", code: codes.InvalidArgument, fields: []string{"email"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateUser(ctx, &pb.CreateUserRequest{DisplayName: "Nobody"})
			return err
		}},
	{name: "CreateUser/requires a display_name, as the original did", code: codes.InvalidArgument, fields: []string{"display_name"},
		msg: "display_name: is required",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: unique("nameless") + "@example.com"})
			return err
		}},
	{name: "CreateUser/refuses an email that is not an address, and a long display name", code: codes.InvalidArgument,
		fields: []string{"email", "display_name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: "ada at example", DisplayName: longName})
			return err
		}},
	{name: "CreateUser/refuses an email already taken", code: codes.AlreadyExists, msg: "email",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: w.user.Email, DisplayName: "Again"})
			return err
		}},
	{name: "CreateUser/refuses an email already taken in another case", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: strings.ToUpper(w.user.Email), DisplayName: "Again"})
			return err
		}},
	{name: "GetUser/returns the user", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetUser(ctx, &pb.GetUserRequest{Id: w.user.Id})
			if err == nil {
				check(t, proto.Equal(r.User, w.user), "got %v, want %v", r.User, w.user)
			}
			return err
		}},
	{name: "GetUser/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetUser(ctx, &pb.GetUserRequest{Id: w.notAUUID})
			return err
		}},
	{name: "GetUser/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetUser(ctx, &pb.GetUserRequest{Id: w.unknown})
			return err
		}},
	{name: "UpdateUser/changes the fields given and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newUser(t)
			r, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: before.Id, DisplayName: "Renamed"})
			if err == nil {
				check(t, r.User.DisplayName == "Renamed" && r.User.Email == before.Email && r.User.Version == 2, "user = %v", r.User)
			}
			return err
		}},
	{name: "UpdateUser/with an empty display_name keeps the old one", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newUser(t)
			email := unique("moved") + "@example.com"
			r, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: before.Id, Email: email})
			if err == nil {
				check(t, r.User.DisplayName == before.DisplayName && r.User.Email == email && r.User.Version == 2, "user = %v", r.User)
			}
			return err
		}},
	{name: "UpdateUser/refuses an email that is not an address", code: codes.InvalidArgument, fields: []string{"email"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: w.user.Id, Email: "nope"})
			return err
		}},
	{name: "UpdateUser/refuses an email already taken", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: w.newUser(t).Id, Email: w.user.Email})
			return err
		}},
	{name: "UpdateUser/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: w.unknown, DisplayName: "X"})
			return err
		}},
	{name: "DeleteUser/deletes the user", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newUser(t)
			_, err := w.DeleteUser(ctx, &pb.DeleteUserRequest{Id: x.Id})
			if err == nil {
				_, err := w.GetUser(ctx, &pb.GetUserRequest{Id: x.Id})
				check(t, status.Code(err) == codes.NotFound, "GetUser after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteUser/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteUser(ctx, &pb.DeleteUserRequest{Id: w.unknown})
			return err
		}},
	{name: "DeleteUser/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteUser(ctx, &pb.DeleteUserRequest{Id: w.notAUUID})
			return err
		}},
	{name: "ListUsers/lists every user", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.ListUsers(ctx, &pb.ListUsersRequest{Pagination: &pb.Pagination{PageSize: 100}})
			if err == nil {
				check(t, slices.ContainsFunc(r.Users, func(x *pb.User) bool { return proto.Equal(x, w.user) }),
					"user %s missing from %v", w.user.Id, r.Users)
				check(t, int(r.Pagination.TotalCount) == len(r.Users), "total_count %d, %d users", r.Pagination.TotalCount, len(r.Users))
			}
			return err
		}},
	{name: "ListUsers/refuses a page token it did not make", code: codes.InvalidArgument, fields: []string{"pagination.page_token"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListUsers(ctx, &pb.ListUsersRequest{Pagination: &pb.Pagination{PageToken: "cDEuMTIzLjQ1Ng"}})
			return err
		}},
	{name: "AddUserToTenant/adds the user as an active member by default", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			u := w.newUser(t)
			r, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: u.Id})
			if err == nil {
				want := &pb.TenantUser{TenantId: w.tenant.Id, UserId: u.Id, Role: "member", Status: "active"}
				check(t, proto.Equal(r.TenantUser, want), "got %v, want %v", r.TenantUser, want)
			}
			return err
		}},
	{name: "AddUserToTenant/keeps the role given", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.newUser(t).Id, Role: "admin"})
			if err == nil {
				check(t, r.TenantUser.Role == "admin", "role = %q", r.TenantUser.Role)
			}
			return err
		}},
	{name: "AddUserToTenant/keeps any role verbatim, and ListTenantUsers returns it so", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			const role = "King of the Hill ✓ (EU)"
			u := w.newUser(t)
			r, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: u.Id, Role: role})
			if err == nil {
				check(t, r.TenantUser.Role == role, "role = %q", r.TenantUser.Role)
				l, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.tenant.Id, Pagination: &pb.Pagination{PageSize: 100}})
				check(t, err == nil && slices.ContainsFunc(l.GetTenantUsers(), func(m *pb.TenantUser) bool { return m.UserId == u.Id && m.Role == role }),
					"listed %v (%v), want %s with role %q", l.GetTenantUsers(), err, u.Id, role)
			}
			return err
		}},
	{name: "AddUserToTenant/refuses a role over 200 characters", code: codes.InvalidArgument, fields: []string{"role"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.newUser(t).Id, Role: longName})
			return err
		}},
	{name: "AddUserToTenant/requires tenant_id and user_id", code: codes.InvalidArgument, fields: []string{"tenant_id", "user_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{})
			return err
		}},
	{name: "AddUserToTenant/answers NotFound for an unknown tenant", code: codes.NotFound, msg: "tenant",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.unknown, UserId: w.user.Id})
			return err
		}},
	{name: "AddUserToTenant/answers NotFound for an unknown user", code: codes.NotFound, msg: "user",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.unknown})
			return err
		}},
	{name: "AddUserToTenant/refuses a membership that exists", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.user.Id, Role: "viewer"})
			return err
		}},
	{name: "RemoveUserFromTenant/ends the membership", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			u := w.newUser(t)
			w.addMember(t, w.tenant.Id, u.Id)
			_, err := w.RemoveUserFromTenant(ctx, &pb.RemoveUserFromTenantRequest{TenantId: w.tenant.Id, UserId: u.Id})
			if err == nil {
				_, again := w.RemoveUserFromTenant(ctx, &pb.RemoveUserFromTenantRequest{TenantId: w.tenant.Id, UserId: u.Id})
				check(t, status.Code(again) == codes.NotFound, "removing again: %v", again)
			}
			return err
		}},
	{name: "RemoveUserFromTenant/answers NotFound for a user who is not a member", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.RemoveUserFromTenant(ctx, &pb.RemoveUserFromTenantRequest{TenantId: w.other.Id, UserId: w.user.Id})
			return err
		}},
	{name: "RemoveUserFromTenant/refuses ids that are not UUIDs", code: codes.InvalidArgument, fields: []string{"tenant_id", "user_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.RemoveUserFromTenant(ctx, &pb.RemoveUserFromTenantRequest{TenantId: w.notAUUID, UserId: w.notAUUID})
			return err
		}},
	{name: "ListTenantUsers/lists the tenant's members", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.other.Id})
			if err == nil {
				check(t, len(r.TenantUsers) == 0 && r.Pagination.TotalCount == 0, "other tenant's members = %v", r.TenantUsers)
				r, err = w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.tenant.Id, Pagination: &pb.Pagination{PageSize: 100}})
				check(t, err == nil && slices.ContainsFunc(r.GetTenantUsers(), func(m *pb.TenantUser) bool { return m.UserId == w.user.Id }),
					"member %s missing: %v %v", w.user.Id, r.GetTenantUsers(), err)
			}
			return err
		}},
	{name: "ListTenantUsers/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.unknown})
			return err
		}},
	{name: "ListTenantUsers/refuses a tenant_id that is not a UUID", code: codes.InvalidArgument, fields: []string{"tenant_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.notAUUID})
			return err
		}},

	// ---- RoleService ----
	{name: "CreateRole/defines a role with its permissions sorted, without repeats, at version 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			name := unique("Reviewer ✓")
			r, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.tenant.Id, Name: name, Permissions: []string{"nodes.write", "nodes.read", "nodes.write"}})
			if err == nil {
				x := r.Role
				check(t, x.TenantId == w.tenant.Id && x.Name == name && slices.Equal(x.Permissions, []string{"nodes.read", "nodes.write"}) &&
					x.Version == 1 && x.CreatedAt.IsValid(), "role = %v", x)
			}
			return err
		}},
	{name: "CreateRole/refuses a built-in role's name", code: codes.InvalidArgument, fields: []string{"name"}, msg: "built-in",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.tenant.Id, Name: "viewer", Permissions: []string{"nodes.write"}})
			return err
		}},
	{name: "CreateRole/refuses an unknown permission and no name", code: codes.InvalidArgument, fields: []string{"name", "permissions"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.tenant.Id, Permissions: []string{"nodes.read", "everything"}})
			return err
		}},
	{name: "CreateRole/requires a permission", code: codes.InvalidArgument, fields: []string{"permissions"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.tenant.Id, Name: unique("empty")})
			return err
		}},
	{name: "CreateRole/refuses a name the tenant has defined", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.tenant.Id, Name: w.newRole(t, w.tenant.Id).Name, Permissions: []string{"nodes.read"}})
			return err
		}},
	{name: "CreateRole/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRole(ctx, &pb.CreateRoleRequest{TenantId: w.unknown, Name: unique("r"), Permissions: []string{"nodes.read"}})
			return err
		}},
	{name: "GetRole/returns the role", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			r, err := w.GetRole(ctx, &pb.GetRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
			if err == nil {
				check(t, proto.Equal(r.Role, x), "got %v, want %v", r.Role, x)
			}
			return err
		}},
	{name: "GetRole/answers NotFound for a built-in role, which is not defined", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetRole(ctx, &pb.GetRoleRequest{TenantId: w.tenant.Id, Name: "owner"})
			return err
		}},
	{name: "GetRole/answers NotFound for another tenant's role", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetRole(ctx, &pb.GetRoleRequest{TenantId: w.tenant.Id, Name: w.newRole(t, w.other.Id).Name})
			return err
		}},
	{name: "UpdateRole/replaces the permissions and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			r, err := w.UpdateRole(ctx, &pb.UpdateRoleRequest{TenantId: w.tenant.Id, Name: x.Name, Permissions: []string{"tenant.read"}, ExpectedVersion: 1})
			if err == nil {
				check(t, slices.Equal(r.Role.Permissions, []string{"tenant.read"}) && r.Role.Version == 2, "role = %v", r.Role)
			}
			return err
		}},
	{name: "UpdateRole/with no permissions keeps them", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			r, err := w.UpdateRole(ctx, &pb.UpdateRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
			if err == nil {
				check(t, slices.Equal(r.Role.Permissions, x.Permissions) && r.Role.Version == 2, "role = %v, want permissions %v", r.Role, x.Permissions)
			}
			return err
		}},
	{name: "UpdateRole/refuses to redefine a built-in role", code: codes.InvalidArgument, fields: []string{"name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateRole(ctx, &pb.UpdateRoleRequest{TenantId: w.tenant.Id, Name: "member", Permissions: []string{"keys.manage"}})
			return err
		}},
	{name: "UpdateRole/refuses a stale expected_version", code: codes.Aborted,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			_, err := w.UpdateRole(ctx, &pb.UpdateRoleRequest{TenantId: w.tenant.Id, Name: x.Name, Permissions: []string{"tenant.read"}, ExpectedVersion: 7})
			return err
		}},
	{name: "DeleteRole/deletes a role no one holds", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			_, err := w.DeleteRole(ctx, &pb.DeleteRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
			if err == nil {
				_, err := w.GetRole(ctx, &pb.GetRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
				check(t, status.Code(err) == codes.NotFound, "GetRole after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteRole/refuses while members hold the role, saying how many", code: codes.FailedPrecondition, msg: "held by 2 members",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			for range 2 {
				_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.newUser(t).Id, Role: x.Name})
				must(t, err)
			}
			_, err := w.DeleteRole(ctx, &pb.DeleteRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
			return err
		}},
	{name: "DeleteRole/refuses a stale expected_version, deleting nothing", code: codes.Aborted,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRole(t, w.tenant.Id)
			_, err := w.DeleteRole(ctx, &pb.DeleteRoleRequest{TenantId: w.tenant.Id, Name: x.Name, ExpectedVersion: 7})
			_, getErr := w.GetRole(ctx, &pb.GetRoleRequest{TenantId: w.tenant.Id, Name: x.Name})
			check(t, getErr == nil, "GetRole after the refused delete: %v", getErr)
			return err
		}},
	{name: "DeleteRole/refuses a built-in role", code: codes.InvalidArgument, fields: []string{"name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteRole(ctx, &pb.DeleteRoleRequest{TenantId: w.tenant.Id, Name: "admin"})
			return err
		}},
	{name: "DeleteRole/answers NotFound for an undefined role", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteRole(ctx, &pb.DeleteRoleRequest{TenantId: w.tenant.Id, Name: unique("never")})
			return err
		}},
	{name: "ListRoles/lists the tenant's roles, newest first, and no other's", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			tenant := w.newTenant(t)
			a, b := w.newRole(t, tenant.Id), w.newRole(t, tenant.Id)
			w.newRole(t, w.other.Id)
			r, err := w.ListRoles(ctx, &pb.ListRolesRequest{TenantId: tenant.Id})
			if err == nil {
				check(t, len(r.Roles) == 2 && proto.Equal(r.Roles[0], b) && proto.Equal(r.Roles[1], a) && r.Pagination.TotalCount == 2,
					"roles = %v, want %v and %v", r.Roles, b, a)
			}
			return err
		}},
	{name: "ListRoles/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListRoles(ctx, &pb.ListRolesRequest{TenantId: w.unknown})
			return err
		}},

	// ---- NodeTypeService ----
	{name: "CreateNodeType/creates a type with its schema in canonical form", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: "Book", Description: "A book", Schema: bookSchema})
			if err == nil {
				x := r.NodeType
				check(t, x.Id != "" && x.TenantId == w.tenant.Id && x.Name == "Book" && x.Description == "A book" && x.Version == 1,
					"node type = %v", x)
				check(t, x.Schema == `{"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}`,
					"schema = %s", x.Schema)
			}
			return err
		}},
	{name: "CreateNodeType/takes an empty schema as {}", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("any")})
			if err == nil {
				check(t, r.NodeType.Schema == "{}", "schema = %q", r.NodeType.Schema)
			}
			return err
		}},
	{name: "CreateNodeType/allows a name that another tenant uses", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: w.otherType.Name})
			return err
		}},
	{name: "CreateNodeType/requires tenant_id and name", code: codes.InvalidArgument, fields: []string{"tenant_id", "name"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{})
			return err
		}},
	{name: "CreateNodeType/refuses a schema that is not a JSON Schema", code: codes.InvalidArgument, fields: []string{"schema"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"), Schema: `{"type": 5}`})
			return err
		}},
	{name: "CreateNodeType/refuses a schema that is not JSON", code: codes.InvalidArgument, fields: []string{"schema"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"), Schema: `{"type": `})
			return err
		}},
	{name: "CreateNodeType/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.unknown, Name: "Book"})
			return err
		}},
	{name: "CreateNodeType/refuses a name the tenant already uses", code: codes.AlreadyExists, msg: "already exists",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: w.typ.Name})
			return err
		}},
	{name: "GetNodeType/returns the type", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id})
			if err == nil {
				check(t, proto.Equal(r.NodeType, w.typ), "got %v, want %v", r.NodeType, w.typ)
			}
			return err
		}},
	{name: "GetNodeType/answers NotFound for another tenant's type", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.tenant.Id, Id: w.otherType.Id})
			return err
		}},
	{name: "GetNodeType/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "GetNodeType/refuses ids that are not UUIDs", code: codes.InvalidArgument, fields: []string{"tenant_id", "id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.notAUUID, Id: w.notAUUID})
			return err
		}},
	{name: "UpdateNodeType/changes the fields given and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newNodeType(t, w.tenant.Id, "")
			r, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: before.Id, Description: "Now with a schema", Schema: bookSchema})
			if err == nil {
				x := r.NodeType
				check(t, x.Name == before.Name && x.Description == "Now with a schema" && strings.Contains(x.Schema, "required") && x.Version == 2,
					"node type = %v", x)
			}
			return err
		}},
	{name: "UpdateNodeType/refuses a schema that is not a JSON Schema", code: codes.InvalidArgument, fields: []string{"schema"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id, Schema: `{"required": "title"}`})
			return err
		}},
	{name: "UpdateNodeType/refuses a name the tenant already uses", code: codes.AlreadyExists,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.schemalessType.Id, Name: w.typ.Name})
			return err
		}},
	{name: "UpdateNodeType/answers NotFound for another tenant's type", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.otherType.Id, Name: "Mine"})
			return err
		}},
	{name: "UpdateNodeType/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.unknown, Name: "Mine"})
			return err
		}},
	{name: "DeleteNodeType/deletes a type without nodes", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newNodeType(t, w.tenant.Id, "")
			_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: x.Id})
			if err == nil {
				_, err := w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.tenant.Id, Id: x.Id})
				check(t, status.Code(err) == codes.NotFound, "GetNodeType after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteNodeType/refuses while the type has nodes, saying how many", code: codes.FailedPrecondition, msg: "2 nodes",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newNodeType(t, w.tenant.Id, "")
			w.newNode(t, w.tenant.Id, x.Id, "")
			w.newNode(t, w.tenant.Id, x.Id, "")
			_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: x.Id})
			return err
		}},
	{name: "DeleteNodeType/with cascade deletes the type, its nodes and their relationships", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newNodeType(t, w.tenant.Id, "")
			n := w.newNode(t, w.tenant.Id, x.Id, "")
			rel := w.newRelationship(t, w.tenant.Id, w.node.Id, n.Id)
			_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: x.Id, Cascade: true})
			if err == nil {
				_, errNode := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: n.Id})
				_, errRel := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: rel.Id})
				check(t, status.Code(errNode) == codes.NotFound && status.Code(errRel) == codes.NotFound,
					"after cascade: node %v, relationship %v", errNode, errRel)
			}
			return err
		}},
	{name: "DeleteNodeType/answers NotFound for another tenant's type, even with cascade", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: w.otherType.Id, Cascade: true})
			if _, get := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.other.Id, Id: w.otherNode.Id}); get != nil {
				t.Errorf("the other tenant's node is gone: %v", get)
			}
			return err
		}},
	{name: "DeleteNodeType/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "ListNodeTypes/lists the tenant's types only", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: w.other.Id})
			if err == nil {
				check(t, len(r.NodeTypes) == 1 && proto.Equal(r.NodeTypes[0], w.otherType) && r.Pagination.TotalCount == 1,
					"other tenant's types = %v", r.NodeTypes)
			}
			return err
		}},
	{name: "ListNodeTypes/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: w.unknown})
			return err
		}},
	{name: "ListNodeTypes/refuses a tenant_id that is not a UUID", code: codes.InvalidArgument, fields: []string{"tenant_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: w.notAUUID})
			return err
		}},

	// ---- NodeService ----
	{name: "CreateNode/creates a node with its data in canonical form", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{ "year":1965,"title":"Dune" }`})
			if err == nil {
				x := r.Node
				check(t, x.Id != "" && x.TenantId == w.tenant.Id && x.NodeTypeId == w.typ.Id && x.Version == 1 &&
					x.Data == `{"year": 1965, "title": "Dune"}`, "node = %v", x)
			}
			return err
		}},
	{name: "CreateNode/takes empty data as {}", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.schemalessType.Id})
			if err == nil {
				check(t, r.Node.Data == "{}", "data = %q", r.Node.Data)
			}
			return err
		}},
	{name: "CreateNode/requires tenant_id and node_type_id", code: codes.InvalidArgument, fields: []string{"tenant_id", "node_type_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{Data: "{}"})
			return err
		}},
	{name: "CreateNode/refuses data that is not JSON", code: codes.InvalidArgument, fields: []string{"data"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.schemalessType.Id, Data: `{"title": }`})
			return err
		}},
	{name: "CreateNode/refuses data that is a JSON array", code: codes.InvalidArgument, fields: []string{"data"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.schemalessType.Id, Data: `[{"title": "Dune"}]`})
			return err
		}},
	{name: "CreateNode/refuses data that breaks its type's schema, naming the place", code: codes.InvalidArgument, fields: []string{"data/title"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{"title": 5}`})
			return err
		}},
	{name: "CreateNode/answers NotFound for an unknown node type", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.unknown})
			return err
		}},
	{name: "CreateNode/answers NotFound for another tenant's node type", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.otherType.Id, Data: `{"title": "x"}`})
			return err
		}},
	{name: "CreateNode/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.unknown, NodeTypeId: w.typ.Id, Data: `{"title": "x"}`})
			return err
		}},
	{name: "GetNode/returns the node", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id})
			if err == nil {
				check(t, proto.Equal(r.Node, w.node), "got %v, want %v", r.Node, w.node)
			}
			return err
		}},
	{name: "GetNode/takes ids in upper case", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: strings.ToUpper(w.tenant.Id), Id: strings.ToUpper(w.node.Id)})
			if err == nil {
				check(t, r.Node.Id == w.node.Id && r.Node.TenantId == w.tenant.Id, "node = %v", r.Node)
			}
			return err
		}},
	{name: "GetNode/answers NotFound for another tenant's node", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.otherNode.Id})
			return err
		}},
	{name: "GetNode/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "GetNode/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id + "0"})
			return err
		}},
	{name: "UpdateNode/replaces the data and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Draft", "notes": "x"}`)
			r, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: before.Id, Data: `{"title": "Final"}`})
			if err == nil {
				x := r.Node
				check(t, x.Data == `{"title": "Final"}` && x.Version == 2 && x.NodeTypeId == before.NodeTypeId &&
					x.CreatedAt.AsTime().Equal(before.CreatedAt.AsTime()) && !x.UpdatedAt.AsTime().Before(before.UpdatedAt.AsTime()),
					"node = %v", x)
			}
			return err
		}},
	{name: "UpdateNode/merges a patch into the document as it is: null removes, objects merge, arrays are replaced", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Draft", "notes": "x", "meta": {"a": 1, "b": 2}, "tags": [1, 2]}`)
			r, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: before.Id,
				Patch: `{"notes": null, "meta": {"b": null, "c": 3}, "tags": [3], "title": "Final"}`})
			if err == nil {
				check(t, r.Node.Data == `{"meta": {"a": 1, "c": 3}, "tags": [3], "title": "Final"}` && r.Node.Version == 2, "node = %v", r.Node)
			}
			return err
		}},
	{name: "UpdateNode/refuses a patch whose document would pass the size limit, changing nothing", code: codes.ResourceExhausted, fields: []string{"patch"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			half := strings.Repeat("x", 600<<10)
			before := w.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Big", "a": "`+half+`"}`)
			_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: before.Id, Patch: `{"b": "` + half + `"}`})
			got, getErr := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: before.Id})
			check(t, getErr == nil && got.Node.Version == 1, "after the refused patch: %v %v", got, getErr)
			return err
		}},
	{name: "UpdateNode/refuses data that breaks the type's schema", code: codes.InvalidArgument, fields: []string{"data/title"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id, Data: `{"title": ["Dune"]}`})
			return err
		}},
	{name: "UpdateNode/refuses data that is not JSON", code: codes.InvalidArgument, fields: []string{"data"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id, Data: `{'title': 'Dune'}`})
			return err
		}},
	{name: "UpdateNode/answers NotFound for another tenant's node", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.otherNode.Id, Data: `{"title": "Mine"}`})
			return err
		}},
	{name: "UpdateNode/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.unknown, Data: `{"title": "Mine"}`})
			return err
		}},
	{name: "DeleteNode/deletes the node", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newNode(t, w.tenant.Id, w.schemalessType.Id, "")
			_, err := w.DeleteNode(ctx, &pb.DeleteNodeRequest{TenantId: w.tenant.Id, Id: x.Id})
			if err == nil {
				_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: x.Id})
				check(t, status.Code(err) == codes.NotFound, "GetNode after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteNode/answers NotFound for another tenant's node", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteNode(ctx, &pb.DeleteNodeRequest{TenantId: w.tenant.Id, Id: w.otherNode.Id})
			return err
		}},
	{name: "DeleteNode/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteNode(ctx, &pb.DeleteNodeRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "DeleteNode/requires an id", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteNode(ctx, &pb.DeleteNodeRequest{TenantId: w.tenant.Id})
			return err
		}},
	{name: "ListNodes/lists the nodes of one type", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newNodeType(t, w.tenant.Id, "")
			n := w.newNode(t, w.tenant.Id, x.Id, `{"k": 1}`)
			r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, NodeTypeId: x.Id})
			if err == nil {
				check(t, len(r.Nodes) == 1 && proto.Equal(r.Nodes[0], n) && r.Pagination.TotalCount == 1 && r.Pagination.NextPageToken == "",
					"nodes = %v, pagination %v", r.Nodes, r.Pagination)
			}
			return err
		}},
	{name: "ListNodes/lists the tenant's nodes only", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.other.Id})
			if err == nil {
				check(t, len(r.Nodes) == 1 && proto.Equal(r.Nodes[0], w.otherNode), "other tenant's nodes = %v", r.Nodes)
			}
			return err
		}},
	{name: "ListNodes/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.unknown})
			return err
		}},
	{name: "ListNodes/refuses a node_type_id that is not a UUID", code: codes.InvalidArgument, fields: []string{"node_type_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, NodeTypeId: w.notAUUID})
			return err
		}},

	// ---- RelationshipService ----
	{name: "CreateRelationship/creates an edge at version 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node2.Id,
				TargetNodeId: w.node.Id, RelationshipType: "answers", Data: `{"b":2,"a":1}`})
			if err == nil {
				x := r.Relationship
				check(t, x.Id != "" && x.TenantId == w.tenant.Id && x.SourceNodeId == w.node2.Id && x.TargetNodeId == w.node.Id &&
					x.RelationshipType == "answers" && x.Data == `{"a": 1, "b": 2}` && x.Version == 1, "relationship = %v", x)
			}
			return err
		}},
	{name: "CreateRelationship/takes empty data as {}", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
				TargetNodeId: w.node.Id, RelationshipType: "self"})
			if err == nil {
				check(t, r.Relationship.Data == "{}", "data = %q", r.Relationship.Data)
			}
			return err
		}},
	{name: "CreateRelationship/requires its endpoints and type", code: codes.InvalidArgument,
		fields: []string{"source_node_id", "target_node_id", "relationship_type"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id})
			return err
		}},
	{name: "CreateRelationship/refuses data that is a JSON array", code: codes.InvalidArgument, fields: []string{"data"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
				TargetNodeId: w.node2.Id, RelationshipType: "cites", Data: `[1, 2]`})
			return err
		}},
	{name: "CreateRelationship/answers NotFound for an unknown source node", code: codes.NotFound, msg: "source_node_id",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.unknown,
				TargetNodeId: w.node2.Id, RelationshipType: "cites"})
			return err
		}},
	{name: "CreateRelationship/answers NotFound for a target node of another tenant", code: codes.NotFound, msg: "target_node_id",
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
				TargetNodeId: w.otherNode.Id, RelationshipType: "cites"})
			return err
		}},
	{name: "CreateRelationship/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.unknown, SourceNodeId: w.node.Id,
				TargetNodeId: w.node2.Id, RelationshipType: "cites"})
			return err
		}},
	{name: "GetRelationship/returns the relationship", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			r, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.rel.Id})
			if err == nil {
				check(t, proto.Equal(r.Relationship, w.rel), "got %v, want %v", r.Relationship, w.rel)
			}
			return err
		}},
	{name: "GetRelationship/answers NotFound for another tenant's relationship", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.otherRel.Id})
			return err
		}},
	{name: "GetRelationship/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "GetRelationship/refuses an id that is not a UUID", code: codes.InvalidArgument, fields: []string{"id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.notAUUID})
			return err
		}},
	{name: "UpdateRelationship/changes the fields given and grows the version by 1", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			before := w.newRelationship(t, w.tenant.Id, w.node.Id, w.node2.Id)
			r, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: w.tenant.Id, Id: before.Id, RelationshipType: "quotes"})
			if err == nil {
				x := r.Relationship
				check(t, x.RelationshipType == "quotes" && x.Data == before.Data && x.Version == 2, "relationship = %v", x)
			}
			return err
		}},
	{name: "UpdateRelationship/refuses data that is not a JSON object", code: codes.InvalidArgument, fields: []string{"data"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: w.tenant.Id, Id: w.rel.Id, Data: `"text"`})
			return err
		}},
	{name: "UpdateRelationship/answers NotFound for another tenant's relationship", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: w.tenant.Id, Id: w.otherRel.Id, RelationshipType: "mine"})
			return err
		}},
	{name: "UpdateRelationship/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: w.tenant.Id, Id: w.unknown, RelationshipType: "mine"})
			return err
		}},
	{name: "DeleteRelationship/deletes the relationship", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			x := w.newRelationship(t, w.tenant.Id, w.node.Id, w.node2.Id)
			_, err := w.DeleteRelationship(ctx, &pb.DeleteRelationshipRequest{TenantId: w.tenant.Id, Id: x.Id})
			if err == nil {
				_, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: x.Id})
				check(t, status.Code(err) == codes.NotFound, "GetRelationship after delete: %v", err)
			}
			return err
		}},
	{name: "DeleteRelationship/answers NotFound for another tenant's relationship", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteRelationship(ctx, &pb.DeleteRelationshipRequest{TenantId: w.tenant.Id, Id: w.otherRel.Id})
			return err
		}},
	{name: "DeleteRelationship/answers NotFound for an unknown id", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.DeleteRelationship(ctx, &pb.DeleteRelationshipRequest{TenantId: w.tenant.Id, Id: w.unknown})
			return err
		}},
	{name: "ListRelationships/lists the edges matching every filter given", code: codes.OK,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			a := w.newNode(t, w.tenant.Id, w.schemalessType.Id, "")
			b := w.newNode(t, w.tenant.Id, w.schemalessType.Id, "")
			ab := w.newRelationship(t, w.tenant.Id, a.Id, b.Id)
			w.newRelationship(t, w.tenant.Id, b.Id, a.Id)
			r, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id, SourceNodeId: a.Id,
				TargetNodeId: b.Id, RelationshipType: ab.RelationshipType})
			if err == nil {
				check(t, len(r.Relationships) == 1 && proto.Equal(r.Relationships[0], ab) && r.Pagination.TotalCount == 1,
					"relationships = %v", r.Relationships)
			}
			return err
		}},
	{name: "ListRelationships/answers NotFound for an unknown tenant", code: codes.NotFound,
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.unknown})
			return err
		}},
	{name: "ListRelationships/refuses node ids that are not UUIDs", code: codes.InvalidArgument,
		fields: []string{"source_node_id", "target_node_id"},
		call: func(ctx context.Context, t *testing.T, w *world) error {
			_, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id, SourceNodeId: w.notAUUID, TargetNodeId: "1"})
			return err
		}},
}

// Every RPC of the five services of the original contract has its success and at least one error in
// rpcCases.
func TestEveryRPCIsSpecified(t *testing.T) {
	rpcs := 0
	for _, name := range []protoreflect.FullName{"dbaas.TenantService", "dbaas.UserService", "dbaas.NodeTypeService",
		"dbaas.NodeService", "dbaas.RelationshipService"} {
		service := pb.File_dbaas_dbaas_proto.Services().ByName(name.Name())
		if service == nil {
			t.Fatalf("the proto has no %s", name)
		}
		methods := service.Methods()
		for j := range methods.Len() {
			rpc := string(methods.Get(j).Name())
			rpcs++
			var ok, failing int
			for _, tc := range rpcCases {
				if strings.HasPrefix(tc.name, rpc+"/") {
					if tc.code == codes.OK {
						ok++
					} else {
						failing++
					}
				}
			}
			if ok == 0 || failing == 0 {
				t.Errorf("%s: %d success cases and %d error cases; want at least one of each", rpc, ok, failing)
			}
		}
	}
	if rpcs != 28 {
		t.Errorf("the five services have %d RPCs; the contract has 28", rpcs)
	}
}

// ---------------------------------------------------------------------------------------------------------
// JSON Schema

func TestNodeDataFollowsItsSchema(t *testing.T) {
	const article = `{"type": "object", "required": ["title"], "properties": {"title": {"type": "string"},
		"pages": {"type": "integer", "minimum": 1}, "author": {"type": "object", "properties": {"name": {"type": "string"}}}}}`
	cases := []struct {
		name   string
		call   func(ctx context.Context, t *testing.T, w *world, typeID string) error
		code   codes.Code
		fields []string
	}{
		{name: "CreateNode accepts data that satisfies the schema", code: codes.OK,
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: typeID, Data: `{"title": "Dune", "pages": 412}`})
				return err
			}},
		{name: "CreateNode accepts properties the schema does not mention", code: codes.OK,
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: typeID, Data: `{"title": "Dune", "isbn": "x"}`})
				return err
			}},
		{name: "CreateNode refuses a property of the wrong type, at data/<property>", code: codes.InvalidArgument, fields: []string{"data/title"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: typeID, Data: `{"title": 5}`})
				return err
			}},
		{name: "CreateNode refuses a missing required property", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: typeID, Data: `{"pages": 3}`})
				return err
			}},
		{name: "CreateNode lists every violation, each at its own place", code: codes.InvalidArgument,
			fields: []string{"data/title", "data/pages", "data/author/name"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: typeID,
					Data: `{"title": false, "pages": 0, "author": {"name": ["Frank", "Herbert"]}}`})
				return err
			}},
		{name: "UpdateNode accepts data that satisfies the schema", code: codes.OK,
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				n := w.newNode(t, w.tenant.Id, typeID, `{"title": "Draft"}`)
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: n.Id, Data: `{"title": "Final", "pages": 9}`})
				return err
			}},
		{name: "UpdateNode refuses data that breaks the schema, listing each violation", code: codes.InvalidArgument,
			fields: []string{"data/title", "data/pages"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				n := w.newNode(t, w.tenant.Id, typeID, `{"title": "Draft"}`)
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: n.Id, Data: `{"title": null, "pages": 1.5}`})
				return err
			}},
		{name: "a new schema applies to the writes after it", code: codes.InvalidArgument, fields: []string{"data/title"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				x := w.newNodeType(t, w.tenant.Id, "")
				w.newNode(t, w.tenant.Id, x.Id, `{"title": 1}`) // the old schema allows it, and caches
				_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: x.Id, Schema: bookSchema})
				must(t, err)
				_, err = w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: x.Id, Data: `{"title": 1}`})
				return err
			}},
		{name: "CreateNodeType refuses a schema that is not a schema", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"), Schema: `{"type": "book"}`})
				return err
			}},
		{name: "CreateNodeType refuses a schema that is a JSON array", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"), Schema: `[{"type": "object"}]`})
				return err
			}},
		{name: "CreateNodeType refuses a schema that refers outside itself", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world, typeID string) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"),
					Schema: `{"$ref": "https://example.com/book.json"}`})
				return err
			}},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		typ := c.newNodeType(t, w.tenant.Id, article)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				checkStatus(t, tc.call(t.Context(), t, w, typ.Id), tc.code, tc.fields, "")
			})
		}
	})
}

// ---------------------------------------------------------------------------------------------------------
// Bad input: refused with InvalidArgument or NotFound, never Internal or Unknown, and never half written

// nested returns a JSON object nesting depth levels deep ({} is one level).
func nested(depth int) string {
	return strings.Repeat(`{"a": `, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

// book returns a document that satisfies bookSchema, exactly size bytes long.
func book(size int) string {
	const frame = `{"title": ""}`
	return `{"title": "` + strings.Repeat("a", size-len(frame)) + `"}`
}

// deepBook returns a document that satisfies bookSchema, nesting depth levels deep.
func deepBook(depth int) string {
	return `{"a": ` + nested(depth-1) + `, "title": "deep"}` // in canonical order: it reads back as it is
}

const (
	maxDocBytes = 1 << 20
	maxDocDepth = 64
)

// snapshot describes everything the world's tenant holds, and how many tenants and users there are: two
// snapshots differ if any call wrote anything.
func (w *world) snapshot(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	all := &pb.Pagination{PageSize: 100}
	var b strings.Builder
	tenants, err := w.ListTenants(ctx, &pb.ListTenantsRequest{})
	must(t, err)
	users, err := w.ListUsers(ctx, &pb.ListUsersRequest{})
	must(t, err)
	fmt.Fprintf(&b, "tenants: %d, users: %d\n", tenants.Pagination.TotalCount, users.Pagination.TotalCount)
	members, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.tenant.Id, Pagination: all})
	must(t, err)
	fmt.Fprintf(&b, "members: %d %v\n", members.Pagination.TotalCount, members.TenantUsers)
	types, err := w.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: w.tenant.Id, Pagination: all})
	must(t, err)
	fmt.Fprintf(&b, "node types: %d %v\n", types.Pagination.TotalCount, types.NodeTypes)
	nodes, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: all})
	must(t, err)
	fmt.Fprintf(&b, "nodes: %d %v\n", nodes.Pagination.TotalCount, nodes.Nodes)
	rels, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id, Pagination: all})
	must(t, err)
	fmt.Fprintf(&b, "relationships: %d %v\n", rels.Pagination.TotalCount, rels.Relationships)
	return b.String()
}

func TestBadInputChangesNothing(t *testing.T) {
	cases := []rpcCase{
		{name: "CreateNode with data that is not JSON", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{"title": "Dune"`})
				return err
			}},
		{name: "CreateNode with data that is two JSON documents", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{"title": "a"} {"title": "b"}`})
				return err
			}},
		{name: "CreateNode with data that is a JSON array", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `[{"title": "Dune"}]`})
				return err
			}},
		{name: "CreateNode with data that is JSON null", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `null`})
				return err
			}},
		{name: "CreateNode with data that breaks its schema", code: codes.InvalidArgument, fields: []string{"data/title"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{"title": {}}`})
				return err
			}},
		{name: "CreateNode with data over 1 MiB", code: codes.ResourceExhausted, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: book(maxDocBytes + 1)})
				return err
			}},
		{name: "CreateNode with data nesting 65 levels", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: deepBook(maxDocDepth + 1)})
				return err
			}},
		{name: "CreateNode with data nesting 100000 levels", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: strings.Repeat("[", 100000)})
				return err
			}},
		{name: "CreateNode with an unknown node type", code: codes.NotFound,
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.unknown, Data: `{"title": "Dune"}`})
				return err
			}},
		{name: "CreateNode with a node type id that is not a UUID", code: codes.InvalidArgument, fields: []string{"node_type_id"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: "'; DROP TABLE nodes; --", Data: `{"title": "Dune"}`})
				return err
			}},
		{name: "UpdateNode with data that breaks its schema", code: codes.InvalidArgument, fields: []string{"data/title"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id, Data: `{"title": 1965}`})
				return err
			}},
		{name: "UpdateNode with data over 1 MiB", code: codes.ResourceExhausted, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id, Data: book(maxDocBytes + 1)})
				return err
			}},
		{name: "UpdateNode with data nesting 65 levels", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id, Data: deepBook(maxDocDepth + 1)})
				return err
			}},
		{name: "UpdateNode of another tenant's node", code: codes.NotFound,
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: w.tenant.Id, Id: w.otherNode.Id, Data: `{"title": "x"}`})
				return err
			}},
		{name: "CreateNodeType with a schema that is not a schema", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("bad"), Schema: `{"minimum": "one"}`})
				return err
			}},
		{name: "CreateNodeType with a schema over 1 MiB", code: codes.ResourceExhausted, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("big"), Schema: book(maxDocBytes + 1)})
				return err
			}},
		{name: "CreateNodeType with a schema nesting 65 levels", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("deep"), Schema: nested(maxDocDepth + 1)})
				return err
			}},
		{name: "UpdateNodeType with a schema that is not a schema", code: codes.InvalidArgument, fields: []string{"schema"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id, Name: "Renamed", Schema: `{"properties": 1}`})
				return err
			}},
		{name: "CreateNode with data holding the character U+0000, which PostgreSQL cannot store", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: `{"title": "a\u0000b"}`})
				return err
			}},
		{name: "CreateNodeType with a description holding the character U+0000", code: codes.InvalidArgument, fields: []string{"description"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("nul"), Description: "a\x00b"})
				return err
			}},
		{name: "UpdateNodeType with a description holding the character U+0000", code: codes.InvalidArgument, fields: []string{"description"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id, Description: "line\n\x00"})
				return err
			}},
		{name: "CreateRelationship with data that is not JSON", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
					TargetNodeId: w.node2.Id, RelationshipType: "cites", Data: `{page: 1}`})
				return err
			}},
		{name: "CreateRelationship with data over 1 MiB", code: codes.ResourceExhausted, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
					TargetNodeId: w.node2.Id, RelationshipType: "cites", Data: book(maxDocBytes + 1)})
				return err
			}},
		{name: "CreateRelationship with data nesting 65 levels", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
					TargetNodeId: w.node2.Id, RelationshipType: "cites", Data: nested(maxDocDepth + 1)})
				return err
			}},
		{name: "CreateRelationship to an unknown node", code: codes.NotFound,
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id,
					TargetNodeId: w.unknown, RelationshipType: "cites"})
				return err
			}},
		{name: "CreateRelationship from another tenant's node", code: codes.NotFound,
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: w.otherNode.Id,
					TargetNodeId: w.node.Id, RelationshipType: "cites"})
				return err
			}},
		{name: "CreateRelationship with a source id that is not a UUID", code: codes.InvalidArgument, fields: []string{"source_node_id"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateRelationship(ctx, &pb.CreateRelationshipRequest{TenantId: w.tenant.Id, SourceNodeId: "{" + w.node.Id + "}",
					TargetNodeId: w.node.Id, RelationshipType: "cites"})
				return err
			}},
		{name: "UpdateRelationship with data that is a JSON array", code: codes.InvalidArgument, fields: []string{"data"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: w.tenant.Id, Id: w.rel.Id, RelationshipType: "x", Data: `[]`})
				return err
			}},
		{name: "AddUserToTenant with an unknown user", code: codes.NotFound,
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.unknown})
				return err
			}},
		{name: "AddUserToTenant with a user id that is not a UUID", code: codes.InvalidArgument, fields: []string{"user_id"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.AddUserToTenant(ctx, &pb.AddUserToTenantRequest{TenantId: w.tenant.Id, UserId: w.notAUUID})
				return err
			}},
		{name: "CreateTenant with a slug too long", code: codes.InvalidArgument, fields: []string{"slug"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateTenant(ctx, &pb.CreateTenantRequest{Slug: strings.Repeat("a", 64), Name: "Long"})
				return err
			}},
		{name: "CreateUser with an email too long", code: codes.InvalidArgument, fields: []string{"email"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.CreateUser(ctx, &pb.CreateUserRequest{Email: strings.Repeat("a", 250) + "@example.com", DisplayName: "Long"})
				return err
			}},
		{name: "UpdateUser with a display name of control characters", code: codes.InvalidArgument, fields: []string{"display_name"},
			call: func(ctx context.Context, t *testing.T, w *world) error {
				_, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: w.user.Id, DisplayName: "Ada\x00"})
				return err
			}},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := w.snapshot(t)
				checkStatus(t, tc.call(t.Context(), t, w), tc.code, tc.fields, "")
				if after := w.snapshot(t); after != before {
					t.Errorf("a refused call changed the data:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	})
}

// The document limits are inclusive: 1 MiB and 64 levels are allowed.
func TestDocumentLimitsAreInclusive(t *testing.T) {
	cases := []struct {
		name string
		data string
	}{
		{"data of exactly 1 MiB", book(maxDocBytes)},
		{"data nesting exactly 64 levels", deepBook(maxDocDepth)},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				r, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: tc.data})
				checkStatus(t, err, codes.OK, nil, "")
				got, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: r.Node.Id})
				checkStatus(t, err, codes.OK, nil, "")
				check(t, got.Node.Data == tc.data, "data read back differs from what was written (%d bytes, want %d)", len(got.Node.Data), len(tc.data))
			})
		}
	})
}

// ---------------------------------------------------------------------------------------------------------
// Update semantics: an empty field leaves its field as it was; the version grows by one

// withoutVersion returns m without its version and updated_at, the fields every update changes.
func withoutVersion(m proto.Message) proto.Message {
	m = proto.Clone(m)
	r := m.ProtoReflect()
	for _, name := range []protoreflect.Name{"version", "updated_at"} {
		r.Clear(r.Descriptor().Fields().ByName(name))
	}
	return m
}

func versionOf(m proto.Message) int64 {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName("version")).Int()
}

func updatedAt(m proto.Message) time.Time {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName("updated_at")).Message().Interface().(*timestamppb.Timestamp).AsTime()
}

func TestUpdateLeavesEmptyFieldsAsTheyWere(t *testing.T) {
	cases := []struct {
		name string
		// update creates something, updates it, and returns it as it was before, as it is after, and
		// as it should be after (but for version and updated_at).
		update func(ctx context.Context, t *testing.T, w *world) (before, after, want proto.Message)
	}{
		{"UpdateTenant with only the id", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newTenant(t)
			r, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: x.Id})
			must(t, err)
			return x, r.Tenant, x
		}},
		{"UpdateTenant with only a name", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newTenant(t)
			r, err := w.UpdateTenant(ctx, &pb.UpdateTenantRequest{Id: x.Id, Name: "New name"})
			must(t, err)
			want := proto.Clone(x).(*pb.Tenant)
			want.Name = "New name"
			return x, r.Tenant, want
		}},
		{"UpdateUser with only the id", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newUser(t)
			r, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: x.Id})
			must(t, err)
			return x, r.User, x
		}},
		{"UpdateUser with only an email", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newUser(t)
			email := unique("new") + "@example.com"
			r, err := w.UpdateUser(ctx, &pb.UpdateUserRequest{Id: x.Id, Email: email})
			must(t, err)
			want := proto.Clone(x).(*pb.User)
			want.Email = email
			return x, r.User, want
		}},
		{"UpdateNodeType with only the ids", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			r0, err := w.CreateNodeType(ctx, &pb.CreateNodeTypeRequest{TenantId: w.tenant.Id, Name: unique("type"), Description: "kept", Schema: bookSchema})
			must(t, err)
			x := r0.NodeType
			r, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: x.TenantId, Id: x.Id})
			must(t, err)
			return x, r.NodeType, x
		}},
		{"UpdateNodeType with only a description", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newNodeType(t, w.tenant.Id, bookSchema)
			r, err := w.UpdateNodeType(ctx, &pb.UpdateNodeTypeRequest{TenantId: x.TenantId, Id: x.Id, Description: "described"})
			must(t, err)
			want := proto.Clone(x).(*pb.NodeType)
			want.Description = "described"
			return x, r.NodeType, want
		}},
		{"UpdateNode with only the ids", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newNode(t, w.tenant.Id, w.typ.Id, `{"title": "Kept", "n": 1.50}`)
			r, err := w.UpdateNode(ctx, &pb.UpdateNodeRequest{TenantId: x.TenantId, Id: x.Id})
			must(t, err)
			return x, r.Node, x
		}},
		{"UpdateRelationship with only the ids", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newRelationship(t, w.tenant.Id, w.node.Id, w.node2.Id)
			r, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: x.TenantId, Id: x.Id})
			must(t, err)
			return x, r.Relationship, x
		}},
		{"UpdateRelationship with only data", func(ctx context.Context, t *testing.T, w *world) (_, _, _ proto.Message) {
			x := w.newRelationship(t, w.tenant.Id, w.node.Id, w.node2.Id)
			r, err := w.UpdateRelationship(ctx, &pb.UpdateRelationshipRequest{TenantId: x.TenantId, Id: x.Id, Data: `{"page": 2}`})
			must(t, err)
			want := proto.Clone(x).(*pb.Relationship)
			want.Data = `{"page": 2}`
			return x, r.Relationship, want
		}},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, after, want := tc.update(t.Context(), t, w)
				if !proto.Equal(withoutVersion(after), withoutVersion(want)) {
					t.Errorf("after the update:\n got %v\nwant %v", after, want)
				}
				check(t, versionOf(after) == versionOf(before)+1, "version %d after %d, want +1", versionOf(after), versionOf(before))
				check(t, !updatedAt(after).Before(updatedAt(before)), "updated_at went back from %v to %v", updatedAt(before), updatedAt(after))
			})
		}
	})
}

// ---------------------------------------------------------------------------------------------------------
// Pagination

// pager lists one page of one list: the ids on it and its pagination.
type pager func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error)

// listKinds are the seven lists. seed creates n items on a fresh server, in a scope of their own, and
// returns them in the order their list must return them, with the pager of their list: newest first,
// as the original's ORDER BY created_at DESC, except ListTenantUsers, by user id as the original's.
var listKinds = []struct {
	name string
	seed func(t *testing.T, c *client, n int) ([]string, pager)
}{
	{"ListTenants", func(t *testing.T, c *client, n int) ([]string, pager) {
		var ids []string
		for range n {
			ids = append(ids, c.newTenant(t).Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListTenants(ctx, &pb.ListTenantsRequest{Pagination: p})
			return idsOf(r.GetTenants()), r.GetPagination(), err
		}
	}},
	{"ListUsers", func(t *testing.T, c *client, n int) ([]string, pager) {
		var ids []string
		for range n {
			ids = append(ids, c.newUser(t).Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListUsers(ctx, &pb.ListUsersRequest{Pagination: p})
			return idsOf(r.GetUsers()), r.GetPagination(), err
		}
	}},
	{"ListTenantUsers", func(t *testing.T, c *client, n int) ([]string, pager) {
		tenant := c.newTenant(t)
		var ids []string // in the order the users were made, which is their ids' order
		for range n {
			ids = append(ids, c.newUser(t).Id)
		}
		for i := range ids { // joining from the middle: neither the users' order nor its reverse
			c.addMember(t, tenant.Id, ids[(i+n/2)%n])
		}
		return ids, func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: tenant.Id, Pagination: p})
			var ids []string
			for _, m := range r.GetTenantUsers() {
				ids = append(ids, m.UserId)
			}
			return ids, r.GetPagination(), err
		}
	}},
	{"ListNodeTypes", func(t *testing.T, c *client, n int) ([]string, pager) {
		tenant := c.newTenant(t)
		var ids []string
		for range n {
			ids = append(ids, c.newNodeType(t, tenant.Id, "").Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: tenant.Id, Pagination: p})
			return idsOf(r.GetNodeTypes()), r.GetPagination(), err
		}
	}},
	{"ListNodes", func(t *testing.T, c *client, n int) ([]string, pager) {
		tenant := c.newTenant(t)
		typ := c.newNodeType(t, tenant.Id, "")
		var ids []string
		for i := range n {
			ids = append(ids, c.newNode(t, tenant.Id, typ.Id, fmt.Sprintf(`{"i": %d}`, i)).Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListNodes(ctx, &pb.ListNodesRequest{TenantId: tenant.Id, Pagination: p})
			return idsOf(r.GetNodes()), r.GetPagination(), err
		}
	}},
	{"ListRelationships", func(t *testing.T, c *client, n int) ([]string, pager) {
		tenant := c.newTenant(t)
		typ := c.newNodeType(t, tenant.Id, "")
		a, b := c.newNode(t, tenant.Id, typ.Id, ""), c.newNode(t, tenant.Id, typ.Id, "")
		var ids []string
		for range n {
			ids = append(ids, c.newRelationship(t, tenant.Id, a.Id, b.Id).Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := c.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: tenant.Id, Pagination: p})
			return idsOf(r.GetRelationships()), r.GetPagination(), err
		}
	}},
	{"ListApiKeys", func(t *testing.T, c *client, n int) ([]string, pager) {
		tenant, keys := c.newTenant(t), pb.NewKeyServiceClient(c.conn)
		var ids []string
		for range n {
			r, err := keys.CreateApiKey(t.Context(), &pb.CreateApiKeyRequest{TenantId: tenant.Id, Name: "ci", Role: "viewer"})
			must(t, err)
			ids = append(ids, r.ApiKey.Id)
		}
		return newestFirst(ids), func(ctx context.Context, p *pb.Pagination) ([]string, *pb.PaginationResponse, error) {
			r, err := keys.ListApiKeys(ctx, &pb.ListApiKeysRequest{TenantId: tenant.Id, Pagination: p})
			return idsOf(r.GetApiKeys()), r.GetPagination(), err
		}
	}},
}

// newestFirst is ids made one after the other, as a newest-first list returns them.
func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func idsOf[T interface{ GetId() string }](items []T) []string {
	var ids []string
	for _, x := range items {
		ids = append(ids, x.GetId())
	}
	return ids
}

// pageCases run on each list holding 25 items.
var pageCases = []struct {
	name string
	run  func(ctx context.Context, t *testing.T, ids []string, list pager)
}{
	{"page_size 10 pages 25 items as 10, 10, 5 in the list's order, total_count 25 on every page", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		var got []string
		var sizes []int
		token := ""
		for page := 0; page < 5; page++ {
			pageIDs, pr, err := list(ctx, &pb.Pagination{PageSize: 10, PageToken: token})
			checkStatus(t, err, codes.OK, nil, "")
			check(t, pr.TotalCount == 25, "page %d: total_count %d, want 25", page, pr.TotalCount)
			got, sizes, token = append(got, pageIDs...), append(sizes, len(pageIDs)), pr.NextPageToken
			if token == "" {
				break
			}
		}
		check(t, slices.Equal(sizes, []int{10, 10, 5}), "page sizes %v, want [10 10 5] (the last without a next_page_token)", sizes)
		check(t, slices.Equal(got, ids), "pages hold\n%v\nwant, in the list's order,\n%v", got, ids)
	}},
	{"page_size 0 means 10", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		got, pr, err := list(ctx, &pb.Pagination{})
		checkStatus(t, err, codes.OK, nil, "")
		check(t, slices.Equal(got, ids[:10]) && pr.NextPageToken != "" && pr.TotalCount == 25, "first page %v, %v", got, pr)
	}},
	{"no pagination at all means 10", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		got, pr, err := list(ctx, nil)
		checkStatus(t, err, codes.OK, nil, "")
		check(t, len(got) == 10 && pr.NextPageToken != "", "first page %v, %v", got, pr)
	}},
	{"a page that holds the rest has no next_page_token", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		got, pr, err := list(ctx, &pb.Pagination{PageSize: 25})
		checkStatus(t, err, codes.OK, nil, "")
		check(t, len(got) == 25 && pr.NextPageToken == "" && pr.TotalCount == 25, "%d items, %v", len(got), pr)
	}},
	{"a garbage page_token is InvalidArgument", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		_, _, err := list(ctx, &pb.Pagination{PageToken: "not a token"})
		checkStatus(t, err, codes.InvalidArgument, []string{"pagination.page_token"}, "")
	}},
	{"an offset as page_token is InvalidArgument", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		_, _, err := list(ctx, &pb.Pagination{PageToken: "10"})
		checkStatus(t, err, codes.InvalidArgument, []string{"pagination.page_token"}, "")
	}},
	{"a negative page_size is InvalidArgument", func(ctx context.Context, t *testing.T, ids []string, list pager) {
		_, _, err := list(ctx, &pb.Pagination{PageSize: -10})
		checkStatus(t, err, codes.InvalidArgument, []string{"pagination.page_size"}, "")
	}},
}

func TestPagination(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		for _, kind := range listKinds {
			t.Run(e.Name+"/"+kind.name, func(t *testing.T) {
				ids, list := kind.seed(t, start(t, e.Config(t)), 25)
				for _, tc := range pageCases {
					t.Run(tc.name, func(t *testing.T) { tc.run(t.Context(), t, ids, list) })
				}
			})
		}
	}
}

func TestPageSizeIsCappedAt100(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		for _, kind := range listKinds {
			if kind.name != "ListNodes" {
				continue
			}
			ids, list := kind.seed(t, c, 101)
			got, pr, err := list(t.Context(), &pb.Pagination{PageSize: 1000})
			checkStatus(t, err, codes.OK, nil, "")
			check(t, slices.Equal(got, ids[:100]) && pr.NextPageToken != "" && pr.TotalCount == 101, "%d items, %v", len(got), pr)
			got, pr, err = list(t.Context(), &pb.Pagination{PageSize: 1000, PageToken: pr.NextPageToken})
			checkStatus(t, err, codes.OK, nil, "")
			check(t, slices.Equal(got, ids[100:]) && pr.NextPageToken == "" && pr.TotalCount == 101, "last page %v, %v", got, pr)
		}
	})
}

// A page left empty by deletes after its token was made still tells how many items match.
func TestAnEmptyPageStillCounts(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		x := c.newNodeType(t, w.tenant.Id, "")
		oldest := c.newNode(t, w.tenant.Id, x.Id, "")
		for range 10 {
			c.newNode(t, w.tenant.Id, x.Id, "")
		}
		first, err := c.ListNodes(t.Context(), &pb.ListNodesRequest{TenantId: w.tenant.Id, NodeTypeId: x.Id})
		must(t, err)
		// The oldest is the one item of the second page: the list is newest first.
		_, err = c.DeleteNode(t.Context(), &pb.DeleteNodeRequest{TenantId: w.tenant.Id, Id: oldest.Id})
		must(t, err)
		r, err := c.ListNodes(t.Context(), &pb.ListNodesRequest{TenantId: w.tenant.Id, NodeTypeId: x.Id,
			Pagination: &pb.Pagination{PageToken: first.Pagination.NextPageToken}})
		checkStatus(t, err, codes.OK, nil, "")
		check(t, len(r.Nodes) == 0 && r.Pagination.NextPageToken == "" && r.Pagination.TotalCount == 10,
			"the emptied page: %d nodes, %v; want none, no token, total_count 10", len(r.Nodes), r.Pagination)
	})
}

// A page token works only for the list and the filters it was made for.
func TestPageTokenBelongsToItsQuery(t *testing.T) {
	// firstToken returns the next_page_token of a first page of one item.
	type lister func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error)
	cases := []struct {
		name       string
		madeBy     lister // with two items or more
		usedIn     lister
		stillWorks bool
	}{
		{name: "ListNodes' token passed back to the same query works", stillWorks: true,
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListNodes' token in another tenant's ListNodes",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.other.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListNodes' token, filtered by type, in ListNodes without the filter",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListNodeTypes' token in ListNodes of the same tenant",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListNodes(ctx, &pb.ListNodesRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListRelationships' token from one source in ListRelationships from another",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id, SourceNodeId: w.node.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id, SourceNodeId: w.node2.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListTenantUsers' token in another tenant's ListTenantUsers",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.tenant.Id, Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.other.Id, Pagination: p})
				return r.GetPagination(), err
			}},
		{name: "ListUsers' token in ListTenants",
			madeBy: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListUsers(ctx, &pb.ListUsersRequest{Pagination: p})
				return r.GetPagination(), err
			},
			usedIn: func(ctx context.Context, w *world, p *pb.Pagination) (*pb.PaginationResponse, error) {
				r, err := w.ListTenants(ctx, &pb.ListTenantsRequest{Pagination: p})
				return r.GetPagination(), err
			}},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		// Two of everything in the first tenant, so that a page of one has a next page.
		c.newRelationship(t, w.tenant.Id, w.node.Id, w.node.Id)
		c.addMember(t, w.tenant.Id, c.newUser(t).Id)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				first, err := tc.madeBy(ctx, w, &pb.Pagination{PageSize: 1})
				must(t, err)
				if first.NextPageToken == "" {
					t.Fatalf("the first page of one has no next_page_token: %v", first)
				}
				_, err = tc.usedIn(ctx, w, &pb.Pagination{PageSize: 1, PageToken: first.NextPageToken})
				if tc.stillWorks {
					checkStatus(t, err, codes.OK, nil, "")
					return
				}
				checkStatus(t, err, codes.InvalidArgument, []string{"pagination.page_token"}, "")
			})
		}
	})
}

// ---------------------------------------------------------------------------------------------------------
// Deletes take what depends on them along

func TestDeletesTakeWhatDependsOnThem(t *testing.T) {
	gone := func(t *testing.T, what string, err error) {
		t.Helper()
		check(t, status.Code(err) == codes.NotFound, "%s: %v, want NotFound", what, err)
	}
	kept := func(t *testing.T, what string, err error) {
		t.Helper()
		check(t, err == nil, "%s: %v, want it kept", what, err)
	}
	cases := []struct {
		name string
		run  func(ctx context.Context, t *testing.T, w *world)
	}{
		{"DeleteTenant removes its node types, nodes, relationships and memberships, and nothing of another tenant",
			func(ctx context.Context, t *testing.T, w *world) {
				_, err := w.DeleteTenant(ctx, &pb.DeleteTenantRequest{Id: w.tenant.Id})
				must(t, err)
				_, err = w.GetNodeType(ctx, &pb.GetNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id})
				gone(t, "node type", err)
				_, err = w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id})
				gone(t, "node", err)
				_, err = w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.rel.Id})
				gone(t, "relationship", err)
				_, err = w.RemoveUserFromTenant(ctx, &pb.RemoveUserFromTenantRequest{TenantId: w.tenant.Id, UserId: w.user.Id})
				gone(t, "membership", err)
				_, err = w.GetUser(ctx, &pb.GetUserRequest{Id: w.user.Id})
				kept(t, "the member, a global user", err)
				_, err = w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.other.Id, Id: w.otherNode.Id})
				kept(t, "the other tenant's node", err)
				_, err = w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.other.Id, Id: w.otherRel.Id})
				kept(t, "the other tenant's relationship", err)
			}},
		{"DeleteNode removes the relationships that start or end at it, and no others",
			func(ctx context.Context, t *testing.T, w *world) {
				third := w.newNode(t, w.tenant.Id, w.schemalessType.Id, "")
				in := w.newRelationship(t, w.tenant.Id, w.node2.Id, w.node.Id)
				loop := w.newRelationship(t, w.tenant.Id, w.node.Id, w.node.Id)
				elsewhere := w.newRelationship(t, w.tenant.Id, w.node2.Id, third.Id)
				_, err := w.DeleteNode(ctx, &pb.DeleteNodeRequest{TenantId: w.tenant.Id, Id: w.node.Id})
				must(t, err)
				for what, id := range map[string]string{"outgoing": w.rel.Id, "incoming": in.Id, "loop": loop.Id} {
					_, err := w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: id})
					gone(t, what+" relationship", err)
				}
				_, err = w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: elsewhere.Id})
				kept(t, "relationship between other nodes", err)
				r, err := w.ListRelationships(ctx, &pb.ListRelationshipsRequest{TenantId: w.tenant.Id})
				must(t, err)
				check(t, r.Pagination.TotalCount == 1, "%d relationships left, want 1", r.Pagination.TotalCount)
				_, err = w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.node2.Id})
				kept(t, "the node at the other end", err)
			}},
		{"DeleteNodeType with cascade removes its nodes and their relationships, and no others",
			func(ctx context.Context, t *testing.T, w *world) {
				n := w.newNode(t, w.tenant.Id, w.schemalessType.Id, "")
				toType := w.newRelationship(t, w.tenant.Id, n.Id, w.node.Id)
				_, err := w.DeleteNodeType(ctx, &pb.DeleteNodeTypeRequest{TenantId: w.tenant.Id, Id: w.typ.Id, Cascade: true})
				must(t, err)
				for what, id := range map[string]string{"node": w.node.Id, "node2": w.node2.Id} {
					_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: id})
					gone(t, what, err)
				}
				_, err = w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: w.rel.Id})
				gone(t, "relationship between its nodes", err)
				_, err = w.GetRelationship(ctx, &pb.GetRelationshipRequest{TenantId: w.tenant.Id, Id: toType.Id})
				gone(t, "relationship from a node of another type", err)
				_, err = w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: n.Id})
				kept(t, "node of another type", err)
			}},
		{"DeleteUser ends the user's memberships",
			func(ctx context.Context, t *testing.T, w *world) {
				_, err := w.DeleteUser(ctx, &pb.DeleteUserRequest{Id: w.user.Id})
				must(t, err)
				r, err := w.ListTenantUsers(ctx, &pb.ListTenantUsersRequest{TenantId: w.tenant.Id})
				must(t, err)
				check(t, len(r.TenantUsers) == 0 && r.Pagination.TotalCount == 0, "members left: %v", r.TenantUsers)
			}},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { tc.run(t.Context(), t, newWorld(t, c)) })
		}
	})
}

// ---------------------------------------------------------------------------------------------------------
// Around the API: reflection, health, one log line per call

func TestReflectionListsTheServices(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		stream, err := reflectionpb.NewServerReflectionClient(c.conn).ServerReflectionInfo(t.Context())
		must(t, err)
		err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		must(t, err)
		r, err := stream.Recv()
		must(t, err)
		var names []string
		for _, s := range r.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		for _, want := range []string{"dbaas.TenantService", "dbaas.UserService", "dbaas.NodeTypeService",
			"dbaas.NodeService", "dbaas.RelationshipService", "grpc.health.v1.Health"} {
			check(t, slices.Contains(names, want), "reflection lists %v, without %s", names, want)
		}
		// The files describe the services too: grpcurl and evans need them.
		err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
			FileContainingSymbol: "dbaas.NodeService"}})
		must(t, err)
		r, err = stream.Recv()
		must(t, err)
		check(t, len(r.GetFileDescriptorResponse().GetFileDescriptorProto()) > 0, "no file for dbaas.NodeService: %v", r)
		must(t, stream.CloseSend())
	})
}

// Reflection serves the proto's comments, so that grpcurl describe shows the API's documentation: for
// every file of the proto, what a v1 reflection client receives holds, declaration by declaration, the
// comment the proto has. A name outside the proto (the health service) still resolves.
func TestReflectionServesTheProtosComments(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		grpcapi.DocumentedFiles.RangeFiles(func(want protoreflect.FileDescriptor) bool {
			symbol := want.Services().Get(0).FullName()
			served := reflectedFiles(t, c.conn, symbol)
			grpcapi.WalkDeclarations(want, func(d protoreflect.Descriptor) {
				wantComment := want.SourceLocations().ByDescriptor(d).LeadingComments
				got, err := served.FindDescriptorByName(d.FullName())
				if err != nil {
					t.Errorf("reflection's files for %s have no %s: %v", symbol, d.FullName(), err)
					return
				}
				gotComment := got.ParentFile().SourceLocations().ByDescriptor(got).LeadingComments
				check(t, gotComment != "" && gotComment == wantComment, "%s: reflection serves the comment %q, want %q",
					d.FullName(), gotComment, wantComment)
			})
			return true
		})
		health := reflectedFiles(t, c.conn, "grpc.health.v1.Health")
		_, err := health.FindDescriptorByName("grpc.health.v1.Health.Check")
		check(t, err == nil, "reflection does not describe grpc.health.v1.Health: %v", err)
	})
}

// reflectedFiles asks the server's reflection (v1, as grpcurl does) for the file declaring symbol, and
// builds it with the files it imports, which come in the same answer.
func reflectedFiles(t *testing.T, conn *grpc.ClientConn, symbol protoreflect.FullName) *protoregistry.Files {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	must(t, err)
	must(t, stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
		FileContainingSymbol: string(symbol)}}))
	r, err := stream.Recv()
	must(t, err)
	must(t, stream.CloseSend())
	set := &descriptorpb.FileDescriptorSet{}
	for _, raw := range r.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fdp := &descriptorpb.FileDescriptorProto{}
		must(t, proto.Unmarshal(raw, fdp))
		set.File = append(set.File, fdp)
	}
	files, err := protodesc.NewFiles(set)
	if err != nil {
		t.Fatalf("reflection's files for %s do not build: %v (answer: %v)", symbol, err, r)
	}
	return files
}

func TestHealthAnswersServing(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *client) {
		r, err := healthpb.NewHealthClient(c.conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
		checkStatus(t, err, codes.OK, nil, "")
		check(t, r.GetStatus() == healthpb.HealthCheckResponse_SERVING, "health = %v", r.GetStatus())
	})
}

// logLine is the part of the middleware's log line that the tests read.
type logLine struct {
	Level      string   `json:"level"`
	Msg        string   `json:"msg"`
	Protocol   string   `json:"protocol"`
	Method     string   `json:"method"`
	Code       string   `json:"code"`
	DurationMS *float64 `json:"duration_ms"`
	RequestID  string   `json:"request_id"`
}

func TestEveryCallIsLoggedOnce(t *testing.T) {
	cases := []struct {
		name   string
		call   func(ctx context.Context, w *world, opts ...grpc.CallOption) error
		method string
		code   string
	}{
		{"a success", func(ctx context.Context, w *world, opts ...grpc.CallOption) error {
			_, err := w.GetTenant(ctx, &pb.GetTenantRequest{Id: w.tenant.Id}, opts...)
			return err
		}, "/dbaas.TenantService/GetTenant", "OK"},
		{"a refusal", func(ctx context.Context, w *world, opts ...grpc.CallOption) error {
			_, err := w.CreateNode(ctx, &pb.CreateNodeRequest{TenantId: w.tenant.Id, NodeTypeId: w.typ.Id, Data: "[]"}, opts...)
			return err
		}, "/dbaas.NodeService/CreateNode", "InvalidArgument"},
		{"a miss", func(ctx context.Context, w *world, opts ...grpc.CallOption) error {
			_, err := w.GetNode(ctx, &pb.GetNodeRequest{TenantId: w.tenant.Id, Id: w.unknown}, opts...)
			return err
		}, "/dbaas.NodeService/GetNode", "NotFound"},
		{"a health check", func(ctx context.Context, w *world, opts ...grpc.CallOption) error {
			_, err := healthpb.NewHealthClient(w.conn).Check(ctx, &healthpb.HealthCheckRequest{}, opts...)
			return err
		}, "/grpc.health.v1.Health/Check", "OK"},
	}
	eachEngine(t, func(t *testing.T, c *client) {
		w := newWorld(t, c)
		for _, tc := range cases {
			t.Run(tc.name+" keeps the caller's request id", func(t *testing.T) {
				id := uuid.NewString()
				var header metadata.MD
				ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", id)
				_ = tc.call(ctx, w, grpc.Header(&header))
				check(t, slices.Equal(header.Get("x-request-id"), []string{id}), "x-request-id header %q, want %q", header.Get("x-request-id"), id)
				checkLoggedOnce(t, c, id, tc.method, tc.code)
			})
			t.Run(tc.name+" gets a request id from the server", func(t *testing.T) {
				var header metadata.MD
				_ = tc.call(t.Context(), w, grpc.Header(&header))
				ids := header.Get("x-request-id")
				if len(ids) != 1 || uuid.Validate(ids[0]) != nil {
					t.Fatalf("x-request-id header %q, want one UUID", ids)
				}
				checkLoggedOnce(t, c, ids[0], tc.method, tc.code)
			})
		}
	})
}

// checkLoggedOnce asserts that exactly one log line carries the request id, and what it says.
func checkLoggedOnce(t *testing.T, c *client, id, method, code string) {
	t.Helper()
	var lines []string
	for _, l := range c.linesWith(id) {
		if strings.Contains(l, `"msg":"call"`) { // not the audit lines of writes
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d call log lines with request id %s, want 1:\n%s", len(lines), id, strings.Join(c.linesWith(id), "\n"))
	}
	var l logLine
	must(t, json.Unmarshal([]byte(lines[0]), &l))
	want := logLine{Level: "INFO", Msg: "call", Protocol: "grpc", Method: method, Code: code, RequestID: id, DurationMS: l.DurationMS}
	check(t, l == want, "log line %s\nwant %+v", lines[0], want)
	check(t, l.DurationMS != nil && *l.DurationMS >= 0, "log line without a duration: %s", lines[0])
}
