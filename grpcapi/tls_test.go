package grpcapi_test

// TLS as cmd/flexdb serves it: the gRPC server itself speaks plaintext HTTP/2 over a listener that
// tls.NewListener wraps, whose configuration offers ALPN "h2" (gRPC clients require it). A client that
// trusts the certificate gets through; a plaintext client, a client that does not trust it, and a
// listener that offers no "h2" do not.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	pb "github.com/flexdb/flexdb/api/dbaaspb"
	"github.com/flexdb/flexdb/flexdbtest"
	"github.com/flexdb/flexdb/grpcapi"
	"github.com/flexdb/flexdb/sqlstore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// selfSigned makes a certificate for 127.0.0.1 and localhost, signed by its own key.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certPEM, keyPEM, pool := flexdbtest.SelfSigned(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, pool
}

// serveTLS serves a development-mode gRPC server through a TLS listener offering protos, and returns its
// address.
func serveTLS(t *testing.T, cert tls.Certificate, protos ...string) string {
	t.Helper()
	srv := flexdbtest.Start(t, sqlstore.Config{DataDir: t.TempDir()}, flexdbtest.Options{GRPC: grpcapi.Options{Development: true}})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// As cmd/flexdb's listen does it.
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: protos}
	go func() { _ = srv.GRPC.Serve(tls.NewListener(lis, cfg)) }()
	return lis.Addr().String()
}

// whoAmI makes one call with creds and a deadline, so that a refused handshake fails rather than waits
// (it fails at once, as the connection does; the deadline only bounds a hang, generously).
func whoAmI(t *testing.T, addr string, creds credentials.TransportCredentials) (*pb.WhoAmIResponse, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return pb.NewKeyServiceClient(conn).WhoAmI(ctx, &pb.WhoAmIRequest{})
}

func TestGRPCOverTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	addr := serveTLS(t, cert, "h2")

	t.Run("a client trusting the certificate gets through", func(t *testing.T) {
		r, err := whoAmI(t, addr, credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
		if err != nil || r.Kind != "development" {
			t.Fatalf("WhoAmI over TLS: %v, %v", r, err)
		}
	})
	t.Run("a plaintext client fails", func(t *testing.T) {
		if _, err := whoAmI(t, addr, insecure.NewCredentials()); status.Code(err) != codes.Unavailable {
			t.Fatalf("plaintext client: %v, want Unavailable", err)
		}
	})
	t.Run("a client not trusting the certificate fails", func(t *testing.T) {
		if _, err := whoAmI(t, addr, credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})); status.Code(err) != codes.Unavailable {
			t.Fatalf("untrusting client: %v, want Unavailable", err)
		}
	})
	t.Run("a listener offering no h2 fails gRPC clients", func(t *testing.T) {
		noALPN := serveTLS(t, cert)
		if _, err := whoAmI(t, noALPN, credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})); status.Code(err) != codes.Unavailable {
			t.Fatalf("without ALPN h2: %v, want Unavailable", err)
		}
	})
}
