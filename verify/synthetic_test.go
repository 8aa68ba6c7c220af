package verify

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/sync/semaphore"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpki"
)

// expect is what a test asserts about one signature.
type expect struct {
	ind    Indication
	sub    SubIndication
	status map[CheckName]CheckStatus // check name → status
	detail map[CheckName][]string    // check name → substrings its detail must contain
}

func assertSignature(t *testing.T, rep *Report, i int, e expect) {
	t.Helper()
	if i >= len(rep.Signatures) {
		t.Fatalf("report has %d signatures, want at least %d", len(rep.Signatures), i+1)
	}
	s := rep.Signatures[i]
	if s.Indication != e.ind || s.SubIndication != e.sub {
		t.Errorf("signature %d: %s/%s, want %s/%s\n%s", i+1, s.Indication, s.SubIndication, e.ind, e.sub, dumpChecks(s))
	}
	byName := map[CheckName]Check{}
	for _, c := range s.Checks {
		byName[c.Name] = c
	}
	for name, st := range e.status {
		c, ok := byName[name]
		if !ok {
			t.Errorf("signature %d: no %q check\n%s", i+1, name, dumpChecks(s))
			continue
		}
		if c.Status != st {
			t.Errorf("signature %d: check %q is %s, want %s: %s", i+1, name, c.Status, st, c.Detail)
		}
	}
	for name, subs := range e.detail {
		c := byName[name]
		for _, sub := range subs {
			if !strings.Contains(c.Detail, sub) {
				t.Errorf("signature %d: check %q detail lacks %q: %s", i+1, name, sub, c.Detail)
			}
		}
	}
}

func dumpChecks(s SignatureReport) string {
	var b strings.Builder
	for _, c := range s.Checks {
		b.WriteString("  " + string(c.Status) + " " + string(c.Name) + ": " + c.Detail + "\n")
	}
	return b.String()
}

// sealedDoc is the common case: a document signed once by the pki's signer with a seal that
// allows it and is valid around the signing time.
func sealedDoc(t *testing.T, p *pki, o sigOpts) *doc {
	d := newDoc()
	o.pki = p
	if o.seal == nil {
		o.seal = makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	}
	d.addSignature(t, o)
	return d
}

