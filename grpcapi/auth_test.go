package grpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// oneKey is a store that knows one secret and counts its reads.
type oneKey struct {
	hash  string
	reads atomic.Int64
}

func (k *oneKey) KeyPrincipal(_ context.Context, hash string) (flexdb.Principal, error) {
	k.reads.Add(1)
	if hash != k.hash {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unauthenticated, "the API key is not valid")
	}
	return flexdb.Principal{Kind: flexdb.PrincipalKey, KeyID: "good"}, nil
}

// from is a call's origin: a network peer (its own address) or an HTTP client behind the in-process
// connection (the address it names).
func from(ctx context.Context, network bool, addr string) context.Context {
	if network {
		ip, _ := net.ResolveTCPAddr("tcp", addr)
		return peer.NewContext(ctx, &peer.Peer{Addr: ip})
	}
	return peer.NewContext(metadata.NewIncomingContext(ctx, metadata.Pairs(ClientAddrKey, addr)), &peer.Peer{Addr: inProcessAddr{}})
}

func TestFailuresAreChargedToTheAddressBeforeAnyLookup(t *testing.T) {
	good := service.NewSecret()
	type call struct {
		network bool   // from a TCP peer, else through the in-process connection
		addr    string // the peer's, or the one the HTTP adapter names
		forged  string // an address a network caller claims in ClientAddrKey
		key     string // "good", "fake" (a new well-formed key), "malformed", "" (none)
		want    codes.Code
	}
	cases := []struct {
		name    string
		calls   []call
		lookups int64 // store reads, in all
	}{
		{name: "calls without a key are charged to their address", calls: []call{
			{network: true, addr: "10.0.0.1:1"}, {network: true, addr: "10.0.0.1:2"},
			{network: true, addr: "10.0.0.1:3", want: codes.ResourceExhausted},
		}},
		{name: "malformed keys are charged too", calls: []call{
			{network: true, addr: "10.0.0.1:1", key: "malformed"}, {network: true, addr: "10.0.0.1:1", key: "malformed"},
			{network: true, addr: "10.0.0.1:1", key: "malformed", want: codes.ResourceExhausted},
		}},
		{name: "unknown keys are charged before their lookup, which the refused one never makes", lookups: 2, calls: []call{
			{network: true, addr: "10.0.0.1:1", key: "fake"}, {network: true, addr: "10.0.0.1:1", key: "fake"},
			{network: true, addr: "10.0.0.1:1", key: "fake", want: codes.ResourceExhausted},
		}},
		{name: "a known good key is not charged, even from an address over its budget", lookups: 2, calls: []call{
			{network: true, addr: "10.0.0.1:1", key: "good", want: codes.OK},
			{network: true, addr: "10.0.0.1:1", key: "fake"}, {network: true, addr: "10.0.0.1:1", key: "fake", want: codes.ResourceExhausted},
			{network: true, addr: "10.0.0.1:1", key: "good", want: codes.OK}, {network: true, addr: "10.0.0.1:1", key: "good", want: codes.OK},
		}},
		{name: "each address has its own budget", calls: []call{
			{network: true, addr: "10.0.0.1:1"}, {network: true, addr: "10.0.0.1:1"},
			{network: true, addr: "10.0.0.1:1", want: codes.ResourceExhausted}, {network: true, addr: "10.0.0.2:1"},
		}},
		{name: "an IPv6 client is charged by its /64", calls: []call{
			{network: true, addr: "[2001:db8::1]:1"}, {network: true, addr: "[2001:db8::2]:1"},
			{network: true, addr: "[2001:db8::3]:1", want: codes.ResourceExhausted}, {network: true, addr: "[2001:db8:0:1::1]:1"},
		}},
		{name: "a network caller cannot name another address to escape its budget", calls: []call{
			{network: true, addr: "10.0.0.1:1", forged: "10.9.9.1:1"}, {network: true, addr: "10.0.0.1:1", forged: "10.9.9.2:1"},
			{network: true, addr: "10.0.0.1:1", forged: "10.9.9.3:1", want: codes.ResourceExhausted},
		}},
		{name: "HTTP clients are charged by the address the adapter names, not the in-process connection", calls: []call{
			{addr: "10.0.0.1:1"}, {addr: "10.0.0.1:2"}, {addr: "10.0.0.1:3", want: codes.ResourceExhausted}, {addr: "10.0.0.2:1"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := sha256.Sum256([]byte(good))
			keys := &oneKey{hash: hex.EncodeToString(h[:])}
			// A budget of two failures that does not refill within the test, and no held refusals.
			m := newMiddleware(slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
				Auth: service.NewAuthenticator(keys, "", service.KeyLookups{}), AuthFailureRate: 1e-9, AuthFailureBurst: 2})
			for i, c := range tc.calls {
				ctx := from(t.Context(), c.network, c.addr)
				md, _ := metadata.FromIncomingContext(ctx)
				md = md.Copy()
				if c.forged != "" {
					md.Set(ClientAddrKey, c.forged)
				}
				switch c.key {
				case "good":
					md.Set("authorization", "Bearer "+good)
				case "fake":
					md.Set("authorization", "Bearer "+service.NewSecret())
				case "malformed":
					md.Set("authorization", "Bearer fdb_short")
				}
				ctx = metadata.NewIncomingContext(ctx, md)
				_, err := m.unary(ctx, "request", &grpc.UnaryServerInfo{FullMethod: testMethod},
					func(context.Context, any) (any, error) { return "response", nil })
				want := c.want
				if c.want == codes.OK && c.key != "good" {
					want = codes.Unauthenticated
				}
				st := status.Convert(err)
				if st.Code() != want {
					t.Fatalf("call %d: %s %q, want %s", i, st.Code(), st.Message(), want)
				}
				if want == codes.ResourceExhausted && !RateLimited(st) {
					t.Fatalf("call %d: a refusal without RetryInfo: %v", i, st)
				}
			}
			if n := keys.reads.Load(); n != tc.lookups {
				t.Fatalf("%d key lookups, want %d", n, tc.lookups)
			}
		})
	}
}

func TestAHeldRefusalAnswersWhenItsCallEnds(t *testing.T) {
	l := newLimiter(1e-9, 1, 1)
	l.allow("a")
	ok, wait := l.allow("a")
	if ok {
		t.Fatal("the second call within a burst of one was allowed")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the call ended: its refusal is not held past it
	if st := status.Convert(l.refuse(ctx, wait)); !RateLimited(st) {
		t.Fatalf("got %v, want a rate-limit refusal", st)
	}
	if len(l.held) != 0 {
		t.Fatalf("%d refusals still held after their calls ended", len(l.held))
	}
}
