// Package sqlstore keeps flex-db's data in SQL: PostgreSQL through pgx, or an embedded SQLite file
// through modernc.org/sqlite. Both engines run the same statements; what differs between them (drivers,
// error codes, how SQLite keeps times) stays in postgres.go and sqlite.go.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Config selects and sizes an engine.
type Config struct {
	// DatabaseURL selects PostgreSQL (postgres:// or postgresql://); empty selects SQLite in DataDir.
	DatabaseURL string
	DataDir     string
	// MaxConns sizes the PostgreSQL pool; 0 keeps pgx's default.
	MaxConns int
	// SQLiteSynchronous is how SQLite waits for the disk at each commit; empty means SynchronousFull.
	SQLiteSynchronous Synchronous
}

// Synchronous is SQLite's synchronous setting, in WAL mode. (PostgreSQL's counterpart,
// synchronous_commit, is the server's to set; the store leaves it alone, and its default is on.)
type Synchronous string

const (
	// SynchronousFull flushes the log to disk at every commit: an acknowledged write survives a crash
	// of the process, of the operating system and a loss of power.
	SynchronousFull Synchronous = "full"
	// SynchronousNormal flushes only at checkpoints: faster writes that survive a crash of the process,
	// but the last acknowledged writes can be lost when the power (or the operating system) fails.
	SynchronousNormal Synchronous = "normal"
)

// Validate accepts the settings SQLite is offered with.
func (m Synchronous) Validate() error {
	switch m {
	case "", SynchronousFull, SynchronousNormal:
		return nil
	}
	return fmt.Errorf("sqlite-synchronous %q: must be %s or %s", string(m), SynchronousFull, SynchronousNormal)
}

// Store implements service.Store.
type Store struct {
	db     engine
	Engine string // "postgres" or "sqlite", for logs and metrics
}

// Open connects to the configured engine. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DatabaseURL == "" {
		db, err := openSQLite(cfg.DataDir, cfg.SQLiteSynchronous)
		if err != nil {
			return nil, err
		}
		return &Store{db: db, Engine: "sqlite"}, nil
	}
	if !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return nil, errors.New("database URL must start with postgres:// or postgresql://")
	}
	db, err := openPostgres(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, Engine: "postgres"}, nil
}

// migrations holds each engine's schema, in migrations/<Engine>.
//
//go:embed migrations
var migrations embed.FS

var gooseDialects = map[string]goose.Dialect{"postgres": goose.DialectPostgres, "sqlite": goose.DialectSQLite3}