func TestSyntheticSignatures(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	good := &fakeRevocation{}
	seal := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))

	type tc struct {
		name string
		data func(t *testing.T) []byte
		opts Options
		want expect
	}
	passedAll := map[CheckName]CheckStatus{FormatCheck: CheckPassed, ByteRangeCheck: CheckPassed, IntegrityCheck: CheckPassed,
		SignatureValueCheck: CheckPassed, SignerCertificateCheck: CheckPassed, SealCheck: CheckPassed, ChainCheck: CheckPassed,
		ValidityCheck: CheckPassed, RevocationCheck: CheckPassed, AlgorithmsCheck: CheckPassed, LaterChangesCheck: CheckPassed}
	cases := []tc{
		{
			name: "valid SM2, PKCS#7 OIDs",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, status: passedAll, detail: map[CheckName][]string{
				SignatureValueCheck: {"SM2-with-SM3", "signer ID 1234567812345678", "DER-encoded"},
				SealCheck:           {"某市行政审批局审批专用章", "allowed signers", "maker's SM2 signature over the seal verifies"},
				ChainCheck:          {"Test Region Root"},
				IntegrityCheck:      {"SM3", "equal to the signed messageDigest"},
			}},
		},
		{
			name: "valid SM2, GM/T 0010 OIDs",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, convention: smcrypto.ConventionGMT0010}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, status: passedAll, detail: map[CheckName][]string{FormatCheck: {"GM/T 0010 OIDs"}}},
		},
		{
			name: "raw r||s signature value",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal, cms: rawSignatureCMS}).bytes() },
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, detail: map[CheckName][]string{SignatureValueCheck: {"raw r‖s"}}},
		},
		{
			name: "adbe.pkcs7.sha1",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, subFilter: "adbe.pkcs7.sha1", sha1Encap: true}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: Indeterminate, sub: CryptoConstraintsFailureNoPOE,
				status: map[CheckName]CheckStatus{IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed, AlgorithmsCheck: CheckIndeterminate},
				detail: map[CheckName][]string{IntegrityCheck: {"SHA-1", "encapsulates"}, AlgorithmsCheck: {"SHA-1"}}},
		},
		{
			name: "adbe.pkcs7.sha1, tampered",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal, subFilter: "adbe.pkcs7.sha1", sha1Encap: true})
				d.bytes()[20] ^= 0x01
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: HashFailure, status: map[CheckName]CheckStatus{IntegrityCheck: CheckFailed, SignatureValueCheck: CheckPassed}},
		},
		{
			name: "adbe.pkcs7.sha1 without an encapsulated digest",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, subFilter: "adbe.pkcs7.sha1"}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, detail: map[CheckName][]string{FormatCheck: {"20-byte SHA-1"}}},
		},
		{
			name: "detached SubFilter with encapsulated content",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: nil, sha1Encap: true}).bytes() },
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, detail: map[CheckName][]string{FormatCheck: {"must be a detached signature"}}},
		},
		{
			name: "no signed attributes",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal, noSignedAttrs: true}).bytes() },
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed},
				detail: map[CheckName][]string{FormatCheck: {"no signed attributes"}, SignatureValueCheck: {"digest of the signed bytes"}}},
		},
		{
			name: "no signed attributes, tampered",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal, noSignedAttrs: true})
				d.bytes()[20] ^= 0x01
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: HashFailure, status: map[CheckName]CheckStatus{IntegrityCheck: CheckFailed, SignatureValueCheck: CheckFailed}},
		},
		{
			name: "tampered byte in the signed range",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal})
				i := strings.Index(string(d.bytes()), "licence 2026-001")
				d.bytes()[i+len("licence 2026-00")] = '7'
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: HashFailure, status: map[CheckName]CheckStatus{IntegrityCheck: CheckFailed, SignatureValueCheck: CheckPassed},
				detail: map[CheckName][]string{IntegrityCheck: {"signed messageDigest is", "changed after signing"}}},
		},
		{
			name: "corrupted signature value",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, cms: corruptSignatureCMS}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: SigCryptoFailure, status: map[CheckName]CheckStatus{IntegrityCheck: CheckPassed, SignatureValueCheck: CheckFailed},
				detail: map[CheckName][]string{SignatureValueCheck: {"does not verify", "empty ID"}}},
		},
		{
			name: "bytes appended after the signed revision",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal})
				return append(d.bytes(), "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"...)
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, status: map[CheckName]CheckStatus{IntegrityCheck: CheckPassed, LaterChangesCheck: CheckFailed},
				detail: map[CheckName][]string{LaterChangesCheck: {"after the last %EOF"}}},
		},
		{
			name: "white space appended after the signed revision",
			data: func(t *testing.T) []byte {
				return append(sealedDoc(t, p, sigOpts{seal: seal}).bytes(), "\r\n\r\n  \n"...)
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed},
		},
		{
			name: "page content changed after signing",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal})
				d.changeContent("Refused: licence 2026-001")
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, status: map[CheckName]CheckStatus{ByteRangeCheck: CheckPassed, IntegrityCheck: CheckPassed, LaterChangesCheck: CheckFailed},
				detail: map[CheckName][]string{LaterChangesCheck: {"revision 3", "not the document that was signed"}}},
		},
		{
			name: "annotation added after an approval signature",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal})
				d.addAnnotation()
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{LaterChangesCheck: CheckPassed}, detail: map[CheckName][]string{LaterChangesCheck: {"annotation"}}},
		},
		{
			name: "annotation added after a certification signature P=2",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal, docMDP: 2})
				d.addAnnotation()
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, detail: map[CheckName][]string{LaterChangesCheck: {"P=2", "annotation"}}},
		},
		{
			name: "annotation added after a certification signature P=3",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal, docMDP: 3})
				d.addAnnotation()
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed},
		},
		{
			name: "second signature after a certification signature P=1",
			data: func(t *testing.T) []byte {
				d := sealedDoc(t, p, sigOpts{seal: seal, docMDP: 1})
				d.addSignature(t, sigOpts{pki: p, seal: seal})
				return d.bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, detail: map[CheckName][]string{LaterChangesCheck: {"P=1", "signature"}}},
		},
		{
			name: "revoked before signing",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign.Add(-24*time.Hour), 1)},
			want: expect{ind: TotalFailed, sub: Revoked, status: map[CheckName]CheckStatus{RevocationCheck: CheckFailed},
				detail: map[CheckName][]string{RevocationCheck: {"2026-04-30 12:00:00 UTC", "keyCompromise (1)", "revoked certificate"}}},
		},
		{
			name: "revoked after signing, no proof of existence",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign.Add(24*time.Hour), 4)},
			want: expect{ind: Indeterminate, sub: RevokedNoPOE, status: map[CheckName]CheckStatus{RevocationCheck: CheckIndeterminate},
				detail: map[CheckName][]string{RevocationCheck: {"2026-05-02 12:00:00 UTC", "superseded (4)", "no trusted timestamp"}}},
		},
		{
			// Both times have one-second resolution: the same second cannot order them.
			name: "revoked in the same second as the claimed signing time",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign, 1)},
			want: expect{ind: Indeterminate, sub: RevokedNoPOE, status: map[CheckName]CheckStatus{RevocationCheck: CheckIndeterminate},
				detail: map[CheckName][]string{RevocationCheck: {"the same second", "no trusted timestamp"}}},
		},
		{
			name: "revoked after a trusted signature timestamp",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, cms: withTimestampCMS(p, tSign.Add(time.Minute), nil)}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign.Add(24*time.Hour), 1)},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{RevocationCheck: CheckPassed, TimestampCheck: CheckPassed},
				detail: map[CheckName][]string{RevocationCheck: {"does not affect it"}, TimestampCheck: {"2026-05-01 12:01:00 UTC", "Test TSA"}}},
		},
		{
			name: "timestamp that does not cover the signature",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, cms: withTimestampCMS(p, tSign, make([]byte, 32))}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign.Add(24*time.Hour), 1)},
			want: expect{ind: Indeterminate, sub: RevokedNoPOE, status: map[CheckName]CheckStatus{TimestampCheck: CheckWarning},
				detail: map[CheckName][]string{TimestampCheck: {"does not cover this signature value"}}},
		},
		{
			name: "revocation source fails",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: &fakeRevocation{err: errors.New("CRL server unreachable")}},
			want: expect{ind: Indeterminate, sub: TryLater, detail: map[CheckName][]string{RevocationCheck: {"CRL server unreachable"}}},
		},
		{
			name: "revocation status unknown",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: &fakeRevocation{unknown: true}},
			want: expect{ind: Indeterminate, sub: TryLater, detail: map[CheckName][]string{RevocationCheck: {"no information", "requires it"}}},
		},
		{
			// Fail closed by default: nobody can say whether the signer was revoked.
			name: "no revocation source",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors},
			want: expect{ind: Indeterminate, sub: TryLater, status: map[CheckName]CheckStatus{RevocationCheck: CheckIndeterminate},
				detail: map[CheckName][]string{RevocationCheck: {"not checked", "the revocation policy requires it"}}},
		},
		{
			name: "no revocation source, soft-fail policy",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, RevocationPolicy: RevocationSoftFail},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{RevocationCheck: CheckWarning},
				detail: map[CheckName][]string{RevocationCheck: {"not checked", "soft-fail"}}},
		},
		{
			name: "revocation source that does not know the signer, soft-fail policy",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: &fakeRevocation{unknown: true}, RevocationPolicy: RevocationSoftFail},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{RevocationCheck: CheckWarning}, detail: map[CheckName][]string{RevocationCheck: {"has no information", "soft-fail"}}},
		},
		{
			// A failing source is not missing information: even soft-fail says try later.
			name: "revocation source fails, soft-fail policy",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: &fakeRevocation{err: errors.New("CRL server unreachable")}, RevocationPolicy: RevocationSoftFail},
			want: expect{ind: Indeterminate, sub: TryLater, detail: map[CheckName][]string{RevocationCheck: {"CRL server unreachable"}}},
		},
		{
			name: "anchor with the root's name but another key",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{ExtraAnchors: []*smcrypto.Certificate{newPKI(t, nil).Root}, Revocation: good},
			want: expect{ind: Indeterminate, sub: CertificateChainGeneral, status: map[CheckName]CheckStatus{ChainCheck: CheckIndeterminate, SignatureValueCheck: CheckPassed},
				detail: map[CheckName][]string{ChainCheck: {"does not verify", "forged"}}},
		},
		{
			name: "untrusted root",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{ExtraAnchors: []*smcrypto.Certificate{newPKINamed(t, "Other Region Root", nil).Root}, Revocation: good},
			want: expect{ind: Indeterminate, sub: NoCertificateChainFound, status: map[CheckName]CheckStatus{ChainCheck: CheckIndeterminate, SignatureValueCheck: CheckPassed},
				detail: map[CheckName][]string{ChainCheck: {"Test Region Root", "self-signed certificate that is not a trust anchor"}}},
		},
		{
			name: "root missing from the signature and the anchors",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, chain: []*smcrypto.Certificate{p.Signer}}).bytes()
			},
			opts: Options{Revocation: good, ExtraAnchors: []*smcrypto.Certificate{newPKINamed(t, "Other Region Root", nil).Root}},
			want: expect{ind: Indeterminate, sub: NoCertificateChainFound, detail: map[CheckName][]string{ChainCheck: {`the issuer "CN=Test Region Root`}}},
		},
		{
			name: "no trust anchors",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Revocation: good},
			want: expect{ind: Indeterminate, sub: NoCertificateChainFound, detail: map[CheckName][]string{ChainCheck: {"no trust anchors are configured"}}},
		},
		{
			name: "trust anchors cannot be loaded",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchorList{err: errors.New("store locked")}, Revocation: good},
			want: expect{ind: Indeterminate, sub: TryLater, detail: map[CheckName][]string{ChainCheck: {"store locked"}}},
		},
		{
			name: "signer certificate missing from the CMS",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, cms: withoutCertificatesCMS}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: Indeterminate, sub: NoSigningCertificateFound, status: map[CheckName]CheckStatus{SignatureValueCheck: CheckSkipped, SignerCertificateCheck: CheckIndeterminate}},
		},
		{
			name: "seal not valid at the signing time",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tSign.Add(-time.Hour))}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: SigConstraintsFailure, status: map[CheckName]CheckStatus{SealCheck: CheckFailed},
				detail: map[CheckName][]string{SealCheck: {"outside its validity", "2026-05-01 11:00:00 UTC"}}},
		},
		{
			name: "signer not in the seal's certList",
			data: func(t *testing.T) []byte {
				other := p.Issue(t, "Someone Else", p.MakerKey, tRootStart, tRootStart.AddDate(3, 0, 0), 0, nil)
				return sealedDoc(t, p, sigOpts{seal: makeSeal(t, p, []*smcrypto.Certificate{other}, tRootStart, tRootStart.AddDate(5, 0, 0))}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: SigConstraintsFailure, detail: map[CheckName][]string{SealCheck: {"is NOT among the seal's 1 allowed signer"}}},
		},
		{
			name: "seal maker's signature broken",
			data: func(t *testing.T) []byte {
				s := append([]byte{}, seal...)
				s[len(s)-1] ^= 0x01 // the last byte of the maker's signature value
				return sealedDoc(t, p, sigOpts{seal: s}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: SigCryptoFailure, status: map[CheckName]CheckStatus{SignatureValueCheck: CheckPassed, SealCheck: CheckFailed}},
		},
		{
			name: "seal maker revoked before the seal was made",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal}).bytes() },
			opts: Options{Anchors: anchors, Revocation: revokedAt(p.Maker, tRootStart.Add(-time.Hour), 2)},
			want: expect{ind: TotalFailed, sub: Revoked, status: map[CheckName]CheckStatus{SealCheck: CheckFailed, RevocationCheck: CheckPassed}},
		},
		{
			name: "seal made before its maker's certificate was valid",
			data: func(t *testing.T) []byte {
				early := tRootStart.AddDate(0, 0, -10) // the maker's certificate starts at tRootStart
				return sealedDoc(t, p, sigOpts{seal: makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, early, tRootStart.AddDate(5, 0, 0))}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: NotYetValid, status: map[CheckName]CheckStatus{SignatureValueCheck: CheckPassed, SealCheck: CheckFailed, ChainCheck: CheckPassed},
				detail: map[CheckName][]string{SealCheck: {`"CN=Seal Maker`, "valid from 2025-01-01", "signed the seal as made on 2024-12-22", "before that"}}},
		},
		{
			name: "signature timestamp from a TSA not yet valid at its time",
			data: func(t *testing.T) []byte {
				// The TSA's certificate (and the root) start at tRootStart, after the stated time.
				return sealedDoc(t, p, sigOpts{seal: seal, cms: withTimestampCMS(p, tRootStart.Add(-24*time.Hour), nil)}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalPassed, status: map[CheckName]CheckStatus{SignatureValueCheck: CheckPassed, ValidityCheck: CheckPassed, TimestampCheck: CheckWarning},
				detail: map[CheckName][]string{TimestampCheck: {`"CN=Test TSA`, "was not valid at the time it states", "proves nothing"}}},
		},
		{
			name: "unknown SubFilter",
			data: func(t *testing.T) []byte {
				return sealedDoc(t, p, sigOpts{seal: seal, subFilter: "x.custom.sm2"}).bytes()
			},
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, status: map[CheckName]CheckStatus{FormatCheck: CheckFailed, IntegrityCheck: CheckSkipped},
				detail: map[CheckName][]string{FormatCheck: {"x.custom.sm2"}}},
		},
		{
			name: "unfilled placeholder",
			data: func(t *testing.T) []byte { return sealedDoc(t, p, sigOpts{seal: seal, emptyContents: true}).bytes() },
			opts: Options{Anchors: anchors, Revocation: good},
			want: expect{ind: TotalFailed, sub: FormatFailure, detail: map[CheckName][]string{FormatCheck: {"never filled in"}}},
		},
	}
	// Every case is verified again through one Cache shared by all of them, twice (filling it,
	// then from it): the report must be exactly the uncached one, whatever the cases before left
	// in the cache (the same certificates and seal, then broken ones).
	shared := NewCache()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			rep := verifyBytes(t, data, c.opts)
			if len(rep.Signatures) == 0 {
				t.Fatalf("no signature found; findings %v", rep.Findings)
			}
			assertSignature(t, rep, 0, c.want)
			if want := c.want.ind; rep.Indication != want && !(len(rep.Signatures) > 1) {
				t.Errorf("overall %s, want %s", rep.Indication, want)
			}
			want, _ := json.Marshal(rep)
			// With an idle core always there to help (idle.go), and with none, the report is the same.
			for _, spare := range []int64{0, 8} {
				func() {
					defer func(saved *semaphore.Weighted, min int64) { cores, helpHashMin = saved, min }(cores, helpHashMin)
					cores, helpHashMin = semaphore.NewWeighted(spare), 0
					got, _ := json.Marshal(verifyBytes(t, data, c.opts))
					if !bytes.Equal(got, want) {
						t.Errorf("with %d cores to spare the report differs:\n%s\nwant\n%s", spare, got, want)
					}
				}()
			}
			for pass := range 2 {
				opts := c.opts
				opts.Cache = shared
				got, _ := json.Marshal(verifyBytes(t, data, opts))
				if !bytes.Equal(got, want) {
					t.Errorf("pass %d with a shared cache differs from the uncached report:\n%s\nwant\n%s", pass+1, got, want)
				}
			}
		})
	}
	if shared.Hits() == 0 {
		t.Error("the shared cache was never used")
	}
}

