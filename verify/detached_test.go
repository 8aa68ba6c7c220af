package verify

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
)

// TestDetachedOtherSystems: detached CMS made by another system (OpenSSL 3) with RSA and ECDSA
// keys, in DER and PEM, verify over the file they sign, with their self-signed certificate
// trusted; a changed file is caught.
func TestDetachedOtherSystems(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required for this test (the project's test command installs it)")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "材料.txt")
	content := []byte("申请材料: 营业执照副本扫描件\n")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, tc := range []struct {
		name   string
		keyGen []string
		form   string
	}{
		{"RSA 2048, DER", []string{"-newkey", "rsa:2048"}, "DER"},
		{"ECDSA P-256, PEM", []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}, "PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, cert, sig := filepath.Join(dir, tc.form+".key"), filepath.Join(dir, tc.form+".crt"), filepath.Join(dir, tc.form+".p7s")
			run(append(append([]string{"req", "-x509"}, tc.keyGen...), "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=Other System Signer", "-days", "3650")...)
			run("cms", "-sign", "-binary", "-in", file, "-signer", cert, "-inkey", key, "-outform", tc.form, "-out", sig)
			sigBytes, err := os.ReadFile(sig)
			if err != nil {
				t.Fatal(err)
			}
			anchors := loadCerts(t, cert)
			opts := Options{ExtraAnchors: anchors, Revocation: &fakeRevocation{}}
			rep, err := VerifyDetached(context.Background(), bytes.NewReader(content), int64(len(content)), sigBytes, opts)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if rep.Indication != TotalPassed || s.Coverage != "entire_file" || rep.Document.Format != "detached" || !strings.HasPrefix(s.Format, "detached CMS") {
				t.Fatalf("%s %s %s %+v", rep.Indication, s.SubIndication, s.Format, s.Checks)
			}
			changed := append(bytes.Clone(content), '\n')
			rep, err = VerifyDetached(context.Background(), bytes.NewReader(changed), int64(len(changed)), sigBytes, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Signatures[0].SubIndication != HashFailure {
				t.Errorf("changed file: %s %s", rep.Indication, rep.Signatures[0].SubIndication)
			}
		})
	}
}

// TestDetachedSealSignature: an SES_Signature made here verifies, its seal is checked like a
// PDF signature's, and one over other data fails the integrity check.
func TestDetachedSealSignature(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	sealDER := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	content := []byte("任意电子材料")
	ses := p.SESignature(t, sealDER, content, "material.bin", tSign)
	opts := Options{Anchors: anchors, Revocation: &fakeRevocation{}, CurrentTime: tNow}
	rep, err := VerifyDetached(context.Background(), bytes.NewReader(content), int64(len(content)), ses, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	want := []CheckName{FormatCheck, IntegrityCheck, SignatureValueCheck, SignerCertificateCheck, SealCheck, ChainCheck, ValidityCheck, RevocationCheck, AlgorithmsCheck}
	var got []CheckName
	for _, c := range s.Checks {
		got = append(got, c.Name)
	}
	if rep.Indication != TotalPassed || s.Seal == nil || s.Seal.ESID != "33010000000001" || s.SigningTime == nil || !s.SigningTime.Equal(tSign) ||
		strings.Join(checkNames(got), ",") != strings.Join(checkNames(want), ",") {
		t.Fatalf("%s %s, checks %v\n%+v", rep.Indication, s.SubIndication, got, s.Checks)
	}
	other := []byte("其他材料")
	rep, err = VerifyDetached(context.Background(), bytes.NewReader(other), int64(len(other)), ses, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Signatures[0].SubIndication != HashFailure {
		t.Errorf("other data: %s %s", rep.Indication, rep.Signatures[0].SubIndication)
	}
	// The seal's rules hold: a signer the seal does not list fails the seal check.
	stranger := p.Issue(t, "not the seal's signer", p.SignerKey, tRootStart, tRootStart.AddDate(3, 0, 0), 0, nil)
	foreign := makeSeal(t, p, []*smcrypto.Certificate{stranger}, tRootStart, tRootStart.AddDate(5, 0, 0))
	rep, err = VerifyDetached(context.Background(), bytes.NewReader(content), int64(len(content)), p.SESignatureUnchecked(t, foreign, content, "material.bin", tSign), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; s.SubIndication != SigConstraintsFailure {
		t.Errorf("signer not in the seal: %s %s", s.Indication, s.SubIndication)
	}
}

func checkNames(ns []CheckName) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}

func TestDetachedBadInput(t *testing.T) {
	content := []byte("x")
	for _, tc := range []struct {
		name   string
		sig    []byte
		reason InputErrorReason
		detail string
	}{
		{"empty", nil, InputNotSignature, "neither a CMS SignedData"},
		{"text", []byte("not a signature"), InputNotSignature, "neither a CMS SignedData"},
		{"a PDF", []byte("%PDF-1.7\n"), InputNotSignature, "neither"},
		{"too large", bytes.Repeat([]byte{0x30}, MaxDetachedSignatureSize+1), InputNotSignature, "more than a signature can be"},
		{"length past the end", []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, InputNotSignature, "neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := VerifyDetached(context.Background(), bytes.NewReader(content), 1, tc.sig, Options{})
			var ie *InputError
			if rep != nil || !errors.As(err, &ie) || ie.Reason != tc.reason || !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("report %v, error %v; want %v saying %q", rep, err, tc.reason, tc.detail)
			}
		})
	}
	// A signature of the right shape whose insides are broken is a report, not an error.
	for _, sig := range [][]byte{{0x30, 0x03, 0x06, 0x01, 0x00}, {0x30, 0x02, 0x30, 0x00}} {
		rep, err := VerifyDetached(context.Background(), bytes.NewReader(content), 1, sig, Options{})
		if err != nil || rep.Signatures[0].SubIndication != FormatFailure {
			t.Errorf("%x: %v %+v", sig, err, rep)
		}
	}
	if _, err := VerifyDetached(context.Background(), nil, 1, []byte{0x30}, Options{}); err == nil {
		t.Error("no reader: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := VerifyDetached(ctx, bytes.NewReader(content), 1, []byte{0x30, 0x02, 0x30, 0x00}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A file that cannot be read is a read error.
	if _, err := VerifyDetached(context.Background(), errReaderAt{}, 100, []byte{0x30, 0x02, 0x30, 0x00}, Options{}); err == nil {
		t.Error("unreadable file: no error")
	}
}

type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }
