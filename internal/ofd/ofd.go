// Package ofd reads what signatures concern in an OFD document (GB/T 33190-2016): the package
// (a zip), OFD.xml's documents, each document's Signatures.xml, and each signature's
// Signature.xml (its References with their digests, its stamps, where its seal and signature
// value are). It judges nothing: verify checks the digests and the signatures.
//
// The input is hostile until proven otherwise, and every limit is named in its error: at most
// MaxEntries members, no member whose name escapes the package (an absolute path, "..") or
// appears twice, XML members of at most MaxXMLSize, any member read of at most MaxMemberSize
// (its declared size, and what it really inflates to), and at most MaxTotalRead inflated bytes
// per package. Memory is bounded by those limits whatever the input.
//
// What real files do that the standard does not say is accepted and listed in Problems: a
// BaseLoc relative to Signatures.xml, absolute, or relative to the package root; Type missing
// (a seal, the standard's default); Provider given as child elements; SignedValue named
// SignValue.dat; CheckMethod spelled SM3, sm3, 1.2.156.10197.1.401 or 1.2.156.10197.1.401.2.
package ofd

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strconv"
	"strings"
)

// Limits on hostile input.
const (
	MaxEntries    = 10000
	MaxXMLSize    = 8 << 20
	MaxMemberSize = 256 << 20
	MaxTotalRead  = 1 << 30
	// MaxSignatures bounds the signatures a document lists.
	MaxSignatures = 1000
)

// Reason says why a package could not be read.
type Reason int

const (
	// NotOFD: not a zip, or no OFD.xml in it.
	NotOFD Reason = iota + 1
	// Malformed: a member the signatures need is not the XML the standard defines.
	Malformed
	// TooLarge: a limit was reached (members, sizes, inflated bytes).
	TooLarge
	// BadPath: a member's name escapes the package or is ambiguous.
	BadPath
	// Missing: a member the structure names is not in the package.
	Missing
	// Damaged: a member does not inflate, or its checksum is wrong.
	Damaged
)

var reasonNames = map[Reason]string{
	NotOFD: "not an OFD package", Malformed: "malformed OFD", TooLarge: "OFD over a limit",
	BadPath: "bad member name", Missing: "missing member", Damaged: "damaged member",
}

func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Error is this package's error: Reason for callers to switch on, Detail for people.
type Error struct {
	Reason Reason
	Detail string
	Err    error
}

func (e *Error) Error() string { return "ofd: " + e.Reason.String() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Err }

