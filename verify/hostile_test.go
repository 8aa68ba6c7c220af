package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// manySignaturesPDF writes a one-revision PDF with n signature fields whose dictionaries all
// come before a filler stream of fillerSize bytes: each ByteRange [0 a b size-b] covers the
// entire file, and each signature's own bytes (after its /Contents) are nearly the whole file.
// Every /Contents holds the same CMS, made over other bytes: the signatures that are hashed fail
// with HASH_FAILURE, which is all these tests need.
func manySignaturesPDF(t testing.TB, n int, fillerSize int) []byte {
	t.Helper()
	p := newPKI(t, nil)
	digest := smcrypto.SM3([]byte("other bytes"))
	cms, err := smcrypto.BuildDetachedSignedData(digest[:], p.SignerKey, []*smcrypto.Certificate{p.Signer, p.Root}, smcrypto.SignedDataOptions{SigningTime: tSign})
	if err != nil {
		t.Fatal(err)
	}
	contents := strings.ToUpper(hex.EncodeToString(cms))
	var b bytes.Buffer
	offs := make([]int, 4+2*n)
	obj := func(num int, body string) {
		offs[num-1] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	fields := make([]string, n)
	for i := range n {
		fields[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj(1, fmt.Sprintf("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>", strings.Join(fields, " ")))
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Annots [%s] >>", strings.Join(fields, " ")))
	for i := range n {
		obj(5+2*i, fmt.Sprintf("<< /FT /Sig /T (Sig%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V %d 0 R >>", i+1, 6+2*i))
		obj(6+2*i, fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> /M (D:20261127120000Z) >>", contents))
	}
	obj(4, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", fillerSize, strings.Repeat("%", fillerSize)))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	data := b.Bytes()
	size := len(data)
	for at := 0; ; {
		i := bytes.Index(data[at:], []byte("[0 0000000000 0000000000 0000000000] /Contents <"))
		if i < 0 {
			break
		}
		i += at
		a := i + len("[0 0000000000 0000000000 0000000000] /Contents ")
		e := a + 2 + len(contents)
		copy(data[i:], fmt.Sprintf("[0 %010d %010d %010d]", a, e, size-e))
		at = e
	}
	return data
}

// TestManySignaturesBoundedWork: a file whose signatures each make the verifier hash the whole
// file again is read once, hashed within the work budget, and the signatures past the budget
// are INDETERMINATE saying so, instead of the verification taking minutes.
func TestManySignaturesBoundedWork(t *testing.T) {
	const n = 100
	data := manySignaturesPDF(t, n, 4<<20)
	size := int64(len(data))
	counter := &countingReader{r: bytes.NewReader(data)}
	rep, err := VerifyPDF(context.Background(), counter, size, Options{CurrentTime: tNow, RevocationPolicy: RevocationSoftFail})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != n {
		t.Fatalf("%d signatures, want %d", len(rep.Signatures), n)
	}
	hashed, skipped := 0, 0
	for i, s := range rep.Signatures {
		c := checkNamed(s, IntegrityCheck)
		switch {
		case s.Indication == TotalFailed && s.SubIndication == HashFailure:
			hashed++
			if skipped > 0 {
				t.Errorf("signature %d was hashed after an earlier one was refused", i+1)
			}
		case s.Indication == Indeterminate && c.SubIndication == SignedDataNotFound && strings.Contains(c.Detail, "work budget"):
			skipped++
		default:
			t.Fatalf("signature %d: %s/%s, integrity %s: %s", i+1, s.Indication, s.SubIndication, c.Status, c.Detail)
		}
	}
	// Each signature's own bytes are about the file: about budget/size of them are hashed.
	if want := int(workBudget(size) / size); hashed < want-2 || hashed > want {
		t.Errorf("%d signatures hashed, %d past the budget; about %d fit", hashed, skipped, want)
	}
	// The structure is read in windows, the bytes hashed in one pass: not once per signature.
	if counter.bytes > 3*size {
		t.Errorf("read %d bytes of a %d-byte file", counter.bytes, size)
	}
}

func checkNamed(s SignatureReport, name CheckName) Check {
	for _, c := range s.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// TestCancelStopsVerification: a cancelled context stops the hashing at once; VerifyPDF returns
// the context's error and no report.
func TestCancelStopsVerification(t *testing.T) {
	data := manySignaturesPDF(t, 8, 64<<20)
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		rep *Report
		err error
		at  time.Time
	}
	done := make(chan result)
	go func() {
		rep, err := VerifyPDF(ctx, bytes.NewReader(data), int64(len(data)), Options{CurrentTime: tNow})
		done <- result{rep, err, time.Now()}
	}()
	time.Sleep(20 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) || r.rep != nil {
		t.Fatalf("VerifyPDF after cancel = %v, %v", r.rep, r.err)
	}
	// The hashing checks the context between reads of 256 KiB: it stops within a few
	// milliseconds; 100 ms is the promise.
	if d := r.at.Sub(cancelled); d > 100*time.Millisecond {
		t.Errorf("VerifyPDF returned %v after the cancel", d)
	}
}
