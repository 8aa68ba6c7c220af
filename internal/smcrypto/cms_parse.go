package smcrypto

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignedData is a parsed CMS SignedData (RFC 5652, or GM/T 0010 which has the same shape).
// Byte slices may alias the input of ParseSignedData when it was DER; do not modify them.
type SignedData struct {
	ContentType      OID // OIDSignedData or OIDGMSignedData
	Convention       CMSConvention
	Version          int
	DigestAlgorithms []OID
	EncapContentType OID
	// Content is the encapsulated content: nil when detached. For an OCTET STRING eContent it
	// is the string's bytes; for PKCS#7's "ANY" content of another type, the whole element.
	Content []byte
	// Certificates are those of RawCertificates that parsed.
	Certificates []*Certificate
	// RawCertificates are all certificate (SEQUENCE) entries, including those that failed to
	// parse; attribute certificates and other choices are skipped.
	RawCertificates [][]byte
	// CertificateErrors holds the parse error for each RawCertificates entry (nil if it parsed).
	CertificateErrors []error
	CRLs              [][]byte
	Signers           []*SignerInfo
	// WasBER: the input was not DER (indefinite or long-form lengths, constructed strings) and
	// was converted before parsing.
	WasBER bool
}

// Attribute is a CMS attribute with the raw DER of each value.
type Attribute struct {
	Type   OID
	Values [][]byte
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	Version int
	// IssuerRaw and SerialNumber identify the signer certificate (issuerAndSerialNumber), or
	// SubjectKeyID does (subjectKeyIdentifier); the other is empty.
	IssuerRaw    []byte
	SerialNumber *big.Int
	SubjectKeyID []byte

	DigestAlgorithm          OID
	SignatureAlgorithm       OID
	SignatureAlgorithmParams []byte // raw DER parameters (RSASSA-PSS needs them); nil if absent
	Signature                []byte

	SignedAttrs, UnsignedAttrs []Attribute
	// SignedAttrsDER is the [0] IMPLICIT signedAttrs exactly as received, with the tag byte
	// changed to SET (0x31): the bytes the signature covers. Nil when there are none.
	SignedAttrsDER []byte

	// Values of the well-known signed attributes, when present.
	ContentType   OID
	MessageDigest []byte
	SigningTime   time.Time // zero if absent
	// SigningCertificateHash is the first certHash of ESS signingCertificateV2 (preferred) or
	// signingCertificate, and SigningCertificateHashAlgorithm its hash (SHA-1 for v1, SHA-256
	// when v2 omits it).
	SigningCertificateHash          []byte
	SigningCertificateHashAlgorithm OID
	ESeal                           []byte // OIDAttributeESeal's OCTET STRING
	// TimestampToken is the unsigned timeStampToken attribute's value (a DER ContentInfo).
	TimestampToken []byte
}

// ParseError is returned by ParseSignedData for malformed input.
type ParseError struct {
	Where string // which part of the structure
	Err   error
}

func (e *ParseError) Error() string {
	if errors.Is(e.Err, ErrLimit) {
		return "smcrypto: CMS " + e.Where + ": " + e.Err.Error()
	}
	if e.Err != nil {
		return "smcrypto: malformed CMS " + e.Where + ": " + e.Err.Error()
	}
	return "smcrypto: malformed CMS " + e.Where
}

func (e *ParseError) Unwrap() error { return e.Err }

func malformed(where string) error { return &ParseError{Where: where} }

// Limits of ParseSignedData: far above what real signatures carry (a chain of a handful of
// certificates, a few CRLs in a PAdES-LT signature, one signer), they bound the memory and
// work a hostile SignedData can cost. What is over a limit is counted, never parsed.
const (
	MaxSignedDataSize = 16 << 20 // bytes of the encoded ContentInfo
	MaxCertificates   = 256
	MaxCRLs           = 256
	MaxSigners        = 16
)

// ErrLimit is wrapped by the ParseError of a SignedData over one of the limits above; the
// message names the limit.
var ErrLimit = errors.New("over a limit of this verifier")

// overLimit is the error for more than limit entries of what.
func overLimit(where, what string, limit int) error {
	return &ParseError{Where: where, Err: fmt.Errorf("%w: more than %d %s", ErrLimit, limit, what)}
}

