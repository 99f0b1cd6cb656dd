package grpcapi

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flexdb/flexdb"
	"github.com/flexdb/flexdb/service"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Authenticator turns a secret into the principal it proves (service.Authenticator).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (flexdb.Principal, error)
}

// dbaasPrefix marks the calls that need credentials; health checks and reflection do not.
const dbaasPrefix = "/dbaas."

// principal finds who makes the call: the development principal when authentication is off, else the
// owner of the bearer key in the call's metadata.
func (m *middleware) principal(ctx context.Context, md metadata.MD) (flexdb.Principal, error) {
	if m.opts.Development {
		return flexdb.Principal{Kind: flexdb.PrincipalDevelopment}, nil
	}
	header := first(md, "authorization")
	if header == "" || m.opts.Auth == nil {
		return flexdb.Principal{}, flexdb.Errorf(flexdb.Unauthenticated, "an API key is required: send authorization: Bearer <key>")
	}
	secret, err := service.ParseBearer(header)
	if err != nil {
		return flexdb.Principal{}, err
	}
	return m.opts.Auth.Authenticate(ctx, secret)
}

// limiter is a token bucket per key.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

const maxBuckets = 100000

// allow takes a token for key, or says how long until one is free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.buckets = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}

// refuse answers a call over the rate limit: RESOURCE_EXHAUSTED carrying a google.rpc.RetryInfo, which
// is what tells it from a message too large (see RateLimited), and a retry-after header.
func (l *limiter) refuse(ctx context.Context, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
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
