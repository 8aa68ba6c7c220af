package verify

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Container readers: each turns a signature's bytes into evidence (the signer and the
// certificates it carries, the signed attributes, the algorithms and the value, the claimed
// time, the seal, timestamp tokens), or fails the format check saying why. They judge nothing
// else.

// containerKind is how a signature's bytes are packaged.
type containerKind int

const (
	// containerCMS: a CMS SignedData, detached (or encapsulating the SHA-1 of the signed
	// bytes, cmsProfile.encapsulatedSHA1), in either SM2 convention, RSA or ECDSA.
	containerCMS containerKind = iota + 1
	// containerPKCS1: a bare PKCS#1 signature value in a DER OCTET STRING, the certificates
	// beside it (PDF adbe.x509.rsa_sha1).
	containerPKCS1
	// containerTimestamp: an RFC 3161 timestamp token whose imprint is the digest of the signed
	// bytes (a PDF document timestamp).
	containerTimestamp
	// containerBareSM2: a bare SM2 signature value over the signed bytes (with Z), its signer
	// certificate given by the caller (an OFD Type="Sign" signature of some producers).
	containerBareSM2
	// containerSES: a GB/T 38540 / GM/T 0031 SES_Signature: the signer signs TBS_Sign, which
	// holds the seal, the time, the SM3 digest of the signed bytes and what they are.
	containerSES
)

// cmsProfile is what the format requires of a CMS container.
type cmsProfile struct {
	// name is how the format calls the container in details (the PDF SubFilter).
	name string
	// encapsulatedSHA1: the SignedData encapsulates the SHA-1 of the signed bytes (adbe.pkcs7.sha1)
	// instead of being detached.
	encapsulatedSHA1 bool
	// encapsulatedOK, when set, lets the SignedData encapsulate the digest (by this algorithm)
	// of the signed bytes instead of being detached (an OFD GM/T 0010 signature).
	encapsulatedOK smcrypto.OID
	// pades: signed attributes and the ESS signing-certificate attribute are expected
	// (ETSI.CAdES.detached); their absence is noted.
	pades bool
}

// evidence is what a container reader found in a signature: facts, none judged yet.
type evidence struct {
	kind   containerKind
	sd     *smcrypto.SignedData // CMS and timestamp containers
	si     *smcrypto.SignerInfo // the signer (for PKCS#1, only Signature is set)
	signer *smcrypto.Certificate
	// certs are the certificates the signature carries, to build chains through.
	certs []*smcrypto.Certificate
	token *tsToken        // containerTimestamp
	ses   *seal.Signature // containerSES
	// signerKey is the signer's key when its certificate cannot be parsed but the key can
	// (an SES_Signature whose certificate strict X.509 rejects).
	signerKey *ecdsa.PublicKey
	// sealDER is the seal the signature carries (a signed CMS attribute, TBS_Sign's eseal).
	sealDER []byte
	// claimed is the signing time the container states (a timestamp's genTime), if any.
	claimed    time.Time
	claimedSrc string
}

// FormatCheck reads the signature's container into st.ev and reports the format check.
func (v *verifier) checkFormat(st *sigState) {
	in := st.in
	st.rep.Format = in.formatName
	if in.refused != "" {
		if in.undecidable {
			st.add(FormatCheck, CheckIndeterminate, NoSigningCertificateFound, "%s", in.refused)
			return
		}
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s", in.refused)
		return
	}
	notes := append(append([]string(nil), in.warnings...), in.notes...)
	switch in.container {
	case containerPKCS1:
		v.readPKCS1(st, notes)
	case containerTimestamp:
		v.readTimestampContainer(st, notes)
	case containerSES:
		v.readSES(st, notes)
	case containerBareSM2:
		v.readBareSM2(st, notes)
	default:
		v.readCMS(st, notes)
	}
	// What the format reader found odd is worth a warning even when the signature itself can
	// be read.
	if last := &st.checks[len(st.checks)-1]; last.Status == CheckPassed && len(in.warnings) > 0 {
		last.Status = CheckWarning
	}
}

