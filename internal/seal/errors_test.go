package seal

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

func TestParseSealMalformed(t *testing.T) {
	p := newTestPKI(t)
	good := validSealSpec(t, p).encode(t, p.makerKey)
	real := readTestObject(t, "seals/ofdrw_UserV4.esl")
	mod := func(f func(s *sealSpec)) []byte {
		s := validSealSpec(t, p)
		f(s)
		return s.encode(t, p.makerKey)
	}
	tests := []struct {
		name, detail string
		der          []byte
	}{
		{"empty", "empty input", nil},
		{"not a SEQUENCE", "expected SEQUENCE", derOctets([]byte("seal"))},
		{"truncated", "exceeds the", real[:len(real)-1]},
		{"one byte", "truncated element", []byte{0x30}},
		{"indefinite length", "indefinite length", append([]byte{0x30, 0x80}, append(good[4:], 0, 0)...)},
		{"high tag number", "high tag", []byte{0x3f, 0x81, 0x01, 0x00}},
		{"5-byte length field", "length field of 5 bytes", []byte{0x30, 0x85, 0, 0, 0, 0, 1, 0}},
		{"truncated length field", "truncated length", []byte{0x30, 0x82, 0x01}},
		{"3 elements", "has 3 elements", derSeq(derInt(1), derInt(2), derInt(3))},
		{"6 elements", "has 6 elements", derSeq(derInt(1), derInt(2), derInt(3), derInt(4), derInt(5), derInt(6))},
		{"primitive where SEQUENCE", "expected SEQUENCE", derSeq(derInt(1), derInt(2), derInt(3), derInt(4))},
		{"sealInfo with 3 elements", "eSealInfo has 3 elements", derSeq(derSeq(derInt(1), derInt(2), derInt(3)), derOctets(nil), derOID(OIDSM2WithSM3), derBits([]byte{1}))},
		{"header with 2 elements", "header has 2 elements", mod(func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derInt(4)) })},
		{"header version not INTEGER", "expected INTEGER", mod(func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derIA5("4"), derIA5("V")) })},
		{"empty INTEGER", "empty INTEGER", mod(func(s *sealSpec) { s.propType = []byte{tagInteger, 0} })},
		{"huge INTEGER", "INTEGER too large", mod(func(s *sealSpec) { s.propType = derTLV(tagInteger, []byte{1, 2, 3, 4, 5}) })},
		{"INTEGER over 2^31", "INTEGER too large", mod(func(s *sealSpec) { s.propType = derTLV(tagInteger, []byte{0x00, 0x80, 0, 0, 0}) })},
		{"esID not a string", "expected a character string", mod(func(s *sealSpec) { s.esID = derInt(1) })},
		{"BMPString of odd length", "BMPString of odd length", mod(func(s *sealSpec) { s.name = derTLV(tagBMPString, []byte{0, 0x41, 0}) })},
		{"property with 5 elements", "property has 5 elements", mod(func(s *sealSpec) { s.v1Property = true; s.validEnd = nil })},
		{"certList not a SEQUENCE", "expected SEQUENCE", mod(func(s *sealSpec) { s.certList = derOctets(p.signerCert) })},
		{"digest entry not a SEQUENCE of strings", "expected a character string", mod(func(s *sealSpec) {
			s.certList = derSeq(derSeq(derInt(1), derOctets([]byte{1})))
		})},
		{"time not a time", "expected a time", mod(func(s *sealSpec) { s.validEnd = derIA5("20400101000000Z") })},
		{"time with month 13", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("20401301000000Z") })},
		{"time February 30", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("20400230000000Z") })},
		{"time with junk zone", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("20400101000000X") })},
		{"time too short", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("2040") })},
		{"time with bad offset", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("20400101000000+9900") })},
		{"time with empty fraction", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derGT("20400101000000.Z") })},
		{"UTCTime without minutes", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derUTC("40010100Z") })},
		{"picture with 3 elements", "picture has 3 elements", mod(func(s *sealSpec) { s.picture = derSeq(derIA5("PNG"), derOctets([]byte{1}), derInt(40)) })},
		{"picture data not OCTET STRING", "expected OCTET STRING", mod(func(s *sealSpec) { s.picture = derSeq(derIA5("PNG"), derIA5("x"), derInt(40), derInt(40)) })},
		{"extension with 4 parts", "has 4 elements", mod(func(s *sealSpec) {
			s.extDatas = derSeq(derSeq(derOID("1.2.3"), derTLV(tagBoolean, []byte{0xff}), derOctets(nil), derInt(1)))
		})},
		{"extension BOOLEAN of 2 bytes", "expected BOOLEAN", mod(func(s *sealSpec) {
			s.extDatas = derSeq(derSeq(derOID("1.2.3"), derTLV(tagBoolean, []byte{0xff, 0}), derOctets(nil)))
		})},
		{"empty OID", "bad OBJECT IDENTIFIER", mod(func(s *sealSpec) { s.alg = []byte{tagOID, 0} })},
		{"OID ending mid-arc", "bad OBJECT IDENTIFIER", mod(func(s *sealSpec) { s.alg = []byte{tagOID, 2, 0x2a, 0x81} })},
		{"OID with padded arc", "non-minimal OBJECT IDENTIFIER", mod(func(s *sealSpec) { s.alg = []byte{tagOID, 3, 0x2a, 0x80, 0x01} })},
		{"OID arc overflow", "arc too large", mod(func(s *sealSpec) {
			s.alg = derTLV(tagOID, append([]byte{0x2a}, append(bytes.Repeat([]byte{0xff}, 10), 0x7f)...))
		})},
		{"maker cert not OCTET STRING", "expected OCTET STRING", mod(func(s *sealSpec) { s.makerCert = derIA5("cert") })},
		{"empty signedValue", "empty BIT STRING", mod(func(s *sealSpec) { s.signedBits = []byte{tagBitString, 0} })},
		{"timeStamp with another tag", "expected [0]", mod(func(s *sealSpec) { s.timeStamp = derTLV(0xa1, derBits([]byte{1})) })},
		{"timeStamp [0] holding an INTEGER", "unexpected tag", mod(func(s *sealSpec) { s.timeStamp = derExplicit0(derInt(1)) })},
		{"timeStamp [0] with two elements", "extra data inside [0]", mod(func(s *sealSpec) { s.timeStamp = derExplicit0(append(derBits([]byte{1}), derBits([]byte{2})...)) })},
		{"timeStamp [0] empty", "truncated element", mod(func(s *sealSpec) { s.timeStamp = derExplicit0(nil) })},
		{"element truncated inside SEQUENCE", "exceeds the", derTLV(tagSequence, []byte{tagInteger, 5, 1})},
		{"v1 seal with bad sealInfo", "esealInfo has 1 elements", derSeq(derSeq(derInt(1)), derSeq(derOctets(p.makerCert), derOID(OIDSM2WithSM3), derBits([]byte{1})))},
		{"v1 maker cert not OCTET STRING", "signInfo.cert: expected OCTET STRING", derSeq(validSealSpec(t, p).sealInfo(), derSeq(derInt(1), derOID(OIDSM2WithSM3), derBits([]byte{1})))},
		{"v1 algorithm not OID", "signatureAlgorithm: expected OBJECT IDENTIFIER", derSeq(validSealSpec(t, p).sealInfo(), derSeq(derOctets(p.makerCert), derInt(1), derBits([]byte{1})))},
		{"v1 signData not BIT STRING", "signData: expected BIT STRING", derSeq(validSealSpec(t, p).sealInfo(), derSeq(derOctets(p.makerCert), derOID(OIDSM2WithSM3), derInt(1)))},
		{"header ID not a string", "header.ID: expected a character string", mod(func(s *sealSpec) { s.header = derSeq(derInt(1), derInt(4), derIA5("V")) })},
		{"Vid not a string", "header.Vid: expected a character string", mod(func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derInt(4), derInt(1)) })},
		{"property not a SEQUENCE", "property: expected SEQUENCE", mod(func(s *sealSpec) { s.property = derOctets(nil) })},
		{"certListType not INTEGER", "certListType: expected INTEGER", mod(func(s *sealSpec) { s.certListType = derIA5("1") })},
		{"name not a string", "name: expected a character string", mod(func(s *sealSpec) { s.name = derOctets([]byte("章")) })},
		{"createDate not a time", "createDate: expected a time", mod(func(s *sealSpec) { s.createDate = derInt(2020) })},
		{"validStart not a time", "validStart: expected a time", mod(func(s *sealSpec) { s.validStart = derInt(2020) })},
		{"UTCTime starting with a letter", "unreadable time", mod(func(s *sealSpec) { s.validEnd = derUTC("x00101000000Z") })},
		{"certList entry truncated", "exceeds the", mod(func(s *sealSpec) { s.certList = derSeq(derTLV(tagSequence, []byte{tagOctetString, 5, 1})) })},
		{"picture not a SEQUENCE", "picture: expected SEQUENCE", mod(func(s *sealSpec) { s.picture = derOctets(nil) })},
		{"picture type not a string", "picture.type: expected a character string", mod(func(s *sealSpec) { s.picture = derSeq(derInt(1), derOctets(nil), derInt(40), derInt(40)) })},
		{"picture width not INTEGER", "picture.width: expected INTEGER", mod(func(s *sealSpec) { s.picture = derSeq(derIA5("PNG"), derOctets(nil), derIA5("40"), derInt(40)) })},
		{"picture height not INTEGER", "picture.height: expected INTEGER", mod(func(s *sealSpec) { s.picture = derSeq(derIA5("PNG"), derOctets(nil), derInt(40), derIA5("40")) })},
		{"extDatas not a SEQUENCE", "extDatas: expected SEQUENCE", mod(func(s *sealSpec) { s.extDatas = derOctets(nil) })},
		{"extension not a SEQUENCE", "extDatas[0]: expected SEQUENCE", mod(func(s *sealSpec) { s.extDatas = derSeq(derOctets(nil)) })},
		{"extnID not an OID", "extnID: expected OBJECT IDENTIFIER", mod(func(s *sealSpec) { s.extDatas = derSeq(derSeq(derIA5("1.2"), derOctets(nil))) })},
		{"extnValue not OCTET STRING", "extnValue: expected OCTET STRING", mod(func(s *sealSpec) { s.extDatas = derSeq(derSeq(derOID("1.2.3"), derIA5("v"))) })},
		{"v1 signInfo with 2 elements", "signInfo has 2 elements", derSeq(validSealSpec(t, p).sealInfo(), derSeq(derOctets(p.makerCert), derOID(OIDSM2WithSM3)))},
		{"v1 signInfo not a SEQUENCE", "expected SEQUENCE", derSeq(validSealSpec(t, p).sealInfo(), derOctets(nil))},
	}
	// Bad BIT STRINGs, written by hand.
	badBits := func(body []byte) []byte {
		s := validSealSpec(t, p)
		info := s.sealInfo()
		return derSeq(info, s.makerCert, s.alg, derTLV(tagBitString, body))
	}
	tests = append(tests,
		struct {
			name, detail string
			der          []byte
		}{"BIT STRING with 8 unused bits", "8 unused bits", badBits([]byte{8, 1, 2})},
		struct {
			name, detail string
			der          []byte
		}{"BIT STRING with unused bits but no content", "no content", badBits([]byte{3})},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSeal(tt.der)
			if s != nil {
				t.Error("a seal came back with the error")
			}
			wantReason(t, err, Malformed)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
		})
	}
}

