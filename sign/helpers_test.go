package sign

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpki"
)

// testPKI is the shared test PKI (internal/testpki), on the sign tests' timeline: everything
// valid from 2024, the signer until 2027.
type testPKI struct {
	root, signer, maker        *smcrypto.Certificate
	rootKey, signerKey, maker_ crypto.Signer
	p                          *testpki.PKI
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

// fixedNow is the signing time of most tests: inside every validity period below.
var fixedNow = time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CST", 8*3600))

func getPKI(t testing.TB) testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		p := testpki.New(t, testpki.Options{Start: start, Signer: &testpki.CertOptions{NotBefore: start, NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}})
		pki = testPKI{root: p.Root, signer: p.Signer, maker: p.Maker, rootKey: p.RootKey, signerKey: p.SignerKey, maker_: p.MakerKey, p: p}
	})
	if pki.p == nil {
		t.Fatal("test PKI: not made")
	}
	return pki
}

// newSeal builds a version 4 seal named name for the test signer, with a generated 42 mm
// picture, valid from June 2024 to June 2026.
func newSeal(t testing.TB, name, esID string) *seal.Seal {
	t.Helper()
	pic, err := seal.GeneratePicture(name, esID, 42)
	if err != nil {
		t.Fatalf("GeneratePicture: %v", err)
	}
	return getPKI(t).p.Seal(t, testpki.SealOptions{Name: name, ESID: esID, Picture: &pic,
		From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
}

func newSealer(t testing.TB, name, esID string) Sealer {
	p := getPKI(t)
	return Sealer{Signer: p.signerKey, Seal: newSeal(t, name, esID).Raw, Chain: [][]byte{p.signer.Raw, p.root.Raw}}
}

func fixedClock() time.Time { return fixedNow }

// requireTool fails (never skips) when an outside tool is missing: the project's test
// command installs qpdf, poppler-utils and openssl.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test and was not found in PATH (install qpdf, poppler-utils and openssl)", name)
	}
	return path
}

