package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ServerOptions are the HTTP server's defences against slow and greedy clients. Zero fields take
// the defaults below.
type ServerOptions struct {
	// TLS, when set, serves HTTPS with it (mutual TLS when it asks for client certificates).
	TLS *tls.Config
	// MaxHeaderBytes bounds a request's header block; beyond it the answer is 431.
	MaxHeaderBytes int
	// ReadHeaderTimeout is how long a client may take to send its request line and headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next request.
	IdleTimeout time.Duration
	// WriteTimeout is how long a request may take, once its body has been read, to be answered
	// and its answer sent.
	WriteTimeout time.Duration
	// MinUploadRate (bytes per second) is the slowest a request body may arrive, on average
	// since the request began, once UploadGrace has passed; and no body may pause for longer than
	// UploadGrace. A client slower than that is cut off (408), so a stalled upload never holds
	// its connection for long.
	MinUploadRate int64
	UploadGrace   time.Duration
	// MaxConns bounds the connections served at once. The connections beyond it are given to
	// a small overflow server that answers only GET /healthz and GET /readyz (anything else 503),
	// so that a flood of stalled connections does not blind the health checks; past
	// MaxOverflowConns more, new connections are closed at once.
	MaxConns         int
	MaxOverflowConns int
}

// Defaults of ServerOptions.
const (
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultWriteTimeout      = 2 * time.Minute
	DefaultMinUploadRate     = 64 << 10
	DefaultUploadGrace       = 10 * time.Second
	DefaultMaxConns          = 1000
	DefaultMaxOverflowConns  = 256
)

func (o *ServerOptions) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.UploadGrace, DefaultUploadGrace)
	if o.MinUploadRate <= 0 {
		o.MinUploadRate = DefaultMinUploadRate
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxOverflowConns <= 0 {
		o.MaxOverflowConns = DefaultMaxOverflowConns
	}
}

// overflowPaths are what the overflow server answers: the health checks.
var overflowPaths = map[string]bool{"/healthz": true, "/readyz": true}

// Server serves a handler (NewRouter's) under ServerOptions, and shuts down gracefully.
type Server struct {
	opts     ServerOptions
	main     *http.Server
	overflow *http.Server
	// cancel ends every request's context: at the end of a shutdown that ran out of time.
	cancel   context.CancelFunc
	inFlight inFlight
}

// NewServer returns a server for h.
func NewServer(h http.Handler, opts ServerOptions) *Server {
	opts.setDefaults()
	base, cancel := context.WithCancel(context.Background())
	s := &Server{opts: opts, cancel: cancel}
	baseContext := func(net.Listener) context.Context { return base }
	s.main = &http.Server{
		Handler:           s.inFlight.track(minUploadRate(opts, h)),
		MaxHeaderBytes:    opts.MaxHeaderBytes,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		// No ReadTimeout or WriteTimeout here: an upload of hundreds of megabytes takes
		// minutes. minUploadRate sets the read and write deadlines of each request instead.
		BaseContext: baseContext,
	}
	overflow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && overflowPaths[r.URL.Path] {
			h.ServeHTTP(w, r)
			return
		}
		// A little of the body is read, briefly, so that a client still sending reads the
		// answer rather than a reset connection; a stalled one frees its slot at once.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		io.CopyN(io.Discard, r.Body, 64<<10)
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, slog.New(slog.DiscardHandler), &Error{Status: http.StatusServiceUnavailable, Code: "busy",
			Message: "the server is at its connection limit: try again shortly"})
	})
	s.overflow = &http.Server{
		Handler:           overflow,
		MaxHeaderBytes:    4 << 10,
		ReadHeaderTimeout: time.Second,
		ReadTimeout:       time.Second,
		WriteTimeout:      5 * time.Second,
		BaseContext:       baseContext,
	}
	s.overflow.SetKeepAlivesEnabled(false)
	return s
}

// Serve accepts connections on ln until Shutdown; it returns http.ErrServerClosed then.
func (s *Server) Serve(ln net.Listener) error {
	overflow := &chanListener{addr: ln.Addr(), conns: make(chan net.Conn, s.opts.MaxOverflowConns), done: make(chan struct{})}
	limited := &limitListener{Listener: ln, slots: make(chan struct{}, s.opts.MaxConns),
		overflowSlots: make(chan struct{}, s.opts.MaxOverflowConns), overflow: overflow}
	if s.opts.TLS != nil {
		// TLS over the limited listener: the handshake happens in the server's goroutine for
		// the connection, and requests see r.TLS.
		go s.overflow.Serve(tls.NewListener(overflow, s.opts.TLS))
		return s.main.Serve(tls.NewListener(limited, s.opts.TLS))
	}
	go s.overflow.Serve(overflow)
	return s.main.Serve(limited)
}