func TestParseSignatureMalformed(t *testing.T) {
	p := newTestPKI(t)
	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	mod := func(f func(s *sigSpec)) []byte {
		s := validSigSpec(t, p, sealDER)
		f(s)
		return s.encode(t, p.signerKey)
	}
	tests := []struct {
		name, detail string
		der          []byte
	}{
		{"empty", "empty input", nil},
		// A GM/T 0010 SignedData (an OFD Type="Sign" signature) is not an SES_Signature.
		{"GM/T 0010 SignedData", "toSign: expected SEQUENCE", readTestObject(t, "signedvalue/ofd-04_Sign_3_SignedValue.dat")},
		{"3 elements", "has 3 elements", derSeq(derInt(1), derInt(2), derInt(3))},
		{"TBS with 4 elements", "toSign has 4 elements", derSeq(derSeq(derInt(4), sealDER, derGT("20240101000000Z"), derBits(nil)), derOctets(nil), derOID(OIDSM2WithSM3), derBits([]byte{1}))},
		{"v1 TBS with 6 elements", "toSign has 6 elements", derSeq(derSeq(derInt(1), sealDER, derBits([]byte("t")), derBits(nil), derIA5("p"), derOctets(nil)), derBits([]byte{1}))},
		{"embedded seal broken", "toSign.eseal", mod(func(s *sigSpec) { s.eseal = derSeq(derInt(1)) })},
		{"embedded seal truncated inside OCTET STRING", "toSign.eseal", mod(func(s *sigSpec) { s.eseal = derOctets(sealDER[:100]) })},
		{"timeInfo not a time", "expected a time", mod(func(s *sigSpec) { s.timeInfo = derIA5("now") })},
		{"dataHash not BIT STRING", "expected BIT STRING", mod(func(s *sigSpec) { s.dataHash = derOctets([]byte{1}) })},
		{"propertyInfo not a string", "expected a character string", mod(func(s *sigSpec) { s.propertyInfo = derInt(1) })},
		{"extDatas [1]", "expected [0]", mod(func(s *sigSpec) { s.extDatas = derTLV(0xa1, derSeq()) })},
		{"extDatas [0] with two elements", "extra data inside [0]", mod(func(s *sigSpec) { s.extDatas = derExplicit0(append(derSeq(), derSeq()...)) })},
		{"signer cert not OCTET STRING", "expected OCTET STRING", mod(func(s *sigSpec) { s.cert = derInt(1) })},
		{"algorithm not OID", "expected OBJECT IDENTIFIER", mod(func(s *sigSpec) { s.alg = derIA5("sm2") })},
		{"signature empty", "empty BIT STRING", mod(func(s *sigSpec) { s.signedBits = []byte{tagBitString, 0} })},
		{"timeStamp [2]", "expected [0]", mod(func(s *sigSpec) { s.timeStamp = derTLV(0xa2, nil) })},
		{"TBS not a SEQUENCE", "toSign: expected SEQUENCE", derSeq(derInt(4), derOctets(p.signerCert), derOID(OIDSM2WithSM3), derBits([]byte{1}))},
		{"TBS version not INTEGER", "toSign.version: expected INTEGER", mod(func(s *sigSpec) { s.version = derIA5("4") })},
		{"extDatas [0] truncated inside", "exceeds the", mod(func(s *sigSpec) { s.extDatas = derExplicit0([]byte{tagSequence, 5}) })},
		{"v1 TBS not a SEQUENCE", "toSign: expected SEQUENCE", derSeq(derInt(1), derBits([]byte{1}))},
		{"v1 version not INTEGER", "toSign.version: expected INTEGER", mod(func(s *sigSpec) { v1Sig(s); s.version = derIA5("1") })},
		{"v1 embedded seal broken", "toSign.eseal", mod(func(s *sigSpec) { v1Sig(s); s.eseal = derSeq() })},
		{"v1 dataHash not BIT STRING", "dataHash: expected BIT STRING", mod(func(s *sigSpec) { v1Sig(s); s.dataHash = derOctets(nil) })},
		{"v1 propertyInfo not a string", "propertyInfo: expected a character string", mod(func(s *sigSpec) { v1Sig(s); s.propertyInfo = derInt(1) })},
		{"v1 algorithm not OID", "signatureAlgorithm: expected OBJECT IDENTIFIER", mod(func(s *sigSpec) { v1Sig(s); s.alg = derInt(1) })},
		{"v1 signature not BIT STRING", "signature: expected BIT STRING", mod(func(s *sigSpec) { v1Sig(s); s.signedBits = derInt(1) })},
		{"v1 extDatas not [0]", "extDatas: expected [0]", v1WithExtra(t, p, sealDER, derInt(1))},
		{"v1 timeInfo not BIT STRING", "expected BIT STRING", mod(func(s *sigSpec) { v1Sig(s); s.timeInfo = derIA5("x") })},
		{"v1 cert not OCTET STRING", "expected OCTET STRING", mod(func(s *sigSpec) { v1Sig(s); s.cert = derInt(5) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := ParseSignature(tt.der)
			if sig != nil {
				t.Error("a signature came back with the error")
			}
			wantReason(t, err, Malformed)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
		})
	}
}

func TestUnsupportedVersion(t *testing.T) {
	p := newTestPKI(t)
	s := validSealSpec(t, p)
	s.header = derSeq(derIA5("ES"), derInt(3), derIA5("V"))
	_, err := ParseSeal(s.encode(t, p.makerKey))
	wantReason(t, err, UnsupportedVersion)

	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	sig := validSigSpec(t, p, sealDER)
	sig.version = derInt(2)
	_, err = ParseSignature(sig.encode(t, p.signerKey))
	wantReason(t, err, UnsupportedVersion)

	// A signature whose embedded seal has an unsupported version fails the same way.
	sig = validSigSpec(t, p, s.encode(t, p.makerKey))
	_, err = ParseSignature(sig.encode(t, p.signerKey))
	wantReason(t, err, UnsupportedVersion)
}

func TestUnsupportedAlgorithm(t *testing.T) {
	p := newTestPKI(t)
	const ecdsaSHA256 = "1.2.840.10045.4.3.2"
	s := validSealSpec(t, p)
	s.alg = derOID(ecdsaSHA256)
	parsed, err := ParseSeal(s.encode(t, p.makerKey))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.SignAlgorithm != ecdsaSHA256 {
		t.Errorf("algorithm %s", parsed.SignAlgorithm)
	}
	_, err = parsed.VerifyMakerSignature()
	wantReason(t, err, UnsupportedAlgorithm)

	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	sg := validSigSpec(t, p, sealDER)
	sg.alg = derOID(ecdsaSHA256)
	sig, err := ParseSignature(sg.encode(t, p.signerKey))
	if err != nil {
		t.Fatal(err)
	}
	_, err = sig.VerifySignatureValue()
	wantReason(t, err, UnsupportedAlgorithm)

	// A certDigestList entry with an unknown digest cannot be decided.
	s = validSealSpec(t, p)
	s.certListType = derInt(2)
	s.certList = derSeq(derSeq(derTLV(tagPrintableString, []byte("md5")), derOctets(make([]byte, 16))))
	parsed, err = ParseSeal(s.encode(t, p.makerKey))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := parsed.AllowsSigner(p.signerCert)
	if ok {
		t.Error("allowed by an md5 entry")
	}
	wantReason(t, err, UnsupportedAlgorithm)
	sig = mustParseSignature(t, validSigSpec(t, p, s.encode(t, p.makerKey)).encode(t, p.signerKey))
	wantReason(t, sig.VerifySignerAllowed(), UnsupportedAlgorithm)
}

// v1Sig turns a signature spec into the GM/T 0031-2014 layout.
func v1Sig(s *sigSpec) {
	s.layout = 1
	s.version = derInt(1)
	s.timeInfo = derBits([]byte("20240101120000Z"))
}

// v1WithExtra is a version 1 signature whose TBS_Sign has an eighth element.
func v1WithExtra(t *testing.T, p *testPKI, sealDER, extra []byte) []byte {
	s := validSigSpec(t, p, sealDER)
	v1Sig(s)
	tbs := derSeq(s.version, s.eseal, s.timeInfo, s.dataHash, s.propertyInfo, s.cert, s.alg, extra)
	return derSeq(tbs, derBits([]byte{1}))
}

func mustParseSignature(t *testing.T, der []byte) *Signature {
	t.Helper()
	sig, err := ParseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestBadCertificate(t *testing.T) {
	p := newTestPKI(t)
	// A certificate for a P-256 key (issued by an SM2 key): readable, but not an SM2 key.
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject: pkix.Name{CommonName: "p256"}, NotBefore: now, NotAfter: now.Add(time.Hour),
	}, p256.Public(), p.root, p.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, detail string
		cert         []byte
	}{
		{"empty", "is empty", nil},
		{"garbage", "unreadable", []byte("not a certificate")},
		{"certificate without a key", "no SubjectPublicKeyInfo", derSeq(derSeq(derInt(1)), derSeq(), derBits(nil))},
		{"certificate with 2 elements", "expected 3", derSeq(derSeq(), derSeq())},
		{"TBSCertificate not a SEQUENCE", "TBSCertificate: expected SEQUENCE", derSeq(derInt(1), derSeq(), derBits(nil))},
		{"unknown key algorithm", "unknown algorithm", brokenCert(derSeq(derSeq(derOID("1.2.3")), derBits([]byte{4, 1})))},
		{"bad SM2 point", "public key unreadable", brokenCert(derSeq(derSeq(derOID("1.2.840.10045.2.1"), derOID("1.2.156.10197.1.301")), derBits([]byte{4, 1, 2})))},
		{"P-256 key", "not an SM2 key", c.Raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSealSpec(t, p)
			s.makerCert = derOctets(tt.cert)
			parsed, err := ParseSeal(s.encode(t, p.makerKey))
			if err != nil {
				t.Fatal(err)
			}
			_, err = parsed.VerifyMakerSignature()
			wantReason(t, err, BadCertificate)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
			sg := validSigSpec(t, p, validSealSpec(t, p).encode(t, p.makerKey))
			sg.cert = derOctets(tt.cert)
			_, err = mustParseSignature(t, sg.encode(t, p.signerKey)).VerifySignatureValue()
			wantReason(t, err, BadCertificate)
		})
	}
}

