package verify

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Check names, in the order they are made.
const (
	checkFormat      = "format"
	checkByteRange   = "byte range"
	checkIntegrity   = "integrity"
	checkSignature   = "signature value"
	checkSignerCert  = "signer certificate"
	checkSeal        = "seal"
	checkChain       = "certificate chain"
	checkValidity    = "certificate validity"
	checkRevocation  = "revocation"
	checkAlgorithms  = "algorithms"
	checkChanges     = "later changes"
	checkTimestamp   = "timestamp"
	subFilterDTS     = "ETSI.RFC3161"
	subFilterX509SHA = "adbe.x509.rsa_sha1"
	subFilterSHA1    = "adbe.pkcs7.sha1"
)

// sigState is everything learnt about one signature while it is verified.
type sigState struct {
	sig *pdf.Signature
	rep *SignatureReport

	br pdf.ByteRangeCheck
	// kind of signature container
	sd   *smcrypto.SignedData
	si   *smcrypto.SignerInfo
	cert *smcrypto.Certificate
	// certs are the certificates the signature carries, to build the chain through.
	certs []*smcrypto.Certificate
	// dts is the token of a document timestamp; rsaSHA1 marks adbe.x509.rsa_sha1.
	dts     *tsToken
	rsaSHA1 bool
	// formatOK: the container parsed; the cryptographic checks can run.
	formatOK bool
	// sigOK: the signature value verified (and, for signers with signed attributes, the content
	// digest matched).
	sigOK     bool
	sigDigest smcrypto.OID // digest algorithm the signature relies on
	// tasks is the work the checks share with the helper goroutine (prefetch.go).
	tasks sigTasks

	claimed    time.Time // the signing time the signer claims
	claimedSrc string
	// poe is the earliest trusted proof that the signature existed, from its own timestamp or a
	// later document timestamp; zero if none.
	poe    time.Time
	poeSrc string
	// trustedTime: for a document timestamp that verified and whose TSA is trusted, its genTime.
	trustedTime time.Time

	// revokedAt and revokedReason describe the revocation that made the signature undecidable.
	revokedAt     time.Time
	revokedReason int

	tsCheck *Check // the signature timestamp's check, added last
	chain   []*smcrypto.Certificate

	checks []Check
}

func newSigState(i int, s *pdf.Signature) *sigState {
	st := &sigState{sig: s}
	st.rep = &SignatureReport{
		Index:     i + 1,
		FieldName: s.FieldName,
		Reason:    s.Reason,
		Location:  s.Location,
		Page:      s.Page,
	}
	return st
}

func isDocTimestamp(s *pdf.Signature) bool {
	return s.Type == "DocTimeStamp" || s.SubFilter == subFilterDTS
}

func (st *sigState) isDocTimestamp() bool { return isDocTimestamp(st.sig) }

// signedEnd is the end of the signed bytes as the ByteRange states them (0 if malformed).
func (st *sigState) signedEnd() int64 {
	br := st.sig.ByteRange
	if len(br) == 4 {
		return br[2] + br[3]
	}
	return 0
}

func (st *sigState) add(name string, status CheckStatus, sub SubIndication, format string, args ...any) {
	c := Check{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)}
	if status == CheckFailed || status == CheckIndeterminate {
		c.SubIndication = sub
	}
	st.checks = append(st.checks, c)
}

func (st *sigState) what() string {
	if st.isDocTimestamp() {
		return "document timestamp"
	}
	return "signature"
}

// prepareSignature reads the signature's container and ByteRange, the checks that the others
// build on and that need nothing from other signatures.
func (v *verifier) prepareSignature(st *sigState) {
	v.checkFormat(st)
	v.checkByteRange(st)
}

// verifySignature runs the remaining checks of a prepared signature, in order. timestamps are
// the document timestamps already verified, which may prove that this signature existed at
// their time.
func (v *verifier) verifySignature(st *sigState, timestamps []*sigState) {
	v.checkIntegrityAndValue(st)
	v.checkSignerCertificate(st)
	// The timestamps are evaluated before the seal and the certificates, whose validity and
	// revocation they may decide; their own check is reported last.
	v.evaluateTimestamp(st)
	v.proofOfExistence(st, timestamps)
	v.checkSeal(st)
	v.checkChain(st)
	v.checkValidity(st)
	v.checkRevocation(st)
	v.checkAlgorithms(st)
	v.checkLaterChanges(st)
	if st.tsCheck != nil {
		st.checks = append(st.checks, *st.tsCheck)
	}
	st.conclude()
}