// Migrate brings the schema up to date. It is idempotent, and on PostgreSQL an advisory lock makes
// instances that start together take turns.
func (s *Store) Migrate(ctx context.Context) error {
	var opts []goose.ProviderOption
	if s.Engine == "postgres" {
		// The lock is the schema's, not the database's: instances migrating one schema take turns,
		// while other schemas of the database (other deployments, parallel tests) need not wait, and a
		// waiting instance looks again every second rather than goose's default five.
		var schema string
		if err := s.db.sqlDB().QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return fmt.Errorf("migrations: current schema: %w", err)
		}
		id := fnv.New64a()
		id.Write([]byte(schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(id.Sum64())), lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	files, err := fs.Sub(migrations, "migrations/"+s.Engine)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(gooseDialects[s.Engine], s.db.sqlDB(), files, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.ping(ctx) }

// Close releases every connection.
func (s *Store) Close() { s.db.close() }

// fault wraps an unexpected database error; the client sees only what failed, never SQL.
func fault(err error, what string) error {
	var fe *flexdb.Error
	if errors.As(err, &fe) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &flexdb.Error{Code: flexdb.DeadlineExceeded, Message: what + ": the call's deadline passed", Cause: err}
	case errors.Is(err, context.Canceled):
		return &flexdb.Error{Code: flexdb.Canceled, Message: what + ": the call was cancelled", Cause: err}
	}
	// A database that cannot be reached, or that dropped the connection, is a condition to retry, not a
	// fault of the call: say so (UNAVAILABLE, 503) without the network details.
	if lostConnection(err) {
		return &flexdb.Error{Code: flexdb.Unavailable, Message: what + ": the database is unavailable; try again", Cause: err}
	}
	// A full disk refuses writes until space is freed, while reads go on: a condition to retry later too.
	if sqliteFull(err) || postgresDiskFull(err) {
		return &flexdb.Error{Code: flexdb.Unavailable, Message: what + ": the database's disk is full; writes fail until space is freed", Cause: err}
	}
	return flexdb.Wrap(err, what+" failed")
}

// ended gives the error of a statement whose call's context ended as that end (deadline or cancel),
// whatever the driver made of it: PostgreSQL answers a cancelled statement with 57014, SQLite with
// "interrupted".
func ended(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

func notFound(format string, args ...any) error {
	return flexdb.Errorf(flexdb.NotFound, format, args...)
}

// one scans the single row of a statement, answering missing() when there is none: a function, so that
// a call that finds its row formats no error.
func one[T any](r row, scan func(row) (T, error), missing func() error, what string) (T, error) {
	v, err := scan(r)
	if isNoRows(err) {
		return v, missing()
	}
	if err != nil {
		return v, fault(err, what)
	}
	return v, nil
}

// affected turns "no row matched" into NotFound.
func affected(n int64, err error, missing func() error, what string) error {
	if err != nil {
		return fault(err, what)
	}
	if n == 0 {
		return missing()
	}
	return nil
}

// conflict explains an update or a conditional delete that matched no row: the row is missing
// (NotFound, from get), or at another version than the one expected (Aborted). get runs on this error
// path only.
func conflict(expected int64, get func() (int64, error), what, id string) error {
	v, err := get()
	switch {
	case err != nil:
		return err
	case expected != 0 && v != expected:
		return stale(what, id, v, expected)
	}
	return flexdb.Errorf(flexdb.Aborted, "%s %s changed during the call: read it again and retry", what, id)
}

// deleted is affected for a delete that may expect a version (0: any): when it matched no row, the row
// is missing (NotFound) or at another version (Aborted, with nothing deleted).
func deleted(n int64, err error, expected int64, get func() (int64, error), missing func() error, what, id string) error {
	if err != nil || n > 0 || expected == 0 {
		return affected(n, err, missing, "delete "+what)
	}
	return conflict(expected, get, what, id)
}

// stale answers a write expecting a version the row is no longer at.
func stale(what, id string, current, expected int64) error {
	return flexdb.Errorf(flexdb.Aborted, "%s %s is at version %d, not the expected %d: read it again and retry", what, id, current, expected)
}

// optional passes "" as NULL, so that COALESCE($n, column) leaves the column unchanged.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ---- paging ----

// listSpec is one list query: its table, columns, the condition with its arguments ($1 is always the
// scope: the tenant id, or unused for global tables), and how to read a row.
//
// A list runs by its key, newest first unless ascending is set. Keys are UUIDv7 ids, and the ids one
// process draws only grow (google/uuid keeps a sub-millisecond sequence and never steps back), so id
// descending is the original's ORDER BY created_at DESC. The service reads the clock for created_at apart
// from the id, so the two can disagree only for rows made microseconds apart, or across a clock step
// back; the list follows the id, which is unique and fixed, as a cursor must be. The primary key
// (tenant_id, id), read backward, serves every page, as do the indexes of the node type and relationship
// type filters.
// Memberships run by user id ascending, as the original's did, on their primary key (tenant_id, user_id).
type listSpec[T any] struct {
	table, columns, key string // key: the column pages follow, unique within the scope
	ascending           bool
	where               []string
	args                []any
	scan                func(row) (T, error)
	scope               string // "" for global tables; else the tenant id, which must exist
}

// filter adds "column = value" when value is set.
func (l *listSpec[T]) filter(column, value string) {
	if value == "" {
		return
	}
	l.args = append(l.args, value)
	l.where = append(l.where, fmt.Sprintf("%s = $%d", column, len(l.args)))
}

// run reads one page and the total in one statement; an empty page costs a second one, which also
// tells a missing tenant from an empty list.
func (l *listSpec[T]) run(ctx context.Context, q querier, lq service.ListQuery) ([]T, int, error) {
	where := "TRUE"
	if len(l.where) > 0 {
		where = strings.Join(l.where, " AND ")
	}
	after, order := "<", "DESC"
	if l.ascending {
		after, order = ">", "ASC"
	}
	args := append([]any{}, l.args...)
	page := where
	if lq.After != "" { // keyset: strictly past the cursor, so no item comes twice and none is skipped
		args = append(args, lq.After)
		page += fmt.Sprintf(" AND %s %s $%d", l.key, after, len(args))
	}
	args = append(args, lq.Limit)
	stmt := fmt.Sprintf("SELECT %s, (SELECT count(*) FROM %s WHERE %s) FROM %s WHERE %s ORDER BY %s %s LIMIT $%d",
		l.columns, l.table, where, l.table, page, l.key, order, len(args))
	rs, err := q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, 0, fault(err, "list "+l.table)
	}
	defer rs.Close()
	var items []T
	total := 0
	for rs.Next() {
		item, err := l.scan(withTotal{rs, &total})
		if err != nil {
			return nil, 0, fault(err, "list "+l.table)
		}
		items = append(items, item)
	}
	if err := rs.Err(); err != nil {
		return nil, 0, fault(err, "list "+l.table)
	}
	if len(items) > 0 {
		return items, total, nil
	}
	if err := l.emptyPage(ctx, q, where, &total); err != nil {
		return nil, 0, err
	}
	return nil, total, nil
}

func (l *listSpec[T]) emptyPage(ctx context.Context, q querier, where string, total *int) error {
	scopeOK := 1
	stmt := fmt.Sprintf("SELECT count(*), 1 FROM %s WHERE %s", l.table, where)
	if l.scope != "" {
		stmt = fmt.Sprintf("SELECT count(*), (SELECT count(*) FROM tenants WHERE id = $1) FROM %s WHERE %s", l.table, where)
	}
	if err := q.QueryRow(ctx, stmt, l.args...).Scan(total, &scopeOK); err != nil {
		return fault(err, "count "+l.table)
	}
	if scopeOK == 0 {
		return notFound("tenant %s not found", l.scope)
	}
	return nil
}

// withTotal lets an entity's scan function read its own columns while the page's total, the last
// column, goes to total.
type withTotal struct {
	r     row
	total *int
}

func (w withTotal) Scan(dest ...any) error { return w.r.Scan(append(dest, w.total)...) }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// now stamps rows whose time the domain does not carry (membership creation).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Stats reports the connection pool, for metrics.
func (s *Store) Stats() PoolStats { return s.db.stats() }
