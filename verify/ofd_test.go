package verify

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testofd"
)

func verifyOFDFile(t *testing.T, name string, opts Options) *Report {
	t.Helper()
	f, err := os.Open("testdata/ofd/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyOFD(context.Background(), f, st.Size(), opts)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rep
}

// ofdVerdict is what a careful expert says of one signature: its verdict and the words that
// must explain it, in the check that decides.
type ofdVerdict struct {
	ind   Indication
	sub   SubIndication
	check CheckName
	says  string
}

var untrusted = ofdVerdict{Indeterminate, NoCertificateChainFound, ChainCheck, "cannot be traced to a trusted root"}

// TestOFDCorpus judges each real OFD document of the corpus as an expert does. No root of these
// issuers is available: a document intact and correctly signed is INDETERMINATE
// (NO_CERTIFICATE_CHAIN_FOUND), never TOTAL_PASSED; its seals and certificates have all expired
// by now, which alone fails nothing, since the signing time decides.
func TestOFDCorpus(t *testing.T) {
	tests := []struct {
		file string
		why  string
		want []ofdVerdict
	}{
		{"ofd-01.ofd", "a tax e-invoice (Chongqing) whose Document.xml was changed after sealing: the same invoice as ofd-06, edited",
			[]ofdVerdict{{TotalFailed, HashFailure, ReferencesCheck, "/Doc_0/Document.xml (its SM3 is"}}},
		{"ofd-02.ofd", "an ICBC bank e-receipt: intact, sealed under CFCA, untrusted here; its signing time is written without a zone and its dataHash BIT STRING has unused bits (tolerated, warned)",
			[]ofdVerdict{untrusted}},
		{"ofd-03.ofd", "another ICBC e-receipt, its certificate expired since: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-04.ofd", "real-estate registration papers with a seal and a GM/T 0010 signature; OFD.xml, Document.xml and the page were changed after both: both broke",
			[]ofdVerdict{{TotalFailed, HashFailure, ReferencesCheck, "3 protected files changed after signing"}, {TotalFailed, HashFailure, ReferencesCheck, "3 protected files changed after signing"}}},
		{"ofd-05.ofd", "a bank e-receipt by DianJu: a BaseLoc relative to Signatures.xml, SignValue.dat, a non-strict DER signature value (tolerated): intact, untrusted",
			[]ofdVerdict{untrusted}},
		{"ofd-06.ofd", "the Chongqing tax e-invoice, unmodified: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-07.ofd", "an e-licence: a marriage certificate sealed with the Suzhou civil-affairs e-licence seal: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-08.ofd", "a Zhejiang e-invoice platform seal: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-09.ofd", "a China Everbright Bank receipt, its seal maker's signature raw r‖s (tolerated): intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-10.ofd", "an ofdrw Type=\"Sign\" bare SM2 signature: it carries no certificate, so without one it cannot be checked",
			[]ofdVerdict{{Indeterminate, NoSigningCertificateFound, FormatCheck, "without the signer's certificate"}}},
		{"ofd-11.ofd", "ofdrw's test seal: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-12.ofd", "a Baiwang e-invoice: intact, untrusted; a template page it does not protect is noted", []ofdVerdict{untrusted}},
		{"ofd-13.ofd", "a riding seal (骑缝章) across five pages: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-14.ofd", "two seals, the first protecting Signatures.xml (no later signature allowed): the second broke the first",
			[]ofdVerdict{{TotalFailed, HashFailure, ReferencesCheck, "allowed no later signature"}, untrusted}},
		{"ofd-15.ofd", "a Jiangsu tax e-invoice: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-16.ofd", "not signed", nil},
		{"ofd-17.ofd", "Yunnan housing-department papers with two seals, signer certificates strict X.509 rejects (keys read leniently); two pages changed after sealing: both broke",
			[]ofdVerdict{{TotalFailed, HashFailure, ReferencesCheck, "/Doc_0/Pages/Page_0/Content.xml"}, {TotalFailed, HashFailure, ReferencesCheck, "/Doc_0/Pages/Page_0/Content.xml"}}},
		{"ofd-18.ofd", "two GM/T 0010 SignedData signatures (Type=\"Sign\"), detached: intact, untrusted", []ofdVerdict{untrusted, untrusted}},
		{"ofd-19.ofd", "a railway e-ticket, a GM/T 0010 SignedData signature: intact, untrusted", []ofdVerdict{untrusted}},
		{"ofd-20.ofd", "a GM/T 0031-2014 (version 1) seal by dms360 whose signature signs only the dataHash; neither the dataHash nor any Reference matches the files (with or without the signer's Z): changed after signing",
			[]ofdVerdict{{TotalFailed, HashFailure, ReferencesCheck, "5 protected files changed after signing"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep := verifyOFDFile(t, tt.file, Options{RevocationPolicy: RevocationSoftFail})
			if len(rep.Signatures) != len(tt.want) {
				t.Fatalf("%d signatures, want %d (%s)", len(rep.Signatures), len(tt.want), tt.why)
			}
			if tt.want == nil && rep.Indication != NoSignatureFound {
				t.Errorf("%s, want NO_SIGNATURE_FOUND", rep.Indication)
			}
			for i, w := range tt.want {
				s := rep.Signatures[i]
				if s.Indication != w.ind || s.SubIndication != w.sub {
					t.Errorf("signature %d: %s %s, want %s %s (%s)\n%s", i+1, s.Indication, s.SubIndication, w.ind, w.sub, tt.why, checksText(s))
					continue
				}
				if c := checkOf(s, w.check); !strings.Contains(c.Detail, w.says) {
					t.Errorf("signature %d: the %s check says %q, not %q", i+1, w.check, c.Detail, w.says)
				}
				if s.Indication != TotalFailed && s.Seal == nil && strings.HasPrefix(s.Format, "OFD Seal") {
					t.Errorf("signature %d: a seal signature without its seal in the report", i+1)
				}
			}
		})
	}
}

func checkOf(s SignatureReport, name CheckName) Check {
	for _, c := range s.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func checksText(s SignatureReport) string {
	var b strings.Builder
	for _, c := range s.Checks {
		b.WriteString("  " + string(c.Name) + " " + string(c.Status) + ": " + c.Detail + "\n")
	}
	return b.String()
}

// TestOFDFacts: what an OFD signature's report says besides its verdict: the stamps' pages and
// boxes, the seal, the signing time, the files left unprotected, whether later signatures were
// allowed, the tolerated deviations as warnings.
func TestOFDFacts(t *testing.T) {
	rep := verifyOFDFile(t, "ofd-13.ofd", Options{RevocationPolicy: RevocationSoftFail})
	s := rep.Signatures[0]
	if len(s.Stamps) != 5 || s.Stamps[0].PageRef == "" || s.Stamps[0].Width <= 0 {
		t.Errorf("riding seal stamps %+v", s.Stamps)
	}
	if s.Seal == nil || s.Seal.Name != "OFD R&W 测试用印章" || s.SigningTime == nil || rep.Document.Format != "OFD" || len(rep.Document.SHA256) != 64 ||
		s.Seal.Picture == nil || s.Seal.Picture.Type != "PNG" || s.Seal.Picture.WidthMM != 40 || s.Seal.Picture.Size == 0 {
		t.Errorf("seal %+v signing time %v document %+v", s.Seal, s.SigningTime, rep.Document)
	}
	// The signing time decides: the seal and the certificate were valid then, though not now.
	if c := checkOf(s, SealCheck); !strings.Contains(c.Detail, "covers the claimed signing time") {
		t.Errorf("seal check: %s", c.Detail)
	}

	rep = verifyOFDFile(t, "ofd-12.ofd", Options{RevocationPolicy: RevocationSoftFail})
	if c := checkOf(rep.Signatures[0], LaterChangesCheck); c.Status != CheckWarning || !strings.Contains(c.Detail, "Doc_0/Temps/Temp_0/Content.xml") ||
		!strings.Contains(c.Detail, "later signatures were allowed") || rep.Signatures[0].Coverage != "partial" {
		t.Errorf("later changes: %s %q (coverage %s)", c.Status, c.Detail, rep.Signatures[0].Coverage)
	}
	rep = verifyOFDFile(t, "ofd-02.ofd", Options{RevocationPolicy: RevocationSoftFail})
	if c := checkOf(rep.Signatures[0], FormatCheck); c.Status != CheckWarning || !strings.Contains(c.Detail, "tolerated deviation from the standard") {
		t.Errorf("format: %s %q", c.Status, c.Detail)
	}
	if rep := verifyOFDFile(t, "ofd-16.ofd", Options{}); len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0], "lists no signatures") {
		t.Errorf("unsigned: %v", rep.Findings)
	}
}

// TestOFDBareSM2WithCertificate: given its signer's certificate, ofd-10's bare SM2 signature
// verifies over Signature.xml; given another, it does not.
func TestOFDBareSM2WithCertificate(t *testing.T) {
	user := loadCerts(t, "testdata/ofdrw_user_cert.pem")
	rep := verifyOFDFile(t, "ofd-10.ofd", Options{RevocationPolicy: RevocationSoftFail, Certificates: user})
	s := rep.Signatures[0]
	if s.Indication != Indeterminate || s.SubIndication != NoCertificateChainFound || checkOf(s, SignatureValueCheck).Status != CheckPassed ||
		checkOf(s, ReferencesCheck).Status != CheckPassed {
		t.Errorf("with its certificate: %s %s\n%s", s.Indication, s.SubIndication, checksText(s))
	}
	// Given a certificate that is not its signer's, the signature does not verify with its key.
	other := loadCerts(t, "testdata/corpus/sm2-test-root.pem")
	rep = verifyOFDFile(t, "ofd-10.ofd", Options{RevocationPolicy: RevocationSoftFail, Certificates: other})
	if s := rep.Signatures[0]; checkOf(s, SignatureValueCheck).Status != CheckFailed {
		t.Errorf("with another certificate: %s %s\n%s", s.Indication, s.SubIndication, checksText(s))
	}
}

func TestOFDBadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		reason InputErrorReason
	}{
		{"a PDF", []byte("%PDF-1.7\n"), InputNotOFD},
		{"empty", nil, InputNotOFD},
	} {
		rep, err := VerifyOFD(context.Background(), strings.NewReader(string(tc.data)), int64(len(tc.data)), Options{})
		var ie *InputError
		if rep != nil || !errors.As(err, &ie) || ie.Reason != tc.reason {
			t.Errorf("%s: %v %v", tc.name, rep, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := os.ReadFile("testdata/ofd/ofd-06.ofd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyOFD(ctx, strings.NewReader(string(b)), int64(len(b)), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := VerifyOFD(context.Background(), nil, 1, Options{}); err == nil {
		t.Error("no reader: no error")
	}
}

// signOFDWithCMS builds an OFD (the sample licence) with one Type="Sign" signature whose
// SignedValue.dat is a GM/T 0010 SignedData by the test signer, made by cms from the
// Signature.xml it signs.
func signOFDWithCMS(t *testing.T, p *pki, cms func(sigXML []byte) []byte) []byte {
	t.Helper()
	base := testofd.DefaultLicence.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		members[f.Name] = b
		names = append(names, f.Name)
	}
	members["OFD.xml"] = bytes.Replace(members["OFD.xml"], []byte("</ofd:DocRoot>"), []byte("</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>"), 1)
	var refs strings.Builder
	for _, n := range names {
		sum := smcrypto.SM3(members[n])
		fmt.Fprintf(&refs, `<ofd:Reference FileRef="/%s"><ofd:CheckValue>%s</ofd:CheckValue></ofd:Reference>`, n, base64.StdEncoding.EncodeToString(sum[:]))
	}
	sigXML := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider ProviderName="test"/><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:SignatureDateTime>20260501120000Z</ofd:SignatureDateTime><ofd:References CheckMethod="SM3">` +
		refs.String() + `</ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`)
	members["Doc_0/Signs/Signatures.xml"] = []byte(`<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" Type="Sign" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>`)
	members["Doc_0/Signs/Sign_0/Signature.xml"] = sigXML
	members["Doc_0/Signs/Sign_0/SignedValue.dat"] = cms(sigXML)
	names = append(names, "Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat")
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write(members[n])
	}
	zw.Close()
	return out.Bytes()
}

