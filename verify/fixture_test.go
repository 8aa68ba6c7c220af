package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/internal/testpki"
)

// This file builds the synthetic documents of the tests: a small PKI (SM2 root, signer, seal
// maker, TSA), a GB/T 38540 seal, a one-page PDF, and incremental updates that add signatures
// (CMS from smcrypto.BuildDetachedSignedData), document timestamps, content changes or
// annotations. Every PDF byte is written here, so each test knows exactly what it verifies.

// The fixed timeline of the synthetic tests (testpki's).
var (
	tRootStart = testpki.RootStart
	tSign      = testpki.SignTime // the claimed signing time
	tNow       = testpki.Now      // the validation time
)

// pki is the shared test PKI: a root, a signer, a seal maker and a TSA.
type pki = testpki.PKI

// newPKI makes a PKI; signerOpts changes the signer's validity and key usage.
func newPKI(t testing.TB, signerOpts *testpki.CertOptions) *pki {
	t.Helper()
	return testpki.New(t, testpki.Options{Signer: signerOpts})
}

// newPKINamed is newPKI with the root's common name.
func newPKINamed(t testing.TB, rootCN string, signerOpts *testpki.CertOptions) *pki {
	t.Helper()
	return testpki.New(t, testpki.Options{RootCN: rootCN, Signer: signerOpts})
}

// makeSeal is the DER of a seal by p's maker for the allowed signer certificates, valid from..until.
func makeSeal(t testing.TB, p *pki, allowed []*smcrypto.Certificate, from, until time.Time) []byte {
	t.Helper()
	return p.Seal(t, testpki.SealOptions{Allowed: allowed, From: from, Until: until}).Raw
}

// ---- PDF writing ----

// doc is a PDF being written revision by revision with the shared test writer.
type doc struct {
	*testpdf.Writer
	// prefix holds the first Base bytes of the file when they were flushed (a large file
	// written to disk); Buf holds everything after them.
	prefix  io.ReaderAt
	fields  []int // signature fields, all widgets on page 3
	annots  []int // other annotations on page 3
	certObj int   // the certification signature's dictionary, 0 if none
}

// newDoc writes the original revision: a catalog, a page tree, and one page with a text stream.
func newDoc() *doc {
	d := &doc{Writer: testpdf.NewWriter()}
	d.Obj(1, d.catalog())
	d.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	d.Obj(3, d.page())
	d.Obj(4, streamObject("BT /F1 18 Tf 20 100 Td (Approved: licence 2026-001) Tj ET"))
	d.EndRevision()
	return d
}

// bytes are the document's bytes after Base, not a copy: a test may damage them in place.
func (d *doc) bytes() []byte { return d.Buf.Bytes() }

func streamObject(content string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
}

func (d *doc) catalog() string {
	s := "<< /Type /Catalog /Pages 2 0 R"
	if len(d.fields) > 0 {
		s += " /AcroForm << /Fields [" + refs(d.fields) + "] /SigFlags 3 >>"
	}
	if d.certObj > 0 {
		s += fmt.Sprintf(" /Perms << /DocMDP %d 0 R >>", d.certObj)
	}
	return s + " >>"
}

func (d *doc) page() string {
	s := "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents 4 0 R"
	if all := append(append([]int{}, d.fields...), d.annots...); len(all) > 0 {
		s += " /Annots [" + refs(all) + "]"
	}
	return s + " >>"
}

func refs(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("%d 0 R", n)
	}
	return strings.Join(parts, " ")
}

// update appends an incremental update redefining or adding the objects given.
func (d *doc) update(objs map[int]string) {
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		d.Obj(n, objs[n])
	}
	d.EndRevision()
}

// changeContent replaces the page's text: a change of what the page shows.
func (d *doc) changeContent(text string) {
	d.update(map[int]string{4: streamObject("BT /F1 18 Tf 20 100 Td (" + text + ") Tj ET")})
}