// ---- format ----

func (v *verifier) checkFormat(st *sigState) {
	s := st.sig
	rep := st.rep
	pdfPart := "PDF " + orUnknown(s.SubFilter)
	rep.Format = pdfPart
	notes := append([]string(nil), s.Problems...)
	switch s.SubFilter {
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached", subFilterSHA1, subFilterDTS, subFilterX509SHA:
	case "":
		st.add(checkFormat, CheckFailed, FormatFailure, "the signature dictionary has no /SubFilter: the format of /Contents is unknown")
		return
	default:
		st.add(checkFormat, CheckFailed, FormatFailure, "unknown /SubFilter %q: eseal verifies adbe.pkcs7.detached, ETSI.CAdES.detached, adbe.pkcs7.sha1, adbe.x509.rsa_sha1 and ETSI.RFC3161", s.SubFilter)
		return
	}
	if s.Type == "DocTimeStamp" && s.SubFilter != subFilterDTS {
		st.add(checkFormat, CheckFailed, FormatFailure, "a /DocTimeStamp dictionary with /SubFilter %s (a document timestamp must be ETSI.RFC3161)", s.SubFilter)
		return
	}
	if s.SubFilter == subFilterDTS && s.Type != "" && s.Type != "DocTimeStamp" {
		notes = append(notes, fmt.Sprintf("/Type is /%s, but an ETSI.RFC3161 dictionary should be /DocTimeStamp", s.Type))
	}
	if allZero(s.Contents) {
		st.add(checkFormat, CheckFailed, FormatFailure, "/Contents is empty (%d zero bytes): the signature placeholder was never filled in, so nothing was signed", len(s.Contents))
		return
	}
	switch s.SubFilter {
	case subFilterX509SHA:
		v.formatX509(st, notes)
	case subFilterDTS:
		v.formatDocTimestamp(st, notes)
	default:
		v.formatCMS(st, notes)
	}
	// What the PDF reader found odd in the signature dictionary is worth a warning even when
	// the signature itself can be read.
	if last := &st.checks[len(st.checks)-1]; last.Status == CheckPassed && len(s.Problems) > 0 {
		last.Status = CheckWarning
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// formatCMS parses the CMS SignedData of adbe.pkcs7.detached, ETSI.CAdES.detached and
// adbe.pkcs7.sha1.
func (v *verifier) formatCMS(st *sigState, notes []string) {
	s := st.sig
	// The anchors are parsed already; a signer that includes its root need not have it parsed again.
	sd, err := smcrypto.ParseSignedDataWithOptions(s.Contents, smcrypto.ParseOptions{Known: v.anchors})
	if err != nil {
		st.add(checkFormat, CheckFailed, FormatFailure, "/Contents is not a CMS SignedData: %v", err)
		return
	}
	st.sd = sd
	st.certs = sd.Certificates
	if len(sd.Signers) != 1 {
		st.add(checkFormat, CheckFailed, FormatFailure, "the CMS SignedData has %d signers; a PDF signature has exactly one", len(sd.Signers))
		return
	}
	si := sd.Signers[0]
	st.si = si
	st.cert = sd.SignerCertificate(si)
	conv := "PKCS#7 OIDs"
	wantData := smcrypto.OIDData
	if sd.Convention == smcrypto.ConventionGMT0010 {
		conv = "GM/T 0010 OIDs"
		wantData = smcrypto.OIDGMData
	}
	st.rep.Format = fmt.Sprintf("PDF %s, CMS (%s), %s", s.SubFilter, conv, algorithmName(si, st.cert))
	if sd.WasBER {
		notes = append(notes, "the CMS is BER-encoded, not DER (accepted; the signed attributes are checked as received)")
	}
	if !isDataOID(sd.EncapContentType) {
		st.add(checkFormat, CheckFailed, FormatFailure, "the signed content type is %s; a PDF signature signs data (%s)", oidName(sd.EncapContentType), oidName(wantData))
		return
	}
	if sd.EncapContentType != wantData {
		notes = append(notes, fmt.Sprintf("the content type %s does not match the %s convention of the SignedData (accepted)", oidName(sd.EncapContentType), conv))
	}
	if s.SubFilter == subFilterSHA1 {
		if len(sd.Content) != 20 {
			st.add(checkFormat, CheckFailed, FormatFailure, "adbe.pkcs7.sha1 must encapsulate the 20-byte SHA-1 digest of the signed bytes; the SignedData encapsulates %d bytes", len(sd.Content))
			return
		}
	} else if sd.Content != nil {
		st.add(checkFormat, CheckFailed, FormatFailure, "%s must be a detached signature, but the SignedData encapsulates %d bytes of content", s.SubFilter, len(sd.Content))
		return
	}
	if len(si.SignedAttrsDER) > 0 {
		if si.MessageDigest == nil {
			st.add(checkFormat, CheckFailed, FormatFailure, "the signer has signed attributes but no messageDigest: nothing binds the signature to the document")
			return
		}
		switch {
		case si.ContentType == "":
			notes = append(notes, "the signed attributes lack contentType (RFC 5652 requires it)")
		case si.ContentType != sd.EncapContentType && !(isDataOID(si.ContentType) && isDataOID(sd.EncapContentType)):
			st.add(checkFormat, CheckFailed, FormatFailure, "the signed contentType %s differs from the signed content type %s", oidName(si.ContentType), oidName(sd.EncapContentType))
			return
		}
	} else if s.SubFilter == "ETSI.CAdES.detached" {
		notes = append(notes, "ETSI.CAdES.detached requires signed attributes (PAdES); this signer has none")
	}
	if s.SubFilter == "ETSI.CAdES.detached" && len(si.SignedAttrsDER) > 0 && si.SigningCertificateHash == nil {
		notes = append(notes, "no ESS signing-certificate attribute, which PAdES requires")
	}
	detail := fmt.Sprintf("%s: CMS SignedData with %s, one signer, digest %s, signature %s",
		s.SubFilter, conv, oidName(si.DigestAlgorithm), oidName(si.SignatureAlgorithm))
	if len(si.SignedAttrsDER) == 0 {
		detail += ", no signed attributes (the signature covers the document digest directly)"
	}
	st.formatOK = true
	st.add(checkFormat, CheckPassed, "", "%s", joinNotes(detail, notes))
}

func isDataOID(o smcrypto.OID) bool { return o == smcrypto.OIDData || o == smcrypto.OIDGMData }

// algorithmName describes the signature algorithm for the report's Format line.
func algorithmName(si *smcrypto.SignerInfo, cert *smcrypto.Certificate) string {
	if cert != nil && smcrypto.IsSM2PublicKey(cert.PublicKey) {
		return "SM2-with-SM3"
	}
	dig := shortOIDName(si.DigestAlgorithm)
	switch si.SignatureAlgorithm {
	case smcrypto.OIDSM2WithSM3, smcrypto.OIDSM2Sign:
		return "SM2-with-SM3"
	case smcrypto.OIDRSASSAPSS:
		return "RSASSA-PSS"
	}
	if cert != nil {
		return keyDescription(cert.PublicKey) + " with " + dig
	}
	return shortOIDName(si.SignatureAlgorithm) + " with " + dig
}

func (v *verifier) formatX509(st *sigState, notes []string) {
	s := st.sig
	if len(s.Cert) == 0 {
		st.add(checkFormat, CheckFailed, FormatFailure, "adbe.x509.rsa_sha1 needs the signer certificate in /Cert, and there is none")
		return
	}
	for i, der := range s.Cert {
		c, err := smcrypto.ParseCertificate(der)
		if err != nil {
			if i == 0 {
				st.add(checkFormat, CheckFailed, FormatFailure, "the signer certificate in /Cert cannot be read: %v", err)
				return
			}
			notes = append(notes, fmt.Sprintf("certificate %d of /Cert cannot be read: %v", i+1, err))
			continue
		}
		st.certs = append(st.certs, c)
	}
	st.cert = st.certs[0]
	st.rsaSHA1 = true
	st.rep.Format = fmt.Sprintf("PDF %s, PKCS#1 signature, %s", s.SubFilter, keyDescription(st.cert.PublicKey))
	// /Contents is a DER OCTET STRING holding the signature value.
	val, ok := derOctetString(s.Contents)
	if !ok {
		st.add(checkFormat, CheckFailed, FormatFailure, "adbe.x509.rsa_sha1 /Contents must be a DER OCTET STRING holding the signature value; it is not")
		return
	}
	st.si = &smcrypto.SignerInfo{Signature: val}
	st.formatOK = true
	st.add(checkFormat, CheckPassed, "", "%s", joinNotes(fmt.Sprintf("adbe.x509.rsa_sha1: a %d-byte PKCS#1 signature value, signer certificate from /Cert (%s)",
		len(val), plural(len(s.Cert), "certificate")), notes))
}

// derOctetString reads one DER OCTET STRING, ignoring trailing zero padding.
func derOctetString(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != 0x04 {
		return nil, false
	}
	n, hdr := 0, 2
	switch l := int(b[1]); {
	case l < 0x80:
		n = l
	case l == 0x81 && len(b) >= 3:
		n, hdr = int(b[2]), 3
	case l == 0x82 && len(b) >= 4:
		n, hdr = int(b[2])<<8|int(b[3]), 4
	default:
		return nil, false
	}
	if hdr+n > len(b) || !allZero(b[hdr+n:]) {
		return nil, false
	}
	return b[hdr : hdr+n], true
}

func (v *verifier) formatDocTimestamp(st *sigState, notes []string) {
	tok, err := parseTimestampToken(st.sig.Contents, v.anchors)
	if err != nil {
		st.add(checkFormat, CheckFailed, FormatFailure, "/Contents is not an RFC 3161 timestamp token: %v", err)
		return
	}
	st.dts = tok
	st.sd, st.si, st.cert, st.certs = tok.sd, tok.si, tok.cert, tok.sd.Certificates
	st.claimed, st.claimedSrc = tok.info.GenTime, "timestamp"
	st.rep.Format = fmt.Sprintf("PDF ETSI.RFC3161 document timestamp, imprint %s, TSA signature %s",
		shortOIDName(tok.info.ImprintAlg), algorithmName(tok.si, tok.cert))
	st.formatOK = true
	st.add(checkFormat, CheckPassed, "", "%s", joinNotes(fmt.Sprintf("ETSI.RFC3161: RFC 3161 timestamp token (%s), TSTInfo serial %s, policy %s, imprint %s",
		conventionName(tok.sd), smcrypto.SerialHex(tok.info.Serial), tok.info.Policy, oidName(tok.info.ImprintAlg)), notes))
}

func conventionName(sd *smcrypto.SignedData) string {
	if sd.Convention == smcrypto.ConventionGMT0010 {
		return "CMS with GM/T 0010 OIDs"
	}
	return "CMS with PKCS#7 OIDs"
}

func joinNotes(detail string, notes []string) string {
	if len(notes) == 0 {
		return detail
	}
	return detail + "; note: " + strings.Join(notes, "; ")
}

// ---- byte range ----

func (v *verifier) checkByteRange(st *sigState) {
	st.br = v.doc.CheckByteRange(st.sig)
	br := st.br
	st.rep.Coverage = coverageString(br.Coverage)
	problems := strings.Join(br.Problems, "; ")
	rangesText := rangesString(br.Ranges)
	switch {
	case br.Coverage == pdf.CoverageInvalid:
		st.add(checkByteRange, CheckFailed, FormatFailure, "ByteRange %v is invalid: %s", st.sig.ByteRange, orUnknown(problems))
	case !br.GapIsContents:
		st.add(checkByteRange, CheckFailed, FormatFailure, "ByteRange %v: the unsigned gap is not exactly the /Contents string, so bytes outside the signature value are unsigned: %s",
			st.sig.ByteRange, orUnknown(problems))
	case br.Coverage == pdf.CoverageUnclear:
		st.add(checkByteRange, CheckFailed, FormatFailure, "ByteRange %v signs %s, which is neither the whole file (%d bytes) nor a whole revision: %s; "+
			"the signed bytes do not make up a document a reader would show", st.sig.ByteRange, rangesText, v.size, orUnknown(problems))
	case br.Coverage == pdf.CoverageEntireRevision:
		st.add(checkByteRange, CheckPassed, "", "signs %s: all of revision %d except the /Contents value; %d bytes were added to the file after it",
			rangesText, br.CoveredRevision+1, v.size-br.RevisionEnd)
	default:
		st.add(checkByteRange, CheckPassed, "", "signs %s: the entire file (%d bytes) except the /Contents value", rangesText, v.size)
	}
}

func coverageString(c pdf.Coverage) string {
	switch c {
	case pdf.CoverageEntireFile:
		return "entire_file"
	case pdf.CoverageEntireRevision:
		return "entire_revision"
	case pdf.CoverageUnclear:
		return "unclear"
	}
	return "invalid"
}

func rangesString(rs [][2]int64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%d–%d", r[0], r[1])
	}
	return "bytes " + strings.Join(parts, " and ")
}

// ---- integrity and signature value ----

// checkIntegrityAndValue hashes the signed bytes once (streaming) and checks the digest against
// the signature, then the signature value itself.
func (v *verifier) checkIntegrityAndValue(st *sigState) {
	switch st.integrity() {
	case integrityUnreadable:
		st.add(checkIntegrity, CheckSkipped, "", "not checked: the signature container could not be read")
		st.add(checkSignature, CheckSkipped, "", "not checked: the signature container could not be read")
	case integrityNoRanges:
		st.add(checkIntegrity, CheckSkipped, "", "not checked: the ByteRange does not name bytes that can be hashed")
		v.checkSignatureValueOnly(st)
	case integrityDocTimestamp:
		v.integrityDocTimestamp(st)
	case integrityX509:
		v.integrityX509(st)
	case integritySHA1:
		v.integritySHA1(st)
	case integrityAttributes:
		v.integrityWithAttributes(st)
	default:
		v.integrityWithoutAttributes(st)
	}
}

// integrityKind is how a signature's integrity is checked.
type integrityKind int

const (
	integrityUnreadable   integrityKind = iota // the container could not be read
	integrityNoRanges                          // no bytes that can be hashed
	integrityDocTimestamp                      // a document timestamp's imprint
	integrityX509                              // adbe.x509.rsa_sha1
	integritySHA1                              // adbe.pkcs7.sha1
	integrityAttributes                        // messageDigest among signed attributes
	integrityNoAttributes                      // a signature directly over the signed bytes
)

// integrity tells how checkIntegrityAndValue checks st (planTasks asks too, to hash ahead).
func (st *sigState) integrity() integrityKind {
	switch {
	case !st.formatOK:
		return integrityUnreadable
	case st.br.Coverage == pdf.CoverageInvalid || len(st.br.Ranges) == 0:
		return integrityNoRanges
	case st.dts != nil:
		return integrityDocTimestamp
	case st.rsaSHA1:
		return integrityX509
	case st.sig.SubFilter == subFilterSHA1:
		return integritySHA1
	case len(st.si.SignedAttrsDER) > 0:
		return integrityAttributes
	default:
		return integrityNoAttributes
	}
}

func (v *verifier) rangesLabel(st *sigState) string {
	var n int64
	for _, r := range st.br.Ranges {
		n += r[1] - r[0]
	}
	return fmt.Sprintf("%s (%d bytes)", rangesString(st.br.Ranges), n)
}

// checkSignatureValueOnly verifies the signature over the signed attributes when the content
// cannot be hashed: the signature's own mathematics are still worth knowing.
func (v *verifier) checkSignatureValueOnly(st *sigState) {
	if st.si == nil || len(st.si.SignedAttrsDER) == 0 || st.dts != nil {
		st.add(checkSignature, CheckSkipped, "", "not checked: without the signed bytes, this signature cannot be verified")
		return
	}
	v.verifyAttributesSignature(st)
}

func (v *verifier) integrityWithAttributes(st *sigState) {
	si := st.si
	signedHash, err := v.signedHashTask(st)
	if err != nil {
		st.add(checkIntegrity, CheckIndeterminate, CryptoConstraintsFailure, "the digest algorithm %s is not supported: %v", oidName(si.DigestAlgorithm), err)
		v.verifyAttributesSignature(st)
		return
	}
	// The signature first: meanwhile the helper goroutine may hash the signed bytes.
	chk, sigErr := v.signatureOverAttributes(st)
	signed := signedHash.wait(v.queue)
	if signed.err != nil {
		st.add(checkIntegrity, CheckIndeterminate, SignedDataNotFound, "the signed bytes could not be read: %v", signed.err)
		return
	}
	sum := signed.sum
	st.sigDigest = si.DigestAlgorithm
	if !bytes.Equal(sum, si.MessageDigest) {
		st.add(checkIntegrity, CheckFailed, HashFailure, "the %s of %s is %s, but the signed messageDigest is %s: the signed bytes were changed after signing",
			shortOIDName(si.DigestAlgorithm), v.rangesLabel(st), digestPrefix(sum), digestPrefix(si.MessageDigest))
	} else {
		st.add(checkIntegrity, CheckPassed, "", "the %s of %s is %s, equal to the signed messageDigest",
			shortOIDName(si.DigestAlgorithm), v.rangesLabel(st), digestPrefix(sum))
	}
	v.reportAttributesSignature(st, chk, sigErr)
	if ok := st.checks[len(st.checks)-1].Status == CheckPassed && bytes.Equal(sum, si.MessageDigest); ok {
		st.sigOK = true
	}
}

// errNoSignerCertificate stands for a signature over the signed attributes that cannot be
// verified for want of the signer's certificate.
var errNoSignerCertificate = errors.New("no signer certificate")

// verifyAttributesSignature checks the signature value over the signed attributes.
func (v *verifier) verifyAttributesSignature(st *sigState) {
	chk, err := v.signatureOverAttributes(st)
	v.reportAttributesSignature(st, chk, err)
}

// signatureOverAttributes verifies the signature value over the signed attributes, without
// reporting it.
func (v *verifier) signatureOverAttributes(st *sigState) (smcrypto.SignatureCheck, error) {
	if st.cert == nil {
		return smcrypto.SignatureCheck{}, errNoSignerCertificate
	}
	return st.si.VerifySignature(st.cert)
}

func (v *verifier) reportAttributesSignature(st *sigState, chk smcrypto.SignatureCheck, err error) {
	if errors.Is(err, errNoSignerCertificate) {
		st.add(checkSignature, CheckSkipped, "", "not checked: the signer's certificate is not in the signature (see the signer certificate check)")
		return
	}
	v.reportSignatureValue(st, chk, err, "the signed attributes")
}

func (v *verifier) reportSignatureValue(st *sigState, chk smcrypto.SignatureCheck, err error, over string) {
	alg := chk.Algorithm
	if alg == "" {
		alg = oidName(st.si.SignatureAlgorithm)
	}
	who := certLabel(st.cert)
	switch {
	case err == nil:
		st.add(checkSignature, CheckPassed, "", "%s", signatureDetail(alg, chk, over, who))
	case errors.Is(err, smcrypto.ErrUnsupportedAlgorithm):
		st.add(checkSignature, CheckIndeterminate, CryptoConstraintsFailure, "the signature algorithm cannot be verified: %v", err)
	case errors.Is(err, smcrypto.ErrSignatureMismatch):
		extra := ""
		if strings.HasPrefix(alg, "SM2") {
			extra = " (tried with the GM/T 0009 signer ID 1234567812345678 and with the empty ID)"
		}
		st.add(checkSignature, CheckFailed, SigCryptoFailure, "the %s signature over %s does not verify with the public key of %s%s: "+
			"the signature is forged, damaged, or made with another key", alg, over, who, extra)
	default:
		st.add(checkSignature, CheckFailed, SigCryptoFailure, "the %s signature over %s cannot be verified with the public key of %s: %v", alg, over, who, err)
	}
}

func signatureDetail(alg string, chk smcrypto.SignatureCheck, over, who string) string {
	d := fmt.Sprintf("the %s signature over %s verifies with the public key of %s", alg, over, who)
	if strings.HasPrefix(alg, "SM2") {
		if chk.SignerID == smcrypto.DefaultSignerID {
			d += ", SM2 signer ID 1234567812345678 (the GM/T 0009 default)"
		} else {
			d += fmt.Sprintf(", SM2 signer ID %q (NOT the GM/T 0009 default; OpenSSL 3 signs with the empty ID unless told otherwise)", chk.SignerID)
		}
	}
	switch chk.Encoding {
	case smcrypto.EncodingDER:
		if strings.HasPrefix(alg, "SM2") || strings.HasPrefix(alg, "ECDSA") {
			d += ", value DER-encoded"
		}
	case smcrypto.EncodingRaw:
		d += ", value encoded as raw r‖s (64 bytes) instead of DER: non-standard, accepted"
	case smcrypto.EncodingDERNonMinimal:
		d += ", value in non-strict DER (integers without their leading zero byte): non-standard, accepted"
	}
	return d
}

func (v *verifier) integrityWithoutAttributes(st *sigState) {
	if st.cert == nil {
		st.add(checkIntegrity, CheckSkipped, "", "not checked: without signed attributes the document digest can only be checked with the signer's key, and the signer's certificate is missing")
		st.add(checkSignature, CheckSkipped, "", "not checked: the signer's certificate is not in the signature")
		return
	}
	h, err := st.si.NewContentHash(st.cert)
	if err != nil {
		st.add(checkIntegrity, CheckIndeterminate, CryptoConstraintsFailure, "the algorithms %s / %s cannot be used: %v", oidName(st.si.DigestAlgorithm), oidName(st.si.SignatureAlgorithm), err)
		st.add(checkSignature, CheckSkipped, "", "not checked: unsupported algorithm")
		return
	}
	if err := v.hashRanges(st.br.Ranges, h); err != nil {
		st.add(checkIntegrity, CheckIndeterminate, SignedDataNotFound, "the signed bytes could not be read: %v", err)
		return
	}
	st.sigDigest = st.si.DigestAlgorithm
	chk, err := st.si.VerifyContentDigest(st.cert, h.Sum(nil))
	if err == nil {
		st.add(checkIntegrity, CheckPassed, "", "%s hashed with %s; with no signed attributes the signature signs this digest directly, and it verifies (next check)",
			v.rangesLabel(st), shortOIDName(st.si.DigestAlgorithm))
		st.sigOK = true
		v.reportSignatureValue(st, chk, nil, "the digest of the signed bytes")
		return
	}
	if errors.Is(err, smcrypto.ErrSignatureMismatch) {
		st.add(checkIntegrity, CheckFailed, HashFailure, "the signature does not verify over the %s digest of %s; without signed attributes a changed document and a bad signature look the same, "+
			"and either way these bytes are not what was signed", shortOIDName(st.si.DigestAlgorithm), v.rangesLabel(st))
		st.add(checkSignature, CheckFailed, SigCryptoFailure, "the %s signature does not verify over the digest of the signed bytes with the public key of %s", orUnknown(chk.Algorithm), certLabel(st.cert))
		return
	}
	st.add(checkIntegrity, CheckSkipped, "", "not checked separately: the signature could not be evaluated")
	v.reportSignatureValue(st, chk, err, "the digest of the signed bytes")
}

// integritySHA1 handles adbe.pkcs7.sha1: the SignedData encapsulates the SHA-1 of the signed bytes.
func (v *verifier) integritySHA1(st *sigState) {
	h := crypto.SHA1.New()
	if err := v.hashRanges(st.br.Ranges, h); err != nil {
		st.add(checkIntegrity, CheckIndeterminate, SignedDataNotFound, "the signed bytes could not be read: %v", err)
		return
	}
	sum := h.Sum(nil)
	st.sigDigest = smcrypto.OIDSHA1
	intact := bytes.Equal(sum, st.sd.Content)
	if !intact {
		st.add(checkIntegrity, CheckFailed, HashFailure, "the SHA-1 of %s is %s, but the signed content holds %s: the signed bytes were changed after signing",
			v.rangesLabel(st), digestPrefix(sum), digestPrefix(st.sd.Content))
	} else {
		st.add(checkIntegrity, CheckPassed, "", "the SHA-1 of %s is %s, equal to the digest the signature encapsulates", v.rangesLabel(st), digestPrefix(sum))
	}
	// The signer signs the encapsulated digest as its content.
	si := st.si
	if st.cert == nil {
		st.add(checkSignature, CheckSkipped, "", "not checked: the signer's certificate is not in the signature")
		return
	}
	if len(si.SignedAttrsDER) > 0 {
		ch, err := smcrypto.NewDigest(si.DigestAlgorithm)
		if err != nil {
			st.add(checkSignature, CheckIndeterminate, CryptoConstraintsFailure, "the digest algorithm %s is not supported", oidName(si.DigestAlgorithm))
			return
		}
		ch.Write(st.sd.Content)
		if cs := ch.Sum(nil); !bytes.Equal(cs, si.MessageDigest) {
			st.add(checkSignature, CheckFailed, SigCryptoFailure, "the signed messageDigest %s does not match the encapsulated content (%s)", digestPrefix(si.MessageDigest), digestPrefix(cs))
			return
		}
		chk, err := si.VerifySignature(st.cert)
		v.reportSignatureValue(st, chk, err, "the signed attributes")
		st.sigOK = err == nil && intact
		return
	}
	ch, err := si.NewContentHash(st.cert)
	if err != nil {
		st.add(checkSignature, CheckIndeterminate, CryptoConstraintsFailure, "unsupported algorithm: %v", err)
		return
	}
	ch.Write(st.sd.Content)
	chk, err := si.VerifyContentDigest(st.cert, ch.Sum(nil))
	v.reportSignatureValue(st, chk, err, "the encapsulated digest")
	st.sigOK = err == nil && intact
}

// integrityX509 handles adbe.x509.rsa_sha1: a bare PKCS#1 signature over the digest of the signed
// bytes. Despite the name, producers use SHA-256 and stronger too; the digest the signature
// names decides.
func (v *verifier) integrityX509(st *sigState) {
	cands := []smcrypto.OID{smcrypto.OIDSHA1, smcrypto.OIDSHA256, smcrypto.OIDSHA384, smcrypto.OIDSHA512}
	hs := make([]hash.Hash, len(cands))
	ws := make([]io.Writer, len(cands))
	for i, o := range cands {
		hs[i], _ = smcrypto.NewDigest(o)
		ws[i] = hs[i]
	}
	if err := v.hashRanges(st.br.Ranges, ws...); err != nil {
		st.add(checkIntegrity, CheckIndeterminate, SignedDataNotFound, "the signed bytes could not be read: %v", err)
		return
	}
	var lastErr error
	var lastChk smcrypto.SignatureCheck
	for i, o := range cands {
		chk, err := smcrypto.VerifyDigestSignature(st.cert.PublicKey, o, hs[i].Sum(nil), st.si.Signature)
		if err == nil {
			st.sigDigest = o
			st.sigOK = true
			st.add(checkIntegrity, CheckPassed, "", "%s hashed with %s; the PKCS#1 signature signs this digest directly, and it verifies (next check)", v.rangesLabel(st), shortOIDName(o))
			v.reportSignatureValue(st, chk, nil, "the "+shortOIDName(o)+" digest of the signed bytes")
			return
		}
		lastErr, lastChk = err, chk
		if !errors.Is(err, smcrypto.ErrSignatureMismatch) {
			break
		}
	}
	if errors.Is(lastErr, smcrypto.ErrSignatureMismatch) {
		st.sigDigest = smcrypto.OIDSHA1
		st.add(checkIntegrity, CheckFailed, HashFailure, "the PKCS#1 signature does not verify over the SHA-1 (nor SHA-2) digest of %s: either these bytes were changed or the signature is bad", v.rangesLabel(st))
		st.add(checkSignature, CheckFailed, SigCryptoFailure, "the signature value does not verify with the public key of %s", certLabel(st.cert))
		return
	}
	st.add(checkIntegrity, CheckSkipped, "", "not checked separately")
	v.reportSignatureValue(st, lastChk, lastErr, "the digest of the signed bytes")
}

// integrityDocTimestamp compares the TSTInfo's messageImprint with the signed bytes, then checks
// the TSA's signature.
func (v *verifier) integrityDocTimestamp(st *sigState) {
	info := st.dts.info
	h, err := smcrypto.NewDigest(info.ImprintAlg)
	if err != nil {
		st.add(checkIntegrity, CheckIndeterminate, CryptoConstraintsFailure, "the imprint algorithm %s is not supported", oidName(info.ImprintAlg))
	} else if err := v.hashRanges(st.br.Ranges, h); err != nil {
		st.add(checkIntegrity, CheckIndeterminate, SignedDataNotFound, "the signed bytes could not be read: %v", err)
		return
	} else {
		sum := h.Sum(nil)
		st.sigDigest = info.ImprintAlg
		if !bytes.Equal(sum, info.HashedMessage) {
			st.add(checkIntegrity, CheckFailed, HashFailure, "the %s of %s is %s, but the timestamp's messageImprint is %s: the timestamped bytes were changed",
				shortOIDName(info.ImprintAlg), v.rangesLabel(st), digestPrefix(sum), digestPrefix(info.HashedMessage))
		} else {
			st.add(checkIntegrity, CheckPassed, "", "the %s of %s is %s, equal to the timestamp's messageImprint",
				shortOIDName(info.ImprintAlg), v.rangesLabel(st), digestPrefix(sum))
		}
	}
	chk, err := st.dts.verifySignature()
	v.reportSignatureValue(st, chk, err, "the timestamp token (TSTInfo)")
	st.sigOK = err == nil && st.checks[len(st.checks)-2].Status == CheckPassed
}
