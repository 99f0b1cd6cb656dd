package flexdbtest_test

import (
	"net/http"
	"testing"

	"github.com/flexdb/flexdb"
	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/sqlstore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The zero Options serve an authenticated server on both protocols, and Log receives its JSON lines.
func TestStart(t *testing.T) {
	logs := &flexdbtest.LogBuffer{}
	s := flexdbtest.Start(t, sqlstore.Config{DataDir: t.TempDir()}, flexdbtest.Options{Log: logs})

	keys := pb.NewKeyServiceClient(s.Conn)
	if _, err := keys.WhoAmI(t.Context(), &pb.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("WhoAmI without a key: %v, want Unauthenticated", err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+s.AdminKey)
	if r, err := keys.WhoAmI(ctx, &pb.WhoAmIRequest{}); err != nil || r.Kind != flexdb.PrincipalAdmin {
		t.Errorf("WhoAmI with the admin key: %v, %v; want kind %q", r, err, flexdb.PrincipalAdmin)
	}

	resp, err := s.HTTP.Client().Get(s.HTTP.URL + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ready: %d, want 200", resp.StatusCode)
	}

	calls := logs.Records(t, "call")
	if len(calls) != 2 || calls[0]["method"] != "/dbaas.KeyService/WhoAmI" || calls[1]["code"] != "OK" {
		t.Errorf("call records %v, want the two WhoAmI calls", calls)
	}
}