// addAnnotation adds a sticky note to the page.
func (d *doc) addAnnotation() {
	n := d.NewObj()
	d.annots = append(d.annots, n)
	d.update(map[int]string{
		n: "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /Contents (reviewed) /P 3 0 R >>",
		3: d.page(),
	})
}

// sigOpts describes a signature to add.
type sigOpts struct {
	pki         *pki
	key         crypto.Signer           // default pki.SignerKey
	chain       []*smcrypto.Certificate // default signer, root
	convention  smcrypto.CMSConvention
	signingTime time.Time // default tSign
	seal        []byte
	subFilter   string // default adbe.pkcs7.detached
	docMDP      int    // > 0: a certification signature with this P
	// cms rewrites the CMS before it is written (raw r‖s, removed certificates, a timestamp).
	cms func(t testing.TB, der []byte) []byte
	// stamp adds a signature timestamp made by smcrypto.BuildTimestampToken (the production
	// token builder) with the pki's TSA at stampTime (default tSign).
	stamp     bool
	stampTime time.Time
	// emptyContents leaves the placeholder unfilled.
	emptyContents bool
	// sha1Encap makes an adbe.pkcs7.sha1 signature: the SignedData encapsulates the SHA-1 of the
	// signed bytes. noSignedAttrs makes a signer without signed attributes, whose SM2 signature
	// signs the signed bytes directly.
	sha1Encap, noSignedAttrs bool
}

const contentsBytes = 16 << 10 // room for the CMS in /Contents

// addSignature appends an incremental update with a new signature field and its signature
// dictionary, then signs: the ByteRange covers the whole file except /Contents.
func (d *doc) addSignature(t testing.TB, o sigOpts) {
	t.Helper()
	field, sig := d.NewObj(), d.NewObj()
	d.fields = append(d.fields, field)
	sub := o.subFilter
	if sub == "" {
		sub = "adbe.pkcs7.detached"
	}
	ref := ""
	if o.docMDP > 0 {
		d.certObj = sig
		ref = fmt.Sprintf(" /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>]", o.docMDP)
	}
	st := o.signingTime
	if st.IsZero() {
		st = tSign
	}
	sigDict := fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> /M (D:%s+00'00') /Name (Signer) /Reason (approval)%s >>",
		sub, strings.Repeat("0", 2*contentsBytes), st.UTC().Format("20060102150405"), ref)
	start := d.Buf.Len()
	d.update(map[int]string{
		1:     d.catalog(),
		3:     d.page(),
		field: fmt.Sprintf("<< /FT /Sig /T (Signature%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V %d 0 R >>", len(d.fields), sig),
		sig:   sigDict,
	})
	d.sign(t, start, func(ranges func(io.Writer)) []byte {
		if o.emptyContents {
			return nil
		}
		key, chain := o.key, o.chain
		if key == nil {
			key = o.pki.SignerKey
		}
		if chain == nil {
			chain = []*smcrypto.Certificate{o.pki.Signer, o.pki.Root}
		}
		// The signed content: the signed bytes (hashed as they stream, so a large file is never
		// held), or their SHA-1 for adbe.pkcs7.sha1; held whole only to sign without attributes.
		var content []byte
		h, h1 := smcrypto.NewSM3(), sha1.New()
		var whole bytes.Buffer
		w := io.MultiWriter(h, h1)
		if o.noSignedAttrs {
			w = io.MultiWriter(h, h1, &whole)
		}
		ranges(w)
		digest := h.Sum(nil)
		content = whole.Bytes()
		if o.sha1Encap {
			content = h1.Sum(nil)
			sum := smcrypto.SM3(content)
			digest = sum[:]
		}
		der, err := smcrypto.BuildDetachedSignedData(digest, key, chain, smcrypto.SignedDataOptions{
			Convention: o.convention, SigningTime: st, ESeal: o.seal, TimeStamp: stampWith(o),
		})
		if err != nil {
			t.Fatal(err)
		}
		if o.sha1Encap {
			der = encapsulateCMS(t, der, content)
		}
		if o.noSignedAttrs {
			der = withoutSignedAttrsCMS(t, der, key, content)
		}
		if o.cms != nil {
			der = o.cms(t, der)
		}
		return der
	})
}

