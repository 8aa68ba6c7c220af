package smcrypto

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// corpusFacts are what is known about each real-world SignedData in testdata/cms (read with
// openssl asn1parse when they were extracted).
var corpusFacts = []struct {
	file            string
	convention      CMSConvention
	encapType       OID
	contentLen      int // -1: detached
	certs           int
	digest, sig     OID
	signedAttrs     int
	contentTypeAttr OID // the contentType attribute, which should equal encapType but does not always
	essAlg          OID // "" if no ESS signingCertificate(V2)
	timestamp       bool
	signingTimeYear int // 0 if absent
}{
	{"pdf-01-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 3, OIDData, "", true, 0},
	{"pdf-01-sig2.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 3, OIDData, "", true, 0},
	{"pdf-02-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 4, OIDData, OIDSHA256, false, 0},
	{"pdf-03-sig1.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA256, OIDSHA256WithRSA, 3, OIDData, OIDSHA256, true, 0},
	{"pdf-03-sig2.p7s", ConventionPKCS7, "1.2.840.113549.1.9.16.1.4", 208, 3, OIDSHA256, OIDRSAEncryption, 4, "1.2.840.113549.1.9.16.1.4", OIDSHA256, false, 2020},
	{"pdf-04-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 4, OIDData, OIDSHA256, false, 0},
	{"pdf-05-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSM3, OIDSM2WithSM3, 4, OIDData, OIDSM3, false, 2026},
	{"pdf-08-sig1.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA1, OIDSHA1WithRSA, 3, OIDData, "", true, 0},
	{"pdf-10-sig1.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA256, OIDSHA256WithRSA, 5, OIDData, OIDSHA256, false, 2022},
	{"pdf-10-sig2.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA256, OIDSHA256WithRSA, 5, OIDData, OIDSHA256, false, 2022},
	{"pdf-11-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 4, OIDData, OIDSHA256, false, 0},
	{"pdf-12-sig2.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSM3, OIDSM2WithSM3, 4, OIDData, OIDSM3, false, 2026},
	{"pdf-14-sig1.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA256, OIDRSAEncryption, 5, OIDData, OIDSHA1, false, 2020},
	{"pdf-15-sig1.p7s", ConventionGMT0010, OIDGMData, -1, 1, OIDSM3, OIDSM2Sign, 4, OIDGMData, OIDSM3, false, 2026},
	{"pdf-16-sig1.p7s", ConventionPKCS7, OIDData, -1, 3, OIDSHA256, OIDRSAEncryption, 0, "", "", false, 0},
	{"pdf-18-sig1.p7s", ConventionPKCS7, OIDData, -1, 1, OIDSHA256, OIDSHA256WithRSA, 3, OIDData, "", false, 0},
	{"ofd-04-sign3.p7s", ConventionGMT0010, OIDGMData, 32, 1, OIDSM3, OIDSM2WithSM3, 0, "", "", false, 0},
	{"ofd-18-sign0.p7s", ConventionGMT0010, OIDData, -1, 1, OIDSM3, OIDSM2Sign, 3, OIDGMData, "", false, 2022},
	{"ofd-18-sign1.p7s", ConventionGMT0010, OIDData, -1, 1, OIDSM3, OIDSM2Sign, 3, OIDGMData, "", false, 2022},
	{"ofd-19-sign0.p7s", ConventionGMT0010, OIDGMData, -1, 1, OIDSM3, OIDSM2Sign, 3, OIDGMData, "", false, 2022},
}

func TestParseSignedDataCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/cms/*.p7s")
	if len(files) != len(corpusFacts) {
		t.Errorf("%d files in testdata/cms, %d described", len(files), len(corpusFacts))
	}
	for _, f := range corpusFacts {
		t.Run(f.file, func(t *testing.T) {
			data := readTestdata(t, "cms/"+f.file)
			sd, err := ParseSignedData(data)
			if err != nil {
				t.Fatal(err)
			}
			if sd.Convention != f.convention || sd.EncapContentType != f.encapType || sd.WasBER {
				t.Errorf("convention %v, encap %s, BER %v", sd.Convention, sd.EncapContentType, sd.WasBER)
			}
			if (f.contentLen < 0) != (sd.Content == nil) || (f.contentLen >= 0 && len(sd.Content) != f.contentLen) {
				t.Errorf("content %d bytes (nil %v), want %d", len(sd.Content), sd.Content == nil, f.contentLen)
			}
			if len(sd.Certificates) != f.certs || len(sd.RawCertificates) != f.certs {
				t.Errorf("%d certificates (%d raw), want %d", len(sd.Certificates), len(sd.RawCertificates), f.certs)
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			si := sd.Signers[0]
			if si.DigestAlgorithm != f.digest || si.SignatureAlgorithm != f.sig || len(si.SignedAttrs) != f.signedAttrs {
				t.Errorf("digest %s, sig %s, %d signed attributes", si.DigestAlgorithm, si.SignatureAlgorithm, len(si.SignedAttrs))
			}
			if si.SigningCertificateHashAlgorithm != f.essAlg || (f.essAlg != "") != (si.SigningCertificateHash != nil) {
				t.Errorf("ESS hash algorithm %q", si.SigningCertificateHashAlgorithm)
			}
			if (si.TimestampToken != nil) != f.timestamp {
				t.Errorf("timestamp token present: %v", si.TimestampToken != nil)
			}
			if f.timestamp {
				if ts, err := ParseSignedData(si.TimestampToken); err != nil || ts.EncapContentType != "1.2.840.113549.1.9.16.1.4" {
					t.Errorf("timestamp token is not a TSTInfo SignedData: %v", err)
				}
			}
			if y := si.SigningTime.Year(); (f.signingTimeYear == 0 && !si.SigningTime.IsZero()) || (f.signingTimeYear != 0 && y != f.signingTimeYear) {
				t.Errorf("signing time %v", si.SigningTime)
			}
			cert := sd.SignerCertificate(si)
			if cert == nil {
				t.Fatal("signer certificate not found")
			}
			if f.essAlg != "" {
				h, err := NewDigest(f.essAlg)
				if err != nil {
					t.Fatal(err)
				}
				h.Write(cert.Raw)
				if !bytes.Equal(h.Sum(nil), si.SigningCertificateHash) {
					t.Error("ESS certHash does not match the signer certificate")
				}
			}
			if f.signedAttrs > 0 {
				if si.ContentType != f.contentTypeAttr || len(si.MessageDigest) == 0 {
					t.Errorf("contentType attribute %s, messageDigest %x", si.ContentType, si.MessageDigest)
				}
				check, err := si.VerifySignature(cert)
				if err != nil {
					t.Fatalf("signature: %v", err)
				}
				if IsSM2PublicKey(cert.PublicKey) != (check.Algorithm == "SM2-with-SM3") {
					t.Errorf("algorithm %q for a %T key", check.Algorithm, cert.PublicKey)
				}
			}
			// /Contents padding is ignored, other trailing bytes are not.
			padded := append(append([]byte{}, data...), make([]byte, 300)...)
			if sd2, err := ParseSignedData(padded); err != nil || !bytes.Equal(sd2.Signers[0].Signature, si.Signature) {
				t.Errorf("zero-padded: %v", err)
			}
			if _, err := ParseSignedData(append(append([]byte{}, padded...), 0x01)); err == nil {
				t.Error("non-zero trailing byte accepted")
			}
			// The same structure in streaming BER parses to the same signed bytes.
			ber := toBER(t, data, 64)
			sdBER, err := ParseSignedData(ber)
			if err != nil {
				t.Fatalf("BER: %v", err)
			}
			if !sdBER.WasBER || !bytes.Equal(sdBER.Signers[0].SignedAttrsDER, si.SignedAttrsDER) ||
				!bytes.Equal(sdBER.Signers[0].Signature, si.Signature) || !bytes.Equal(sdBER.Content, sd.Content) {
				t.Error("BER form differs from DER form")
			}
		})
	}
}

// TestCorpusContentSignatures verifies the signers WITHOUT signed attributes against their
// content, streaming it through NewContentHash: an attached GM/T 0010 one (raw r||s signature
// value) and an RSA one over a PDF's ByteRange; and a PDF signature with signed attributes.
func TestCorpusContentSignatures(t *testing.T) {
	sd, err := ParseSignedData(readTestdata(t, "cms/ofd-04-sign3.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si)
	h, err := si.NewContentHash(cert)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(sd.Content)
	check, err := si.VerifyContentDigest(cert, h.Sum(nil))
	if err != nil || check.Encoding != EncodingRaw || check.Algorithm != "SM2-with-SM3" {
		t.Errorf("ofd-04: %+v %v", check, err)
	}
	if _, err := si.VerifySignature(cert); err == nil {
		t.Error("VerifySignature accepted a signer without signed attributes")
	}
	wrong := SM3([]byte("other"))
	if _, err := si.VerifyContentDigest(cert, wrong[:]); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("wrong content: %v", err)
	}

	for _, tt := range []struct {
		pdf, cms string
		attrs    bool
	}{
		{"pdf-16.pdf", "cms/pdf-16-sig1.p7s", false},
		{"pdf-15.pdf", "cms/pdf-15-sig1.p7s", true},
	} {
		t.Run(tt.pdf, func(t *testing.T) {
			pdf := readTestdata(t, tt.pdf)
			sd, err := ParseSignedData(readTestdata(t, tt.cms))
			if err != nil {
				t.Fatal(err)
			}
			si := sd.Signers[0]
			cert := sd.SignerCertificate(si)
			h, err := si.NewContentHash(cert)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range byteRange(t, pdf) {
				h.Write(pdf[r[0]:r[1]])
			}
			sum := h.Sum(nil)
			if tt.attrs {
				if !bytes.Equal(sum, si.MessageDigest) {
					t.Fatal("messageDigest does not match the ByteRange")
				}
				if _, err := si.VerifySignature(cert); err != nil {
					t.Fatal(err)
				}
				if _, err := si.VerifyContentDigest(cert, sum); err == nil {
					t.Error("VerifyContentDigest accepted a signer with signed attributes")
				}
				return
			}
			if check, err := si.VerifyContentDigest(cert, sum); err != nil || check.Algorithm != "RSA PKCS#1 v1.5 SHA-256" {
				t.Fatalf("%+v %v", check, err)
			}
			if _, err := si.VerifyContentDigest(cert, sum[:20]); err == nil {
				t.Error("short digest accepted")
			}
			if _, err := si.VerifyContentDigest(nil, sum); err == nil {
				t.Error("nil certificate accepted")
			}
			if _, err := si.NewContentHash(nil); err == nil {
				t.Error("NewContentHash(nil) accepted")
			}
		})
	}
}

// byteRange returns the [start, end) pieces of the PDF's only /ByteRange.
func byteRange(t *testing.T, pdf []byte) [][2]int {
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no ByteRange")
	}
	var v [4]int
	for i := range v {
		v[i], _ = strconv.Atoi(string(m[i+1]))
	}
	return [][2]int{{v[0], v[0] + v[1]}, {v[2], v[2] + v[3]}}
}

// TestSignedDataOpenSSL parses and verifies SignedData made by OpenSSL 3 with RSA (PKCS#1 v1.5
// and PSS), ECDSA, without signed attributes, streaming BER, and a subjectKeyIdentifier signer.
func TestSignedDataOpenSSL(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "data.bin", bytes.Repeat([]byte("eseal "), 1000))
	content, _ := os.ReadFile(data)
	runOpenSSL(t, nil, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rsa signer", "-days", "2",
		"-keyout", dir+"/rsa.key", "-out", dir+"/rsa.pem")
	runOpenSSL(t, nil, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=ec signer", "-days", "2", "-keyout", dir+"/ec.key", "-out", dir+"/ec.pem")
	tests := []struct {
		name      string
		key       string
		args      []string
		algorithm string
		attrs     bool
		attached  bool
		ber       bool
		ski       bool
		encoding  SigEncoding
	}{
		{"RSA", "rsa", nil, "RSA PKCS#1 v1.5 SHA-256", true, false, false, false, EncodingUnknown},
		{"RSA SHA-512", "rsa", []string{"-md", "sha512"}, "RSA PKCS#1 v1.5 SHA-512", true, false, false, false, EncodingUnknown},
		{"RSA-PSS", "rsa", []string{"-keyopt", "rsa_padding_mode:pss"}, "RSA-PSS SHA-256", true, false, false, false, EncodingUnknown},
		{"RSA no attributes", "rsa", []string{"-noattr"}, "RSA PKCS#1 v1.5 SHA-256", false, false, false, false, EncodingUnknown},
		{"RSA streaming BER attached", "rsa", []string{"-nodetach", "-stream"}, "RSA PKCS#1 v1.5 SHA-256", true, true, true, false, EncodingUnknown},
		{"RSA key identifier", "rsa", []string{"-keyid"}, "RSA PKCS#1 v1.5 SHA-256", true, false, false, true, EncodingUnknown},
		{"ECDSA", "ec", nil, "ECDSA P-256 SHA-256", true, false, false, false, EncodingDER},
		{"ECDSA no attributes", "ec", []string{"-noattr", "-md", "sha384"}, "ECDSA P-256 SHA-384", false, false, false, false, EncodingDER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := dir + "/out.der"
			args := append([]string{"cms", "-sign", "-binary", "-in", data, "-signer", dir + "/" + tt.key + ".pem",
				"-inkey", dir + "/" + tt.key + ".key", "-outform", "DER", "-out", out}, tt.args...)
			runOpenSSL(t, nil, args...)
			sd, err := ParseSignedData(readFile(t, out))
			if err != nil {
				t.Fatal(err)
			}
			if sd.WasBER != tt.ber || (sd.Content != nil) != tt.attached {
				t.Errorf("BER %v, content %d bytes", sd.WasBER, len(sd.Content))
			}
			if tt.attached && !bytes.Equal(sd.Content, content) {
				t.Error("attached content differs")
			}
			si := sd.Signers[0]
			if tt.ski != (si.SubjectKeyID != nil) || tt.ski == (si.SerialNumber != nil) {
				t.Errorf("signer identifier: SKI %x, serial %v", si.SubjectKeyID, si.SerialNumber)
			}
			cert := sd.SignerCertificate(si)
			if cert == nil {
				t.Fatal("signer certificate not found")
			}
			h, err := si.NewContentHash(cert)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(content)
			sum := h.Sum(nil)
			var check SignatureCheck
			if tt.attrs {
				if !bytes.Equal(sum, si.MessageDigest) {
					t.Fatal("messageDigest mismatch")
				}
				check, err = si.VerifySignature(cert)
			} else {
				check, err = si.VerifyContentDigest(cert, sum)
			}
			if err != nil {
				t.Fatal(err)
			}
			if check.Algorithm != tt.algorithm || check.Encoding != tt.encoding || check.SignerID != "" {
				t.Errorf("check %+v", check)
			}
			// Tampering is detected as a mismatch, not as malformed input.
			mod := *si
			mod.Signature = append([]byte{}, si.Signature...)
			mod.Signature[len(mod.Signature)/2] ^= 0x10
			if tt.attrs {
				_, err = mod.VerifySignature(cert)
			} else {
				_, err = mod.VerifyContentDigest(cert, sum)
			}
			if !errors.Is(err, ErrSignatureMismatch) && !errors.Is(err, ErrMalformedSignature) {
				t.Errorf("tampered signature: %v", err)
			}
			if tt.key == "rsa" && !errors.Is(err, ErrSignatureMismatch) {
				t.Errorf("tampered RSA signature: %v", err)
			}
		})
	}
}

// TestECDSARawSignature: an ECDSA value given as raw r||s is accepted and reported.
func TestECDSARawSignature(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "data.bin", []byte("raw"))
	runOpenSSL(t, nil, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
		"-subj", "/CN=ec", "-days", "2", "-keyout", dir+"/k", "-out", dir+"/c")
	runOpenSSL(t, nil, "cms", "-sign", "-binary", "-in", data, "-signer", dir+"/c", "-inkey", dir+"/k", "-outform", "DER", "-out", dir+"/o", "-md", "sha384")
	sd, err := ParseSignedData(readFile(t, dir+"/o"))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si)
	r, s, enc, err := DecodeSignature(si.Signature, 48)
	if err != nil || enc != EncodingDER {
		t.Fatal(err)
	}
	mod := *si
	mod.Signature = make([]byte, 96)
	r.FillBytes(mod.Signature[:48])
	s.FillBytes(mod.Signature[48:])
	check, err := mod.VerifySignature(cert)
	if err != nil || check.Encoding != EncodingRaw || check.Algorithm != "ECDSA P-384 SHA-384" {
		t.Errorf("%+v %v", check, err)
	}
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatal("not an ECDSA certificate")
	}
}

func TestSignerCertificate(t *testing.T) {
	p := newTestPKI(t)
	d := SM3(nil)
	sd, err := ParseSignedData(buildTestCMS(t, p, d[:], SignedDataOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	// The issuer name re-encoded (UTF8String instead of PrintableString) still matches.
	reencoded := bytes.Replace(p.inter.RawSubject, []byte("\x13\x0eTest Region CA"), []byte("\x0c\x0eTest Region CA"), 1)
	if bytes.Equal(reencoded, p.inter.RawSubject) {
		t.Fatal("test setup: the CN was not a PrintableString")
	}
	mod := *si
	mod.IssuerRaw = reencoded
	if c := sd.SignerCertificate(&mod); c == nil || !c.Equal(p.leaf) {
		t.Error("re-encoded issuer name not matched")
	}
	mod.IssuerRaw = p.root.RawSubject
	if c := sd.SignerCertificate(&mod); c != nil {
		t.Error("wrong issuer matched")
	}
	mod.IssuerRaw = []byte{0x30, 0x01}
	if c := sd.SignerCertificate(&mod); c != nil {
		t.Error("garbage issuer matched")
	}
	mod = *si
	mod.SerialNumber.Add(mod.SerialNumber, bigOne())
	defer mod.SerialNumber.Sub(mod.SerialNumber, bigOne())
	if c := sd.SignerCertificate(&SignerInfo{SerialNumber: mod.SerialNumber, IssuerRaw: si.IssuerRaw}); c != nil {
		t.Error("wrong serial matched")
	}
	// By subject key identifier, including a certificate without the extension.
	if c := sd.SignerCertificate(&SignerInfo{SubjectKeyID: p.leaf.SubjectKeyId}); c == nil || !c.Equal(p.leaf) {
		t.Error("SKI not matched")
	}
	noSKI := *sd
	leafCopy := *p.leaf
	leafCopy.SubjectKeyId = nil
	noSKI.Certificates = []*Certificate{&leafCopy}
	if c := noSKI.SignerCertificate(&SignerInfo{SubjectKeyID: p.leaf.SubjectKeyId}); c == nil {
		t.Error("SKI computed from the key not matched")
	}
	if c := sd.SignerCertificate(&SignerInfo{SubjectKeyID: []byte{1, 2, 3}}); c != nil {
		t.Error("unknown SKI matched")
	}
	if sd.SignerCertificate(nil) != nil || (*SignedData)(nil).SignerCertificate(si) != nil || sd.SignerCertificate(&SignerInfo{}) != nil {
		t.Error("nil cases")
	}
}

func TestParseSignedDataMalformed(t *testing.T) {
	p := newTestPKI(t)
	d := SM3(nil)
	good := buildTestCMS(t, p, d[:], SignedDataOptions{})
	if _, err := ParseSignedData(good); err != nil {
		t.Fatal(err)
	}
	// Parts of a SignedData, reassembled with one part broken at a time.
	sm3Alg := seq(oidTLV(t, OIDSM3))
	attr := func(o OID, values ...[]byte) []byte { return seq(oidTLV(t, o), tlv(0x31, values...)) }
	md := attr(OIDAttributeMessageDigest, tlv(0x04, d[:]))
	ct := attr(OIDAttributeContentType, oidTLV(t, OIDData))
	ias := seq(p.leaf.RawIssuer, tlv(0x02, p.leaf.SerialNumber.Bytes()))
	signer := func(attrs ...[]byte) []byte {
		return seq(tlv(0x02, []byte{1}), ias, sm3Alg, tlv(0xa0, attrs...), seq(oidTLV(t, OIDSM2Sign)), tlv(0x04, []byte{0x30, 0}))
	}
	sd := func(signers ...[]byte) []byte {
		return seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31, sm3Alg),
			seq(oidTLV(t, OIDData)), tlv(0xa0, p.leaf.Raw), tlv(0x31, signers...))))
	}
	if parsed, err := ParseSignedData(sd(signer(ct, md))); err != nil || len(parsed.Signers) != 1 {
		t.Fatalf("test assembly is not valid: %v", err)
	}
	cases := map[string][]byte{
		"empty":                       nil,
		"emmansun panic 5f 4d":        {0x5f, 0x4d},
		"emmansun panic 30 82 06":     {0x30, 0x82, 0x06},
		"truncated":                   good[:len(good)-1],
		"not a SEQUENCE":              tlv(0x31),
		"id-data ContentInfo":         seq(oidTLV(t, OIDData), tlv(0xa0, tlv(0x04, []byte("x")))),
		"no content":                  seq(oidTLV(t, OIDSignedData)),
		"bad OID":                     seq(tlv(0x06, []byte{0x80}), tlv(0xa0, seq())),
		"empty SignedData":            seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq())),
		"no signerInfos":              seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData))))),
		"duplicate messageDigest":     sd(signer(ct, md, md)),
		"messageDigest two values":    sd(signer(ct, attr(OIDAttributeMessageDigest, tlv(0x04, d[:]), tlv(0x04, d[:])))),
		"messageDigest not OCTETS":    sd(signer(ct, attr(OIDAttributeMessageDigest, tlv(0x02, []byte{1})))),
		"contentType not OID":         sd(signer(attr(OIDAttributeContentType, tlv(0x04)), md)),
		"signingTime garbage":         sd(signer(ct, md, attr(OIDAttributeSigningTime, tlv(0x17, []byte("yesterday"))))),
		"ESS v2 empty":                sd(signer(ct, md, attr(OIDAttributeSigningCertificateV2, seq()))),
		"ESS v1 no hash":              sd(signer(ct, md, attr(OIDAttributeSigningCertificate, seq(seq(seq()))))),
		"ESS v2 bad hash algorithm":   sd(signer(ct, md, attr(OIDAttributeSigningCertificateV2, seq(seq(seq(seq(tlv(0x06)), tlv(0x04))))))),
		"eseal not OCTETS":            sd(signer(ct, md, attr(OIDAttributeESeal, tlv(0x0c, []byte("x"))))),
		"attribute without values":    sd(signer(ct, md, seq(oidTLV(t, "1.2.3")))),
		"attribute bad type":          sd(signer(ct, md, seq(tlv(0x06), tlv(0x31)))),
		"attribute not SEQUENCE":      sd(signer(ct, md, tlv(0x04))),
		"bad signer version":          sd(seq(tlv(0x02, []byte{0x80}))),
		"bad signer identifier":       sd(seq(tlv(0x02, []byte{1}), tlv(0x04))),
		"issuerAndSerial no serial":   sd(seq(tlv(0x02, []byte{1}), seq(p.leaf.RawIssuer))),
		"no digestAlgorithm":          sd(seq(tlv(0x02, []byte{1}), ias)),
		"no signatureAlgorithm":       sd(seq(tlv(0x02, []byte{1}), ias, sm3Alg, tlv(0xa0, ct, md))),
		"no signature":                sd(seq(tlv(0x02, []byte{1}), ias, sm3Alg, seq(oidTLV(t, OIDSM2Sign)))),
		"trailing in SignerInfo":      sd(seq(tlv(0x02, []byte{1}), ias, sm3Alg, seq(oidTLV(t, OIDSM2Sign)), tlv(0x04), tlv(0x05))),
		"bad unsignedAttrs":           sd(seq(tlv(0x02, []byte{1}), ias, sm3Alg, seq(oidTLV(t, OIDSM2Sign)), tlv(0x04), tlv(0xa1, tlv(0x04)))),
		"algorithm params trailing":   sd(seq(tlv(0x02, []byte{1}), ias, seq(oidTLV(t, OIDSM3), tlv(0x05), tlv(0x05)))),
		"signerInfo not SEQUENCE":     sd(tlv(0x04)),
		"digestAlgorithms not SET":    seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), seq()))),
		"digestAlgorithm garbage":     seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31, tlv(0x04))))),
		"no encapContentInfo":         seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31)))),
		"encap type not OID":          seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(tlv(0x04))))),
		"encap content not [0]":       seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData), tlv(0x04))))),
		"encap OCTETS then junk":      seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData), tlv(0xa0, tlv(0x04), tlv(0x04)))))),
		"encap ANY then junk":         seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData), tlv(0xa0, seq(), seq()))))),
		"certificates garbage":        seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData)), tlv(0xa0, []byte{0x30})))),
		"crls garbage":                seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData)), tlv(0xa1, []byte{0x30})))),
		"data after signerInfos":      seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData)), tlv(0x31), tlv(0x05)))),
		"ContentInfo trailing field":  seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq()), tlv(0x05)),
		"non-zero trailing byte":      append(append([]byte{}, good...), 0, 0, 7),
		"BER with missing EOC":        append([]byte{0x30, 0x80}, good[4:]...),
		"version out of range":        seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{0x7f, 0xff}), tlv(0x31), seq(oidTLV(t, OIDData)), tlv(0x31)))),
		"ESS v2 certs not SEQUENCE":   sd(signer(ct, md, attr(OIDAttributeSigningCertificateV2, seq(tlv(0x04))))),
		"signed attrs not a SET body": sd(seq(tlv(0x02, []byte{1}), ias, sm3Alg, []byte{0xa0, 0x01, 0x04})),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			sd, err := ParseSignedData(in)
			if err == nil {
				t.Fatalf("accepted: %+v", sd)
			}
			var pe *ParseError
			if !errors.As(err, &pe) && !strings.Contains(err.Error(), "malformed") {
				t.Errorf("error %v is not a ParseError", err)
			}
		})
	}
	// Accepted variations: attribute certificates and CRLs are kept raw or skipped, PKCS#7 ANY
	// content, empty content, SKI signer identifiers, unknown unsigned attributes.
	anyContent := seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData), tlv(0xa0, seq(tlv(0x02, []byte{5})))),
		tlv(0xa0, p.leaf.Raw, tlv(0xa1, tlv(0x02, []byte{1}))), tlv(0xa1, seq(), tlv(0xa1)), tlv(0x31, seq(tlv(0x02, []byte{3}), tlv(0x80, []byte{9, 9}), sm3Alg, seq(oidTLV(t, OIDSM2Sign)), tlv(0x04), tlv(0xa1, attr("1.2.3", tlv(0x05))))))))
	parsed, err := ParseSignedData(anyContent)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Content, seq(tlv(0x02, []byte{5}))) || len(parsed.RawCertificates) != 1 || len(parsed.CRLs) != 2 ||
		!bytes.Equal(parsed.Signers[0].SubjectKeyID, []byte{9, 9}) || parsed.Signers[0].Version != 3 || len(parsed.Signers[0].UnsignedAttrs) != 1 {
		t.Errorf("variations: %+v", parsed)
	}
	emptyContent := seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData), tlv(0xa0, tlv(0x04))), tlv(0x31))))
	if parsed, err := ParseSignedData(emptyContent); err != nil || parsed.Content == nil || len(parsed.Content) != 0 {
		t.Errorf("empty attached content should be non-nil and empty: %v", err)
	}
	// A certificate that does not parse is kept raw with its error.
	badCert := seq(seq(tlv(0x02, []byte{1})))
	withBad := seq(oidTLV(t, OIDSignedData), tlv(0xa0, seq(tlv(0x02, []byte{1}), tlv(0x31), seq(oidTLV(t, OIDData)), tlv(0xa0, badCert, p.leaf.Raw), tlv(0x31))))
	parsed, err = ParseSignedData(withBad)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.RawCertificates) != 2 || len(parsed.Certificates) != 1 || parsed.CertificateErrors[0] == nil || parsed.CertificateErrors[1] != nil {
		t.Errorf("raw certificates %d, parsed %d", len(parsed.RawCertificates), len(parsed.Certificates))
	}
	// UTCTime without seconds (seen in old producers) is read.
	lenient := sd(signer(ct, md, attr(OIDAttributeSigningTime, tlv(0x17, []byte("2107011230Z")))))
	if parsed, err := ParseSignedData(lenient); err != nil || parsed.Signers[0].SigningTime.Year() != 2021 {
		t.Errorf("UTCTime without seconds: %v", err)
	}
}

func TestParseErrorMessage(t *testing.T) {
	e := &ParseError{Where: "SignerInfo 1", Err: errors.New("version")}
	if e.Error() != "smcrypto: malformed CMS SignerInfo 1: version" || !errors.Is(e, e.Err) {
		t.Errorf("%q", e.Error())
	}
	if (&ParseError{Where: "x"}).Error() != "smcrypto: malformed CMS x" {
		t.Error("message without cause")
	}
}

// Small DER assembly helpers for malformed inputs.
func tlv(tag byte, parts ...[]byte) []byte { return appendElement(nil, tag, bytes.Join(parts, nil)) }
func seq(parts ...[]byte) []byte           { return tlv(0x30, parts...) }
func oidTLV(t testing.TB, o OID) []byte {
	t.Helper()
	b, err := o.MarshalDER()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bigOne() *big.Int { return big.NewInt(1) }

// TestParseSignedDataKnown checks that a known certificate stands for the SignedData's
// certificate with the same DER, and only for that one.
func TestParseSignedDataKnown(t *testing.T) {
	p := newTestPKI(t)
	digest := SM3([]byte("signed bytes"))
	der := buildTestCMS(t, p, digest[:], SignedDataOptions{})
	// A copy of the root, parsed on its own as a caller's trust anchor would be.
	root, err := ParseCertificate(bytes.Clone(p.root.Raw))
	if err != nil {
		t.Fatal(err)
	}
	other := mustCert(t, caTemplate("Another Root"), p.rootKey.Public(), nil, p.rootKey)
	plain, err := ParseSignedData(der)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := ParseSignedDataWithOptions(der, ParseOptions{Known: []*Certificate{nil, other, root}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Certificates) != 3 || len(plain.Certificates) != 3 {
		t.Fatalf("%d and %d certificates, want 3", len(sd.Certificates), len(plain.Certificates))
	}
	for i, c := range sd.Certificates {
		if !bytes.Equal(c.Raw, plain.Certificates[i].Raw) || !c.Equal(plain.Certificates[i]) {
			t.Errorf("certificate %d differs from the one parsed without options", i)
		}
		if isRoot := bytes.Equal(c.Raw, root.Raw); isRoot != (c == root) {
			t.Errorf("certificate %d (%s): taken from the known ones %v, want %v", i, c.Subject, c == root, isRoot)
		}
		if c == other {
			t.Errorf("certificate %d is the known certificate of another DER", i)
		}
	}
	if got := sd.SignerCertificate(sd.Signers[0]); got == nil || !got.Equal(p.leaf) {
		t.Errorf("signer certificate %v, want the leaf", got)
	}
}
