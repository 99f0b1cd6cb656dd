package sqlstore

import (
	"context"
	"database/sql"
)

// querier runs statements; both engines' connections, pools and transactions provide it. Statements
// are written once, in the SQL both engines accept, with $n placeholders.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface {
	Scan(dest ...any) error
}

// violation is what a failed statement broke, read from the engine's error code (never from constraint
// names, which differ between engines and carry shard suffixes on Citus).
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

// engine is what differs between PostgreSQL and SQLite.
type engine interface {
	// reads and writes are separate so that SQLite can keep one writer beside many readers.
	reader() querier
	writer() querier
	inTx(ctx context.Context, fn func(q querier) error) error
	// forUpdate ends a SELECT that locks its rows until the transaction ends, so that concurrent writes
	// referring to them wait (PostgreSQL); empty on SQLite, whose one writer serializes writes anyway.
	forUpdate() string
	violated(err error) violation
	ping(ctx context.Context) error
	stats() PoolStats
	close()
	// sqlDB is database/sql over the engine's writer, for the migration tool.
	sqlDB() *sql.DB
}

// PoolStats describes an engine's connections, for metrics.
type PoolStats struct {
	Open, InUse, Idle, Max int
	// Waits counts acquisitions that had to wait for a connection.
	Waits int64
}
