package pgtest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/flexdb/flexdb/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A connection made from the URL works in the test's own, empty schema.
func TestURLSelectsAFreshSchema(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	if want := parsed.Query().Get("search_path"); schema != want || !strings.HasPrefix(schema, "t_") {
		t.Fatalf("current_schema() = %q, want %q", schema, want)
	}
	var tables int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("fresh schema holds %d tables", tables)
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE probe (id int)"); err != nil {
		t.Fatal(err)
	}
	var where string
	if err := pool.QueryRow(ctx, "SELECT schemaname FROM pg_tables WHERE tablename = 'probe' AND schemaname = current_schema()").Scan(&where); err != nil {
		t.Fatalf("unqualified table not created in %s: %v", schema, err)
	}
}

// Two tests never share a schema, and the schema is gone once its test ends.
func TestURLSchemasAreDistinctAndDropped(t *testing.T) {
	var first, second string
	t.Run("a", func(t *testing.T) { first = pgtest.URL(t) })
	t.Run("b", func(t *testing.T) { second = pgtest.URL(t) })
	if first == "" || second == "" {
		t.Skip("no PostgreSQL")
	}
	if first == second {
		t.Fatalf("two tests got the same URL %s", first)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, first) // its schema is gone, but the connection is not bound to it
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, u := range []string{first, second} {
		parsed, _ := url.Parse(u)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", parsed.Query().Get("search_path")).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("schema of %s still exists after its test", u)
		}
	}
}
