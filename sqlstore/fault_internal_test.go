package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// notSent is an error that pgconn.SafeToRetry vouches for: nothing reached the server.
type notSent struct{}

func (notSent) Error() string     { return "write failed before sending" }
func (notSent) SafeToRetry() bool { return true }

func pgError(code string) error {
	return &pgconn.PgError{Severity: "FATAL", Code: code, Message: "sqlstate " + code}
}

// Every sign of a database that cannot be reached or dropped the connection is UNAVAILABLE (the caller
// retries); a call's end is DEADLINE_EXCEEDED or CANCELLED, whatever the driver made of it; anything
// else the database says is a fault of ours (INTERNAL). None shows the cause.
func TestFaultClassifiesEveryDatabaseError(t *testing.T) {
	expired, cancel := context.WithDeadline(t.Context(), time.Now())
	defer cancel()
	gone, leave := context.WithCancel(t.Context())
	leave()
	cases := []struct {
		name string
		err  error
		want flexdb.Code
	}{
		{"connection_exception (08000)", pgError("08000"), flexdb.Unavailable},
		{"connection_does_not_exist (08003)", pgError("08003"), flexdb.Unavailable},
		{"connection_failure (08006)", pgError("08006"), flexdb.Unavailable},
		{"sqlclient_unable_to_establish_sqlconnection (08001)", pgError("08001"), flexdb.Unavailable},
		{"sqlserver_rejected_establishment_of_sqlconnection (08004)", pgError("08004"), flexdb.Unavailable},
		{"admin_shutdown: terminated by an administrator (57P01)", pgError("57P01"), flexdb.Unavailable},
		{"crash_shutdown (57P02)", pgError("57P02"), flexdb.Unavailable},
		{"cannot_connect_now: the database system is shutting down (57P03)", pgError("57P03"), flexdb.Unavailable},
		{"too_many_connections (53300)", pgError("53300"), flexdb.Unavailable},
		{"disk_full (53100): writes wait for space", pgError("53100"), flexdb.Unavailable},
		{"a wrapped connection SQLSTATE", fmt.Errorf("acquire: %w", pgError("57P01")), flexdb.Unavailable},
		{"a network error", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, flexdb.Unavailable},
		{"EOF", io.EOF, flexdb.Unavailable},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), flexdb.Unavailable},
		{"pgconn's conn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), flexdb.Unavailable},
		{"an error pgconn calls safe to retry", notSent{}, flexdb.Unavailable},
		{"a deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), flexdb.DeadlineExceeded},
		{"a statement PostgreSQL cancelled at the deadline (57014)", ended(expired, pgError("57014")), flexdb.DeadlineExceeded},
		{"a cancelled call", context.Canceled, flexdb.Canceled},
		{"a statement interrupted because the client went away", ended(gone, errors.New("interrupted (9)")), flexdb.Canceled},
		{"a syntax error (42601) is ours", pgError("42601"), flexdb.Internal},
		{"an undefined table (42P01) is ours", pgError("42P01"), flexdb.Internal},
		{"a query cancelled by statement_timeout (57014) is not a lost connection", pgError("57014"), flexdb.Internal},
		{"an error of no known kind", errors.New("surprise"), flexdb.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := fault(tc.err, "read node")
			if got := flexdb.CodeOf(err); got != tc.want {
				t.Fatalf("fault(%v) is %s, want %s", tc.err, got, tc.want)
			}
			var fe *flexdb.Error
			if !errors.As(err, &fe) || strings.Contains(fe.Message, tc.err.Error()) {
				t.Errorf("the client-safe message %q shows the cause %q", fe.Message, tc.err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the cause %v is not kept for the log", tc.err)
			}
		})
	}
}

// The retry rule, case by case: a read runs again after any lost connection, a write only when it never
// reached the server, and nothing runs again once the call's context is over or for any other error.
func TestRetryRule(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), "postgres://nobody@127.0.0.1:1/none") // connects lazily: never here
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p := &postgres{pool: pool}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	_, refused := pgconn.Connect(t.Context(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2") // nothing listens on port 1
	sent := pgError("57P01")                                                                          // the server terminated the connection: the statement may have run
	cases := []struct {
		name  string
		ctx   context.Context
		read  bool
		err   error
		retry bool
	}{
		{"a read whose connection was terminated runs again", t.Context(), true, sent, true},
		{"a read whose connection hit EOF runs again", t.Context(), true, io.ErrUnexpectedEOF, true},
		{"a write that was never sent runs again", t.Context(), false, notSent{}, true},
		{"a write whose connection could not be made runs again", t.Context(), false, refused, true},
		{"a write that may have been sent does not run again", t.Context(), false, sent, false},
		{"a write cut by EOF does not run again", t.Context(), false, io.ErrUnexpectedEOF, false},
		{"a read of a call whose context is over does not run again", done, true, sent, false},
		{"a write never sent of a call whose context is over does not run again", done, false, notSent{}, false},
		{"a read that failed for another reason does not run again", t.Context(), true, pgError("42601"), false},
		{"success does not run again", t.Context(), true, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.retryable(tc.ctx, tc.err, tc.read); got != tc.retry {
				t.Fatalf("retryable = %v, want %v", got, tc.retry)
			}
		})
	}
	var inTx *postgres // a statement inside a transaction is retried, if at all, with its transaction
	if inTx.retryable(t.Context(), sent, true) {
		t.Error("a statement in a transaction runs again on its own")
	}
}
