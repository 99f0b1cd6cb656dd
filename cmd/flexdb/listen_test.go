package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/flexdb/flexdb/flexdbtest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their files and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certPEM, keyPEM, pool := flexdbtest.SelfSigned(t)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// With a certificate, the HTTP port speaks only TLS, and the gRPC port offers TLS with h2, as gRPC
// clients require (gRPC over TLS end to end is tested in grpcapi).
func TestListenersServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	grpcLis, httpLis, err := listen(&config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer grpcLis.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(httpLis)
	defer srv.Close()

	secure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := secure.Get("https://" + httpLis.Addr().String() + "/")
	if err != nil {
		t.Fatalf("HTTPS with the certificate trusted: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTPS: %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + httpLis.Addr().String() + "/"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP was served on a TLS port")
	}

	go func() {
		if c, err := grpcLis.Accept(); err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", grpcLis.Addr().String(), &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatalf("TLS to the gRPC port: %v", err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("the gRPC port negotiated %q, want h2", p)
	}
}

func TestListenRefusesAMissingCertificate(t *testing.T) {
	_, _, err := listen(&config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", TLSCert: "/nonexistent/cert.pem", TLSKey: "/nonexistent/key.pem"})
	if err == nil {
		t.Fatal("listen with a missing certificate succeeded")
	}
}
