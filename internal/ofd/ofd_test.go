package ofd

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func openFile(t testing.TB, name string) *Package {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// TestRealFiles reads what a person reads in the XML of real files of several vendors.
func TestRealFiles(t *testing.T) {
	p := openFile(t, "ofd-04.ofd")
	if len(p.Docs) != 1 || p.Docs[0].SignaturesPath != "Doc_0/Signs/Signatures.xml" || len(p.Docs[0].Signatures) != 2 {
		t.Fatalf("docs %+v", p.Docs)
	}
	seal, sign := p.Docs[0].Signatures[0], p.Docs[0].Signatures[1]
	if seal.ID != "2" || seal.Type != "Seal" || seal.Path != "Doc_0/Signs/Sign_1/Signature.xml" || seal.SealPath != "Doc_0/Signs/Sign_1/Seal.esl" ||
		seal.ValuePath != "Doc_0/Signs/Sign_1/SignedValue.dat" || seal.CheckMethod != "SM3" || seal.DateTime != "20200620091849Z" ||
		seal.ProviderName != "oesplugin" || seal.Company != "tongz" || len(seal.References) != 7 || len(seal.Stamps) != 1 {
		t.Errorf("seal signature %+v", seal)
	}
	if sign.Type != "Sign" || sign.DateTime != "2020-06-20 17:18:49" || len(sign.Stamps) != 0 {
		t.Errorf("sign signature %+v", sign)
	}
	raw, err := p.ReadFile(seal.Path)
	if err != nil || !bytes.Equal(raw, seal.Raw) || !bytes.HasPrefix(raw, []byte("<?xml")) {
		t.Errorf("Raw is not the member's bytes: %v", err)
	}
	for _, r := range seal.References {
		if r.Path == "" || len(r.CheckValue) != 32 {
			t.Errorf("reference %+v", r)
		}
	}
	if st := seal.Stamps[0]; st.PageRef == "" || st.Boundary[2] <= 0 || st.Boundary[3] <= 0 {
		t.Errorf("stamp %+v", st)
	}
	sum, err := p.Digest("/OFD.xml", sha256.New())
	if want := sha256.Sum256(mustRead(t, p, "OFD.xml")); err != nil || !bytes.Equal(sum, want[:]) {
		t.Errorf("Digest: %x, %v", sum, err)
	}

	s := openFile(t, "ofd-05.ofd").Docs[0].Signatures[0]
	if s.Path != "Doc_0/Signs/Sign_1/Signature.xml" || s.ValuePath != "Doc_0/Signs/Sign_1/SignValue.dat" || !hasProblem(s.Problems, "SignValue.dat") {
		t.Errorf("ofd-05: %+v", s)
	}
	s = openFile(t, "ofd-20.ofd").Docs[0].Signatures[0]
	if s.ProviderName != "iOFD® 2.1.1 ©2019-2020 dms360.cn" || s.CheckMethod != "1.2.156.10197.1.401.2" || !hasProblem(s.Problems, "child elements") || !hasProblem(s.Problems, "no Type") {
		t.Errorf("ofd-20: %+v", s)
	}
	if d := openFile(t, "ofd-16.ofd").Docs[0]; d.SignaturesPath != "" || len(d.Signatures) != 0 {
		t.Errorf("ofd-16 is unsigned: %+v", d)
	}
}

func mustRead(t *testing.T, p *Package, name string) []byte {
	t.Helper()
	b, err := p.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasProblem(ps []string, s string) bool {
	for _, p := range ps {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// member is a zip member for build.
type member struct {
	name string
	data []byte
	// declared, when set, is the uncompressed size written in the headers instead of the real one.
	declared uint64
}

func build(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range ms {
		if m.declared != 0 {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: m.name, Method: zip.Store, CompressedSize64: uint64(len(m.data)), UncompressedSize64: m.declared})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(m.data)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	ofdXMLDoc  = `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`
	sigXMLBody = `<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:References CheckMethod="SM3"><ofd:Reference FileRef="/Doc_0/Document.xml"><ofd:CheckValue>AAAA</ofd:CheckValue></ofd:Reference></ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`
)

func signatures(entries string) member {
	return member{name: "Doc_0/Signs/Signatures.xml", data: []byte(`<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016">` + entries + `</ofd:Signatures>`)}
}

// TestHostilePackages: bad packages get clear errors of the right reason, within bounded memory
// and time, and never a panic.
func TestHostilePackages(t *testing.T) {
	base := []member{{name: "OFD.xml", data: []byte(ofdXMLDoc)}, {name: "Doc_0/Document.xml", data: []byte("<ofd:Document/>")}}
	many := make([]member, 0, MaxEntries+1)
	for i := range MaxEntries + 1 {
		many = append(many, member{name: fmt.Sprintf("f%d", i)})
	}
	tests := []struct {
		name   string
		data   []byte
		reason Reason
		detail string
	}{
		{"not a zip", []byte("%PDF-1.7\n"), NotOFD, "not a zip"},
		{"empty", nil, NotOFD, "not a zip"},
		{"no OFD.xml", build(t, member{name: "Doc_0/Document.xml"}), NotOFD, "no OFD.xml"},
		{"thousands of entries", build(t, many...), TooLarge, "members"},
		{"path traversal", build(t, append(base, member{name: "../../etc/passwd", data: []byte("x")})...), BadPath, ""},
		{"absolute member name", build(t, append(base, member{name: "/etc/passwd", data: []byte("x")})...), BadPath, ""},
		{"backslash name", build(t, append(base, member{name: `Doc_0\..\..\x`, data: []byte("x")})...), BadPath, ""},
		{"member twice", build(t, append(base, member{name: "OFD.xml", data: []byte(ofdXMLDoc)})...), BadPath, "twice"},
		{"zip bomb", build(t, member{name: "OFD.xml", data: bytes.Repeat([]byte(" "), MaxXMLSize+1)}), TooLarge, "declares"},
		{"2 GB claimed", build(t, member{name: "OFD.xml", data: []byte(ofdXMLDoc), declared: 2 << 30}), TooLarge, "declares"},
		{"inflates past its declared size", build(t, member{name: "OFD.xml", data: []byte(ofdXMLDoc), declared: 10}), Damaged, "does not inflate"},
		{"malformed OFD.xml", build(t, member{name: "OFD.xml", data: []byte("<ofd:OFD><ofd:DocBody>")}), Malformed, "not well-formed"},
		{"no document", build(t, member{name: "OFD.xml", data: []byte("<OFD/>")}), Malformed, "no document"},
		{"Signatures.xml missing", build(t, base...), Missing, "Signatures.xml"},
		{"malformed Signatures.xml", build(t, append(base, member{name: "Doc_0/Signs/Signatures.xml", data: []byte("<a><b></a>")})...), Malformed, "Signatures.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(bytes.NewReader(tt.data), int64(len(tt.data)))
			var e *Error
			if p != nil || !errors.As(err, &e) || e.Reason != tt.reason || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("package %v, error %v; want %v saying %q", p != nil, err, tt.reason, tt.detail)
			}
		})
	}
}

// TestBadSignatureEntries: a signature whose own files are unusable gets an error of its own;
// the package and the other signatures are still read.
func TestBadSignatureEntries(t *testing.T) {
	good := member{name: "Doc_0/Signs/Sign_0/Signature.xml", data: []byte(sigXMLBody)}
	data := build(t,
		member{name: "OFD.xml", data: []byte(ofdXMLDoc)},
		member{name: "Doc_0/Document.xml", data: []byte("<ofd:Document/>")},
		good,
		member{name: "Doc_0/Signs/Sign_1/Signature.xml", data: []byte("<ofd:Signature><ofd:SignedInfo>")},
		member{name: "Doc_0/Signs/Sign_2/Signature.xml", data: []byte(`<ofd:Signature><ofd:SignedInfo/></ofd:Signature>`)},
		signatures(`<ofd:Signature ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"/>`+
			`<ofd:Signature ID="2" Type="Seal"/>`+
			`<ofd:Signature ID="3" Type="Seal" BaseLoc="/Doc_0/Signs/Signatures.xml"/>`+
			`<ofd:Signature ID="4" Type="Seal" BaseLoc="Sign_9/Signature.xml"/>`+
			`<ofd:Signature ID="5" Type="Seal" BaseLoc="Sign_1/Signature.xml"/>`+
			`<ofd:Signature ID="6" Type="Seal" BaseLoc="Sign_0/Signature.xml"/>`+
			`<ofd:Signature ID="7" Type="Sign" BaseLoc="Sign_2/Signature.xml"/>`),
	)
	p, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sigs := p.Docs[0].Signatures
	want := []struct {
		reason Reason
		detail string
	}{{0, ""}, {Missing, "no BaseLoc"}, {Malformed, "no Signature.xml"}, {Missing, "no member"}, {Malformed, "not well-formed"}, {Malformed, "as an earlier signature does"}, {Malformed, "no References"}}
	if len(sigs) != len(want) {
		t.Fatalf("%d signatures", len(sigs))
	}
	for i, w := range want {
		var e *Error
		switch {
		case w.reason == 0 && sigs[i].Err != nil:
			t.Errorf("signature %s: %v", sigs[i].ID, sigs[i].Err)
		case w.reason != 0 && (!errors.As(sigs[i].Err, &e) || e.Reason != w.reason || !strings.Contains(e.Error(), w.detail)):
			t.Errorf("signature %s: %v, want %v saying %q", sigs[i].ID, sigs[i].Err, w.reason, w.detail)
		}
	}
	if r := sigs[0].References[0]; r.Path != "Doc_0/Document.xml" || len(r.CheckValue) != 3 {
		t.Errorf("reference %+v", r)
	}
}

// FuzzOpen: any bytes, any package: no panic, only *Error, and what is read stays within the
// limits. Seeds: the real files and a small valid package.
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"ofd-04.ofd", "ofd-05.ofd", "ofd-16.ofd", "ofd-20.ofd"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(build(f, member{name: "OFD.xml", data: []byte(ofdXMLDoc)}, member{name: "Doc_0/Signs/Sign_0/Signature.xml", data: []byte(sigXMLBody)},
		signatures(`<ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/>`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error that is not an *Error: %v", err)
			}
			return
		}
		if p.read > MaxTotalRead {
			t.Fatalf("read %d bytes", p.read)
		}
		for _, d := range p.Docs {
			for _, s := range d.Signatures {
				if s.Err == nil && (s.Path == "" || s.ValuePath == "" || s.Raw == nil) {
					t.Fatalf("signature without its parts and without an error: %+v", s)
				}
			}
		}
	})
}