// addDocTimestamp appends a document timestamp (ETSI.RFC3161) by the pki's TSA at genTime.
func (d *doc) addDocTimestamp(t testing.TB, p *pki, genTime time.Time) {
	t.Helper()
	field, sig := d.NewObj(), d.NewObj()
	d.fields = append(d.fields, field)
	start := d.Buf.Len()
	d.update(map[int]string{
		1:     d.catalog(),
		3:     d.page(),
		field: fmt.Sprintf("<< /FT /Sig /T (Timestamp%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V %d 0 R >>", len(d.fields), sig),
		sig: fmt.Sprintf("<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> >>",
			strings.Repeat("0", 2*contentsBytes)),
	})
	d.sign(t, start, func(ranges func(io.Writer)) []byte {
		h := smcrypto.NewSM3()
		ranges(h)
		return timestampToken(t, p, h.Sum(nil), genTime)
	})
}

// sign fills the ByteRange and /Contents of the signature dictionary written after offset start.
func (d *doc) sign(t testing.TB, start int, makeCMS func(ranges func(io.Writer)) []byte) {
	t.Helper()
	data := d.bytes()
	upd := data[start:]
	ci := bytes.Index(upd, []byte("/Contents <")) + len("/Contents ")
	ce := ci + bytes.IndexByte(upd[ci:], '>') + 1
	cStart, cEnd := int64(start+ci), int64(start+ce) // in Buf
	br := fmt.Sprintf("[0 %010d %010d %010d]", d.Base+cStart, d.Base+cEnd, int64(len(data))-cEnd)
	bi := bytes.Index(upd, []byte("[0 0000000000 0000000000 0000000000]"))
	copy(upd[bi:], br)
	ranges := func(w io.Writer) {
		if d.Base > 0 {
			if _, err := io.Copy(w, io.NewSectionReader(d.prefix, 0, d.Base)); err != nil {
				t.Fatal(err)
			}
		}
		w.Write(data[:cStart])
		w.Write(data[cEnd:])
	}
	der := makeCMS(ranges)
	if 2*len(der) > int(cEnd-cStart)-2 {
		t.Fatalf("CMS of %d bytes does not fit", len(der))
	}
	copy(data[cStart+1:], strings.ToUpper(hex.EncodeToString(der)))
}

// ---- CMS surgery ----

// tlv is a DER element read into a tree, so a test can change one part of a CMS and write it
// back with correct lengths.
type tlv struct {
	tag      byte
	content  []byte // primitive content
	children []*tlv // constructed content
}

func parseTLV(t testing.TB, b []byte) (*tlv, []byte) {
	t.Helper()
	if len(b) < 2 {
		t.Fatalf("short DER")
	}
	tag, l := b[0], int(b[1])
	hdr := 2
	if l >= 0x80 {
		n := l & 0x7f
		l = 0
		for i := 0; i < n; i++ {
			l = l<<8 | int(b[2+i])
		}
		hdr = 2 + n
	}
	body := b[hdr : hdr+l]
	e := &tlv{tag: tag}
	if tag&0x20 != 0 {
		for rest := body; len(rest) > 0; {
			var c *tlv
			c, rest = parseTLV(t, rest)
			e.children = append(e.children, c)
		}
	} else {
		e.content = body
	}
	return e, b[hdr+l:]
}

