package verify

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal/eseal/internal/smcrypto"
)

// RFC 3161 timestamp tokens: the signature timestamp (an unsigned attribute of a PDF signature)
// and the document timestamp (a PDF signature of SubFilter ETSI.RFC3161) are both a CMS
// SignedData whose encapsulated content is a TSTInfo.

const oidTSTInfo smcrypto.OID = "1.2.840.113549.1.9.16.1.4"

// tstInfo is the part of an RFC 3161 TSTInfo a verifier uses.
type tstInfo struct {
	Policy        smcrypto.OID
	ImprintAlg    smcrypto.OID
	HashedMessage []byte
	Serial        *big.Int
	GenTime       time.Time
}

// parseTSTInfo reads a DER TSTInfo. Fields after genTime (accuracy, ordering, nonce, tsa,
// extensions) are not needed and not read.
func parseTSTInfo(der []byte) (*tstInfo, error) {
	in := cryptobyte.String(der)
	var s, mi, alg cryptobyte.String
	var version int64
	var policy cryptobyte.String
	var imprintAlg asn1.ObjectIdentifier
	info := &tstInfo{Serial: new(big.Int)}
	if !in.ReadASN1(&s, cbasn1.SEQUENCE) {
		return nil, errors.New("TSTInfo is not a SEQUENCE")
	}
	if !s.ReadASN1Integer(&version) || version != 1 {
		return nil, errors.New("TSTInfo version is not 1")
	}
	// The policy is read as arcs of any size: TSAs without a registered arc use the UUID arc
	// 2.25, whose second arc is 128 bits.
	if !s.ReadASN1(&policy, cbasn1.OBJECT_IDENTIFIER) {
		return nil, errors.New("TSTInfo policy")
	}
	pol, err := smcrypto.ParseOIDContent(policy)
	if err != nil {
		return nil, fmt.Errorf("TSTInfo policy: %v", err)
	}
	if !s.ReadASN1(&mi, cbasn1.SEQUENCE) || !mi.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&imprintAlg) ||
		!mi.ReadASN1Bytes(&info.HashedMessage, cbasn1.OCTET_STRING) {
		return nil, errors.New("TSTInfo messageImprint")
	}
	if !s.ReadASN1Integer(info.Serial) {
		return nil, errors.New("TSTInfo serialNumber")
	}
	var gt cryptobyte.String
	if !s.ReadASN1(&gt, cbasn1.GeneralizedTime) {
		return nil, errors.New("TSTInfo genTime")
	}
	// cryptobyte rejects fractional seconds, which RFC 3161 allows and TSAs use; time.Parse
	// accepts them after the seconds field.
	t, err := time.Parse("20060102150405Z0700", string(gt))
	if err != nil {
		return nil, fmt.Errorf("TSTInfo genTime %q: %v", string(gt), err)
	}
	info.GenTime = t.UTC()
	info.Policy = pol
	info.ImprintAlg = oidFromASN1(imprintAlg)
	return info, nil
}

// tsToken is a parsed timestamp token.
type tsToken struct {
	sd   *smcrypto.SignedData
	si   *smcrypto.SignerInfo
	cert *smcrypto.Certificate // the TSA's certificate, nil if not in the token
	info *tstInfo
}

// parseTimestampToken reads a timestamp token (a DER ContentInfo); certificates equal to one of
// known (the trust anchors) are taken from it rather than parsed again.
func parseTimestampToken(token []byte, known []*smcrypto.Certificate) (*tsToken, error) {
	sd, err := smcrypto.ParseSignedDataWithOptions(token, smcrypto.ParseOptions{Known: known})
	if err != nil {
		return nil, err
	}
	if sd.EncapContentType != oidTSTInfo {
		return nil, fmt.Errorf("the encapsulated content is %s, not a TSTInfo", oidName(sd.EncapContentType))
	}
	if len(sd.Content) == 0 {
		return nil, errors.New("the token carries no TSTInfo")
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("the token has %d signers; RFC 3161 requires exactly one", len(sd.Signers))
	}
	info, err := parseTSTInfo(sd.Content)
	if err != nil {
		return nil, err
	}
	si := sd.Signers[0]
	return &tsToken{sd: sd, si: si, cert: sd.SignerCertificate(si), info: info}, nil
}

// verifySignature checks the TSA's signature: the messageDigest signed attribute against the
// TSTInfo, then the signature over the signed attributes.
func (t *tsToken) verifySignature() (smcrypto.SignatureCheck, error) {
	if t.cert == nil {
		return smcrypto.SignatureCheck{}, errors.New("the TSA's certificate is not in the token")
	}
	if len(t.si.SignedAttrsDER) == 0 || t.si.MessageDigest == nil {
		return smcrypto.SignatureCheck{}, errors.New("the token has no signed messageDigest (RFC 3161 requires signed attributes)")
	}
	h, err := smcrypto.NewDigest(t.si.DigestAlgorithm)
	if err != nil {
		return smcrypto.SignatureCheck{}, err
	}
	h.Write(t.sd.Content)
	if sum := h.Sum(nil); !bytes.Equal(sum, t.si.MessageDigest) {
		return smcrypto.SignatureCheck{}, fmt.Errorf("the TSTInfo does not match the token's messageDigest (expected %s, found %s)",
			digestPrefix(t.si.MessageDigest), digestPrefix(sum))
	}
	return t.si.VerifySignature(t.cert)
}

// hasTimeStampingEKU reports whether the TSA certificate is restricted to timestamping, as
// RFC 3161 2.3 requires.
func hasTimeStampingEKU(c *smcrypto.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if int(u) == int(x509.ExtKeyUsageTimeStamping) {
			return true
		}
	}
	return false
}
