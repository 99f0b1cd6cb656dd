package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
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
	// A call whose context ends (its deadline, or the client gone) cancels its statement on the server,
	// so that a statement waiting on a lock or running long stops using the database, and the connection
	// comes back to the pool in working order. pgx's default would only cut the connection, leaving the
	// backend to wait on. If the server does not answer the cancel within a second, the connection is cut.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &postgres{pool: pool, db: stdlib.OpenDBFromPool(pool)}, nil
}

func (p *postgres) reader() querier { return pgQuerier{q: p.pool, db: p, read: true} }
func (p *postgres) writer() querier { return pgQuerier{q: p.pool, db: p} }

// inTx runs fn in a transaction, again on a fresh connection when the first attempt failed before
// COMMIT was sent (see retryable): such a transaction cannot have committed.
func (p *postgres) inTx(ctx context.Context, fn func(q querier) error) error {
	run := func() error {
		return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgQuerier{q: tx}) })
	}
	err := run()
	if p.retryable(ctx, err, false) {
		err = run()
	}
	return ended(ctx, err)
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

// ping is a read: after a lost connection it tries once more on a fresh one, so that readiness
// reports the database, not one dead connection of the pool.
func (p *postgres) ping(ctx context.Context) error {
	err := p.pool.Ping(ctx)
	if p.retryable(ctx, err, true) {
		err = p.pool.Ping(ctx)
	}
	return err
}

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

// pgQuerier runs statements on the pool (db set; read for statements that only read) or in a
// transaction (db nil: a transaction's statements are retried, if at all, as the whole transaction).
type pgQuerier struct {
	q    pgxQuerier
	db   *postgres
	read bool
}

func (q pgQuerier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	if q.db.retryable(ctx, err, q.read) {
		tag, err = q.q.Exec(ctx, sql, args...)
	}
	return tag.RowsAffected(), ended(ctx, err)
}

func (q pgQuerier) Query(ctx context.Context, sql string, args ...any) (rows, error) {
	rs, err := q.q.Query(ctx, sql, args...)
	if q.db.retryable(ctx, err, q.read) {
		rs, err = q.q.Query(ctx, sql, args...)
	}
	if err != nil {
		return nil, ended(ctx, err)
	}
	return pgRows{rs, ctx}, nil
}

// pgRows reports a cancelled statement as its call's end, like every other statement here.
type pgRows struct {
	pgx.Rows
	ctx context.Context
}

func (r pgRows) Scan(dest ...any) error { return ended(r.ctx, r.Rows.Scan(dest...)) }
func (r pgRows) Err() error             { return ended(r.ctx, r.Rows.Err()) }

func (q pgQuerier) QueryRow(ctx context.Context, sql string, args ...any) row {
	return pgRow{q, ctx, sql, args}
}

// pgRow runs its statement when scanned, since pgx reports a QueryRow's errors only then.
type pgRow struct {
	q    pgQuerier
	ctx  context.Context
	sql  string
	args []any
}

func (r pgRow) Scan(dest ...any) error {
	err := r.q.q.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	if r.q.db.retryable(r.ctx, err, r.q.read) {
		err = r.q.q.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	}
	return ended(r.ctx, err)
}

// retryable decides whether a statement (or transaction) that failed with err runs once more, and
// readies a fresh connection for it. The rule:
//
//   - only when the connection was lost (lostConnection) and the call's context is still live;
//   - a read runs again whatever was sent: running a SELECT twice changes nothing;
//   - a write runs again only when it never reached the server: pgconn.SafeToRetry (nothing was sent),
//     or no connection could be made at all. A write that may have been sent may also have committed:
//     running it again could apply it twice (an update's version + 1, a delete answering NotFound, an
//     insert answering AlreadyExists for its own id), so it answers UNAVAILABLE and the client, who can
//     read to see what happened, decides.
//
// A lost connection usually means the server dropped them all (a restart, a failover, an administrator
// terminating backends), so the pool first lets go of its idle connections: the retry, and the calls
// after it, connect afresh instead of finding the next dead one.
func (p *postgres) retryable(ctx context.Context, err error, read bool) bool {
	if p == nil || err == nil || ctx.Err() != nil || !lostConnection(err) {
		return false
	}
	var connect *pgconn.ConnectError
	neverConnected := errors.As(err, &connect)
	if !neverConnected {
		p.pool.Reset()
	}
	return read || neverConnected || pgconn.SafeToRetry(err)
}

// postgresDiskFull reports SQLSTATE 53100, disk_full.
func postgresDiskFull(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "53100"
}

// lostConnection reports whether err says the database cannot be reached or dropped the connection:
// a condition to retry, not a fault of the call. It reads pgx's and PostgreSQL's signs; SQLite, in
// process, has none of them.
func lostConnection(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", // admin_shutdown: terminated by an administrator, or a server shutting down
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up or shutting down
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection_exception
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err)
}