// TestSyntheticCertificateTimes covers certificate validity against the claimed signing time,
// the validation time and proofs of existence.
func TestSyntheticCertificateTimes(t *testing.T) {
	type tc struct {
		name   string
		signer testpki.CertOptions
		ts     bool // add a trusted signature timestamp at the signing time
		dts    bool // add a trusted document timestamp after signing
		want   expect
	}
	cases := []tc{
		{name: "expired before signing", signer: testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, -1, 0)},
			want: expect{ind: TotalFailed, sub: ExpiredSub, detail: map[CheckName][]string{ValidityCheck: {"expired on 2026-04-01", "made with an expired certificate"}}}},
		{name: "not yet valid at signing", signer: testpki.CertOptions{NotBefore: tSign.Add(time.Hour), NotAfter: tSign.AddDate(1, 0, 0)},
			want: expect{ind: TotalFailed, sub: NotYetValid}},
		{name: "expired since signing, no proof", signer: testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, 0, 7)},
			want: expect{ind: Indeterminate, sub: OutOfBoundsNoPOE, detail: map[CheckName][]string{ValidityCheck: {"expired on 2026-05-08", "no trusted timestamp"}}}},
		{name: "expired since signing, signature timestamp", signer: testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, 0, 7)}, ts: true,
			want: expect{ind: TotalPassed, detail: map[CheckName][]string{ValidityCheck: {"signature timestamp"}}}},
		{name: "expired since signing, document timestamp", signer: testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, 0, 7)}, dts: true,
			want: expect{ind: TotalPassed, detail: map[CheckName][]string{ValidityCheck: {"document timestamp 2"}}}},
		{name: "no signing key usage", signer: testpki.CertOptions{NotBefore: tRootStart, NotAfter: tRootStart.AddDate(3, 0, 0), KeyUsage: 1 << 2 /* keyEncipherment */},
			want: expect{ind: Indeterminate, sub: ChainConstraintsFailure, detail: map[CheckName][]string{ValidityCheck: {"keyEncipherment", "not meant for signing"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPKI(t, &c.signer)
			o := sigOpts{seal: makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))}
			if c.ts {
				o.cms = withTimestampCMS(p, tSign, nil)
			}
			d := sealedDoc(t, p, o)
			if c.dts {
				d.addDocTimestamp(t, p, tSign.AddDate(0, 0, 1))
			}
			rep := verifyBytes(t, d.bytes(), Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}})
			assertSignature(t, rep, 0, c.want)
			if c.dts {
				assertSignature(t, rep, 1, expect{ind: TotalPassed, status: map[CheckName]CheckStatus{IntegrityCheck: CheckPassed, SignatureValueCheck: CheckPassed}})
			}
		})
	}
}

