package sqlstore

import (
	"database/sql"
	"testing"

	"github.com/flexdb/flexdb/pgtest"
)

// An acknowledged write survives a loss of power unless the operator chose otherwise: SQLite flushes
// at every commit by default, and the setting asked for is the one every connection runs with.
func TestSQLiteSynchronousInEffect(t *testing.T) {
	tests := []struct {
		name string
		set  Synchronous
		want int // PRAGMA synchronous: 1 is NORMAL, 2 is FULL
	}{
		{"the default is full", "", 2},
		{"full", SynchronousFull, 2},
		{"normal, when asked for", SynchronousNormal, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), Config{DataDir: t.TempDir(), SQLiteSynchronous: tt.set})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			db := s.db.(*sqliteDB)
			for name, conns := range map[string]*sql.DB{"writer": db.write, "reader": db.read} {
				var got int
				if err := conns.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("%s: PRAGMA synchronous = %d, want %d", name, got, tt.want)
				}
			}
		})
	}
}

func TestSQLiteSynchronousRefusesOtherSettings(t *testing.T) {
	for _, set := range []Synchronous{"off", "FULL", "extra", "2"} {
		if _, err := Open(t.Context(), Config{DataDir: t.TempDir(), SQLiteSynchronous: set}); err == nil {
			t.Errorf("Open with synchronous %q: no error", set)
		}
	}
}

// The store never weakens PostgreSQL's durability: synchronous_commit is the server's (on unless its
// operator says otherwise), not set by the store's connections.
func TestPostgresSynchronousCommitIsTheServers(t *testing.T) {
	s, err := Open(t.Context(), Config{DatabaseURL: pgtest.URL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var setting, source string
	err = s.db.(*postgres).pool.QueryRow(t.Context(),
		"SELECT setting, source FROM pg_settings WHERE name = 'synchronous_commit'").Scan(&setting, &source)
	if err != nil {
		t.Fatal(err)
	}
	if setting == "off" || source == "client" || source == "session" {
		t.Errorf("synchronous_commit is %s, set by the %s", setting, source)
	}
}
