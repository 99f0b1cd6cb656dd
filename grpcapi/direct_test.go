package grpcapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// echoHealth answers Check with its answer or its error, echoes the request's Service in the header
// "echo", sets a trailer, changes the request it was given, and keeps what the call looked like to it.
type echoHealth struct {
	healthpb.UnimplementedHealthServer
	err     error
	answer  *healthpb.HealthCheckResponse
	sawMD   metadata.MD
	sawPeer string
}

func (h *echoHealth) Check(ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.sawMD, _ = metadata.FromIncomingContext(ctx)
	if p, ok := peer.FromContext(ctx); ok {
		h.sawPeer = p.Addr.Network()
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("echo", r.Service))
	_ = grpc.SetTrailer(ctx, metadata.Pairs("done", "yes"))
	r.Service = "changed by the handler"
	if h.err != nil {
		return nil, h.err
	}
	return h.answer, nil
}

// A Direct call runs the registered handler through the interceptor once, as a gRPC call would: its
// metadata is the handler's incoming metadata, its peer is in process, what the handler sets in its
// header and trailer reaches the caller, and the message limits hold both ways.
func TestDirectCallsAsTheServerWould(t *testing.T) {
	const method = "/grpc.health.v1.Health/Check"
	serving := &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
	cases := []struct {
		name    string
		method  string
		service string // the request's Service field
		handler *echoHealth
		maxRecv int
		maxSend int
		code    codes.Code
		msg     string // part of the status message
		ran     bool   // the handler ran
	}{
		{name: "a call answers with the handler's response", method: method, service: "s", handler: &echoHealth{answer: serving}, code: codes.OK, ran: true},
		{name: "an unknown method is unimplemented", method: "/grpc.health.v1.Health/Nope", handler: &echoHealth{answer: serving}, code: codes.Unimplemented, msg: "unknown method"},
		{name: "a request over the receive limit does not run", method: method, service: strings.Repeat("x", 100), handler: &echoHealth{answer: serving},
			maxRecv: 64, code: codes.ResourceExhausted, msg: "received message larger than max"},
		{name: "a response over the send limit is not answered", method: method, service: "s",
			handler: &echoHealth{answer: &healthpb.HealthCheckResponse{Status: serving.Status}}, maxSend: 1, code: codes.ResourceExhausted, msg: "larger than max", ran: true},
		{name: "a status error keeps its code", method: method, service: "s", handler: &echoHealth{err: status.Error(codes.NotFound, "no such service")},
			code: codes.NotFound, msg: "no such service", ran: true},
		{name: "an error of no status is unknown, as gRPC makes it", method: method, service: "s", handler: &echoHealth{err: errors.New("plain")},
			code: codes.Unknown, msg: "plain", ran: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			intercepted := 0
			interceptor := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
				intercepted++
				if info.FullMethod != method {
					t.Errorf("the interceptor saw method %q, want %q", info.FullMethod, method)
				}
				return handler(ctx, req)
			}
			d := newDirect(interceptor, Options{MaxRecvBytes: tc.maxRecv, MaxSendBytes: tc.maxSend})
			healthpb.RegisterHealthServer(d, tc.handler)

			req := &healthpb.HealthCheckRequest{Service: tc.service}
			sent := proto.Clone(req)
			reply := &healthpb.HealthCheckResponse{}
			var header, trailer metadata.MD
			ctx := metadata.AppendToOutgoingContext(t.Context(), "x-caller", "rest")
			err := d.Invoke(ctx, tc.method, req, reply, grpc.Header(&header), grpc.Trailer(&trailer))

			if st := status.Convert(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("Invoke: %v, want %s with %q", err, tc.code, tc.msg)
			}
			if ran := tc.handler.sawPeer != ""; ran != tc.ran {
				t.Fatalf("the handler ran: %v, want %v", ran, tc.ran)
			}
			if !proto.Equal(req, sent) {
				t.Errorf("the caller's request became %v: the handler must get a copy", req)
			}
			if !tc.ran {
				return
			}
			if intercepted != 1 {
				t.Errorf("the interceptor ran %d times, want once", intercepted)
			}
			if got := tc.handler.sawMD.Get("x-caller"); len(got) != 1 || got[0] != "rest" {
				t.Errorf("the handler's incoming metadata x-caller: %v, want [rest]", got)
			}
			if tc.handler.sawPeer != InProcessNetwork {
				t.Errorf("the handler's peer network %q, want %q", tc.handler.sawPeer, InProcessNetwork)
			}
			if got := header.Get("echo"); len(got) != 1 || got[0] != tc.service {
				t.Errorf("header echo: %v, want [%s]", got, tc.service)
			}
			if got := trailer.Get("done"); len(got) != 1 {
				t.Errorf("trailer done: %v, want [yes]", got)
			}
			if tc.code == codes.OK && !proto.Equal(reply, tc.handler.answer) {
				t.Errorf("reply %v, want %v", reply, tc.handler.answer)
			}
		})
	}
}