func TestTwoSignatures(t *testing.T) {
	p := newPKI(t, nil)
	seal := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	d := sealedDoc(t, p, sigOpts{seal: seal})
	d.addSignature(t, sigOpts{pki: p, seal: seal, convention: smcrypto.ConventionGMT0010, signingTime: tSign.Add(time.Hour)})
	rep := verifyBytes(t, d.bytes(), Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}})
	if rep.Indication != TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("overall %s with %d signatures, want TOTAL_PASSED with 2", rep.Indication, len(rep.Signatures))
	}
	first := rep.Signatures[0]
	if first.Coverage != "entire_revision" || len(first.LaterChanges) != 1 || first.LaterChanges[0].Kind != "signature" || !first.LaterChanges[0].Allowed {
		t.Errorf("first signature: coverage %s, later changes %+v", first.Coverage, first.LaterChanges)
	}
	if rep.Signatures[1].Coverage != "entire_file" {
		t.Errorf("second signature coverage %s", rep.Signatures[1].Coverage)
	}
	// Tampering with the second signature's revision breaks it, not the first.
	d.changeContent("Refused")
	rep = verifyBytes(t, d.bytes(), Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}})
	if rep.Indication != TotalFailed || rep.Signatures[0].Indication != TotalFailed || rep.Signatures[1].Indication != TotalFailed {
		t.Errorf("after a content change: %s, %s, %s; want all TOTAL_FAILED", rep.Indication, rep.Signatures[0].Indication, rep.Signatures[1].Indication)
	}
}