func TestBadMakerSignature(t *testing.T) {
	p := newTestPKI(t)
	der := validSealSpec(t, p).encode(t, p.makerKey)
	// Change one byte of the name after signing: the same length, so it still parses.
	name := []byte("测试审批专用章")
	i := bytes.Index(der, name)
	tampered := bytes.Clone(der)
	tampered[i+len(name)-1] ^= 1
	tests := map[string][]byte{"tampered name": tampered}

	s := validSealSpec(t, p)
	sig, err := smcrypto.SignSM2(p.otherKey, nil, s.sealInfo())
	if err != nil {
		t.Fatal(err)
	}
	s.signedValue = sig
	tests["signed by another key"] = s.encode(t, p.makerKey)

	s = validSealSpec(t, p)
	s.signedValue = []byte{1, 2, 3}
	tests["signature value of 3 bytes"] = s.encode(t, p.makerKey)

	for name, der := range tests {
		t.Run(name, func(t *testing.T) {
			parsed, err := ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parsed.VerifyMakerSignature()
			wantReason(t, err, BadMakerSignature)
		})
	}
}

func TestBadSignature(t *testing.T) {
	p := newTestPKI(t)
	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	sg := validSigSpec(t, p, sealDER)
	good := sg.encode(t, p.signerKey)
	tampered := bytes.Clone(good)
	i := bytes.Index(tampered, []byte("Signature.xml"))
	tampered[i] = 's'

	sg2 := validSigSpec(t, p, sealDER)
	sg2.signedValue = make([]byte, 64) // raw r‖s of zeros: undecodable (r = 0)

	for name, der := range map[string][]byte{"tampered propertyInfo": tampered, "zero signature": sg2.encode(t, p.signerKey)} {
		t.Run(name, func(t *testing.T) {
			_, err := mustParseSignature(t, der).VerifySignatureValue()
			wantReason(t, err, BadSignature)
		})
	}
}

