package httpapi

import (
	"net/http"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// REST and JSON-RPC take the gRPC status the service's error became (grpcapi.Status) and map it once
// more, here, to their own codes.

var httpStatus = map[codes.Code]int{
	codes.OK:                 http.StatusOK,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.Aborted:            http.StatusConflict,
	codes.FailedPrecondition: http.StatusPreconditionFailed,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.Unauthenticated:    http.StatusUnauthorized,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.Unavailable:        http.StatusServiceUnavailable,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.Canceled:           499, // the client went away; nobody reads this
	codes.Unimplemented:      http.StatusNotImplemented,
}

func httpStatusOf(c codes.Code) int {
	if s, ok := httpStatus[c]; ok {
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
)

var rpcCodes = map[codes.Code]int{
	codes.InvalidArgument:    rpcInvalidParams,
	codes.OutOfRange:         rpcInvalidParams,
	codes.NotFound:           -32001,
	codes.AlreadyExists:      -32002,
	codes.FailedPrecondition: -32003,
	codes.PermissionDenied:   -32004,
	codes.Unauthenticated:    -32005,
	codes.ResourceExhausted:  -32006,
	codes.Unavailable:        -32007,
	codes.Aborted:            -32008,
	codes.DeadlineExceeded:   -32009,
	codes.Canceled:           -32009,
}

func rpcCodeOf(c codes.Code) int {
	if n, ok := rpcCodes[c]; ok {
		return n
	}
	return rpcInternal
}

// errorBody is the JSON of a REST error and the data of a JSON-RPC error.
type errorBody struct {
	Code            string           `json:"code"` // the gRPC code name, e.g. NOT_FOUND
	Message         string           `json:"message"`
	FieldViolations []fieldViolation `json:"field_violations,omitempty"`
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
