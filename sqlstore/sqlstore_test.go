package sqlstore_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/service"
	"github.com/flexdb/flexdb/sqlstore"
	"github.com/flexdb/flexdb/storetest"
	"github.com/google/uuid"
)

// engines open a store of each engine on a fresh, empty database, not yet migrated, closed when the
// test ends.
var engines = storetest.Engines

func open(t *testing.T, cfg sqlstore.Config) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func migrate(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			open(t, e.Config(t)) // skips the engine as a whole when its server is missing
			storetest.Run(t, func(t *testing.T) service.Store {
				s := open(t, e.Config(t))
				migrate(t, s)
				return s
			})
		})
	}
}

func TestMigrateTwiceKeepsSchemaAndData(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := open(t, e.Config(t))
			migrate(t, s)
			x := tenant()
			if err := s.CreateTenant(t.Context(), x); err != nil {
				t.Fatal(err)
			}
			migrate(t, s)
			if _, err := s.GetTenant(t.Context(), x.ID); err != nil {
				t.Fatalf("tenant after a second migration: %v", err)
			}
		})
	}
}

// Instances that start together each migrate the same database; PostgreSQL's advisory lock makes them
// take turns, so every one succeeds and the schema is made once.
func TestConcurrentMigrationsAllSucceed(t *testing.T) {
	url := pgtest.URL(t)
	const instances = 4
	stores := make([]*sqlstore.Store, instances)
	for i := range stores {
		stores[i] = open(t, sqlstore.Config{DatabaseURL: url, MaxConns: 4})
	}
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			if err := s.Migrate(t.Context()); err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	x := tenant()
	if err := stores[0].CreateTenant(t.Context(), x); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if _, err := s.GetTenant(t.Context(), x.ID); err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}

func TestPing(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			s := open(t, e.Config(t))
			if err := s.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func tenant() *flexdb.Tenant {
	at := time.Now().UTC().Truncate(time.Microsecond)
	return &flexdb.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Slug: "acme", Name: "Acme", Status: flexdb.TenantActive,
		CreatedAt: at, UpdatedAt: at, Version: 1}
}

// A PostgreSQL that cannot be reached makes calls UNAVAILABLE (retry), not INTERNAL, and says nothing of
// the network.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s, err := sqlstore.Open(t.Context(), sqlstore.Config{DatabaseURL: "postgres://postgres@" + addr + "/test?sslmode=disable&connect_timeout=2"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.GetTenant(t.Context(), uuid.NewString())
	if flexdb.CodeOf(err) != flexdb.Unavailable {
		t.Fatalf("got %v (%s), want Unavailable", err, flexdb.CodeOf(err))
	}
	var fe *flexdb.Error
	if errors.As(err, &fe) && strings.Contains(fe.Message, addr) {
		t.Fatalf("the message %q shows the address", fe.Message)
	}
}
