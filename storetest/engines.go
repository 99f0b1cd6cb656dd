package storetest

import (
	"testing"

	"github.com/flexdb/flexdb/pgtest"
	"github.com/flexdb/flexdb/sqlstore"
)

// Engine configures a fresh, empty store of one engine for a test.
type Engine struct {
	Name   string
	Config func(t testing.TB) sqlstore.Config
}

// Engines are every engine flex-db runs on: a test whose outcome could depend on the engine runs on
// each. Without a PostgreSQL server, pgtest skips (or, under CI, fails) the test that asks for one.
var Engines = []Engine{
	{"sqlite", func(t testing.TB) sqlstore.Config { return sqlstore.Config{DataDir: t.TempDir()} }},
	{"postgres", func(t testing.TB) sqlstore.Config { return sqlstore.Config{DatabaseURL: pgtest.URL(t), MaxConns: 16} }},
}