// countElements counts the elements of a SET or SEQUENCE body, stopping past max.
func countElements(s cryptobyte.String, max int) (int, bool) {
	n := 0
	for !s.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1Element(&elem, &tag) {
			return n, false
		}
		if n++; n > max {
			return n, true
		}
	}
	return n, true
}

// ParseSignedData parses a CMS ContentInfo holding a SignedData, in either OID convention, DER
// or BER. Zero bytes after it are ignored (PDF /Contents padding); any other trailing byte is an
// error. Certificates that fail to parse are kept raw. It never panics.
func ParseSignedData(data []byte) (*SignedData, error) {
	return ParseSignedDataWithOptions(data, ParseOptions{})
}

// ParseOptions tunes ParseSignedDataWithOptions.
type ParseOptions struct {
	// Known are certificates the caller has already parsed, such as a verifier's trust
	// anchors (signers usually include their root): a certificate of the SignedData with
	// exactly the same DER is taken from here rather than parsed again. Parsing the same
	// bytes gives the same certificate, so only the work is saved. The certificates are then
	// shared with the caller; nobody may modify them.
	Known []*Certificate
}

// ParseSignedDataWithOptions is ParseSignedData with options.
func ParseSignedDataWithOptions(data []byte, opts ParseOptions) (sd *SignedData, err error) {
	defer recoverOwn(&err)
	if len(data) > MaxSignedDataSize {
		return nil, &ParseError{Where: "encoding", Err: fmt.Errorf("%w: %d bytes, more than %d (%d MiB)", ErrLimit, len(data), MaxSignedDataSize, MaxSignedDataSize>>20)}
	}
	der, rest, wasBER, err := berToDER(data)
	if err != nil {
		return nil, &ParseError{Where: "encoding", Err: err}
	}
	for _, b := range rest {
		if b != 0 {
			return nil, &ParseError{Where: "end", Err: fmt.Errorf("%d bytes of trailing data after the ContentInfo", len(rest))}
		}
	}
	sd = &SignedData{WasBER: wasBER}
	input := cryptobyte.String(der)
	var ci, explicit, body cryptobyte.String
	if !input.ReadASN1(&ci, cbasn1.SEQUENCE) {
		return nil, malformed("ContentInfo")
	}
	var ok bool
	if sd.ContentType, ok = readOID(&ci); !ok {
		return nil, malformed("ContentInfo contentType")
	}
	switch sd.ContentType {
	case OIDSignedData:
		sd.Convention = ConventionPKCS7
	case OIDGMSignedData:
		sd.Convention = ConventionGMT0010
	default:
		return nil, &ParseError{Where: "ContentInfo", Err: fmt.Errorf("content type %s is not SignedData", sd.ContentType)}
	}
	if !ci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() ||
		!explicit.ReadASN1(&body, cbasn1.SEQUENCE) || !explicit.Empty() {
		return nil, malformed("ContentInfo content")
	}
	if !readSmallInt(&body, &sd.Version) {
		return nil, malformed("SignedData version")
	}
	var algs cryptobyte.String
	if !body.ReadASN1(&algs, cbasn1.SET) {
		return nil, malformed("SignedData digestAlgorithms")
	}
	for !algs.Empty() {
		alg, _, ok := readAlgorithm(&algs)
		if !ok {
			return nil, malformed("SignedData digestAlgorithms")
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, alg)
	}
	if err := sd.parseEncapContent(&body); err != nil {
		return nil, err
	}
	var certs cryptobyte.String
	var present bool
	if !body.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed("SignedData certificates")
	}
	if n, _ := countElements(certs, MaxCertificates); n > MaxCertificates {
		return nil, overLimit("SignedData certificates", "certificates", MaxCertificates)
	}
	for !certs.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&elem, &tag) {
			return nil, malformed("SignedData certificates")
		}
		if tag != cbasn1.SEQUENCE {
			continue // attribute certificates and other choices
		}
		sd.RawCertificates = append(sd.RawCertificates, elem)
		c, cerr := knownOrParse(elem, opts.Known)
		sd.CertificateErrors = append(sd.CertificateErrors, cerr)
		if cerr == nil {
			sd.Certificates = append(sd.Certificates, c)
		}
	}
	var crls cryptobyte.String
	if !body.ReadOptionalASN1(&crls, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, malformed("SignedData crls")
	}
	if n, _ := countElements(crls, MaxCRLs); n > MaxCRLs {
		return nil, overLimit("SignedData crls", "revocation lists", MaxCRLs)
	}
	for !crls.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !crls.ReadAnyASN1Element(&elem, &tag) {
			return nil, malformed("SignedData crls")
		}
		sd.CRLs = append(sd.CRLs, elem)
	}
	var signers cryptobyte.String
	if !body.ReadASN1(&signers, cbasn1.SET) || !body.Empty() {
		return nil, malformed("SignedData signerInfos")
	}
	if n, _ := countElements(signers, MaxSigners); n > MaxSigners {
		return nil, overLimit("SignedData signerInfos", "signers", MaxSigners)
	}
	for i := 0; !signers.Empty(); i++ {
		var s cryptobyte.String
		if !signers.ReadASN1(&s, cbasn1.SEQUENCE) {
			return nil, malformed(fmt.Sprintf("SignerInfo %d", i+1))
		}
		si, err := parseSignerInfo(s)
		if err != nil {
			return nil, &ParseError{Where: fmt.Sprintf("SignerInfo %d", i+1), Err: err}
		}
		sd.Signers = append(sd.Signers, si)
	}
	return sd, nil
}