func (e *tlv) bytes() []byte {
	body := e.content
	if e.tag&0x20 != 0 {
		body = nil
		for _, c := range e.children {
			body = append(body, c.bytes()...)
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.Tag(e.tag), func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// signedData returns the SignedData SEQUENCE and its first SignerInfo.
func signedDataParts(ci *tlv) (sd, si *tlv) {
	sd = ci.children[1].children[0]
	set := sd.children[len(sd.children)-1]
	return sd, set.children[0]
}

// rawSignatureCMS rewrites the SignerInfo's DER signature value as raw 64-byte r‖s.
func rawSignatureCMS(t testing.TB, der []byte) []byte {
	ci, _ := parseTLV(t, der)
	_, si := signedDataParts(ci)
	sig := si.children[len(si.children)-1]
	r, s, _, err := smcrypto.DecodeSignature(sig.content, 32)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	sig.content = raw
	return ci.bytes()
}

// encapsulateCMS puts content into the SignedData's encapContentInfo (as eContent).
func encapsulateCMS(t testing.TB, der, content []byte) []byte {
	ci, _ := parseTLV(t, der)
	sd, _ := signedDataParts(ci)
	eci := sd.children[2]
	eci.children = append(eci.children, &tlv{tag: 0xa0, children: []*tlv{{tag: 0x04, content: content}}})
	return ci.bytes()
}

// withoutSignedAttrsCMS removes the signed attributes and signs content directly (SM2 over
// SM3(Z‖content)), as signers without signed attributes do.
func withoutSignedAttrsCMS(t testing.TB, der []byte, key crypto.Signer, content []byte) []byte {
	ci, _ := parseTLV(t, der)
	_, si := signedDataParts(ci)
	var kept []*tlv
	for _, c := range si.children {
		if c.tag != 0xa0 {
			kept = append(kept, c)
		}
	}
	sig, err := smcrypto.SignSM2(key, nil, content)
	if err != nil {
		t.Fatal(err)
	}
	kept[len(kept)-1].content = sig
	si.children = kept
	return ci.bytes()
}

// corruptSignatureCMS flips a bit of the SM2 signature value's s.
func corruptSignatureCMS(t testing.TB, der []byte) []byte {
	ci, _ := parseTLV(t, der)
	_, si := signedDataParts(ci)
	sig := si.children[len(si.children)-1]
	c := append([]byte{}, sig.content...)
	c[len(c)-1] ^= 0x01
	sig.content = c
	return ci.bytes()
}

// withoutCertificatesCMS removes the certificates from the SignedData.
func withoutCertificatesCMS(t testing.TB, der []byte) []byte {
	ci, _ := parseTLV(t, der)
	sd, _ := signedDataParts(ci)
	var kept []*tlv
	for _, c := range sd.children {
		if c.tag != 0xa0 {
			kept = append(kept, c)
		}
	}
	sd.children = kept
	return ci.bytes()
}

// withTimestampCMS adds a signature timestamp token (unsigned attribute) by the TSA at genTime
// over the signature value; imprint overrides the imprinted digest when not nil.
func withTimestampCMS(p *pki, genTime time.Time, imprint []byte) func(testing.TB, []byte) []byte {
	return func(t testing.TB, der []byte) []byte {
		ci, _ := parseTLV(t, der)
		_, si := signedDataParts(ci)
		sig := si.children[len(si.children)-1]
		if imprint == nil {
			sum := smcrypto.SM3(sig.content)
			imprint = sum[:]
		}
		token := timestampToken(t, p, imprint, genTime)
		tok, _ := parseTLV(t, token)
		oid, _ := parseTLV(t, mustDER(t, smcrypto.OIDAttributeTimeStampToken))
		attr := &tlv{tag: 0x30, children: []*tlv{oid, {tag: 0x31, children: []*tlv{tok}}}}
		si.children = append(si.children, &tlv{tag: 0xa1, children: []*tlv{attr}})
		return ci.bytes()
	}
}

func mustDER(t testing.TB, o smcrypto.OID) []byte {
	b, err := o.MarshalDER()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// timestampToken makes an RFC 3161 token: TSTInfo over the SM3 imprint, signed by the TSA with
// SM2 over signed attributes (contentType, messageDigest).
func timestampToken(t testing.TB, p *pki, imprint []byte, genTime time.Time) []byte {
	t.Helper()
	oid := func(b *cryptobyte.Builder, o smcrypto.OID) { b.AddBytes(mustDER(t, o)) }
	alg := func(b *cryptobyte.Builder, o smcrypto.OID) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { oid(b, o) })
	}
	var ti cryptobyte.Builder
	ti.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		oid(b, "1.2.3.4.1")
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			alg(b, smcrypto.OIDSM3)
			b.AddASN1OctetString(imprint)
		})
		b.AddASN1BigInt(big.NewInt(genTime.Unix()))
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) {
			b.AddBytes([]byte(genTime.UTC().Format("20060102150405") + ".5Z"))
		})
	})
	tstInfo := ti.BytesOrPanic()
	md := smcrypto.SM3(tstInfo)
	attrs := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			oid(b, smcrypto.OIDAttributeContentType)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { oid(b, oidTSTInfo) })
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			oid(b, smcrypto.OIDAttributeMessageDigest)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md[:]) })
		})
	}
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, attrs)
	sig, err := smcrypto.SignSM2(p.TSAKey, nil, set.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	var ci cryptobyte.Builder
	ci.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		oid(b, smcrypto.OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(3)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { alg(b, smcrypto.OIDSM3) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					oid(b, oidTSTInfo)
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						b.AddASN1OctetString(tstInfo)
					})
				})
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddBytes(p.TSA.Raw)
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(p.TSA.RawIssuer)
							b.AddASN1BigInt(p.TSA.SerialNumber)
						})
						alg(b, smcrypto.OIDSM3)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), attrs)
						alg(b, smcrypto.OIDSM2Sign)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return ci.BytesOrPanic()
}

