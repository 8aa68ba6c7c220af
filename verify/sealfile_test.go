package verify

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// sealCheckOf is the seal check of a report's first entry.
func sealCheckOf(t *testing.T, rep *Report) Check {
	t.Helper()
	for _, c := range rep.Signatures[0].Checks {
		if c.Name == SealCheck {
			return c
		}
	}
	t.Fatalf("no seal check in %+v", rep.Signatures[0].Checks)
	return Check{}
}

func TestVerifySeal(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	from, until := tRootStart, tRootStart.AddDate(5, 0, 0)
	sealDER := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, from, until)
	other := p.Issue(t, "not the seal's signer", p.SignerKey, tRootStart, tRootStart.AddDate(3, 0, 0), 0, nil)

	tests := []struct {
		name   string
		signer []byte
		opts   Options
		ind    Indication
		sub    SubIndication
		detail string // in the seal check
	}{
		{"trusted maker, valid now", nil, Options{Anchors: anchors, Revocation: &fakeRevocation{}}, TotalPassed, "", "covers the validation time"},
		{"the allowed signer", p.Signer.Raw, Options{Anchors: anchors, Revocation: &fakeRevocation{}}, TotalPassed, "", "one of the seal's allowed signers"},
		{"a signer it does not allow", other.Raw, Options{Anchors: anchors, Revocation: &fakeRevocation{}}, TotalFailed, SigConstraintsFailure, "NOT among the seal's"},
		{"no trust anchors", nil, Options{}, Indeterminate, NoCertificateChainFound, "no trust anchors"},
		{"expired seal", nil, Options{Anchors: anchors, Revocation: &fakeRevocation{}, CurrentTime: until.Add(time.Hour)}, TotalFailed, ExpiredSub, "it has expired at the validation time"},
		{"not yet valid", nil, Options{Anchors: anchors, Revocation: &fakeRevocation{}, CurrentTime: from.Add(-time.Hour)}, TotalFailed, NotYetValid, "not yet at the validation time"},
		{"maker revoked before the seal was made", nil, Options{Anchors: anchors, Revocation: revokedAt(p.Maker, from.Add(-time.Hour), ReasonKeyCompromise)}, TotalFailed, Revoked, "before the seal was made"},
		{"no revocation source", nil, Options{Anchors: anchors}, Indeterminate, TryLater, "no revocation source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.CurrentTime.IsZero() {
				tt.opts.CurrentTime = tNow
			}
			tt.opts.Name = "seal.esl"
			rep, err := VerifySeal(context.Background(), sealDER, tt.signer, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if rep.Indication != tt.ind || s.Indication != tt.ind || s.SubIndication != tt.sub {
				t.Errorf("%s / %s %s, want %s %s\n%+v", rep.Indication, s.Indication, s.SubIndication, tt.ind, tt.sub, s.Checks)
			}
			if c := sealCheckOf(t, rep); !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("seal check %q does not say %q", c.Detail, tt.detail)
			}
			if s.Type != TypeSeal || rep.Document.Format != "SESeal" || rep.Document.Name != "seal.esl" || rep.Document.Size != int64(len(sealDER)) || len(rep.Document.SHA256) != 64 {
				t.Errorf("type %q document %+v", s.Type, rep.Document)
			}
			if s.Seal == nil || s.Seal.ESID != "33010000000001" || !s.Seal.ValidEnd.Equal(until) || s.Seal.Version != 4 {
				t.Errorf("seal facts %+v", s.Seal)
			}
			if s.SigningTime != nil {
				t.Errorf("a seal on its own has no signing time, got %v", s.SigningTime)
			}
		})
	}
}