func (sd *SignedData) parseEncapContent(body *cryptobyte.String) error {
	var eci cryptobyte.String
	var ok bool
	if !body.ReadASN1(&eci, cbasn1.SEQUENCE) {
		return malformed("encapContentInfo")
	}
	if sd.EncapContentType, ok = readOID(&eci); !ok {
		return malformed("encapContentInfo eContentType")
	}
	if eci.Empty() {
		return nil // detached
	}
	var explicit cryptobyte.String
	if !eci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !eci.Empty() {
		return malformed("encapContentInfo eContent")
	}
	if explicit.PeekASN1Tag(cbasn1.OCTET_STRING) {
		var content cryptobyte.String
		if !explicit.ReadASN1(&content, cbasn1.OCTET_STRING) || !explicit.Empty() {
			return malformed("encapContentInfo eContent")
		}
		sd.Content = content // aliases the input: no copy of a possibly large content
		if sd.Content == nil {
			sd.Content = []byte{} // present but empty, unlike detached
		}
		return nil
	}
	var elem cryptobyte.String
	var tag cbasn1.Tag
	if !explicit.ReadAnyASN1Element(&elem, &tag) || !explicit.Empty() {
		return malformed("encapContentInfo eContent")
	}
	sd.Content = elem
	return nil
}

// knownOrParse returns the certificate of known whose DER is der, else parses der.
func knownOrParse(der []byte, known []*Certificate) (*Certificate, error) {
	for _, k := range known {
		if k != nil && bytes.Equal(k.Raw, der) {
			return k, nil
		}
	}
	return ParseCertificate(der)
}

func parseSignerInfo(s cryptobyte.String) (*SignerInfo, error) {
	si := &SignerInfo{}
	if !readSmallInt(&s, &si.Version) {
		return nil, errors.New("version")
	}
	switch {
	case s.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		var serial []byte
		if !s.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
			!ias.ReadASN1((*cryptobyte.String)(&serial), cbasn1.INTEGER) || !ias.Empty() || len(serial) == 0 {
			return nil, errors.New("issuerAndSerialNumber")
		}
		si.IssuerRaw = issuer
		si.SerialNumber = twosComplement(serial)
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !s.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return nil, errors.New("subjectKeyIdentifier")
		}
		si.SubjectKeyID = ski
	default:
		return nil, errors.New("signer identifier")
	}
	var ok bool
	if si.DigestAlgorithm, _, ok = readAlgorithm(&s); !ok {
		return nil, errors.New("digestAlgorithm")
	}
	if s.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var elem cryptobyte.String
		if !s.ReadASN1Element(&elem, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, errors.New("signedAttrs")
		}
		si.SignedAttrsDER = append([]byte{0x31}, elem[1:]...)
		attrs, err := parseAttributes(si.SignedAttrsDER)
		if err != nil {
			return nil, fmt.Errorf("signedAttrs: %w", err)
		}
		si.SignedAttrs = attrs
		if err := si.readSignedAttributes(); err != nil {
			return nil, err
		}
	}
	if si.SignatureAlgorithm, si.SignatureAlgorithmParams, ok = readAlgorithm(&s); !ok {
		return nil, errors.New("signatureAlgorithm")
	}
	var sig cryptobyte.String
	if !s.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return nil, errors.New("signature")
	}
	si.Signature = sig
	if s.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		var elem cryptobyte.String
		if !s.ReadASN1Element(&elem, cbasn1.Tag(1).Constructed().ContextSpecific()) {
			return nil, errors.New("unsignedAttrs")
		}
		attrs, err := parseAttributes(append([]byte{0x31}, elem[1:]...))
		if err != nil {
			return nil, fmt.Errorf("unsignedAttrs: %w", err)
		}
		si.UnsignedAttrs = attrs
		for _, a := range attrs {
			if a.Type == OIDAttributeTimeStampToken && len(a.Values) > 0 && si.TimestampToken == nil {
				si.TimestampToken = a.Values[0]
			}
		}
	}
	if !s.Empty() {
		return nil, errors.New("trailing data in SignerInfo")
	}
	return si, nil
}

