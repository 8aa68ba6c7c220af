// Package smcrypto is eseal's SM cryptography layer: SM2 keys and signatures with an explicit
// signer ID, SM3, X.509 certificates (SM2, RSA, ECDSA), chain building, and CMS SignedData in both
// SM2 OID conventions.
//
// It is the only package in eseal that imports github.com/emmansun/gmsm. The library changed its
// public types in v0.44.0; keeping it behind this API means such a change touches one package.
//
// # How the rest of eseal uses it
//
// Signing (package sign, certstore): keys come from GenerateKey or ParsePKCS8PrivateKey /
// ParsePKCS12 and are stored with MarshalPKCS8PrivateKey; CreateCertificate issues SM2-with-SM3
// certificates (a region root, then seal certificates); BuildDetachedSignedData makes the CMS
// for a PDF from the SM3 digest of its ByteRange, with the GB/T 38540 seal as the signed
// attribute OIDAttributeESeal; ToStdlibCertificate feeds pdfsign, which only knows crypto/x509.
//
// Verifying (package verify): ParseSignedData reads any SignedData found in the wild (DER or BER,
// PKCS#7 or GM/T 0010 OIDs, zero padding of PDF /Contents); SignerCertificate finds the signer;
// SignerInfo.NewContentHash streams the document once; VerifySignature / VerifyContentDigest
// check the signature and say how (algorithm, encoding, SM2 signer ID). A ChainBuilder (one per
// document) finds certificate paths to the trust anchors without regard to time, verifying each
// path once however often it is asked; CheckValidityAt then judges the validity periods at the
// times that matter (signing, validation, proof of existence). Chain failures are classified
// (ChainError: no path, expired, not authorized, bad signature, weak algorithm). BuildChain does
// both steps for one time. Malformed input, signatures that do not match (ErrSignatureMismatch)
// and unsupported algorithms (ErrUnsupportedAlgorithm) are distinguishable.
//
// # Conventions
//
// SM2 signatures use DefaultSignerID ("1234567812345678"); OpenSSL 3 needs -sigopt/-vfyopt
// distid:1234567812345678 to agree, and without it uses an empty ID, which VerifySignature also
// recognises. Certificate serial numbers are written in text with SerialHex everywhere in eseal.
// OIDs are dotted strings (type OID) because the seal attribute's OID has a 128-bit arc.
//
// Every function that parses untrusted bytes recovers from panics inside the libraries it calls
// (emmansun's PKCS#7 parser, not used here, panics on some short inputs) and returns an error
// instead. The CMS code is this package's own, on golang.org/x/crypto/cryptobyte: it keeps the
// signed attributes exactly as received and controls signingTime and attribute OIDs.
package smcrypto
