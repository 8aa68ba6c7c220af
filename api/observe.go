package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// cleanRequestID drops a client's X-Request-Id that is not a short token, so that
// middleware.RequestID makes one instead: the ID goes into logs and answers as it is.
func cleanRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(middleware.RequestIDHeader); id != "" && !isToken(id, 128) {
			r.Header.Del(middleware.RequestIDHeader)
		}
		next.ServeHTTP(w, r)
	})
}

func isToken(s string, maxLen int) bool {
	if len(s) > maxLen {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=':
		default:
			return false
		}
	}
	return true
}

// statusClientGone is what the log and the metrics say of a request whose client went away
// before it was answered (nginx's "client closed request").
const statusClientGone = 499

// observe logs one line per request and counts it in the metrics: request ID (also answered
// as X-Request-Id), method, route pattern, status, duration, bytes received and sent. It logs no
// header values (never Authorization) and nothing of the bodies.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := middleware.GetReqID(r.Context())
		if id != "" {
			w.Header().Set(middleware.RequestIDHeader, id)
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		in := &countingBody{ReadCloser: r.Body}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = in
		}
		defer func() {
			status := ww.Status()
			switch {
			case status == 0 && r.Context().Err() != nil:
				status = statusClientGone
			case status == 0:
				status = http.StatusOK // the handler wrote nothing: net/http answers 200
			}
			route := "unmatched"
			if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePattern() != "" {
				route = rctx.RoutePattern()
			}
			method := r.Method
			if !knownMethods[method] {
				method = "OTHER" // a method is anything a client sends: keep the metric's values few
			}
			d := time.Since(start)
			s.ops.metrics.observeRequest(route, method, status, d)
			level := slog.LevelInfo
			if status >= 500 && status != statusClientGone {
				level = slog.LevelWarn
			}
			s.log.LogAttrs(context.Background(), level, "request",
				slog.String("request_id", id), slog.String("method", method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", d),
				slog.Int64("bytes_in", in.n), slog.Int("bytes_out", ww.BytesWritten()),
				slog.String("remote", r.RemoteAddr))
		}()
		next.ServeHTTP(ww, r)
	})
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodOptions: true,
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// handleReadyz answers 200 when the service can answer requests (Operations.Ready), else 503.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.ops.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ops.cfg.Ready(ctx); err != nil {
			w.Header().Set("Retry-After", "5")
			writeProblem(w, r, s.log, &Error{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.ops.metrics.Handler().ServeHTTP(w, r)
}
