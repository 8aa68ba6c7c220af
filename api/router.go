package api

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/eseal/eseal/verify"
)

// DefaultMaxUploadBytes bounds an uploaded document: 256 MiB.
const DefaultMaxUploadBytes = 256 << 20

// Config is what the API needs; cmd/eseal fills it from the store.
type Config struct {
	Anchors    verify.TrustAnchors
	Revocation verify.RevocationChecker
	// CRLs publishes the issuers' latest CRLs (GET /v1/crl/{issuer}); nil answers 404.
	CRLs CRLSource
	// Status publishes signed statuses (GET /v1/status/...); nil answers 404.
	Status StatusSource
	// OCSP answers OCSP requests (POST /v1/ocsp, GET /v1/ocsp/{request}); nil answers 404.
	OCSP OCSPSource
	// Events publishes the event log (GET /v1/events); nil answers 404.
	Events EventSource
	// ReportSigner signs verification reports for POST /v1/verify?signed=1; nil answers those
	// 404.
	ReportSigner ReportSigner
	// Store is the region's store for the privileged routes (sign, seals, revocations, licences,
	// tokens, trust, webhooks, audit, backup), which need an API token with a role; nil answers
	// them 404.
	Store *certstore.Store
	// RequireClientCert makes the privileged routes also require mutual TLS: a client
	// certificate that the server's tls.Config verified.
	RequireClientCert bool
	MaxUploadBytes    int64 // zero: DefaultMaxUploadBytes
	TempDir           string
	Logger            *slog.Logger
	Now               func() time.Time // nil: the real clock
	Ops               Operations       // limits, readiness and metrics (limits.go)
}

// ReportSigner signs a report's exact bytes with the region's key (certstore.Store is one).
type ReportSigner interface {
	SignReport(report []byte) (signature []byte, signer *smcrypto.Certificate, err error)
}

type server struct {
	cfg Config
	log *slog.Logger
	// cache spares the verifications of the server's lifetime from verifying again the
	// certificates and seals they have in common (an approval bureau's licences all share them).
	cache *verify.Cache
	ops   *ops
}

// NewRouter returns the HTTP handler for every route.
func NewRouter(cfg Config) http.Handler {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{cfg: cfg, log: cfg.Logger, cache: verify.NewCache()}
	s.ops = newOps(cfg.Ops, func(w http.ResponseWriter, r *http.Request, err error) { writeProblem(w, r, s.log, err) })
	r := chi.NewRouter()
	r.Use(cleanRequestID, middleware.RequestID, s.observe, middleware.Recoverer, s.ops.limitPublic)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such route: " + r.URL.Path})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, s.log, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
	})
	r.Get("/", s.handleIndex)
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Get("/metrics", s.handleMetrics)
	r.Post("/v1/verify", s.handleVerify)
	r.Get("/v1/crl/{issuer}", s.handleCRL)
	r.Get("/v1/status/cert/{issuer}/{serial}", s.handleStatus(certstore.StatusCertificate))
	r.Get("/v1/status/seal/{id}", s.handleStatus(certstore.StatusSeal))
	r.Get("/v1/status/licence/{id}", s.handleStatus(certstore.StatusLicence))
	r.Get("/v1/status/issuance/{id}", s.handleStatus(certstore.StatusIssuance))
	r.Get("/v1/events", s.handleEvents)
	r.Post("/v1/ocsp", s.handleOCSPPost)
	r.Get("/v1/ocsp/*", s.handleOCSPGet)
	r.Get("/v1/openapi.yaml", s.handleOpenAPI)
	r.Get("/v1/trust", s.handleTrust)
	r.Get("/v1/issuances/{code}", s.handleIssuance)
	r.Get("/v/{code}", s.handleIndex) // a QR code's link: the page shows that signature's standing
	r.Get("/v1/trust/bundle", s.handleTrustBundle)

	// Privileged routes: an API token whose role covers the route (admin covers all).
	r.Group(func(r chi.Router) {
		r.Use(s.require(certstore.RoleIssuer))
		r.Post("/v1/sign", s.handleSign)
		r.Post("/v1/sign/batch", s.handleSignBatch)
		r.Get("/v1/seals", s.handleSeals)
		r.Post("/v1/seals", s.handleNewSeal)
		r.Get("/v1/seals/{id}", s.handleSeal)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.require(certstore.RoleRevoker))
		r.Get("/v1/revocations", s.handleRevocations)
		r.Post("/v1/revocations/cert", s.handleRevokeCert)
		r.Post("/v1/revocations/seal", s.handleRevokeSeal)
		r.Get("/v1/licences/{id}", s.handleLicence)
		r.Post("/v1/licences/{id}/{action}", s.handleLicenceAction)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.require(certstore.RoleAuditor))
		r.Get("/v1/audit", s.handleAudit)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.require(certstore.RoleAdmin))
		r.Get("/v1/tokens", s.handleTokens)
		r.Post("/v1/tokens", s.handleNewToken)
		r.Delete("/v1/tokens/{id}", s.handleRevokeToken)
		r.Get("/v1/webhooks", s.handleWebhooks)
		r.Post("/v1/webhooks", s.handleNewWebhook)
		r.Delete("/v1/webhooks/{id}", s.handleRemoveWebhook)
		r.Get("/v1/backup", s.handleBackup)
		r.Post("/v1/trust/bundle", s.handleExportTrustBundle)
		r.Post("/v1/trust/import", s.handleImportTrustBundle)
	})
	return r
}
