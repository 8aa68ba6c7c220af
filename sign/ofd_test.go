package sign

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/verify"
)

func verifyOFDData(t *testing.T, data []byte) *verify.Report {
	t.Helper()
	rep, err := verify.VerifyOFD(context.Background(), bytes.NewReader(data), int64(len(data)), verify.Options{
		ExtraAnchors: []*smcrypto.Certificate{getPKI(t).root}, RevocationPolicy: verify.RevocationSoftFail, CurrentTime: fixedNow,
	})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func signOFDBytes(t *testing.T, in []byte, s Sealer, opts OFDOptions) ([]byte, *OFDResult) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedClock
	}
	var out bytes.Buffer
	res, err := SignOFD(bytes.NewReader(in), int64(len(in)), &out, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), res
}

// TestSignOFD seals the sample licence, then seals it again (continued signing): both seals
// verify, each protecting every file but the list of signatures, and the stamp sits where it
// was asked.
func TestSignOFD(t *testing.T) {
	licence := mustRead(t, "testdata/licence.ofd")
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	once, res := signOFDBytes(t, licence, s, OFDOptions{})
	if res.Path != "Doc_0/Signs/Sign_0/Signature.xml" || res.ID != "1" || res.PageRef != "1" || res.References != 5 {
		t.Errorf("result %+v", res)
	}
	if want := [4]float64{210 - 20 - 42, 297 - 20 - 42, 42, 42}; res.Boundary != want {
		t.Errorf("default stamp box %v, want %v", res.Boundary, want)
	}
	rep := verifyOFDData(t, once)
	if rep.Indication != verify.TotalPassed || rep.Signatures[0].Coverage != "entire_file" || len(rep.Signatures[0].Stamps) != 1 {
		t.Fatalf("sealed once: %s %+v", rep.Indication, rep.Signatures[0].Checks)
	}
	twice, res2 := signOFDBytes(t, once, newSealer(t, "杭州市市场监督管理局专用章", "33010000000004"), OFDOptions{At: &[2]float64{30, 200}})
	if res2.Path != "Doc_0/Signs/Sign_1/Signature.xml" || res2.ID != "2" || res2.Boundary != [4]float64{30, 200, 42, 42} {
		t.Errorf("second result %+v", res2)
	}
	rep = verifyOFDData(t, twice)
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("sealed twice: %s", rep.Indication)
	}
	for _, sr := range rep.Signatures {
		if sr.Indication != verify.TotalPassed {
			t.Errorf("signature %s: %s %s %+v", sr.FieldName, sr.Indication, sr.SubIndication, sr.Checks)
		}
	}
	// Every member of the first output is in the second, byte for byte as stored, but the list.
	if err := sameMembers(once, twice, "Doc_0/Signs/Signatures.xml"); err != nil {
		t.Error(err)
	}
}

// sameMembers checks that every member of a is in b with the same stored bytes, except skip.
func sameMembers(a, b []byte, skip string) error {
	za, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		return err
	}
	zb, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	raw := func(f *zip.File) []byte {
		r, _ := f.OpenRaw()
		data, _ := io.ReadAll(r)
		return data
	}
	inB := map[string]*zip.File{}
	for _, f := range zb.File {
		inB[f.Name] = f
	}
	for _, f := range za.File {
		if f.Name == skip {
			continue
		}
		g, ok := inB[f.Name]
		if !ok || !bytes.Equal(raw(f), raw(g)) || f.CRC32 != g.CRC32 {
			return errors.New(f.Name + " was not kept as stored")
		}
	}
	return nil
}

// replaceMember rewrites one member of an OFD with edit applied to its content.
func replaceMember(t *testing.T, data []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		if f.Name != name {
			zw.Copy(f)
			continue
		}
		found = true
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		w, _ := zw.Create(name)
		w.Write(edit(content))
	}
	zw.Close()
	if !found {
		t.Fatalf("no member %s", name)
	}
	return out.Bytes()
}

