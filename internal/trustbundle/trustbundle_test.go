package trustbundle

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpki"
)

var now = testpki.Now

func testBundle(p *testpki.PKI) *Bundle {
	return &Bundle{
		RegionCode: "330100", RegionName: "杭州市行政审批局", Sequence: 7,
		Issued: now.Add(-time.Hour), NextUpdate: now.Add(30 * 24 * time.Hour),
		Root: p.Root, SealMakers: []*smcrypto.Certificate{p.Maker}, TSAs: []*smcrypto.Certificate{p.TSA},
		StatusURL: "https://eseal.hangzhou.example", CRLURL: "https://eseal.hangzhou.example/v1/crl/0102",
	}
}

func fingerprint(c *smcrypto.Certificate) [sha256.Size]byte { return sha256.Sum256(c.Raw) }

func TestSignVerify(t *testing.T) {
	p := testpki.New(t, testpki.Options{RootCN: "杭州市行政审批局 根CA"})
	want := testBundle(p)
	data, err := Sign(want, p.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(data, fingerprint(p.Root), now)
	if err != nil {
		t.Fatal(err)
	}
	if got.RegionCode != want.RegionCode || got.RegionName != want.RegionName || got.Sequence != want.Sequence ||
		!got.Issued.Equal(want.Issued) || !got.NextUpdate.Equal(want.NextUpdate) || got.StatusURL != want.StatusURL || got.CRLURL != want.CRLURL {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	if !got.Root.Equal(p.Root) || len(got.SealMakers) != 1 || !got.SealMakers[0].Equal(p.Maker) || len(got.TSAs) != 1 || !got.TSAs[0].Equal(p.TSA) {
		t.Errorf("certificates do not round-trip")
	}
	if fp := fingerprint(p.Root); got.RootFingerprint() != hex.EncodeToString(fp[:]) {
		t.Errorf("RootFingerprint %s", got.RootFingerprint())
	}
	// The Chinese name is in the payload as UTF-8, not escaped away.
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || !bytes.Contains(env.Payload, []byte("杭州市行政审批局")) {
		t.Errorf("payload %s: %v", env.Payload, err)
	}
}

// spaced is a fingerprint as OpenSSL prints it: upper case, colons between bytes.
func spaced(fp [sha256.Size]byte) string {
	var parts []string
	for _, b := range fp {
		parts = append(parts, strings.ToUpper(string("0123456789abcdef"[b>>4])+string("0123456789abcdef"[b&15])))
	}
	return strings.Join(parts, ":")
}

func TestParseFingerprint(t *testing.T) {
	fp := sha256.Sum256([]byte("root"))
	lower := strings.ToLower(strings.ReplaceAll(spaced(fp), ":", ""))
	for _, s := range []string{lower, strings.ToUpper(lower), spaced(fp), strings.ToLower(spaced(fp)), " " + lower + "\n"} {
		got, err := ParseFingerprint(s)
		if err != nil || got != fp {
			t.Errorf("ParseFingerprint(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", lower[:62], lower + "00", "zz" + lower[2:], "sha256:" + lower, strings.Repeat("0", 65)} {
		if _, err := ParseFingerprint(s); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", s)
		}
	}
}

// payloadOf is b's payload, to change before signRaw.
func payloadOf(b *Bundle) payload {
	var p payload
	p.Region.Code, p.Region.Name = b.RegionCode, b.RegionName
	p.Sequence, p.Issued, p.NextUpdate = b.Sequence, b.Issued, b.NextUpdate
	p.Root, p.StatusURL, p.CRLURL = b.Root.Raw, b.StatusURL, b.CRLURL
	for _, c := range b.SealMakers {
		p.SealMakers = append(p.SealMakers, c.Raw)
	}
	for _, c := range b.TSAs {
		p.TSAs = append(p.TSAs, c.Raw)
	}
	return p
}

// signRaw signs any payload, bypassing Sign's checks, as a hostile or broken exporter would.
func signRaw(t testing.TB, p payload, key crypto.Signer) []byte {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return envelopeOf(t, raw, key)
}

func envelopeOf(t testing.TB, raw []byte, key crypto.Signer) []byte {
	t.Helper()
	sig, err := smcrypto.SignSM2(key, nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(envelope{Format: FormatV1, Payload: raw, Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyRefuses feeds Verify every kind of bad bundle and checks the reason it gives.
func TestVerifyRefuses(t *testing.T) {
	p := testpki.New(t, testpki.Options{RootCN: "杭州市行政审批局 根CA"})
	other := testpki.New(t, testpki.Options{RootCN: "另一地区根CA"})
	good := testBundle(p)
	goodData, err := Sign(good, p.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	var goodEnv envelope
	if err := json.Unmarshal(goodData, &goodEnv); err != nil {
		t.Fatal(err)
	}
	with := func(change func(*payload)) []byte {
		pl := payloadOf(good)
		change(&pl)
		return signRaw(t, pl, p.RootKey)
	}
	envWith := func(change func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(goodData, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		out, _ := json.Marshal(m)
		return out
	}
	// A root that is not a CA (a seal maker's certificate), and a CA that is not a root, each
	// signing its own bundle.
	notCA, notCAKey := other.Maker, other.MakerKey
	topKey, subKey := testpki.Key(t), testpki.Key(t)
	top, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "上级CA"}, IsCA: true, MaxPathLen: 1,
		NotBefore: testpki.RootStart, NotAfter: testpki.RootStart.AddDate(10, 0, 0)}, topKey.Public(), nil, topKey)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "下级CA"}, IsCA: true,
		NotBefore: testpki.RootStart, NotAfter: testpki.RootStart.AddDate(5, 0, 0)}, subKey.Public(), top, topKey)
	if err != nil {
		t.Fatal(err)
	}
	rootedAt := func(c *smcrypto.Certificate, key crypto.Signer) []byte {
		pl := payloadOf(good)
		pl.Root = c.Raw
		return signRaw(t, pl, key)
	}
	noTSAUse := p.Issue(t, "不是时间戳服务", testpki.Key(t), testpki.RootStart, testpki.RootStart.AddDate(5, 0, 0), x509.KeyUsageDigitalSignature, nil)

	tests := []struct {
		name string
		data []byte
		fp   *smcrypto.Certificate // nil: p.Root
		now  time.Time             // zero: now
		want Reason
	}{
		{"empty", nil, nil, time.Time{}, Malformed},
		{"not JSON", []byte("-----BEGIN CERTIFICATE-----"), nil, time.Time{}, Malformed},
		{"truncated", goodData[:len(goodData)/2], nil, time.Time{}, Malformed},
		{"over MaxSize", append(bytes.Repeat([]byte(" "), MaxSize), goodData...), nil, time.Time{}, TooLarge},
		{"data after the envelope", append(append([]byte{}, goodData...), goodData...), nil, time.Time{}, Malformed},
		{"JSON array", []byte("[]"), nil, time.Time{}, Malformed},
		{"unknown envelope field", envWith(func(m map[string]any) { m["certificates"] = []string{} }), nil, time.Time{}, Malformed},
		{"other format", envWith(func(m map[string]any) { m["format"] = "eseal-trust-bundle/2" }), nil, time.Time{}, Malformed},
		{"no format", envWith(func(m map[string]any) { delete(m, "format") }), nil, time.Time{}, Malformed},
		{"payload not base64", envWith(func(m map[string]any) { m["payload"] = "%%%" }), nil, time.Time{}, Malformed},
		{"no signature", envWith(func(m map[string]any) { delete(m, "signature") }), nil, time.Time{}, Malformed},
		{"payload not JSON", envelopeOf(t, []byte("not json"), p.RootKey), nil, time.Time{}, Malformed},
		{"unknown payload field", envelopeOf(t, []byte(`{"region":{"code":"330100","name":"x"},"anchors":[]}`), p.RootKey), nil, time.Time{}, Malformed},
		{"no root", with(func(pl *payload) { pl.Root = nil }), nil, time.Time{}, Malformed},
		{"fingerprint of another root", goodData, other.Root, time.Time{}, FingerprintMismatch},
		{"another root in the bundle", rootedAt(other.Root, other.RootKey), nil, time.Time{}, FingerprintMismatch},
		{"signature flipped", envWith(func(m map[string]any) {
			sig := append([]byte{}, goodEnv.Signature...)
			sig[len(sig)-3] ^= 1
			m["signature"] = sig
		}), nil, time.Time{}, BadSignature},
		{"payload changed after signing", envWith(func(m map[string]any) {
			m["payload"] = bytes.Replace(goodEnv.Payload, []byte(`"sequence":7`), []byte(`"sequence":9`), 1)
		}), nil, time.Time{}, BadSignature},
		{"signed by another key", signRaw(t, payloadOf(good), other.RootKey), nil, time.Time{}, BadSignature},
		{"signature garbage", envWith(func(m map[string]any) { m["signature"] = []byte("garbage") }), nil, time.Time{}, BadSignature},
		{"bad region code", with(func(pl *payload) { pl.Region.Code = "33010X" }), nil, time.Time{}, Malformed},
		{"no region name", with(func(pl *payload) { pl.Region.Name = "" }), nil, time.Time{}, Malformed},
		{"region name too long", with(func(pl *payload) { pl.Region.Name = strings.Repeat("杭", 100) }), nil, time.Time{}, TooLarge},
		{"control character in name", with(func(pl *payload) { pl.Region.Name = "杭州\x1b[2J" }), nil, time.Time{}, Malformed},
		{"name in GBK", func() []byte {
			raw, _ := json.Marshal(payloadOf(good))
			return envelopeOf(t, bytes.Replace(raw, []byte("杭州市行政审批局"), []byte("\xba\xbc\xd6\xdd"), 1), p.RootKey)
		}(), nil, time.Time{}, Malformed},
		{"sequence 0", with(func(pl *payload) { pl.Sequence = 0 }), nil, time.Time{}, Malformed},
		{"no issue time", with(func(pl *payload) { pl.Issued = time.Time{} }), nil, time.Time{}, Malformed},
		{"next update before issue", with(func(pl *payload) { pl.NextUpdate = pl.Issued.Add(-time.Second) }), nil, time.Time{}, Malformed},
		{"valid too long", with(func(pl *payload) { pl.NextUpdate = pl.Issued.Add(MaxValidity + time.Second) }), nil, time.Time{}, Malformed},
		{"ftp status URL", with(func(pl *payload) { pl.StatusURL = "ftp://eseal.example" }), nil, time.Time{}, Malformed},
		{"relative status URL", with(func(pl *payload) { pl.StatusURL = "/v1" }), nil, time.Time{}, Malformed},
		{"no status URL", with(func(pl *payload) { pl.StatusURL = "" }), nil, time.Time{}, Malformed},
		{"status URL with user", with(func(pl *payload) { pl.StatusURL = "https://admin:pw@eseal.example" }), nil, time.Time{}, Malformed},
		{"status URL too long", with(func(pl *payload) { pl.StatusURL = "https://eseal.example/" + strings.Repeat("a", MaxURLLength) }), nil, time.Time{}, TooLarge},
		{"CRL URL with query", with(func(pl *payload) { pl.CRLURL = "https://eseal.example/crl?x=1" }), nil, time.Time{}, Malformed},
		{"root not a certificate", with(func(pl *payload) { pl.Root = []byte("garbage") }), &smcrypto.Certificate{Raw: []byte("garbage")}, time.Time{}, BadCertificate},
		{"root not a CA", rootedAt(notCA, notCAKey), notCA, time.Time{}, BadCertificate},
		{"root not self-signed", rootedAt(sub, subKey), sub, time.Time{}, BadCertificate},
		{"root too large", with(func(pl *payload) { pl.Root = make([]byte, MaxCertificateSize+1) }), &smcrypto.Certificate{Raw: make([]byte, MaxCertificateSize+1)}, time.Time{}, TooLarge},
		{"seal maker of another root", with(func(pl *payload) { pl.SealMakers = [][]byte{other.Maker.Raw} }), nil, time.Time{}, BadCertificate},
		{"seal maker garbage", with(func(pl *payload) { pl.SealMakers = [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}} }), nil, time.Time{}, BadCertificate},
		{"TSA without timeStamping", with(func(pl *payload) { pl.TSAs = [][]byte{noTSAUse.Raw} }), nil, time.Time{}, BadCertificate},
		{"too many TSAs", with(func(pl *payload) {
			for range MaxCertificates + 1 {
				pl.TSAs = append(pl.TSAs, p.TSA.Raw)
			}
		}), nil, time.Time{}, TooLarge},
		{"certificate too large", with(func(pl *payload) { pl.SealMakers = [][]byte{make([]byte, MaxCertificateSize+1)} }), nil, time.Time{}, TooLarge},
		{"expired", goodData, nil, good.NextUpdate.Add(time.Second), Expired},
		{"expired at the second", goodData, nil, good.NextUpdate, Expired},
		{"issued in the future", goodData, nil, good.Issued.Add(-ClockSkew - time.Second), NotYetValid},
		{"root expired", with(func(pl *payload) {
			pl.Issued, pl.NextUpdate = p.Root.NotAfter.Add(-time.Hour), p.Root.NotAfter.Add(time.Hour)
		}), nil, p.Root.NotAfter.Add(time.Minute), BadCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fpCert, at := tt.fp, tt.now
			if fpCert == nil {
				fpCert = p.Root
			}
			if at.IsZero() {
				at = now
			}
			b, err := Verify(tt.data, fingerprint(fpCert), at)
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("Verify = %v, %v; want a refusal (%v)", b, err, tt.want)
			}
			if b != nil {
				t.Errorf("a bundle with the error")
			}
			if be.Reason != tt.want {
				t.Errorf("reason %v (%v), want %v", be.Reason, err, tt.want)
			}
		})
	}
	// Within the clock skew an issue time in the future is accepted.
	if _, err := Verify(goodData, fingerprint(p.Root), good.Issued.Add(-ClockSkew+time.Second)); err != nil {
		t.Errorf("issued within the clock skew: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	p := testpki.New(t, testpki.Options{})
	other := testpki.New(t, testpki.Options{})
	if _, err := Sign(testBundle(p), other.RootKey); err == nil {
		t.Error("signed with a key that is not the root's")
	}
	b := testBundle(p)
	b.StatusURL = ""
	if _, err := Sign(b, p.RootKey); err == nil {
		t.Error("signed a bundle without a status URL")
	}
	b = testBundle(p)
	b.SealMakers = []*smcrypto.Certificate{other.Maker}
	if _, err := Sign(b, p.RootKey); err == nil {
		t.Error("signed a bundle with another root's seal maker")
	}
	if _, err := Sign(&Bundle{}, p.RootKey); err == nil {
		t.Error("signed an empty bundle")
	}
}

func TestRead(t *testing.T) {
	if _, err := Read(bytes.NewReader(make([]byte, MaxSize+1))); err == nil {
		t.Error("read more than MaxSize")
	} else if be := (*Error)(nil); !errors.As(err, &be) || be.Reason != TooLarge {
		t.Errorf("over MaxSize: %v", err)
	}
	data, err := Read(bytes.NewReader(make([]byte, MaxSize)))
	if err != nil || len(data) != MaxSize {
		t.Errorf("MaxSize bytes: %d, %v", len(data), err)
	}
}
