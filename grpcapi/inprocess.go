package grpcapi

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// InProcessConn is a client connection to a gRPC server through memory. The HTTP adapters call the
// service through it, so that REST and JSON-RPC pass through the same middleware as gRPC and cannot
// drift from it.
type InProcessConn struct {
	Conn *grpc.ClientConn
	lis  *bufconn.Listener
}

// InProcess starts s on an in-memory listener and connects to it.
func InProcess(s *grpc.Server) (*InProcessConn, error) {
	lis := bufconn.Listen(1 << 20)
	go func() { _ = s.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///in-process",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		lis.Close()
		return nil, err
	}
	return &InProcessConn{Conn: conn, lis: lis}, nil
}

// Close closes the connection and the listener.
func (c *InProcessConn) Close() {
	c.Conn.Close()
	c.lis.Close()
}