// parseAttributes reads a DER SET OF Attribute (tag included).
func parseAttributes(set []byte) ([]Attribute, error) {
	input := cryptobyte.String(set)
	var content cryptobyte.String
	if !input.ReadASN1(&content, cbasn1.SET) || !input.Empty() {
		return nil, errors.New("not a SET")
	}
	var attrs []Attribute
	for !content.Empty() {
		var a, values cryptobyte.String
		var attr Attribute
		var ok bool
		if !content.ReadASN1(&a, cbasn1.SEQUENCE) {
			return nil, errors.New("attribute")
		}
		if attr.Type, ok = readOID(&a); !ok {
			return nil, errors.New("attribute type")
		}
		if !a.ReadASN1(&values, cbasn1.SET) || !a.Empty() {
			return nil, fmt.Errorf("attribute %s values", attr.Type)
		}
		for !values.Empty() {
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !values.ReadAnyASN1Element(&v, &tag) {
				return nil, fmt.Errorf("attribute %s value", attr.Type)
			}
			attr.Values = append(attr.Values, v)
		}
		attrs = append(attrs, attr)
	}
	return attrs, nil
}

// readSignedAttributes fills the fields of the well-known signed attributes. Each may appear
// once, with one value: a second messageDigest would make the signature ambiguous.
func (si *SignerInfo) readSignedAttributes() error {
	seen := map[OID]bool{}
	var essV1Hash []byte
	for _, a := range si.SignedAttrs {
		switch a.Type {
		case OIDAttributeContentType, OIDAttributeMessageDigest, OIDAttributeSigningTime,
			OIDAttributeSigningCertificate, OIDAttributeSigningCertificateV2, OIDAttributeESeal:
		default:
			continue
		}
		if seen[a.Type] {
			return fmt.Errorf("signed attribute %s appears twice", a.Type)
		}
		seen[a.Type] = true
		if len(a.Values) != 1 {
			return fmt.Errorf("signed attribute %s has %d values, want 1", a.Type, len(a.Values))
		}
		v := cryptobyte.String(a.Values[0])
		switch a.Type {
		case OIDAttributeContentType:
			o, ok := readOID(&v)
			if !ok || !v.Empty() {
				return errors.New("contentType attribute")
			}
			si.ContentType = o
		case OIDAttributeMessageDigest:
			var d cryptobyte.String
			if !v.ReadASN1(&d, cbasn1.OCTET_STRING) || !v.Empty() {
				return errors.New("messageDigest attribute")
			}
			si.MessageDigest = d
		case OIDAttributeSigningTime:
			t, err := parseTime(a.Values[0])
			if err != nil {
				return fmt.Errorf("signingTime attribute: %w", err)
			}
			si.SigningTime = t
		case OIDAttributeESeal:
			var d cryptobyte.String
			if !v.ReadASN1(&d, cbasn1.OCTET_STRING) || !v.Empty() {
				return errors.New("eseal attribute")
			}
			si.ESeal = d
		case OIDAttributeSigningCertificate:
			h, _, err := parseESSCertID(v, false)
			if err != nil {
				return fmt.Errorf("signingCertificate attribute: %w", err)
			}
			essV1Hash = h
		case OIDAttributeSigningCertificateV2:
			h, alg, err := parseESSCertID(v, true)
			if err != nil {
				return fmt.Errorf("signingCertificateV2 attribute: %w", err)
			}
			si.SigningCertificateHash, si.SigningCertificateHashAlgorithm = h, alg
		}
	}
	if si.SigningCertificateHash == nil && essV1Hash != nil {
		si.SigningCertificateHash, si.SigningCertificateHashAlgorithm = essV1Hash, OIDSHA1
	}
	return nil
}

