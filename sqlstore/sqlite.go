package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// timeLayout is how SQLite keeps times: fixed width, so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// sqliteDB is the embedded engine. One connection writes, so writers queue in Go instead of meeting
// SQLITE_BUSY; a pool of read-only connections reads beside it (WAL lets readers and the writer overlap).
type sqliteDB struct {
	write, read *sql.DB
}

func openSQLite(dir string, sync Synchronous) (*sqliteDB, error) {
	if err := sync.Validate(); err != nil {
		return nil, err
	}
	if sync == "" {
		sync = SynchronousFull
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "flexdb.sqlite")
	// busy_timeout still matters when several processes share the file.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + string(sync) + ")"
	write, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	return &sqliteDB{write: write, read: read}, nil
}

func (s *sqliteDB) reader() querier { return sqlQuerier{s.read} }
func (s *sqliteDB) writer() querier { return sqlQuerier{s.write} }

func (s *sqliteDB) inTx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlQuerier{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqliteDB) forUpdate() string { return "" }

func (s *sqliteDB) violated(err error) violation {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return noViolation
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return uniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return foreignKeyViolation
	}
	return noViolation
}

// sqliteFull reports SQLITE_FULL (any extended form): the disk, or a file size limit, has no room left.
func sqliteFull(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_FULL
}

func (s *sqliteDB) ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// stats adds up the writer and the readers.
func (s *sqliteDB) stats() PoolStats {
	var out PoolStats
	for _, db := range []*sql.DB{s.write, s.read} {
		st := db.Stats()
		out.Open += st.OpenConnections
		out.InUse += st.InUse
		out.Idle += st.Idle
		out.Max += st.MaxOpenConnections
		out.Waits += st.WaitCount
	}
	return out
}

func (s *sqliteDB) close()         { s.read.Close(); s.write.Close() }
func (s *sqliteDB) sqlDB() *sql.DB { return s.write }

// sqlConn is what *sql.DB and *sql.Tx have in common.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlQuerier adapts database/sql to querier and carries times as timeLayout text both ways.
type sqlQuerier struct{ c sqlConn }

func (q sqlQuerier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.c.ExecContext(ctx, query, timeArgs(args)...)
	if err != nil {
		return 0, ended(ctx, err)
	}
	return res.RowsAffected()
}

func (q sqlQuerier) Query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.c.QueryContext(ctx, query, timeArgs(args)...)
	if err != nil {
		return nil, ended(ctx, err)
	}
	return sqlRows{r, ctx}, nil
}

func (q sqlQuerier) QueryRow(ctx context.Context, query string, args ...any) row {
	return sqlRow{q.c.QueryRowContext(ctx, query, timeArgs(args)...), ctx}
}

func timeArgs(args []any) []any {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC().Format(timeLayout)
		}
	}
	return args
}

// sqlRows and sqlRow report an interrupted statement as its call's end, as the queriers do.
type sqlRows struct {
	*sql.Rows
	ctx context.Context
}

func (r sqlRows) Close()                 { r.Rows.Close() }
func (r sqlRows) Scan(dest ...any) error { return ended(r.ctx, scanTimes(r.Rows.Scan, dest)) }
func (r sqlRows) Err() error             { return ended(r.ctx, r.Rows.Err()) }

type sqlRow struct {
	*sql.Row
	ctx context.Context
}

func (r sqlRow) Scan(dest ...any) error { return ended(r.ctx, scanTimes(r.Row.Scan, dest)) }

// scanTimes scans text into every *time.Time (and nullable **time.Time) destination and parses it.
func scanTimes(scan func(...any) error, dest []any) error {
	type pending struct {
		text     *sql.NullString
		at       *time.Time
		nullable **time.Time
	}
	var ps []pending
	for i, d := range dest {
		switch d := d.(type) {
		case *time.Time:
			p := pending{text: new(sql.NullString), at: d}
			ps, dest[i] = append(ps, p), p.text
		case **time.Time:
			p := pending{text: new(sql.NullString), nullable: d}
			ps, dest[i] = append(ps, p), p.text
		}
	}
	if err := scan(dest...); err != nil {
		return err
	}
	for _, p := range ps {
		if !p.text.Valid {
			if p.nullable != nil {
				*p.nullable = nil
			}
			continue
		}
		t, err := time.Parse(timeLayout, p.text.String)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", p.text.String, err)
		}
		if p.nullable != nil {
			*p.nullable = &t
		} else {
			*p.at = t
		}
	}
	return nil
}