func TestSignatureCoversDataHashOnly(t *testing.T) {
	p := newTestPKI(t)
	sg := validSigSpec(t, p, validSealSpec(t, p).encode(t, p.makerKey))
	sg.signDataHashOnly = true
	sig := mustParseSignature(t, sg.encode(t, p.signerKey))
	enc, err := sig.VerifySignatureValue()
	wantReason(t, err, SignatureCoversDataHashOnly)
	if enc != smcrypto.EncodingDER {
		t.Errorf("encoding %v", enc)
	}
}

func TestValidAt(t *testing.T) {
	p := newTestPKI(t)
	s, err := ParseSeal(validSealSpec(t, p).encode(t, p.makerKey))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at   time.Time
		ok   bool
		word string
	}{
		{start, true, ""},
		{end, true, ""},
		{start.Add(time.Hour * 24 * 365), true, ""},
		{start.Add(-time.Second), false, "before the seal's validStart"},
		{end.Add(time.Second), false, "after the seal's validEnd"},
		{time.Time{}, false, "before"},
	} {
		err := s.ValidAt(tt.at)
		if tt.ok {
			if err != nil {
				t.Errorf("%s: %v", tt.at, err)
			}
			continue
		}
		wantReason(t, err, NotValidAtTime)
		if !strings.Contains(err.Error(), tt.word) {
			t.Errorf("%s: %v", tt.at, err)
		}
	}
}