func TestNoSignature(t *testing.T) {
	rep := verifyBytes(t, newDoc().bytes(), Options{})
	if rep.Indication != NoSignatureFound || len(rep.Signatures) != 0 || rep.Signatures == nil {
		t.Fatalf("indication %s, %d signatures (nil %v)", rep.Indication, len(rep.Signatures), rep.Signatures == nil)
	}
	if rep.Document.Revisions != 1 || rep.Document.SHA256 == "" {
		t.Errorf("document info %+v", rep.Document)
	}
}

// TestSHA1ChainWithOldProof: a signer certificate signed with SHA-1 (RSA) chains only when a
// trusted timestamp proves the signature existed before 2014, when SHA-1 was still acceptable.
func TestSHA1ChainWithOldProof(t *testing.T) {
	signed := time.Date(2013, 6, 1, 12, 0, 0, 0, time.UTC)
	from, until := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	// An SM2 hierarchy of that time for the seal maker and the TSA, and an RSA root that
	// issued the signer's certificate with SHA-1.
	p := &pki{}
	var err error
	for _, k := range []*crypto.Signer{&p.RootKey, &p.SignerKey, &p.MakerKey, &p.TSAKey} {
		if *k, err = smcrypto.GenerateKey(); err != nil {
			t.Fatal(err)
		}
	}
	if p.Root, err = smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "SM2 Root 2012"},
		NotBefore: from, NotAfter: until, IsCA: true}, p.RootKey.Public(), nil, p.RootKey); err != nil {
		t.Fatal(err)
	}
	p.Maker = p.Issue(t, "Seal Maker 2012", p.MakerKey, from, until, 0, nil)
	p.TSA = p.Issue(t, "TSA 2012", p.TSAKey, from, until, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping})
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "RSA Root 2010"},
		NotBefore: from.AddDate(-2, 0, 0), NotAfter: until, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rsaDER, err := x509.CreateCertificate(rand.Reader, rsaTmpl, rsaTmpl, rsaKey.Public(), rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaRoot, err := smcrypto.ParseCertificate(rsaDER)
	if err != nil {
		t.Fatal(err)
	}
	p.Signer = resignSHA1RSA(t, p.Issue(t, "SHA-1 signer", p.SignerKey, from, time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), 0, nil), rsaRoot, rsaKey)

	seal := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 12, 31, 0, 0, 0, 0, time.UTC))
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{rsaRoot, p.Root}}, Revocation: &fakeRevocation{}}
	sign := func(cms func(testing.TB, []byte) []byte) []byte {
		return sealedDoc(t, p, sigOpts{seal: seal, signingTime: signed, chain: []*smcrypto.Certificate{p.Signer, rsaRoot}, cms: cms}).bytes()
	}

	rep := verifyBytes(t, sign(withTimestampCMS(p, signed.Add(time.Hour), nil)), opts)
	assertSignature(t, rep, 0, expect{ind: TotalPassed,
		status: map[CheckName]CheckStatus{TimestampCheck: CheckPassed, ChainCheck: CheckPassed, ValidityCheck: CheckPassed, AlgorithmsCheck: CheckPassed},
		detail: map[CheckName][]string{ChainCheck: {`"CN=RSA Root 2010" is a configured trust anchor`, "signed with SHA-1 are accepted", "2013-06-01 13:00:00 UTC, before 2014"}}})

	rep = verifyBytes(t, sign(nil), opts)
	assertSignature(t, rep, 0, expect{ind: Indeterminate, sub: CryptoConstraintsFailureNoPOE,
		status: map[CheckName]CheckStatus{ChainCheck: CheckIndeterminate},
		detail: map[CheckName][]string{ChainCheck: {"SHA-1 signer", "no longer accepted for certificates", "SHA1-RSA"}}})
}

