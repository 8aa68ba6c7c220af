package sign

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/ofd"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// OFDOptions controls SignOFD.
type OFDOptions struct {
	// Page is the 1-based page that shows the stamp; 0 means 1.
	Page int
	// At is the stamp's top-left corner, in millimetres from the page's top-left corner. nil:
	// the bottom right of the page, 20 mm from the edges.
	At *[2]float64
	// Near, when set, centres the stamp over the first occurrence of this text on the page
	// (the issuing authority's name, the date), as Chinese practice places seals. At and Near
	// exclude each other.
	Near string
	// Riding makes a riding seal (骑缝章) across every page: each page shows its slice of the
	// seal at its right edge, at At's height (or the page's middle), so the pages are bound
	// together. Page and Near do not apply.
	Riding bool
	// Now gives the signing time; nil means time.Now. Whole seconds.
	Now func() time.Time
	// TimeStamp, when set, returns an RFC 3161 token over the signature value, written as the
	// SES_Signature's timeStamp.
	TimeStamp func(signatureValue []byte) ([]byte, error)
}

// OFDResult describes the seal signature SignOFD added.
type OFDResult struct {
	// ID is the signature's ID in Signatures.xml; Path its Signature.xml.
	ID, Path string
	// Page is the 1-based page of the stamp, PageRef that page's ID, Boundary the stamp's box
	// (x, y, width, height in millimetres). A riding seal has a stamp per page: Stamps.
	Page     int
	PageRef  string
	Boundary [4]float64
	Stamps   int
	// References is how many files the signature protects.
	References int
	// DataHash is the SM3 of the new Signature.xml: what the signature binds.
	DataHash    []byte
	SigningTime time.Time
	Size        int64
}

// MaxOFDSize bounds the OFD document SignOFD seals: the sealed document is built in memory
// and read back before it is written.
const MaxOFDSize = 256 << 20

