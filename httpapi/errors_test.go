package httpapi

import (
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The HTTP status and JSON-RPC code of every gRPC code: google.rpc.Code's published HTTP mapping, with
// README.md's departures (a RESOURCE_EXHAUSTED without RetryInfo is too large, not rate limited; an
// ABORTED is 412 when If-Match named the version).
func TestEveryCodeMapsToItsHTTPStatusAndJSONRPCCode(t *testing.T) {
	rateLimited, err := status.New(codes.ResourceExhausted, "rate limit exceeded").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		st          *status.Status
		conditional bool // If-Match named the version
		http, rpc   int
	}{
		{"OK", status.New(codes.OK, ""), false, http.StatusOK, 0}, // a success has no JSON-RPC error code
		{"CANCELLED", status.New(codes.Canceled, ""), false, 499, -32009},
		{"UNKNOWN", status.New(codes.Unknown, ""), false, http.StatusInternalServerError, rpcInternal},
		{"INVALID_ARGUMENT", status.New(codes.InvalidArgument, ""), false, http.StatusBadRequest, rpcInvalidParams},
		{"DEADLINE_EXCEEDED", status.New(codes.DeadlineExceeded, ""), false, http.StatusGatewayTimeout, -32009},
		{"NOT_FOUND", status.New(codes.NotFound, ""), false, http.StatusNotFound, -32001},
		{"ALREADY_EXISTS", status.New(codes.AlreadyExists, ""), false, http.StatusConflict, -32002},
		{"PERMISSION_DENIED", status.New(codes.PermissionDenied, ""), false, http.StatusForbidden, -32004},
		{"UNAUTHENTICATED", status.New(codes.Unauthenticated, ""), false, http.StatusUnauthorized, -32005},
		{"RESOURCE_EXHAUSTED, the rate limit (RetryInfo)", rateLimited, false, http.StatusTooManyRequests, -32006},
		{"RESOURCE_EXHAUSTED, anything else: too large", status.New(codes.ResourceExhausted, "grpc: received message larger than max"), false, http.StatusRequestEntityTooLarge, -32010},
		{"FAILED_PRECONDITION", status.New(codes.FailedPrecondition, ""), false, http.StatusBadRequest, -32003},
		{"FAILED_PRECONDITION, with If-Match", status.New(codes.FailedPrecondition, ""), true, http.StatusBadRequest, -32003},
		{"ABORTED", status.New(codes.Aborted, ""), false, http.StatusConflict, -32008},
		{"ABORTED, with If-Match", status.New(codes.Aborted, ""), true, http.StatusPreconditionFailed, -32008},
		{"OUT_OF_RANGE", status.New(codes.OutOfRange, ""), false, http.StatusBadRequest, rpcInvalidParams},
		{"UNIMPLEMENTED", status.New(codes.Unimplemented, ""), false, http.StatusNotImplemented, rpcInternal},
		{"INTERNAL", status.New(codes.Internal, ""), false, http.StatusInternalServerError, rpcInternal},
		{"UNAVAILABLE", status.New(codes.Unavailable, ""), false, http.StatusServiceUnavailable, -32007},
		{"DATA_LOSS", status.New(codes.DataLoss, ""), false, http.StatusInternalServerError, rpcInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpStatusOf(tc.st, tc.conditional); got != tc.http {
				t.Errorf("HTTP %d, want %d", got, tc.http)
			}
			if got := rpcCodeOf(tc.st); tc.rpc != 0 && got != tc.rpc {
				t.Errorf("JSON-RPC %d, want %d", got, tc.rpc)
			}
		})
	}
	// Every code of google.rpc.Code is in the table above, and has a name.
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if _, ok := httpStatus[c]; !ok || codeName(c) == "UNKNOWN" && c != codes.Unknown {
			t.Errorf("code %s has no HTTP status or no name", c)
		}
	}
}