func TestSignerNotInCertList(t *testing.T) {
	p := newTestPKI(t)
	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	sg := validSigSpec(t, p, sealDER)
	sg.cert = derOctets(p.otherCert)
	sig := mustParseSignature(t, sg.encode(t, p.otherKey))
	if _, err := sig.VerifySignatureValue(); err != nil {
		t.Fatalf("the signature itself is fine: %v", err)
	}
	err := sig.VerifySignerAllowed()
	wantReason(t, err, SignerNotInCertList)
	if !strings.Contains(err.Error(), "none of the seal's 1 certList entries") {
		t.Error(err)
	}
	if ok, err := sig.Seal.AllowsSigner(nil); ok || err != nil {
		t.Errorf("AllowsSigner(nil) = %v, %v", ok, err)
	}
}

func TestAllowsSignerDigests(t *testing.T) {
	p := newTestPKI(t)
	sm3 := smcrypto.SM3(p.signerCert)
	tests := []struct {
		typ   string
		value []byte
		ok    bool
	}{
		{"sm3", sm3[:], true},
		{"SM3", sm3[:], true},
		{"1.2.156.10197.1.401", sm3[:], true},
		{"sha256", sha256Of(p.signerCert), true},
		{"SHA-256", sha256Of(p.signerCert), true},
		{"sha1", sha1Of(p.signerCert), true},
		{"sm3", sha256Of(p.signerCert), false},
		{"sha1", sha1Of(p.otherCert), false},
	}
	for _, tt := range tests {
		s := validSealSpec(t, p)
		s.certListType = derInt(2)
		s.certList = derSeq(derSeq(derTLV(tagPrintableString, []byte(tt.typ)), derOctets(tt.value)))
		parsed, err := ParseSeal(s.encode(t, p.makerKey))
		if err != nil {
			t.Fatal(err)
		}
		if len(parsed.CertDigests) != 1 || parsed.CertDigests[0].Type != tt.typ || len(parsed.Certs) != 0 {
			t.Fatalf("%s: digests %+v", tt.typ, parsed.CertDigests)
		}
		if len(parsed.Quirks) != 0 {
			t.Errorf("%s: quirks %q", tt.typ, parsed.Quirks)
		}
		ok, err := parsed.AllowsSigner(p.signerCert)
		if ok != tt.ok || err != nil {
			t.Errorf("%s: AllowsSigner = %v, %v; want %v", tt.typ, ok, err, tt.ok)
		}
	}
}

func TestErrorType(t *testing.T) {
	inner := errors.New("inner")
	e := wrapErr(BadSignature, inner, "detail %d", 1)
	if !errors.Is(e, inner) {
		t.Error("Unwrap does not reach the inner error")
	}
	if got := e.Error(); got != "seal: signature value does not verify: detail 1: inner" {
		t.Errorf("Error() = %q", got)
	}
	for r := Malformed; r <= BadPicture; r++ {
		if strings.HasPrefix(r.String(), "ErrorReason(") {
			t.Errorf("reason %d has no name", int(r))
		}
	}
	if got := ErrorReason(99).String(); got != "ErrorReason(99)" {
		t.Errorf("unknown reason: %q", got)
	}
}

// brokenCert is a certificate that strict parsing rejects (an INTEGER where the issuer Name
// belongs) around the given SubjectPublicKeyInfo.
func brokenCert(spki []byte) []byte {
	return derSeq(derSeq(derInt(1), derSeq(), derInt(7), derSeq(), derSeq(), spki), derSeq(), derBits(nil))
}
