package grpcapi

import (
	"context"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Authenticator turns a secret into the principal it proves (service.Authenticator).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (flexdb.Principal, error)
	// Known reports whether a secret is one whose last check found it valid: its caller is not charged
	// to its address's failure budget.
	Known(secret string) bool
}

// dbaasPrefix marks the calls that need credentials; health checks and reflection do not.
const dbaasPrefix = "/dbaas."

// ClientAddrKey carries the HTTP client's address from the HTTP adapters. Like ProtocolKey it is
// honoured only from in-process peers; from any other peer the address is the connection's own.
const ClientAddrKey = "x-flexdb-client-addr"

// principal finds who makes the call: the development principal when authentication is off, else the
// owner of the bearer key in the call's metadata. A call without a key, with a malformed one or with
// one not known valid is charged to its client address before any lookup, so that bad credentials
// cost the server little and cannot crowd out good ones; a known key is never charged, so that a
// flood from an address (a NAT) shared with good callers does not hold those back.
func (m *middleware) principal(ctx context.Context) (flexdb.Principal, error) {
	if m.opts.Development {
		return flexdb.Principal{Kind: flexdb.PrincipalDevelopment}, nil
	}
	header := first(ctx, "authorization")
	secret, err := service.ParseBearer(header)
	if header == "" || m.opts.Auth == nil {
		err = flexdb.Errorf(flexdb.Unauthenticated, "an API key is required: send authorization: Bearer <key>")
	}
	if err == nil && m.opts.Auth.Known(secret) {
		return m.opts.Auth.Authenticate(ctx, secret)
	}
	if ok, wait := m.failures.allow(clientAddr(ctx)); !ok {
		return flexdb.Principal{}, m.failures.refuse(ctx, wait)
	}
	if err != nil {
		return flexdb.Principal{}, err
	}
	return m.opts.Auth.Authenticate(ctx, secret)
}

// clientAddr is the address a call is charged to: the HTTP client's for the in-process HTTP adapters,
// else the connection's peer. An IPv6 client is charged by its /64, the block one host usually has.
func clientAddr(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	addr := p.Addr.String()
	if p.Addr.Network() == InProcessNetwork {
		addr = first(ctx, ClientAddrKey)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		prefix, _ := ip.Prefix(64)
		return prefix.String()
	}
	return host
}

// limiter is a token bucket per key (an API key, a client address), the least recently used dropped
// first when there are too many.
type limiter struct {
	rate    rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
	// held, when set, makes a refusal wait out its Retry-After before it answers, up to cap(held)
	// refusals at once (the rest answer at once): a flooder that sends again on each answer is slowed
	// to its budget instead of spinning the server's CPU on refusals.
	held chan struct{}
}

const maxBuckets = 100000

func newLimiter(perSecond float64, burst, held int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	buckets, _ := lru.New[string, *rate.Limiter](maxBuckets) // fails only for a size below 1
	l := &limiter{rate: rate.Limit(perSecond), burst: max(1, burst), buckets: buckets}
	if held > 0 {
		l.held = make(chan struct{}, held)
	}
	return l
}

// allow takes a token for key, or says how long until one is free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	b, ok := l.buckets.Get(key)
	if !ok {
		// Two first calls of a key may race here; the loser's bucket is dropped, costing it one token.
		b = rate.NewLimiter(l.rate, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, b); found {
			b = prev
		}
	}
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// refuse answers a call over the rate limit: RESOURCE_EXHAUSTED carrying a google.rpc.RetryInfo, which
// is what tells it from a message too large (see RateLimited), and a retry-after header. A tarpitting
// limiter first holds the answer for the retry delay, or until the call ends.
func (l *limiter) refuse(ctx context.Context, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	if l.held != nil {
		select {
		case l.held <- struct{}{}:
			t := time.NewTimer(time.Duration(secs) * time.Second)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			<-l.held
		default:
		}
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("retry-after", strconv.Itoa(secs)))
	st := status.Newf(codes.ResourceExhausted, "rate limit exceeded: retry after %d s", secs)
	if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)}); err == nil {
		st = withRetry
	}
	return st.Err()
}

// RateLimited reports whether st is the rate limiter's refusal. RESOURCE_EXHAUSTED means two things
// here, a rate limit and a request too large (gRPC's own receive limit, a document over its size); only
// the rate limit carries RetryInfo, since only waiting helps.
func RateLimited(st *status.Status) bool {
	if st.Code() != codes.ResourceExhausted {
		return false
	}
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.RetryInfo); ok {
			return true
		}
	}
	return false
}

// auditTarget reads the tenant and the object a mutation touched: the request's tenant_id, and the id
// of the object in the response, else the request's id (or user_id for memberships, name for roles). A call on a tenant
// itself acts in that tenant: the one it names, or for a create the one it made.
func auditTarget(req, resp any) (tenant, id string) {
	get := func(m protoreflect.Message, name string) string {
		if f := m.Descriptor().Fields().ByName(protoreflect.Name(name)); f != nil && f.Kind() == protoreflect.StringKind {
			return m.Get(f).String()
		}
		return ""
	}
	onTenant := false
	if r, ok := req.(proto.Message); ok {
		m := r.ProtoReflect()
		tenant, id = get(m, "tenant_id"), get(m, "id")
		if id == "" {
			id = get(m, "user_id")
		}
		if id == "" { // a role, whose name is its key
			id = get(m, "name")
		}
		onTenant = tenant == "" && strings.HasSuffix(string(m.Descriptor().Name()), "TenantRequest")
	}
	if r, ok := resp.(proto.Message); ok && r != nil {
		m := r.ProtoReflect()
		fields := m.Descriptor().Fields()
		if fields.Len() > 0 && fields.Get(0).Kind() == protoreflect.MessageKind && m.Has(fields.Get(0)) {
			obj := m.Get(fields.Get(0)).Message()
			if v := get(obj, "id"); v != "" {
				id = v
			}
			if v := get(obj, "tenant_id"); v != "" {
				tenant = v
			}
		}
	}
	if onTenant && tenant == "" {
		tenant = id
	}
	return tenant, id
}
