// Package certstore is eseal's persistent state: a region's SM2 root CA, the certificates it issued,
// electronic seals, trust anchors, revocations and an audit log, in one bbolt file.
//
// It implements the interfaces that the sign and verify libraries take (trust anchors, revocation
// status, a seal's signer), so those libraries never see bbolt.
//
// # File and locking
//
// One file, <data dir>/eseal.db. bbolt holds an exclusive file lock while the store is open; Open
// waits at most Options.LockTimeout and then fails with ErrLocked, naming the file, rather than
// blocking forever behind another eseal process.
//
// # Private keys
//
// Private keys are stored only as encrypted PKCS#8 (PBES2) under the store passphrase, which comes
// from ESEAL_KEY_PASSPHRASE (via Options.Passphrase). When none is given on the first start, a random
// one is written to <data dir>/key-passphrase with mode 0600 and a warning is logged; later starts
// read it from there.
//
// # Bucket layout (schema version 1)
//
//	meta          "schema_version" → "1"; "region" → JSON Region; "next_seal_seq" → uint64 big endian;
//	              "tsa" → JSON {keyID, cert}: the region's timestamping authority, made on first use;
//	              "public_url" → the service's public base URL (trust bundles name it);
//	              "trust_bundle_seq" → uint64 big endian: the sequence number of the last trust
//	              bundle exported, stored with its audit record so that none repeats;
//	              "latest_trust_bundle" → that bundle, as the service publishes it
//	keys          key ID (hex of the SM3 hash of the public key) → encrypted PKCS#8 PEM
//	certs         issuer key ID hex + "/" + serial (lower-case hex) → JSON CertRecord
//	seals         esID → JSON SealRecord
//	anchors       SHA-256 fingerprint (hex) of the certificate → JSON AnchorRecord
//	revocations   issuer key ID hex + "/" + serial (lower-case hex) → JSON Revocation
//	blocked_keys  key ID hex → JSON {reason, time}: keys revoked for keyCompromise (a record for now:
//	              the store only certifies keys it generates itself, so none is certified again)
//	audit         sequence number (uint64 big endian) → JSON AuditRecord, each chained to the previous
//	              by its SM3 hash (SHA-256 in records written before; alg tells which) and naming its
//	              actor; meta "audit_head" → "SEQ HASH" of the last record, written with it, so
//	              that records removed from the end are detected too
//	tokens        token ID (16 hex) → JSON Token: an API token's name, role, times and the SM3 hash
//	              of the token (the token itself is shown once and never stored)
//	crls          issuer key ID hex → JSON CRLRecord: the issuer's latest CRL (DER), its number,
//	              thisUpdate and nextUpdate; reissued in the transaction of every revocation
//	issuances     hex SM3 digest a signature binds → JSON IssuanceRecord: every signature eseal made
//	issuance_codes  verification code (16 base32 characters) → hex digest of the issuance that
//	              carries it (its QR code's link, PUBLIC_URL/v/CODE)
//	licences      licence identifier → JSON LicenceRecord: state and history (issued, changed,
//	              withdrawn, revoked, cancelled)
//	events        sequence number (uint64 big endian) → JSON eventlog.Event: every issuance and
//	              lifecycle change, chained by hash and signed by the region root, appended in the
//	              transaction of the change it reports
//	webhooks      webhook ID (16 hex) → JSON Webhook: a competent department's endpoint
//	outbox        webhook ID + "/" + sequence number (16 hex) → JSON {attempts, nextAttempt,
//	              lastError}: an event that webhook has not acknowledged; written with the event,
//	              removed on a 2xx answer, so that no event is lost across crashes and restarts
//	ocsp          issuer key ID hex + "/" + serial + "/" + CertID hash OID → JSON {der, thisUpdate,
//	              nextUpdate}: a pre-signed OCSP response, replaced in the transaction of the
//	              certificate's revocation, signed anew when half its validity is gone
//	trust_bundles SHA-256 fingerprint (hex) of a region's root → JSON TrustBundleRecord: the latest
//	              trust bundle imported from that region, whose sequence number the next must exceed
//	              (added in place, as seal_revocations)
//	seal_revocations  esID → JSON SealRevocation (added in place: a store made before it gets the
//	              bucket when next opened for writing; read-only opens read its absence as none)
//
// Every administrative action writes its records and its audit record in one transaction: either
// all of it is stored or nothing is.
package certstore
