package sign

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pdf"
	pdfsign "github.com/digitorus/pdfsign/sign"
)

// The benchmarks compare our SM2 sealing with what pdfsign does alone with ECDSA P-256 on
// the same document and the same appearance (the seal picture, converted the same way, in
// the same rectangle). Run the large ones alone, once:
//
//	go test ./sign -run '^$' -bench 'SignPDF$|PdfsignECDSA$' -benchmem
//	go test ./sign -run '^$' -bench 'Large' -benchtime 1x

// benchRect is the default rectangle on the A4 licence.
var benchRect = [4]float64{419.25, 56.69, 538.31, 175.75}

func BenchmarkSignPDF(b *testing.B) {
	s := newSealer(b, "北京示例贸易有限公司合同专用章", "11010800000071")
	data := mustRead(b, "testdata/licence.pdf")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignPDF(bytes.NewReader(data), io.Discard, s, PDFOptions{Now: fixedClock}); err != nil {
			b.Fatal(err)
		}
	}
}

// ecdsaSignData is pdfsign's own signing, ECDSA P-256 with a stdlib certificate.
func ecdsaSignData(b *testing.B) pdfsign.SignData {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		b.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		b.Fatal(err)
	}
	s := newSealer(b, "北京示例贸易有限公司合同专用章", "11010800000072")
	pic, err := appearancePicture(s.Seal.Picture, 0, benchRect[2]-benchRect[0], benchRect[3]-benchRect[1])
	if err != nil {
		b.Fatal(err)
	}
	return pdfsign.SignData{
		Signature: pdfsign.SignDataSignature{CertType: pdfsign.ApprovalSignature,
			Info: pdfsign.SignDataSignatureInfo{Name: "Bench", Date: time.Now()}},
		Signer: key, DigestAlgorithm: crypto.SHA256, Certificate: cert,
		Appearance: pdfsign.Appearance{Visible: true, Page: 1, LowerLeftX: benchRect[0], LowerLeftY: benchRect[1],
			UpperRightX: benchRect[2], UpperRightY: benchRect[3], Image: pic},
	}
}

func BenchmarkPdfsignECDSA(b *testing.B) {
	sd := ecdsaSignData(b)
	data := mustRead(b, "testdata/licence.pdf")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := bytes.NewReader(data)
		rdr, err := pdf.NewReader(r, int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		if err := pdfsign.Sign(r, io.Discard, rdr, int64(len(data)), sd); err != nil {
			b.Fatal(err)
		}
	}
}

const largeSize = 100 << 20

// largeLicence writes the licence with about 100 MiB of undrawn random data.
func largeLicence(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "large.pdf")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := buildLicencePDF(w, largeSize); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// peakRSS reports the process's peak resident set (VmHWM), in MiB.
func peakRSS(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatalf("peak memory needs /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func BenchmarkSignPDFLarge(b *testing.B) {
	in := largeLicence(b)
	s := newSealer(b, "合同专用章", "11010800000073")
	out := filepath.Join(b.TempDir(), "out.pdf")
	b.SetBytes(largeSize)
	b.ResetTimer()
	for b.Loop() {
		if _, err := SignPDFFile(in, out, s, PDFOptions{Now: fixedClock}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(peakRSS(b), "peak-RSS-MiB")
}

func BenchmarkPdfsignECDSALarge(b *testing.B) {
	in := largeLicence(b)
	sd := ecdsaSignData(b)
	out := filepath.Join(b.TempDir(), "out.pdf")
	b.SetBytes(largeSize)
	b.ResetTimer()
	for b.Loop() {
		if err := pdfsign.SignFile(in, out, sd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(peakRSS(b), "peak-RSS-MiB")
}
