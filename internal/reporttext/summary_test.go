package reporttext

import (
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/verify"
)

// TestSummary: each sentence is made from the report's data: the verdict, the decisive check,
// the signer, the seal, the times and the revocation facts.
func TestSummary(t *testing.T) {
	signed := time.Date(2026, 11, 27, 13, 15, 24, 0, time.UTC)
	revoked := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	signer := &verify.Party{Subject: "CN=张三, O=某市行政审批局, C=CN", CommonName: "张三", Issuer: "O=某市行政审批局, CN=某市 根CA"}
	passed := func(names ...verify.CheckName) []verify.Check {
		var cs []verify.Check
		for _, n := range names {
			cs = append(cs, verify.Check{Name: n, Status: verify.CheckPassed})
		}
		return cs
	}
	with := func(cs []verify.Check, more ...verify.Check) []verify.Check {
		return append(append([]verify.Check{}, cs...), more...)
	}
	intact := passed(verify.ByteRangeCheck, verify.IntegrityCheck, verify.SignatureValueCheck)
	revokedSigner := &verify.RevocationInfo{Status: verify.RevocationRevoked, Reason: "keyCompromise", RevokedAt: revoked}
	cases := []struct {
		name string
		s    verify.SignatureReport
		want []string
	}{
		{"valid seal", verify.SignatureReport{Type: verify.TypeSignature, Indication: verify.TotalPassed, Signer: signer, SigningTime: &signed,
			Seal: &verify.SealInfo{Name: "某市行政审批局行政审批专用章"}, Checks: intact},
			[]string{`Valid: signed by the seal "某市行政审批局行政审批专用章" (signer "张三") on 2026-11-27 21:15:24 CST; the document has not been changed since.`}},
		{"valid, later changes, revocation not checked", verify.SignatureReport{Type: verify.TypeSignature, Indication: verify.TotalPassed, Signer: signer,
			LaterChanges: []verify.Change{{Revision: 3, Kind: "signature", Allowed: true}, {Revision: 4, Kind: "signature", Allowed: true}},
			Checks:       with(intact, verify.Check{Name: verify.RevocationCheck, Status: verify.CheckWarning})},
			[]string{`Valid: signed by "张三"; what was added later (signature) is allowed`, "(revocation was not checked)."}},
		{"document timestamp", verify.SignatureReport{Type: verify.TypeDocumentTimestamp, Indication: verify.TotalPassed, Signer: &verify.Party{Subject: "CN=TSA"}},
			[]string{`Valid document timestamp: "CN=TSA" certifies`}},
		{"hash failure", verify.SignatureReport{Indication: verify.TotalFailed, SubIndication: verify.HashFailure, Signer: signer},
			[]string{`INVALID: the document was changed after "张三" signed it`}},
		{"forged seal", verify.SignatureReport{Indication: verify.TotalFailed, SubIndication: verify.SigCryptoFailure, Signer: signer,
			Checks: with(intact, verify.Check{Name: verify.SealCheck, Status: verify.CheckFailed, SubIndication: verify.SigCryptoFailure})},
			[]string{"electronic seal in the signature of \"张三\" is forged or damaged"}},
		{"forged signature", verify.SignatureReport{Type: verify.TypeSignature, Indication: verify.TotalFailed, SubIndication: verify.SigCryptoFailure, Signer: signer,
			Checks: []verify.Check{{Name: verify.SignatureValueCheck, Status: verify.CheckFailed, SubIndication: verify.SigCryptoFailure}}},
			[]string{`INVALID: the signature attributed to "张三" is forged or damaged`}},
		{"revoked before signing", verify.SignatureReport{Indication: verify.TotalFailed, SubIndication: verify.Revoked, Signer: signer},
			[]string{"had been revoked when the signature was made"}},
		{"changed after signing", verify.SignatureReport{Indication: verify.TotalFailed, SubIndication: verify.FormatFailure, Signer: signer,
			Checks: with(intact, verify.Check{Name: verify.LaterChangesCheck, Status: verify.CheckFailed, SubIndication: verify.FormatFailure})},
			[]string{"changed after \"张三\" signed it in a way that is not allowed"}},
		{"revoked after the claimed time, no proof", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.RevokedNoPOE,
			Signer: signer, SigningTime: &signed, Revocation: revokedSigner,
			Checks: with(intact, verify.Check{Name: verify.RevocationCheck, Status: verify.CheckIndeterminate, SubIndication: verify.RevokedNoPOE})},
			[]string{"the certificate of \"张三\" was revoked on 2026-11-28 08:00:00 CST (keyCompromise); the signature claims an earlier time (2026-11-27 21:15:24 CST)"}},
		{"revoked the same second", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.RevokedNoPOE,
			Signer: signer, SigningTime: &revoked, Revocation: revokedSigner},
			[]string{"the signature claims the same second"}},
		{"key invalid earlier than the revocation", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.RevokedNoPOE, Signer: signer,
			Revocation: &verify.RevocationInfo{Status: verify.RevocationRevoked, Reason: "keyCompromise", RevokedAt: revoked, InvalidityDate: signed.Add(-time.Hour)}},
			[]string{"was revoked on 2026-11-27 20:15:24 CST (keyCompromise); the signature states no signing time"}},
		{"a CA revoked", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.RevokedCANoPOE, Signer: signer, SigningTime: &signed,
			Revocation: &verify.RevocationInfo{Status: verify.RevocationGood},
			Chain:      []verify.Party{*signer, {Subject: "CN=Sub CA", Revocation: &verify.RevocationInfo{Status: verify.RevocationRevoked, Reason: "cACompromise", RevokedAt: revoked}}, {Subject: "CN=Root"}}},
			[]string{"a CA certificate in the chain of \"张三\" was revoked on 2026-11-28 08:00:00 CST (cACompromise)"}},
		{"untrusted issuer, intact", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.NoCertificateChainFound, Signer: signer,
			Checks: with(intact, verify.Check{Name: verify.ChainCheck, Status: verify.CheckIndeterminate, SubIndication: verify.NoCertificateChainFound})},
			[]string{`issued by "某市 根CA", does not lead to a trusted root; the signature itself is intact.`}},
		{"revocation unknown", verify.SignatureReport{Indication: verify.Indeterminate, SubIndication: verify.TryLater, Signer: signer,
			Checks: with(intact, verify.Check{Name: verify.RevocationCheck, Status: verify.CheckIndeterminate, SubIndication: verify.TryLater})},
			[]string{"whether the certificate of \"张三\" was revoked is unknown; the signature itself is intact; try again"}},
		{"over the work budget", verify.SignatureReport{Type: verify.TypeSignature, Indication: verify.Indeterminate, SubIndication: verify.SignedDataNotFound, Signer: signer,
			Checks: []verify.Check{{Name: verify.IntegrityCheck, Status: verify.CheckIndeterminate, SubIndication: verify.SignedDataNotFound, Detail: "not checked: hashing would take the verification past its work budget; more"}}},
			[]string{"the bytes the signature of \"张三\" signs were not checked (not checked: hashing would take the verification past its work budget)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Summary(&c.s, Zone)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary %q lacks %q", got, w)
				}
			}
		})
	}
}

