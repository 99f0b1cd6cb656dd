// Package pgtest gives each test a PostgreSQL schema of its own, so that tests of any package can share
// one server, run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tests use when FLEXDB_TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL creates an empty schema with a random name and returns a PostgreSQL URL whose connections work in
// it: the schema is the URL's search_path, which pgx sends as a run-time parameter at connect, so every
// connection of a pool starts there and the code under test needs no schema names. The schema is dropped
// when the test ends.
//
// Without a server the test is skipped, so that `go test` works on a laptop with no PostgreSQL; under CI
// (CI=true) it fails instead, since a skipped engine there would be a green run that tested nothing.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("FLEXDB_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("FLEXDB_TEST_DATABASE_URL must be a postgres:// URL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		msg := "PostgreSQL at " + u.Redacted() + " does not answer (" + err.Error() + "); start PostgreSQL with a database " +
			"named test (e.g. `pg_ctlcluster 15 main start && createdb -U postgres test`, or `docker run -d -p 5432:5432 " +
			"-e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:15`), or set FLEXDB_TEST_DATABASE_URL"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer conn.Close(context.Background())

	schema := "t_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { drop(t, base, schema) })

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// drop runs on a connection of its own: the test's pools may already be closed, and must not be needed.
func drop(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