// Shutdown stops accepting connections and waits, until ctx ends, for the requests in flight to
// be answered. If ctx ends first, the requests still running have their contexts cancelled (a
// verification stops, an upload is abandoned) and their connections closed; Shutdown then
// waits a little longer for their handlers to return (and remove their temporary files).
func (s *Server) Shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.overflow.Shutdown(ctx) }()
	err := s.main.Shutdown(ctx)
	wg.Wait()
	if err == nil {
		return nil
	}
	s.cancel()
	s.main.Close()
	s.overflow.Close()
	wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if werr := s.inFlight.wait(wait); werr != nil {
		return fmt.Errorf("%w; %d requests still running", err, s.inFlight.count())
	}
	return fmt.Errorf("%w: requests in flight were cut short", err)
}

// inFlight counts the handlers running.
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0, for wait
}

func (f *inFlight) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.n++
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.n--
			if f.n == 0 && f.idle != nil {
				close(f.idle)
				f.idle = nil
			}
			f.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

func (f *inFlight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *inFlight) wait(ctx context.Context) error {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limitListener hands out at most cap(slots) connections at once; the next ones go to the
// overflow listener, and beyond its own bound they are closed.
type limitListener struct {
	net.Listener
	slots, overflowSlots chan struct{}
	overflow             *chanListener
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.overflow.Close()
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, slots: l.slots}, nil
		default:
		}
		select {
		case l.overflowSlots <- struct{}{}:
			// Never blocks: conns has room for every overflow slot.
			l.overflow.conns <- &slotConn{Conn: c, slots: l.overflowSlots}
		default:
			c.Close()
		}
	}
}

func (l *limitListener) Close() error {
	l.overflow.Close()
	return l.Listener.Close()
}

// slotConn gives its slot back when closed.
type slotConn struct {
	net.Conn
	slots chan struct{}
	once  sync.Once
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.slots })
	return err
}

// chanListener is a listener fed by limitListener.
type chanListener struct {
	addr      net.Addr
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		// Connections handed over but never accepted.
		for {
			select {
			case c := <-l.conns:
				c.Close()
			default:
				return
			}
		}
	})
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// ErrUploadTooSlow is the error a request body returns once its client has fallen below the
// minimum upload rate (the answer is 408).
var ErrUploadTooSlow = errors.New("the upload is slower than the server's minimum rate")

// minUploadRate sets each request's read deadline so that its body must arrive at
// opts.MinUploadRate on average after opts.UploadGrace, with no pause longer than UploadGrace,
// and its write deadline opts.WriteTimeout after the last read deadline.
//
// Once the body is in (or when there is none), the read deadline is cleared: the server then
// reads the connection in the background only to notice a client that went away, and a deadline
// expiring there would cancel the request's context.
func minUploadRate(opts ServerOptions, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		start := time.Now()
		// A ResponseWriter without deadlines (a test recorder) is served without them.
		_ = rc.SetWriteDeadline(start.Add(opts.WriteTimeout))
		if r.Body != nil && r.Body != http.NoBody {
			b := &rateBody{body: r.Body, rc: rc, start: start, opts: opts}
			// Until the handler reads: a body it never reads cannot stall the connection
			// either (the server reads some of what is left after the handler).
			b.setDeadlines(start.Add(opts.UploadGrace))
			r.Body = b
		}
		h.ServeHTTP(w, r)
	})
}

type rateBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	opts  ServerOptions
	n     int64
	err   error
}

func (b *rateBody) setDeadlines(read time.Time) {
	_ = b.rc.SetReadDeadline(read)
	_ = b.rc.SetWriteDeadline(read.Add(b.opts.WriteTimeout))
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	now := time.Now()
	deadline := b.start.Add(b.opts.UploadGrace + time.Duration(float64(b.n)/float64(b.opts.MinUploadRate)*float64(time.Second)))
	if pause := now.Add(b.opts.UploadGrace); pause.Before(deadline) {
		deadline = pause
	}
	b.setDeadlines(deadline)
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.err = err
		_ = b.rc.SetReadDeadline(time.Time{})
		_ = b.rc.SetWriteDeadline(time.Now().Add(b.opts.WriteTimeout))
	case isTimeout(err):
		b.err = fmt.Errorf("%w: %d bytes in %s (at least %d bytes/s after the first %s)", ErrUploadTooSlow,
			b.n, time.Since(b.start).Round(time.Millisecond), b.opts.MinUploadRate, b.opts.UploadGrace)
		err = b.err
	case err != nil:
		b.err = err
	}
	return n, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

func (b *rateBody) Close() error { return b.body.Close() }
