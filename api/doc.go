// Package api is eseal's HTTP interface on chi: one file per endpoint group, a read/render split
// (read.go turns requests into inputs, render.go turns results and errors into responses), and
// errors that carry their HTTP status.
//
// Routes:
//
//	GET  /             the verification web page (embedded): upload a PDF, read the report
//	GET  /healthz      liveness: {"status":"ok"}
//	GET  /readyz       readiness (Operations.Ready): {"status":"ready"}, or 503 with the reason
//	GET  /metrics      Prometheus metrics (Metrics)
//	POST /v1/verify    verify a PDF or an OFD document (told by its bytes) sent as multipart form
//	                   field "file" or as the raw body, or any file with its detached signature
//	                   (multipart fields "file" and "signature"); 200 with the verify.Report JSON (the same
//	                   object as `eseal verify --json`); ?revocation=soft-fail accepts
//	                   certificates whose revocation status is unknown; ?signed=1 signs the
//	                   report's exact bytes with the region root (SM2, detached: headers
//	                   Eseal-Report-Signature and Eseal-Report-Signer, base64 DER)
//	GET  /v1/crl/{issuer}  the issuer's latest CRL (DER), by its key identifier in hex; cacheable
//	                   until its nextUpdate, ETag and 304
//	GET  /v1/status/cert/{issuer}/{serial}, /v1/status/seal/{esID}, /v1/status/licence/{id},
//	     /v1/status/issuance/{SM3 digest hex} (the licence a signature issued, for verifiers)
//	                   the region's signed status (internal/status: the JSON payload, its SM2
//	                   signature by the region root, the root), good/revoked/unknown or a
//	                   licence's state, with reason, dates and legal basis; current for 24 hours
//	POST /v1/ocsp, GET /v1/ocsp/{base64 request}  the RFC 6960 OCSP responder of the region root,
//	                   SM2-signed, answering from responses signed in advance (on revocation,
//	                   and when half of their 24 hours are gone); one certificate per request;
//	                   nonces are not echoed; GET answers are cacheable until their nextUpdate
//	GET  /v1/events?after=N&limit=M  the event log after event N (at most M, default 100, at
//	                   most 1000): {"events": [...], "next": N'}, every issuance and lifecycle
//	                   change, each chained to the one before and signed by the region root
//	                   (internal/eventlog)
//	GET  /v1/trust     whom this verifier trusts: its anchors and the bundles imported from other
//	                   regions; GET /v1/trust/bundle: this region's latest signed trust bundle
//	GET  /v1/openapi.yaml  the OpenAPI 3 document of every route (kept in step with the router
//	                   by TestOpenAPIMatchesRouter)
//
// Privileged routes need "Authorization: Bearer TOKEN" (certstore tokens, `eseal token create`)
// whose role covers them (admin covers all), and, with Config.RequireClientCert, a verified TLS
// client certificate too; their changes are audited under the caller's name (certstore.Store.As):
//
//	issuer   POST /v1/sign (multipart "file" and "seal": the signed PDF/OFD or a detached
//	         signature), GET/POST /v1/seals, GET /v1/seals/{id}
//	revoker  GET /v1/revocations, POST /v1/revocations/cert, POST /v1/revocations/seal,
//	         GET /v1/licences/{id}, POST /v1/licences/{id}/{change|withdraw|revoke|cancel}
//	auditor  GET /v1/audit
//	admin    GET/POST /v1/tokens, DELETE /v1/tokens/{id}, GET/POST /v1/webhooks,
//	         DELETE /v1/webhooks/{id}, GET /v1/backup (online copy of the store file),
//	         POST /v1/trust/bundle (export), POST /v1/trust/import?fingerprint=SHA256
//
// Errors are RFC 9457 problems (application/problem+json): type "urn:eseal:problem:CODE", title,
// status, detail, instance, and the members code and requestId; the older {"error": {status,
// code, message}} is kept alongside. 401 carries WWW-Authenticate; internal errors show no cause
// (it is logged with the request ID).
//
// Uploads stream to a temporary file (never held in memory) and are limited in size (413 beyond,
// before reading when the declared length says so); a body that does not start as a PDF, an OFD
// package or a DER signature is refused after its first 1,024 bytes.
//
// Operations (limits.go, observe.go, metrics.go): a per-client rate limit on the public routes,
// a bound on the verifications running at once and the upload bytes they hold, one log line per
// request with its ID. Server (server.go) serves the router with header, rate and connection
// limits, and shuts down gracefully.
package api
