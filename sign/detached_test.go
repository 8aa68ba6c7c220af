package sign

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// verifyDetached verifies a detached signature as verifyData does a PDF.
func verifyDetached(t *testing.T, file, sig []byte) *verify.Report {
	t.Helper()
	rep, err := verify.VerifyDetached(context.Background(), bytes.NewReader(file), int64(len(file)), sig, verify.Options{
		ExtraAnchors: []*smcrypto.Certificate{getPKI(t).root}, RevocationPolicy: verify.RevocationSoftFail, CurrentTime: fixedNow,
	})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// material is e-material of no particular format: a spreadsheet export with Chinese text.
var material = []byte("证照编号,持证主体,事项\n330100-2026-000123,杭州某某贸易有限公司,食品经营许可\n")

func TestSignDetachedRoundTrip(t *testing.T) {
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	for _, tt := range []struct {
		name string
		opts DetachedOptions
	}{
		{"SES_Signature", DetachedOptions{Format: DetachedSES, Name: "食品经营许可证明.csv", Now: fixedClock}},
		{"CMS PKCS#7 OIDs", DetachedOptions{Format: DetachedCMS, Now: fixedClock}},
		{"CMS GM/T 0010 OIDs", DetachedOptions{Format: DetachedCMS, Convention: smcrypto.ConventionGMT0010, Now: fixedClock}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := SignDetached(bytes.NewReader(material), s, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			sum := smcrypto.SM3(material)
			if !bytes.Equal(res.Digest, sum[:]) || res.Size != int64(len(material)) || !res.SigningTime.Equal(fixedNow) {
				t.Errorf("digest %x size %d time %v", res.Digest, res.Size, res.SigningTime)
			}
			if tt.opts.Format == DetachedSES {
				sig, err := seal.ParseSignature(res.Signature)
				if err != nil {
					t.Fatal(err)
				}
				want := "%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF%E8%AF%81%E6%98%8E.csv"
				if sig.PropertyInfo != want || res.PropertyInfo != want || !bytes.Equal(sig.DataHash, sum[:]) || sig.Version != 4 {
					t.Errorf("propertyInfo %q, dataHash %x, version %d", sig.PropertyInfo, sig.DataHash, sig.Version)
				}
			}
			rep := verifyDetached(t, material, res.Signature)
			sr := rep.Signatures[0]
			if rep.Indication != verify.TotalPassed || sr.Seal == nil || sr.Seal.Name != "杭州市行政审批局行政审批专用章" || sr.Coverage != "entire_file" {
				t.Fatalf("%s %s %+v", rep.Indication, sr.SubIndication, sr.Checks)
			}
			if sr.SigningTime == nil || !sr.SigningTime.Equal(fixedNow) {
				t.Errorf("signing time %v", sr.SigningTime)
			}

			// A changed byte of the file is a changed document; of the signature, a bad signature.
			changed := bytes.Clone(material)
			changed[3] ^= 0x01
			if rep := verifyDetached(t, changed, res.Signature); rep.Signatures[0].SubIndication != verify.HashFailure {
				t.Errorf("changed file: %s %s", rep.Indication, rep.Signatures[0].SubIndication)
			}
			if rep := verifyDetached(t, material[:len(material)-1], res.Signature); rep.Signatures[0].SubIndication != verify.HashFailure {
				t.Errorf("shortened file: %s %s", rep.Indication, rep.Signatures[0].SubIndication)
			}
		})
	}
}

// TestSignDetachedTampered: the right check catches a changed byte in each part of an
// SES_Signature: the signing time (under the signature), the signature value.
func TestSignDetachedTampered(t *testing.T) {
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	res, err := SignDetached(bytes.NewReader(material), s, DetachedOptions{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := seal.ParseSignature(res.Signature)
	if err != nil {
		t.Fatal(err)
	}
	timeAt := bytes.Index(res.Signature, []byte("20250314012653Z"))
	valueAt := bytes.Index(res.Signature, sig.SignatureValue) + len(sig.SignatureValue) - 5
	for _, tc := range []struct {
		name  string
		at    int
		check verify.CheckName
	}{
		{"signing time", timeAt + 3, verify.SignatureValueCheck},
		{"signature value", valueAt, verify.SignatureValueCheck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.at < 3 {
				t.Fatalf("part not found")
			}
			bad := bytes.Clone(res.Signature)
			bad[tc.at] ^= 0x01
			rep := verifyDetached(t, material, bad)
			sr := rep.Signatures[0]
			if rep.Indication != verify.TotalFailed || sr.SubIndication != verify.SigCryptoFailure || checkStatus(sr, tc.check) != verify.CheckFailed {
				t.Errorf("%s %s, %s %s", rep.Indication, sr.SubIndication, tc.check, checkStatus(sr, tc.check))
			}
		})
	}
}

// TestSignDetachedBouncyCastle: BouncyCastle's standard CMS verification accepts the detached
// PKCS#7-convention CMS over the file, and refuses it over a changed file.
func TestSignDetachedBouncyCastle(t *testing.T) {
	cp := bouncyCastle(t)
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	res, err := SignDetached(bytes.NewReader(material), s, DetachedOptions{Format: DetachedCMS, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := bcVerify(t, cp, material, res.Signature); !ok {
		t.Fatalf("BouncyCastle refuses the detached CMS: %s", out)
	}
	changed := bytes.Clone(material)
	changed[0] ^= 0x01
	if out, ok := bcVerify(t, cp, changed, res.Signature); ok {
		t.Fatalf("BouncyCastle accepts the CMS over a changed file: %s", out)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestSignDetachedErrors(t *testing.T) {
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	noKey := s
	noKey.Signer = nil
	for _, tc := range []struct {
		name   string
		r      io.Reader
		s      Sealer
		opts   DetachedOptions
		reason Reason
		detail string
	}{
		{"unknown format", bytes.NewReader(material), s, DetachedOptions{Format: 7, Now: fixedClock}, BadOptions, "unknown detached format"},
		{"unknown convention", bytes.NewReader(material), s, DetachedOptions{Format: DetachedCMS, Convention: 9, Now: fixedClock}, BadOptions, "unknown CMS convention"},
		{"no key", bytes.NewReader(material), noKey, DetachedOptions{Now: fixedClock}, NotSM2Signer, "SM2 private key"},
		{"unreadable file", failingReader{}, s, DetachedOptions{Now: fixedClock}, IOFailed, "disk on fire"},
		{"seal expired", bytes.NewReader(material), s, DetachedOptions{Now: func() time.Time { return fixedNow.AddDate(2, 0, 0) }}, NotValidAtSigningTime, "cannot be used now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := SignDetached(tc.r, tc.s, tc.opts)
			var se *Error
			if res != nil || !errors.As(err, &se) || se.Reason != tc.reason || !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("result %v, error %v; want %v saying %q", res, err, tc.reason, tc.detail)
			}
		})
	}
}