// SignOFD seals the first document of the OFD package in (size bytes) with a GB/T 38540
// version 4 seal signature (version 5 with a GM/T 0031-2025 seal), as GB/T 33190 §18 lays it
// out: Sign_N/Signature.xml, whose References give the SM3 of every file of the package (its
// own seal included; the list of signatures excluded, so that later seals may be added), a
// StampAnnot with the seal picture's size, Sign_N/Seal.esl, and Sign_N/SignedValue.dat, an
// SES_Signature over the exact bytes of Signature.xml. Every existing member is copied as
// stored, so earlier signatures stay valid; a package whose earlier signature protects the list
// of signatures (allowing no later one) is refused.
//
// Nothing is written to out unless the sealed document reads back with every signature's
// References intact and ours verifying.
func SignOFD(in io.ReaderAt, size int64, out io.Writer, s Sealer, opts OFDOptions) (*OFDResult, error) {
	if size > MaxOFDSize {
		return nil, errorf(NotOFD, nil, "%d bytes: larger than the %d this signer takes", size, MaxOFDSize)
	}
	cs, err := checkSealer(s, opts.Now)
	if err != nil {
		return nil, err
	}
	if cs.seal.Version != 4 && cs.seal.Version != 5 {
		return nil, errorf(BadSeal, nil, "a version %d seal: OFD seal signatures are made with version 4 or 5 seals", cs.seal.Version)
	}
	pkg, err := ofd.Open(in, size)
	if err != nil {
		return nil, ofdOpenError(err)
	}
	doc := pkg.Docs[0]
	for _, old := range doc.Signatures {
		for _, r := range old.References {
			if r.Path != "" && r.Path == doc.SignaturesPath {
				return nil, errorf(Certified, nil, "the signature %q protects the list of signatures (%s): it allows no later signature", old.ID, doc.SignaturesPath)
			}
		}
	}
	pages, err := pkg.Pages(doc)
	if err != nil {
		return nil, ofdOpenError(err)
	}
	page := opts.Page
	if page == 0 {
		page = 1
	}
	if page < 1 || page > len(pages) {
		return nil, errorf(PageOutOfRange, nil, "page %d: the document has %d", page, len(pages))
	}
	pg := pages[page-1]
	w, h := float64(cs.seal.Picture.WidthMM), float64(cs.seal.Picture.HeightMM)
	if w <= 0 || h <= 0 {
		w, h = defaultSealMM, defaultSealMM
	}
	box := [4]float64{pg.Box[2] - 20 - w, pg.Box[3] - 20 - h, w, h}
	switch {
	case opts.At != nil && opts.Near != "":
		return nil, errorf(BadRect, nil, "give the stamp's place (At) or a text to put it over (Near), not both")
	case opts.At != nil:
		box[0], box[1] = opts.At[0], opts.At[1]
	case opts.Near != "":
		content, err := pkg.ReadFile(pg.Path)
		if err != nil {
			return nil, ofdOpenError(err)
		}
		cx, cy, ok := findText(content, opts.Near)
		if !ok {
			return nil, errorf(TextNotFound, nil, "%q is not on page %d", opts.Near, page)
		}
		box[0], box[1] = cx-w/2, cy-h/2
	}
	if box[0] < 0 || box[1] < 0 || box[0]+w > pg.Box[2] || box[1]+h > pg.Box[3] {
		return nil, errorf(BadRect, nil, "the stamp at %.1f,%.1f mm (%.0f×%.0f mm) is not on the %.0f×%.0f mm page", box[0], box[1], w, h, pg.Box[2], pg.Box[3])
	}

	stamps := []ofdStamp{{pageRef: pg.ID, box: box}}
	if opts.Riding {
		if len(pages) < 2 {
			return nil, errorf(BadRect, nil, "a riding seal needs two pages or more; the document has %d", len(pages))
		}
		if opts.Near != "" {
			return nil, errorf(BadRect, nil, "a riding seal sits on the pages' edge, not over a text")
		}
		stamps = ridingStamps(pages, w, h, opts.At)
		box = stamps[0].box
	}
	u := &ofdUpdate{pkg: pkg, doc: doc, members: map[string][]byte{}}
	if err := u.plan(); err != nil {
		return nil, err
	}
	u.members[u.sealPath] = s.Seal
	refs, err := u.references()
	if err != nil {
		return nil, err
	}
	sigXML := u.signatureXML(refs, cs.now, stamps)
	u.members[u.sigPath] = sigXML
	sum := smcrypto.SM3(sigXML)
	ses, err := seal.BuildSignature(seal.NewSignatureOptions{Seal: s.Seal, TimeInfo: cs.now, DataHash: sum[:], PropertyInfo: "/" + u.sigPath, TimeStamp: opts.TimeStamp}, s.Chain[0], s.Signer)
	if err != nil {
		return nil, sesError(err)
	}
	u.members[u.valuePath] = ses.Raw

	var buf bytes.Buffer
	if err := u.write(&buf); err != nil {
		return nil, err
	}
	if err := selfCheckOFD(buf.Bytes(), u.sigPath); err != nil {
		return nil, errorf(Internal, err, "the sealed OFD does not read back as it must; nothing was written")
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return nil, errorf(IOFailed, err, "writing the output")
	}
	return &OFDResult{ID: u.id, Path: u.sigPath, Page: page, PageRef: stamps[0].pageRef, Boundary: box, Stamps: len(stamps), References: len(refs),
		DataHash: sum[:], SigningTime: cs.now, Size: int64(buf.Len())}, nil
}