func errorf(r Reason, err error, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Package is an opened OFD package.
type Package struct {
	zr    *zip.Reader
	files map[string]*zip.File // by name, without a leading "/"
	read  int64                // inflated bytes read so far
	// Docs are the documents OFD.xml lists, in order.
	Docs []*Document
}

// Document is one document of the package and its signatures.
type Document struct {
	Root string // the DocRoot member (Document.xml)
	// SignaturesPath is the Signatures.xml member, "" when the document lists none.
	SignaturesPath string
	Signatures     []*Signature
	// Problems are the deviations from the standard read past in Signatures.xml.
	Problems []string
}

// Signature is one signature of a document, as Signatures.xml and its Signature.xml say.
type Signature struct {
	ID   string
	Type string // "Seal" or "Sign" ("Seal" when missing)
	// Path is the Signature.xml member, resolved; Raw its bytes, exactly as stored: what the
	// signature signs.
	Path string
	Raw  []byte
	// Err is set when this signature's files cannot be read (missing, malformed): the others
	// can still be verified.
	Err error

	ProviderName, Company, Version string
	Method                         string // SignatureMethod
	DateTime                       string // SignatureDateTime as written
	CheckMethod                    string // References/@CheckMethod as written
	References                     []Reference
	Stamps                         []Stamp
	// SealPath and ValuePath are the Seal.esl (optional) and SignedValue members, resolved.
	SealPath, ValuePath string
	// Problems are the deviations from the standard read past.
	Problems []string
}

// Reference is a file the signature protects and the digest it states.
type Reference struct {
	FileRef string // as written
	Path    string // the member, resolved ("" if it names no member)
	// CheckValue is the decoded digest; CheckValueText the base64 as written.
	CheckValue     []byte
	CheckValueText string
}

// Stamp is a StampAnnot: where the stamp shows.
type Stamp struct {
	ID       string
	PageRef  string
	Boundary [4]float64 // x, y, width, height in millimetres
	Clip     string
}

// Open reads the package in r (size bytes): its members, OFD.xml, and every document's
// signatures. A signature whose own files are unusable gets an Err; the package fails only
// when its structure does.
func Open(r io.ReaderAt, size int64) (*Package, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrInsecurePath) && zr != nil {
			return nil, errorf(BadPath, err, "a member name is an absolute path or climbs out of the package")
		}
		return nil, errorf(NotOFD, err, "not a zip archive")
	}
	if len(zr.File) > MaxEntries {
		return nil, errorf(TooLarge, nil, "%d members (the limit is %d)", len(zr.File), MaxEntries)
	}
	p := &Package{zr: zr, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		name := f.Name
		if strings.Contains(name, `\`) || strings.HasPrefix(name, "/") || name != path.Clean(name) && !strings.HasSuffix(name, "/") ||
			name == ".." || strings.HasPrefix(name, "../") {
			return nil, errorf(BadPath, nil, "member %q: an absolute, unclean or climbing name", name)
		}
		if strings.HasSuffix(name, "/") {
			continue // a directory
		}
		if _, dup := p.files[name]; dup {
			return nil, errorf(BadPath, nil, "member %q appears twice: which one is signed would be ambiguous", name)
		}
		p.files[name] = f
	}
	if _, ok := p.files["OFD.xml"]; !ok {
		return nil, errorf(NotOFD, nil, "no OFD.xml in the package")
	}
	var root ofdXML
	if err := p.readXML("OFD.xml", &root); err != nil {
		return nil, err
	}
	if len(root.DocBody) == 0 {
		return nil, errorf(Malformed, nil, "OFD.xml lists no document (DocBody)")
	}
	for _, body := range root.DocBody {
		d := &Document{Root: strings.TrimPrefix(strings.TrimSpace(body.DocRoot), "/")}
		if loc := strings.TrimSpace(body.Signatures); loc != "" {
			d.SignaturesPath = p.resolve("", loc, &d.Problems)
			if err := p.readSignatures(d); err != nil {
				return nil, err
			}
		}
		p.Docs = append(p.Docs, d)
	}
	return p, nil
}

// Has tells whether the package holds the member.
func (p *Package) Has(name string) bool {
	_, ok := p.files[strings.TrimPrefix(name, "/")]
	return ok
}

// Names lists the members (files only), in archive order.
func (p *Package) Names() []string {
	var out []string
	for _, f := range p.zr.File {
		if !strings.HasSuffix(f.Name, "/") {
			out = append(out, f.Name)
		}
	}
	return out
}

// ReadFile returns a member's inflated bytes, within the limits.
func (p *Package) ReadFile(name string) ([]byte, error) {
	var b bytes.Buffer
	if err := p.stream(name, MaxMemberSize, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Digest streams a member through h and returns the sum, without holding the member.
func (p *Package) Digest(name string, h hash.Hash) ([]byte, error) {
	if err := p.stream(name, MaxMemberSize, h); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func (p *Package) stream(name string, limit int64, w io.Writer) error {
	name = strings.TrimPrefix(name, "/")
	f, ok := p.files[name]
	if !ok {
		return errorf(Missing, nil, "no member %q", name)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return errorf(TooLarge, nil, "member %q declares %d bytes (the limit is %d)", name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return errorf(Damaged, err, "member %q cannot be opened", name)
	}
	defer rc.Close()
	budget := MaxTotalRead - p.read
	if budget <= 0 {
		return errorf(TooLarge, nil, "the package inflates to more than %d bytes (the limit)", int64(MaxTotalRead))
	}
	n, err := io.Copy(w, io.LimitReader(rc, min(limit, budget)+1))
	p.read += n
	switch {
	case err != nil:
		return errorf(Damaged, err, "member %q does not inflate", name)
	case n > limit:
		return errorf(TooLarge, nil, "member %q inflates to more than %d bytes (the limit), more than it declares", name, limit)
	case n > budget:
		return errorf(TooLarge, nil, "the package inflates to more than %d bytes (the limit)", int64(MaxTotalRead))
	}
	return nil
}

func (p *Package) readXML(name string, v any) error {
	var b bytes.Buffer
	if err := p.stream(name, MaxXMLSize, &b); err != nil {
		return err
	}
	if err := xml.Unmarshal(b.Bytes(), v); err != nil {
		return errorf(Malformed, err, "%s is not well-formed XML", name)
	}
	return nil
}

// resolve turns a location written in the member dir (its directory) into a member name: an
// absolute location from the package root; a relative one from dir, or, when nothing is there,
// from the root (a deviation recorded in problems).
func (p *Package) resolve(dir, loc string, problems *[]string) string {
	loc = strings.TrimSpace(strings.ReplaceAll(loc, `\`, "/"))
	if strings.HasPrefix(loc, "/") {
		return cleanName(loc)
	}
	rel := cleanName(path.Join(dir, loc))
	if p.Has(rel) || dir == "" {
		return rel
	}
	if abs := cleanName(loc); p.Has(abs) {
		*problems = append(*problems, fmt.Sprintf("%q is relative to the package root, not to %s/ (accepted)", loc, dir))
		return abs
	}
	return rel
}

// cleanName is a member name for a location: never above the root.
func cleanName(loc string) string {
	return strings.TrimPrefix(path.Clean("/"+loc), "/")
}

func (p *Package) readSignatures(d *Document) error {
	var list signaturesXML
	if err := p.readXML(d.SignaturesPath, &list); err != nil {
		return err
	}
	if len(list.Signature) > MaxSignatures {
		return errorf(TooLarge, nil, "%s lists %d signatures (the limit is %d)", d.SignaturesPath, len(list.Signature), MaxSignatures)
	}
	dir := path.Dir(d.SignaturesPath)
	seen := map[string]bool{}
	for _, e := range list.Signature {
		s := &Signature{ID: e.ID, Type: e.Type}
		if s.Type == "" {
			s.Type = "Seal"
			s.Problems = append(s.Problems, "no Type: a seal, the standard's default")
		}
		d.Signatures = append(d.Signatures, s)
		if strings.TrimSpace(e.BaseLoc) == "" {
			s.Err = errorf(Missing, nil, "signature %q has no BaseLoc", e.ID)
			continue
		}
		s.Path = p.resolve(dir, e.BaseLoc, &s.Problems)
		switch {
		case seen[s.Path]:
			s.Err = errorf(Malformed, nil, "signature %q points at %s, as an earlier signature does", e.ID, s.Path)
			continue
		case s.Path == d.SignaturesPath || s.Path == "OFD.xml":
			s.Err = errorf(Malformed, nil, "signature %q points at %s, which is no Signature.xml", e.ID, s.Path)
			continue
		}
		seen[s.Path] = true
		if err := p.readSignature(s); err != nil {
			s.Err = err
		}
	}
	return nil
}

func (p *Package) readSignature(s *Signature) error {
	raw, err := p.bytesOf(s.Path, MaxXMLSize)
	if err != nil {
		return err
	}
	s.Raw = raw
	var x signatureXML
	if err := xml.Unmarshal(raw, &x); err != nil {
		return errorf(Malformed, err, "%s is not well-formed XML", s.Path)
	}
	si := x.SignedInfo
	if si == nil {
		return errorf(Malformed, nil, "%s has no SignedInfo", s.Path)
	}
	dir := path.Dir(s.Path)
	s.ProviderName, s.Company, s.Version = si.Provider.Name, si.Provider.Company, si.Provider.Version
	if s.ProviderName == "" && si.Provider.NameElem != "" {
		s.ProviderName, s.Company, s.Version = si.Provider.NameElem, si.Provider.CompanyElem, si.Provider.VersionElem
		s.Problems = append(s.Problems, "Provider given as child elements, not attributes")
	}
	s.Method = strings.TrimSpace(si.SignatureMethod)
	s.DateTime = strings.TrimSpace(si.SignatureDateTime)
	if si.References == nil {
		return errorf(Malformed, nil, "%s has no References", s.Path)
	}
	s.CheckMethod = strings.TrimSpace(si.References.CheckMethod)
	for _, r := range si.References.Reference {
		ref := Reference{FileRef: r.FileRef, CheckValueText: strings.TrimSpace(r.CheckValue)}
		ref.Path = p.resolve(dir, r.FileRef, &s.Problems)
		if !p.Has(ref.Path) {
			ref.Path = ""
		}
		v, err := base64.StdEncoding.DecodeString(ref.CheckValueText)
		if err != nil {
			s.Problems = append(s.Problems, fmt.Sprintf("the CheckValue of %s is not base64", r.FileRef))
		}
		ref.CheckValue = v
		s.References = append(s.References, ref)
	}
	for _, a := range si.StampAnnot {
		st := Stamp{ID: a.ID, PageRef: a.PageRef, Clip: a.Clip}
		if f := strings.Fields(a.Boundary); len(f) == 4 {
			for i := range f {
				st.Boundary[i], _ = strconv.ParseFloat(f[i], 64)
			}
		}
		s.Stamps = append(s.Stamps, st)
	}
	if loc := strings.TrimSpace(si.Seal.BaseLoc); loc != "" {
		s.SealPath = p.resolve(dir, loc, &s.Problems)
	}
	loc := strings.TrimSpace(x.SignedValue)
	if loc == "" {
		return errorf(Missing, nil, "%s names no SignedValue", s.Path)
	}
	s.ValuePath = p.resolve(dir, loc, &s.Problems)
	if path.Base(s.ValuePath) != "SignedValue.dat" {
		s.Problems = append(s.Problems, fmt.Sprintf("the signature value is %s, not SignedValue.dat", path.Base(s.ValuePath)))
	}
	return nil
}

// bytesOf reads a member the signatures need whole.
func (p *Package) bytesOf(name string, limit int64) ([]byte, error) {
	var b bytes.Buffer
	if err := p.stream(name, limit, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The XML, by local names (the namespace URIs vary between producers).
type ofdXML struct {
	DocBody []struct {
		DocRoot    string `xml:"DocRoot"`
		Signatures string `xml:"Signatures"`
	} `xml:"DocBody"`
}

type signaturesXML struct {
	Signature []struct {
		ID      string `xml:"ID,attr"`
		Type    string `xml:"Type,attr"`
		BaseLoc string `xml:"BaseLoc,attr"`
	} `xml:"Signature"`
}

type signatureXML struct {
	SignedInfo *struct {
		Provider struct {
			Name        string `xml:"ProviderName,attr"`
			Company     string `xml:"Company,attr"`
			Version     string `xml:"Version,attr"`
			NameElem    string `xml:"ProviderName"`
			CompanyElem string `xml:"Company"`
			VersionElem string `xml:"Version"`
		} `xml:"Provider"`
		SignatureMethod   string `xml:"SignatureMethod"`
		SignatureDateTime string `xml:"SignatureDateTime"`
		References        *struct {
			CheckMethod string `xml:"CheckMethod,attr"`
			Reference   []struct {
				FileRef    string `xml:"FileRef,attr"`
				CheckValue string `xml:"CheckValue"`
			} `xml:"Reference"`
		} `xml:"References"`
		StampAnnot []struct {
			ID       string `xml:"ID,attr"`
			PageRef  string `xml:"PageRef,attr"`
			Boundary string `xml:"Boundary,attr"`
			Clip     string `xml:"Clip,attr"`
		} `xml:"StampAnnot"`
		Seal struct {
			BaseLoc string `xml:"BaseLoc"`
		} `xml:"Seal"`
	} `xml:"SignedInfo"`
	SignedValue string `xml:"SignedValue"`
}

// Page is a page of a document: its ID (what a StampAnnot's PageRef names) and its box.
type Page struct {
	ID   string
	Path string // its Content.xml, resolved
	// Box is the page's PhysicalBox (x, y, width, height in millimetres): the page's own Area
	// when it has one, else the document's PageArea.
	Box [4]float64
}

// Pages reads the document's pages from its Document.xml.
func (p *Package) Pages(d *Document) ([]Page, error) {
	var x documentXML
	if err := p.readXML(d.Root, &x); err != nil {
		return nil, err
	}
	box, ok := parseBox(x.CommonData.PageArea.PhysicalBox)
	if !ok {
		box = [4]float64{0, 0, 210, 297} // the standard's default: A4
	}
	dir := path.Dir(d.Root)
	var out []Page
	var problems []string
	for _, pg := range x.Pages.Page {
		out = append(out, Page{ID: pg.ID, Path: p.resolve(dir, pg.BaseLoc, &problems), Box: box})
	}
	if len(out) == 0 {
		return nil, errorf(Malformed, nil, "%s lists no page", d.Root)
	}
	return out, nil
}

func parseBox(s string) ([4]float64, bool) {
	var b [4]float64
	f := strings.Fields(s)
	if len(f) != 4 {
		return b, false
	}
	for i := range f {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return b, false
		}
		b[i] = v
	}
	return b, b[2] > 0 && b[3] > 0
}

type documentXML struct {
	CommonData struct {
		PageArea struct {
			PhysicalBox string `xml:"PhysicalBox"`
		} `xml:"PageArea"`
	} `xml:"CommonData"`
	Pages struct {
		Page []struct {
			ID      string `xml:"ID,attr"`
			BaseLoc string `xml:"BaseLoc,attr"`
		} `xml:"Page"`
	} `xml:"Pages"`
}

// File is a member as stored, for a writer that copies it unchanged.
func (p *Package) File(name string) *zip.File { return p.files[strings.TrimPrefix(name, "/")] }

// Files are the members in archive order, as stored.
func (p *Package) Files() []*zip.File { return p.zr.File }
