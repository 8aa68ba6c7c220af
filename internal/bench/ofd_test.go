package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// ofdFixture seals the sample OFD licence (with a scanned attachment of scanBytes) with the
// licence fixture's seal, and returns the sealed document.
func ofdFixture(b *testing.B, scanBytes int) (*fixture, []byte) {
	f := getFixture(b, "licence")
	l := testofd.DefaultLicence
	l.ScanBytes = scanBytes
	in := l.Bytes()
	var out bytes.Buffer
	if _, err := sign.SignOFD(bytes.NewReader(in), int64(len(in)), &out, f.sealer, sign.OFDOptions{}); err != nil {
		b.Fatal(err)
	}
	return f, out.Bytes()
}

// ofdReference is the irreducible work of verifying a sealed OFD: inflating and hashing (SM3)
// every protected file and Signature.xml, and the four SM2 verifications (the signature over
// TBS_Sign, the signer's certificate, the seal maker's signature, the maker's certificate).
func ofdReference(b *testing.B, f *fixture, data []byte) func() {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var value []byte
	for _, m := range zr.File {
		if strings.HasSuffix(m.Name, "SignedValue.dat") {
			rc, _ := m.Open()
			value, _ = io.ReadAll(rc)
		}
	}
	ses, err := seal.ParseSignature(value)
	if err != nil {
		b.Fatal(err)
	}
	maker, err := smcrypto.ParseCertificate(ses.Seal.MakerCert)
	if err != nil {
		b.Fatal(err)
	}
	signer, root := f.chain[0], f.chain[len(f.chain)-1]
	rootPub := root.PublicKey.(*ecdsa.PublicKey)
	type sm2Job struct {
		pub      *ecdsa.PublicKey
		msg, sig []byte
	}
	jobs := []sm2Job{
		{signer.PublicKey.(*ecdsa.PublicKey), ses.RawTBS, ses.SignatureValue},
		{rootPub, signer.RawTBSCertificate, signer.Signature},
		{maker.PublicKey.(*ecdsa.PublicKey), ses.Seal.RawSealInfo, ses.Seal.SignedValue},
		{rootPub, maker.RawTBSCertificate, maker.Signature},
	}
	buf := make([]byte, 64<<10)
	return func() {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range zr.File {
			if strings.HasSuffix(m.Name, "Signatures.xml") || strings.HasSuffix(m.Name, "SignedValue.dat") {
				continue
			}
			rc, err := m.Open()
			if err != nil {
				b.Fatal(err)
			}
			h := smcrypto.NewSM3()
			io.CopyBuffer(h, rc, buf)
			rc.Close()
			h.Sum(nil)
		}
		for _, j := range jobs {
			if _, err := smcrypto.VerifySM2(j.pub, nil, j.msg, j.sig); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkVerifyOFD: a sealed OFD licence, alone and with a 4 MB scanned attachment, against
// the reference work (target: at most 1.5 times it).
func BenchmarkVerifyOFD(b *testing.B) {
	for _, size := range []struct {
		name string
		scan int
	}{{"licence", 0}, {"licence+4MB", 4 << 20}} {
		f, data := ofdFixture(b, size.scan)
		path := filepath.Join(b.TempDir(), "sealed.ofd")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(size.name+"/eseal-sm2", func(b *testing.B) {
			file, n := openSized(b, path)
			defer file.Close()
			b.SetBytes(n)
			for b.Loop() {
				rep, err := verify.VerifyOFD(context.Background(), file, n, verifyOptions(f))
				if err != nil || rep.Indication != verify.TotalPassed {
					b.Fatalf("verify: %v %+v", err, rep)
				}
			}
		})
		b.Run(size.name+"/reference-sm3+sm2", func(b *testing.B) {
			run := ofdReference(b, f, data)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				run()
			}
		})
	}
}
