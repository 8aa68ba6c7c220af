package verify

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// integrityKind is how a signature's integrity is checked, from its evidence.
type integrityKind int

const (
	integrityUnreadable   integrityKind = iota // the container could not be read
	integrityNoRanges                          // no bytes that can be hashed
	integrityDocTimestamp                      // a timestamp token's imprint
	integrityPKCS1                             // a bare PKCS#1 value over the digest of the signed bytes
	integritySHA1                              // a CMS encapsulating the SHA-1 of the signed bytes
	integrityAttributes                        // messageDigest among signed attributes
	integrityNoAttributes                      // a signature directly over the signed bytes
	integritySES                               // an SES_Signature's dataHash, and its signature over TBS_Sign
)

func (st *sigState) integrity() integrityKind {
	switch {
	case !st.formatOK:
		return integrityUnreadable
	case len(st.ranges) == 0:
		return integrityNoRanges
	case st.ev.kind == containerTimestamp:
		return integrityDocTimestamp
	case st.ev.kind == containerPKCS1:
		return integrityPKCS1
	case st.ev.kind == containerSES:
		return integritySES
	case st.encapAlg != "":
		return integritySHA1
	case len(st.ev.si.SignedAttrsDER) > 0:
		return integrityAttributes
	default:
		return integrityNoAttributes
	}
}

// pkcs1Digests are the digests a bare PKCS#1 signature may sign: despite the name
// adbe.x509.rsa_sha1, producers use SHA-256 and stronger too; the digest the signature names
// decides.
var pkcs1Digests = []smcrypto.OID{smcrypto.OIDSHA1, smcrypto.OIDSHA256, smcrypto.OIDSHA384, smcrypto.OIDSHA512}

// planIntegrity asks the hashing pass for the digests of the signed bytes the integrity check
// will need.
func (v *verifier) planIntegrity(st *sigState) {
	var algs []smcrypto.OID
	switch st.integrity() {
	case integrityDocTimestamp:
		algs = []smcrypto.OID{st.ev.token.info.ImprintAlg}
	case integrityPKCS1:
		algs = pkcs1Digests
	case integritySHA1:
		algs = []smcrypto.OID{st.encapAlg}
	case integritySES:
		algs = []smcrypto.OID{smcrypto.OIDSM3}
	case integrityAttributes:
		algs = []smcrypto.OID{st.ev.si.DigestAlgorithm}
	case integrityNoAttributes:
		// The signature signs the digest directly; for SM2 the hash starts with Z(ID, key), so
		// it shares nothing with the plain digests.
		si, cert := st.ev.si, st.ev.signer
		if cert == nil {
			return
		}
		if _, err := si.NewContentHash(cert); err != nil {
			return
		}
		st.hashes = hashGroup{{ranges: st.ranges, newHash: func() hash.Hash { h, _ := si.NewContentHash(cert); return h }}}
		v.hashes.groups = append(v.hashes.groups, st.hashes)
		return
	default:
		return
	}
	for _, alg := range algs {
		j, err := newDigestJob(alg, st.ranges)
		if err != nil {
			return // the check reports the unsupported algorithm
		}
		st.hashes = append(st.hashes, j)
	}
	v.hashes.groups = append(v.hashes.groups, st.hashes)
}

// checkIntegrityAndValue checks the digest of the signed bytes against the signature, then the
// signature value itself.
func (v *verifier) checkIntegrityAndValue(st *sigState) {
	switch st.integrity() {
	case integrityUnreadable:
		st.add(IntegrityCheck, CheckSkipped, "", "not checked: the signature container could not be read")
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signature container could not be read")
	case integrityNoRanges:
		st.add(IntegrityCheck, CheckSkipped, "", "not checked: the ByteRange does not name bytes that can be hashed")
		v.checkSignatureValueOnly(st)
	case integrityDocTimestamp:
		v.integrityDocTimestamp(st)
	case integrityPKCS1:
		v.integrityPKCS1(st)
	case integritySHA1:
		v.integritySHA1(st)
	case integritySES:
		v.integritySES(st)
	case integrityAttributes:
		v.integrityWithAttributes(st)
	default:
		v.integrityWithoutAttributes(st)
	}
}

// overBudget reports, as the integrity check, that the signed bytes were not hashed because the
// work budget was spent, and tells whether that is so.
func (v *verifier) overBudget(st *sigState) bool {
	if len(st.hashes) == 0 || !st.hashes[0].overBudget {
		return false
	}
	st.add(IntegrityCheck, CheckIndeterminate, SignedDataNotFound, "not checked: hashing %s would take the verification of this document past its work budget "+
		"(%d bytes: %d times the file size plus %d MiB, for all its signatures together; %d bytes are planned for the signatures before this one), "+
		"so the signed bytes were not hashed", v.rangesLabel(st), v.hashes.budget, workBudgetFactor, workBudgetExtra>>20, v.hashes.work)
	return true
}

