package flexdb

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error by what the caller can do about it. Each protocol maps codes to its own
// status values in one place (grpcapi for gRPC; REST and JSON-RPC take gRPC's status).
type Code string

const (
	Internal           Code = "internal"
	InvalidArgument    Code = "invalid_argument"
	NotFound           Code = "not_found"
	AlreadyExists      Code = "already_exists"
	FailedPrecondition Code = "failed_precondition"
	Aborted            Code = "aborted"
	PermissionDenied   Code = "permission_denied"
	Unauthenticated    Code = "unauthenticated"
	ResourceExhausted  Code = "resource_exhausted"
	Unavailable        Code = "unavailable"
	// DeadlineExceeded: the call ran past its deadline (the server's call timeout or the client's own);
	// its database work was cancelled. Canceled: the client went away first.
	DeadlineExceeded Code = "deadline_exceeded"
	Canceled         Code = "canceled"
)

// FieldViolation names a request field (a proto field name, or a path inside a JSON document such as
// "data/title") and the rule it broke.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is the one error type that crosses layer boundaries. Message is safe to show to the caller;
// Cause is for logs only and never reaches a client.
type Error struct {
	Code       Code
	Message    string
	Violations []FieldViolation
	Cause      error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf makes an Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid makes an InvalidArgument error from field violations; its message lists them all.
func Invalid(violations ...FieldViolation) *Error {
	parts := make([]string, len(violations))
	for i, v := range violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return &Error{Code: InvalidArgument, Message: "invalid request: " + strings.Join(parts, "; "), Violations: violations}
}

// TooLarge is Invalid for a request refused for its size: ResourceExhausted, as gRPC answers a message
// over its limit, so that every protocol says "too large" (HTTP 413) rather than "malformed".
func TooLarge(violations ...FieldViolation) *Error {
	e := Invalid(violations...)
	e.Code, e.Message = ResourceExhausted, "request too large: "+strings.TrimPrefix(e.Message, "invalid request: ")
	return e
}

// InvalidField is Invalid for a single field.
func InvalidField(field, format string, args ...any) *Error {
	return Invalid(FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Wrap marks err as an internal fault, keeping it as the cause; the client sees only msg.
func Wrap(err error, msg string) *Error {
	return &Error{Code: Internal, Message: msg, Cause: err}
}

// CodeOf returns the Code of err: that of the first *Error in its chain, Internal for anything else.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
