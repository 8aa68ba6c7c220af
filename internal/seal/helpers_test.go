package seal

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509/pkix"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// readTestObject loads a test object: "dir/file" from testdata, or "dir/x.ofd#member" for a file
// inside an OFD (ZIP) package in testdata.
func readTestObject(t testing.TB, name string) []byte {
	t.Helper()
	file, member, inZip := strings.Cut(name, "#")
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	if !inZip {
		return data
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, f := range zr.File {
		if f.Name == member {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s has no member %s", file, member)
	return nil
}

// testPKI is a maker and a signer with certificates, made once per test binary.
type testPKI struct {
	root                             *smcrypto.Certificate
	rootKey                          crypto.Signer
	makerKey, signerKey, otherKey    crypto.Signer
	makerCert, signerCert, otherCert []byte
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		p := &testPKI{}
		now := time.Now()
		rootKey, err := smcrypto.GenerateKey()
		if err != nil {
			pkiErr = err
			return
		}
		root, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
			Subject:   pkix.Name{CommonName: "Test Root", Country: []string{"CN"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), IsCA: true,
		}, rootKey.Public(), nil, rootKey)
		if err != nil {
			pkiErr = err
			return
		}
		p.root, p.rootKey = root, rootKey
		mk := func(cn string) (crypto.Signer, []byte, error) {
			k, err := smcrypto.GenerateKey()
			if err != nil {
				return nil, nil, err
			}
			c, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
				Subject:   pkix.Name{CommonName: cn, Country: []string{"CN"}},
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
			}, k.Public(), root, rootKey)
			if err != nil {
				return nil, nil, err
			}
			return k, c.Raw, nil
		}
		if p.makerKey, p.makerCert, err = mk("Test Seal Maker"); err != nil {
			pkiErr = err
			return
		}
		if p.signerKey, p.signerCert, err = mk("11010500000001"); err != nil {
			pkiErr = err
			return
		}
		if p.otherKey, p.otherCert, err = mk("Someone Else"); err != nil {
			pkiErr = err
			return
		}
		pkiVal = p
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// Tiny DER writers for crafting inputs; they build exactly the bytes asked for, including
// deliberate deviations.
func derTLV(tag byte, body []byte) []byte {
	var out []byte
	out = append(out, tag)
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, body...)
}

func derSeq(parts ...[]byte) []byte { return derTLV(tagSequence, bytes.Join(parts, nil)) }
func derIA5(s string) []byte        { return derTLV(tagIA5String, []byte(s)) }
func derUTF8(s string) []byte       { return derTLV(tagUTF8String, []byte(s)) }
func derOctets(b []byte) []byte     { return derTLV(tagOctetString, b) }
func derGT(s string) []byte         { return derTLV(tagGeneralizedTime, []byte(s)) }
func derUTC(s string) []byte        { return derTLV(tagUTCTime, []byte(s)) }
func derBits(b []byte) []byte       { return derTLV(tagBitString, append([]byte{0}, b...)) }
func derExplicit0(b []byte) []byte  { return derTLV(tagContext0, b) }

func derInt(v int) []byte {
	if v == 0 {
		return []byte{tagInteger, 1, 0}
	}
	var b []byte
	for x := v; x > 0; x >>= 8 {
		b = append([]byte{byte(x)}, b...)
	}
	if b[0] >= 0x80 {
		b = append([]byte{0}, b...)
	}
	return derTLV(tagInteger, b)
}

func derOID(s string) []byte {
	oid, err := parseOID(s)
	if err != nil {
		panic(err)
	}
	var body []byte
	enc := func(v int) {
		var tmp []byte
		tmp = append(tmp, byte(v&0x7f))
		for v >>= 7; v > 0; v >>= 7 {
			tmp = append([]byte{byte(v&0x7f) | 0x80}, tmp...)
		}
		body = append(body, tmp...)
	}
	enc(oid[0]*40 + oid[1])
	for _, a := range oid[2:] {
		enc(a)
	}
	return derTLV(tagOID, body)
}

// sealSpec holds the elements of a seal as raw DER, so a test can replace any one of them.
type sealSpec struct {
	header, esID, propType, name, certListType, certList []byte
	createDate, validStart, validEnd                     []byte
	picture, extDatas                                    []byte
	property                                             []byte // replaces the whole property
	v1Property                                           bool   // GM/T 0031-2014 layout, no certListType
	makerCert, alg                                       []byte
	timeStamp                                            []byte // v5 [0] element, or nil
	layout                                               int    // 4 (default) or 1
	// signedValue, when set, replaces the real signature; signedBits replaces the whole
	// BIT STRING element.
	signedValue, signedBits []byte
}

// validSealSpec is a version 4 seal allowing p's signer, valid 2020..2040.
func validSealSpec(t testing.TB, p *testPKI) *sealSpec {
	t.Helper()
	pic := testPicture(t)
	return &sealSpec{
		header:       derSeq(derIA5("ES"), derInt(4), derIA5("TEST")),
		esID:         derIA5("11010500000001"),
		propType:     derInt(4),
		name:         derUTF8("测试审批专用章"),
		certListType: derInt(1),
		certList:     derSeq(derOctets(p.signerCert)),
		createDate:   derGT("20200101000000Z"),
		validStart:   derGT("20200101000000Z"),
		validEnd:     derGT("20400101000000Z"),
		picture:      derSeq(derIA5("PNG"), derOctets(pic.Data), derInt(40), derInt(40)),
		makerCert:    derOctets(p.makerCert),
		alg:          derOID(OIDSM2WithSM3),
		layout:       4,
	}
}

