package grpcapi

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Direct is the HTTP adapters' way to the services: a grpc.ClientConnInterface that runs a unary call
// through the same middleware and handler a gRPC call passes, in the caller's goroutine. It replaces an
// in-memory gRPC connection, whose encoding and HTTP/2 framing on both ends cost as much as the call
// itself. What that transport did is done here, once: the call's metadata becomes the handler's
// incoming metadata, the peer is marked in-process (so the middleware reads the protocol and the
// client's address from the metadata), the message limits hold both ways with gRPC's codes, and the
// headers the middleware sets reach the caller's grpc.Header option.
type Direct struct {
	methods          map[string]directMethod
	interceptor      grpc.UnaryServerInterceptor
	maxRecv, maxSend int
}

type directMethod struct {
	impl    any
	handler func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error)
}

func newDirect(interceptor grpc.UnaryServerInterceptor, opts Options) *Direct {
	return &Direct{methods: map[string]directMethod{}, interceptor: interceptor, maxRecv: opts.MaxRecvBytes, maxSend: opts.MaxSendBytes}
}

// RegisterService makes the unary methods of desc callable; Direct is registered with the gRPC server's
// services (Register), so that the two cannot serve different sets.
func (d *Direct) RegisterService(desc *grpc.ServiceDesc, impl any) {
	for _, m := range desc.Methods {
		d.methods["/"+desc.ServiceName+"/"+m.MethodName] = directMethod{impl: impl, handler: m.Handler}
	}
}

// Invoke runs method with args and fills reply with its response.
func (d *Direct) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := d.methods[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	in, out := args.(proto.Message), reply.(proto.Message)
	if n := proto.Size(in); d.maxRecv > 0 && n > d.maxRecv {
		return status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", n, d.maxRecv)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	stream := &directStream{method: method}
	ctx = metadata.NewIncomingContext(ctx, md)
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: inProcessAddr{}})
	ctx = grpc.NewContextWithServerTransportStream(ctx, stream)
	// The handler decodes into a request of its own: a copy, so that it may keep what it is given.
	resp, err := m.handler(m.impl, ctx, func(v any) error { proto.Merge(v.(proto.Message), in); return nil }, d.interceptor)
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = stream.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = stream.trailer
		}
	}
	if err != nil {
		return status.Convert(err).Err()
	}
	r := resp.(proto.Message)
	if n := proto.Size(r); d.maxSend > 0 && n > d.maxSend {
		return status.Errorf(codes.ResourceExhausted, "grpc: trying to send message larger than max (%d vs. %d)", n, d.maxSend)
	}
	proto.Reset(out)
	proto.Merge(out, r)
	return nil
}

// NewStream refuses: the HTTP adapters make unary calls only.
func (d *Direct) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "no streaming calls in process")
}

// directStream collects what the handler's side sets with grpc.SetHeader and grpc.SetTrailer.
type directStream struct {
	method          string
	header, trailer metadata.MD
}

func (s *directStream) Method() string { return s.method }

func (s *directStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *directStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *directStream) SetTrailer(md metadata.MD) error {
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// inProcessAddr is the peer address of a Direct call.
type inProcessAddr struct{}

func (inProcessAddr) Network() string { return InProcessNetwork }
func (inProcessAddr) String() string  { return "in-process" }

var _ grpc.ClientConnInterface = (*Direct)(nil)
