package grpcapi

import (
	"context"
	"errors"
	"time"

	"github.com/flexdb/flexdb"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// RetryAfterUnavailable is the retry hint of an UNAVAILABLE answer (the database cannot be reached or
// dropped the connection): a google.rpc.RetryInfo detail, and Retry-After on REST. The pool reconnects
// by itself, so a second is long enough to try again and short enough not to keep a client waiting.
const RetryAfterUnavailable = time.Second

var grpcCodes = map[flexdb.Code]codes.Code{
	flexdb.InvalidArgument:    codes.InvalidArgument,
	flexdb.NotFound:           codes.NotFound,
	flexdb.AlreadyExists:      codes.AlreadyExists,
	flexdb.FailedPrecondition: codes.FailedPrecondition,
	flexdb.Aborted:            codes.Aborted,
	flexdb.PermissionDenied:   codes.PermissionDenied,
	flexdb.Unauthenticated:    codes.Unauthenticated,
	flexdb.ResourceExhausted:  codes.ResourceExhausted,
	flexdb.Unavailable:        codes.Unavailable,
	flexdb.DeadlineExceeded:   codes.DeadlineExceeded,
	flexdb.Canceled:           codes.Canceled,
	flexdb.Internal:           codes.Internal,
}

// Status is the one mapping from domain errors to gRPC statuses. Field violations travel as
// google.rpc.BadRequest details; an internal fault shows only a generic message, its cause stays in
// the log.
func Status(err error) *status.Status {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "the call's deadline passed")
	}
	var e *flexdb.Error
	if !errors.As(err, &e) || e.Code == flexdb.Internal {
		return status.New(codes.Internal, "internal error")
	}
	st := status.New(grpcCodes[e.Code], e.Message)
	var details []protoadapt.MessageV1
	if e.Code == flexdb.Unavailable {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfterUnavailable)})
	}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	if len(details) == 0 {
		return st
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		return withDetails
	}
	return st
}

// retryAfter is the delay a status's RetryInfo detail asks for, 0 without one.
func retryAfter(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}