// TestChineseCatalogue: every check name, status, indication and sub-indication verify reports
// has its Chinese words; languages parse as the environment gives them.
func TestChineseCatalogue(t *testing.T) {
	for _, n := range []verify.CheckName{verify.FormatCheck, verify.ByteRangeCheck, verify.IntegrityCheck, verify.SignatureValueCheck,
		verify.SignerCertificateCheck, verify.SealCheck, verify.ChainCheck, verify.ValidityCheck, verify.RevocationCheck,
		verify.AlgorithmsCheck, verify.LaterChangesCheck, verify.TimestampCheck, verify.LicenceCheck, verify.ReferencesCheck} {
		if CheckNameZh[n] == "" || checkPassedZh[n] == "" || checkFailedZh[n] == "" {
			t.Errorf("check %q lacks Chinese words", n)
		}
	}
	for _, st := range []verify.CheckStatus{verify.CheckPassed, verify.CheckFailed, verify.CheckIndeterminate, verify.CheckWarning, verify.CheckSkipped} {
		if CheckStatusZh[st] == "" {
			t.Errorf("status %q lacks Chinese words", st)
		}
	}
	for _, ind := range []verify.Indication{verify.TotalPassed, verify.TotalFailed, verify.Indeterminate, verify.NoSignatureFound} {
		if IndicationZh[ind] == "" {
			t.Errorf("indication %q lacks Chinese words", ind)
		}
	}
	for _, sub := range []verify.SubIndication{verify.FormatFailure, verify.HashFailure, verify.SigCryptoFailure, verify.Revoked,
		verify.SigConstraintsFailure, verify.ChainConstraintsFailure, verify.CertificateChainGeneral, verify.CryptoConstraintsFailure,
		verify.ExpiredSub, verify.NotYetValid, verify.SignedDataNotFound, verify.NoSigningCertificateFound, verify.NoCertificateChainFound,
		verify.RevokedNoPOE, verify.RevokedCANoPOE, verify.OutOfBoundsNoPOE, verify.OutOfBoundsNotRevoked, verify.CryptoConstraintsFailureNoPOE, verify.TryLater} {
		if SubIndicationZh[sub] == "" {
			t.Errorf("sub-indication %q lacks Chinese words", sub)
		}
		if (NextStepZh[sub] == "") != (NextStepEn[sub] == "") {
			t.Errorf("sub-indication %q: next steps in one language only", sub)
		}
	}
	for in, want := range map[string]Lang{"zh": Zh, "zh_CN.UTF-8": Zh, "zh-TW": Zh, "en": En, "en_US.UTF-8": En} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "fr", "zhx", "C"} {
		if _, err := ParseLang(bad); err == nil {
			t.Errorf("ParseLang(%q) accepted", bad)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if LangFromEnv(env(map[string]string{"LANG": "zh_CN.UTF-8"})) != Zh || LangFromEnv(env(map[string]string{"LANG": "zh_CN.UTF-8", "LC_ALL": "C"})) != En ||
		LangFromEnv(env(nil)) != En || LangFromEnv(env(map[string]string{"LC_MESSAGES": "zh_TW"})) != Zh {
		t.Error("LangFromEnv does not follow LC_ALL, LC_MESSAGES, LANG")
	}
	if got := Issuer(&verify.SignatureReport{Signer: &verify.Party{Subject: "SERIALNUMBER=1, CN=专用章, O=杭州市行政审批局, C=CN"}}); got != "杭州市行政审批局" {
		t.Errorf("Issuer = %q", got)
	}
}