// qpdfCheck runs qpdf --check and fails on any error or warning.
func qpdfCheck(t testing.TB, path string) {
	t.Helper()
	out, err := exec.Command(requireTool(t, "qpdf"), "--check", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("WARNING")) {
		t.Fatalf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

// pdfSignature is one signature field read back from a document.
type pdfSignature struct {
	field     string
	byteRange []int64
	contents  []byte
	name      string // /Name decoded
	reason    string
	location  string
	contact   string
	subFilter string
	// signingTime is /M.
	signingTime time.Time
}

// readSignatures lists the signature fields of data with the project's PDF reader.
func readSignatures(t testing.TB, data []byte) []pdfSignature {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	var sigs []pdfSignature
	for _, v := range d.Signatures {
		sigs = append(sigs, pdfSignature{field: v.FieldName, byteRange: v.ByteRange, contents: v.Contents, name: v.Name,
			reason: v.Reason, location: v.Location, contact: v.ContactInfo, subFilter: v.SubFilter, signingTime: v.SigningTime})
	}
	return sigs
}

// checkedSignature is what verifySignature found.
type checkedSignature struct {
	sd     *smcrypto.SignedData
	si     *smcrypto.SignerInfo
	signer *smcrypto.Certificate
	digest []byte
}

// verifySignature checks one signature of data end to end, independently of SignPDF's own
// bookkeeping: the ByteRange frames the /Contents hex string, its SM3 equals the CMS
// messageDigest, and the SM2 signature over the signed attributes verifies.
func verifySignature(t testing.TB, data []byte, s pdfSignature) checkedSignature {
	t.Helper()
	br := s.byteRange
	if len(br) != 4 || br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[2]+br[3] > int64(len(data)) {
		t.Fatalf("%s: bad ByteRange %v for %d bytes", s.field, br, len(data))
	}
	if data[br[1]] != '<' || data[br[2]-1] != '>' {
		t.Fatalf("%s: ByteRange gap is not the /Contents hex string", s.field)
	}
	raw := make([]byte, hex.DecodedLen(int(br[2]-br[1]-2)))
	if _, err := hex.Decode(raw, data[br[1]+1:br[2]-1]); err != nil {
		t.Fatalf("%s: /Contents: %v", s.field, err)
	}
	if !bytes.Equal(raw, s.contents) {
		t.Fatalf("%s: /Contents read by the PDF parser differs from the ByteRange gap", s.field)
	}
	h := smcrypto.NewSM3()
	h.Write(data[br[0] : br[0]+br[1]])
	h.Write(data[br[2] : br[2]+br[3]])
	digest := h.Sum(nil)
	sd, err := smcrypto.ParseSignedData(raw)
	if err != nil {
		t.Fatalf("%s: ParseSignedData: %v", s.field, err)
	}
	if len(sd.Signers) != 1 {
		t.Fatalf("%s: %d signers", s.field, len(sd.Signers))
	}
	si := sd.Signers[0]
	if !bytes.Equal(si.MessageDigest, digest) {
		t.Fatalf("%s: messageDigest %x, SM3 of the ByteRange %x", s.field, si.MessageDigest, digest)
	}
	cert := sd.SignerCertificate(si)
	if cert == nil {
		t.Fatalf("%s: signer certificate not in the CMS", s.field)
	}
	if _, err := si.VerifySignature(cert); err != nil {
		t.Fatalf("%s: SM2 signature: %v", s.field, err)
	}
	return checkedSignature{sd: sd, si: si, signer: cert, digest: digest}
}

// opensslVerify is the outside oracle: OpenSSL checks the SM2 signature over the signed
// attributes with the signer certificate's key and the standard signer ID.
func opensslVerify(t testing.TB, c checkedSignature) {
	t.Helper()
	openssl := requireTool(t, "openssl")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert := write("signer.pem", smcrypto.EncodeCertificatePEM(c.signer))
	attrs := write("attrs.der", c.si.SignedAttrsDER)
	sig := write("sig.der", c.si.Signature)
	out, err := exec.Command(openssl, "pkeyutl", "-verify", "-certin", "-inkey", cert, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", attrs, "-sigfile", sig).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		t.Fatalf("openssl pkeyutl -verify: %v\n%s", err, out)
	}
	// And the same bytes with one bit changed must fail, or the oracle proves nothing.
	bad := bytes.Clone(c.si.SignedAttrsDER)
	bad[len(bad)-1] ^= 1
	write("attrs.der", bad)
	out, err = exec.Command(openssl, "pkeyutl", "-verify", "-certin", "-inkey", cert, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", attrs, "-sigfile", sig).CombinedOutput()
	if err == nil {
		t.Fatalf("openssl accepted altered signed attributes:\n%s", out)
	}
}

// appearancePicture returns, as a PNG, the pixels of the image XObject that sealing embeds
// for picture p (decoded back from its /FlateDecode streams, the colour and the /SMask): what
// the tests inspect, and what the pdfsign reference benchmark draws.
func appearancePicture(p seal.Picture, rotate int, rectW, rectH float64) ([]byte, error) {
	x, err := appearanceImage(p, rotate, rectW, rectH)
	if err != nil {
		return nil, err
	}
	img, err := x.decode()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decode inflates the XObject's streams back into an image.
func (x *imageXObject) decode() (*image.NRGBA, error) {
	inflate := func(b []byte, want int) ([]byte, error) {
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out, err := io.ReadAll(zr)
		if err == nil && len(out) != want {
			err = fmt.Errorf("%d bytes, want %d", len(out), want)
		}
		return out, err
	}
	n := x.width * x.height
	rgb, err := inflate(x.rgb, 3*n)
	if err != nil {
		return nil, fmt.Errorf("colour stream: %w", err)
	}
	alpha, err := inflate(x.alpha, n)
	if err != nil {
		return nil, fmt.Errorf("mask stream: %w", err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, x.width, x.height))
	for i := range n {
		copy(img.Pix[4*i:], rgb[3*i:3*i+3])
		img.Pix[4*i+3] = alpha[i]
	}
	return img, nil
}