// TestVerifySealReal judges the real seals of the corpus: their makers' signatures verify, but
// no root we trust issued their makers; one vendor sample's maker signature does not verify.
func TestVerifySealReal(t *testing.T) {
	// Judged when each was valid, the chain is what is missing; today they have expired.
	valid := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		file string
		at   time.Time
		ind  Indication
		sub  SubIndication
		say  string
	}{
		{"ofdrw_UserV1.esl", valid(2021, 1, 1), Indeterminate, NoCertificateChainFound, "the maker's SM2 signature over the seal verifies"},
		{"ofdrw_UserV4.esl", valid(2021, 1, 1), Indeterminate, NoCertificateChainFound, "the maker's SM2 signature over the seal verifies"},
		{"ofdrw_UserV5_ts.esl", valid(2027, 1, 1), Indeterminate, NoCertificateChainFound, "the maker's SM2 signature over the seal verifies"},
		{"ofdrw_UserV4.esl", tNow, TotalFailed, ExpiredSub, "it has expired at the validation time"},
		{"hebeigede_SESealData_v4.der", valid(2021, 1, 1), TotalFailed, SigCryptoFailure, "does NOT verify"},
	}
	p := newPKI(t, nil)
	for _, tt := range tests {
		t.Run(tt.file+"@"+tt.at.Format(time.DateOnly), func(t *testing.T) {
			der, err := os.ReadFile("testdata/seals/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			// A trusted root that is not theirs: the chain is what is missing.
			rep, err := VerifySeal(context.Background(), der, nil, Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, CurrentTime: tt.at})
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Indication != tt.ind || s.SubIndication != tt.sub {
				t.Errorf("%s %s, want %s %s\n%+v", s.Indication, s.SubIndication, tt.ind, tt.sub, s.Checks)
			}
			if c := sealCheckOf(t, rep); !strings.Contains(c.Detail, tt.say) {
				t.Errorf("seal check %q does not say %q", c.Detail, tt.say)
			}
		})
	}
}

// rawMakerSignature re-encodes a seal's maker signature as raw r‖s (64 bytes), as some
// producers write it: the mathematics still verify, and the deviation must be reported.
func rawMakerSignature(t testing.TB, der []byte) []byte {
	t.Helper()
	var s struct {
		Info   asn1.RawValue
		Cert   []byte
		Alg    asn1.ObjectIdentifier
		Signed asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &s); err != nil {
		t.Fatal(err)
	}
	r, sv, _, err := smcrypto.DecodeSignature(s.Signed.Bytes, 32)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sv.FillBytes(raw[32:])
	s.Signed = asn1.BitString{Bytes: raw, BitLength: 512}
	out, err := asn1.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTolerancesAreWarnings: a deviation the verifier tolerates (here a raw r‖s maker signature)
// is a warning in the seal check, on its own and inside a PDF signature; the verdict stays.
func TestTolerancesAreWarnings(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	quirky := rawMakerSignature(t, makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0)))
	alone, err := VerifySeal(context.Background(), quirky, nil, Options{Anchors: anchors, Revocation: &fakeRevocation{}, CurrentTime: tNow})
	if err != nil {
		t.Fatal(err)
	}
	inPDF := verifyBytes(t, sealedDoc(t, p, sigOpts{seal: quirky}).bytes(), Options{Anchors: anchors, Revocation: &fakeRevocation{}})
	for name, rep := range map[string]*Report{"seal alone": alone, "seal in a PDF signature": inPDF} {
		c := sealCheckOf(t, rep)
		if rep.Indication != TotalPassed || c.Status != CheckWarning || !strings.Contains(c.Detail, "tolerated deviation from the standard in the seal") || !strings.Contains(c.Detail, "raw 64-byte r‖s") {
			t.Errorf("%s: %s, seal check %s: %q", name, rep.Indication, c.Status, c.Detail)
		}
	}
}