func (s *sealSpec) sealInfo() []byte {
	var prop []byte
	if s.property != nil {
		prop = s.property
	} else if s.v1Property {
		prop = derSeq(s.propType, s.name, s.certList, s.createDate, s.validStart, s.validEnd)
	} else {
		prop = derSeq(s.propType, s.name, s.certListType, s.certList, s.createDate, s.validStart, s.validEnd)
	}
	parts := [][]byte{s.header, s.esID, prop, s.picture}
	if s.extDatas != nil {
		parts = append(parts, s.extDatas)
	}
	return derSeq(parts...)
}

// encode signs and assembles the seal with the maker key.
func (s *sealSpec) encode(t testing.TB, makerKey crypto.Signer) []byte {
	t.Helper()
	info := s.sealInfo()
	if s.layout == 1 {
		signed := derSeq(info, s.makerCert, s.alg)
		sig := s.signedValue
		if sig == nil {
			var err error
			if sig, err = smcrypto.SignSM2(makerKey, nil, signed); err != nil {
				t.Fatal(err)
			}
		}
		bits := derBits(sig)
		if s.signedBits != nil {
			bits = s.signedBits
		}
		return derSeq(info, derSeq(s.makerCert, s.alg, bits))
	}
	sig := s.signedValue
	if sig == nil {
		var err error
		if sig, err = smcrypto.SignSM2(makerKey, nil, info); err != nil {
			t.Fatal(err)
		}
	}
	bits := derBits(sig)
	if s.signedBits != nil {
		bits = s.signedBits
	}
	parts := [][]byte{info, s.makerCert, s.alg, bits}
	if s.timeStamp != nil {
		parts = append(parts, s.timeStamp)
	}
	return derSeq(parts...)
}

// sigSpec holds the elements of an SES_Signature (version 4 unless layout is 1).
type sigSpec struct {
	version, eseal, timeInfo, dataHash, propertyInfo, extDatas []byte
	cert, alg, timeStamp                                       []byte
	layout                                                     int
	signedValue, signedBits                                    []byte
	signDataHashOnly                                           bool
}

func validSigSpec(t testing.TB, p *testPKI, sealDER []byte) *sigSpec {
	t.Helper()
	h := smcrypto.SM3([]byte("<Signature/>"))
	return &sigSpec{
		version:      derInt(4),
		eseal:        sealDER,
		timeInfo:     derGT("20240101120000Z"),
		dataHash:     derBits(h[:]),
		propertyInfo: derIA5("/Doc_0/Signs/Sign_0/Signature.xml"),
		cert:         derOctets(p.signerCert),
		alg:          derOID(OIDSM2WithSM3),
		layout:       4,
	}
}

func (s *sigSpec) encode(t testing.TB, signerKey crypto.Signer) []byte {
	t.Helper()
	var tbs []byte
	if s.layout == 1 {
		tbs = derSeq(s.version, s.eseal, s.timeInfo, s.dataHash, s.propertyInfo, s.cert, s.alg)
	} else {
		parts := [][]byte{s.version, s.eseal, s.timeInfo, s.dataHash, s.propertyInfo}
		if s.extDatas != nil {
			parts = append(parts, s.extDatas)
		}
		tbs = derSeq(parts...)
	}
	sig := s.signedValue
	if sig == nil {
		msg := tbs
		if s.signDataHashOnly {
			sig = signDigest(t, signerKey, s.dataHash[3:]) // the hash itself as e (vendor variant)
		} else {
			var err error
			if sig, err = smcrypto.SignSM2(signerKey, nil, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	bits := derBits(sig)
	if s.signedBits != nil {
		bits = s.signedBits
	}
	if s.layout == 1 {
		return derSeq(tbs, bits)
	}
	parts := [][]byte{tbs, s.cert, s.alg, bits}
	if s.timeStamp != nil {
		parts = append(parts, s.timeStamp)
	}
	return derSeq(parts...)
}

// signDigest signs e directly (no Z, no hashing), as the dms360 v1 signer does with dataHash.
func signDigest(t testing.TB, key crypto.Signer, e []byte) []byte {
	t.Helper()
	sig, err := key.Sign(rand.Reader, e, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// wantReason fails unless err is an *Error with the given reason.
func wantReason(t testing.TB, err error, want ErrorReason) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *seal.Error with reason %v", err, err, want)
	}
	if e.Reason != want {
		t.Fatalf("reason = %v (%v), want %v", e.Reason, err, want)
	}
}

func hasQuirk(quirks []string, substr string) bool {
	for _, q := range quirks {
		if strings.Contains(q, substr) {
			return true
		}
	}
	return false
}

func sha256Of(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
func sha1Of(b []byte) []byte   { h := sha1.Sum(b); return h[:] }

var (
	pictureOnce sync.Once
	pictureVal  Picture
	pictureErr  error
)

// testPicture is one generated picture shared by the tests that only need some valid picture.
func testPicture(t testing.TB) Picture {
	t.Helper()
	pictureOnce.Do(func() { pictureVal, pictureErr = GeneratePicture("测试审批专用章", "11010500000001", 40) })
	if pictureErr != nil {
		t.Fatal(pictureErr)
	}
	return pictureVal
}