// TestOFDSignCMSForms: a GM/T 0010 SignedData signature of an OFD may be detached, encapsulate
// the SM3 of Signature.xml, or encapsulate Signature.xml itself; an encapsulated content that is
// not the signed file fails the integrity check.
func TestOFDSignCMSForms(t *testing.T) {
	p := newPKI(t, nil)
	build := func(digest []byte) []byte {
		der, err := smcrypto.BuildDetachedSignedData(digest, p.SignerKey, []*smcrypto.Certificate{p.Signer, p.Root},
			smcrypto.SignedDataOptions{Convention: smcrypto.ConventionGMT0010, SigningTime: tSign})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sm3 := func(b []byte) []byte { s := smcrypto.SM3(b); return s[:] }
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}, CurrentTime: tNow}
	for _, tc := range []struct {
		name string
		cms  func(sigXML []byte) []byte
		ind  Indication
		sub  SubIndication
	}{
		{"detached", func(x []byte) []byte { return build(sm3(x)) }, TotalPassed, ""},
		{"encapsulating the SM3 of Signature.xml", func(x []byte) []byte { d := sm3(x); return encapsulateCMS(t, build(sm3(d)), d) }, TotalPassed, ""},
		{"attached Signature.xml", func(x []byte) []byte { return encapsulateCMS(t, build(sm3(x)), x) }, TotalPassed, ""},
		{"attached other content", func(x []byte) []byte { o := []byte("other"); return encapsulateCMS(t, build(sm3(o)), o) }, TotalFailed, HashFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := signOFDWithCMS(t, p, tc.cms)
			rep, err := VerifyOFD(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Indication != tc.ind || s.SubIndication != tc.sub {
				t.Errorf("%s %s, want %s %s\n%s", s.Indication, s.SubIndication, tc.ind, tc.sub, checksText(s))
			}
		})
	}
}
