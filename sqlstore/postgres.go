package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgres is the production engine: a pgx pool, statements prepared and cached per connection.
type postgres struct {
	pool *pgxpool.Pool
	db   *sql.DB // over the same pool, for migrations only
}

func openPostgres(ctx context.Context, url string, maxConns int) (*postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &postgres{pool: pool, db: stdlib.OpenDBFromPool(pool)}, nil
}

func (p *postgres) reader() querier { return pgQuerier{p.pool} }
func (p *postgres) writer() querier { return pgQuerier{p.pool} }

func (p *postgres) inTx(ctx context.Context, fn func(q querier) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgQuerier{tx}) })
}

func (p *postgres) forUpdate() string { return " FOR UPDATE" }

func (p *postgres) violated(err error) violation {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return noViolation
	}
	switch pgErr.Code {
	case "23505":
		return uniqueViolation
	case "23503":
		return foreignKeyViolation
	}
	return noViolation
}

func (p *postgres) ping(ctx context.Context) error { return p.pool.Ping(ctx) }

func (p *postgres) stats() PoolStats {
	st := p.pool.Stat()
	return PoolStats{Open: int(st.TotalConns()), InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()),
		Max: int(st.MaxConns()), Waits: st.EmptyAcquireCount()}
}

func (p *postgres) close()         { p.db.Close(); p.pool.Close() }
func (p *postgres) sqlDB() *sql.DB { return p.db }

// pgxQuerier is what a pool and a transaction have in common.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgQuerier struct{ q pgxQuerier }

func (q pgQuerier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q pgQuerier) Query(ctx context.Context, sql string, args ...any) (rows, error) {
	return q.q.Query(ctx, sql, args...)
}

func (q pgQuerier) QueryRow(ctx context.Context, sql string, args ...any) row {
	return q.q.QueryRow(ctx, sql, args...)
}
