package httpapi

import (
	"math"
	"net/http"

	"github.com/flexdb/flexdb/grpcapi"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// REST and JSON-RPC take the gRPC status the service's error became (grpcapi.Status) and map it once
// more, here, to their own codes.

// httpStatus is google.rpc.Code's published mapping to HTTP (code.proto; Google APIs and grpc-gateway
// answer the same). httpStatusOf departs from it where HTTP's own semantics say otherwise; README.md
// lists each departure.
var httpStatus = map[codes.Code]int{
	codes.OK:                 http.StatusOK,
	codes.Canceled:           499, // nginx's "client closed request"; the client went away, nobody reads it
	codes.Unknown:            http.StatusInternalServerError,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.Unauthenticated:    http.StatusUnauthorized,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.FailedPrecondition: http.StatusBadRequest,
	codes.Aborted:            http.StatusConflict,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.Unimplemented:      http.StatusNotImplemented,
	codes.Internal:           http.StatusInternalServerError,
	codes.Unavailable:        http.StatusServiceUnavailable,
	codes.DataLoss:           http.StatusInternalServerError,
}

// httpStatusOf is the HTTP status of a failed call. conditional says that the call's expected version
// came from an If-Match header. Two departures from the table, both where HTTP has a status of its own:
//   - RESOURCE_EXHAUSTED is 429 Too Many Requests only for the rate limit; anything else so coded is a
//     request too large (413 Content Too Large): waiting and retrying would not help it.
//   - ABORTED for a conditional request is 412 Precondition Failed: the If-Match did not match. The
//     same mismatch named in a body's expected_version stays 409.
func httpStatusOf(st *status.Status, conditional bool) int {
	switch c := st.Code(); {
	case c == codes.ResourceExhausted && !grpcapi.RateLimited(st):
		return http.StatusRequestEntityTooLarge
	case c == codes.Aborted && conditional:
		return http.StatusPreconditionFailed
	}
	if s, ok := httpStatus[st.Code()]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// JSON-RPC error codes. The original's -32001 (not found), -32602 (invalid params) and -32603
// (internal) stay; the other application errors take the codes below, documented in README.md.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternal       = -32603
	rpcRateLimited    = -32006
	rpcTooLarge       = -32010 // a document, a message or a batch over its limit
)

var rpcCodes = map[codes.Code]int{
	codes.InvalidArgument:    rpcInvalidParams,
	codes.OutOfRange:         rpcInvalidParams,
	codes.NotFound:           -32001,
	codes.AlreadyExists:      -32002,
	codes.FailedPrecondition: -32003,
	codes.PermissionDenied:   -32004,
	codes.Unauthenticated:    -32005,
	codes.ResourceExhausted:  rpcRateLimited,
	codes.Unavailable:        -32007,
	codes.Aborted:            -32008,
	codes.DeadlineExceeded:   -32009,
	codes.Canceled:           -32009,
}

// rpcCodeOf is the JSON-RPC error code of a failed call; like httpStatusOf, it tells the rate limit
// from a request too large.
func rpcCodeOf(st *status.Status) int {
	if st.Code() == codes.ResourceExhausted && !grpcapi.RateLimited(st) {
		return rpcTooLarge
	}
	if n, ok := rpcCodes[st.Code()]; ok {
		return n
	}
	return rpcInternal
}

// errorBody is the JSON of a REST error and the data of a JSON-RPC error.
type errorBody struct {
	Code            string           `json:"code"` // the gRPC code name, e.g. NOT_FOUND
	Message         string           `json:"message"`
	FieldViolations []fieldViolation `json:"field_violations,omitempty"`
	// RetryAfterSeconds is when to try again, for an answer that asks it (rate limited, UNAVAILABLE):
	// what REST's Retry-After says, where a JSON-RPC call, one of a batch, has no header of its own.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func bodyOf(st *status.Status) errorBody {
	b := errorBody{Code: codeName(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				b.FieldViolations = append(b.FieldViolations, fieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			b.RetryAfterSeconds = int(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds()))
		}
	}
	return b
}

// codeName is the canonical upper-case name (NOT_FOUND), as in google.rpc.Code.
func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "UNKNOWN"
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN", codes.InvalidArgument: "INVALID_ARGUMENT",
	codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED", codes.OutOfRange: "OUT_OF_RANGE",
	codes.Unimplemented: "UNIMPLEMENTED", codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE",
	codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
}