func (v *verifier) rangesLabel(st *sigState) string {
	var n int64
	for _, r := range st.ranges {
		n += r[1] - r[0]
	}
	return fmt.Sprintf("%s (%d bytes)", rangesString(st.ranges), n)
}

func rangesString(rs [][2]int64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%d–%d", r[0], r[1])
	}
	return "bytes " + strings.Join(parts, " and ")
}

// checkSignatureValueOnly verifies the signature over the signed attributes when the content
// cannot be hashed: the signature's own mathematics are still worth knowing.
func (v *verifier) checkSignatureValueOnly(st *sigState) {
	if st.ev.kind == containerSES {
		v.sesSignatureValue(st)
		return
	}
	if st.ev.si == nil || len(st.ev.si.SignedAttrsDER) == 0 || st.ev.kind == containerTimestamp {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: without the signed bytes, this signature cannot be verified")
		return
	}
	v.verifyAttributesSignature(st)
}

func (v *verifier) integrityWithAttributes(st *sigState) {
	si := st.ev.si
	if len(st.hashes) == 0 {
		_, err := smcrypto.NewDigest(si.DigestAlgorithm)
		st.add(IntegrityCheck, CheckIndeterminate, CryptoConstraintsFailure, "the digest algorithm %s is not supported: %v", oidName(si.DigestAlgorithm), err)
		v.verifyAttributesSignature(st)
		return
	}
	if v.overBudget(st) {
		v.verifyAttributesSignature(st)
		return
	}
	chk, sigErr := v.signatureOverAttributes(st)
	sum := st.hashes[0].sum
	st.sigDigest = si.DigestAlgorithm
	if !bytes.Equal(sum, si.MessageDigest) {
		st.add(IntegrityCheck, CheckFailed, HashFailure, "the %s of %s is %s, but the signed messageDigest is %s: the signed bytes were changed after signing",
			shortOIDName(si.DigestAlgorithm), v.rangesLabel(st), digestPrefix(sum), digestPrefix(si.MessageDigest))
	} else {
		st.add(IntegrityCheck, CheckPassed, "", "the %s of %s is %s, equal to the signed messageDigest",
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
	if st.ev.signer == nil {
		return smcrypto.SignatureCheck{}, errNoSignerCertificate
	}
	return st.ev.si.VerifySignature(st.ev.signer)
}

func (v *verifier) reportAttributesSignature(st *sigState, chk smcrypto.SignatureCheck, err error) {
	if errors.Is(err, errNoSignerCertificate) {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signer's certificate is not in the signature (see the signer certificate check)")
		return
	}
	v.reportSignatureValue(st, chk, err, "the signed attributes")
}

func (v *verifier) reportSignatureValue(st *sigState, chk smcrypto.SignatureCheck, err error, over string) {
	alg := chk.Algorithm
	if alg == "" {
		alg = oidName(st.ev.si.SignatureAlgorithm)
	}
	who := certLabel(st.ev.signer)
	switch {
	case err == nil:
		st.add(SignatureValueCheck, CheckPassed, "", "%s", signatureDetail(alg, chk, over, who))
	case errors.Is(err, smcrypto.ErrUnsupportedAlgorithm):
		st.add(SignatureValueCheck, CheckIndeterminate, CryptoConstraintsFailure, "the signature algorithm cannot be verified: %v", err)
	case errors.Is(err, smcrypto.ErrSignatureMismatch):
		extra := ""
		if strings.HasPrefix(alg, "SM2") {
			extra = " (tried with the GM/T 0009 signer ID 1234567812345678 and with the empty ID)"
		}
		st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the %s signature over %s does not verify with the public key of %s%s: "+
			"the signature is forged, damaged, or made with another key", alg, over, who, extra)
	default:
		st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the %s signature over %s cannot be verified with the public key of %s: %v", alg, over, who, err)
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
	si, cert := st.ev.si, st.ev.signer
	if cert == nil {
		st.add(IntegrityCheck, CheckSkipped, "", "not checked: without signed attributes the document digest can only be checked with the signer's key, and the signer's certificate is missing")
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signer's certificate is not in the signature")
		return
	}
	if len(st.hashes) == 0 {
		_, err := si.NewContentHash(cert)
		st.add(IntegrityCheck, CheckIndeterminate, CryptoConstraintsFailure, "the algorithms %s / %s cannot be used: %v", oidName(si.DigestAlgorithm), oidName(si.SignatureAlgorithm), err)
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: unsupported algorithm")
		return
	}
	if v.overBudget(st) {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: without signed attributes, the signature signs the digest of the signed bytes, which were not hashed")
		return
	}
	st.sigDigest = si.DigestAlgorithm
	chk, err := si.VerifyContentDigest(cert, st.hashes[0].sum)
	if err == nil {
		st.add(IntegrityCheck, CheckPassed, "", "%s hashed with %s; with no signed attributes the signature signs this digest directly, and it verifies (next check)",
			v.rangesLabel(st), shortOIDName(si.DigestAlgorithm))
		st.sigOK = true
		v.reportSignatureValue(st, chk, nil, "the digest of the signed bytes")
		return
	}
	if errors.Is(err, smcrypto.ErrSignatureMismatch) {
		st.add(IntegrityCheck, CheckFailed, HashFailure, "the signature does not verify over the %s digest of %s; without signed attributes a changed document and a bad signature look the same, "+
			"and either way these bytes are not what was signed", shortOIDName(si.DigestAlgorithm), v.rangesLabel(st))
		st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the %s signature does not verify over the digest of the signed bytes with the public key of %s", orUnknown(chk.Algorithm), certLabel(cert))
		return
	}
	st.add(IntegrityCheck, CheckSkipped, "", "not checked separately: the signature could not be evaluated")
	v.reportSignatureValue(st, chk, err, "the digest of the signed bytes")
}

// integritySHA1 handles a CMS that encapsulates the digest of the signed bytes: SHA-1 for PDF
// adbe.pkcs7.sha1, SM3 for an OFD GM/T 0010 signature.
func (v *verifier) integritySHA1(st *sigState) {
	if v.overBudget(st) {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signed bytes were not hashed")
		return
	}
	sd, si := st.ev.sd, st.ev.si
	sum := st.hashes[0].sum
	alg := st.encapAlg
	st.sigDigest = alg
	intact := bytes.Equal(sum, sd.Content)
	if !intact {
		st.add(IntegrityCheck, CheckFailed, HashFailure, "the %s of %s is %s, but the signed content holds %s: the signed bytes were changed after signing",
			shortOIDName(alg), v.rangesLabel(st), digestPrefix(sum), digestPrefix(sd.Content))
	} else {
		st.add(IntegrityCheck, CheckPassed, "", "the %s of %s is %s, equal to the digest the signature encapsulates", shortOIDName(alg), v.rangesLabel(st), digestPrefix(sum))
	}
	// The signer signs the encapsulated digest as its content.
	cert := st.ev.signer
	if cert == nil {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signer's certificate is not in the signature")
		return
	}
	if len(si.SignedAttrsDER) > 0 {
		ch, err := smcrypto.NewDigest(si.DigestAlgorithm)
		if err != nil {
			st.add(SignatureValueCheck, CheckIndeterminate, CryptoConstraintsFailure, "the digest algorithm %s is not supported", oidName(si.DigestAlgorithm))
			return
		}
		ch.Write(sd.Content)
		if cs := ch.Sum(nil); !bytes.Equal(cs, si.MessageDigest) {
			st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the signed messageDigest %s does not match the encapsulated content (%s)", digestPrefix(si.MessageDigest), digestPrefix(cs))
			return
		}
		chk, err := si.VerifySignature(cert)
		v.reportSignatureValue(st, chk, err, "the signed attributes")
		st.sigOK = err == nil && intact
		return
	}
	ch, err := si.NewContentHash(cert)
	if err != nil {
		st.add(SignatureValueCheck, CheckIndeterminate, CryptoConstraintsFailure, "unsupported algorithm: %v", err)
		return
	}
	ch.Write(sd.Content)
	chk, err := si.VerifyContentDigest(cert, ch.Sum(nil))
	v.reportSignatureValue(st, chk, err, "the encapsulated digest")
	st.sigOK = err == nil && intact
}

// integrityPKCS1 handles a bare PKCS#1 signature over the digest of the signed bytes.
func (v *verifier) integrityPKCS1(st *sigState) {
	if v.overBudget(st) {
		st.add(SignatureValueCheck, CheckSkipped, "", "not checked: the signature signs the digest of the signed bytes, which were not hashed")
		return
	}
	cert := st.ev.signer
	var lastErr error
	var lastChk smcrypto.SignatureCheck
	for _, j := range st.hashes {
		o := j.alg
		chk, err := smcrypto.VerifyDigestSignature(cert.PublicKey, o, j.sum, st.ev.si.Signature)
		if err == nil {
			st.sigDigest = o
			st.sigOK = true
			st.add(IntegrityCheck, CheckPassed, "", "%s hashed with %s; the PKCS#1 signature signs this digest directly, and it verifies (next check)", v.rangesLabel(st), shortOIDName(o))
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
		st.add(IntegrityCheck, CheckFailed, HashFailure, "the PKCS#1 signature does not verify over the SHA-1 (nor SHA-2) digest of %s: either these bytes were changed or the signature is bad", v.rangesLabel(st))
		st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the signature value does not verify with the public key of %s", certLabel(cert))
		return
	}
	st.add(IntegrityCheck, CheckSkipped, "", "not checked separately")
	v.reportSignatureValue(st, lastChk, lastErr, "the digest of the signed bytes")
}

// integrityDocTimestamp compares the TSTInfo's messageImprint with the signed bytes, then checks
// the TSA's signature.
func (v *verifier) integrityDocTimestamp(st *sigState) {
	tok := st.ev.token
	info := tok.info
	switch {
	case len(st.hashes) == 0:
		st.add(IntegrityCheck, CheckIndeterminate, CryptoConstraintsFailure, "the imprint algorithm %s is not supported", oidName(info.ImprintAlg))
	case v.overBudget(st):
	default:
		sum := st.hashes[0].sum
		st.sigDigest = info.ImprintAlg
		if !bytes.Equal(sum, info.HashedMessage) {
			st.add(IntegrityCheck, CheckFailed, HashFailure, "the %s of %s is %s, but the timestamp's messageImprint is %s: the timestamped bytes were changed",
				shortOIDName(info.ImprintAlg), v.rangesLabel(st), digestPrefix(sum), digestPrefix(info.HashedMessage))
		} else {
			st.add(IntegrityCheck, CheckPassed, "", "the %s of %s is %s, equal to the timestamp's messageImprint",
				shortOIDName(info.ImprintAlg), v.rangesLabel(st), digestPrefix(sum))
		}
	}
	chk, err := tok.verifySignature()
	v.reportSignatureValue(st, chk, err, "the timestamp token (TSTInfo)")
	st.sigOK = err == nil && st.checks[len(st.checks)-2].Status == CheckPassed
}

// integritySES compares the SM3 of the signed bytes with the SES_Signature's dataHash, then
// checks the signer's signature over TBS_Sign, which binds the digest to the seal and the time.
func (v *verifier) integritySES(st *sigState) {
	ses := st.ev.ses
	if v.overBudget(st) {
		v.sesSignatureValue(st)
		return
	}
	sum := st.hashes[0].sum
	st.sigDigest = smcrypto.OIDSM3
	intact := bytes.Equal(sum, ses.DataHash)
	if !intact {
		st.add(IntegrityCheck, CheckFailed, HashFailure, "the SM3 of %s is %s, but the signed dataHash is %s: the signed data were changed after signing",
			v.rangesLabel(st), digestPrefix(sum), digestPrefix(ses.DataHash))
	} else {
		st.add(IntegrityCheck, CheckPassed, "", "the SM3 of %s is %s, equal to the signed dataHash", v.rangesLabel(st), digestPrefix(sum))
	}
	st.sigOK = v.sesSignatureValue(st) && intact
}

// sesSignatureValue checks the signer's SM2 signature over TBS_Sign as received, and tells
// whether it holds.
func (v *verifier) sesSignatureValue(st *sigState) bool {
	enc, err := st.ev.ses.VerifySignatureValue()
	who := "the signer certificate in the signature"
	if st.ev.signer != nil {
		who = certLabel(st.ev.signer)
	}
	var se *seal.Error
	errors.As(err, &se)
	switch {
	case err == nil:
		d := fmt.Sprintf("the SM2-with-SM3 signature over TBS_Sign (the seal, the signing time, the data hash and %q) verifies with the public key of %s, SM2 signer ID 1234567812345678 (the GM/T 0009 default)",
			st.ev.ses.PropertyInfo, who)
		if enc != smcrypto.EncodingDER {
			st.add(SignatureValueCheck, CheckWarning, "", "%s; tolerated deviation from the standard: the value is encoded as %s, not DER", d, enc)
			return true
		}
		st.add(SignatureValueCheck, CheckPassed, "", "%s, value DER-encoded", d)
		return true
	case se != nil && se.Reason == seal.SignatureCoversDataHashOnly:
		st.add(SignatureValueCheck, CheckWarning, "", "tolerated deviation from the standard: %v. The signer's key signed the data, but the signature does not bind the seal, the time or propertyInfo to it", err)
		return true
	case se != nil && se.Reason == seal.UnsupportedAlgorithm:
		st.add(SignatureValueCheck, CheckIndeterminate, CryptoConstraintsFailure, "the signature algorithm cannot be verified: %v", err)
	case se != nil && se.Reason == seal.BadCertificate:
		st.add(SignatureValueCheck, CheckIndeterminate, NoSigningCertificateFound, "the signer's public key cannot be read: %v", err)
	default:
		st.add(SignatureValueCheck, CheckFailed, SigCryptoFailure, "the SM2 signature over TBS_Sign does not verify with the public key of %s (%v): the signature is forged, damaged, or made with another key", who, err)
	}
	return false
}