// resignSHA1RSA returns c issued again by issuer: its TBSCertificate with issuer's name and
// sha1WithRSAEncryption, signed with key (Go signs with SHA-1 only for RSA keys it can
// marshal, and c's key is SM2).
func resignSHA1RSA(t *testing.T, c, issuer *smcrypto.Certificate, key *rsa.PrivateKey) *smcrypto.Certificate {
	t.Helper()
	sha1RSA := []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00}
	in := cryptobyte.String(c.RawTBSCertificate)
	var tbs cryptobyte.String
	if !in.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		t.Fatal("TBSCertificate is not a SEQUENCE")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i := 0; !tbs.Empty(); i++ {
			var elem cryptobyte.String
			if i == 0 && tbs.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
				tbs.ReadASN1Element(&elem, cbasn1.Tag(0).Constructed().ContextSpecific())
				b.AddBytes(elem)
				i = -1 // the version does not count: serial is element 0
				continue
			}
			var tag cbasn1.Tag
			if !tbs.ReadAnyASN1Element(&elem, &tag) {
				t.Fatal("malformed TBSCertificate")
			}
			switch i {
			case 1: // signature algorithm
				b.AddBytes(sha1RSA)
			case 2: // issuer
				b.AddBytes(issuer.RawSubject)
			default:
				b.AddBytes(elem)
			}
		}
	})
	newTBS := b.BytesOrPanic()
	sum := sha1.Sum(newTBS)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	var cb cryptobyte.Builder
	cb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(sha1RSA)
		b.AddASN1BitString(sig)
	})
	out, err := smcrypto.ParseCertificate(cb.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	return out
}