// TestSignOFDTampered: a changed byte of a protected file, of Signature.xml, or of the
// signature value is caught by the right check.
func TestSignOFDTampered(t *testing.T) {
	signed, res := signOFDBytes(t, mustRead(t, "testdata/licence.ofd"), newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003"), OFDOptions{})
	flip := func(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 0x01; return b }
	for _, tc := range []struct {
		name, member string
		edit         func([]byte) []byte
		check        verify.CheckName
		sub          verify.SubIndication
	}{
		{"page content", "Doc_0/Pages/Page_0/Content.xml", func(b []byte) []byte { return bytes.Replace(b, []byte("某某"), []byte("另外"), 1) }, verify.ReferencesCheck, verify.HashFailure},
		{"Signature.xml", res.Path, func(b []byte) []byte { return bytes.Replace(b, []byte(`PageRef="1"`), []byte(`PageRef="2"`), 1) }, verify.IntegrityCheck, verify.HashFailure},
		{"signature value", "Doc_0/Signs/Sign_0/SignedValue.dat", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-3] ^= 0x01; return b }, verify.SignatureValueCheck, verify.SigCryptoFailure},
		{"seal file", "Doc_0/Signs/Sign_0/Seal.esl", flip, verify.ReferencesCheck, verify.HashFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyOFDData(t, replaceMember(t, signed, tc.member, tc.edit))
			sr := rep.Signatures[0]
			if sr.Indication != verify.TotalFailed || sr.SubIndication != tc.sub || checkStatus(sr, tc.check) != verify.CheckFailed {
				t.Errorf("%s %s, %s %s", sr.Indication, sr.SubIndication, tc.check, checkStatus(sr, tc.check))
			}
		})
	}
}

// TestSignOFDOthers: sealing a document another vendor sealed keeps its seal as it was; one
// whose seal allows no later signature is refused.
func TestSignOFDOthers(t *testing.T) {
	theirs := mustRead(t, "testdata/ofd-07.ofd")
	before := verifyOFDData(t, theirs)
	sealed, _ := signOFDBytes(t, theirs, newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003"), OFDOptions{})
	after := verifyOFDData(t, sealed)
	if len(after.Signatures) != 2 {
		t.Fatalf("%d signatures", len(after.Signatures))
	}
	b, a := before.Signatures[0], after.Signatures[0]
	if a.Indication != b.Indication || a.SubIndication != b.SubIndication || checkStatus(a, verify.ReferencesCheck) != verify.CheckPassed {
		t.Errorf("their seal: %s %s before, %s %s after", b.Indication, b.SubIndication, a.Indication, a.SubIndication)
	}
	if ours := after.Signatures[1]; ours.Indication != verify.TotalPassed {
		t.Errorf("our seal: %s %s %+v", ours.Indication, ours.SubIndication, ours.Checks)
	}

	locked := mustRead(t, "testdata/ofd-11.ofd")
	var out bytes.Buffer
	_, err := SignOFD(bytes.NewReader(locked), int64(len(locked)), &out, newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003"), OFDOptions{Now: fixedClock})
	var se *Error
	if !errors.As(err, &se) || se.Reason != Certified || !strings.Contains(err.Error(), "allows no later signature") || out.Len() != 0 {
		t.Errorf("locked document: %v (wrote %d bytes)", err, out.Len())
	}
}

func TestSignOFDErrors(t *testing.T) {
	licence := mustRead(t, "testdata/licence.ofd")
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	for _, tc := range []struct {
		name   string
		in     []byte
		opts   OFDOptions
		reason Reason
		detail string
	}{
		{"not an OFD", mustRead(t, "testdata/licence.pdf"), OFDOptions{}, NotOFD, "not a readable OFD"},
		{"page out of range", licence, OFDOptions{Page: 2}, PageOutOfRange, "the document has 1"},
		{"stamp off the page", licence, OFDOptions{At: &[2]float64{190, 10}}, BadRect, "not on the"},
		{"negative position", licence, OFDOptions{At: &[2]float64{-1, 10}}, BadRect, "not on the"},
		{"seal expired", licence, OFDOptions{Now: func() time.Time { return fixedNow.AddDate(2, 0, 0) }}, NotValidAtSigningTime, "cannot be used now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Now == nil {
				tc.opts.Now = fixedClock
			}
			var out bytes.Buffer
			res, err := SignOFD(bytes.NewReader(tc.in), int64(len(tc.in)), &out, s, tc.opts)
			var se *Error
			if res != nil || !errors.As(err, &se) || se.Reason != tc.reason || !strings.Contains(err.Error(), tc.detail) || out.Len() != 0 {
				t.Errorf("result %v, error %v, %d bytes written; want %v saying %q", res, err, out.Len(), tc.reason, tc.detail)
			}
		})
	}
	if _, err := SignOFDFile("testdata/licence.ofd", "testdata/licence.ofd", s, OFDOptions{Now: fixedClock}); err == nil {
		t.Error("SignOFDFile onto its input: no error")
	}
}