// SignOFDFile seals the OFD at inPath into outPath, as SignPDFFile does PDFs.
func SignOFDFile(inPath, outPath string, s Sealer, opts OFDOptions) (res *OFDResult, err error) {
	err = signFile(inPath, outPath, func(in *os.File, size int64, w io.Writer) error {
		res, err = SignOFD(in, size, w, s, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func ofdOpenError(err error) *Error {
	var e *ofd.Error
	if errors.As(err, &e) && e.Reason == ofd.TooLarge {
		return errorf(UnsupportedPDF, err, "the OFD is over a limit of the reader")
	}
	return errorf(NotOFD, err, "not a readable OFD")
}

// ofdUpdate is the seal signature being added: the members it adds or rewrites.
type ofdUpdate struct {
	pkg *ofd.Package
	doc *ofd.Document
	id  string
	// listPath is Signatures.xml; newList whether the document had none (OFD.xml then names it).
	listPath                     string
	newList                      bool
	sigPath, sealPath, valuePath string
	members                      map[string][]byte // new contents, by member name
}

// plan names the new signature (its ID and directory) and writes the new list of signatures
// (and OFD.xml, when the document had no list yet).
func (u *ofdUpdate) plan() error {
	u.listPath = u.doc.SignaturesPath
	if u.listPath == "" {
		u.newList = true
		u.listPath = path.Join(path.Dir(u.doc.Root), "Signs", "Signatures.xml")
	}
	dir := path.Dir(u.listPath)
	n := 0
	for ; ; n++ {
		taken := false
		for _, name := range u.pkg.Names() {
			if strings.HasPrefix(name, path.Join(dir, "Sign_"+strconv.Itoa(n))+"/") {
				taken = true
				break
			}
		}
		if !taken {
			break
		}
	}
	signDir := path.Join(dir, "Sign_"+strconv.Itoa(n))
	u.sigPath, u.sealPath, u.valuePath = signDir+"/Signature.xml", signDir+"/Seal.esl", signDir+"/SignedValue.dat"
	maxID := 0
	for _, s := range u.doc.Signatures {
		if v, err := strconv.Atoi(strings.TrimLeft(s.ID, "sS")); err == nil && v > maxID {
			maxID = v
		}
	}
	u.id = strconv.Itoa(max(maxID, len(u.doc.Signatures)) + 1)
	entry := fmt.Sprintf(`<ofd:Signature ID="%s" Type="Seal" BaseLoc="%s"/>`, u.id, xmlAttr("Sign_"+strconv.Itoa(n)+"/Signature.xml"))
	if u.newList {
		u.members[u.listPath] = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:MaxSignId>` + u.id + `</ofd:MaxSignId>` + entry + `</ofd:Signatures>`)
		root, err := u.pkg.ReadFile("OFD.xml")
		if err != nil {
			return ofdOpenError(err)
		}
		updated, ok := insertBefore(root, "DocBody", fmt.Sprintf("<%sSignatures>/%s</%sSignatures>", prefixOf(root, "DocBody"), u.listPath, prefixOf(root, "DocBody")))
		if !ok {
			return errorf(UnsupportedPDF, nil, "OFD.xml has no DocBody to name the list of signatures in")
		}
		u.members["OFD.xml"] = updated
		return nil
	}
	list, err := u.pkg.ReadFile(u.listPath)
	if err != nil {
		return ofdOpenError(err)
	}
	p := prefixOf(list, "Signatures")
	entry = strings.ReplaceAll(entry, "ofd:", p)
	updated, ok := insertBefore(list, "Signatures", entry)
	if !ok {
		return errorf(UnsupportedPDF, nil, "%s has no closing Signatures element", u.listPath)
	}
	updated = maxSignID.ReplaceAll(updated, []byte("${1}"+u.id+"${2}"))
	u.members[u.listPath] = updated
	return nil
}

var maxSignID = regexp.MustCompile(`(<(?:[A-Za-z0-9_]+:)?MaxSignId>)[^<]*(</(?:[A-Za-z0-9_]+:)?MaxSignId>)`)

// prefixOf is the namespace prefix (with its colon) of the element local in doc, "ofd:" if none
// is found.
func prefixOf(doc []byte, local string) string {
	m := regexp.MustCompile(`</([A-Za-z0-9_]+:)?` + local + `>`).FindSubmatch(doc)
	if m == nil {
		return "ofd:"
	}
	return string(m[1])
}

// insertBefore inserts text before the last closing tag of the element local.
func insertBefore(doc []byte, local, text string) ([]byte, bool) {
	locs := regexp.MustCompile(`</(?:[A-Za-z0-9_]+:)?`+local+`>`).FindAllIndex(doc, -1)
	if len(locs) == 0 {
		return nil, false
	}
	at := locs[len(locs)-1][0]
	out := append(append(append([]byte{}, doc[:at]...), text...), doc[at:]...)
	return out, true
}

func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

type ofdRef struct {
	name string
	sum  []byte
}

// references are the SM3 of every member the signature protects: all of the new package but
// the list of signatures and the signature's own Signature.xml and SignedValue.dat.
func (u *ofdUpdate) references() ([]ofdRef, error) {
	var refs []ofdRef
	add := func(name string) error {
		if data, ok := u.members[name]; ok {
			sum := smcrypto.SM3(data)
			refs = append(refs, ofdRef{name, sum[:]})
			return nil
		}
		sum, err := u.pkg.Digest(name, smcrypto.NewSM3())
		if err != nil {
			return ofdOpenError(err)
		}
		refs = append(refs, ofdRef{name, sum})
		return nil
	}
	for _, name := range u.pkg.Names() {
		if name == u.listPath {
			continue
		}
		if err := add(name); err != nil {
			return nil, err
		}
	}
	if err := add(u.sealPath); err != nil {
		return nil, err
	}
	return refs, nil
}

// ofdStamp is a StampAnnot: a page, the seal's box on it, and the part of the seal shown (clip,
// in the seal's own millimetres), all of it when clip is zero.
type ofdStamp struct {
	pageRef string
	box     [4]float64
	clip    [4]float64
}

// ridingStamps puts slice i of the seal (w wide, split in as many slices as pages) at the right
// edge of page i.
func ridingStamps(pages []ofd.Page, w, h float64, at *[2]float64) []ofdStamp {
	slice := w / float64(len(pages))
	out := make([]ofdStamp, len(pages))
	for i, p := range pages {
		y := (p.Box[3] - h) / 2
		if at != nil {
			y = at[1]
		}
		out[i] = ofdStamp{pageRef: p.ID, box: [4]float64{p.Box[2] - slice*float64(i+1), y, w, h}, clip: [4]float64{slice * float64(i), 0, slice, h}}
	}
	return out
}

func (u *ofdUpdate) signatureXML(refs []ofdRef, now time.Time, stamps []ofdStamp) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo>`)
	b.WriteString(`<ofd:Provider ProviderName="eseal" Company="eseal" Version="1"/>`)
	b.WriteString(`<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>`)
	fmt.Fprintf(&b, `<ofd:SignatureDateTime>%s</ofd:SignatureDateTime>`, now.UTC().Format("20060102150405Z"))
	b.WriteString(`<ofd:References CheckMethod="1.2.156.10197.1.401">`)
	for _, r := range refs {
		fmt.Fprintf(&b, `<ofd:Reference FileRef="%s"><ofd:CheckValue>%s</ofd:CheckValue></ofd:Reference>`, xmlAttr("/"+r.name), base64.StdEncoding.EncodeToString(r.sum))
	}
	b.WriteString(`</ofd:References>`)
	for i, st := range stamps {
		clip := ""
		if st.clip != ([4]float64{}) {
			clip = fmt.Sprintf(` Clip="%s %s %s %s"`, mm(st.clip[0]), mm(st.clip[1]), mm(st.clip[2]), mm(st.clip[3]))
		}
		fmt.Fprintf(&b, `<ofd:StampAnnot ID="%d" PageRef="%s" Boundary="%s %s %s %s"%s/>`, i+1, xmlAttr(st.pageRef), mm(st.box[0]), mm(st.box[1]), mm(st.box[2]), mm(st.box[3]), clip)
	}
	b.WriteString(`<ofd:Seal><ofd:BaseLoc>Seal.esl</ofd:BaseLoc></ofd:Seal>`)
	b.WriteString(`</ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`)
	return []byte(b.String())
}

// mm writes a length in millimetres to the hundredth.
func mm(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

// write copies every member as stored (compressed bytes untouched), with the rewritten ones in
// their place, then adds the new ones.
func (u *ofdUpdate) write(w io.Writer) error {
	zw := zip.NewWriter(w)
	written := map[string]bool{}
	for _, f := range u.pkg.Files() {
		if data, ok := u.members[f.Name]; ok {
			if err := addMember(zw, f.Name, data); err != nil {
				return err
			}
			written[f.Name] = true
			continue
		}
		if err := zw.Copy(f); err != nil {
			return errorf(IOFailed, err, "copying %s", f.Name)
		}
	}
	for _, name := range []string{u.listPath, u.sealPath, u.sigPath, u.valuePath} {
		if data, ok := u.members[name]; ok && !written[name] {
			if err := addMember(zw, name, data); err != nil {
				return err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return errorf(IOFailed, err, "writing the OFD")
	}
	return nil
}

func addMember(zw *zip.Writer, name string, data []byte) error {
	// The seal and the signature value hold a compressed picture: deflating them gains nothing
	// and costs every verifier an inflation.
	method := zip.Deflate
	if strings.HasSuffix(name, ".esl") || strings.HasSuffix(name, ".dat") {
		method = zip.Store
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now().UTC()})
	if err != nil {
		return errorf(IOFailed, err, "writing %s", name)
	}
	if _, err := fw.Write(data); err != nil {
		return errorf(IOFailed, err, "writing %s", name)
	}
	return nil
}

// selfCheckOFD reads the sealed package back: every signature's References hold, and ours
// verifies over its Signature.xml and is allowed by its seal.
func selfCheckOFD(data []byte, sigPath string) error {
	pkg, err := ofd.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	found := false
	for _, s := range pkg.Docs[0].Signatures {
		if s.Err != nil {
			continue // an earlier signature that was unreadable before stays so
		}
		for _, r := range s.References {
			if r.Path == "" {
				continue
			}
			sum, err := pkg.Digest(r.Path, smcrypto.NewSM3())
			if err != nil {
				return err
			}
			if s.Path == sigPath && !bytes.Equal(sum, r.CheckValue) {
				return fmt.Errorf("our reference to %s does not match", r.Path)
			}
		}
		if s.Path != sigPath {
			continue
		}
		found = true
		value, err := pkg.ReadFile(s.ValuePath)
		if err != nil {
			return err
		}
		ses, err := seal.ParseSignature(value)
		if err != nil {
			return err
		}
		if sum := smcrypto.SM3(s.Raw); !bytes.Equal(sum[:], ses.DataHash) {
			return errors.New("the dataHash is not the SM3 of Signature.xml")
		}
		if _, err := ses.VerifySignatureValue(); err != nil {
			return err
		}
		if err := ses.VerifySignerAllowed(); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("the new signature %s is not listed", sigPath)
	}
	return nil
}

// findText finds text in an OFD page's content and returns the centre of its first occurrence,
// in millimetres from the page's top-left: within one TextObject, whose TextCodes' characters
// are taken as Size wide each (CJK characters are; Latin ones are narrower, so the centre of a
// Latin text is approximate).
func findText(content []byte, text string) (x, y float64, ok bool) {
	dec := xml.NewDecoder(bytes.NewReader(content))
	type code struct {
		x, y float64
		s    string
	}
	var obj *struct {
		box  [4]float64
		size float64
		code []code
	}
	var cur *code
	attr := func(e xml.StartElement, name string) string {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(strings.TrimSpace(s), 64); return v }
	for {
		tok, err := dec.Token()
		if err != nil {
			return 0, 0, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "TextObject":
				obj = &struct {
					box  [4]float64
					size float64
					code []code
				}{size: num(attr(t, "Size"))}
				if f := strings.Fields(attr(t, "Boundary")); len(f) == 4 {
					for i := range f {
						obj.box[i] = num(f[i])
					}
				}
			case "TextCode":
				if obj != nil {
					obj.code = append(obj.code, code{x: num(attr(t, "X")), y: num(attr(t, "Y"))})
					cur = &obj.code[len(obj.code)-1]
				}
			}
		case xml.CharData:
			if cur != nil {
				cur.s += string(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "TextCode":
				cur = nil
			case "TextObject":
				if obj == nil {
					continue
				}
				for _, c := range obj.code {
					i := strings.Index(c.s, text)
					if i < 0 {
						continue
					}
					before := float64(len([]rune(c.s[:i])))
					n := float64(len([]rune(text)))
					x = obj.box[0] + c.x + (before+n/2)*obj.size
					y = obj.box[1] + c.y - obj.size/2
					return x, y, true
				}
				obj = nil
			}
		}
	}
}