// parseESSCertID reads SigningCertificate(V2) and returns the first ESSCertID(v2)'s hash.
func parseESSCertID(v cryptobyte.String, v2 bool) (certHash []byte, alg OID, err error) {
	var sc, certs, id cryptobyte.String
	if !v.ReadASN1(&sc, cbasn1.SEQUENCE) || !v.Empty() || !sc.ReadASN1(&certs, cbasn1.SEQUENCE) ||
		!certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return nil, "", errors.New("no ESSCertID")
	}
	alg = OIDSHA1
	if v2 {
		alg = OIDSHA256 // DEFAULT of ESSCertIDv2
		if id.PeekASN1Tag(cbasn1.SEQUENCE) {
			var ok bool
			if alg, _, ok = readAlgorithm(&id); !ok {
				return nil, "", errors.New("hashAlgorithm")
			}
		}
	}
	var h cryptobyte.String
	if !id.ReadASN1(&h, cbasn1.OCTET_STRING) {
		return nil, "", errors.New("certHash")
	}
	return h, alg, nil
}

// parseTime reads a UTCTime or GeneralizedTime, including the forms encoding/asn1 tolerates
// (UTCTime without seconds).
func parseTime(raw []byte) (time.Time, error) {
	var t time.Time
	rest, err := asn1.Unmarshal(raw, &t)
	if err != nil {
		return time.Time{}, err
	}
	if len(rest) != 0 {
		return time.Time{}, errors.New("trailing data")
	}
	return t, nil
}

// readAlgorithm reads an AlgorithmIdentifier: the OID and the raw parameters (nil if absent).
func readAlgorithm(s *cryptobyte.String) (OID, []byte, bool) {
	var ai cryptobyte.String
	if !s.ReadASN1(&ai, cbasn1.SEQUENCE) {
		return "", nil, false
	}
	o, ok := readOID(&ai)
	if !ok {
		return "", nil, false
	}
	var params []byte
	if !ai.Empty() {
		var elem cryptobyte.String
		var tag cbasn1.Tag
		if !ai.ReadAnyASN1Element(&elem, &tag) || !ai.Empty() {
			return "", nil, false
		}
		params = elem
	}
	return o, params, true
}

func readSmallInt(s *cryptobyte.String, out *int) bool {
	var v int64
	if !s.ReadASN1Integer(&v) || v < 0 || v > 1000 {
		return false
	}
	*out = int(v)
	return true
}

// twosComplement reads INTEGER content octets leniently (non-minimal encodings occur in old
// certificates' serials and are copied into SignerInfos).
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// SignerCertificate finds si's certificate among sd.Certificates: by issuer and serial number
// (exact issuer bytes first, then the same issuer name encoded differently), or by subject key
// identifier. Nil if absent.
func (sd *SignedData) SignerCertificate(si *SignerInfo) *Certificate {
	if sd == nil || si == nil {
		return nil
	}
	if si.SerialNumber != nil {
		var byName *Certificate
		for _, c := range sd.Certificates {
			if c.SerialNumber == nil || c.SerialNumber.Cmp(si.SerialNumber) != 0 {
				continue
			}
			if bytes.Equal(c.RawIssuer, si.IssuerRaw) {
				return c
			}
			if byName == nil && sameName(c.RawIssuer, si.IssuerRaw) {
				byName = c
			}
		}
		return byName
	}
	if len(si.SubjectKeyID) > 0 {
		for _, c := range sd.Certificates {
			if bytes.Equal(c.SubjectKeyId, si.SubjectKeyID) {
				return c
			}
		}
		for _, c := range sd.Certificates {
			if id, err := SubjectKeyID(c.PublicKey); err == nil && bytes.Equal(id, si.SubjectKeyID) {
				return c
			}
		}
	}
	return nil
}

// sameName compares two DER Names by their parsed RDN sequences (string types may differ).
func sameName(a, b []byte) bool {
	var ra, rb pkix.RDNSequence
	if rest, err := asn1.Unmarshal(a, &ra); err != nil || len(rest) != 0 {
		return false
	}
	if rest, err := asn1.Unmarshal(b, &rb); err != nil || len(rest) != 0 {
		return false
	}
	return ra.String() == rb.String()
}