// TestSignOFDNear: the stamp is centred over a text of the page, as seals sit over the
// issuing authority's name; a text that is not there is an error.
func TestSignOFDNear(t *testing.T) {
	licence := mustRead(t, "testdata/licence.ofd")
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	_, res := signOFDBytes(t, licence, s, OFDOptions{Near: "杭州市行政审批局"})
	// The sample sets 杭州市行政审批局 (8 characters of 4.2 mm) in a TextObject at 120,230 mm,
	// on a baseline 4.2 mm below its top: the text's centre is at 136.8,232.1 mm.
	cx, cy := res.Boundary[0]+res.Boundary[2]/2, res.Boundary[1]+res.Boundary[3]/2
	if math.Abs(cx-(120+4*4.2)) > 0.01 || math.Abs(cy-(230+4.2-2.1)) > 0.01 {
		t.Errorf("stamp centred at %.2f,%.2f mm", cx, cy)
	}
	for _, tc := range []struct {
		opts   OFDOptions
		reason Reason
	}{
		{OFDOptions{Near: "上海市"}, TextNotFound},
		{OFDOptions{Near: "杭州市行政审批局", At: &[2]float64{10, 10}}, BadRect},
	} {
		tc.opts.Now = fixedClock
		var out bytes.Buffer
		_, err := SignOFD(bytes.NewReader(licence), int64(len(licence)), &out, s, tc.opts)
		var se *Error
		if !errors.As(err, &se) || se.Reason != tc.reason || out.Len() != 0 {
			t.Errorf("%+v: %v", tc.opts, err)
		}
	}
}

// TestSignOFDRiding: a riding seal across three pages: a stamp per page, each showing its third
// of the seal at the page's right edge, and the signature valid; one page is not enough.
func TestSignOFDRiding(t *testing.T) {
	l := testofd.DefaultLicence
	l.Pages = 3
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	sealed, res := signOFDBytes(t, l.Bytes(), s, OFDOptions{Riding: true})
	if res.Stamps != 3 {
		t.Fatalf("%d stamps", res.Stamps)
	}
	rep := verifyOFDData(t, sealed)
	sr := rep.Signatures[0]
	if rep.Indication != verify.TotalPassed || len(sr.Stamps) != 3 {
		t.Fatalf("%s, %d stamps", rep.Indication, len(sr.Stamps))
	}
	pages := map[string]bool{}
	for i, st := range sr.Stamps {
		pages[st.PageRef] = true
		if want := 210 - 14*float64(i+1); math.Abs(st.X-want) > 0.01 || st.Width != 42 {
			t.Errorf("stamp %d at x %.2f (width %.0f), want %.2f", i, st.X, st.Width, want)
		}
	}
	if len(pages) != 3 {
		t.Errorf("stamps on pages %v", pages)
	}
	xml := sealedMember(t, sealed, res.Path)
	for _, clip := range []string{`Clip="0 0 14 42"`, `Clip="14 0 14 42"`, `Clip="28 0 14 42"`} {
		if !bytes.Contains(xml, []byte(clip)) {
			t.Errorf("no %s in %s", clip, xml)
		}
	}
	var out bytes.Buffer
	_, err := SignOFD(bytes.NewReader(mustRead(t, "testdata/licence.ofd")), int64(len(mustRead(t, "testdata/licence.ofd"))), &out, s, OFDOptions{Riding: true, Now: fixedClock})
	var se *Error
	if !errors.As(err, &se) || se.Reason != BadRect || !strings.Contains(err.Error(), "two pages or more") {
		t.Errorf("one page: %v", err)
	}
}

func sealedMember(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	t.Fatalf("no %s", name)
	return nil
}
