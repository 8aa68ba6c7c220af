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
	"fmt"
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
// the same rectangle): the licence; the licence with the picture conversion not cached yet
// (a one-off signing, as by the CLI); a document of 200,000 objects (the cross-reference
// data dominates); 100 MiB (the bytes dominate). Run the large ones alone, once:
//
//	go test ./sign -run '^$' -bench 'SignPDF(Cold)?$|PdfsignECDSA$' -benchmem
//	go test ./sign -run '^$' -bench 'ManyObjects' -benchtime 10x
//	go test ./sign -run '^$' -bench 'Large' -benchtime 1x

// benchRect is the default rectangle on the A4 licence.
var benchRect = [4]float64{419.25, 56.69, 538.31, 175.75}

// benchSignPDF seals data in a loop, calling before (if not nil) before each sealing.
func benchSignPDF(b *testing.B, s Sealer, data []byte, before func()) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if before != nil {
			before()
		}
		if _, err := SignPDF(bytes.NewReader(data), io.Discard, s, PDFOptions{Now: fixedClock}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPdfsign signs data with pdfsign in a loop, as pdfsign.SignFile does.
func benchPdfsign(b *testing.B, sd pdfsign.SignData, data []byte) {
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

func BenchmarkSignPDF(b *testing.B) {
	benchSignPDF(b, newSealer(b, "北京示例贸易有限公司合同专用章", "11010800000071"), mustRead(b, "testdata/licence.pdf"), nil)
}

// BenchmarkSignPDFCold seals with the seal picture's conversion not cached (the first
// sealing with a seal in a process).
func BenchmarkSignPDFCold(b *testing.B) {
	benchSignPDF(b, newSealer(b, "北京示例贸易有限公司合同专用章", "11010800000074"), mustRead(b, "testdata/licence.pdf"), func() {
		pictures.mu.Lock()
		clear(pictures.m)
		pictures.mu.Unlock()
	})
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
	benchPdfsign(b, ecdsaSignData(b), mustRead(b, "testdata/licence.pdf"))
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

// manyObjects is a one-page PDF with n more (small, unused) objects and a classic xref table.
func manyObjects(n int) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	for i := range n {
		obj(fmt.Sprintf("<< /N %d >>", i))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

const manyObjectsCount = 200_000

func BenchmarkSignPDFManyObjects(b *testing.B) {
	benchSignPDF(b, newSealer(b, "合同专用章", "11010800000075"), manyObjects(manyObjectsCount), nil)
}

func BenchmarkPdfsignECDSAManyObjects(b *testing.B) {
	benchPdfsign(b, ecdsaSignData(b), manyObjects(manyObjectsCount))
}