// readCMS reads a CMS SignedData container.
func (v *verifier) readCMS(st *sigState, notes []string) {
	p := st.in.profile
	// The anchors are parsed already; a signer that includes its root need not have it parsed again.
	sd, err := smcrypto.ParseSignedDataWithOptions(st.in.raw, smcrypto.ParseOptions{Known: v.anchors})
	if errors.Is(err, smcrypto.ErrLimit) {
		st.add(FormatCheck, CheckFailed, FormatFailure, "the CMS SignedData in %s was not read: %v", st.in.whereName(), err)
		return
	}
	if err != nil {
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s is not a CMS SignedData: %v", st.in.whereName(), err)
		return
	}
	st.ev = evidence{kind: containerCMS, sd: sd, certs: sd.Certificates}
	if len(sd.Signers) != 1 {
		st.add(FormatCheck, CheckFailed, FormatFailure, "the CMS SignedData has %d signers; a %s signature has exactly one", len(sd.Signers), st.in.kindName())
		return
	}
	si := sd.Signers[0]
	st.ev.si = si
	st.ev.signer = sd.SignerCertificate(si)
	st.ev.sealDER = si.ESeal
	conv := "PKCS#7 OIDs"
	wantData := smcrypto.OIDData
	if sd.Convention == smcrypto.ConventionGMT0010 {
		conv = "GM/T 0010 OIDs"
		wantData = smcrypto.OIDGMData
	}
	st.rep.Format = fmt.Sprintf("%s, CMS (%s), %s", st.in.formatName, conv, algorithmName(si, st.ev.signer))
	if sd.WasBER {
		notes = append(notes, "the CMS is BER-encoded, not DER (accepted; the signed attributes are checked as received)")
	}
	if !isDataOID(sd.EncapContentType) {
		st.add(FormatCheck, CheckFailed, FormatFailure, "the signed content type is %s; a %s signature signs data (%s)", oidName(sd.EncapContentType), st.in.kindName(), oidName(wantData))
		return
	}
	if sd.EncapContentType != wantData {
		notes = append(notes, fmt.Sprintf("the content type %s does not match the %s convention of the SignedData (accepted)", oidName(sd.EncapContentType), conv))
	}
	switch {
	case p.encapsulatedSHA1:
		if len(sd.Content) != 20 {
			st.add(FormatCheck, CheckFailed, FormatFailure, "%s must encapsulate the 20-byte SHA-1 digest of the signed bytes; the SignedData encapsulates %d bytes", p.name, len(sd.Content))
			return
		}
		st.encapAlg = smcrypto.OIDSHA1
	case p.encapsulatedOK != "" && sd.Content != nil:
		if h, err := smcrypto.NewDigest(p.encapsulatedOK); err == nil && len(sd.Content) == h.Size() {
			st.encapAlg = p.encapsulatedOK
			notes = append(notes, fmt.Sprintf("the SignedData encapsulates the %s of the signed bytes", shortOIDName(p.encapsulatedOK)))
			break
		}
		// Attached: the content must be the signed bytes themselves, which the messageDigest
		// then binds (a different content fails the integrity check).
		notes = append(notes, fmt.Sprintf("the SignedData encapsulates its content (%d bytes, attached): its messageDigest must be that of the signed bytes", len(sd.Content)))
	case sd.Content != nil:
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s must be a detached signature, but the SignedData encapsulates %d bytes of content", p.name, len(sd.Content))
		return
	}
	if len(si.SignedAttrsDER) > 0 {
		if si.MessageDigest == nil {
			st.add(FormatCheck, CheckFailed, FormatFailure, "the signer has signed attributes but no messageDigest: nothing binds the signature to the document")
			return
		}
		switch {
		case si.ContentType == "":
			notes = append(notes, "the signed attributes lack contentType (RFC 5652 requires it)")
		case si.ContentType != sd.EncapContentType && !(isDataOID(si.ContentType) && isDataOID(sd.EncapContentType)):
			st.add(FormatCheck, CheckFailed, FormatFailure, "the signed contentType %s differs from the signed content type %s", oidName(si.ContentType), oidName(sd.EncapContentType))
			return
		}
	} else if p.pades {
		notes = append(notes, p.name+" requires signed attributes (PAdES); this signer has none")
	}
	if p.pades && len(si.SignedAttrsDER) > 0 && si.SigningCertificateHash == nil {
		notes = append(notes, "no ESS signing-certificate attribute, which PAdES requires")
	}
	detail := fmt.Sprintf("%s: CMS SignedData with %s, one signer, digest %s, signature %s",
		p.name, conv, oidName(si.DigestAlgorithm), oidName(si.SignatureAlgorithm))
	if len(si.SignedAttrsDER) == 0 {
		detail += ", no signed attributes (the signature covers the document digest directly)"
	}
	st.formatOK = true
	st.add(FormatCheck, CheckPassed, "", "%s", joinNotes(detail, notes))
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

// readPKCS1 reads a bare PKCS#1 signature value; the certificates come from the format, the
// first being the signer's.
func (v *verifier) readPKCS1(st *sigState, notes []string) {
	in := st.in
	name := in.profile.name
	if len(in.extraCerts) == 0 {
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s needs the signer certificate in /Cert, and there is none", name)
		return
	}
	var certs []*smcrypto.Certificate
	for i, der := range in.extraCerts {
		c, err := smcrypto.ParseCertificate(der)
		if err != nil {
			if i == 0 {
				st.add(FormatCheck, CheckFailed, FormatFailure, "the signer certificate in /Cert cannot be read: %v", err)
				return
			}
			notes = append(notes, fmt.Sprintf("certificate %d of /Cert cannot be read: %v", i+1, err))
			continue
		}
		certs = append(certs, c)
	}
	st.ev = evidence{kind: containerPKCS1, signer: certs[0], certs: certs}
	st.rep.Format = fmt.Sprintf("%s, PKCS#1 signature, %s", in.formatName, keyDescription(certs[0].PublicKey))
	val, ok := derOctetString(in.raw)
	if !ok {
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s /Contents must be a DER OCTET STRING holding the signature value; it is not", name)
		return
	}
	st.ev.si = &smcrypto.SignerInfo{Signature: val}
	st.formatOK = true
	st.add(FormatCheck, CheckPassed, "", "%s", joinNotes(fmt.Sprintf("%s: a %d-byte PKCS#1 signature value, signer certificate from /Cert (%s)",
		name, len(val), plural(len(in.extraCerts), "certificate")), notes))
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

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readTimestampContainer reads an RFC 3161 timestamp token that signs the document itself.
func (v *verifier) readTimestampContainer(st *sigState, notes []string) {
	tok, err := parseTimestampToken(st.in.raw, v.anchors)
	if err != nil {
		st.add(FormatCheck, CheckFailed, FormatFailure, "/Contents is not an RFC 3161 timestamp token: %v", err)
		return
	}
	st.ev = evidence{kind: containerTimestamp, token: tok, sd: tok.sd, si: tok.si, signer: tok.cert, certs: tok.sd.Certificates,
		claimed: tok.info.GenTime, claimedSrc: "timestamp"}
	st.rep.Format = fmt.Sprintf("%s document timestamp, imprint %s, TSA signature %s",
		st.in.formatName, shortOIDName(tok.info.ImprintAlg), algorithmName(tok.si, tok.cert))
	st.formatOK = true
	st.add(FormatCheck, CheckPassed, "", "%s", joinNotes(fmt.Sprintf("%s: RFC 3161 timestamp token (%s), TSTInfo serial %s, policy %s, imprint %s",
		st.in.profile.name, conventionName(tok.sd), smcrypto.SerialHex(tok.info.Serial), tok.info.Policy, oidName(tok.info.ImprintAlg)), notes))
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

// whereName names where the container was found, for details.
func (in *signatureInput) whereName() string {
	if in.where == "" {
		return "/Contents"
	}
	return in.where
}

// kindName is the kind of signature the format makes ("PDF", "detached").
func (in *signatureInput) kindName() string {
	if in.where == "" {
		return "PDF"
	}
	return strings.SplitN(in.formatName, " ", 2)[0]
}

// readSES reads a GB/T 38540 / GM/T 0031 SES_Signature. The signer's signature over TBS_Sign,
// the data hash it holds, and the seal inside are checked by the integrity and seal checks;
// here only the structure is read, and every tolerated deviation from the standard is a
// warning.
func (v *verifier) readSES(st *sigState, notes []string) {
	ses, err := seal.ParseSignature(st.in.raw)
	if err != nil {
		st.add(FormatCheck, CheckFailed, FormatFailure, "%s is not an electronic seal signature (SES_Signature): %v", st.in.whereName(), err)
		return
	}
	st.ev = evidence{kind: containerSES, ses: ses, sealDER: ses.Seal.Raw}
	// A bare signature value, as for PKCS#1: the timestamp token, when there is one, covers it.
	st.ev.si = &smcrypto.SignerInfo{Signature: ses.SignatureValue, DigestAlgorithm: smcrypto.OIDSM3,
		SignatureAlgorithm: smcrypto.OID(ses.SignatureAlgorithm), TimestampToken: ses.TimeStamp}
	if cert, err := smcrypto.ParseCertificate(ses.SignerCert); err != nil {
		notes = append(notes, fmt.Sprintf("the signer certificate cannot be read as X.509 (%v)", err))
		st.ev.signerKey, _ = ses.SignerPublicKey()
	} else {
		st.ev.signer, st.ev.certs = cert, []*smcrypto.Certificate{cert}
	}
	if !ses.TimeInfo.IsZero() {
		st.ev.claimed, st.ev.claimedSrc = ses.TimeInfo.UTC(), "TBS_Sign timeInfo, claimed by the signer"
	}
	st.rep.Format = fmt.Sprintf("%s, SES_Signature version %d (%s), SM2-with-SM3", st.in.formatName, ses.Version, sealStandard(ses.Version))
	st.formatOK = true
	detail := joinNotes(fmt.Sprintf("%s: an SES_Signature of version %d (%s) with its seal, signing %q",
		st.in.whereName(), ses.Version, sealStandard(ses.Version), ses.PropertyInfo), notes)
	status := CheckPassed
	for _, q := range ses.Quirks {
		detail += "; tolerated deviation from the standard: " + q
		status = CheckWarning
	}
	st.add(FormatCheck, status, "", "%s", detail)
}

// readBareSM2 reads a bare SM2 signature value; the signer certificate is the caller's.
func (v *verifier) readBareSM2(st *sigState, notes []string) {
	cert := st.in.givenCerts[0]
	st.ev = evidence{kind: containerBareSM2, signer: cert, certs: st.in.givenCerts,
		si: &smcrypto.SignerInfo{Signature: st.in.raw, DigestAlgorithm: smcrypto.OIDSM3, SignatureAlgorithm: smcrypto.OIDSM2WithSM3}}
	st.rep.Format = fmt.Sprintf("%s, bare SM2 signature, SM2-with-SM3", st.in.formatName)
	st.formatOK = true
	st.add(FormatCheck, CheckPassed, "", "%s", joinNotes(fmt.Sprintf("%s: a bare SM2 signature value (%d bytes), with no certificate; the signer certificate is the one given (%s)",
		st.in.whereName(), len(st.in.raw), certLabel(cert)), notes))
}
