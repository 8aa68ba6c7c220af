package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"
	"golang.org/x/sync/semaphore"
)

// Operations are the service's operational limits and hooks. Zero fields take the defaults.
type Operations struct {
	// RateLimit is how many requests one client IP may make per minute to the public routes
	// (publicRoutes); beyond it the answer is 429 with Retry-After. 0: no limit.
	RateLimit int
	// MaxVerifications bounds the verifications running at once: 0 means 4 × GOMAXPROCS.
	MaxVerifications int
	// VerifyMemory bounds the bytes of upload the running verifications hold together (each
	// counts its upload's size, at least 1 MiB, at most VerifyMemory): 0 means 1 GiB.
	VerifyMemory int64
	// QueueWait is how long a verification waits for room before it is answered 503 with
	// Retry-After: 0 means 30 s. A client that goes away stops its wait.
	QueueWait time.Duration
	// Ready says whether the service can answer requests (GET /readyz): nil when it can, else
	// why not. nil: always ready.
	Ready func(context.Context) error
	// Metrics collects the metrics served at GET /metrics; nil: a new set.
	Metrics *Metrics
	// TrustedProxies are the reverse proxies in front of the service: a request that comes
	// from one is keyed by the client address its X-Forwarded-For gives (the last one not
	// itself a trusted proxy); from anywhere else the header is ignored, since a client can
	// write it.
	TrustedProxies []netip.Prefix
}

// Defaults of Operations.
const (
	DefaultVerifyMemory = 1 << 30
	DefaultQueueWait    = 30 * time.Second
	minVerifyWeight     = 1 << 20
)

// DefaultMaxVerifications is Operations.MaxVerifications's default.
func DefaultMaxVerifications() int { return 4 * runtime.GOMAXPROCS(0) }

// publicRoutes are the routes anyone may call (verification and publication), which the
// per-client rate limit applies to. Requests that match no route count as public too.
var publicRoutes = map[string]bool{
	"/":                                 true,
	"/v1/verify":                        true,
	"/v1/crl/{issuer}":                  true,
	"/v1/status/cert/{issuer}/{serial}": true,
	"/v1/status/seal/{id}":              true,
	"/v1/status/licence/{id}":           true,
	"/v1/status/issuance/{id}":          true,
	"/v1/events":                        true,
	"/v1/ocsp":                          true,
	"/v1/ocsp/*":                        true,
	"/v1/openapi.yaml":                  true,
	"/v1/trust":                         true,
	"/v1/issuances/{code}":              true,
	"/v/{code}":                         true,
	"/v1/trust/bundle":                  true, // GET public; POST (admin) limited alike
}

// ops is the running state of Operations.
type ops struct {
	cfg     Operations
	metrics *Metrics
	gate    *verifyGate
	limiter *httprate.RateLimiter // nil: no rate limit
}

func newOps(cfg Operations, log func(w http.ResponseWriter, r *http.Request, err error)) *ops {
	if cfg.MaxVerifications <= 0 {
		cfg.MaxVerifications = DefaultMaxVerifications()
	}
	if cfg.VerifyMemory <= 0 {
		cfg.VerifyMemory = DefaultVerifyMemory
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = DefaultQueueWait
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	o := &ops{cfg: cfg, metrics: cfg.Metrics, gate: &verifyGate{
		count:  semaphore.NewWeighted(int64(cfg.MaxVerifications)),
		memory: semaphore.NewWeighted(cfg.VerifyMemory), memoryMax: cfg.VerifyMemory, wait: cfg.QueueWait,
	}}
	if cfg.RateLimit > 0 {
		o.limiter = httprate.NewRateLimiter(cfg.RateLimit, time.Minute,
			httprate.WithKeyFuncs(func(r *http.Request) (string, error) { return clientIP(r, cfg.TrustedProxies) }),
			httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
				// httprate has set Retry-After.
				w.Header().Set("Connection", "close") // the body, if any, is not read
				log(w, r, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
					Message: "too many requests from this address: at most " + strconv.Itoa(cfg.RateLimit) + " a minute"})
			}))
	}
	return o
}

// clientIP keys the rate limit: the connection's address (an IPv6 client by its /64), or, when
// the connection comes from a trusted proxy, the client that X-Forwarded-For names: walking the
// header from its right end, the first address that is not a trusted proxy.
func clientIP(r *http.Request, trusted []netip.Prefix) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if len(trusted) > 0 && isTrusted(host) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(hops[i])
			if _, err := netip.ParseAddr(hop); err != nil {
				break // a malformed hop: trust nothing before it
			}
			host = hop
			if !isTrusted(hop) {
				break
			}
		}
	}
	return httprate.CanonicalizeIP(host), nil
}

// limitPublic applies the per-client rate limit to the public routes.
func (o *ops) limitPublic(next http.Handler) http.Handler {
	if o.limiter == nil {
		return next
	}
	limited := o.limiter.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := ""
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
			pattern = rctx.Routes.Find(chi.NewRouteContext(), r.Method, r.URL.Path)
		}
		if pattern != "" && !publicRoutes[pattern] {
			next.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
}

// verifyGate bounds the verifications running at once, and the upload bytes they hold.
type verifyGate struct {
	count, memory *semaphore.Weighted
	memoryMax     int64
	wait          time.Duration
}

// errBusy is the answer to a verification that waited too long for room.
func errBusy(wait time.Duration) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "busy",
		Message: "the server is verifying as many documents as it can: waited " + wait.String() + " for room, try again shortly"}
}

// enter waits for room for a verification of an upload of size bytes, until ctx ends or the
// queue wait is over (then *Error 503). The caller calls release when done.
func (g *verifyGate) enter(ctx context.Context, size int64) (release func(), err error) {
	weight := min(max(size, minVerifyWeight), g.memoryMax)
	wait, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	fail := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errBusy(g.wait)
	}
	if err := g.count.Acquire(wait, 1); err != nil {
		return nil, fail(err)
	}
	if err := g.memory.Acquire(wait, weight); err != nil {
		g.count.Release(1)
		return nil, fail(err)
	}
	return func() { g.memory.Release(weight); g.count.Release(1) }, nil
}

// retryAfter sets Retry-After on an answer that asks the client to come back.
func retryAfter(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests) {
		w.Header().Set("Retry-After", "5")
	}
}