// ---- verifier inputs ----

type anchorList struct {
	certs []*smcrypto.Certificate
	err   error
}

func (a anchorList) TrustAnchors() ([]*smcrypto.Certificate, error) { return a.certs, a.err }

// fakeRevocation answers from a table by serial; certificates not in it are known and good,
// unless unknown is set.
type fakeRevocation struct {
	revoked map[string]RevocationStatus
	err     error
	unknown bool
}

func (f *fakeRevocation) CertificateStatus(cert, issuer *smcrypto.Certificate) (RevocationStatus, error) {
	if f.err != nil {
		return RevocationStatus{}, f.err
	}
	if f.unknown {
		return RevocationStatus{Source: "test store"}, nil
	}
	if s, ok := f.revoked[smcrypto.SerialHex(cert.SerialNumber)]; ok {
		return s, nil
	}
	return RevocationStatus{Known: true, Source: "test store", ProducedAt: tNow}, nil
}

func revokedAt(c *smcrypto.Certificate, at time.Time, reason RevocationReason) *fakeRevocation {
	return &fakeRevocation{revoked: map[string]RevocationStatus{
		smcrypto.SerialHex(c.SerialNumber): {Known: true, Revoked: true, RevokedAt: at, Reason: reason, Source: "test store", ProducedAt: tNow},
	}}
}

// verifyBytes verifies a document with the pki's root as anchor (unless opts says otherwise).
func verifyBytes(t testing.TB, data []byte, opts Options) *Report {
	t.Helper()
	if opts.CurrentTime.IsZero() {
		opts.CurrentTime = tNow
	}
	rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("VerifyPDF: %v", err)
	}
	return rep
}

// stampWith is the TimeStamp callback of a signature with o.stamp: an RFC 3161 token over the
// signature value by the pki's TSA.
func stampWith(o sigOpts) func([]byte) ([]byte, error) {
	if !o.stamp {
		return nil
	}
	at := o.stampTime
	if at.IsZero() {
		at = tSign
	}
	return func(v []byte) ([]byte, error) {
		d := smcrypto.SM3(v)
		return smcrypto.BuildTimestampToken(smcrypto.TimestampOptions{ImprintAlgorithm: smcrypto.OIDSM3, Imprint: d[:], Serial: big.NewInt(at.Unix()),
			Policy: "1.2.156.3005.9.1", GenTime: at}, o.pki.TSAKey, []*smcrypto.Certificate{o.pki.TSA, o.pki.Root})
	}
}