func TestVerifySealBadInput(t *testing.T) {
	p := newPKI(t, nil)
	good := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	for _, tt := range []struct {
		name   string
		der    []byte
		signer []byte
		reason InputErrorReason
		detail string
	}{
		{"empty", nil, nil, InputNotSeal, "not an electronic seal"},
		{"a PDF", []byte("%PDF-1.7\n"), nil, InputNotSeal, "not an electronic seal"},
		{"cut short", good[:len(good)/2], nil, InputNotSeal, "not an electronic seal"},
		{"too large", bytes.Repeat([]byte{0x30}, MaxSealSize+1), nil, InputNotSeal, "more than a seal can be"},
		{"signer not a certificate", good, []byte("not a certificate"), InputInvalidArgument, "signer certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := VerifySeal(context.Background(), tt.der, tt.signer, Options{CurrentTime: tNow})
			var ie *InputError
			if rep != nil || !errors.As(err, &ie) || ie.Reason != tt.reason || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("report %v, error %v; want an InputError %v saying %q", rep, err, tt.reason, tt.detail)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := VerifySeal(ctx, good, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// sealRevocations is a revocation source that also knows seals: by esID, Known and good unless
// listed; err makes it fail.
type sealRevocations struct {
	fakeRevocation
	seals   map[string]RevocationStatus
	sealErr error
}

func (s *sealRevocations) SealStatus(esID string, _ []byte) (RevocationStatus, error) {
	if s.sealErr != nil {
		return RevocationStatus{}, s.sealErr
	}
	if st, ok := s.seals[esID]; ok {
		return st, nil
	}
	return RevocationStatus{Known: true, Source: "test store", ProducedAt: tNow}, nil
}

func revokedSeal(esID string, at time.Time) *sealRevocations {
	return &sealRevocations{seals: map[string]RevocationStatus{
		esID: {Known: true, Revoked: true, RevokedAt: at, Reason: ReasonCessationOfOperation, Source: "test store", ProducedAt: tNow},
	}}
}

// TestSealRevocation: a seal revoked by its esID fails the signatures made with it after the
// revocation, leaves undecided those that only claim an earlier time, and keeps those a trusted
// timestamp proves earlier; a seal judged alone is revoked from then on.
func TestSealRevocation(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	sealDER := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	const esID = "33010000000001"
	plain := sealedDoc(t, p, sigOpts{seal: sealDER}).bytes()
	stamped := sealedDoc(t, p, sigOpts{seal: sealDER, cms: withTimestampCMS(p, tSign, nil)}).bytes()
	tests := []struct {
		name   string
		doc    []byte
		source RevocationChecker
		ind    Indication
		sub    SubIndication
		says   string
	}{
		{"not revoked", plain, &sealRevocations{}, TotalPassed, "", "the seal is not revoked"},
		{"revoked before signing", plain, revokedSeal(esID, tSign.Add(-time.Hour)), TotalFailed, Revoked, "before it was used"},
		{"revoked after, no proof", plain, revokedSeal(esID, tSign.Add(time.Hour)), Indeterminate, RevokedNoPOE, "nothing proves it was made before the revocation"},
		{"revoked after a timestamp", stamped, revokedSeal(esID, tSign.Add(time.Hour)), TotalPassed, "", "proves the signature existed"},
		{"source fails", plain, &sealRevocations{sealErr: errors.New("store unreachable")}, Indeterminate, TryLater, "revocation source failed"},
		{"source knows no seals", plain, &fakeRevocation{}, TotalPassed, "", "allowed signers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := verifyBytes(t, tt.doc, Options{Anchors: anchors, Revocation: tt.source})
			s := rep.Signatures[0]
			if s.Indication != tt.ind || s.SubIndication != tt.sub {
				t.Errorf("%s %s, want %s %s\n%+v", s.Indication, s.SubIndication, tt.ind, tt.sub, s.Checks)
			}
			if c := sealCheckOf(t, rep); !strings.Contains(c.Detail, tt.says) {
				t.Errorf("seal check %q does not say %q", c.Detail, tt.says)
			}
		})
	}
	rep, err := VerifySeal(context.Background(), sealDER, nil, Options{Anchors: anchors, Revocation: revokedSeal(esID, tSign), CurrentTime: tNow})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; s.SubIndication != Revoked || s.Seal.Revocation == nil || s.Seal.Revocation.Status != RevocationRevoked || s.Seal.Revocation.Reason != "cessationOfOperation" {
		t.Errorf("seal alone: %s %s %+v", s.Indication, s.SubIndication, s.Seal.Revocation)
	}
}
