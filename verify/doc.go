// Package verify checks the signatures of a document and reports, per signature and overall,
// whether it is valid, invalid or undecidable, and exactly why, in the vocabulary of
// ETSI EN 319 102-1 (TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE with sub-indications).
//
// It is a library: trust anchors and revocation status come in through the small TrustAnchors and
// RevocationChecker interfaces (implemented by certstore, or by the caller), and it never depends
// on the sign package, on storage or on HTTP.
//
// # Use
//
//	rep, err := verify.VerifyPDF(ctx, f, size, verify.Options{Anchors: store, Revocation: store})
//	// err != nil only for input that is not a usable PDF (*InputError), or ctx's error;
//	// rep.Indication is the overall verdict, rep.Signatures one report per signature.
//
// The Report is data: indications, the checks by name (CheckName, stable) with their status,
// and the facts behind them as fields (the signer and chain, the seal and its dates, the
// certificate validity judgement, each certificate's revocation status with its RFC 5280
// reason and times, the proof of existence, the later changes). Each check also has a detail
// in words, with times in Options.TimeZone. The summary sentence and the text report are made
// from the data by the CLI and the service (internal/reporttext), not here.
//
// # How it is built
//
// One verification core serves every format. A format reader turns the document into
// signatures: each one's container (a CMS SignedData in either SM2 convention, RSA or ECDSA; a
// bare PKCS#1 value, for adbe.x509.rsa_sha1; an RFC 3161 token, for document timestamps), what
// it signed (byte ranges of the input), and hooks for what only the format can judge (for PDF,
// the ByteRange coverage and the later revisions). Container readers turn the bytes into
// evidence (signer and certificates, signed attributes, algorithms and value, claimed time,
// seal, timestamp tokens); the checks below are written once over that evidence. Three
// formats are read: PDF (VerifyPDF); OFD (VerifyOFD: each signature signs its Signature.xml,
// whose References the "references" check verifies, file by file); and detached signatures
// (VerifyDetached: a signature file, a CMS or a GB/T 38540 SES_Signature, over a whole file). VerifySeal judges a
// seal file on its own with the same seal check, in a report of the same shape (one entry of
// Type "seal"). Every deviation from the standards that a seal reader tolerates is a warning,
// never silent.
//
// # What is checked, in order
//
// Every signature field (approval and certification signatures, and ETSI.RFC3161 document
// timestamps) gets these checks, each a Check with a status and a precise detail:
//
//   - format: the SubFilter (adbe.pkcs7.detached, ETSI.CAdES.detached, adbe.pkcs7.sha1,
//     adbe.x509.rsa_sha1, ETSI.RFC3161) and the CMS: both SM2 conventions (PKCS#7 OIDs with
//     SM2-with-SM3 1.2.156.10197.1.501, GM/T 0010 OIDs with 1.2.156.10197.1.301.1), RSA (PKCS#1
//     v1.5, PSS) and ECDSA; an unknown format or an unfilled placeholder is FORMAT_FAILURE.
//   - byte range: the signed bytes must be the whole file, or a whole revision, minus exactly
//     the /Contents string (internal/pdf decides); anything else is FORMAT_FAILURE.
//   - integrity: the messageDigest (or the timestamp's messageImprint) against a streaming hash
//     of the signed bytes; a mismatch is HASH_FAILURE.
//   - signature value: SIG_CRYPTO_FAILURE when it does not verify; the detail names the
//     algorithm, the SM2 signer ID that verified and the value's encoding (DER, raw r‖s).
//   - signer certificate: found in the CMS and confirmed by the ESS signing-certificate
//     attribute, else NO_SIGNING_CERTIFICATE_FOUND.
//   - seal (GB/T 38540 seal carried as a signed attribute): the maker's signature, the signer in
//     the seal's certList, the seal's validity covering the signing time, the maker chaining to
//     a trust anchor, its chain valid when the seal was made (the creation date the maker
//     signed: outside it, the seal is TOTAL_FAILED/EXPIRED or NOT_YET_VALID, as a signature is),
//     and not revoked before then.
//   - certificate chain: to Options.Anchors plus Options.ExtraAnchors; none is
//     NO_CERTIFICATE_CHAIN_FOUND, and the detail says which issuer is missing. The path is found
//     whatever the time (a certificate that has expired since is still in its chain); the
//     validity check judges the times. A certificate signed with SHA-1 or MD5 cannot be part of
//     a chain (CRYPTO_CONSTRAINTS_FAILURE_NO_POE), except SHA-1 when a trusted proof of existence
//     predates 2014, as for the signature's own algorithms.
//   - certificate validity and key usage at the signing time (see below).
//   - revocation, through Options.Revocation (see below).
//   - algorithms: SHA-1 and RSA keys under 2048 bits are acceptable only with a proof that the
//     signature existed before 2014 (CRYPTO_CONSTRAINTS_FAILURE_NO_POE otherwise).
//   - later changes: the revisions after the signed one (see below).
//   - timestamp: a signature timestamp token must cover the signature value, verify, and come
//     from a TSA that chains to a trust anchor with certificates valid at the time it states;
//     then its time is a proof of existence.
//
// A signature is TOTAL_FAILED with the sub-indication of its first failed check, else
// INDETERMINATE with that of its first indeterminate check, else TOTAL_PASSED. The document is
// NO_SIGNATURE_FOUND without signatures, TOTAL_FAILED if any signature failed, INDETERMINATE if
// any is undecided, TOTAL_PASSED otherwise. Every check that can run does, so the report shows
// all that is wrong, not only the first thing.
//
// # Decisions
//
// Times. The claimed signing time is the signingTime signed attribute, else the signature
// dictionary's /M (which the ByteRange covers too); it is a claim, not a proof. A proof of
// existence (POE) is a trusted signature timestamp, or a trusted document timestamp written
// after the signature. A certificate that was valid at the claimed time but has expired since
// is INDETERMINATE/OUT_OF_BOUNDS_NO_POE unless a POE shows the signature is older than its
// expiry. A signature whose own claimed time lies after a certificate's expiry (or before its
// start) contradicts itself and is TOTAL_FAILED/EXPIRED (NOT_YET_VALID): no anchor or
// timestamp can mend that.
//
// Revocation. Revoked (at the revocation time, or the invalidity date when earlier) before the
// POE: does not matter. Revoked at or before the claimed signing time: TOTAL_FAILED/REVOKED.
// Revoked after the claimed time with no POE before it: INDETERMINATE/REVOKED_NO_POE, with the
// date and reason. A source that fails: INDETERMINATE/TRY_LATER. No information (no
// RevocationChecker, or one that does not know the certificate): INDETERMINATE/TRY_LATER under the
// default RevocationRequired policy (fail closed), a warning under RevocationSoftFail.
//
// Later changes. A certification signature's DocMDP P decides; validation data (/DSS) and
// document timestamps are always allowed. An approval signature without DocMDP allows later
// signatures, timestamps, validation data, form filling and annotations, like pyHanko; any other
// change (page content, resources, new fields, rewritten signatures, bytes after the last
// %%EOF that are not white space) means the document shown is not the document signed, and the
// signature is TOTAL_FAILED/FORMAT_FAILURE, as EU DSS reports unauthorised modifications.
//
// Seal rules. A signer outside the seal's certList, or a signing time outside the seal's
// validity, makes the signature TOTAL_FAILED with SIG_CONSTRAINTS_FAILURE: ETSI lists that
// sub-indication under INDETERMINATE for constraints a policy may relax, but GB/T 38540 makes
// these mandatory and no further information could cure them.
//
// Timestamps. A signature timestamp that is damaged, does not cover the signature, or comes from
// an untrusted TSA is reported as a warning and proves nothing; it does not count against the
// signature, since anyone can add or damage an unsigned attribute.
//
// # Not done
//
// Validation data embedded in the document (/DSS, the CMS revocation-info attribute, CRLs in
// the SignedData) is not used: revocation comes only from the RevocationChecker. FieldMDP locks
// are not enforced beyond what internal/pdf classifies. A chain signed with SHA-1 accepted
// thanks to an old POE must not carry name or policy constraints (smcrypto does not evaluate
// them; the X.509 library, which does, refuses SHA-1 outright).
//
// # Memory and work
//
// The document is read through its io.ReaderAt in windows (internal/pdf) and hashed in 256 KiB
// chunks, with buffers recycled between calls; a 100 MB file is verified with about 13 MiB of
// peak resident memory, most of it the Go runtime. Nothing reads r once VerifyPDF has returned.
//
// The signed bytes of all signatures, and the document's SHA-256 (Report.Document.SHA256), are
// hashed in one pass over the file. Signatures that start with the same bytes share their
// hashing: for each digest algorithm one state follows the file, and each signature continues
// from a copy of it at the end of its first range, so n signatures cost about the file plus
// the bytes after each one's /Contents, not n times the file. The hashing work is bounded: all
// signatures together may hash at most 4 times the file size plus 64 MiB; the signatures
// (in document order) that would go past it are not hashed, and their integrity is
// INDETERMINATE/SIGNED_DATA_NOT_FOUND saying so. The context is checked between chunks: a
// cancelled verification stops reading and hashing at once.
//
// Containers are bounded too: internal/pdf keeps at most 16 MiB of /Contents per signature
// and 64 MiB for all of them; smcrypto reads a SignedData of at most 16 MiB with at most 256
// certificates, 256 revocation lists and 16 signers, counting what is over a limit without
// parsing it. A signature over one of these limits is TOTAL_FAILED/FORMAT_FAILURE, its
// format check naming the limit. Peak memory is therefore a small constant (a few MiB of
// buffers and runtime) plus those limits, whatever the input; a PDF cut short is an
// InputError (InputDamaged), never NO_SIGNATURE_FOUND.
//
// # Speed
//
// Verification is sequential: one call uses one core, and a server verifying several documents
// at once uses its cores for as many verifications. Only when a core is idle (a process-wide
// semaphore's TryAcquire, never a wait) does a second goroutine take work the call would do
// anyway: the seal makers' and certificate paths' SM2 verifications, and the document's SHA-256
// in the hashing pass; under load it never starts, and the report is the same either way. Each
// certificate path is verified once per
// call (smcrypto.ChainBuilder) and each PDF object parsed once (internal/pdf). A verifier that
// runs for long (the HTTP service) passes a Cache in Options: the signatures of certificate
// paths and of seal makers, the same in every licence of a bureau, are then verified once for
// all documents, and only each document's own hash and signature remain (nothing about time,
// trust or revocation is cached, so the reports do not change).
package verify
